#!/usr/bin/env python3
"""Common Voice import throughput: deepspeech_nb's in-process pool vs a sox subprocess per clip, side by side.

usage: .venv/bin/python bench/import_throughput.py [-n 500] [--jobs N] [--workdir DIR]

Both sides convert the same synthetic Common Voice clips (48 kHz mp3, from `synth-corpus`) to 16 kHz mono PCM16
wav on the same number of worker processes:

- deepspeech_nb: `import_cv2` (libsndfile decode + soxr resample on worker threads, PCM16 wav written directly).
- DeepSpeech 0.9's way: a multiprocessing pool whose workers run, per clip, the three subprocesses its
  `import_cv2.py` ran: pysox's `Transformer().convert(16000, 1, 16).build(mp3, wav)` first asks `soxi -c` for the
  input's channel count, then runs `sox -D -V2 in.mp3 -b 16 out.wav rate -h 16000 channels 1`; the importer then
  counted samples with `soxi -s out.wav`.

Prints clips/s, audio-seconds/s and CPU ms per clip for each, and the ratios (targets: >= 5x throughput, >= 8x less CPU).
"""
import argparse, os, resource, shutil, subprocess, sys, tempfile, time
from multiprocessing import Pool
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).parent))
from summary import emit, not_measured

from deepspeech_nb.importers import ImportConfig, import_cv2
from deepspeech_nb.synth import SynthConfig, synth_corpus


def sox_one(mp3: str) -> int:
    "DeepSpeech 0.9's per-clip work: soxi (pysox), sox to convert, soxi to count samples."
    wav = mp3[:-4] + ".wav"
    int(subprocess.check_output(["soxi", "-c", mp3], stderr=subprocess.DEVNULL))  # pysox's file_info.channels
    subprocess.run(["sox", "-D", "-V2", mp3, "-b", "16", wav, "rate", "-h", "16000", "channels", "1"],
                   check=True, capture_output=True)
    return int(subprocess.check_output(["soxi", "-s", wav], stderr=subprocess.STDOUT))


def fresh_release(corpus: Path, dst: Path) -> Path:
    "A copy of the synthetic release with no wavs or CSVs (hard links: cheap, and the mp3s stay in page cache)."
    if dst.exists(): shutil.rmtree(dst)
    shutil.copytree(corpus, dst, copy_function=os.link, ignore=shutil.ignore_patterns("*.wav", "*.csv", ".*"))
    return dst


def cpu_seconds() -> float:
    "CPU time of this process plus every finished (and waited-for) descendant: workers, sox, soxi."
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measured(fn):
    "Run fn() -> (clips, audio seconds); return (wall seconds, CPU seconds, clips, audio seconds)."
    w0, c0 = time.perf_counter(), cpu_seconds()
    clips, audio = fn()
    return time.perf_counter() - w0, cpu_seconds() - c0, clips, audio


def run_ours(cv: Path, jobs: int) -> tuple[int, float]:
    report = import_cv2(cv, ImportConfig(max_duration=None, jobs=jobs), progress=False)
    return report.converted, report.seconds["validated"]


def run_sox(cv: Path, jobs: int) -> tuple[int, float]:
    mp3s = sorted(str(p) for p in (cv / "clips").glob("*.mp3"))
    with Pool(jobs) as pool: samples = list(pool.imap_unordered(sox_one, mp3s, chunksize=1))
    return len(mp3s), sum(samples) / 16000


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
        for name, fn in [("sox subprocesses per clip (DeepSpeech 0.9)", run_sox), ("deepspeech_nb import-cv2", run_ours)]:
            cv = fresh_release(corpus, work / "run")
            result = measured(lambda: fn(cv, a.jobs))
            if name not in best or result[0] < best[name][0]: best[name] = result
    print(f"\n{'method':<44}{'clips':>6}{'wall s':>8}{'clips/s':>9}{'audio-s/s':>11}{'CPU ms/clip':>13}"
          f"   ({a.jobs} workers, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    for name, (wall, cpu, clips, audio) in best.items():
        print(f"{name:<44}{clips:>6}{wall:>8.2f}{clips / wall:>9.1f}{audio / wall:>11.1f}{1000 * cpu / clips:>13.2f}")
    (sox_wall, sox_cpu, sox_n, _), (our_wall, our_cpu, our_n, _) = best.values()
    assert sox_n == our_n == a.n, f"both sides must convert all {a.n} clips (sox {sox_n}, ours {our_n})"
    emit("import_throughput", f"Common Voice import, {a.n} mp3 clips, {a.jobs} workers", our_n / our_wall, "clips/s",
         "sox subprocesses per clip (DeepSpeech 0.9's import_cv2)", sox_n / sox_wall, target=">= 5x")
    emit("import_throughput", f"Common Voice import CPU per clip (all processes and threads), {a.n} mp3 clips",
         1000 * our_cpu / our_n, "CPU ms/clip", "sox subprocesses per clip (DeepSpeech 0.9's import_cv2)",
         1000 * sox_cpu / sox_n, higher_is_better=False, target="<= 0.125x (8x less CPU)")
    print(f"\nspeed-up: {sox_wall / our_wall:.1f}x wall-clock throughput (target >= 5x), {sox_cpu / our_cpu:.1f}x less CPU per clip (target >= 8x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
