#!/usr/bin/env python3
"""A 1 M-row training CSV in bounded memory: start-up time and resident memory of one epoch's batch plan and the
first batches, against the limits (2 GB of RAM, 60 s to the first batch).

    .venv/bin/python bench/large_collection.py                 # 1,000,000 rows over 32 real wav files
    .venv/bin/python bench/large_collection.py --rows 100000   # the quick mode of `make bench`
    .venv/bin/python bench/large_collection.py --format sdb    # 1,000,000 Opus entries in one SDB (~0.6 GB)

The CSV simulates a Common Voice-sized corpus (1.5 M clips) without 1.5 M files: its rows point, round robin,
at a small pool of real 16 kHz PCM wav files of 1-8 s, each row with its own transcript. What is timed is what
`deepspeech-nb train` does before its first step: `pipeline.load_split` (read the CSV into columns, durations from
`wav_filesize`, sort, encode every transcript, CTC feasibility), `pipeline.batch_plan` (a shuffled epoch), then
decoding and featurizing the first batches. RSS is this process's peak resident memory (ru_maxrss), which
includes TensorFlow's own ~0.5 GB. With `--format sdb` the collection is one SDB of that many Opus entries (32
distinct clips of 0.5-2 s at 6 kbit/s, repeated), whose durations come from each entry's Opus header.
"""
import argparse, csv, os, resource, sys, tempfile, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from pathlib import Path
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from summary import emit
from deepspeech_nb.audio import opus_encode, write_wav
from deepspeech_nb.features import FeatureConfig
from deepspeech_nb.pipeline import SplitConfig, load_split, batch_plan, make_dataset
from deepspeech_nb.samples import SDBWriter
from deepspeech_nb.text import load_alphabet

WORDS = "she had your dark suit in greasy wash water all year the quick brown fox jumps over lazy dog".split()
RSS_LIMIT_GB, STARTUP_LIMIT_S = 2.0, 60.0   # the targets of issue #16


def peak_rss_gb() -> float:
    "Peak resident memory of this process so far, GB (Linux reports ru_maxrss in KiB)."
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def make_pool(folder: Path, n_files: int, seed: int = 0) -> list[tuple[str, int, float]]:
    "(name, size in bytes, seconds) of `n_files` quiet-noise wav files of 1-8 s at 16 kHz."
    rng, pool = np.random.default_rng(seed), []
    for k in range(n_files):
        seconds = 1 + 7 * k / max(n_files - 1, 1)
        path = folder / f"clip{k:03d}.wav"
        write_wav(path, (0.01 * rng.standard_normal(int(seconds * 16000))).astype(np.float32), 16000)
        pool.append((path.name, path.stat().st_size, seconds))
    return pool


def write_big_csv(path: Path, pool: list, rows: int, seed: int = 0) -> None:
    "A CSV of `rows` rows over `pool`, round robin, each with a transcript of ~2 words per second of its clip."
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f); w.writerow(["wav_filename", "wav_filesize", "transcript"])
        for i in range(rows):
            name, size, seconds = pool[i % len(pool)]
            w.writerow([name, size, transcript(rng, seconds)])


def transcript(rng, seconds: float) -> str:
    "About two words per second of audio."
    return " ".join(WORDS[j] for j in rng.integers(0, len(WORDS), max(1, int(2 * seconds))))


def write_big_sdb(path: Path, n_clips: int, rows: int, seed: int = 0) -> None:
    "An SDB of `rows` Opus entries cycling through `n_clips` noise clips of 0.5-2 s at 6 kbit/s."
    rng = np.random.default_rng(seed)
    clips = [(opus_encode((0.05 * rng.standard_normal(int(s * 16000))).astype(np.float32), 16000, 6000), s)
             for s in np.linspace(0.5, 2.0, n_clips)]
    with SDBWriter(path, "opus") as w:
        for i in range(rows):
            data, seconds = clips[i % n_clips]
            w.add_encoded(data, transcript(rng, seconds))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--pool", type=int, default=32, help="real wav files the rows point at")
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--batches", type=int, default=4, help="first batches decoded and featurized")
    p.add_argument("--format", choices=("csv", "sdb"), default="csv", help="collection type to simulate")
    p.add_argument("--workdir", default=None, help="where the pool and CSV go (default: a temporary folder)")
    a = p.parse_args(argv)
    folder = Path(a.workdir or tempfile.mkdtemp(prefix="large_collection-")); folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"big{a.rows}.{a.format}"
    if not csv_path.exists():
        t = time.perf_counter()
        if a.format == "csv": write_big_csv(csv_path, make_pool(folder, a.pool), a.rows)
        else: write_big_sdb(csv_path, a.pool, a.rows)
        print(f"wrote {csv_path} ({a.rows} rows, {csv_path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s")
    rss0, t0 = peak_rss_gb(), time.perf_counter()
    split = load_split("train", SplitConfig(str(csv_path), a.batch_size), load_alphabet(None), FeatureConfig())
    t_split, rss_split = time.perf_counter() - t0, peak_rss_gb()
    plan = batch_plan(len(split), a.batch_size, shuffle=True, seed=0, epoch=0)
    t_plan = time.perf_counter() - t0
    got = [b for b in make_dataset(split, FeatureConfig(), plan, list(range(a.batches)))]
    t_first = time.perf_counter() - t0
    hours = float(split.collection.durations.sum()) / 3600
    print(f"{len(split)} samples ({hours:.0f} h), {len(plan)} batches of {a.batch_size}")
    print(f"load_split {t_split:.1f} s (peak RSS {rss_split:.2f} GB), + batch plan {t_plan:.1f} s, "
          f"+ first {len(got)} batches {t_first:.1f} s; peak RSS {peak_rss_gb():.2f} GB (before opening: {rss0:.2f} GB)")
    emit("large_collection", f"start-up to first batch, {a.rows:,}-row {a.format.upper()}", t_first, "s", "limit", STARTUP_LIMIT_S,
         higher_is_better=False, target=f"< {STARTUP_LIMIT_S:g} s")
    emit("large_collection", f"peak RSS, {a.rows:,}-row {a.format.upper()} plan + first batches", peak_rss_gb(), "GB", "limit",
         RSS_LIMIT_GB, higher_is_better=False, target=f"< {RSS_LIMIT_GB:g} GB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
