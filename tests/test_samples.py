"""Sample collections through the real command line: data-set-tool round trips (CSV <-> SDB, tar) with worker
processes, and the bad inputs of issue 2, each of which must end in one clear error naming the file."""
import shutil, subprocess, sys, tarfile
from pathlib import Path

import numpy as np
import pytest

from deepspeech_nb.audio import load_audio, opus_decode
from deepspeech_nb.core import data_path
from deepspeech_nb.samples import CollectionError, SDBWriter, open_collection
from deepspeech_nb.text import Alphabet, AlphabetError

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb")]
LDC_TRANSCRIPT = "she had your dark suit in greasy wash water all year"


def run(args):
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300)


def snr_db(ref, test):
    return 10 * np.log10(np.sum(ref ** 2) / np.sum((ref - test) ** 2))


def assert_clear_error(out, *fragments):
    "Exit status 1, no traceback, and a message containing every fragment."
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr, out.stderr
    for fragment in fragments: assert fragment in out.stderr, out.stderr


@pytest.fixture
def source_csv(tmp_path):
    "LDC93S1 (16 kHz, size given) and the Russian fixture (wav_filesize 0), both by relative path."
    shutil.copy(data_path("deepspeech", "LDC93S1.wav"), tmp_path / "ldc.wav")
    shutil.copy(data_path("deepspeech", "russian_sample_data", "ru.wav"), tmp_path / "ru.wav")
    path = tmp_path / "source.csv"
    path.write_text("wav_filename,wav_filesize,transcript\n"
                    f"ru.wav,0,бедняга ребят\nldc.wav,93638,{LDC_TRANSCRIPT}\n")
    return path


def test_csv_sdb_csv_round_trip_through_the_cli(source_csv, tmp_path):
    sdb, csv_back = tmp_path / "out" / "set.sdb", tmp_path / "back" / "set.csv"
    sdb.parent.mkdir(); csv_back.parent.mkdir()
    out = run(CLI + ["data-set-tool", str(source_csv), str(sdb), "--bitrate", "32000", "--workers", "2"])
    assert out.returncode == 0, out.stderr
    out = run([sys.executable, "bin/data_set_tool.py", str(sdb), str(csv_back), "--workers", "2"])
    assert out.returncode == 0, out.stderr
    original, packed, back = (open_collection(p) for p in (source_csv, sdb, csv_back))
    assert original.transcripts == packed.transcripts == back.transcripts == [LDC_TRANSCRIPT, "бедняга ребят"]
    assert np.allclose(back.durations, original.durations)
    for a, b in zip(original, back):
        assert len(a.audio) == len(b.audio)
        assert snr_db(a.audio, b.audio) > 15          # Opus at 32 kbit/s: about 20 dB on speech
    assert all((csv_back.parent / "set" / f"{i:08d}.wav").is_file() for i in range(2))


def test_wav_sdb_is_lossless_and_tar_holds_csv_and_wavs(source_csv, tmp_path):
    out = run(CLI + ["data-set-tool", str(source_csv), str(tmp_path / "w.sdb"), "--audio-type", "wav", "--workers", "2"])
    assert out.returncode == 0, out.stderr
    for a, b in zip(open_collection(source_csv), open_collection(tmp_path / "w.sdb")):
        assert np.array_equal(a.audio, b.audio)
    out = run(CLI + ["data-set-tool", str(tmp_path / "w.sdb"), str(tmp_path / "set.tar.gz"), "--workers", "1"])
    assert out.returncode == 0, out.stderr
    with tarfile.open(tmp_path / "set.tar.gz") as tar:
        assert sorted(tar.getnames()) == ["set.csv", "set/00000000.wav", "set/00000001.wav"]
        tar.extractall(tmp_path / "x", filter="data")
    assert open_collection(tmp_path / "x" / "set.csv").transcripts == [LDC_TRANSCRIPT, "бедняга ребят"]


def test_merging_sources_and_unlabeled_output(source_csv, tmp_path):
    target = tmp_path / "noise.sdb"
    out = run(CLI + ["data-set-tool", str(source_csv), f"{source_csv},{source_csv}", str(target), "--unlabeled",
                     "--workers", "2"])
    assert out.returncode == 0, out.stderr
    noise = open_collection(target, labeled=False)
    assert len(noise) == 6 and noise.transcripts == [None] * 6
    assert (np.diff(noise.durations) >= 0).all()
    with pytest.raises(CollectionError, match="labeled=False"): open_collection(target)


def test_deepspeech_written_empty_sdb_converts_to_an_empty_csv(tmp_path):
    out = run(CLI + ["data-set-tool", str(data_path("deepspeech", "ldc93s1_empty.sdb")), str(tmp_path / "e.csv")])
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "e.csv").read_text() == "wav_filename,wav_filesize,transcript\n"


# --- bad input: one clear error naming the file (and row or offset) -----------------------------------------

def test_missing_audio_file_names_csv_row_and_file(source_csv, tmp_path):
    (tmp_path / "ru.wav").unlink()
    out = run(CLI + ["data-set-tool", str(source_csv), str(tmp_path / "t.sdb")])
    assert_clear_error(out, "source.csv line 2", "ru.wav does not exist")
    assert not list(tmp_path.glob("*t.sdb*"))                    # no file that looks complete, no temp file


def test_corrupt_audio_file_names_csv_row_and_file(source_csv, tmp_path):
    (tmp_path / "ldc.wav").write_bytes(b"RIFF\0\0\0\0WAVEgarbage")
    out = run(CLI + ["data-set-tool", str(source_csv), str(tmp_path / "t.sdb")])
    assert_clear_error(out, "source.csv line 3", "ldc.wav")


def test_corrupt_audio_found_when_the_sample_is_read(source_csv, tmp_path):
    # unsorted collections touch no audio at open: the error comes with the sample, and check() finds it up front
    (tmp_path / "ru.wav").write_bytes(b"not audio at all")
    collection = open_collection(source_csv, sort_by_duration=False)
    with pytest.raises(CollectionError, match=r"source.csv line 2: cannot decode audio file .*ru.wav"): collection[0]
    problems = collection.check()
    assert len(problems) == 1 and "source.csv line 2" in problems[0] and "ru.wav" in problems[0]


def test_csv_without_required_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("filename,size,text\nldc.wav,0,hello\n")
    out = run(CLI + ["data-set-tool", str(bad), str(tmp_path / "t.sdb")])
    assert_clear_error(out, "bad.csv lacks column(s) wav_filename, transcript", "expected wav_filename,wav_filesize")


def test_truncated_sdb_names_file_and_offset(source_csv, tmp_path):
    sdb = tmp_path / "full.sdb"
    with SDBWriter(sdb) as writer:
        for sample in open_collection(source_csv): writer.add(sample)
    data = sdb.read_bytes()
    (tmp_path / "cut.sdb").write_bytes(data[:len(data) - 9])
    out = run(CLI + ["data-set-tool", str(tmp_path / "cut.sdb"), str(tmp_path / "t.csv")])
    assert_clear_error(out, "cut.sdb is truncated", "offset")


def test_alphabet_without_trailing_newline_and_foreign_character(tmp_path):
    # accepted when unambiguous (as DeepSpeech 0.9.3's reader does), a clear error when the last line is blank
    (tmp_path / "ok.txt").write_text(" \na\nb")
    assert Alphabet(tmp_path / "ok.txt").labels == [" ", "a", "b"]
    (tmp_path / "bad.txt").write_text("a\nb\n ")
    with pytest.raises(AlphabetError, match=r"bad.txt \(line 3\).*newline"): Alphabet(tmp_path / "bad.txt")
    with pytest.raises(AlphabetError, match=r"'é'.*position 4.*ok.txt"): Alphabet(tmp_path / "ok.txt").encode("ab aé")


def test_bad_command_lines(tmp_path, source_csv):
    out = run(CLI + ["data-set-tool", str(source_csv), str(tmp_path / "t.mp3")])
    assert_clear_error(out, "unknown target type")
    out = run(CLI + ["data-set-tool", str(tmp_path / "nope.sdb"), str(tmp_path / "t.csv")])
    assert_clear_error(out, "nope.sdb does not exist")
    out = run(CLI + ["data-set-tool", str(source_csv), str(tmp_path / "t.sdb"), "--audio-type", "flac"])
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_augmented_copy_is_reproducible_across_worker_counts(source_csv, tmp_path):
    pytest.importorskip("deepspeech_nb.augment")
    outputs = []
    for workers in ("1", "2"):
        target = tmp_path / f"aug{workers}.sdb"
        out = run(CLI + ["data-set-tool", str(source_csv), str(target), "--audio-type", "wav", "--workers", workers,
                         "--augment", "gaps[p=1,n=2,size=50]", "--augment", "volume[p=0.5,dbfs=-3]", "--seed", "7"])
        assert out.returncode == 0, out.stderr
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    original, augmented = open_collection(source_csv), open_collection(tmp_path / "aug1.sdb")
    assert [len(s.audio) for s in original] == [len(s.audio) for s in augmented]
    assert not np.array_equal(original[0].audio, augmented[0].audio)


def test_bad_augmentation_spec_is_one_clear_error(source_csv, tmp_path):
    pytest.importorskip("deepspeech_nb.augment")
    out = run(CLI + ["data-set-tool", str(source_csv), str(tmp_path / "t.sdb"), "--augment", "reverb[p=2]"])
    assert_clear_error(out, "reverb")
    assert not list(tmp_path.glob("*t.sdb*"))
