"""A training run as papermill executes it: `deepspeech-nb run nbs/runs/train.ipynb -p ...` makes one run folder
holding the executed notebook, the resolved parameters, the environment and the metrics (house style: run records);
several values of a parameter make a grid of runs, `deepspeech-nb runs` compares them, and a run repeated with the
same parameters and seed repeats its metrics."""
import json, math, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "deepspeech-nb")
TINY = ["-p", "epochs", "2", "-p", "n_hidden", "8"]


def deepspeech_nb(*args, timeout=600):
    return subprocess.run([CLI, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def run_folders(runs_dir):
    return sorted(p for p in Path(runs_dir).iterdir() if p.is_dir())



def test_train_notebook_takes_the_small_data_recipe(tmp_path):
    "`-p recipe small_data` sets the recipe's flags the notebook leaves at their CLI defaults; its own values win."
    wav = ROOT / "deepspeech_nb" / "data" / "deepspeech" / "LDC93S1.wav"   # a test set named relative to where we type
    (tmp_path / "test.csv").write_text(f"wav_filename,wav_filesize,transcript\n{wav},{wav.stat().st_size},"
                                       "she had your dark suit in greasy wash water all year\n")
    relative = os.path.relpath(tmp_path / "test.csv", ROOT)   # the notebook itself runs in nbs/runs/
    out = deepspeech_nb("run", "nbs/runs/train.ipynb", "--runs_dir", tmp_path, "-p", "recipe", "small_data",
                        "-p", "epochs", "2", "-p", "n_hidden", "8", "-p", "test_files", relative)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    run, = run_folders(tmp_path)
    params = json.loads((run / "params.json").read_text())
    assert (params["normalize_features"], params["best_metric"]) == (True, "cer")             # from the recipe
    assert params["test_files"] == str(tmp_path / "test.csv")                                 # made absolute
    assert [a.split("[")[0] for a in params["augment"]] == ["frequency_mask", "relative_time_mask"]   # its masks too
    assert (params["n_hidden"], params["learning_rate"], params["dropout_rate"]) == (8, 0.002, 0.0)   # the notebook's
    model = json.loads((run / "checkpoints" / "flags.json").read_text())["model"]
    assert len(model["feature_mean"]) == 26

def test_grid_of_train_notebook_runs_into_run_folders_and_a_readable_table(tmp_path):
    out = deepspeech_nb("run", "nbs/runs/train.ipynb", "--runs_dir", tmp_path, "--name", "tiny",
                        "-p", "epochs", "2", "-p", "n_hidden", "8", "12")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    runs = run_folders(tmp_path)
    assert [r.name.split("-", 2)[-1] for r in runs] == ["tiny-n_hidden=8", "tiny-n_hidden=12"]
    for run, n_hidden in zip(runs, (8, 12)):
        params = json.loads((run / "params.json").read_text())
        assert params["epochs"] == 2 and params["n_hidden"] == n_hidden and params["run_dir"] == str(run)
        env = json.loads((run / "environment.json").read_text())
        assert env["packages"]["tensorflow"].startswith("2.21")
        assert len(json.loads((run / "metrics.json").read_text())) == 2     # one entry per epoch
        executed = json.loads((run / "train.ipynb").read_text())
        assert any("injected-parameters" in c["metadata"].get("tags", []) for c in executed["cells"])

    listing = deepspeech_nb("runs", "--runs_dir", tmp_path, timeout=120)
    assert listing.returncode == 0, listing.stderr
    header, *rows = listing.stdout.splitlines()
    assert header.split() == ["run", "notebook", "n_hidden", "train_loss", "best_train_loss", "test_wer", "test_cer",
                              "test_loss", "seconds"]         # only the parameter that differs, not ~40 of them
    assert len(rows) == 2 and all(len(line) < 160 for line in listing.stdout.splitlines())
    assert rows[0].split()[:3] == [runs[0].name, "train.ipynb", "8"] and rows[1].split()[2] == "12"


def test_run_rejects_unknown_parameters_before_running(tmp_path):
    out = deepspeech_nb("run", "nbs/runs/train.ipynb", "--runs_dir", tmp_path, "-p", "epoch", "2", timeout=120)
    assert out.returncode == 2 and "has no parameter(s) epoch" in out.stderr and "Traceback" not in out.stderr
    out = deepspeech_nb("run", "nbs/runs/train.ipynb", "--runs_dir", tmp_path, "-p", "n_hidden", "8", "-p", "epoch", "1", "2",
                        timeout=120)                         # a grid is checked whole before its first run
    assert out.returncode == 2 and "has no parameter(s) epoch" in out.stderr and "Traceback" not in out.stderr
    assert not any(tmp_path.iterdir())


def test_sweep_file_errors_name_the_file(tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("- n_hidden\n")
    out = deepspeech_nb("run", "nbs/runs/train.ipynb", "--runs_dir", tmp_path / "runs", "--sweep", sweep, timeout=120)
    assert out.returncode == 2 and f"sweep file {sweep}: write a mapping" in out.stderr and "Traceback" not in out.stderr


def test_failed_run_is_one_line_and_listed_as_failed(tmp_path):
    out = deepspeech_nb("run", "nbs/runs/train.ipynb", "--runs_dir", tmp_path, "-p", "train_files", tmp_path / "none.csv",
                        *TINY)
    assert out.returncode == 1 and "raised" in out.stderr and "Traceback" not in out.stderr, out.stderr[-3000:]
    listing = deepspeech_nb("runs", "--runs_dir", tmp_path, timeout=120)
    assert "failed" in listing.stdout.splitlines()[1]


@pytest.mark.slow
def test_same_parameters_and_seed_repeat_the_metrics(tmp_path):
    out = deepspeech_nb("run", "nbs/runs/train.ipynb", "--runs_dir", tmp_path, "-p", "epochs", "3", "-p", "n_hidden", "16",
                        "-p", "dropout_rate", "0.1", "-p", "random_seed", "1", "1", "2")
    assert out.returncode == 0, out.stderr[-4000:]
    first, again, other = [json.loads((r / "metrics.json").read_text()) for r in run_folders(tmp_path)]
    losses = lambda metrics: [e["train_loss"] for e in metrics]
    assert all(math.isclose(a, b, rel_tol=1e-5) for a, b in zip(losses(first), losses(again))), (first, again)
    assert losses(first) != losses(other)                     # the seed is what makes them equal
    tests = [json.loads((r / "test.json").read_text()) for r in run_folders(tmp_path)]
    assert tests[0]["wer"] == tests[1]["wer"] and math.isclose(tests[0]["loss"], tests[1]["loss"], rel_tol=1e-5)


def toy_notebook(path):
    "A two-parameter run notebook that writes per-epoch losses, so CLI behaviour is tested without training."
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('epochs: int = 3  # passes\nlr: float = 1.0  # step size\nrun_dir: str = ""  # the run folder')
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell('import json, pathlib\nm = [{"epoch": e + 1, "train_loss": lr / (e + 1)} for e in range(epochs)]\n'
                                     'pathlib.Path(run_dir, "metrics.json").write_text(json.dumps(m))')
    nb.cells = [params, body]
    nbformat.write(nb, path)
    return path


def test_sweep_file_and_parameters_make_a_grid(tmp_path):
    toy = toy_notebook(tmp_path / "toy.ipynb")
    (tmp_path / "sweep.yaml").write_text("lr: [1.0, 0.5]\n")
    out = deepspeech_nb("run", toy, "--runs_dir", tmp_path / "runs", "--sweep", tmp_path / "sweep.yaml",
                        "-p", "epochs", "2", "4", timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = run_folders(tmp_path / "runs")
    assert sorted(r.name.split("-", 2)[-1] for r in runs) == sorted(
        f"toy-lr={lr}-epochs={e}" for lr in (1.0, 0.5) for e in (2, 4))
    listing = deepspeech_nb("runs", "--runs_dir", tmp_path / "runs", timeout=120)
    header, *rows = listing.stdout.splitlines()
    assert header.split() == ["run", "notebook", "epochs", "lr", "train_loss", "best_train_loss", "seconds"]
    finals = sorted((float(r.split()[3]), int(r.split()[2]), float(r.split()[4])) for r in rows)
    assert finals == [(0.5, 2, 0.25), (0.5, 4, 0.125), (1.0, 2, 0.5), (1.0, 4, 0.25)]
    only = deepspeech_nb("runs", runs[0].name, "--runs_dir", tmp_path / "runs", "--all", timeout=120)
    assert len(only.stdout.splitlines()) == 2 and "run_dir" in only.stdout.splitlines()[0]
    missing = deepspeech_nb("runs", "nope", "--runs_dir", tmp_path / "runs", timeout=120)
    assert missing.returncode == 2 and "no run folder" in missing.stderr and "Traceback" not in missing.stderr
