#!/usr/bin/env python3
"""Real-time factor and resident memory of the exported TFLite streaming model: float, int8, full int8, three runtimes.

usage: .venv/bin/python bench/inference_rtf.py [--n_hidden 2048] [--repeats 3] [--audio FILE]

Builds DeepSpeech's model at --n_hidden (random weights: speed does not depend on them), converts its streaming
step to TFLite as --export_tflite does (float, dynamic-range int8) and as --export_full_integer does (int8
activations too, calibrated on the utterance's own steps), then times `deepspeech_nb.inference.Model.stt`
(features + model + greedy decoding) on an utterance in a fresh process without TensorFlow, pinned to one core, in
three modes: LiteRT's XNNPACK delegate (the default; it repacks the weights onto the heap), the builtin kernels
(weights stay memory-mapped) and the lean mode `Model(weight_cache=...)` (XNNPACK through LiteRT's CompiledModel,
its packed weights written once to a cache file and memory-mapped from then on; timed on the second load). A fourth
model converts the streaming twin as is (Keras' LSTM loop) to show what the export's `inference_graph` gains.
RTF = processing time / audio duration; CPU time is the fair figure on a shared machine. Memory: growth of the
process's anonymous resident memory (heap: what cannot be shared or paged back to the file) from before loading the
model to after transcribing, and of its whole RSS (file pages of the memory-mapped model and cache included).
Targets: int8 model <= 48 MB and RTF <= 0.1 (DeepSpeech 0.9 on one Raspberry Pi 4 core); issue #16: int8 RTF <= 0.03,
a mode whose heap grows by at most 10% of the model file while staying fast.
"""
import argparse, csv, json, os, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from summary import emit

TARGET_MB, TARGET_RTF = 48.0, 0.1   # DeepSpeech 0.9's released model: 46.9 MB, faster than real time on a Pi 4 core
FAST_RTF, LEAN_FRACTION = 0.03, 0.10  # issue #16: int8 RTF on one thread; heap growth of the lean mode / file size
MODES = ("xnnpack", "builtin", "lean")


def _calibration_csv(audio_path: str, folder: Path) -> Path:
    "A one-row DeepSpeech CSV of the benchmark utterance, calibrating the full-integer model."
    path = folder / "calibration.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f); w.writerow(["wav_filename", "wav_filesize", "transcript"])
        w.writerow([audio_path, Path(audio_path).stat().st_size, ""])
    return path


def build_models(n_hidden: int, folder: Path, audio_path: str) -> dict[str, Path]:
    "Float, int8, full-int8 and Keras-loop int8 TFLite streaming models of a random-weight model, metadata embedded."
    import keras
    from deepspeech_nb.export import (ExportConfig, calibration_steps, embed_metadata, export_metadata, inference_graph,
                                      to_full_integer_tflite, to_tflite)
    from deepspeech_nb.features import FeatureConfig
    from deepspeech_nb.model import ModelConfig, build_streaming_model
    from deepspeech_nb.text import load_alphabet
    keras.utils.set_random_seed(0)
    cfg = ModelConfig(n_hidden=n_hidden)
    twin = build_streaming_model(cfg, batch_size=1)
    fast = inference_graph(twin)   # the graph --export_tflite writes: LSTM input product hoisted out of the loop
    meta = export_metadata(cfg, FeatureConfig(), load_alphabet(), ExportConfig(str(folder)))
    steps = calibration_steps(twin, str(_calibration_csv(audio_path, folder)), FeatureConfig(), 50)
    makers = {"float": lambda: to_tflite(fast, False), "int8": lambda: to_tflite(fast, True),
              "full-int8": lambda: to_full_integer_tflite(twin, steps), "int8-keras-lstm": lambda: to_tflite(twin, True)}
    paths = {}
    for name, make in makers.items():
        t = time.perf_counter()
        paths[name] = folder / f"{name}.tflite"
        paths[name].write_bytes(embed_metadata(make(), {**meta, "quantized": name != "float"}))
        print(f"converted {name:15s} in {time.perf_counter() - t:5.1f} s", flush=True)
    return paths


CHILD = """
import json, os, sys, time
os.sched_setaffinity(0, {int(sys.argv[4])})   # before numpy starts any thread: every thread on this one core
def rss():   # MB: anonymous (heap) and whole resident set
    d = {l.split(':')[0]: int(l.split()[1]) / 1e3 for l in open('/proc/self/status') if l.startswith(('RssAnon', 'VmRSS'))}
    return d['RssAnon'], d['VmRSS']
from deepspeech_nb.audio import load_audio
from deepspeech_nb.inference import Model
path, repeats, mode, audio_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[5]
options = {'xnnpack': {}, 'builtin': {'xnnpack': False}, 'lean': {'weight_cache': path + '.xnnpack_cache'}}[mode]
if mode == 'lean': Model(path, **options)   # first load packs the weights into the cache file
audio = load_audio(audio_path, 16000)
before = rss()
model = Model(path, num_threads=1, **options)
model.stt(audio)   # warm-up: XNNPACK packs its weights at the first step (or maps them from the cache)
times = []
for _ in range(repeats):
    t, c = time.perf_counter(), time.process_time(); model.stt(audio)
    times.append((time.perf_counter() - t, time.process_time() - c))
after, seconds = rss(), len(audio) / model.sample_rate
print(json.dumps([min(t[0] for t in times) / seconds, min(t[1] for t in times) / seconds,
                  after[0] - before[0], after[1] - before[1]]))
"""


def measure(path: Path, audio_path: str, repeats: int, mode: str) -> tuple[float, float, float, float]:
    "(wall RTF, CPU RTF, heap growth MB, RSS growth MB) of `Model.stt` in `mode`: one thread, one core, no TensorFlow."
    cpu = sorted(os.sched_getaffinity(0))[-1] if hasattr(os, "sched_getaffinity") else 0
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    res = subprocess.run([sys.executable, "-c", CHILD, str(path), str(repeats), mode, str(cpu), audio_path],
                         capture_output=True, text=True, env=env)
    if res.returncode: return (float("nan"),) * 4   # e.g. a model this mode cannot run
    return tuple(json.loads(res.stdout.strip().splitlines()[-1]))


def report(args, paths, sizes, rows, audio_path) -> None:
    "The table: size, then CPU RTF and heap growth per mode."
    from deepspeech_nb.audio import audio_duration
    print(f"\nn_hidden {args.n_hidden}, {audio_duration(audio_path):.2f} s of audio, 1 thread on 1 core (a fresh process "
          f"without TensorFlow), best of {args.repeats}")
    print("RTF = CPU seconds per second of audio; heap = growth of anonymous resident memory, MB (whole RSS growth)")
    print(f"{'model':16s} {'size MB':>8s} " + " ".join(f"{m + ' RTF':>12s} {m + ' heap':>18s}" for m in MODES))
    for k in paths:
        cells = [f"{rows[k, m][1]:12.3f} {rows[k, m][2]:9.1f} ({rows[k, m][3]:6.1f})" for m in MODES]
        print(f"{k:16s} {sizes[k]:8.1f} " + " ".join(cells))
    print(f"\nint8 / float size {sizes['int8'] / sizes['float']:.2f}x; int8 xnnpack / builtin CPU time "
          f"{rows['int8', 'xnnpack'][1] / rows['int8', 'builtin'][1]:.2f}x; export graph / Keras LSTM loop "
          f"{rows['int8', 'xnnpack'][1] / rows['int8-keras-lstm', 'xnnpack'][1]:.2f}x")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n_hidden", type=int, default=2048)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--audio", help="utterance to transcribe (default: the bundled LDC93S1, 2.9 s)")
    args = p.parse_args(argv)
    from deepspeech_nb.core import data_path
    audio_path = str(args.audio or data_path("deepspeech", "LDC93S1.wav"))
    with tempfile.TemporaryDirectory() as tmp:
        paths = build_models(args.n_hidden, Path(tmp), audio_path)
        sizes = {k: p.stat().st_size / 1e6 for k, p in paths.items()}
        rows = {(k, m): measure(paths[k], audio_path, args.repeats, m) for k in paths for m in MODES}
    report(args, paths, sizes, rows, audio_path)
    for k in paths:
        for m in MODES: print("RESULT " + json.dumps({"model": k, "mode": m, "size_mb": sizes[k], "rtf_wall": rows[k, m][0],
                                                      "rtf_cpu": rows[k, m][1], "heap_mb": rows[k, m][2], "rss_mb": rows[k, m][3]}))
    best, lean, lean_heap = rows["int8", "xnnpack"][1], rows["int8", "lean"][1], rows["int8", "lean"][2]
    ok = {"size": sizes["int8"] <= TARGET_MB, "rtf": best <= TARGET_RTF, "fast": min(best, lean) <= FAST_RTF,
          "lean": lean_heap <= LEAN_FRACTION * sizes["int8"] and lean <= 1.2 * best}
    print(f"targets: int8 size {sizes['int8']:.1f} MB <= {TARGET_MB}: {ok['size']}; int8 RTF {best:.3f} <= {TARGET_RTF}: "
          f"{ok['rtf']}; fastest int8 RTF {min(best, lean):.3f} <= {FAST_RTF}: {ok['fast']}; lean heap {lean_heap:.1f} MB <= "
          f"{LEAN_FRACTION:.0%} of {sizes['int8']:.1f} MB at RTF {lean:.3f}: {ok['lean']}")
    emit("inference_rtf", f"TFLite int8 RTF (CPU time, 1 thread, xnnpack), n_hidden {args.n_hidden}", best, "RTF",
         "limit (DeepSpeech 0.9 on one Raspberry Pi 4 core)", TARGET_RTF, higher_is_better=False, target=f"<= {TARGET_RTF}")
    emit("inference_rtf", f"TFLite int8 RTF, lean mode (xnnpack weight cache), n_hidden {args.n_hidden}", lean, "RTF",
         "limit (issue #16)", FAST_RTF, higher_is_better=False, target=f"<= {FAST_RTF}")
    emit("inference_rtf", f"heap growth of the lean mode, n_hidden {args.n_hidden}", lean_heap, "MB",
         "10% of the int8 model file", LEAN_FRACTION * sizes["int8"], higher_is_better=False, target="<= 10% of the file")
    emit("inference_rtf", f"heap growth with xnnpack (default), n_hidden {args.n_hidden}", rows["int8", "xnnpack"][2], "MB",
         "int8 model file", sizes["int8"], higher_is_better=False)
    emit("inference_rtf", f"heap growth of the lean mode, float model (4x the file), n_hidden {args.n_hidden}",
         rows["float", "lean"][2], "MB", "10% of the float model file", LEAN_FRACTION * sizes["float"], higher_is_better=False,
         target="<= 10% of the file", note=f"RTF {rows['float', 'lean'][1]:.3f}")
    emit("inference_rtf", f"TFLite full-int8 RTF, lean mode, n_hidden {args.n_hidden}", rows["full-int8", "lean"][1], "RTF",
         "int8 (dynamic range), lean mode", lean, higher_is_better=False,
         note=f"heap growth {rows['full-int8', 'lean'][2]:.1f} MB")
    emit("inference_rtf", f"TFLite full-int8 RTF (CPU time, 1 thread, xnnpack), n_hidden {args.n_hidden}",
         rows["full-int8", "xnnpack"][1], "RTF", "int8 (dynamic range)", best, higher_is_better=False)
    emit("inference_rtf", f"TFLite int8 model size, n_hidden {args.n_hidden}", sizes["int8"], "MB", "limit", TARGET_MB,
         higher_is_better=False, target=f"<= {TARGET_MB} MB")
    return 0 if ok["size"] and ok["rtf"] else 1


if __name__ == "__main__":
    sys.exit(main())
