#!/usr/bin/env python3
"""Run every bench/ script and write BENCHMARKS.md: one row per figure, with the peer or limit it is measured
against in the same run, the ratio, and the machine.

    .venv/bin/python bench/make_table.py              # full sizes (an hour or more on a small CPU machine)
    BENCH_QUICK=1 .venv/bin/python bench/make_table.py  # small sizes: a few minutes (`make bench BENCH_QUICK=1`)
    .venv/bin/python bench/make_table.py --only large_collection pipeline   # rerun a subset, keep the other rows

Each script prints `BENCH_ROW {json}` lines (bench/summary.py); a script that fails or cannot run here (a missing
optional environment, no GPU) becomes a "not measured" row with the reason, so the table always says what it lacks. The rows are also kept in bench/results.json, so `--only` reruns some
scripts and rewrites the table with the others' last rows.
"""
import argparse, json, os, platform, shutil, subprocess, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from summary import PREFIX

ROOT = Path(__file__).resolve().parents[1]
# name -> (full-size arguments, quick arguments); a name "script:variant" runs bench/script.py
BENCHES = {
    "large_collection": ([], []),   # 1 M rows even in quick mode: under a minute
    "large_collection:sdb": (["--format", "sdb"], ["--format", "sdb", "--rows", "100000"]),
    "pipeline": ([], ["--samples", "48", "--batch", "8", "--steps", "2"]),
    "train_throughput": ([], ["--batch", "8", "32", "--steps", "2", "--keras_lstm_batch", "8"]),   # issue #16's batches
    "augment_throughput": ([], ["--samples", "16", "--batch", "4", "--steps", "2"]),
    "import_throughput": ([], ["-n", "200"]),
    "inference_rtf": ([], ["--repeats", "1"]),
    "decoder_speed": ([], ["--utterances", "8", "--repeats", "2"]),   # beam 1024 even in quick mode: seconds
    "gpu_parity": ([], []),
}


def machine() -> dict:
    "CPU model, cores, GPU (nvidia-smi) and load of this machine."
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor() or platform.machine()) \
        if Path("/proc/cpuinfo").exists() else platform.processor()
    gpu = "none"
    if shutil.which("nvidia-smi"):
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
        gpu = "; ".join(out.stdout.strip().splitlines()) or "none"
    return {"cpu": cpu, "cores": os.cpu_count(), "gpu": gpu, "load": os.getloadavg()[0]}


def run_bench(name: str, args: list, timeout: int) -> tuple[list[dict], float]:
    "The summary rows of one script (or one 'not measured' row saying why), and its wall seconds."
    script = name.split(":")[0]
    cmd = [sys.executable, str(ROOT / "bench" / f"{script}.py"), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    t = time.perf_counter()
    try: out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        return [_missing(name, f"ran past {timeout} s")], time.perf_counter() - t
    rows = [json.loads(l[len(PREFIX):]) for l in out.stdout.splitlines() if l.startswith(PREFIX)]
    if not rows:
        why = (out.stdout.strip().splitlines() or out.stderr.strip().splitlines() or ["no output"])[-1][:160]
        rows = [_missing(name, f"exit {out.returncode}: {why}")]
    for r in rows: r["command"] = " ".join(["bench/" + script + ".py", *args])
    return rows, time.perf_counter() - t


def _missing(name, why) -> dict:
    return {"bench": name, "figure": f"{name} (all figures)", "value": None, "unit": "", "against": "",
            "against_value": None, "ratio": None, "target": "", "note": f"not measured: {why}"}


def fmt(x) -> str:
    if x is None: return "not measured"
    if isinstance(x, float): return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"
    return str(x)


def table(rows: list[dict], info: dict, quick: bool, seconds: float, load_after: float, partial: bool = False,
          note: str = "") -> str:
    "BENCHMARKS.md text."
    lines = ["# Benchmarks", "",
             f"Written by `make bench{' BENCH_QUICK=1' if quick else ''}` (bench/make_table.py) on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {seconds / 60:.1f} min"
             f"{' (a partial rerun with --only; the other rows are from the previous run)' if partial else ''}"
             f"{' (quick mode: small sizes, see each command)' if quick else ''}.", "",
             f"Machine: {info['cpu']}, {info['cores']} cores, GPU: {info['gpu']}. Load average "
             f"{info['load']:.1f} at the start and {load_after:.1f} at the end: other work on the same cores makes "
             "every figure here noisy, and the ratios (measured side by side in one run) less so than the absolute values.", "",
             *([note, ""] if note else []),
             "Each figure is measured against a peer or a limit in the same run; ratio = value / that value "
             "(for times, memory and RTF lower is better).", "",
             "| figure | value | unit | measured against | its value | ratio | target | note | command |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        cells = [r["figure"], fmt(r["value"]), r.get("unit", ""), r.get("against", ""), fmt(r.get("against_value")),
                 "" if r.get("ratio") is None else f"{r['ratio']:.3g}x", r.get("target", ""), r.get("note", ""),
                 f"`{r.get('command', '')}`"]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", default=None, help="run only these scripts")
    p.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    p.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""), help="a line about this run (e.g. the load)")
    p.add_argument("--results", default=str(ROOT / "bench" / "results.json"), help="rows of the last runs (kept by --only)")
    a = p.parse_args(argv)
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    info, t0 = machine(), time.perf_counter()
    kept = json.loads(Path(a.results).read_text())["rows"] if a.only and Path(a.results).exists() else {}
    rows = {}
    for name, (full, short) in BENCHES.items():
        if a.only and name not in a.only:
            if name in kept: rows[name] = kept[name]
            continue
        rows[name], seconds = run_bench(name, short if quick else full, 900 if quick else 7200)
        print(f"{name}: {len(rows[name])} row(s) in {seconds:.0f} s", flush=True)
    Path(a.results).write_text(json.dumps({"machine": info, "quick": quick, "rows": rows}, indent=1) + "\n")
    Path(a.output).write_text(table([r for got in rows.values() for r in got], info, quick,
                                    time.perf_counter() - t0, os.getloadavg()[0], partial=bool(a.only), note=a.note))
    print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
