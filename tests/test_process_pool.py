"""`core.WorkerPool` in real processes: an unguarded script is not run again by its workers, and a parent killed
with SIGKILL leaves no workers behind."""
import os, signal, subprocess, sys, time, textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# An UNGUARDED script, like DeepSpeech 0.9's bin/*.py: top-level code that opens a pool.
UNGUARDED = textwrap.dedent("""
    import os, sys
    from deepspeech_nb.core import WorkerPool
    print("body", os.getpid(), flush=True)
    pool = WorkerPool(2)
    pids = {pool.submit(os.getpid).result() for _ in range(8)} | {f.result() for f in [pool.submit(os.getpid) for _ in range(8)]}
    print("workers", *sorted(pids), flush=True)
    if sys.argv[1:] == ["hang"]: __import__("time").sleep(600)
    pool.shutdown()
""")

def _start(tmp_path, *args):
    script = tmp_path / "unguarded.py"; script.write_text(UNGUARDED)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=tmp_path)

def _alive(pid: int) -> bool:
    try: os.kill(pid, 0)
    except ProcessLookupError: return False
    try: return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"   # a zombie is gone
    except FileNotFoundError: return False

def test_unguarded_script_runs_once(tmp_path):
    proc = _start(tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.count("body") == 1, out                      # no worker re-ran the script as __mp_main__
    assert "bootstrapping phase" not in err and "Traceback" not in err, err
    workers = [int(p) for p in out.split("workers")[1].split()]
    assert 1 <= len(workers) <= 2 and proc.pid not in workers

def test_sigkilled_parent_leaves_no_workers(tmp_path):
    proc = _start(tmp_path, "hang")
    line = ""
    while not line.startswith("workers"): line = proc.stdout.readline(); assert line, proc.stderr.read()
    workers = [int(p) for p in line.split()[1:]]
    assert all(map(_alive, workers))
    proc.send_signal(signal.SIGKILL); proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while any(map(_alive, workers)) and time.monotonic() < deadline: time.sleep(0.1)
    assert not any(map(_alive, workers)), f"workers {workers} outlived their killed parent"
