"""Decoding and evaluation from the command line: build-lm, evaluate, lm-optimize, the DeepSpeech shims.

Fast and offline: the acoustic model is replaced by synthetic logits saved as a logits file."""
import json, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from deepspeech_nb.core import data_path
from deepspeech_nb.decode import (DecoderConfig, KenLMNotFoundError, ScorerError, find_kenlm_bins, load_scorer,
                                  make_decoder, synthetic_logits)
from deepspeech_nb.evaluate import ModelOutputs, save_outputs
from deepspeech_nb.metrics import corpus_wer, greedy_decode
from deepspeech_nb.text import load_alphabet

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb")]
SCORER = data_path("deepspeech", "pruned_lm.scorer")
SENTENCES = ["she had your dark suit in greasy wash water all year", "the little girl saw her mother",
             "we were brought together with several other families", "i knew i would find her someday"]

def run(*args, **kw):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300, **kw)

def kenlm_or_skip():
    try: return find_kenlm_bins()
    except KenLMNotFoundError: pytest.skip("KenLM programs not built: run scripts/build-kenlm.sh")

@pytest.fixture(scope="module")
def logits_file(tmp_path_factory):
    alphabet = load_alphabet()
    logits = [synthetic_logits(s, alphabet, confusion=0.15, seed=i) for i, s in enumerate(SENTENCES)]
    names = [f"sample{i}.wav" for i in range(len(SENTENCES))]
    return save_outputs(ModelOutputs(logits, SENTENCES, names, None), tmp_path_factory.mktemp("logits") / "test.npz")

def test_pruned_lm_scorer_loads_and_decodes():
    scorer = load_scorer(SCORER)
    assert (scorer.alpha, round(scorer.beta, 4), len(scorer.vocabulary), scorer.is_utf8) == (0.75, 1.85, 3540, False)
    alphabet = load_alphabet()
    logits = synthetic_logits(SENTENCES[0], alphabet, confusion=0.15, seed=1)
    assert make_decoder(alphabet, DecoderConfig(beam_width=64), scorer).decode(logits) == SENTENCES[0]

def test_evaluate_logits_file(logits_file, tmp_path):
    out = tmp_path / "report.json"
    p = run("evaluate", "--logits_file", logits_file, "--scorer_path", SCORER, "--beam_width", 128,
            "--report_count", 2, "--test_output_file", out, "--decode_num_workers", 1)
    assert p.returncode == 0, p.stderr
    assert "WER:" in p.stdout and "Best WER:" in p.stdout and "Worst WER:" in p.stdout
    records = json.loads(out.read_text())
    assert len(records) == 4 and {r["src"] for r in records} == set(SENTENCES)
    greedy = run("evaluate", "--logits_file", logits_file, "--beam_width", 1, "--report_count", 0)
    wer = lambda text: float(text.split("WER: ")[1].split(",")[0])
    assert wer(p.stdout) < wer(greedy.stdout)

def test_lm_optimize_logits_file(logits_file):
    p = run("lm-optimize", "--logits_file", logits_file, "--scorer_path", SCORER, "--beam_width", 64,
            "--n_trials", 3, "--decode_num_workers", 1)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("trial ") == 3 and "Best params: lm_alpha=" in p.stdout

def test_bad_scorer_and_inputs(logits_file, tmp_path):
    corrupt = tmp_path / "corrupt.scorer"; corrupt.write_bytes(SCORER.read_bytes()[:300_000])
    p = run("evaluate", "--logits_file", logits_file, "--scorer_path", corrupt)
    assert p.returncode == 1 and "truncated" in p.stderr and "Traceback" not in p.stderr
    p = run("evaluate", "--logits_file", logits_file, "--scorer_path", tmp_path / "missing.scorer")
    assert p.returncode == 1 and "does not exist" in p.stderr
    p = run("evaluate", "--beam_width", 1)
    assert p.returncode == 1 and "--test_files" in p.stderr
    (tmp_path / "lm.arpa").write_text("\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\t<s>\t0\n-1.0\twörld\n\n\\end\\\n")
    with pytest.raises(ScorerError, match="outside the alphabet"): load_scorer(tmp_path / "lm.arpa", load_alphabet())

def test_build_lm_makes_a_deepspeech_scorer(tmp_path):
    kenlm_or_skip()
    corpus = data_path("deepspeech", "vocab.txt")
    args = [sys.executable, ROOT / "bin" / "generate_lm.py", "--input_txt", corpus, "--output_dir", tmp_path, "--top_k", 5000,
            "--arpa_order", 3, "--arpa_prune", "0", "--max_arpa_memory", "10%", "--discount_fallback"]
    p = subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    scorer = load_scorer(tmp_path / "kenlm.scorer")
    assert set(scorer.vocabulary) == set(corpus.read_text().split())
    assert scorer.alpha == pytest.approx(0.931289039105002)

UNSEEN = ["the children played near the river while grandmother knitted",   # words vocab.txt never has
          "a sudden frost covered the vineyard before dawn"]

def test_character_lm_spells_unseen_words(tmp_path):
    "build-lm --character_lm, then evaluate and lm-optimize with its chars.scorer, as a user runs them."
    kenlm_or_skip()
    p = run("build-lm", "--input_txt", data_path("deepspeech", "vocab.txt"), "--output_dir", tmp_path / "chars",
            "--character_lm", "--arpa_order", 6, "--arpa_prune", "0", "--max_arpa_memory", "10%", "--discount_fallback")
    assert p.returncode == 0, p.stderr
    chars = tmp_path / "chars" / "chars.scorer"
    assert load_scorer(chars).lexicon_free
    alphabet = load_alphabet()
    logits = [synthetic_logits(s, alphabet, confusion=0.3, seed=i) for i, s in enumerate(UNSEEN)]
    outputs = save_outputs(ModelOutputs(logits, UNSEEN, ["a.wav", "b.wav"], None), tmp_path / "unseen.npz")
    wer = {"greedy": corpus_wer(UNSEEN, [greedy_decode(l, alphabet) for l in logits])}
    for name, scorer in (("chars", chars), ("words", SCORER)):
        e = run("evaluate", "--logits_file", outputs, "--scorer_path", scorer, "--beam_width", 256, "--report_count", 0,
                "--decode_num_workers", 1)
        assert e.returncode == 0, e.stderr
        wer[name] = float(e.stdout.split("WER: ")[1].split(",")[0])
    assert wer["chars"] < min(wer["words"], wer["greedy"]), wer   # the word scorer cannot output the unseen words
    o = run("lm-optimize", "--logits_file", outputs, "--scorer_path", chars, "--beam_width", 64, "--n_trials", 3,
            "--decode_num_workers", 1)
    assert o.returncode == 0 and "Best params: lm_alpha=" in o.stdout, o.stderr
    french = tmp_path / "fr.txt"; french.write_text(" \n" + "\n".join("abcdefghijklmnopqrstuvwxyzé'") + "\n")
    e = run("evaluate", "--logits_file", outputs, "--scorer_path", chars, "--alphabet_config_path", french)
    assert e.returncode == 1 and "a character LM for the alphabet" in e.stderr and "Traceback" not in e.stderr

def test_build_lm_bad_input(tmp_path):
    kenlm_or_skip()
    (tmp_path / "empty.txt").write_text("\n")
    p = run("build-lm", "--input_txt", tmp_path / "empty.txt", "--output_dir", tmp_path / "out")
    assert p.returncode == 1 and "holds no words" in p.stderr
    (tmp_path / "odd.txt").write_text("a fine day\nthe café\n")
    p = run("build-lm", "--input_txt", tmp_path / "odd.txt", "--output_dir", tmp_path / "out2")
    assert p.returncode == 1 and "'café' (line 2)" in p.stderr
    p = run("build-lm", "--input_txt", tmp_path / "odd.txt", "--output_dir", tmp_path / "out3", "--kenlm_bins", tmp_path)
    assert p.returncode == 1 and "scripts/build-kenlm.sh" in p.stderr

def test_shims_forward_to_the_cli():
    for shim in ("generate_lm.py", "lm_optimizer.py"):
        p = subprocess.run([sys.executable, ROOT / "bin" / shim, "--help"], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0 and "usage" in p.stdout.lower(), (shim, p.stderr)

def test_evaluate_checkpoint_and_tflite(tmp_path):
    "evaluate runs a checkpoint's model (TF) and its TFLite export (no TF) and reports the same loss."
    from deepspeech_nb.checkpoints import ProgressState, checkpoint_meta, save_checkpoint
    from deepspeech_nb.features import FeatureConfig
    from deepspeech_nb.importers import import_ldc93s1
    from deepspeech_nb.model import ModelConfig, build_model
    import keras
    keras.utils.set_random_seed(0)          # the same random model every run
    alphabet, cfg = load_alphabet(), ModelConfig(n_hidden=32, n_classes=29)
    save_checkpoint(tmp_path / "ckpt", build_model(cfg), None, ProgressState(), kind="best_dev",
                    meta=checkpoint_meta(cfg, FeatureConfig(), alphabet))
    csv = import_ldc93s1(tmp_path / "data")
    loss = lambda text: float(text.split("loss: ")[1].split()[0])
    p = run("evaluate", "--checkpoint_dir", tmp_path / "ckpt", "--test_files", csv, "--beam_width", 16,
            "--dump_logits", tmp_path / "logits.npz", "--test_output_file", tmp_path / "out.json")
    assert p.returncode == 0, p.stderr[-3000:]
    assert "LDC93S1.wav" in p.stdout and (tmp_path / "logits.npz").exists()
    e = run("export", "--checkpoint_dir", tmp_path / "ckpt", "--export_dir", tmp_path / "export", "--export_tflite",
            "--noexport_quantize")   # float weights: int8 ones move a random model's loss by up to ~0.2 %
    assert e.returncode == 0, e.stderr[-3000:]
    t = run("evaluate", "--model", tmp_path / "export", "--test_files", csv, "--beam_width", 16)
    assert t.returncode == 0, t.stderr[-3000:]
    assert loss(t.stdout) == pytest.approx(loss(p.stdout), rel=1e-3)
