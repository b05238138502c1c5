#!/usr/bin/env python3
"""Real-time factor of the exported TFLite streaming model, float vs int8, on one CPU core.

usage: .venv/bin/python bench/inference_rtf.py [--n_hidden 2048] [--repeats 3] [--audio FILE]

Builds DeepSpeech's model at --n_hidden (random weights: speed does not depend on them), converts its streaming
step to TFLite in float and dynamic-range int8 form as --export_tflite does, then times
`deepspeech_nb.inference.Model.stt` (features + model + greedy decoding) on an utterance in a fresh process
without TensorFlow, pinned to one core, with LiteRT's XNNPACK delegate (the default) and without it (weights
stay memory-mapped). A third model converts the streaming twin as is (Keras' LSTM loop) to show what the
export's `inference_graph` gains. RTF = processing time / audio duration; CPU time is the fair figure on a shared machine. Targets (DeepSpeech 0.9 on one Raspberry Pi 4 core): int8 model <= 48 MB, RTF <= 0.1.
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from summary import emit, not_measured

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
    twin = build_streaming_model(cfg, batch_size=1)
    fast = inference_graph(twin)   # the graph --export_tflite writes: LSTM input product hoisted out of the loop
    meta = export_metadata(cfg, FeatureConfig(), load_alphabet(), ExportConfig(str(folder)))
    paths = {}
    for name, graph, quantize in (("float", fast, False), ("int8", fast, True), ("int8-keras-lstm", twin, True)):
        t = time.perf_counter()
        paths[name] = folder / f"{name}.tflite"
        paths[name].write_bytes(embed_metadata(to_tflite(graph, quantize), {**meta, "quantized": quantize}))
        print(f"converted {name:5s} in {time.perf_counter() - t:5.1f} s", flush=True)
    return paths


CHILD = """
import json, os, sys, time
os.sched_setaffinity(0, {int(sys.argv[4])})   # before numpy starts any thread: every thread on this one core
from deepspeech_nb.audio import load_audio
from deepspeech_nb.inference import Model
path, repeats, xnnpack, audio_path = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[5]
model = Model(path, num_threads=1, xnnpack=xnnpack)
audio = load_audio(audio_path, model.sample_rate)
model.stt(audio)   # warm-up: XNNPACK packs its weights at the first step
times = []
for _ in range(repeats):
    t, c = time.perf_counter(), time.process_time(); model.stt(audio)
    times.append((time.perf_counter() - t, time.process_time() - c))
seconds = len(audio) / model.sample_rate
print(json.dumps([min(t[0] for t in times) / seconds, min(t[1] for t in times) / seconds]))
"""


def rtf(path: Path, audio_path: str, repeats: int, xnnpack: bool) -> tuple[float, float]:
    "Best-of-`repeats` (wall, CPU) seconds of `Model.stt` per second of audio: one thread, one core, no TensorFlow."
    cpu = sorted(os.sched_getaffinity(0))[-1] if hasattr(os, "sched_getaffinity") else 0
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    res = subprocess.run([sys.executable, "-c", CHILD, str(path), str(repeats), "1" if xnnpack else "0", str(cpu), audio_path],
                         capture_output=True, text=True, env=env, check=True)
    wall, cpu_time = json.loads(res.stdout.strip().splitlines()[-1])
    return wall, cpu_time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n_hidden", type=int, default=2048)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--audio", help="utterance to transcribe (default: the bundled LDC93S1, 2.9 s)")
    args = p.parse_args(argv)
    from deepspeech_nb.audio import audio_duration
    from deepspeech_nb.core import data_path
    audio_path = str(args.audio or data_path("deepspeech", "LDC93S1.wav"))
    with tempfile.TemporaryDirectory() as tmp:
        paths = build_models(args.n_hidden, Path(tmp))
        sizes = {k: p.stat().st_size / 1e6 for k, p in paths.items()}
        rows = {(k, x): rtf(paths[k], audio_path, args.repeats, x) for k in paths for x in (True, False)}
    print(f"\nn_hidden {args.n_hidden}, {audio_duration(audio_path):.2f} s of audio, 1 thread on 1 core (a fresh process "
          f"without TensorFlow), best of {args.repeats}")
    print("RTF = seconds of processing per second of audio; wall clock, and CPU time of this process in ()")
    print(f"{'model':16s} {'size MB':>8s} {'RTF xnnpack':>16s} {'RTF builtin':>16s}")
    for k in paths:
        cells = [f"{rows[k, x][0]:.3f} ({rows[k, x][1]:.3f})" for x in (True, False)]
        print(f"{k:16s} {sizes[k]:8.1f} {cells[0]:>16s} {cells[1]:>16s}")
    print(f"\nint8 / float: size {sizes['int8'] / sizes['float']:.2f}x, CPU time with xnnpack "
          f"{rows['int8', True][1] / rows['float', True][1]:.2f}x, builtin {rows['int8', False][1] / rows['float', False][1]:.2f}x; "
          f"xnnpack / builtin for int8: {rows['int8', True][1] / rows['int8', False][1]:.2f}x")
    print(f"export graph / plain Keras LSTM loop (int8, xnnpack CPU time): "
          f"{rows['int8', True][1] / rows['int8-keras-lstm', True][1]:.2f}x")
    best = rows["int8", True][1]
    ok_size, ok_rtf = sizes["int8"] <= TARGET_MB, best <= TARGET_RTF
    print(f"targets: int8 size {sizes['int8']:.1f} MB <= {TARGET_MB} MB: {'met' if ok_size else 'MISSED'}; "
          f"int8 RTF (CPU time) {best:.3f} <= {TARGET_RTF}: {'met' if ok_rtf else 'MISSED'}")
    emit("inference_rtf", f"TFLite int8 RTF (CPU time, 1 thread, xnnpack), n_hidden {args.n_hidden}", best, "RTF",
         "limit (DeepSpeech 0.9 on one Raspberry Pi 4 core)", TARGET_RTF, higher_is_better=False, target=f"<= {TARGET_RTF}")
    emit("inference_rtf", f"TFLite int8 model size, n_hidden {args.n_hidden}", sizes["int8"], "MB", "limit", TARGET_MB,
         higher_is_better=False, target=f"<= {TARGET_MB} MB")
    return 0 if ok_size and ok_rtf else 1


if __name__ == "__main__":
    sys.exit(main())
