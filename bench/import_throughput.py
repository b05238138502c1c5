#!/usr/bin/env python3
"""Common Voice import throughput: deepspeech_nb's in-process pool vs a sox subprocess per clip, side by side.

usage: .venv/bin/python bench/import_throughput.py [-n 500] [--jobs N] [--workdir DIR]

Both sides convert the same synthetic Common Voice clips (48 kHz mp3, from `synth-corpus`) to 16 kHz mono PCM16
wav on the same number of worker processes:

- deepspeech_nb: `import_cv2` (libsndfile decode + soxr resample inside the workers, wav written by Python).
- DeepSpeech 0.9's way: a multiprocessing pool whose workers run, per clip, `sox in.mp3 -r 16000 -c 1 -b 16
  out.wav` (what pysox's Transformer.build ran) and then `soxi -s out.wav` (how import_cv2.py counted samples).
  pysox added further `soxi` calls of its own; leaving them out makes this baseline a conservative one.

Prints clips/s, audio-seconds/s for each and the ratio (target: >= 5x).
"""
import argparse, os, shutil, subprocess, sys, tempfile, time
from multiprocessing import Pool
from pathlib import Path

import soundfile as sf

from deepspeech_nb.importers import ImportConfig, import_cv2
from deepspeech_nb.synth import SynthConfig, synth_corpus


def sox_one(mp3: str) -> int:
    "DeepSpeech 0.9's per-clip work: a sox subprocess to convert, a soxi subprocess to count samples."
    wav = mp3[:-4] + ".wav"
    subprocess.run(["sox", mp3, "-r", "16000", "-c", "1", "-b", "16", wav], check=True, capture_output=True)
    return int(subprocess.check_output(["soxi", "-s", wav], stderr=subprocess.STDOUT))


def fresh_release(corpus: Path, dst: Path) -> Path:
    "A copy of the synthetic release with no wavs or CSVs (hard links: cheap, and the mp3s stay in page cache)."
    if dst.exists(): shutil.rmtree(dst)
    shutil.copytree(corpus, dst, copy_function=os.link, ignore=shutil.ignore_patterns("*.wav", "*.csv", ".*"))
    return dst


def time_ours(corpus: Path, work: Path, jobs: int) -> tuple[float, int, float]:
    cv = fresh_release(corpus, work / "ours")
    t0 = time.perf_counter()
    report = import_cv2(cv, ImportConfig(max_duration=None, jobs=jobs), progress=False)
    elapsed = time.perf_counter() - t0
    return elapsed, report.converted, report.seconds["validated"]


def time_sox(corpus: Path, work: Path, jobs: int) -> tuple[float, int, float]:
    cv = fresh_release(corpus, work / "sox")
    mp3s = sorted(str(p) for p in (cv / "clips").glob("*.mp3"))
    t0 = time.perf_counter()
    with Pool(jobs) as pool: samples = list(pool.imap_unordered(sox_one, mp3s, chunksize=1))
    elapsed = time.perf_counter() - t0
    return elapsed, len(mp3s), sum(samples) / 16000


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-n", type=int, default=500, help="synthetic clips (default 500)")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes for both sides (default: all cores)")
    p.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "deepspeech_nb_bench"),
                   help="where the synthetic corpus is cached and the imports run")
    p.add_argument("--repeat", type=int, default=1, help="alternate the two sides this many times; report the best")
    a = p.parse_args(argv)
    if not shutil.which("sox"): sys.exit("bench needs sox (scripts/setup-system.sh installs it, with libsox-fmt-mp3)")
    work = Path(a.workdir); corpus = work / f"cv_n{a.n}"
    t0 = time.perf_counter()
    synth_corpus(corpus, SynthConfig(n=a.n), jobs=a.jobs, progress=False)
    print(f"corpus: {a.n} synthetic Common Voice clips in {corpus} ({time.perf_counter() - t0:.1f} s to make or check)")
    for mp3 in (corpus / "clips").glob("*.mp3"): mp3.read_bytes()  # both sides start from a warm page cache
    best = {}
    for _ in range(a.repeat):
        for name, fn in [("sox subprocess per clip (DeepSpeech 0.9)", time_sox), ("deepspeech_nb import-cv2", time_ours)]:
            elapsed, clips, audio = fn(corpus, work, a.jobs)
            if name not in best or elapsed < best[name][0]: best[name] = (elapsed, clips, audio)
    print(f"\n{'method':<42}{'clips':>7}{'seconds':>10}{'clips/s':>10}{'audio-s/s':>11}   ({a.jobs} worker processes, {os.cpu_count()} cores)")
    for name, (elapsed, clips, audio) in best.items():
        print(f"{name:<42}{clips:>7}{elapsed:>10.2f}{clips / elapsed:>10.1f}{audio / elapsed:>11.1f}")
    (sox_t, sox_n, _), (ours_t, ours_n, _) = best.values()
    assert sox_n == ours_n == a.n, f"both sides must convert all {a.n} clips (sox {sox_n}, ours {ours_n})"
    print(f"\nspeed-up: {sox_t / ours_t:.1f}x (target >= 5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
