#!/usr/bin/env python3
"""Input pipeline vs training step: samples/s `pipeline.make_dataset` delivers (decode + sample augmentation +
features, decoding in one process per core) against samples/s a training step consumes at n_hidden 2048, in the
same run.

    .venv/bin/python bench/pipeline.py                               # 5 s clips, 64 samples, batch 16
    .venv/bin/python bench/pipeline.py --samples 32 --steps 2        # the quick mode of `make bench`

The pipeline side runs what `deepspeech-nb train` runs for its training set without a feature cache: a CSV of wav
files (LDC93S1 tiled to `--seconds`), `AudioSource` with `--jobs` spawned decoding processes applying the guide's
sample augmentations (overlay, reverb, gaps, resample, codec, volume, each at the guide's probability), then the
spectrogram/MFCC graph in tf.data. A one-batch pass first starts the worker processes; then a whole epoch is
timed from an empty pipeline (its graph tracing included). The training side is
`deepspeech_nb.train.make_train_step` (FastLSTM on CPU) on batches of LDC93S1 (`bench/train_throughput.py`), its
audio-seconds/s divided by `--seconds` to give samples/s of the same clips (training cost is linear in frames).
Ratio >= 1: the pipeline keeps the step fed. On a GPU the step is much faster, so the GPU row is the one that
matters; without a GPU it is reported as not measured.
"""
import argparse, os, sys, tempfile, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from summary import emit, not_measured
from augment_throughput import make_data
from train_throughput import time_training

import tensorflow as tf
from deepspeech_nb.augment import GUIDE_ALL_AUGMENTATIONS, config_from_params as augment_config
from deepspeech_nb.features import FeatureConfig
from deepspeech_nb.pipeline import AudioSource, SampleLoader, SplitConfig, batch_plan, load_split, make_dataset
from deepspeech_nb.samples import write_csv
from deepspeech_nb.text import load_alphabet


def pipeline_rate(folder: Path, seconds: float, samples: int, batch: int, jobs: int) -> float:
    "Samples/s make_dataset delivers with the guide's sample augmentations, decoding in `jobs` processes."
    wavs, noise, voices = make_data(folder, seconds, samples)
    csv = write_csv(folder / "train.csv", [(Path(w).name, Path(w).stat().st_size, "she had your dark suit")
                                          for w in wavs])
    specs = [s.format(noise=noise, voices=voices) for s in GUIDE_ALL_AUGMENTATIONS]
    augment = augment_config({"augment": specs})
    fcfg = FeatureConfig()
    split = load_split("train", SplitConfig(str(csv), batch), load_alphabet(None), fcfg, verbose=False)
    plan = batch_plan(len(split), batch)
    loader = SampleLoader(split.collection, fcfg.audio_sample_rate, augment.sample_augmentations or None)
    with AudioSource(loader, jobs) as source:
        for _ in make_dataset(split, fcfg, plan, [0], source=source, augment=augment): pass   # spawn the workers
        t, n = time.perf_counter(), 0     # a fresh epoch from an empty pipeline: nothing decoded ahead of the clock
        for b in make_dataset(split, fcfg, plan, source=source, augment=augment): n += int(b["features"].shape[0])
        return n / (time.perf_counter() - t)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=5.0, help="length of each clip")
    p.add_argument("--samples", type=int, default=64, help="clips through the pipeline (first batch untimed)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="decoding processes (default: all cores)")
    p.add_argument("--n_hidden", type=int, default=2048)
    p.add_argument("--steps", type=int, default=5, help="timed training steps (median)")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        delivered = pipeline_rate(Path(tmp), a.seconds, a.samples, a.batch, a.jobs)
    step = time_training(a.n_hidden, a.batch, a.steps)
    consumed = step["audio_seconds_per_second"] / a.seconds
    gpu = bool(tf.config.list_logical_devices("GPU"))
    device = "GPU" if gpu else f"CPU ({os.cpu_count()} cores)"
    print(f"{a.seconds:g} s clips, batch {a.batch}, {a.jobs} decoding processes, training n_hidden {a.n_hidden} on {device}")
    print(f"  input pipeline delivers  {delivered:8.2f} samples/s")
    print(f"  training step consumes   {consumed:8.2f} samples/s   ratio {delivered / consumed:6.2f}x")
    emit("pipeline", f"input pipeline (decode + guide's sample augmentations + features), {a.seconds:g} s clips, "
         f"{a.jobs} processes", delivered, "samples/s", f"training step consumption, n_hidden {a.n_hidden}, batch "
         f"{a.batch} ({device})", consumed, target=">= 1x (keeps up)")
    if not gpu: not_measured("pipeline", f"input pipeline vs GPU training step, n_hidden {a.n_hidden}", "no GPU lent",
                             ">= 1x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
