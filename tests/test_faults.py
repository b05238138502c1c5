"""Fault injection: every fault and bad input ends in one clear line (no traceback), and nothing already written is lost.

Each case runs a command as a user would (the `main_*` function in-process, or a subprocess where processes matter),
then asserts the exit status, ONE clear line on stderr naming the thing, and that files written before are intact.
`test_zz_fault_summary` prints the counts: cases, clear errors, tracebacks (goal 0), data lost (goal 0).
Root-only cases (a small tmpfs for a real "disk full") skip with one line where `mount` is not allowed.
"""
import contextlib, hashlib, io, json, os, re, shutil, signal, stat, struct, subprocess, sys, tarfile, time, traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import ldc93s1_cuts

from deepspeech_nb.core import data_path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}
CLI = [str(Path(sys.executable).parent / "deepspeech-nb")]
SCORER = data_path("deepspeech", "pruned_lm.scorer")
WORDS = "she had your dark suit in greasy wash water all year".split()
TF_NOISE = re.compile(r"^([IWE]\d{4} |WARNING: All log messages|\s*$|.*\d+%\||.*: \d+% \d+/\d+ \w+, \d+ s)")   # TensorFlow start-up lines, progress bars and plain progress lines
RESULTS = []   # (case, clear, traceback, lost) per case, for the summary


# ---- running a case ------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    rc: int | str   # exit status; "exception" when the command let an exception escape
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        "stderr without TensorFlow's start-up noise."
        return [l for l in self.err.splitlines() if not TF_NOISE.match(l)]


def call(main, *argv) -> Outcome:
    "Run `main([...argv])` in this process, capturing stdout/stderr; an escaping exception is a traceback."
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try: rc = main([str(a) for a in argv])
        except SystemExit as e: rc = e.code
        except BaseException: traceback.print_exc(file=err); rc = "exception"
    return Outcome(rc, out.getvalue(), err.getvalue())


def cli(*argv, timeout=300) -> Outcome:
    "Run `deepspeech-nb ARGV` as a subprocess."
    p = subprocess.run(CLI + [str(a) for a in argv], capture_output=True, text=True, env=ENV, timeout=timeout)
    return Outcome(p.returncode, p.stdout, p.stderr)


def check(case: str, o: Outcome, rc, needles, lost: bool = False, where: str = "err", info=None, listing=False):
    """Record and assert one case: exit status, one clear line naming the thing (for errors), no traceback, nothing lost.
    `info`: a regex of progress lines the command prints on purpose; `listing`: the line may be followed by indented
    examples and one line of advice (the data checks list the offending samples)."""
    text = o.err if where == "err" else o.out
    tb = "Traceback" in o.err or o.rc == "exception"
    found = all(n in text for n in ([needles] if isinstance(needles, str) else needles))
    lines = [l for l in o.lines if not (info and re.search(info, l))]
    if listing: lines = [l for l in lines[:-1] if not l.startswith("  ")] if len(lines) > 1 else lines
    one_line = len(lines) == 1 if rc != 0 else True
    RESULTS.append((case, o.rc == rc and found and one_line and not tb, tb, lost))
    assert not tb, o.err[-3000:]
    assert o.rc == rc, (o.rc, o.err[-2000:], o.out[-1000:])
    assert found, (needles, text[-2000:])
    assert one_line, lines
    assert not lost, f"{case}: data written before was lost or changed"


def snapshot(folder: Path, skip=("run",)) -> dict:
    "{relative path: sha1} of the files under `folder` (outside `skip` folders)."
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and not set(p.relative_to(folder).parts) & set(skip)}


def lost_since(before: dict, folder: Path) -> bool:
    "Whether a file of `before` is gone from `folder` or changed."
    after = snapshot(folder)
    return any(after.get(k) != v for k, v in before.items())


# ---- fixtures ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cuts(tmp_path_factory):
    "A CSV of three LDC93S1 cuts (1 to 2 s) with their first words."
    return ldc93s1_cuts(tmp_path_factory.mktemp("cuts"), n=3, step=8000)


def train_args(csv, checkpoint_dir, *extra):
    return ["--train_files", csv, "--dev_files", csv, "--n_hidden", "16", "--noshow_progressbar", "--epochs", "2",
            "--checkpoint_secs", "0", "--max_to_keep", "3", "--checkpoint_dir", checkpoint_dir, *extra]


def main_train(argv): from deepspeech_nb.commands import main_train as m; return m(argv)


@pytest.fixture(scope="module")
def trained(cuts, tmp_path_factory):
    "A finished 2-epoch run: 3 'last' checkpoints (one per step) and a best_dev; tests work on copies."
    ck = tmp_path_factory.mktemp("trained") / "ckpt"
    o = call(main_train, *train_args(cuts, ck))
    assert o.rc == 0, o.err
    return ck


def copy_of(trained, tmp_path) -> Path:
    dst = tmp_path / "ckpt"; shutil.copytree(trained, dst); return dst


def data_file(prefix: str) -> Path: return Path(next(iter(Path(prefix).parent.glob(Path(prefix).name + ".data-*"))))


def last_prefixes(ck: Path) -> list[str]:
    from deepspeech_nb.checkpoints import list_checkpoints
    return list_checkpoints(ck, "last")


def progress_of(ck: Path) -> dict: return json.loads((ck / "last" / "progress.json").read_text())


# ---- numeric flags -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("flag,value", [("epochs", "-1"), ("learning_rate", "-0.001"), ("learning_rate", "0"),
                                        ("train_batch_size", "0"), ("train_batch_size", "-1"), ("dev_batch_size", "0"),
                                        ("dropout_rate", "1.5"), ("cutoff_prob", "1.5"), ("n_hidden", "0"),
                                        ("beta1", "1"), ("max_to_keep", "0"), ("plateau_reduction", "2")])
def test_flag_out_of_range(cuts, tmp_path, flag, value):
    o = call(main_train, *train_args(cuts, tmp_path / "c", f"--{flag}", value))
    check(f"--{flag} {value}", o, 2, [f"--{flag} ", "is outside"], lost=(tmp_path / "c").exists())


def test_zero_epochs_on_a_fresh_folder_says_no_training(cuts, tmp_path):
    o = call(main_train, *train_args(cuts, tmp_path / "c", "--epochs", "0"))
    check("--epochs 0 on a fresh folder", o, 0, ["--epochs 0: no training in this run"], where="out")
    assert not (tmp_path / "c" / "last").exists()          # 0 means none: nothing trained, nothing written


# ---- scorer --------------------------------------------------------------------------------------------------

def damaged_scorer(tmp_path, how: str) -> Path:
    data = bytearray(SCORER.read_bytes())
    if how == "appended": data += b"garbage"
    elif how == "flipped": data[-1] ^= 0x40        # the last arc's next state: far past the last state
    elif how == "truncated": data = data[:300_000]
    elif how == "trailer": data[266112 + 9:266112 + 17] = struct.pack("<d", float("nan"))   # alpha in the trailer
    path = tmp_path / f"{how}.scorer"; path.write_bytes(bytes(data)); return path


@pytest.mark.parametrize("how", ["appended", "flipped", "truncated", "trailer"])
def test_damaged_scorer_stops_train_before_the_first_step(cuts, tmp_path, how):
    scorer = damaged_scorer(tmp_path, how)
    o = call(main_train, *train_args(cuts, tmp_path / "c", "--test_files", cuts, "--scorer_path", scorer))
    check(f"train with {how} scorer", o, 2, f"{how}.scorer", lost=(tmp_path / "c" / "last").exists())


def test_flipped_bit_in_the_language_model_of_a_built_scorer(cuts, tmp_path):
    from deepspeech_nb.decode import find_trie, load_scorer, package_scorer
    data = SCORER.read_bytes(); at = find_trie(data)
    (tmp_path / "lm.binary").write_bytes(data[:at])
    built = package_scorer(tmp_path / "lm.binary", load_scorer(SCORER).vocabulary, tmp_path / "built.scorer")
    flipped = bytearray(built.read_bytes()); flipped[at // 2] ^= 0x01; built.write_bytes(bytes(flipped))   # a probability
    o = call(main_train, *train_args(cuts, tmp_path / "c", "--test_files", cuts, "--scorer_path", built))
    check("flipped bit in a built scorer's KenLM part", o, 2, ["built.scorer is damaged", "SHA-256"],
          lost=(tmp_path / "c" / "last").exists())


@pytest.fixture(scope="module")
def logits_file(tmp_path_factory):
    from deepspeech_nb.evaluate import ModelOutputs, save_outputs
    rng = np.random.default_rng(0)
    out = ModelOutputs([rng.normal(size=(50, 29)).astype(np.float32)], ["she had"], ["a.wav"], None)
    return save_outputs(out, tmp_path_factory.mktemp("logits") / "l.npz")


def main_evaluate(argv): from deepspeech_nb.commands import main_evaluate as m; return m(argv)


@pytest.mark.parametrize("how", ["appended", "flipped"])
def test_damaged_scorer_in_evaluate(logits_file, tmp_path, how):
    o = call(main_evaluate, "--logits_file", logits_file, "--scorer_path", damaged_scorer(tmp_path, how), "--beam_width", 8)
    check(f"evaluate with {how} scorer", o, 1, [f"{how}.scorer is damaged", "build-lm"])


@pytest.mark.parametrize("content", [b"PK\x03\x04" + b"x" * 200, b"not a zip at all"])
def test_bad_logits_file(tmp_path, content):
    bad = tmp_path / "bad.npz"; bad.write_bytes(content)
    o = call(main_evaluate, "--logits_file", bad)
    check("bad .npz", o, 1, "bad.npz is not an .npz archive")
    assert "allow_pickle" not in o.err


# ---- damaged checkpoints -------------------------------------------------------------------------------------

def damage(path: Path, how: str):
    raw = path.read_bytes()
    if how == "flip": b = bytearray(raw); b[len(b) // 2] ^= 0xFF; path.write_bytes(bytes(b))
    elif how == "truncate": path.write_bytes(raw[:len(raw) // 2])
    elif how == "empty": path.write_bytes(b"")


@pytest.mark.parametrize("how", ["flip", pytest.param("truncate", marks=pytest.mark.slow),
                                 pytest.param("empty", marks=pytest.mark.slow), "index"])
def test_damaged_newest_checkpoint_falls_back_to_an_intact_one(trained, cuts, tmp_path, how):
    ck = copy_of(trained, tmp_path)
    newest, older = last_prefixes(ck)[-1], last_prefixes(ck)[-2]
    if how == "index": Path(newest + ".index").write_bytes(b"garbage")
    else: damage(data_file(newest), how)
    intact = {p: hashlib.sha1(Path(p).read_bytes()).hexdigest() for p in [older + ".index", str(data_file(older))]}
    o = call(main_train, *train_args(cuts, ck, "--epochs", "3"))
    check(f"train resumes past a {how} checkpoint", o, 0, [f"{Path(newest).name} is damaged", "continuing from",
                                                           Path(older).name])
    assert "resuming from" in o.out and progress_of(ck)["finished"] and progress_of(ck)["epoch"] == 3
    assert all(hashlib.sha1(Path(p).read_bytes()).hexdigest() == h for p, h in intact.items() if Path(p).exists())


def test_every_checkpoint_damaged_is_one_line_and_deletes_nothing(trained, cuts, tmp_path):
    ck = copy_of(trained, tmp_path)
    for prefix in last_prefixes(ck): damage(data_file(prefix), "truncate")
    before = snapshot(ck)
    o = call(main_train, *train_args(cuts, ck, "--epochs", "3"))
    check("every last checkpoint damaged", o, 2, ["is damaged", "no older last checkpoint", "--load_train init"],
          lost=lost_since(before, ck))


def test_damaged_best_dev_in_test(trained, cuts, tmp_path):
    ck = copy_of(trained, tmp_path)
    from deepspeech_nb.checkpoints import list_checkpoints
    damage(data_file(list_checkpoints(ck, "best")[-1]), "flip")
    before = snapshot(ck)
    o = call(main_train, "--test_files", cuts, "--n_hidden", "16", "--noshow_progressbar", "--checkpoint_dir", ck)
    check("test with damaged best_dev", o, 2, ["best_dev", "is damaged", "Checksum"], lost=lost_since(before, ck))


# ---- one run per checkpoint folder ---------------------------------------------------------------------------

HOLD_LOCK = ("import sys, time; from deepspeech_nb.checkpoints import CheckpointLock; "
             "held = CheckpointLock(sys.argv[1]).__enter__(); print('locked', flush=True); time.sleep(120)")


def test_second_run_on_a_locked_folder_is_refused(trained, cuts, tmp_path):
    ck = copy_of(trained, tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(ck)], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = snapshot(ck)
        o = call(main_train, *train_args(cuts, ck, "--epochs", "3", "--learning_rate", "0.01"))
        check("second run on a locked folder", o, 2, [str(ck), f"pid {holder.pid}", "--save_checkpoint_dir"],
              lost=lost_since(before, ck))
    finally:
        holder.kill(); holder.wait()
    o = call(main_train, *train_args(cuts, ck))        # the holder died: its lock went with it
    assert o.rc == 0 and "already finished" in o.out, o.err


def test_changed_learning_rate_on_resume_is_announced(trained, cuts, tmp_path):
    ck = copy_of(trained, tmp_path)
    o = call(main_train, *train_args(cuts, ck, "--learning_rate", "0.01"))
    check("changed --learning_rate on resume", o, 0, ["checkpoint's learning rate 0.001", "--force_initialize_learning_rate"],
          where="out")


# ---- preflight: output folders, disk space, sample rate ------------------------------------------------------

def test_export_dir_that_cannot_be_created_stops_before_training(cuts, tmp_path):
    blocker = tmp_path / "a_file"; blocker.write_text("x")
    o = call(main_train, *train_args(cuts, tmp_path / "c", "--export_dir", blocker / "export"))
    check("unwritable --export_dir", o, 2, ["--export_dir", "is a file, not a folder"], lost=(tmp_path / "c").exists())


def test_not_enough_disk_space_for_the_planned_checkpoints(cuts, tmp_path, monkeypatch):
    import deepspeech_nb.train as train
    monkeypatch.setattr(train.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 100_000, 100_000))
    o = call(main_train, *train_args(cuts, tmp_path / "c"))
    check("disk too small for the planned checkpoints", o, 2, ["MB free", "lower --max_to_keep"],
          lost=(tmp_path / "c" / "last").exists())


@pytest.mark.slow
def test_sample_rate_mismatch_is_a_warning_per_collection(cuts, tmp_path):
    o = call(main_train, *train_args(cuts, tmp_path / "c", "--epochs", "1", "--audio_sample_rate", "8000"))
    check("--audio_sample_rate 8000 on 16 kHz data", o, 0, "holds 16000 Hz audio but --audio_sample_rate is 8000",
          where="out")


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str):
    "A tmpfs of `size` mounted at `folder` (root only); skips the test with one line when mounting is not allowed."
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True)
    if done.returncode: pytest.skip(f"cannot mount a tmpfs for a disk-full test: {done.stderr.strip() or 'not root'}")
    try: yield folder
    finally: subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def grow(folder: Path, size: str): subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True)


@pytest.mark.slow
def test_disk_full_mid_training_then_the_same_command_resumes(cuts, tmp_path, monkeypatch):
    import deepspeech_nb.train as train
    monkeypatch.setattr(train, "check_disk_space", lambda *a, **k: None)   # let it run into the full disk
    with small_tmpfs(tmp_path / "disk", "400k") as disk:
        args = train_args(cuts, disk / "ckpt", "--epochs", "4", "--max_to_keep", "1")
        o = call(main_train, *args)
        saved = last_prefixes(disk / "ckpt")
        check("disk full mid-training", o, 1, ["No space left", "free disk space", "run the same command"])
        assert saved, "not a single checkpoint fitted: the tmpfs is too small for this test"
        grow(disk, "16m")
        again = call(main_train, *args)
        assert again.rc == 0 and "resuming from" in again.out, again.err
        assert progress_of(disk / "ckpt")["finished"] and progress_of(disk / "ckpt")["epoch"] == 4


# ---- importers -----------------------------------------------------------------------------------------------

def main_import_folder(argv): from deepspeech_nb.importers import main_import_folder as m; return m(argv)
def main_import_cv2(argv): from deepspeech_nb.importers import main_import_cv2 as m; return m(argv)


def recordings(folder: Path, n: int) -> Path:
    "`n` copies of LDC93S1 as flac with sidecar transcripts."
    import soundfile as sf
    from deepspeech_nb.audio import load_audio
    folder.mkdir(parents=True, exist_ok=True)
    audio = load_audio(data_path("deepspeech", "LDC93S1.wav"))
    for i in range(n):
        sf.write(folder / f"rec{i}.flac", audio * (0.5 + i / (2 * n)), 16000)
        (folder / f"rec{i}.txt").write_text(" ".join(WORDS[:3 + i % 5]))
    return folder


def test_disk_full_mid_import_then_the_same_command_resumes(tmp_path):
    src = recordings(tmp_path / "src", 8)
    with small_tmpfs(tmp_path / "disk", "300k") as disk:
        o = call(main_import_folder, src, disk / "out", "--jobs", "2")
        done = {p.name: p.read_bytes() for p in (disk / "out" / "clips").glob("*.wav")}
        check("disk full mid-import", o, 1, ["No space left on device", "free disk space", "run the same command"])
        assert done, "not a single wav fitted: the tmpfs is too small for this test"
        grow(disk, "16m")
        again = call(main_import_folder, src, disk / "out", "--jobs", "2")
        assert again.rc == 0 and f"reused {len(done)} already converted" in again.out, again.err
        kept = sum(len((disk / "out" / f"{s}.csv").read_text().splitlines()) - 1 for s in ("train", "dev", "test"))
        assert kept == 8
        assert all((disk / "out" / "clips" / name).read_bytes() == data for name, data in done.items())


def common_voice(folder: Path, rows: list[tuple[str, str]]) -> Path:
    "A minimal Common Voice layout: train.tsv (path, sentence) and clips/ with LDC93S1 flacs for the plain names."
    import soundfile as sf
    from deepspeech_nb.audio import load_audio
    (folder / "clips").mkdir(parents=True)
    audio = load_audio(data_path("deepspeech", "LDC93S1.wav"))
    for name, _ in rows:
        if "/" not in name and not name.startswith("bad"): sf.write(folder / "clips" / name, audio, 16000, format="FLAC")
    (folder / "train.tsv").write_text("path\tsentence\n" + "".join(f"{p}\t{s}\n" for p, s in rows))
    return folder


def test_import_cv2_refuses_paths_that_leave_the_clips_folder(tmp_path):
    outside = tmp_path / "outside.flac"
    cv = common_voice(tmp_path / "cv", [("good.flac", "she had your"), ("../../outside.flac", "from outside"),
                                        (str(outside), "absolute path")])
    shutil.copy(cv / "clips" / "good.flac", outside)
    o = call(main_import_cv2, cv, "--jobs", "1")
    check("import-cv2 path leaving clips/", o, 0, ["train.tsv line 3", "train.tsv line 4", "leaves"], where="out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cv", "outside.flac"]          # nothing written outside
    assert len((cv / "clips" / "train.csv").read_text().splitlines()) == 2              # the good row imported


def test_import_reconverts_a_damaged_reused_wav_and_names_a_corrupt_clip(tmp_path):
    cv = common_voice(tmp_path / "cv", [("a.flac", "she had your"), ("b.flac", "dark suit"), ("bad.mp3", "greasy wash")])
    (cv / "clips" / "bad.mp3").write_bytes(bytes(range(256)) * 20)
    first = call(main_import_cv2, cv, "--jobs", "1")
    check("corrupt mp3 named as corrupt", first, 0, ["bad.mp3", "is corrupt", "the file is there, but its content is corrupt"],
          where="out")
    wav = cv / "clips" / "a.wav"; whole = wav.read_bytes(); wav.write_bytes(whole[:len(whole) // 3])
    again = call(main_import_cv2, cv, "--jobs", "1")
    assert again.rc == 0 and "converted 1 clips, reused 1" in again.out, again.out
    assert wav.read_bytes() == whole


def test_unsafe_tar_member_is_refused(tmp_path):
    from deepspeech_nb.importers import main_import_librivox
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        evil = tarfile.TarInfo("../escaped.txt"); evil.size = 6; tar.addfile(evil, io.BytesIO(b"gotcha"))
    o = call(main_import_librivox, archive, tmp_path / "dest")
    check("unsafe tar member", o, 2, ["refusing to extract", "../escaped.txt"], lost=bool(list(tmp_path.rglob("escaped.txt"))))


def test_files_get_the_umask_permissions(cuts, tmp_path):
    old = os.umask(0o022)
    try:
        assert call(main_import_folder, recordings(tmp_path / "src", 3), tmp_path / "out", "--jobs", "1").rc == 0
        assert call(main_train, *train_args(cuts, tmp_path / "c", "--epochs", "1")).rc == 0
    finally: os.umask(old)
    files = [*(tmp_path / "out").rglob("*.csv"), *(tmp_path / "out").rglob("*.wav"), tmp_path / "c" / "flags.json",
             tmp_path / "c" / "last" / "progress.json", tmp_path / "c" / "last" / "checkpoint"]
    modes = {str(f.relative_to(tmp_path)): oct(stat.S_IMODE(f.stat().st_mode)) for f in files}
    RESULTS.append(("umask 0022 gives 0644", set(modes.values()) == {"0o644"}, False, False))
    assert set(modes.values()) == {"0o644"}, modes


# ---- sample collections --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sdb(cuts, tmp_path_factory):
    from deepspeech_nb.samples import SDBWriter, open_collection
    path = tmp_path_factory.mktemp("sdb") / "cuts.sdb"
    with SDBWriter(path, audio_type="wav") as w:
        for i in range(3): w.add(open_collection(cuts, sort_by_duration=False)[i])
    return path


def test_bit_flipped_sdb_transcript_names_file_and_sample(sdb, tmp_path):
    data = bytearray(sdb.read_bytes()); data[data.find(b"she had")] = 0x8b
    bad = tmp_path / "flipped.sdb"; bad.write_bytes(bytes(data))
    o = call(main_train, *train_args(bad, tmp_path / "c"))
    check("bit-flipped SDB transcript", o, 2, ["flipped.sdb sample", "not UTF-8 (byte 0x8b"], lost=(tmp_path / "c" / "last").exists())


def test_truncated_sdb_quotes_the_real_size(sdb, tmp_path):
    bad = tmp_path / "cut.sdb"; bad.write_bytes(sdb.read_bytes()[:sdb.stat().st_size // 2])
    o = call(main_train, *train_args(bad, tmp_path / "c"))
    check("truncated SDB", o, 2, ["cut.sdb is truncated", f"only {bad.stat().st_size} bytes long"])


def test_play_of_a_damaged_sdb_is_one_line(sdb, tmp_path):
    from deepspeech_nb.augment import main_play
    data = bytearray(sdb.read_bytes()); at = data.find(b"RIFF", 200); data[at:at + 40] = bytes(40)   # sample's wav header
    bad = tmp_path / "noheader.sdb"; bad.write_bytes(bytes(data))
    o = call(main_play, bad, "--output", tmp_path / "out.wav")
    check("play of a damaged SDB", o, 1, ["noheader.sdb sample"], info=r"\[\d+\]: [\d.]+ s$")


def test_alphabet_without_the_data_characters(cuts, tmp_path):
    alphabet = tmp_path / "abc.txt"; alphabet.write_text("a\nb\nc\n \n")
    o = call(main_train, *train_args(cuts, tmp_path / "c", "--alphabet_config_path", alphabet))
    check("alphabet missing characters", o, 2, ["cuts.csv line 2", "abc.txt", "--alphabet_config_path"], listing=True)


def test_unreadable_audio_names_the_csv_row(cuts, tmp_path):
    broken = tmp_path / "broken.wav"; broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio")
    bad = tmp_path / "broken.csv"; bad.write_text(f"wav_filename,wav_filesize,transcript\n{broken},20,she had\n")
    o = call(main_train, *train_args(bad, tmp_path / "c"))
    check("unreadable audio", o, 2, ["broken.csv line 2", "broken.wav"])


def test_disk_full_in_data_set_tool_keeps_the_earlier_target(cuts, tmp_path):
    from deepspeech_nb.commands import main_data_set_tool
    with small_tmpfs(tmp_path / "disk", "120k") as disk:
        small = disk / "small.csv"; small.write_text("\n".join(cuts.read_text().splitlines()[:2]) + "\n")
        assert call(main_data_set_tool, small, disk / "out.sdb", "--audio_type", "wav").rc == 0
        before = snapshot(disk)
        o = call(main_data_set_tool, cuts, disk / "out.sdb", "--audio_type", "wav")
        check("disk full in data-set-tool", o, 1, ["No space left on device", "free disk space"],
              lost=lost_since(before, disk), info=r"^writing out\.sdb")


def test_export_continues_past_a_damaged_checkpoint(trained, tmp_path):
    from deepspeech_nb.commands import main_export
    ck = copy_of(trained, tmp_path)
    newest = last_prefixes(ck)[-1]; damage(data_file(newest), "flip")
    o = call(main_export, "--checkpoint_dir", ck, "--export_dir", tmp_path / "export", "--load_evaluate", "last",
             "--n_hidden", "16")
    check("export past a damaged checkpoint", o, 0, [f"{Path(newest).name} is damaged", "continuing from"])
    assert (tmp_path / "export" / "metadata.json").exists()


# ---- processes (slow) ----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_two_train_processes_on_one_folder(cuts, tmp_path):
    ck = tmp_path / "ckpt"
    first = subprocess.Popen(CLI + ["train", *map(str, train_args(cuts, ck, "--epochs", "200"))], env=ENV,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not last_prefixes(ck) and time.monotonic() < deadline: time.sleep(0.2)
        before = snapshot(ck / "best_dev") if (ck / "best_dev").exists() else {}
        second = cli("train", *train_args(cuts, ck, "--epochs", "200", "--learning_rate", "0.01"))
        check("two train processes", second, 2, [f"pid {first.pid}", "train"], lost=False)
    finally:
        first.kill(); first.wait()
    assert last_prefixes(ck), "the first run's checkpoints are gone"


@pytest.mark.slow
def test_sigkill_mid_training_then_the_same_command_finishes(cuts, tmp_path):
    ck = tmp_path / "ckpt"
    args = ["train", *map(str, train_args(cuts, ck, "--epochs", "6"))]
    proc = subprocess.Popen(CLI + args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 200
    while (not (ck / "last" / "progress.json").exists() or progress_of(ck)["global_step"] < 4) \
            and proc.poll() is None and time.monotonic() < deadline: time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL); proc.wait()
    o = cli(*args)
    check("SIGKILL mid-training, same command", o, 0, [], lost=not progress_of(ck)["finished"])
    assert "resuming from" in o.out and progress_of(ck)["epoch"] == 6


@pytest.mark.slow
def test_sigkill_mid_import_then_the_same_command_finishes(tmp_path):
    src = recordings(tmp_path / "src", 40)
    args = ["import-folder", str(src), str(tmp_path / "out"), "--jobs", "2"]
    proc = subprocess.Popen(CLI + args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 200
    while len(list((tmp_path / "out" / "clips").glob("*.wav"))) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL); proc.wait()
    done = {p.name: p.read_bytes() for p in (tmp_path / "out" / "clips").glob("*.wav")}
    o = cli(*args)
    check("SIGKILL mid-import, same command", o, 0, [], lost=any((tmp_path / "out" / "clips" / n).read_bytes() != d
                                                               for n, d in done.items()))
    assert "reused" in o.out


# ---- summary -------------------------------------------------------------------------------------------------

def test_zz_fault_summary():
    "Counts over the cases run in this session (run the whole file for the full picture)."
    cases, clear = len(RESULTS), sum(r[1] for r in RESULTS)
    tracebacks, lost = sum(r[2] for r in RESULTS), sum(r[3] for r in RESULTS)
    print(f"\nfault cases: {cases}, ended in a clear line: {clear}, tracebacks: {tracebacks}, data lost: {lost}")
    for case, ok, tb, gone in RESULTS:
        if not ok or tb or gone: print(f"  not clean: {case}")
    assert tracebacks == 0 and lost == 0
