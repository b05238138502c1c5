"""`deepspeech-nb play` as a user runs it (subprocesses, PATH without/with players), sample augmentations in
worker processes, and (slow) training with the seed's all-augmentations example on the synthetic corpus."""
import io, multiprocessing, os, shutil, subprocess, sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from deepspeech_nb.augment import GUIDE_ALL_AUGMENTATIONS, Overlay, apply_sample_augmentations, max_dbfs, parse_augmentations
from deepspeech_nb.audio import load_audio, write_wav
from deepspeech_nb.core import data_path
from deepspeech_nb.samples import write_csv

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLI = [str(BIN / "deepspeech-nb")]
LDC = str(data_path("deepspeech", "LDC93S1.wav"))
SR = 16000


def run(args, env=None, **kw):
    return subprocess.run(args, capture_output=True, cwd=ROOT, timeout=300, env=env, **kw)


def bare_env(tmp_path, players=()):
    "An environment whose PATH holds only python, deepspeech-nb and the given fake players (no sound server)."
    tools = tmp_path / "tools"; tools.mkdir(exist_ok=True)
    for name in ("deepspeech-nb", "python", "python3"): (tools / name).symlink_to(BIN / name)
    for name, script in players: (tools / name).write_text("#!/bin/sh\n" + script); (tools / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
    return {**env, "PATH": str(tools), "XDG_RUNTIME_DIR": str(tmp_path / "no-runtime")}


@pytest.fixture(scope="module")
def noise_csv(tmp_path_factory):
    "A one-sample CSV collection of white noise (3 s)."
    folder = tmp_path_factory.mktemp("noise")
    write_wav(folder / "noise.wav", np.random.default_rng(0).uniform(-0.3, 0.3, 3 * SR).astype(np.float32), SR)
    return write_csv(folder / "noise.csv", [("noise.wav", (folder / "noise.wav").stat().st_size, "noise")])


def test_pipe_writes_wav_to_stdout():
    out = run(CLI + ["play", "--augment", "volume[dbfs=-20]", "--augment", "codec[bitrate=16000]", "--pipe", LDC])
    assert out.returncode == 0, out.stderr.decode()
    audio, rate = soundfile.read(io.BytesIO(out.stdout), dtype="float32")
    assert rate == SR and len(audio) == len(load_audio(LDC))
    assert abs(max_dbfs(audio) - -20) < 1.0   # codec after volume: close to the level set


def test_shim_and_output_file(tmp_path):
    out = run([sys.executable, "bin/play.py", "--augment", "gaps[n=2,size=100]", "--clock", "0.5",
               "--output", str(tmp_path / "out.wav"), LDC])
    assert out.returncode == 0, out.stderr.decode()
    assert len(load_audio(tmp_path / "out.wav")) == len(load_audio(LDC))


def test_collection_selection(tmp_path, noise_csv):
    out = run(CLI + ["play", "--random", "--seed", "3", "--start", "-1", "--number", "1",
                     "--output", str(tmp_path / "one.wav"), str(noise_csv), LDC])
    assert out.returncode == 0, out.stderr.decode()
    assert len(load_audio(tmp_path / "one.wav")) in (3 * SR, len(load_audio(LDC)))


def test_no_player_says_so_and_suggests_pipe(tmp_path):
    out = run(CLI + ["play", LDC], env=bare_env(tmp_path))
    assert out.returncode == 1
    assert "no audio player found" in out.stderr.decode() and "--pipe" in out.stderr.decode()


def test_no_sound_device_says_so(tmp_path):
    out = run(CLI + ["play", LDC], env=bare_env(tmp_path, [("aplay", "exit 0\n")]))
    assert out.returncode == 1
    assert "no sound device found" in out.stderr.decode() and "--pipe" in out.stderr.decode()


def test_plays_through_a_player(tmp_path):
    "A fake aplay that copies the wav it is given, with a (fake) PulseAudio server present."
    env = {**bare_env(tmp_path, [("aplay", f'/bin/cp "$2" {tmp_path}/heard.wav\n')]), "PULSE_SERVER": "unix:/fake"}
    out = run(CLI + ["play", "--augment", "volume", LDC], env=env)
    assert out.returncode == 0, out.stderr.decode()
    heard = load_audio(tmp_path / "heard.wav")
    assert len(heard) == len(load_audio(LDC)) and abs(np.abs(heard).max() - 1.0) < 1e-3


def test_failing_player_is_reported(tmp_path):
    env = {**bare_env(tmp_path, [("aplay", "echo 'cannot open audio device' >&2; exit 1\n")]), "PULSE_SERVER": "x"}
    out = run(CLI + ["play", LDC], env=env)
    assert out.returncode == 1
    assert "aplay failed: cannot open audio device" in out.stderr.decode() and "--pipe" in out.stderr.decode()


@pytest.mark.parametrize("spec, message", [("reverb[p=2]", "between 0.0 (never) and 1.0 (always)"),
                                           ("overlay[snr=10]", "overlay needs source=PATH"),
                                           ("echo[x=1]", "unknown augmentation 'echo'"),
                                           ("volume[dbfs=abc]", "'abc' is not a float range")])
def test_bad_spec_is_an_error_before_anything_plays(spec, message):
    out = run(CLI + ["play", "--augment", spec, "--pipe", LDC])
    assert out.returncode == 2 and out.stdout == b""
    assert message in out.stderr.decode()


def _augment_in_worker(args):
    "Runs in a spawned worker: the augmentations arrive pickled, the overlay source opens lazily there."
    augmentations, seed = args
    audio = load_audio(LDC)
    return len(audio), len(apply_sample_augmentations(audio, SR, augmentations, 0.5, np.random.default_rng(seed)))


def test_sample_augmentations_in_worker_processes(noise_csv):
    augmentations = parse_augmentations([f"overlay[source={noise_csv},snr=10:0~5,layers=2]", "reverb[p=0.5]",
                                         "gaps[n=1:3~2,size=10:100]", "resample[rate=12000:8000~4000]",
                                         "codec[bitrate=48000:16000]", "volume[dbfs=-10:-40]"])
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(_augment_in_worker, [(augmentations, seed) for seed in range(4)])
    assert all(before == after for before, after in results)
    assert augmentations[0]._collection is None   # the parent never opened the source




@pytest.mark.slow
def test_training_with_the_seeds_all_augmentations_example(tmp_path, noise_csv, request):
    """The training guide's "all augmentations" example, paths adapted, on a small synthetic corpus:
    synth-corpus -> import-cv2 -> data-set-tool (SDBs) -> train with --augmentations_per_epoch and a feature cache.
    Runs only when asked for: `pytest -m slow tests/test_augment.py`."""
    from deepspeech_nb.cli import SUBCOMMANDS
    if "slow" not in (request.config.getoption("-m") or ""): pytest.skip("slow: run with -m slow")
    if "train" not in SUBCOMMANDS: pytest.skip("the training subcommand is not registered yet")
    corpus = tmp_path / "corpus"
    for step in (["synth-corpus", str(corpus), "-n", "24", "--seed", "0"], ["import-cv2", str(corpus)]):
        out = run(CLI + step); assert out.returncode == 0, out.stderr.decode()
    clips = corpus / "clips"
    for src, dst, extra in ((clips / "train.csv", tmp_path / "train.sdb", []),
                            (noise_csv, tmp_path / "noise.sdb", ["--unlabeled"]),
                            (clips / "dev.csv", tmp_path / "voices.sdb", ["--unlabeled"])):
        out = run(CLI + ["data-set-tool", str(src), str(dst), "--workers", "2", *extra])
        assert out.returncode == 0, out.stderr.decode()
    augment = [a.format(noise=tmp_path / "noise.sdb", voices=tmp_path / "voices.sdb") for a in GUIDE_ALL_AUGMENTATIONS]
    out = run(CLI + ["train", "--train_files", str(tmp_path / "train.sdb"), "--dev_files", str(clips / "dev.csv"),
                     "--alphabet_config_path", str(data_path("deepspeech", "alphabet.txt")),
                     "--checkpoint_dir", str(tmp_path / "ckpt"), "--feature_cache", str(tmp_path / "cache"),
                     "--n_hidden", "32", "--epochs", "2", "--train_batch_size", "4", "--dev_batch_size", "4",
                     "--augmentations_per_epoch", "2", *[x for a in augment for x in ("--augment", a)]])
    assert out.returncode == 0, out.stderr.decode()[-3000:]
