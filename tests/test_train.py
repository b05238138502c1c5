"""`deepspeech-nb train` as users run it: killed with SIGKILL and resumed, two workers on localhost, bad input.

The runs use a 16-unit model on six cuts of LDC93S1 (3 batches an epoch) so each takes seconds.
"""
import json, os, signal, socket, subprocess, sys, time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb"), "train"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
WORDS = "she had your dark suit in greasy wash water all year".split()


def tiny_args(csv, checkpoint_dir, *extra):
    return ["--train_files", str(csv), "--dev_files", str(csv), "--train_batch_size", "2", "--dev_batch_size", "3",
            "--n_hidden", "16", "--noshow_progressbar", "--checkpoint_dir", str(checkpoint_dir), *extra]


def metrics(checkpoint_dir):
    return json.loads((Path(checkpoint_dir) / "run" / "metrics.json").read_text())


# ---- resume after SIGKILL --------------------------------------------------------------------------------------

# No epoch ever improves by 1000, so: a plateau every 2 epochs (lr x 0.1, best weights reloaded) and an early
# stop after 3: the learning-rate schedule and the epoch count depend on the counters the checkpoint must keep.
SCHEDULE = ("--epochs", "8", "--checkpoint_secs", "0", "--shuffle_batches", "--reduce_lr_on_plateau",
            "--plateau_epochs", "2", "--early_stop", "--es_epochs", "3", "--es_min_delta", "1000")


def _progress_step(checkpoint_dir) -> int:
    try: return json.loads((Path(checkpoint_dir) / "last" / "progress.json").read_text())["global_step"]
    except (OSError, ValueError, KeyError): return 0


def test_sigkill_then_same_command_matches_an_uninterrupted_run(cuts, tmp_path):
    full = subprocess.run(CLI + tiny_args(cuts, tmp_path / "full", *SCHEDULE), env=ENV, capture_output=True, text=True,
                          timeout=300)
    assert full.returncode == 0, full.stderr[-2000:]
    reference = metrics(tmp_path / "full")
    assert [m["epoch"] for m in reference] == [1, 2, 3, 4]                      # early stop after 3 without improvement
    assert [m["learning_rate"] for m in reference] == pytest.approx([1e-3, 1e-3, 1e-3, 1e-4])

    killed = tmp_path / "killed"
    proc = subprocess.Popen(CLI + tiny_args(cuts, killed, *SCHEDULE), env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while _progress_step(killed) < 5 and proc.poll() is None and time.monotonic() < deadline: time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL); proc.wait()                              # in epoch 2, 3 steps an epoch
    assert 5 <= _progress_step(killed) < 12, "the run was not killed mid-training"

    resumed = subprocess.run(CLI + tiny_args(cuts, killed, *SCHEDULE), env=ENV, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming from" in resumed.stdout
    got = metrics(killed)
    assert [m["epoch"] for m in got] == [m["epoch"] for m in reference]
    assert [m["learning_rate"] for m in got] == pytest.approx([m["learning_rate"] for m in reference])
    assert [m["dev_loss"] for m in got] == pytest.approx([m["dev_loss"] for m in reference], rel=1e-5)

    again = subprocess.run(CLI + tiny_args(cuts, killed, *SCHEDULE), env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "already finished" in again.stdout            # a third run does nothing


# ---- two workers ------------------------------------------------------------------------------------------------

def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks: s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks: s.close()
    return ports


def test_two_workers_on_localhost_train_one_epoch(cuts, tmp_path):
    workers = [f"localhost:{p}" for p in _free_ports(2)]
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})
        procs.append(subprocess.Popen(CLI + tiny_args(cuts, tmp_path / "ckpt", "--epochs", "1", "--train_batch_size", "1"),
                                      env={**ENV, "TF_CONFIG": tf_config}, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs): assert p.returncode == 0, err[-3000:]
    assert "epoch 1/1" in outs[0][0] and "epoch 1/1" in outs[1][0]
    # 6 batches of 1 sample shared by 2 workers: 3 steps; the dev loss is computed from the same (synchronised) weights
    assert "(3 steps" in outs[0][0]
    dev = [line.split("dev loss ")[1].split()[0] for out, _ in outs for line in out.splitlines() if "dev loss" in line]
    assert dev[0] == dev[1]
    assert [m["epoch"] for m in metrics(tmp_path / "ckpt")] == [1]            # worker 0 wrote the record ...
    assert (tmp_path / "ckpt" / "last" / "checkpoint").exists()               # ... and the checkpoint


# ---- bad input (in-process: one TensorFlow start-up for all) -------------------------------------------------

def train_cli(capsys, *args):
    from deepspeech_nb.commands import main_train
    rc = main_train([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def write_csv(path, rows):
    path.write_text("wav_filename,wav_filesize,transcript\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    return path


def first_row(cuts):
    wav, size, _ = cuts.read_text().splitlines()[4].split(",")   # cut3: 2.0 s
    return wav, size


def test_empty_csv_names_the_file(capsys, tmp_path):
    empty = write_csv(tmp_path / "empty.csv", [])
    rc, out, err = train_cli(capsys, "--train_files", empty, "--checkpoint_dir", tmp_path / "c")
    assert rc == 2 and "empty.csv" in err and "holds no samples" in err


def test_alphabet_not_covering_the_data_names_file_line_and_character(capsys, cuts, tmp_path):
    wav, size = first_row(cuts)
    bad = write_csv(tmp_path / "accents.csv", [(wav, size, "she had"), (wav, size, "café au lait")])
    rc, out, err = train_cli(capsys, "--train_files", bad, "--checkpoint_dir", tmp_path / "c")
    assert rc == 2 and "accents.csv line 3" in err and "é" in err and "--alphabet_config_path" in err


def test_unreadable_clip_names_file_and_line(capsys, cuts, tmp_path):
    broken = tmp_path / "broken.wav"; broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio")
    bad = write_csv(tmp_path / "broken.csv", [(broken, 20, "she had")])
    rc, out, err = train_cli(capsys, "--train_files", bad, "--checkpoint_dir", tmp_path / "c")
    assert rc == 2 and "broken.csv line 2" in err and "broken.wav" in err


def test_ctc_infeasible_transcript_is_skipped_and_named(capsys, cuts, tmp_path):
    wav, size = first_row(cuts)
    rows = [(wav, size, "she had your dark suit"), (wav, size, " ".join(WORDS * 3))]   # 2 s: 100 frames < 170 labels
    data = write_csv(tmp_path / "long.csv", rows)
    rc, out, err = train_cli(capsys, *tiny_args(data, tmp_path / "c", "--epochs", "1", "--dev_files", ""))
    assert rc == 0, err
    assert "skipping 1 sample(s) whose transcript is too long" in err and "long.csv line 3" in err
    assert "(1 steps" in out


def test_checkpoint_of_another_geometry_is_refused_and_left_intact(capsys, cuts, tmp_path):
    ck = tmp_path / "c"
    rc, out, err = train_cli(capsys, *tiny_args(cuts, ck, "--epochs", "1"))
    assert rc == 0, err
    before = {p: p.stat().st_mtime_ns for p in ck.rglob("*") if p.is_file() and "run" not in p.parts and p.name != ".lock"}
    rc, out, err = train_cli(capsys, *tiny_args(cuts, ck, "--epochs", "2", "--n_hidden", "32"))
    assert rc == 2 and "trained with --n_hidden 16" in err and "--checkpoint_dir" in err and "drop --n_hidden" in err
    after = {p: p.stat().st_mtime_ns for p in ck.rglob("*") if p.is_file() and "run" not in p.parts and p.name != ".lock"}
    assert after == before                                                     # nothing rewritten
    rc, out, err = train_cli(capsys, *tiny_args(cuts, ck, "--epochs", "2"))   # the right geometry still resumes
    assert rc == 0 and "resuming from" in out, err


def test_unknown_flag_suggests_the_right_one(capsys):
    rc, out, err = train_cli(capsys, "--n_hiden", "5")
    assert rc == 2 and "Did you mean: n_hidden" in err


def test_deepspeech_py_shim_shows_every_flag():
    out = subprocess.run([sys.executable, str(ROOT / "DeepSpeech.py"), "--helpfull"], capture_output=True, text=True,
                         env=ENV, timeout=120)
    assert out.returncode == 0
    for flag in ("train_files", "n_hidden", "[no]show_progressbar", "augmentation_freq_and_time_masking",
                 "export_language", "lm_alpha", "drop_source_layers"):
        assert flag in out.stdout
