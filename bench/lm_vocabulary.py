#!/usr/bin/env python3
"""Language models for small domains (issue 15, item 4): what a general word list adds to a scorer built from the
training transcripts, measured on the recorded prompt packs with the checkpoints bench/recipe.py trained.

    .venv/bin/python bench/lm_vocabulary.py                                  # fr and es, the 20-minute small_data rows
    .venv/bin/python bench/lm_vocabulary.py --corpora fr --row deepspeech --budget_minutes 8 --n_trials 30

Per corpus, five scorers, every one made by `deepspeech-nb build-lm` (3-gram, --discount_fallback):
- `train`: the training transcripts (bench/recipe.py's scorer): a small vocabulary, so every test word that never
  occurred in training is out of vocabulary (OOV) and can never be output;
- `train+words`: the same sentences plus Debian's word list of the language (wfrench / wspanish,
  /usr/share/dict/french|spanish; wfrench GPL-2+, wspanish public domain; scripts/setup-system.sh installs them), one word a line, cut to the words
  the corpus' alphabet spells: almost no test word is OOV, but the LM prefers the domain's words much less;
- `train*10+words`: the transcripts ten times over, then the word list: the domain keeps most of its weight;
- `chars:train`, `chars:train+words`: character 6-grams (`build-lm --character_lm`) of the same texts, decoded
  lexicon-free: no word is out of vocabulary, any spelling can be output, the LM only says how likely it is.
Each is scored with the row's best_dev checkpoint by `deepspeech-nb evaluate` (beam 256, the scorer's default weights;
`--scorers` picks some of them), and with `--n_trials N` also with weights that `deepspeech-nb lm-optimize` tuned on the dev split. With
`--blank_penalties P ...` a second table scores the same checkpoint with `--blank_penalty P` (beam 256, with the
`train` scorer and without a scorer). Prints the tables (test OOV rate, CER, WER) and writes them to bench/LM.md. Never the English pack, pocketsphinx-testdata or
alsa-utils' voices (reserved for the independent evaluation).
"""
import argparse, json, re, shlex, subprocess, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from recipe import CLI, ROOT, build_lm, corpus_totals, run, transcripts   # the same CLI, scoring and logging as the recipe table

WORD_LISTS = {"fr": Path("/usr/share/dict/french"), "es": Path("/usr/share/dict/spanish")}
DOMAIN_REPEATS = 10   # `train*10+words`: the transcripts this many times before the word list


def spelled_words(word_list: Path, alphabet_file: Path) -> list[str]:
    "The word list in lower case, without words the alphabet cannot spell, in file order."
    labels = {l.rstrip("\n") for l in alphabet_file.read_text(encoding="utf-8").splitlines() if not l.startswith("#")}
    words = (w.strip().lower() for w in word_list.read_text(encoding="utf-8", errors="replace").splitlines())
    return list(dict.fromkeys(w for w in words if w and " " not in w and set(w) <= labels))


def oov_rate(test: list[str], vocabulary: set) -> float:
    "Share of the test transcripts' word tokens that are not in `vocabulary`."
    tokens = [w for t in test for w in t.split()]
    return sum(w not in vocabulary for w in tokens) / max(1, len(tokens))


RECIPE_SCORERS = {"train": "lm", "chars:train": "lm/chars"}   # the scorers bench/recipe.py's prepare built already


def build(name: str, lines: list[str], data: Path, alphabet: Path, log: Path) -> Path:
    "A scorer (data/lm_NAME/kenlm.scorer, or chars.scorer for a `chars:` name) from `lines`, built once (recipe's own for its two)."
    character = name.startswith("chars:")
    out = data / (RECIPE_SCORERS.get(name) or "lm_" + name.replace(":", "_").replace("*", "x").replace("+", "_"))
    target = out / ("chars.scorer" if character else "kenlm.scorer")
    if not target.exists():
        out.mkdir(parents=True, exist_ok=True)
        (out / "text.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        build_lm(out / "text.txt", out, alphabet, log, character=character, top_k=1000000)
    return target


def vocabulary_of(scorer: Path) -> set | None:
    "The words a word scorer can output; None for a character LM (lexicon-free: any)."
    if scorer.name == "chars.scorer": return None
    return set(next(scorer.parent.glob("vocab-*.txt")).read_text(encoding="utf-8").split())


def tuned_weights(ckpt: Path, data: Path, scorer: Path, n_trials: int, log: Path) -> tuple[float, float]:
    "lm-optimize's best (alpha, beta) on the dev split."
    cmd = CLI + ["lm-optimize", "--checkpoint_dir", str(ckpt), "--test_files", str(data / "dev.csv"),
                 "--alphabet_config_path", str(data / "alphabet.txt"), "--scorer_path", str(scorer),
                 "--n_trials", str(n_trials), "--beam_width", "256", "--test_batch_size", "16"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    log.open("a").write("$ " + shlex.join(cmd) + "\n" + out.stdout + out.stderr)
    found = re.search(r"lm_alpha=([\d.e-]+) and lm_beta=([\d.e-]+)", out.stdout)
    if out.returncode or not found: raise RuntimeError(f"lm-optimize failed, see {log}")
    return float(found.group(1)), float(found.group(2))


def score(ckpt: Path, data: Path, scorer: Path | None, out: Path, log: Path, weights=None, blank_penalty=0.0) -> tuple[float, float]:
    "(CER, WER) of the checkpoint on the test split with `scorer` (and `weights` when given; None: no scorer)."
    extra = ["--lm_alpha", str(weights[0]), "--lm_beta", str(weights[1])] if weights else []
    extra += ["--scorer_path", str(scorer)] if scorer else []
    run(CLI + ["evaluate", "--checkpoint_dir", str(ckpt), "--test_files", str(data / "test.csv"),
               "--alphabet_config_path", str(data / "alphabet.txt"), *extra, "--blank_penalty", str(blank_penalty),
               "--beam_width", "256", "--test_batch_size", "16", "--report_count", "1", "--test_output_file", str(out)], log)
    return corpus_totals(out)


SCORERS = ("train", "train+words", f"train*{DOMAIN_REPEATS}+words", "chars:train", "chars:train+words")


def measure(corpus: str, work: Path, row: str, budget: float, n_trials: int, scorers=SCORERS) -> list[dict]:
    data, folder = work / f"data_{corpus}", work / corpus / f"{budget:g}min" / row
    ckpt, log = folder / "checkpoints", folder / "lm_vocabulary.log"
    if not ckpt.is_dir(): raise SystemExit(f"{ckpt} does not exist: run bench/recipe.py --corpora {corpus} --rows {row} first")
    if not WORD_LISTS[corpus].exists():
        raise SystemExit(f"{WORD_LISTS[corpus]} is missing: apt-get install {'wfrench' if corpus == 'fr' else 'wspanish'}")
    train, test = transcripts(data / "train.csv"), transcripts(data / "test.csv")
    words = spelled_words(WORD_LISTS[corpus], data / "alphabet.txt")
    texts = {"train": train, "train+words": train + words, f"train*{DOMAIN_REPEATS}+words": train * DOMAIN_REPEATS + words,
             "chars:train": train, "chars:train+words": train + words}
    rows = []
    for name in scorers:   # a name `texts` lacks fails here, not silently
        lines = texts[name]
        scorer = build(name, lines, data, data / "alphabet.txt", log)
        vocab, tag = vocabulary_of(scorer), name.replace(":", "_")
        cer, wer = score(ckpt, data, scorer, folder / f"test_lm_{tag}.json", log)
        r = {"corpus": corpus, "scorer": name, "vocabulary": None if vocab is None else len(vocab),
             "test_oov": 0.0 if vocab is None else oov_rate(test, vocab), "cer": cer, "wer": wer}
        if n_trials:
            weights = tuned_weights(ckpt, data, scorer, n_trials, log)
            r["tuned"] = weights
            r["cer_tuned"], r["wer_tuned"] = score(ckpt, data, scorer, folder / f"test_lm_{tag}_tuned.json", log, weights)
        print(json.dumps(r), flush=True); rows.append(r)
    return rows


def penalties(corpus: str, work: Path, row: str, budget: float, values: list[float]) -> list[dict]:
    "CER/WER of the row's checkpoint under each --blank_penalty, with the training-text scorer and without a scorer."
    data, folder = work / f"data_{corpus}", work / corpus / f"{budget:g}min" / row
    out, train = [], build("train", transcripts(data / "train.csv"), data, data / "alphabet.txt", folder / "lm_vocabulary.log")
    for p in values:
        for name, scorer in (("train", train), ("none", None)):
            cer, wer = score(folder / "checkpoints", data, scorer, folder / f"test_penalty_{p:g}_{name}.json",
                             folder / "lm_vocabulary.log", blank_penalty=p)
            r = {"corpus": corpus, "blank_penalty": p, "scorer": name, "cer": cer, "wer": wer}
            print(json.dumps(r), flush=True); out.append(r)
    return out


def penalty_table(rows: list[dict]) -> str:
    lines = ["| corpus | --blank_penalty | CER / WER, scorer `train` | CER / WER, no scorer |", "| --- | --- | --- | --- |"]
    for c in dict.fromkeys(r["corpus"] for r in rows):
        for p in dict.fromkeys(r["blank_penalty"] for r in rows if r["corpus"] == c):
            got = {r["scorer"]: r for r in rows if r["corpus"] == c and r["blank_penalty"] == p}
            lines.append(f"| {c} | {p:g} | {got['train']['cer']:.3f} / {got['train']['wer']:.3f} | "
                         f"{got['none']['cer']:.3f} / {got['none']['wer']:.3f} |")
    return "\n## Blank penalty\n\nThe same checkpoints, beam 256, the `train` scorer at its default weights or no scorer:\n\n" + \
        "\n".join(lines) + "\n"


def table(rows: list[dict], args) -> str:
    tuned = any("tuned" in r for r in rows)
    head = "| corpus | scorer | vocabulary | test OOV | CER / WER (default weights) |" + \
           (" CER / WER (tuned on dev) | alpha, beta |" if tuned else "")
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for r in rows:
        vocab = "any (lexicon-free)" if r["vocabulary"] is None else f"{r['vocabulary']:,}"
        line = f"| {r['corpus']} | {r['scorer']} | {vocab} | {r['test_oov']:.3f} | {r['cer']:.3f} / {r['wer']:.3f} |"
        if tuned: line += f" {r['cer_tuned']:.3f} / {r['wer_tuned']:.3f} | {r['tuned'][0]:.2f}, {r['tuned'][1]:.2f} |"
        lines.append(line)
    return (f"# Scorers for small domains\n\nWritten by `{args.command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
            f"the best_dev checkpoint of bench/recipe.py's `{args.row}` row ({args.budget_minutes:g}-minute budget) on each "
            "prompt pack's test split, beam 256; see the script's docstring for the scorers.\n\n" + "\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", nargs="+", default=["fr", "es"], choices=sorted(WORD_LISTS))
    ap.add_argument("--row", default="small_data", help="the bench/recipe.py row whose checkpoint decodes")
    ap.add_argument("--budget_minutes", type=float, default=20.0, help="that row's budget (its folder)")
    ap.add_argument("--scorers", nargs="+", default=list(SCORERS), choices=SCORERS, help="measure only these scorers")
    ap.add_argument("--n_trials", type=int, default=0, help="also tune alpha/beta on dev with this many lm-optimize trials")
    ap.add_argument("--blank_penalties", type=float, nargs="*", default=[], help="also score these --blank_penalty values")
    ap.add_argument("--work", default=str(ROOT / "bench" / "recipe_runs"))
    ap.add_argument("--output", default=str(ROOT / "bench" / "LM.md"))
    a = ap.parse_args(argv)
    a.command = "bench/lm_vocabulary.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    rows = [r for c in a.corpora for r in measure(c, Path(a.work).absolute(), a.row, a.budget_minutes, a.n_trials, a.scorers)]
    text = table(rows, a)
    if a.blank_penalties:
        text += penalty_table([r for c in a.corpora for r in penalties(c, Path(a.work).absolute(), a.row,
                                                                       a.budget_minutes, a.blank_penalties)])
    print(text)
    Path(a.output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
