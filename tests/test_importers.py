"""Importers and the synthetic corpus run as a user runs them: CLI subprocesses, killed runs, hostile archives."""
import csv, io, os, re, shutil, signal, subprocess, sys, tarfile, time
from pathlib import Path

import pytest
import soundfile as sf

from deepspeech_nb.core import data_path
from deepspeech_nb.synth import SynthConfig, synth_corpus
from deepspeech_nb.importers import make_tiny_corpus
from deepspeech_nb.text import Alphabet

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb")]
ALPHABET = str(data_path("deepspeech", "alphabet.txt"))
VOICES = (("espeak-ng", "en-us+m3"), ("espeak-ng", "en-gb+f2"), ("espeak-ng", "en-gb-scotland+m1"))


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300, **kw)


@pytest.fixture(scope="session")
def synth_cv(tmp_path_factory):
    "A 12-clip synthetic Common Voice release, made once per session; tests import copies of it."
    out = tmp_path_factory.mktemp("synth") / "cv"
    synth_corpus(out, SynthConfig(n=12, voices=VOICES), jobs=2, progress=False)
    return out


def fresh_copy(src, dst):
    "A copy of a release without the wavs and CSVs an import made."
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.wav", "*.csv", ".*"))
    return dst


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f: return list(csv.DictReader(f))


def test_ldc93s1_cli(tmp_path):
    out = run(CLI + ["import-ldc93s1", str(tmp_path / "ldc")])
    assert out.returncode == 0, out.stderr
    rows = read_csv(tmp_path / "ldc" / "ldc93s1.csv")
    assert [r["transcript"] for r in rows] == ["she had your dark suit in greasy wash water all year"]
    assert int(rows[0]["wav_filesize"]) == os.path.getsize(rows[0]["wav_filename"])


def test_synth_then_import_cv2_shim(tmp_path):
    "synth-corpus -> bin/import_cv2.py: CSVs of 16 kHz mono PCM16 wavs whose transcripts pass the alphabet."
    out = run(CLI + ["synth-corpus", str(tmp_path / "cv"), "-n", "12", "--jobs", "2", "--voices", "en-us+f4", "en-gb+m5"])
    assert out.returncode == 0, out.stderr
    info = sf.info(str(next((tmp_path / "cv" / "clips").glob("*.mp3"))))
    assert (info.samplerate, info.channels, info.format) == (48000, 1, "MP3")
    out = run([sys.executable, "bin/import_cv2.py", "--filter_alphabet", ALPHABET, "--jobs", "2", str(tmp_path / "cv")])
    assert out.returncode == 0, out.stderr
    assert "imported" in out.stdout and "converted 12 clips" in out.stdout
    alphabet, total = Alphabet(ALPHABET), 0
    for split in ("train", "dev", "test"):
        for row in read_csv(tmp_path / "cv" / "clips" / f"{split}.csv"):
            i = sf.info(row["wav_filename"])
            assert (i.samplerate, i.channels, i.subtype) == (16000, 1, "PCM_16")
            assert alphabet.can_encode(row["transcript"]); total += 1
    assert total == 12


def test_synth_is_deterministic_and_idempotent(tmp_path):
    a = synth_corpus(tmp_path / "a", SynthConfig(n=6, seed=3, voices=VOICES), jobs=2, progress=False)
    b = synth_corpus(tmp_path / "b", SynthConfig(n=6, seed=3, voices=VOICES), jobs=1, progress=False)
    assert all(a[s].read_text() == b[s].read_text() for s in a)
    for mp3 in (tmp_path / "a" / "clips").glob("*.mp3"):
        assert mp3.read_bytes() == (tmp_path / "b" / "clips" / mp3.name).read_bytes()
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "a" / "clips").iterdir()}
    synth_corpus(tmp_path / "a", SynthConfig(n=6, seed=3, voices=VOICES), jobs=2, progress=False)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "a" / "clips").iterdir()} == mtimes


def test_synth_speakers_and_sentences_stay_in_one_split(synth_cv):
    seen = {}
    for split in ("train", "dev", "test"):
        with open(synth_cv / f"{split}.tsv", encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                for key in (row["client_id"], row["sentence"]): assert seen.setdefault(key, split) == split


def test_validate_label_locale_file_is_honoured(synth_cv, tmp_path):
    "The seed's example: reject labels containing 'a', lower-case the rest, exactly."
    cv = fresh_copy(synth_cv, tmp_path / "cv")
    locale = tmp_path / "my_validation.py"
    locale.write_text("def validate_label(label):\n    if 'a' in label: # disallow labels with 'a'\n        return None\n"
                      "    return label.lower() # lower case valid labels\n")
    out = run(CLI + ["import-cv2", "--validate_label_locale", str(locale), "--jobs", "1", str(cv)])
    assert out.returncode == 0, out.stderr
    with open(cv / "validated.tsv", encoding="utf-8") as f:
        expected = [r["sentence"].lower() for r in csv.DictReader(f, delimiter="\t") if "a" not in r["sentence"]]
    assert [r["transcript"] for r in read_csv(cv / "clips" / "validated.csv")] == expected
    missing = run(CLI + ["import-cv2", "--validate_label_locale", str(tmp_path / "nope.py"), str(cv)])
    assert missing.returncode == 2 and "nope.py does not exist" in missing.stderr and "Traceback" not in missing.stderr


def test_bad_input_is_reported_not_fatal(synth_cv, tmp_path):
    "A corrupt mp3, an empty sentence, a missing clip, a non-UTF-8 line, a sentence of digits: one row each."
    cv = fresh_copy(synth_cv, tmp_path / "cv")
    with open(cv / "train.tsv", encoding="utf-8") as f: rows = list(csv.DictReader(f, delimiter="\t"))
    (cv / "clips" / rows[0]["path"]).write_bytes(os.urandom(3000))
    with open(cv / "train.tsv", "ab") as f:
        name = rows[1]["path"].encode()
        f.write(b"c\t" + name + b"\t\t2\t0\t\t\t\n")
        f.write(b"c\tcommon_voice_en_missing.mp3\tNobody recorded this.\t2\t0\t\t\t\n")
        f.write(b"c\t" + name + b"\tna\xefve latin-1 line\t2\t0\t\t\t\n")
        f.write(b"c\t" + name + b"\t42 17 99\t2\t0\t\t\t\n")
    out = run(CLI + ["import-cv2", "--jobs", "2", str(cv)])
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    for needle in ["empty sentence", "common_voice_en_missing.mp3 does not exist", "not UTF-8",
                   "rejected '42 17 99'", "corrupt or not audio"]:
        assert needle in out.stdout, needle
    kept = read_csv(cv / "clips" / "train.csv")
    assert len(kept) == len(rows) - 1  # only the corrupt clip is lost from the original rows


def _big_release(synth_cv, dst, copies=12):
    "A release whose train.tsv lists every synthetic clip `copies` times under new names: many clips, cheaply."
    cv = fresh_copy(synth_cv, dst)
    with open(cv / "validated.tsv", encoding="utf-8") as f: rows = list(csv.DictReader(f, delimiter="\t"))
    with open(cv / "train.tsv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
        w.writeheader()
        for k in range(copies):
            for r in rows:
                name = r["path"].replace(".mp3", f"_{k}.mp3")
                shutil.copyfile(cv / "clips" / r["path"], cv / "clips" / name)
                w.writerow({**r, "path": name})
    (cv / "validated.tsv").unlink()
    listed = set()
    for tsv in cv.glob("*.tsv"):
        with open(tsv, encoding="utf-8") as f: listed |= {r["path"] for r in csv.DictReader(f, delimiter="\t")}
    return cv, len(listed)


def _csvs(folder):
    "CSV contents with the folder prefix removed, so two runs in two folders compare."
    return {p.name: p.read_text().replace(str(folder), "<DIR>") for p in sorted(folder.glob("*.csv"))}


def test_killed_import_resumes_converting_only_the_rest(synth_cv, tmp_path):
    reference, total = _big_release(synth_cv, tmp_path / "ref")
    assert run(CLI + ["import-cv2", "--jobs", "2", str(reference)]).returncode == 0
    cv, _ = _big_release(synth_cv, tmp_path / "killed")
    clips = cv / "clips"
    proc = subprocess.Popen(CLI + ["import-cv2", "--jobs", "2", str(cv)], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(list(clips.glob("*.wav"))) < 20 and time.time() < deadline and proc.poll() is None: time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL); proc.wait()
    done = sorted(clips.glob("*.wav"))
    assert 0 < len(done) < total, f"kill came at {len(done)}/{total} clips"
    assert not (clips / "train.csv").exists()
    for wav in done:  # every wav a killed run left under its final name is complete
        assert wav.read_bytes() == (reference / "clips" / wav.name).read_bytes()
    out = run(CLI + ["import-cv2", "--jobs", "2", str(cv)])
    assert out.returncode == 0, out.stderr
    assert f"converted {total - len(done)} clips, reused {len(done)} already converted" in out.stdout
    assert _csvs(clips) == _csvs(reference / "clips")
    assert not list(clips.glob(".*.tmp"))


def _mini_librispeech(tmp_path, synth_cv):
    "LibriSpeech/dev-clean/<speaker>/<chapter>/ with flac + trans.txt, from the synthetic clips."
    chapter = tmp_path / "src" / "LibriSpeech" / "dev-clean" / "1272" / "128104"
    chapter.mkdir(parents=True)
    with open(synth_cv / "validated.tsv", encoding="utf-8") as f: rows = list(csv.DictReader(f, delimiter="\t"))[:4]
    lines = []
    for i, r in enumerate(rows):
        audio, rate = sf.read(synth_cv / "clips" / r["path"])
        sf.write(chapter / f"1272-128104-{i:04d}.flac", audio, rate)
        lines.append(f"1272-128104-{i:04d} {re.sub(r'[^A-Z ]', '', r['sentence'].upper())}\n")
    (chapter / "1272-128104.trans.txt").write_text("".join(lines))
    return tmp_path / "src" / "LibriSpeech", len(rows)


def test_import_librivox_from_archive_and_folder(synth_cv, tmp_path):
    root, n = _mini_librispeech(tmp_path, synth_cv)
    archive = tmp_path / "dev-clean.tar.gz"
    with tarfile.open(archive, "w:gz") as tar: tar.add(root, arcname="LibriSpeech")
    out = run([sys.executable, "bin/import_librivox.py", str(archive), str(tmp_path / "dest"), "--jobs", "2"])
    assert out.returncode == 0, out.stderr
    rows = read_csv(tmp_path / "dest" / "librivox-dev-clean.csv")
    assert len(rows) == n and all(r["transcript"] == r["transcript"].lower() for r in rows)
    assert all(Path(r["wav_filename"]).parent == tmp_path / "dest" / "librivox-dev-clean-wav" for r in rows)
    out = run(CLI + ["import-librivox", str(root), str(tmp_path / "dest2")])
    assert out.returncode == 0, out.stderr
    assert [r["transcript"] for r in read_csv(tmp_path / "dest2" / "librivox-dev-clean.csv")] == [r["transcript"] for r in rows]


@pytest.mark.parametrize("member", ["../escaped.txt", "/tmp/deepspeech_nb_absolute_escape.txt", "link"])
def test_malicious_archive_is_refused(tmp_path, member):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        ok = tarfile.TarInfo("LibriSpeech/dev-clean/readme.txt"); ok.size = 2
        tar.addfile(ok, io.BytesIO(b"ok"))
        if member == "link":  # a symlink pointing outside, then a file written through it
            link = tarfile.TarInfo("LibriSpeech/out"); link.type = tarfile.SYMTYPE; link.linkname = "../../.."
            tar.addfile(link)
            member = "LibriSpeech/out/escaped.txt"
        evil = tarfile.TarInfo(member); evil.size = 6
        tar.addfile(evil, io.BytesIO(b"gotcha"))
    dest = tmp_path / "a" / "b" / "dest"
    out = run(CLI + ["import-librivox", str(archive), str(dest)])
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert not Path(member).is_absolute() or not Path(member).exists()
    if member.startswith("/"):  # the data filter strips the leading slash: it lands inside dest, harmless
        assert (dest / member.lstrip("/")).exists() and "no LibriSpeech transcripts" in out.stderr
    else:
        assert "refusing to extract" in out.stderr and not list(tmp_path.rglob("escaped.txt"))


def test_import_folder_any_rate_and_channels(tmp_path):
    src = tmp_path / "recordings"; (src / "sub").mkdir(parents=True)
    for name, rate, channels in [("a", 44100, 2), ("b", 8000, 1), ("sub/c", 22050, 1), ("d", 48000, 2)]:
        sf.write(src / f"{name}.flac", (0.1 * __import__("numpy").random.default_rng(0).standard_normal((rate * 2, channels))), rate)
    for name, text in [("a", "Hello there."), ("b", "Hello there"), ("sub/c", "General Kenobi!"), ("d", "You are a bold one.")]:
        (src / f"{name}.txt").write_text(text)
    out = run(CLI + ["import-folder", str(src), str(tmp_path / "dest"), "--seed", "1", "--jobs", "2"])
    assert out.returncode == 0, out.stderr
    rows = {s: read_csv(tmp_path / "dest" / f"{s}.csv") for s in ("train", "dev", "test")}
    assert sum(map(len, rows.values())) == 4
    split_of = {}
    for split, rs in rows.items():
        for r in rs:
            i = sf.info(r["wav_filename"])
            assert (i.samplerate, i.channels) == (16000, 1)
            assert split_of.setdefault(r["transcript"], split) == split  # "hello there" twice: one split


def test_make_tiny_corpus_is_cached(tmp_path):
    csvs = make_tiny_corpus(tmp_path / "tiny", n=6)
    assert sorted(csvs) == ["dev", "test", "train"] and all(p.exists() for p in csvs.values())
    t0 = time.time(); assert make_tiny_corpus(tmp_path / "tiny", n=6) == csvs; assert time.time() - t0 < 1
