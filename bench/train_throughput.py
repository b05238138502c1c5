#!/usr/bin/env python3
"""Training speed of the DeepSpeech model, as audio-seconds per second and as a share of this machine's float32
matmul rate, both measured in this run.

    .venv/bin/python bench/train_throughput.py                       # n_hidden 2048, batch 8 and 32
    .venv/bin/python bench/train_throughput.py --batch 8 --steps 3 --amp   # on a GPU: with mixed precision too

On CPU it also times Keras' own LSTM loop at batch 8 (`--keras_lstm_batch`) and prints the speed-up of the
training step's hand-written LSTM gradient (`deepspeech_nb.model.FastLSTM`) over it.

The step timed is `deepspeech_nb.train.make_train_step` (the one `deepspeech-nb train` runs: forward, CTC loss,
backward, Adam update) on batches of LDC93S1 features. Its float count is the model's multiply-adds per frame
(47.2 M at n_hidden 2048) x 2 (multiply + add) x 3 (forward, gradient w.r.t. inputs, gradient w.r.t. weights),
times the frames in the batch; element-wise work (activations, LSTM gates, CTC, Adam) is left out, so the share
is a lower bound. The peak is the best rate of a large `tf.matmul` on the same device. A last line times the
input pipeline alone (decode + features) for comparison with what a step consumes.
"""
import argparse, os, sys, time
from pathlib import Path
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
import keras

sys.path.insert(0, str(Path(__file__).parent))
from summary import emit, not_measured

from deepspeech_nb.core import data_path
from deepspeech_nb.features import FeatureConfig, audio_to_features
from deepspeech_nb.audio import load_audio
from deepspeech_nb.model import ModelConfig, build_model, use_fast_lstm
from deepspeech_nb.text import load_alphabet
from deepspeech_nb.train import TrainConfig, make_optimizer, make_train_step, batch_signature


def matmul_peak(n: int = 4096, repeats: int = 10, device: str | None = None) -> float:
    "Best float32 FLOP/s of an n x n matmul (chained inside one tf.function)."
    with tf.device(device or ("/GPU:0" if tf.config.list_logical_devices("GPU") else "/CPU:0")):
        a = tf.random.normal((n, n)); b = tf.random.normal((n, n)) / n
        @tf.function
        def chain(x):
            for _ in range(4): x = tf.matmul(x, b)
            return x
        chain(a).numpy()
        best = 0.0
        for _ in range(repeats):
            t = time.perf_counter(); chain(a).numpy(); dt = time.perf_counter() - t
            best = max(best, 4 * 2 * n ** 3 / dt)
    return best


def macs_per_frame(cfg: ModelConfig) -> int:
    "Multiply-adds per frame of the forward pass (dense layers and LSTM; 47.2 M at n_hidden 2048)."
    h, w = cfg.n_hidden, cfg.window_width * cfg.n_input
    return w * h + 2 * h * h + 4 * h * (h + h) + h * h + h * cfg.n_classes


def ldc93s1_batch(batch_size: int, fcfg: FeatureConfig, alphabet):
    "A batch of `batch_size` copies of LDC93S1's features and labels (2.92 s, 145 frames each)."
    audio = load_audio(data_path("deepspeech", "LDC93S1.wav"))
    feats = audio_to_features(audio, fcfg).numpy()
    labels = np.array(alphabet.encode("she had your dark suit in greasy wash water all year"), np.int32)
    return (tf.constant(np.repeat(feats[None], batch_size, 0)), tf.constant([len(feats)] * batch_size, tf.int32),
            tf.constant(np.repeat(labels[None], batch_size, 0)), tf.constant([len(labels)] * batch_size, tf.int32)), \
        len(audio) / 16000


def time_training(n_hidden: int, batch_size: int, steps: int, amp: bool = False, fast_lstm: bool = True) -> dict:
    "Seconds per step of the real training step, and what that means in audio-seconds/s and FLOP/s."
    keras.mixed_precision.set_global_policy("mixed_float16" if amp else "float32")
    keras.utils.set_random_seed(1)
    fcfg, alphabet = FeatureConfig(), load_alphabet(None)
    cfg = ModelConfig(n_hidden=n_hidden, n_classes=alphabet.size + 1)
    model = build_model(cfg, "mixed_float16" if amp else None)
    if fast_lstm: use_fast_lstm(model)
    optimizer = make_optimizer(TrainConfig(automatic_mixed_precision=amp))
    optimizer.build(model.trainable_variables)
    step = make_train_step(model, optimizer, tf.distribute.get_strategy(), batch_size, amp,
                           batch_signature(fcfg.n_input) + [tf.TensorSpec([], tf.bool)])
    args, seconds = ldc93s1_batch(batch_size, fcfg, alphabet)
    apply = tf.constant(True)
    for _ in range(2): step(*args, apply).numpy()            # trace + warm up
    times = []
    for _ in range(steps):
        t = time.perf_counter(); step(*args, apply).numpy(); times.append(time.perf_counter() - t)
    dt = float(np.median(times))
    frames = batch_size * int(args[1][0])
    keras.mixed_precision.set_global_policy("float32")
    return {"seconds_per_step": dt, "audio_seconds_per_second": batch_size * seconds / dt,
            "flops_per_second": 6 * macs_per_frame(cfg) * frames / dt}


def pipeline_rate(batch_size: int, batches: int = 8) -> float:
    "Audio-seconds/s the input pipeline (decode + features, in-process) delivers from a CSV of LDC93S1 copies."
    import tempfile
    from pathlib import Path
    from deepspeech_nb.importers import import_ldc93s1
    from deepspeech_nb.pipeline import SplitConfig, load_split, batch_plan, make_dataset
    csv = import_ldc93s1(Path(tempfile.mkdtemp()))
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join([lines[0]] + lines[1:] * (batch_size * batches)) + "\n")
    split = load_split("train", SplitConfig(str(csv), batch_size), load_alphabet(None), FeatureConfig())
    plan = batch_plan(len(split), batch_size)
    t = time.perf_counter()
    for _ in make_dataset(split, FeatureConfig(), plan): pass
    return len(split) * 46797 / 16000 / (time.perf_counter() - t)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n_hidden", type=int, default=2048)
    ap.add_argument("--batch", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--steps", type=int, default=5, help="timed steps per batch size (median reported)")
    ap.add_argument("--amp", action="store_true", help="also time --automatic_mixed_precision (GPU)")
    ap.add_argument("--keras_lstm_batch", type=int, default=8,
                    help="also time Keras' own LSTM loop at this batch size, for the ratio (0: skip)")
    args = ap.parse_args(argv)
    gpu = bool(tf.config.list_logical_devices("GPU"))
    peak = matmul_peak()
    print(f"device: {'GPU' if gpu else f'CPU ({os.cpu_count()} cores)'}; float32 matmul peak {peak / 1e9:.1f} GFLOP/s")
    print(f"{'n_hidden':>8} {'batch':>5} {'precision':>9} {'LSTM':>9} {'s/step':>8} {'audio s/s':>9} {'GFLOP/s':>8} {'of peak':>7}")
    runs = [(b, amp, True) for b in args.batch for amp in ([False, True] if args.amp else [False])]
    if args.keras_lstm_batch and not gpu: runs.append((args.keras_lstm_batch, False, False))
    results = {}
    local_peak = {}   # the load on a shared machine drifts: each batch size is compared with a peak measured beside it
    for batch, amp, fast in runs:
        r = results[batch, amp, fast] = time_training(args.n_hidden, batch, args.steps, amp, fast)
        if fast and not amp: local_peak[batch] = matmul_peak(repeats=3)   # right after the steps, under the same load
        print(f"{args.n_hidden:>8} {batch:>5} {'mixed16' if amp else 'float32':>9} {'ours' if fast else 'keras':>9} "
              f"{r['seconds_per_step']:>8.3f} {r['audio_seconds_per_second']:>9.2f} {r['flops_per_second'] / 1e9:>8.1f} "
              f"{r['flops_per_second'] / local_peak.get(batch, peak):>7.1%}")
    b = args.keras_lstm_batch
    if (b, False, False) in results and (b, False, True) in results:
        print(f"speed-up of the hand-written LSTM gradient over Keras' loop at batch {b}: "
              f"{results[b, False, False]['seconds_per_step'] / results[b, False, True]['seconds_per_step']:.2f}x")
    if (b, False, False) in results and (b, False, True) in results:
        emit("train_throughput", f"training step, hand-written LSTM gradient, n_hidden {args.n_hidden}, batch {b}",
             results[b, False, True]["audio_seconds_per_second"], "audio s/s", "Keras' own LSTM loop, same step",
             results[b, False, False]["audio_seconds_per_second"], target="> 1x")
    for batch in args.batch:
        r = results[batch, False, True]
        target = {8: ">= 0.55x", 32: ">= 0.7x"}.get(batch, "")
        emit("train_throughput", f"training step float32, n_hidden {args.n_hidden}, batch {batch}", r["flops_per_second"] / 1e9,
             "GFLOP/s", "float32 matmul peak of this device, measured right after these steps",
             local_peak.get(batch, peak) / 1e9, target=target, note=f"{r['audio_seconds_per_second']:.1f} audio s/s")
    if args.amp:
        for b in args.batch:
            print(f"mixed precision speed-up at batch {b}: "
                  f"{results[b, False, True]['seconds_per_step'] / results[b, True, True]['seconds_per_step']:.2f}x")
            emit("train_throughput", f"mixed precision step, n_hidden {args.n_hidden}, batch {b}",
                 results[b, True, True]["audio_seconds_per_second"], "audio s/s", "float32 step, same batch",
                 results[b, False, True]["audio_seconds_per_second"], target=">= 1.4x")
    elif not gpu:
        not_measured("train_throughput", f"mixed precision speed-up, n_hidden {args.n_hidden}", "no GPU lent", ">= 1.4x")
    print(f"input pipeline alone (decode + features, batch {args.batch[-1]}): "
          f"{pipeline_rate(args.batch[-1]):.0f} audio s/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
