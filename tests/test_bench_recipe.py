"""bench/recipe.py (issue 15's side-by-side benchmark): its rows follow RECIPES['small_data'], finished rows are not
re-run, and the table says every row. The benchmark itself is minutes per row: `bench/recipe.py --quick` (slow test)."""
import json, os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import recipe as bench   # noqa: E402
from deepspeech_nb.flags import RECIPES   # noqa: E402


def test_rows_follow_the_recipe():
    rows = bench.rows_spec("", [])
    assert rows["deepspeech"] == bench.BASE
    r = RECIPES["small_data"]
    for spec in r.get("augment", []):             # each augmentation of the recipe is a row of its own
        assert rows[spec.split("[")[0]] == bench.BASE + ["--augment", spec] + ["--cache_spectrogram"] * bool(r.get("cache_spectrogram"))
    small = rows["small_data"]
    assert small[-2:] == ["--recipe", "small_data"]
    assert not set(bench.flag_values(small)) & (set(r) - {"augment"})   # the recipe's flags are the recipe's
    assert "fine_tune" not in rows
    names = list(rows)
    first_scheduled = next((i for i, n in enumerate(names) if bench.scheduled(rows[n])), len(names))
    assert first_scheduled > 1 and all(bench.scheduled(rows[n]) or n in ("small_data", "fine_tune") or i < first_scheduled
                                       for i, n in enumerate(names))   # unscheduled rows run first


def test_starter_and_candidate_rows():
    rows = bench.rows_spec("/some/starter", ["fast=--learning_rate 0.002 --train_batch_size 8"])
    assert rows["fine_tune"][-2:] == ["--load_checkpoint_dir", "/some/starter"]
    recipe_masks = RECIPES["small_data"]["augment"]   # the recipe's masks, each also a row of its own, cached as in it
    assert [a.split("[")[0] for a in recipe_masks] == ["frequency_mask", "relative_time_mask"]
    assert rows["frequency_mask"] == bench.BASE + ["--augment", recipe_masks[0], "--cache_spectrogram"]
    assert "cache_spectrogram" not in rows   # not a piece: it only travels with the masks
    from deepspeech_nb.augment import parse_augmentations
    for base in ("small_data", "fine_tune"):
        fine = bench.effective(rows[base])
        assert fine["augment"] == recipe_masks and fine["cache_spectrogram"] is True
        assert not bench.cache_would_freeze(rows[base])                        # the masks drawn anew from the cache
        plain = bench.effective(rows[f"{base}_no_masks"])   # no masks, so DeepSpeech's (26-wide) features cache
        assert plain["augment"] == ["none"] and plain["cache_spectrogram"] is False
        assert parse_augmentations(bench.effective(rows[f"{base}_no_masks"])["augment"]) == ()
        zero = parse_augmentations(bench.effective(rows[f"{base}_zero_masks"])["augment"])
        assert [a.fill for a in zero] == ["zero", "zero"] and rows[f"{base}_zero_masks"] == rows[base] + bench.MASKS
    v = bench.flag_values(rows["fast"])
    assert v["learning_rate"] == "0.002" and v["train_batch_size"] == "8" and v["n_hidden"] == "512"
    assert rows["fast"].count("--learning_rate") == 1


def test_effective_flags_and_pipeline():
    assert bench.cache_would_freeze(bench.BASE + ["--augment", "speed[low=0.9,high=1.1,steps=3]"])
    assert bench.cache_would_freeze(bench.BASE + ["--augment", "frequency_mask[n=2,size=10~5]"])
    assert not bench.cache_would_freeze(bench.BASE + ["--augment", "time_mask[domain=features,n=2,size=40]"])
    assert bench.scheduled(bench.BASE + ["--lr_schedule", "cosine"])
    assert not bench.scheduled(bench.BASE)
    masks = ["--augment", "frequency_mask[n=0:2,size=12]", "--augment", "time_mask[n=0:2,size=40]"]
    on_recipe = bench.effective(["--recipe", "small_data", *masks])    # repeated --augment on top of the recipe
    assert on_recipe["augment"] == [masks[1], masks[3]] and on_recipe["normalize_features"] is True
    assert not bench.cache_would_freeze(["--recipe", "small_data", *masks])   # the recipe's --cache_spectrogram redraws them
    assert bench.cache_would_freeze(["--recipe", "small_data", *masks, "--nocache_spectrogram"])   # a features cache: once
    assert bench.effective(["--normalize_features"]) == {"normalize_features": True}   # not "--no" + "rmalize_features"
    assert bench.cache_would_freeze(["--cache_spectrogram", "--augment", "speed[low=0.9,high=1.1,steps=3]"])  # audio: frozen


def test_a_finished_row_is_not_rerun(tmp_path, monkeypatch):
    folder = tmp_path / "es" / "3min" / "deepspeech"; folder.mkdir(parents=True)
    done = {"corpus": "es", "row": "deepspeech", "cer_greedy": 0.5}
    (folder / "row.json").write_text(json.dumps(done))
    def ran(*a, **k): raise RuntimeError("ran")
    monkeypatch.setattr(bench, "run", ran)
    assert bench.run_row("es", "deepspeech", bench.BASE, {}, 3.0, tmp_path, {}, 256, False) == done
    other = tmp_path / "es" / "4min" / "deepspeech"   # another budget is another row: it runs
    with pytest.raises(RuntimeError, match="ran"):
        bench.run_row("es", "deepspeech", bench.BASE, {"flags": []}, 4.0, tmp_path, {}, 256, False)
    assert other.exists() and not (other / "row.json").exists()


def test_a_row_measured_with_other_flags_is_refused(tmp_path, monkeypatch):
    "A finished row whose effective flags differ from the row's now (RECIPES changed) fails with one line."
    folder = tmp_path / "es" / "3min" / "small_data"; folder.mkdir(parents=True)
    argv = bench.rows_spec("", [])["small_data"]
    old = {"row": "small_data", "effective": {**bench.effective(argv), "augment": []}}
    (folder / "row.json").write_text(json.dumps(old))
    with pytest.raises(bench.StaleRow, match="measured with other flags .* move that folder away"):
        bench.run_row("es", "small_data", argv, {}, 3.0, tmp_path, {}, 256, False)
    (folder / "row.json").write_text(json.dumps({**old, "effective": bench.effective(argv)}))
    assert bench.run_row("es", "small_data", argv, {}, 3.0, tmp_path, {}, 256, False)["row"] == "small_data"


def test_table_names_every_row(tmp_path):
    row = {"cer_greedy": 0.4, "wer_greedy": 0.9, "cer_lm": 0.35, "wer_lm": 0.6, "epochs": 12, "epochs_flag": "100000",
           "scheduled": False, "train_seconds": 180.0, "wall_seconds": 230.0, "train_command": "deepspeech-nb train",
           "eval_command": "deepspeech-nb evaluate"}
    args = type("A", (), {"budget_minutes": 3.0, "beam_width": 256, "command": "bench/recipe.py"})()
    text = bench.table({("es", "deepspeech"): row, ("es", "small_data"): {"error": "exit 1: boom"}}, ["es"],
                       list(bench.rows_spec("", []).items()), args, "")
    assert "| deepspeech | 0.400 / 0.900 | 0.350 / 0.600 | not run | 12 | 180 / 230 |" in text   # a row before char LMs
    assert "failed: exit 1: boom" in text and "| speed | not run |" in text
    row |= {"cer_chars": 0.3, "wer_chars": 0.7, "char_eval_command": "deepspeech-nb evaluate --scorer_path chars.scorer"}
    text = bench.table({("es", "deepspeech"): row}, ["es"], list(bench.rows_spec("", []).items()), args, "")
    assert "| deepspeech | 0.400 / 0.900 | 0.350 / 0.600 | 0.300 / 0.700 | 12 | 180 / 230 |" in text
    assert "`deepspeech-nb evaluate --scorer_path chars.scorer`" in text


@pytest.mark.slow
def test_quick_benchmark_runs(tmp_path):
    "The smoke run: two 0.5-minute rows on the Spanish prompt pack (needs asterisk-core-sounds-es)."
    if not Path("/usr/share/asterisk/sounds/es").exists(): pytest.skip("apt-get install asterisk-core-sounds-es-wav")
    out = subprocess.run([sys.executable, "bench/recipe.py", "--quick", "--work", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=1800, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("BENCH_ROW ") == 2 and (tmp_path / "RECIPE.md").exists()


def test_rewriting_keeps_the_notes(tmp_path):
    out = tmp_path / "RECIPE.md"
    bench.write_table(out, "table 1\n")
    out.write_text(out.read_text() + "\n" + bench.NOTES + "\nwhat we learnt\n")
    bench.write_table(out, "table 2\n")
    assert out.read_text() == "table 2\n\n" + bench.NOTES + "\nwhat we learnt\n"


def test_boolean_recipe_flags_travel_without_a_value():
    "--normalize_features (a boolean) becomes one token, and `without` removes it without eating the next flag."
    assert bench.to_argv({"normalize_features": True, "best_metric": "cer"}) == ["--normalize_features", "--best_metric", "cer"]
    assert bench.without(["--normalize_features", "--n_hidden", "512"], {"normalize_features"}) == ["--n_hidden", "512"]
    assert bench.rows_spec("", [])["normalize_features"][-1] == "--normalize_features"


def test_lm_vocabulary_helpers(tmp_path):
    import lm_vocabulary as lmv
    alphabet = tmp_path / "alphabet.txt"
    alphabet.write_text("# test\n \na\nb\nc\né\n", encoding="utf-8")
    words = tmp_path / "words"
    words.write_text("Abc\nbé\nbad\nab cd\nabc\n", encoding="utf-8")
    assert lmv.spelled_words(words, alphabet) == ["abc", "bé"]      # lower-cased, spelled by the alphabet, once each
    assert lmv.oov_rate(["abc bé", "ca abc"], {"abc", "bé"}) == pytest.approx(0.25)
    assert lmv.vocabulary_of(tmp_path / "chars.scorer") is None   # a character LM: lexicon-free
    row = {"corpus": "fr", "scorer": "chars:train", "vocabulary": None, "test_oov": 0.0, "cer": 0.2, "wer": 0.5}
    args = type("A", (), {"command": "bench/lm_vocabulary.py", "row": "small_data", "budget_minutes": 20})()
    assert "| fr | chars:train | any (lexicon-free) | 0.000 | 0.200 / 0.500 |" in lmv.table([row], args)


def test_build_lm_commands(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(bench, "run", lambda cmd, log: ran.append(cmd))
    bench.build_lm(tmp_path / "t.txt", tmp_path / "lm", tmp_path / "alphabet.txt", tmp_path / "log")
    bench.build_lm(tmp_path / "t.txt", tmp_path / "chars", None, tmp_path / "log", character=True)
    word, chars = (bench.flag_values(cmd[len(bench.CLI) + 1:]) for cmd in ran)
    assert word["arpa_order"] == "3" and "character_lm" not in word and word["alphabet_config_path"].endswith("alphabet.txt")
    assert chars["arpa_order"] == str(bench.CHAR_ORDER) and chars["character_lm"] is True
    assert "alphabet_config_path" not in chars   # the synthetic corpus: English, no alphabet file


def test_lm_vocabulary_measures_only_the_scorers_asked(tmp_path, monkeypatch):
    import lm_vocabulary as lmv
    data = tmp_path / "data_fr"; data.mkdir()
    (tmp_path / "fr" / "20min" / "fine_tune" / "checkpoints").mkdir(parents=True)
    (data / "alphabet.txt").write_text(" \na\nb\n", encoding="utf-8")
    for split in ("train", "test"): (data / f"{split}.csv").write_text("wav_filename,wav_filesize,transcript\nx.wav,1,ab\n")
    words = tmp_path / "words"; words.write_text("ab\nba\n", encoding="utf-8")
    monkeypatch.setitem(lmv.WORD_LISTS, "fr", words)
    built = []
    monkeypatch.setattr(lmv, "build", lambda name, *a: built.append(name) or tmp_path / "chars.scorer")
    monkeypatch.setattr(lmv, "score", lambda *a, **k: (0.1, 0.2))
    rows = lmv.measure("fr", tmp_path, "fine_tune", 20.0, 0, scorers=["chars:train"])
    assert built == ["chars:train"] and [r["scorer"] for r in rows] == ["chars:train"]


def test_lm_vocabulary_reuses_the_recipe_scorers(tmp_path, monkeypatch):
    import lm_vocabulary as lmv
    (tmp_path / "lm" / "chars").mkdir(parents=True)
    for f in ("lm/kenlm.scorer", "lm/chars/chars.scorer"): (tmp_path / f).write_bytes(b"x")
    monkeypatch.setattr(lmv, "build_lm", lambda *a, **k: pytest.fail("built a scorer recipe.py had built"))
    assert lmv.build("train", ["ab"], tmp_path, tmp_path / "alphabet.txt", tmp_path / "log") == tmp_path / "lm" / "kenlm.scorer"
    assert lmv.build("chars:train", ["ab"], tmp_path, None, tmp_path / "log") == tmp_path / "lm" / "chars" / "chars.scorer"
    built = []
    monkeypatch.setattr(lmv, "build_lm", lambda text, out, *a, **k: built.append(out.name))
    lmv.build("train+words", ["ab"], tmp_path, None, tmp_path / "log")
    assert built == ["lm_train_words"]
