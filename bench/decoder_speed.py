#!/usr/bin/env python3
"""Beam search speed: our flashlight-based decoder vs pyctcdecode, same logits, same KenLM scorer, beam 1024.

usage: .venv/bin/python bench/decoder_speed.py [--utterances 8] [--min_frames 500] [--beam_width 1024]
                                              [--logits_file test.npz] [--scorer path.scorer]

The logits are peaky synthetic ones (sentences sampled from the scorer's own language model, spelled by
`synthetic_logits` with letter confusions), or a trained model's outputs saved with `evaluate --dump_logits`.
pyctcdecode needs numpy < 2 and the `kenlm` module, so it runs in its own environment (default .venv-bench):
    python3.11 -m venv .venv-bench && .venv-bench/bin/pip install pyctcdecode==0.5.0 "numpy<2" kenlm==0.3.0
Both decoders get the same alpha/beta (the scorer's defaults) and their own default pruning; each is timed on
one core, utterance after utterance, after loading the language model (fastest of --repeats runs).
Target: ours >= 20x faster at the same or better WER (`make bench` creates .venv-bench).
"""
import argparse, json, math, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
from summary import emit, not_measured

from deepspeech_nb.core import data_path
from deepspeech_nb.decode import BeamSearchDecoder, DecoderConfig, _kenlm, greedy_decode, load_scorer, synthetic_logits
from deepspeech_nb.evaluate import ModelOutputs, load_outputs, save_outputs
from deepspeech_nb.metrics import corpus_wer
from deepspeech_nb.text import load_alphabet

PYCTC = r'''
import json, sys, time, numpy as np
from pyctcdecode import build_ctcdecoder
a = json.loads(sys.argv[1]); data = np.load(a["logits"])
logits = np.split(data["logits"], np.cumsum(data["lengths"])[:-1])
dec = build_ctcdecoder(a["labels"], kenlm_model_path=a["scorer"], unigrams=a["unigrams"], alpha=a["alpha"], beta=a["beta"])
dec.decode(logits[0][:50], beam_width=a["beam_width"])   # warm up
best = float("inf")
for _ in range(a["repeats"]):
    texts, t0 = [], time.perf_counter()
    for l in logits: texts.append(dec.decode(l, beam_width=a["beam_width"]))
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best, "texts": texts}))
'''

def sample_sentences(scorer, n: int, min_words: int, seed: int = 0) -> list[str]:
    "Sentences drawn word by word from the scorer's KenLM model (so the LM knows the domain)."
    lm, _ = _kenlm(scorer)
    rng, vocab = np.random.default_rng(seed), scorer.vocabulary
    out = []
    for _ in range(n):
        state, words = lm.start(False), []
        while len(words) < min_words:
            scored = [lm.score(state, i) for i in range(len(vocab))]
            logp = np.array([s for _, s in scored]) * math.log(10)
            p = np.exp(logp - logp.max()); p /= p.sum()
            i = int(rng.choice(len(vocab), p=p))
            state = scored[i][0]; words.append(vocab[i])
        out.append(" ".join(words))
    return out

def make_logits(scorer, alphabet, n: int, min_frames: int, peak: float = 8.0) -> ModelOutputs:
    "Synthetic model outputs of at least `min_frames` frames each."
    sentences, logits = sample_sentences(scorer, n, min_words=max(5, min_frames // 40)), []
    spell = lambda s, i: synthetic_logits(s, alphabet, confusion=0.12, peak=peak, seed=i)
    for i, s in enumerate(sentences):
        l = spell(s, i)
        while len(l) < min_frames: s += " " + sample_sentences(scorer, 1, 5, seed=1000 + i)[0]; l = spell(s, i)
        sentences[i] = s; logits.append(l)
    return ModelOutputs(logits, sentences, [f"synthetic{i}" for i in range(n)], None)

def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--utterances", type=int, default=16)
    p.add_argument("--min_frames", type=int, default=500)
    p.add_argument("--beam_width", type=int, default=1024)
    p.add_argument("--peak", type=float, default=8.0, help="synthetic logits: margin of the spoken class (higher: peakier)")
    p.add_argument("--repeats", type=int, default=3, help="time each decoder this many times, keep the fastest")
    p.add_argument("--scorer", default=str(data_path("deepspeech", "pruned_lm.scorer")))
    p.add_argument("--logits_file", default=None, help="model outputs from `deepspeech-nb evaluate --dump_logits`")
    p.add_argument("--bench_python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    a = p.parse_args()
    alphabet = load_alphabet()
    scorer = load_scorer(a.scorer, alphabet)
    out = load_outputs(a.logits_file) if a.logits_file else make_logits(scorer, alphabet, a.utterances, a.min_frames, a.peak)
    frames = [len(l) for l in out.logits]
    source = a.logits_file or f"synthetic logits (peak {a.peak:g})"
    print(f"{source}: {len(frames)} utterances, {min(frames)}-{max(frames)} frames, beam {a.beam_width}, scorer {Path(a.scorer).name} "
          f"(alpha {scorer.alpha:g}, beta {scorer.beta:g}, {len(scorer.vocabulary)} words)")

    ours = BeamSearchDecoder(alphabet, DecoderConfig(beam_width=a.beam_width), scorer)
    ours.decode(out.logits[0][:50])   # build the lexicon and decoder once, as pyctcdecode's warm-up
    t_ours = math.inf
    for _ in range(a.repeats):
        t0 = time.perf_counter(); hyps = [ours.decode(l) for l in out.logits]; t_ours = min(t_ours, time.perf_counter() - t0)
    greedy = corpus_wer(out.references, [greedy_decode(l, alphabet) for l in out.logits])

    with tempfile.TemporaryDirectory() as tmp:
        npz = save_outputs(out, Path(tmp) / "logits.npz")
        args = {"logits": str(npz), "labels": alphabet.labels + [""], "scorer": a.scorer, "unigrams": scorer.vocabulary,
                "alpha": scorer.alpha, "beta": scorer.beta, "beam_width": a.beam_width, "repeats": a.repeats}
        if not Path(a.bench_python).exists():
            print(f"pyctcdecode environment {a.bench_python} missing; `make bench` creates it (or see the docstring)"); return 1
        proc = subprocess.run([a.bench_python, "-c", PYCTC, json.dumps(args)], capture_output=True, text=True)
        if proc.returncode: print(proc.stderr[-2000:]); return 1
        theirs = json.loads(proc.stdout.strip().splitlines()[-1])

    w_ours, w_theirs = corpus_wer(out.references, hyps), corpus_wer(out.references, theirs["texts"])
    print(f"{'decoder':<28}{'seconds':>10}{'ms/frame':>10}{'WER':>8}")
    print(f"{'greedy':<28}{'':>10}{'':>10}{greedy:>8.4f}")
    print(f"{'deepspeech_nb (flashlight)':<28}{t_ours:>10.3f}{1000 * t_ours / sum(frames):>10.4f}{w_ours:>8.4f}")
    print(f"{'pyctcdecode 0.5.0':<28}{theirs['seconds']:>10.3f}{1000 * theirs['seconds'] / sum(frames):>10.4f}{w_theirs:>8.4f}")
    ratio = theirs["seconds"] / t_ours
    emit("decoder_speed", f"beam search with scorer, beam {a.beam_width}, {sum(frames)} frames", 1000 * t_ours / sum(frames),
         "ms/frame", "pyctcdecode 0.5.0, same logits and scorer", 1000 * theirs["seconds"] / sum(frames),
         higher_is_better=False, target="<= 0.05x (20x faster), same or better WER", note=f"WER {w_ours:.4f} vs {w_theirs:.4f}")
    print(f"speed-up: {ratio:.1f}x (target >= 20x); WER ours {w_ours:.4f} vs pyctcdecode {w_theirs:.4f} "
          f"({'same or better' if w_ours <= w_theirs + 1e-9 else 'WORSE'})")
    return 0

if __name__ == "__main__":
    sys.exit(main())
