#!/usr/bin/env python3
"""Real-time factor of the exported TFLite streaming model, float vs int8, on one CPU core.

usage: .venv/bin/python bench/inference_rtf.py [--n_hidden 2048] [--repeats 3] [--audio FILE]

Builds DeepSpeech's model at --n_hidden (random weights: speed does not depend on them), converts its streaming
step to TFLite in float and dynamic-range int8 form with the metadata the export embeds, pins this process to one
core, and times `deepspeech_nb.inference.Model.stt` (features + model + greedy decoding) on an utterance, with
LiteRT's XNNPACK delegate (the default) and without it (weights stay memory-mapped). RTF = processing time /
audio duration. Targets (DeepSpeech 0.9 on one Raspberry Pi 4 core): int8 model <= 48 MB, RTF <= 0.1.
"""
import argparse, os, sys, tempfile, time
from pathlib import Path

import numpy as np

TARGET_MB, TARGET_RTF = 48.0, 0.1   # DeepSpeech 0.9's released model: 46.9 MB, faster than real time on a Pi 4 core


def build_models(n_hidden: int, folder: Path) -> dict[str, Path]:
    "Float and int8 TFLite streaming models of a random-weight DeepSpeech model, metadata embedded."
    import keras
    from deepspeech_nb.export import ExportConfig, embed_metadata, export_metadata, inference_graph, to_tflite
    from deepspeech_nb.features import FeatureConfig
    from deepspeech_nb.model import ModelConfig, build_streaming_model
    from deepspeech_nb.text import load_alphabet
    keras.utils.set_random_seed(0)
    cfg = ModelConfig(n_hidden=n_hidden)
    stream = inference_graph(build_streaming_model(cfg, batch_size=1))   # the graph --export_tflite writes
    meta = export_metadata(cfg, FeatureConfig(), load_alphabet(), ExportConfig(str(folder)))
    paths = {}
    for name, quantize in (("float", False), ("int8", True)):
        t = time.perf_counter()
        paths[name] = folder / f"{name}.tflite"
        paths[name].write_bytes(embed_metadata(to_tflite(stream, quantize), {**meta, "quantized": quantize}))
        print(f"converted {name:5s} in {time.perf_counter() - t:5.1f} s", flush=True)
    return paths


def rtf(path: Path, audio: np.ndarray, repeats: int, xnnpack: bool) -> tuple[float, float]:
    "Best-of-`repeats` (wall, CPU) seconds of `Model.stt` per second of audio, on one thread."
    from deepspeech_nb.inference import Model
    model = Model(path, num_threads=1, xnnpack=xnnpack)
    model.stt(audio)   # warm-up: XNNPACK packs its weights at the first step
    times = [_timed(model.stt, audio) for _ in range(repeats)]
    seconds = len(audio) / model.sample_rate
    return min(t[0] for t in times) / seconds, min(t[1] for t in times) / seconds


def _timed(fn, *args) -> tuple[float, float]:
    "(wall, CPU) seconds of one call: CPU time is the honest figure on a machine shared with other work."
    t, c = time.perf_counter(), time.process_time(); fn(*args)
    return time.perf_counter() - t, time.process_time() - c


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n_hidden", type=int, default=2048)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--audio", help="utterance to transcribe (default: the bundled LDC93S1, 2.9 s)")
    args = p.parse_args(argv)
    if hasattr(os, "sched_setaffinity"): os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    from deepspeech_nb.audio import load_audio
    from deepspeech_nb.core import data_path
    audio = load_audio(args.audio or data_path("deepspeech", "LDC93S1.wav"))
    with tempfile.TemporaryDirectory() as tmp:
        paths = build_models(args.n_hidden, Path(tmp))
        sizes = {k: p.stat().st_size / 1e6 for k, p in paths.items()}
        rows = {(k, x): rtf(paths[k], audio, args.repeats, x) for k in paths for x in (True, False)}
    print(f"\nn_hidden {args.n_hidden}, {len(audio) / 16000:.2f} s of audio, 1 thread on 1 core, best of {args.repeats}")
    print("RTF = seconds of processing per second of audio; wall clock, and CPU time of this process in ()")
    print(f"{'model':6s} {'size MB':>8s} {'RTF xnnpack':>16s} {'RTF builtin':>16s}")
    for k in paths:
        cells = [f"{rows[k, x][0]:.3f} ({rows[k, x][1]:.3f})" for x in (True, False)]
        print(f"{k:6s} {sizes[k]:8.1f} {cells[0]:>16s} {cells[1]:>16s}")
    print(f"\nint8 / float: size {sizes['int8'] / sizes['float']:.2f}x, CPU time with xnnpack "
          f"{rows['int8', True][1] / rows['float', True][1]:.2f}x, builtin {rows['int8', False][1] / rows['float', False][1]:.2f}x; "
          f"xnnpack / builtin for int8: {rows['int8', True][1] / rows['int8', False][1]:.2f}x")
    best = rows["int8", True][1]
    ok_size, ok_rtf = sizes["int8"] <= TARGET_MB, best <= TARGET_RTF
    print(f"targets: int8 size {sizes['int8']:.1f} MB <= {TARGET_MB} MB: {'met' if ok_size else 'MISSED'}; "
          f"int8 RTF (CPU time) {best:.3f} <= {TARGET_RTF}: {'met' if ok_rtf else 'MISSED'}")
    return 0 if ok_size and ok_rtf else 1


if __name__ == "__main__":
    sys.exit(main())
