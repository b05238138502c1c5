"""import-asterisk-prompts on Debian's real recorded prompt packs (es and fr, installed by scripts/setup-system.sh):
the CLI as a user runs it, split by sentence, 16 kHz wavs, the language's alphabet, licence, drops and a resumed run."""
import subprocess, sys
from pathlib import Path
import pandas as pd, pytest, soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "deepspeech-nb")
SOUNDS = Path("/usr/share/asterisk/sounds")


def _import(language, dest, *extra):
    if not (SOUNDS / language).is_dir():
        pytest.fail(f"asterisk-core-sounds-{language}-wav is not installed: run scripts/setup-system.sh")
    return subprocess.run([CLI, "import-asterisk-prompts", "--language", language, str(dest), "--jobs", "2", *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def _rows(dest):
    return pd.concat([pd.read_csv(dest / f"{s}.csv").assign(split=s) for s in ("train", "dev", "test")])


def test_spanish_pack_imports_split_by_sentence_with_alphabet_and_licence(tmp_path):
    out = _import("es", tmp_path / "es")
    assert out.returncode == 0, out.stderr[-3000:]
    rows = _rows(tmp_path / "es")
    assert len(rows) > 300 and set(rows.split) == {"train", "dev", "test"}
    assert rows.groupby("transcript").split.nunique().max() == 1          # no sentence in two splits
    assert not rows.transcript.str.contains(r"[0-9\[\]().,A-Z]").any()     # no digits, brackets, punctuation, capitals
    assert rows.transcript.str.contains("[áéíóú]").any()                  # the language's letters survive
    assert {sf.info(p).samplerate for p in rows.wav_filename.head(20)} == {16000}
    letters = set((tmp_path / "es" / "alphabet.txt").read_text(encoding="utf-8").splitlines()[1:])
    assert set("".join(rows.transcript)) <= letters
    assert "CC-BY-SA-3.0" in (tmp_path / "es" / "LICENSE").read_text() + (tmp_path / "es" / "README.md").read_text()
    assert "digits (" in out.stdout and "non-speech (" in out.stdout and "8 kHz" in out.stdout

    again = _import("es", tmp_path / "es")                                # resumable and idempotent
    assert again.returncode == 0 and "converted 0 clips, reused" in again.stdout
    pd.testing.assert_frame_equal(_rows(tmp_path / "es"), rows)


def test_split_seed_decides_the_split(tmp_path):
    assert _import("es", tmp_path / "a", "--seed", "1").returncode == 0
    assert _import("es", tmp_path / "b", "--seed", "2").returncode == 0
    a, b = (_rows(tmp_path / d).set_index("transcript").split for d in ("a", "b"))
    assert (a.sort_index() != b.sort_index()).any()


def test_french_pack_keeps_apostrophes_and_accents(tmp_path):
    out = _import("fr", tmp_path / "fr")
    assert out.returncode == 0, out.stderr[-3000:]
    rows = _rows(tmp_path / "fr")
    assert len(rows) > 300
    assert rows.transcript.str.contains("d'").any() and rows.transcript.str.contains("é").any()
    assert rows.groupby("transcript").split.nunique().max() == 1


def test_english_and_unknown_packs_are_refused_in_one_line(tmp_path):
    for language, words in (("en", "reserved"), ("de", "pick one of")):
        out = subprocess.run([CLI, "import-asterisk-prompts", "--language", language, str(tmp_path / language)],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1 and not (tmp_path / language).exists()
    out = subprocess.run([CLI, "import-asterisk-prompts", "--language", "es", str(tmp_path / "x"),
                          "--sounds_dir", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "--sounds_dir" in out.stderr and "Traceback" not in out.stderr
