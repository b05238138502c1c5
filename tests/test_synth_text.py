"""synth-corpus --text: WordNet's glosses as more sentences for a starter model (needs Debian's wordnet-base)."""
import subprocess, sys
from pathlib import Path

import pytest

from deepspeech_nb.synth import WORDNET_DIR, SynthConfig, plan_corpus, corpus_sentences

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb")]
wordnet = pytest.mark.skipif(not (WORDNET_DIR / "data.noun").exists(), reason="apt-get install wordnet-base")


@wordnet
def test_wordnet_plan_has_distinct_sentences():
    "A 2,000-clip plan from --text all says a different sentence in (almost) every clip; bundled repeats them."
    many = {r["sentence"] for r in plan_corpus(SynthConfig(n=2000, text="all", voices=(("espeak-ng", "en-us"),)),
                                               corpus_sentences("all"))}
    few = {r["sentence"] for r in plan_corpus(SynthConfig(n=2000, voices=(("espeak-ng", "en-us"),)),
                                              corpus_sentences("bundled"))}
    assert len(many) > 1900 and len(few) <= 479


@wordnet
def test_cli_text_wordnet_writes_the_licence(tmp_path):
    out = tmp_path / "cv"
    p = subprocess.run(CLI + ["synth-corpus", str(out), "-n", "4", "--jobs", "1", "--text", "wordnet",
                              "--voices", "en-us+m3"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "Princeton" in (out / "WORDNET_LICENSE").read_text()
    assert len((out / "validated.tsv").read_text().splitlines()) == 5


def test_cli_rejects_an_unknown_text(tmp_path):
    p = subprocess.run(CLI + ["synth-corpus", str(tmp_path / "cv"), "-n", "4", "--text", "news"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 2 and "invalid choice" in p.stderr
