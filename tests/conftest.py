"""Shared fixtures: LDC93S1 cut into short utterances, so that a training run takes seconds."""
import pytest

WORDS = "she had your dark suit in greasy wash water all year".split()


def ldc93s1_cuts(out,                # folder the wavs and cuts.csv go to
                 n: int = 6,         # number of cuts
                 step: int = 4000):  # samples each cut is longer than the one before (4000: 0.25 s at 16 kHz)
    "Write `n` LDC93S1 cuts of 1 s + i*step samples, each with its first 2+i words; returns the CSV's path."
    from deepspeech_nb.audio import load_audio, write_wav
    from deepspeech_nb.core import data_path
    audio = load_audio(data_path("deepspeech", "LDC93S1.wav"))
    rows = ["wav_filename,wav_filesize,transcript"]
    for i in range(n):
        path = out / f"cut{i}.wav"
        write_wav(path, audio[:16000 + step * i], 16000)
        rows.append(f"{path},{path.stat().st_size},{' '.join(WORDS[:2 + i])}")
    (out / "cuts.csv").write_text("\n".join(rows) + "\n")
    return out / "cuts.csv"


@pytest.fixture(scope="module")
def cuts(tmp_path_factory):
    "A CSV of six LDC93S1 cuts of 1 to 2.25 s with their first 2..7 words."
    return ldc93s1_cuts(tmp_path_factory.mktemp("cuts"))
