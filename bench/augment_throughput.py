#!/usr/bin/env python3
"""Does sample augmentation keep up with training? Augmented samples/s on all cores vs samples/s a training step eats.

usage: .venv/bin/python bench/augment_throughput.py [--seconds 5] [--samples 64] [--jobs N] [--steps 5] [--batch 16]
                                                    [--n_hidden 2048]

Augmentation side: a process pool (one worker per core) decodes each wav and applies the training guide's
"all augmentations" example (two overlays, reverb, gaps, resample, codec, volume) with `apply_sample_augmentations`,
once with the guide's probabilities and once with every p=1 (the worst case). Samples are LDC93S1 tiled to
`--seconds`; the overlay sources are a noise CSV and a speech CSV.

Training side: the DeepSpeech model (`build_model`, n_hidden 2048) on batches of `--batch` feature sequences as
long as those samples, one `tf.GradientTape` CTC + Adam step timed after two warm-up steps.

Prints samples/s for each side and the ratio augmentation / training (>= 1: augmentation keeps up, so the
training loop never waits on it; the pipeline overlaps the two).
"""
import argparse, os, sys, tempfile, time
from multiprocessing import get_context
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from summary import emit, not_measured

from deepspeech_nb.audio import SAMPLE_RATE, load_audio, write_wav
from deepspeech_nb.augment import GUIDE_ALL_AUGMENTATIONS, apply_sample_augmentations, parse_augmentations
from deepspeech_nb.core import data_path
from deepspeech_nb.samples import write_csv

_WORKER = {}


def make_data(folder: Path, seconds: float, n: int) -> tuple[list[str], Path, Path]:
    "n training wavs of `seconds` (LDC93S1 tiled), a noise CSV and a speech ('voices') CSV."
    ldc = load_audio(data_path("deepspeech", "LDC93S1.wav"))
    audio = np.tile(ldc, int(np.ceil(seconds * SAMPLE_RATE / len(ldc))))[:int(seconds * SAMPLE_RATE)]
    wavs = []
    for i in range(n):
        wavs.append(str(write_wav(folder / f"train_{i}.wav", np.roll(audio, i * 997), SAMPLE_RATE)))
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, 10 * SAMPLE_RATE).astype(np.float32)
    write_wav(folder / "noise.wav", noise, SAMPLE_RATE)
    noise_csv = write_csv(folder / "noise.csv", [("noise.wav", (folder / "noise.wav").stat().st_size, "noise")])
    voices_csv = write_csv(folder / "voices.csv", [(Path(w).name, Path(w).stat().st_size, "speech") for w in wavs[:8]])
    return wavs, noise_csv, voices_csv


def _init(specs: list[str]):
    _WORKER["augmentations"] = parse_augmentations(specs)
    _WORKER["rng"] = np.random.default_rng(os.getpid())


def _decode_and_augment(path_and_clock) -> int:
    path, clock = path_and_clock
    audio = load_audio(path)
    return len(apply_sample_augmentations(audio, SAMPLE_RATE, _WORKER["augmentations"], clock, _WORKER["rng"]))


def augmentation_rate(wavs: list[str], specs: list[str], jobs: int) -> float:
    "Samples/s decoded and augmented by a pool of `jobs` processes."
    work = [(w, i / max(1, len(wavs) - 1)) for i, w in enumerate(wavs)]
    with get_context("spawn").Pool(jobs, _init, (specs,)) as pool:
        pool.map(_decode_and_augment, work[:jobs], chunksize=1)              # warm up: imports, source opening
        t0 = time.perf_counter()
        pool.map(_decode_and_augment, work, chunksize=1)
        return len(work) / (time.perf_counter() - t0)


def training_rate(seconds: float, batch: int, steps: int, n_hidden: int) -> tuple[float, str]:
    "Samples/s consumed by CTC training steps of the DeepSpeech model, and the device used."
    import tensorflow as tf
    from deepspeech_nb.features import FeatureConfig, n_frames
    from deepspeech_nb.model import ModelConfig, build_model
    cfg = ModelConfig(n_hidden=n_hidden)
    model, optimizer = build_model(cfg), tf.keras.optimizers.Adam(1e-4)
    frames = n_frames(int(seconds * SAMPLE_RATE), FeatureConfig())
    rng = np.random.default_rng(0)
    feats = tf.constant(rng.normal(size=(batch, frames, cfg.n_input)).astype(np.float32))
    label_len = max(1, frames // 4)
    labels = tf.constant(rng.integers(0, cfg.n_classes - 1, size=(batch, label_len)).astype(np.int32))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            logits = model(feats, training=True)
            loss = tf.reduce_mean(tf.nn.ctc_loss(labels, logits, tf.fill([batch], label_len), tf.fill([batch], frames),
                                                 logits_time_major=False, blank_index=-1))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    for _ in range(2): step().numpy()
    t0 = time.perf_counter()
    for _ in range(steps): step().numpy()
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    return batch * steps / (time.perf_counter() - t0), device


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=5.0, help="length of each training sample (default 5 s)")
    p.add_argument("--samples", type=int, default=64, help="samples augmented per measurement (default 64)")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="augmentation processes (default: all cores)")
    p.add_argument("--steps", type=int, default=5, help="timed training steps (default 5)")
    p.add_argument("--batch", type=int, default=16, help="training batch size (default 16)")
    p.add_argument("--n_hidden", type=int, default=2048, help="model width (default 2048)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wavs, noise, voices = make_data(Path(tmp), args.seconds, args.samples)
        seed_specs = [s.format(noise=noise, voices=voices) for s in GUIDE_ALL_AUGMENTATIONS]
        always = [s.replace(s[s.index("[p="):s.index(",")], "[p=1.0") for s in seed_specs]
        rates = {"guide's example (its p values)": augmentation_rate(wavs, seed_specs, args.jobs),
                 "every augmentation, p=1": augmentation_rate(wavs, always, args.jobs)}
    train, device = training_rate(args.seconds, args.batch, args.steps, args.n_hidden)
    print(f"{args.seconds:g} s samples, {args.jobs} augmentation processes, training n_hidden={args.n_hidden} "
          f"batch={args.batch} on {device}")
    print(f"  training consumes            {train:8.1f} samples/s")
    for name, rate in rates.items():
        print(f"  augmentation, {name:<30} {rate:8.1f} samples/s   ratio {rate / train:6.2f}x")
        emit("augment_throughput", f"sample augmentation ({name}), {args.seconds:g} s clips, {args.jobs} processes", rate,
             "samples/s", f"training step consumption, n_hidden {args.n_hidden}, batch {args.batch} ({device})", train,
             target=">= 1x (keeps up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
