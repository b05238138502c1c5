"""A training run as papermill executes it: `deepspeech-nb run nbs/runs/train.ipynb -p ...` makes one run folder
holding the executed notebook, the resolved parameters, the environment and the metrics (house style: run records)."""
import json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "deepspeech-nb")


def test_train_notebook_runs_into_a_run_folder(tmp_path):
    out = subprocess.run([CLI, "run", "nbs/runs/train.ipynb", "--runs_dir", str(tmp_path), "--name", "tiny",
                          "-p", "epochs", "2", "-p", "n_hidden", "8"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    (run,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert run.name.endswith("-tiny")
    params = json.loads((run / "params.json").read_text())
    assert params["epochs"] == 2 and params["n_hidden"] == 8 and params["run_dir"] == str(run)
    env = json.loads((run / "environment.json").read_text())
    assert env["packages"]["tensorflow"].startswith("2.21")
    metrics = json.loads((run / "metrics.json").read_text())
    assert len(metrics) == 2                                   # one entry per epoch
    executed = json.loads((run / "train.ipynb").read_text())
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in executed["cells"])

    listing = subprocess.run([CLI, "runs", "--runs_dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0 and run.name in listing.stdout


def test_run_rejects_unknown_parameters_before_running(tmp_path):
    out = subprocess.run([CLI, "run", "nbs/runs/train.ipynb", "--runs_dir", str(tmp_path), "-p", "epoch", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "has no parameter(s) epoch" in out.stderr and "Traceback" not in out.stderr
    assert not any(tmp_path.iterdir())
