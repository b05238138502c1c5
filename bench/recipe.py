#!/usr/bin/env python3
"""Side by side on little real speech (issue 15, item 5): DeepSpeech's recipe, each small-data recipe piece added
alone, the combination (`--recipe small_data`) and fine-tuning from a starter model, at the same wall-clock budget
per row, each trained, tested and rescored through the kit's CLI; writes bench/RECIPE.md.

    .venv/bin/python bench/recipe.py                                   # every row x es, fr, synth at 20 minutes a row
    .venv/bin/python bench/recipe.py --budget_minutes 3 --corpora es fr --rows deepspeech speed small_data
    .venv/bin/python bench/recipe.py --quick                           # smoke: 0.5-minute rows, 2 rows, es only
    .venv/bin/python bench/recipe.py --starter DIR                     # adds the fine-tuning row (a checkpoint folder)
    .venv/bin/python bench/recipe.py --candidate 'lr1e-3=--learning_rate 0.001'   # an extra row: flags on the base

Corpora: `es`, `fr` (Debian's recorded Asterisk prompt packs, real speech, `deepspeech-nb import-asterisk-prompts`)
and `synth` (`deepspeech-nb synth-corpus -n 500`, then `import-cv2`). Never the English pack, pocketsphinx-testdata or
alsa-utils' voices: they are reserved for the independent evaluation.

Every row is one `deepspeech-nb train` run with `--max_train_minutes BUDGET` (training ends at the end of the epoch
in which the budget passed) and the test on the best_dev checkpoint decoded greedily (`--beam_width 1`), then one
`deepspeech-nb evaluate` of the same checkpoint with beam search and a scorer that `deepspeech-nb build-lm` made from
the corpus' training transcripts. Rows:

- `deepspeech`: DeepSpeech's recipe, `--n_hidden 512 --learning_rate 0.0005 --dropout_rate 0.2`, batch 16.
- one row per piece of `RECIPES["small_data"]` (deepspeech_nb/flags.py), added alone to that: each `--augment`, and
  each other flag (`--warmup_epochs` travels with `--lr_schedule`); plus `EXTRA_PIECES` below (pieces the recipe
  does not hold, measured to decide whether it should).
- `small_data`: `--recipe small_data`, with DeepSpeech's flags only where the recipe does not set that flag.
- `fine_tune` (with `--starter DIR`): `small_data` continued from DIR's weights (`--load_checkpoint_dir DIR`,
  `--drop_source_layers 1` when its alphabet differs from the corpus').
- `small_data_no_masks`, `fine_tune_no_masks`: those rows with `--augment none --nocache_spectrogram`, so without the
  recipe's two masks and with DeepSpeech's features cache (`small_data` until 2026-12-03).
- `small_data_zero_masks`, `fine_tune_zero_masks`: with the same two masks filled with zero (DeepSpeech's fill)
  instead of each bin's average over the utterance (the recipe's `fill=mean`).
- `--candidate NAME=FLAGS`: any further row, FLAGS on top of `deepspeech` (to measure a recipe before it goes in).

Rows use `--feature_cache` unless they augment before what the cache holds (speed on the audio always; the masks on
the spectrogram unless `--cache_spectrogram`): the cache draws those augmentations once and would freeze one perturbed
or masked copy for the whole run (the fine_tune_masks row of 2026-12-02 ran so, by mistake).
A learning-rate schedule runs over `--epochs`, so a scheduled row gets as `--epochs` the epochs that an unscheduled
row with the same input pipeline reached in the same budget (rows are ordered so that one ran first); every other
row gets a cap it never reaches.

Resumable: a row whose run folder (`--work`/CORPUS/BUDGETmin/ROW) holds `row.json` is not re-run (and one that stopped
half-way is started afresh); a finished row measured with other effective flags (RECIPES changed since) fails with one
line instead of standing in for the new row;
each row prints a `BENCH_ROW {json}` line (bench/summary.py) with its test CER greedy against DeepSpeech's recipe's.
"""
import argparse, csv, json, os, shlex, shutil, subprocess, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from summary import emit, not_measured

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb") if (Path(sys.executable).parent / "deepspeech-nb").exists()
       else shutil.which("deepspeech-nb") or "deepspeech-nb"]   # the kit's CLI (the venv's, beside this Python)
BASE = ["--n_hidden", "512", "--learning_rate", "0.0005", "--dropout_rate", "0.2", "--train_batch_size", "16"]
COMMON = ["--dev_batch_size", "16", "--test_batch_size", "16", "--random_seed", "4568", "--noshow_progressbar",
          "--report_count", "1"]
EXTRA_PIECES = {   # pieces RECIPES["small_data"] does not hold (yet): flags on top of DeepSpeech's recipe
    "speed": ["--augment", "speed[low=0.9,high=1.1,steps=3]"],
    "weight_decay": ["--weight_decay", "0.05"],
    "average": ["--average_checkpoints", "3", "--average_from", "best", "--best_metric", "cer"],
    "lr_0.001": ["--learning_rate", "0.001"],
    "cosine_schedule": ["--lr_schedule", "cosine", "--warmup_epochs", "1"],   # scheduled: after the unscheduled rows
}
MASKS = ["--augment", "frequency_mask[n=0:2,size=10~5]", "--augment", "relative_time_mask[n=0:2,ratio=0.05]"]
# the recipe's two masks (brought in over training) with DeepSpeech's zero fill instead of the recipe's mean
NO_MASKS = ["--augment", "none", "--nocache_spectrogram"]   # the recipe without its masks, nor their spectrogram cache
# (small_data until 2026-12-03)
CORPORA = ("es", "fr", "synth")
NOTES = "<!-- notes: bench/recipe.py keeps what follows this line when it rewrites the file -->"
SCHEDULE_FLAGS = ("lr_schedule", "warmup_epochs")
EPOCH_CAP = "100000"


def recipe() -> dict:
    "RECIPES['small_data'] of the kit this script runs."
    from deepspeech_nb.flags import RECIPES
    return RECIPES["small_data"]


def boolean_flags() -> set:
    "The kit's boolean flags (each also spelt --noNAME)."
    from deepspeech_nb.flags import FLAG_GROUPS
    return {name for group in FLAG_GROUPS.values() for kind, name, *_ in group if kind == "boolean"}


def to_argv(flags: dict) -> list:
    "`--name value` pairs (a list value repeats the flag) of a recipe-style dict."
    argv = []
    for k, v in flags.items():
        for x in (v if isinstance(v, list) else [v]): argv += [f"--{k}"] if x is True else [f"--{k}", str(x)]
    return argv


def without(argv: list, names) -> list:
    "`argv` (`--name value` pairs) without the flags in `names`."
    out, i = [], 0
    while i < len(argv):
        if argv[i].lstrip("-") in names:   # a boolean flag has no value after it
            i += 1 if i + 1 == len(argv) or argv[i + 1].startswith("--") else 2; continue
        out.append(argv[i]); i += 1
    return out


def flag_values(argv: list) -> dict:
    "The last value of each `--name value` pair of `argv` (flags without a value map to True)."
    out, i = {}, 0
    while i < len(argv):
        name = argv[i].lstrip("-")
        if i + 1 < len(argv) and not argv[i + 1].startswith("--"): out[name] = argv[i + 1]; i += 2
        else: out[name] = True; i += 1
    return out


def rows_spec(starter: str, candidates: list) -> dict:
    "name -> flags after the corpus' data flags, in the order they run (unscheduled rows first)."
    r = recipe()
    rows = {"deepspeech": list(BASE)}
    for spec in r.get("augment", []):   # a spectrogram cache (when the recipe has one) travels with each augmentation
        rows[spec.split("[")[0]] = BASE + ["--augment", spec] + ["--cache_spectrogram"] * bool(r.get("cache_spectrogram"))
    for k, v in r.items():
        if k in ("augment", "cache_spectrogram") or k == "warmup_epochs" and "lr_schedule" in r: continue
        if str(flag_values(BASE).get(k)) == str(v): continue          # DeepSpeech's own value: the deepspeech row
        piece = {k: v, **({kk: r[kk] for kk in SCHEDULE_FLAGS if kk in r} if k in SCHEDULE_FLAGS else {})}
        rows[k if k not in SCHEDULE_FLAGS else f"{r.get('lr_schedule', 'constant')}_schedule"] = \
            without(BASE, piece) + to_argv(piece)
    for name, extra in EXTRA_PIECES.items():
        rows[name] = without(BASE, flag_values(extra)) + extra
    rows["small_data"] = without(BASE, r) + ["--recipe", "small_data"]
    rows["small_data_no_masks"] = rows["small_data"] + NO_MASKS
    rows["small_data_zero_masks"] = rows["small_data"] + MASKS
    if starter:
        rows["fine_tune"] = rows["small_data"] + ["--load_checkpoint_dir", str(Path(starter).absolute())]
        rows["fine_tune_no_masks"] = rows["fine_tune"] + NO_MASKS
        rows["fine_tune_zero_masks"] = rows["fine_tune"] + MASKS
    for c in candidates:
        name, _, flags = c.partition("=")
        extra = shlex.split(flags)
        rows[name.strip()] = without(BASE, flag_values(extra)) + extra
    return dict(sorted(rows.items(), key=lambda kv: scheduled(kv[1])))   # stable: unscheduled rows first


def effective(argv: list) -> dict:
    "The flag values a row trains with: its own, then the recipe's where it names one and they are not given."
    v = flag_values(argv)
    v |= {k[2:]: False for k in list(v) if k.startswith("no") and k[2:] in boolean_flags() and v.pop(k)}   # --noNAME
    if "augment" in v: v["augment"] = [argv[i + 1] for i, a in enumerate(argv) if a == "--augment"]   # repeats
    if v.get("recipe") == "small_data":
        r = recipe()
        v = {**r, **v}
        if "augment" not in v: v["augment"] = r.get("augment", [])
    return v


def scheduled(argv: list) -> bool:
    v = effective(argv)
    return v.get("lr_schedule", "constant") != "constant" or float(v.get("warmup_epochs", 0) or 0) > 0


def cache_would_freeze(argv: list) -> bool:
    "Whether a row augments before what its feature cache would hold, so that the cache would draw it only once."
    from deepspeech_nb.augment import AugmentConfig, cache_stage, parse_augmentations
    v = effective(argv)
    augment = AugmentConfig(augmentations=parse_augmentations(v.get("augment", [])))
    return bool(augment.frozen_by_cache(cache_stage(bool(v.get("cache_spectrogram")))))


# ---------------------------------------------------------------------------------------------------- corpora
def run(cmd: list, log: Path, env=None, timeout=None) -> float:
    "Run `cmd` (niced), its output appended to `log`; its wall seconds. A failure raises with the log's tail."
    t = time.perf_counter()
    with open(log, "a") as f:
        f.write("$ " + shlex.join(cmd) + "\n"); f.flush()
        p = subprocess.run(["nice", "-n", os.environ.get("BENCH_NICE", "15"), *cmd], stdout=f, stderr=subprocess.STDOUT,
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
                                          **(env or {})}, timeout=timeout)
    if p.returncode:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(f"exit {p.returncode}: {shlex.join(cmd[:4])} ...\n{tail}")
    return time.perf_counter() - t


def transcripts(path: Path) -> list[str]:
    "The transcript column of a DeepSpeech CSV."
    with open(path, newline="", encoding="utf-8") as f: return [r["transcript"] for r in csv.DictReader(f)]


CHAR_ORDER = 6   # order of the character n-grams: the highest the default KenLM build (max order 6) takes


def build_lm(text: Path, out: Path, alphabet, log: Path, character: bool = False, top_k: int = 50000) -> None:
    "`deepspeech-nb build-lm` of `text` into `out`: a word 3-gram, or the character CHAR_ORDER-gram (`character`)."
    run(CLI + ["build-lm", "--input_txt", str(text), "--output_dir", str(out), "--top_k", str(top_k),
               "--arpa_order", str(CHAR_ORDER if character else 3), "--arpa_prune", "0", "--discount_fallback",
               "--max_arpa_memory", "10%", *(["--alphabet_config_path", str(alphabet)] if alphabet else []),
               *(["--character_lm"] if character else [])], log)


def prepare(corpus: str, work: Path) -> dict:
    "The corpus' train/dev/test CSVs, alphabet and scorer, made once under `work`/data_CORPUS."
    data = work / f"data_{corpus}"
    log = work / f"prepare_{corpus}.log"
    if corpus == "synth":
        csvs = data / "clips"
        if not (csvs / "test.csv").exists():
            run(CLI + ["synth-corpus", "-n", "500", "--seed", "0", str(data)], log)
            run(CLI + ["import-cv2", str(data)], log)
        alphabet = None
    else:
        csvs = data
        if not (csvs / "test.csv").exists():
            run(CLI + ["import-asterisk-prompts", "--language", corpus, str(data)], log)
        alphabet = data / "alphabet.txt"
    lm = data / "lm"
    scorer = lm / "kenlm.scorer"
    if not scorer.exists():
        lm.mkdir(parents=True, exist_ok=True)
        (lm / "train.txt").write_text("\n".join(transcripts(csvs / "train.csv")) + "\n", encoding="utf-8")
        build_lm(lm / "train.txt", lm, alphabet, log, top_k=50000)
    chars = lm / "chars" / "chars.scorer"
    if not chars.exists():   # the lexicon-free character 6-gram of the same transcripts (spells unseen words)
        build_lm(lm / "train.txt", chars.parent, alphabet, log, character=True)
    flags = ["--train_files", str(csvs / "train.csv"), "--dev_files", str(csvs / "dev.csv"),
             "--test_files", str(csvs / "test.csv"), *(["--alphabet_config_path", str(alphabet)] if alphabet else [])]
    return {"flags": flags, "scorer": str(scorer), "char_scorer": str(chars), "alphabet": str(alphabet) if alphabet else "",
            "test": str(csvs / "test.csv"),
            "train_hours": sum(os.path.getsize(r) for r in (csvs / "clips").glob("*.wav")) / 32000 / 3600
            if corpus != "synth" else None}


# ---------------------------------------------------------------------------------------------------- one row
def corpus_totals(path: Path) -> tuple[float, float]:
    "Corpus CER and WER of a --test_output_file JSON: edits over reference length, summed over samples."
    s = json.loads(path.read_text())
    return (sum(x["char_distance"] for x in s) / max(1, sum(x["char_length"] for x in s)),
            sum(x["word_distance"] for x in s) / max(1, sum(x["word_length"] for x in s)))


def starter_alphabet_differs(starter: str, alphabet: str) -> bool:
    "Whether the starter checkpoint's alphabet differs from the corpus' (English when the corpus names none)."
    from deepspeech_nb.text import load_alphabet
    from deepspeech_nb.checkpoints import read_checkpoint_meta
    theirs = ((read_checkpoint_meta(starter) or {}).get("alphabet") or {}).get("labels")
    if theirs is None: return bool(alphabet)
    ours = load_alphabet(alphabet or None)
    return list(theirs) != list(getattr(ours, "labels", []))


class StaleRow(RuntimeError):
    "A finished row whose flags (after the recipe) are not the ones the row now trains with."


def finished_row(folder: Path, argv: list) -> dict:
    "The row.json of a finished row, refused when it was measured with other effective flags (a recipe changed)."
    row = json.loads((folder / "row.json").read_text())
    if "effective" in row and row["effective"] != effective(argv):   # rows of before 2026-12-03 did not record them
        raise StaleRow(f"{folder}/row.json was measured with other flags than the row now has (did RECIPES change?): "
                       "move that folder away to measure it again, or pass another --work")
    return row


def run_row(corpus: str, name: str, argv: list, data: dict, budget: float, work: Path, done_rows: dict,
            beam_width: int, starter_differs: bool) -> dict:
    "Train, test greedy and with the scorer; the row's results (from its row.json when it ran before)."
    folder = work / corpus / f"{budget:g}min" / name
    if (folder / "row.json").exists(): return finished_row(folder, argv)
    if folder.exists(): shutil.rmtree(folder)   # stopped half-way: its time budget would be off, start afresh
    folder.mkdir(parents=True)
    ckpt, log = folder / "checkpoints", folder / "log.txt"
    epochs, epochs_from = EPOCH_CAP, ""
    if scheduled(argv):
        uncached = cache_would_freeze(argv)   # rows of before 2026-12-03 called it sample_augmented
        same = [r for r in done_rows.values() if not r["scheduled"] and r.get("uncached", r.get("sample_augmented")) == uncached]
        if not same: same = [r for r in done_rows.values() if not r["scheduled"]]
        if same:
            ref = min(same, key=lambda r: len(r["flags"]))   # the plainest such row (DeepSpeech's, or speed alone)
            epochs, epochs_from = str(max(2, ref["epochs"])), ref["row"]
        else:
            epochs = str(max(2, int(budget * 60 / 10)))   # no reference yet: about 10 s an epoch
    cache = [] if cache_would_freeze(argv) else ["--feature_cache", str(folder / "feature_cache")]
    extra = list(argv)
    if name.startswith("fine_tune") and starter_differs: extra += ["--drop_source_layers", "1"]
    train_cmd = CLI + ["train", *data["flags"], *extra, *COMMON, *cache, "--epochs", epochs,
                       "--max_train_minutes", f"{budget:g}", "--beam_width", "1", "--checkpoint_dir", str(ckpt),
                       "--test_output_file", str(folder / "test_greedy.json")]
    wall = run(train_cmd, log)
    metrics = json.loads((ckpt / "run" / "metrics.json").read_text())
    evaluated = ckpt / "averaged" if "--average_checkpoints" in argv else ckpt
    eval_cmd, char_cmd = (CLI + ["evaluate", "--checkpoint_dir", str(evaluated), "--test_files", data["test"],
                                 *(["--alphabet_config_path", data["alphabet"]] if data["alphabet"] else []),
                                 "--scorer_path", scorer, "--beam_width", str(beam_width), "--test_batch_size", "16",
                                 "--report_count", "1", "--test_output_file", str(folder / out)]
                          for scorer, out in ((data["scorer"], "test_lm.json"), (data["char_scorer"], "test_chars.json")))
    eval_wall = run(eval_cmd, log) + run(char_cmd, log)
    cer_g, wer_g = corpus_totals(folder / "test_greedy.json")
    cer_lm, wer_lm = corpus_totals(folder / "test_lm.json")
    cer_chars, wer_chars = corpus_totals(folder / "test_chars.json")
    row = {"corpus": corpus, "row": name, "flags": argv, "effective": effective(argv), "scheduled": scheduled(argv),
           "uncached": cache_would_freeze(argv), "epochs": len(metrics), "epochs_flag": epochs,
           "epochs_from": epochs_from, "train_seconds": round(sum(m.get("seconds", 0) for m in metrics), 1),
           "wall_seconds": round(wall, 1), "eval_seconds": round(eval_wall, 1), "budget_minutes": budget,
           "cer_greedy": cer_g, "wer_greedy": wer_g, "cer_lm": cer_lm, "wer_lm": wer_lm,
           "cer_chars": cer_chars, "wer_chars": wer_chars,
           "best_dev_cer": min((m["dev_cer"] for m in metrics if m.get("dev_cer") is not None), default=None),
           "last_train_loss": metrics[-1].get("train_loss") if metrics else None,
           "load_average": os.getloadavg()[0], "beam_width": beam_width,
           "train_command": "deepspeech-nb " + shlex.join(train_cmd[len(CLI):]).replace(str(ROOT) + "/", ""),
           "eval_command": "deepspeech-nb " + shlex.join(eval_cmd[len(CLI):]).replace(str(ROOT) + "/", ""),
           "char_eval_command": "deepspeech-nb " + shlex.join(char_cmd[len(CLI):]).replace(str(ROOT) + "/", "")}
    (folder / "row.json").write_text(json.dumps(row, indent=1) + "\n")
    return row


# ---------------------------------------------------------------------------------------------------- table
def table(results: dict, corpora: list, rows: list, args, note: str) -> str:
    "RECIPE.md: one line per row, a column group per corpus; the rows' flags and the exact commands below it."
    def cell(r):
        if r is None: return ["not run", "", "", "", ""]
        if "error" in r: return ["failed: " + r["error"].splitlines()[0][:80], "", "", "", ""]
        chars = f"{r['cer_chars']:.3f} / {r['wer_chars']:.3f}" if "cer_chars" in r else "not run"
        return [f"{r['cer_greedy']:.3f} / {r['wer_greedy']:.3f}", f"{r['cer_lm']:.3f} / {r['wer_lm']:.3f}", chars,
                str(r["epochs"]) + (f" (of {r['epochs_flag']})" if r["scheduled"] else ""),
                f"{r['train_seconds']:.0f} / {r['wall_seconds']:.0f}"]
    head = ["row"]
    for c in corpora: head += [f"{c}: CER / WER greedy", f"{c}: CER / WER LM", f"{c}: CER / WER char LM",
                               f"{c}: epochs", f"{c}: s train / wall"]
    lines = ["# Small-data recipe, side by side", "",
             f"Written by `{args.command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
             f"{args.budget_minutes:g} training minutes a row (`--max_train_minutes {args.budget_minutes:g}`: "
             "training ends at the end of the epoch in which the budget passed). Test CER / WER on each corpus' "
             "test split (sentences never in training) of the best_dev checkpoint, decoded greedily and by beam "
             f"search (width {args.beam_width}) with a scorer that `build-lm` made from the training transcripts "
             "(LM: word 3-gram; char LM: the lexicon-free character 6-gram of `build-lm --character_lm`; "
             "each with its default alpha and beta). Epochs: those trained (scheduled rows: of the "
             "`--epochs` their schedule ran over); seconds: the epochs' training time (metrics.json; validation and "
             "checkpoint saving not included), and the wall time of the whole `train` command (start-up, feature "
             "cache, validation, checkpoints, test).",
             "", *([note, ""] if note else []),
             "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, argv in rows:
        lines.append("| " + " | ".join([name] + [c for corpus in corpora for c in cell(results.get((corpus, name)))])
                     + " |")
    lines += ["", "Rows (flags after each corpus' `--train_files/--dev_files/--test_files/--alphabet_config_path`; "
              f"`small_data` is `RECIPES['small_data']` = `{json.dumps(recipe())}`):", ""]
    lines += [f"- `{name}`: `{shlex.join(argv)}`" for name, argv in rows]
    lines += ["", "Exact commands (`deepspeech-nb` is the venv's CLI; each job ran under `nice -n 15`):", ""]
    for (corpus, name), r in results.items():
        if r and "train_command" in r:
            lines += [f"- {corpus} / {name}:", f"  - `{r['train_command']}`", f"  - `{r['eval_command']}`",
                      *([f"  - `{r['char_eval_command']}`"] if "char_eval_command" in r else [])]
    return "\n".join(lines) + "\n"


def write_table(path: Path, text: str) -> None:
    "Write `text` to `path`, keeping the notes (after the NOTES line) of the file it replaces."
    old = path.read_text() if path.exists() else ""
    path.write_text(text + ("\n" + old[old.index(NOTES):] if NOTES in old else ""))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget_minutes", type=float, default=20.0, help="--max_train_minutes of every row")
    ap.add_argument("--corpora", nargs="+", default=list(CORPORA), choices=CORPORA)
    ap.add_argument("--rows", nargs="+", default=None, help="run only these rows (default: all)")
    ap.add_argument("--starter", default="", help="a checkpoint folder to fine-tune from (adds the fine_tune row)")
    ap.add_argument("--candidate", action="append", default=[], help="NAME=FLAGS: a further row, FLAGS on DeepSpeech's")
    ap.add_argument("--beam_width", type=int, default=256, help="beam width of the scorer decoding")
    ap.add_argument("--work", default=str(ROOT / "bench" / "recipe_runs"), help="data and run folders (resumable)")
    ap.add_argument("--output", default=str(ROOT / "bench" / "RECIPE.md"))
    ap.add_argument("--note", default="", help="a line about this run for the table")
    ap.add_argument("--table_only", action="store_true", help="rewrite the table from the finished rows; run nothing")
    ap.add_argument("--quick", action="store_true", help="smoke: 0.5-minute rows, deepspeech and small_data, es only")
    a = ap.parse_args(argv)
    a.command = "bench/recipe.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    if a.quick:
        a.budget_minutes, a.corpora = min(a.budget_minutes, 0.5), ["es"]
        a.rows = a.rows or ["deepspeech", "small_data"]
        a.work = a.work if a.work != str(ROOT / "bench" / "recipe_runs") else str(ROOT / "bench" / "recipe_runs_quick")
        a.output = a.output if a.output != str(ROOT / "bench" / "RECIPE.md") else str(Path(a.work) / "RECIPE.md")
    work = Path(a.work).absolute(); work.mkdir(parents=True, exist_ok=True)
    spec = rows_spec(a.starter, a.candidate)
    if a.rows:
        unknown = [r for r in a.rows if r not in spec]
        if unknown: ap.error(f"unknown rows {unknown}; rows: {', '.join(spec)}")
        spec = {k: v for k, v in spec.items() if k in a.rows}
    results = {}
    for corpus in a.corpora:
        if a.table_only:
            for name in spec:
                done = work / corpus / f"{a.budget_minutes:g}min" / name / "row.json"
                if done.exists(): results[corpus, name] = json.loads(done.read_text())
            continue
        data = prepare(corpus, work)
        differs = starter_alphabet_differs(a.starter, data["alphabet"]) if a.starter else False
        done = {}
        for name, argv in spec.items():
            try:
                r = run_row(corpus, name, argv, data, a.budget_minutes, work, done, a.beam_width, differs)
                done[name] = r
            except Exception as e:   # a failed row is a row that says so; the others still run
                r = {"corpus": corpus, "row": name, "error": str(e)}
                print(f"{corpus} / {name}: failed: {e}", file=sys.stderr, flush=True)
            results[corpus, name] = r
            if "error" not in r:
                print(f"{corpus} / {name}: CER/WER greedy {r['cer_greedy']:.3f}/{r['wer_greedy']:.3f}, LM "
                      f"{r['cer_lm']:.3f}/{r['wer_lm']:.3f}, char LM {r['cer_chars']:.3f}/{r['wer_chars']:.3f}, "
                      f"{r['epochs']} epochs, {r['train_seconds']:.0f} s training, "
                      f"{r['wall_seconds']:.0f} s wall", flush=True)
            write_table(Path(a.output), table(results, a.corpora, list(spec.items()), a, a.note))
    for corpus in a.corpora:
        base = results.get((corpus, "deepspeech"))
        for name in spec:
            r = results.get((corpus, name))
            if r is None and a.table_only: continue
            fig = f"recipe {a.budget_minutes:g} min, {corpus}, {name}: test CER greedy"
            if not r or "error" in r: not_measured("recipe", fig, (r or {}).get("error", "not run")[:160], "<= 0.5x"); continue
            ok = base and "error" not in base
            emit("recipe", fig, r["cer_greedy"], "CER", "DeepSpeech's recipe, same corpus and budget",
                 base["cer_greedy"] if ok else float("nan"), higher_is_better=False,
                 target="<= 0.5x" if name in ("small_data", "fine_tune") else "",
                 note=f"LM CER {r['cer_lm']:.3f} WER {r['wer_lm']:.3f}; char LM CER {r.get('cer_chars', float('nan')):.3f} "
                      f"WER {r.get('wer_chars', float('nan')):.3f}; greedy WER {r['wer_greedy']:.3f}; "
                      f"{r['epochs']} epochs, {r['train_seconds']:.0f} s training")
    if a.table_only: write_table(Path(a.output), table(results, a.corpora, list(spec.items()), a, a.note))
    print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
