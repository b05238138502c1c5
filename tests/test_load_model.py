"""A trained model loads in its own geometry; resume vs fine-tune; release folders stay untouched; play says what it skips.

Run as users do: `python3 DeepSpeech.py ...` and `deepspeech-nb ...` in subprocesses, on a 32-unit model trained for
one epoch on six cuts of LDC93S1 (seconds per run).
"""
import json, os, stat, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEEPSPEECH_PY = [sys.executable, str(ROOT / "DeepSpeech.py")]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb")]
WORDS = "she had your dark suit in greasy wash water all year".split()
QUIET = ["--noshow_progressbar", "--skip_batch_test", "--train_batch_size", "2", "--test_batch_size", "3"]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    "A scratch XDG data/cache home, so nothing lands in the user's."
    return tmp_path_factory.mktemp("home")


def run(args, home, **kw):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_DATA_HOME": str(home / "data")}
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=600, env=env, **kw)


@pytest.fixture(scope="module")
def trained(cuts, home, tmp_path_factory):
    "A checkpoint folder of a finished one-epoch run with --n_hidden 32."
    folder = tmp_path_factory.mktemp("trained") / "ckpt"
    out = run(DEEPSPEECH_PY + ["--train_files", str(cuts), "--n_hidden", "32", "--epochs", "1",
                               "--checkpoint_dir", str(folder), *QUIET], home)
    assert out.returncode == 0, out.stderr[-2000:]
    return folder


def progress(folder) -> dict:
    return json.loads((Path(folder) / "last" / "progress.json").read_text())


def test_test_only_and_export_use_the_checkpoints_geometry(trained, cuts, home, tmp_path):
    "The guide's test-only command needs no --n_hidden; the export from it is n_hidden 32 and says there is no .pbmm."
    out = run(DEEPSPEECH_PY + ["--checkpoint_dir", str(trained), "--test_files", str(cuts), "--export_dir",
                               str(tmp_path / "export"), *QUIET], home)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "WER" in out.stdout and "n_hidden" not in out.stderr
    assert "no .pbmm to make" in out.stdout and "memory-maps the .tflite" in out.stdout
    meta = json.loads((tmp_path / "export" / "metadata.json").read_text())
    assert '"n_hidden": 32' in json.dumps(meta)


def test_explicit_contradicting_n_hidden_gets_one_line_of_fitting_advice(trained, cuts, home):
    out = run(DEEPSPEECH_PY + ["--checkpoint_dir", str(trained), "--test_files", str(cuts), "--n_hidden", "2048",
                               *QUIET], home)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    ours = [l for l in out.stderr.splitlines() if l.startswith("deepspeech-nb")]   # TensorFlow's start-up lines aside
    assert len(ours) == 1, out.stderr
    line = ours[0]
    assert "trained with --n_hidden 32, but --n_hidden 2048 was given" in line
    assert "drop --n_hidden" in line and "pass the checkpoint trained with --n_hidden 2048" in line


def test_evaluate_and_export_refuse_only_a_contradicting_flag(trained, cuts, home, tmp_path):
    "`deepspeech-nb evaluate` and `export` read the checkpoint's geometry; a given --n_hidden of another size is refused."
    out = run(CLI + ["evaluate", "--load_checkpoint_dir", str(trained), "--test_files", str(cuts), "--n_hidden", "64",
                     "--beam_width", "1"], home)
    assert out.returncode == 1 and "Traceback" not in out.stderr and "drop --n_hidden" in out.stderr, out.stderr[-2000:]
    out = run(CLI + ["export", "--checkpoint_dir", str(trained), "--export_dir", str(tmp_path / "e"), "--n_hidden", "64"], home)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "drop --n_hidden" in out.stderr, out.stderr[-2000:]
    assert not (tmp_path / "e").exists()
    out = run(CLI + ["evaluate", "--load_checkpoint_dir", str(trained), "--test_files", str(cuts), "--beam_width", "1"], home)
    assert out.returncode == 0 and "WER" in out.stdout, out.stderr[-2000:]


def test_finished_run_fine_tunes_on_new_data_then_has_nothing_to_do(trained, cuts, home, tmp_path):
    "New --train_files on a finished run train --epochs MORE; the same command again names --fine_tune."
    import shutil
    folder = tmp_path / "ckpt"
    shutil.copytree(trained, folder)
    new_data = tmp_path / "new.csv"
    new_data.write_text(cuts.read_text())                       # other files as far as the checkpoint knows
    command = DEEPSPEECH_PY + ["--checkpoint_dir", str(folder), "--train_files", str(new_data), "--epochs", "1", *QUIET]
    out = run(command, home)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "fine-tuning: 1 more epochs on new data (was 1)" in out.stdout
    assert (progress(folder)["epoch"], progress(folder)["finished"]) == (2, True)
    again = run(command, home)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "training already finished (2 epochs); nothing to do: pass --fine_tune" in again.stdout
    assert progress(folder)["epoch"] == 2


def test_fine_tune_flag_trains_more_epochs_on_the_same_data(trained, cuts, home, tmp_path):
    import shutil
    folder = tmp_path / "ckpt"
    shutil.copytree(trained, folder)
    out = run(DEEPSPEECH_PY + ["--checkpoint_dir", str(folder), "--train_files", str(cuts), "--epochs", "2",
                               "--fine_tune", *QUIET], home)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "fine-tuning: 2 more epochs on the same data (--fine_tune) (was 1)" in out.stdout
    assert progress(folder)["epoch"] == 3
    assert [m["epoch"] for m in json.loads((folder / "run" / "metrics.json").read_text())] == [1, 2, 3]


def test_read_only_release_folder_is_tested_without_writing_into_it(cuts, home, tmp_path):
    "A DeepSpeech 0.9 (TF1) release folder, read-only: imported under $XDG_CACHE_HOME, its own files unchanged."
    from deepspeech_nb.transfer import fake_deepspeech_tensors, write_tf1_checkpoint
    release = tmp_path / "release"
    write_tf1_checkpoint(release, fake_deepspeech_tensors(n_hidden=8, lstm="cudnn"), step=1466475)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in release.iterdir())
    release.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        out = run(DEEPSPEECH_PY + ["--checkpoint_dir", str(release), "--test_files", str(cuts), *QUIET], home)
    finally:
        release.chmod(stat.S_IRWXU)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "WER" in out.stdout and "DeepSpeech TF1 checkpoint found" in out.stdout
    assert sorted((p.name, p.stat().st_mtime_ns) for p in release.iterdir()) == before
    assert list((home / "cache" / "deepspeech_nb" / "imported_deepspeech_tf1").glob("*/best_dev/ckpt-0.index"))


def test_play_says_what_it_did_not_apply(home, tmp_path):
    from deepspeech_nb.core import data_path
    out = run(CLI + ["play", "--augment", "codec[p=0.0]", "--augment", "frequency_mask", "--output",
                     str(tmp_path / "x.wav"), str(data_path("deepspeech", "LDC93S1.wav"))], home)
    assert out.returncode == 0, out.stderr
    assert "codec not applied to this sample (p=0" in out.stderr
    assert "frequency_mask cannot be played" in out.stderr and "18_widgets" in out.stderr
