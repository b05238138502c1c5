"""The newcomer's tutorials (nbs/tutorials/*.ipynb) as a user runs them: `deepspeech-nb run` (papermill) into a run
folder, with their defaults (slow: minutes each) and with injected parameters (tiny models, one or two epochs).
Each check reads the run record: params.json, environment.json, the executed notebook and the metrics.json it wrote."""
import json, re, subprocess, sys, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "deepspeech-nb")
TUTORIALS = ROOT / "nbs" / "tutorials"
TINY = {"n_hidden": 16, "train_batch_size": 4}


def run_tutorial(name, runs_dir, timeout=1500, **params):
    "Run one tutorial into `runs_dir`; return (run folder, its metrics.json, seconds)."
    args = [a for k, v in params.items() for a in ("-p", k, str(v))]
    started = time.time()
    out = subprocess.run([CLI, "run", str(TUTORIALS / f"{name}.ipynb"), "--runs_dir", str(runs_dir), *args],
                         cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-6000:]
    (run,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    recorded = json.loads((run / "params.json").read_text())
    assert recorded["run_dir"] == str(run) and all(recorded[k] == v for k, v in params.items())
    assert json.loads((run / "environment.json").read_text())["packages"]["tensorflow"].startswith("2.21")
    executed = json.loads((run / f"{name}.ipynb").read_text())
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in executed["cells"])
    return run, json.loads((run / "metrics.json").read_text()), time.time() - started


def test_tutorials_are_run_notebooks_not_modules():
    for nb in sorted(TUTORIALS.glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        assert not any("default_exp" in "".join(c["source"]) for c in cells), nb
        assert any("parameters" in c["metadata"].get("tags", []) for c in cells), nb
    assert len(list(TUTORIALS.glob("0[1-4]_*.ipynb"))) == 4


def shown_epochs(executed_notebook: Path) -> list:
    "The epoch numbers the training log of an executed notebook shows."
    cells = json.loads(executed_notebook.read_text())["cells"]
    text = "".join("".join(o.get("text", "")) for c in cells if c["cell_type"] == "code" for o in c.get("outputs", []))
    return [int(n) for n in re.findall(r"^epoch (\d+)/\d+:", text, re.M)]


def test_first_model_with_injected_parameters(tmp_path):
    run, m, _ = run_tutorial("01_first_model", tmp_path, epochs=4, log_every=3, n_hidden=16, export_tflite=False)
    assert m["epochs"] == 4 and m["n_hidden"] == 16 and m["tflite_hypothesis"] == ""
    assert len(json.loads((run / "checkpoints" / "run" / "metrics.json").read_text())) == 4   # one entry per epoch
    assert shown_epochs(run / "01_first_model.ipynb") == [1, 3, 4]     # the log: first, every 3rd, last
    assert 0 <= m["cer"] and m["loss"] > 0


@pytest.mark.slow
def test_first_model_defaults_overfit_ldc93s1(tmp_path):
    run, m, seconds = run_tutorial("01_first_model", tmp_path)
    print(f"01_first_model defaults: WER {m['wer']:.3f} CER {m['cer']:.3f} in {seconds:.0f} s")
    assert m["wer"] <= 0.1 and m["cer"] <= 0.05
    assert m["tflite_hypothesis"] == m["hypothesis"]          # the exported model says what the checkpoint says
    assert (run / "model").is_dir()


def test_common_voice_with_injected_parameters(tmp_path):
    run, m, _ = run_tutorial("02_common_voice", tmp_path, synth_clips=40, epochs=1, **TINY)
    assert m["synthetic"] and m["train_samples"] > 0 and m["test_samples"] > 0
    assert set(m["speakers"]) == {"train", "dev", "test"}
    assert {"greedy_wer", "scorer_wer", "greedy_cer", "scorer_cer"} <= set(m) and m["epochs"] == 1
    assert (run / "lm" / "kenlm.scorer").is_file()


@pytest.mark.slow
def test_common_voice_defaults_learn_something(tmp_path):
    run, m, seconds = run_tutorial("02_common_voice", tmp_path)
    print(f"02_common_voice defaults: greedy WER {m['greedy_wer']:.3f} CER {m['greedy_cer']:.3f}, "
          f"scorer WER {m['scorer_wer']:.3f} CER {m['scorer_cer']:.3f} in {seconds:.0f} s; {m['seconds']}")
    assert m["greedy_cer"] < 0.9            # better than emitting nothing (CER 1.0) on unseen speakers and sentences


def test_real_speech_with_injected_parameters(tmp_path):
    run, m, _ = run_tutorial("03_real_speech", tmp_path, epochs=1, split_seed=3, beam_width=16, normalize_features=True,
                             best_metric="cer", **TINY)
    assert m["language"] == "es" and m["train_samples"] > 300 and m["test_samples"] > 20
    model = json.loads((run / "checkpoints" / "flags.json").read_text())["model"]
    assert len(model["feature_mean"]) == 26                                 # the recipe's pieces reach the training
    assert {"greedy_wer", "scorer_wer", "char_lm_wer", "char_lm_cer"} <= set(m) and m["epochs"] == 1
    assert (run / "data" / "LICENSE").is_file() and (run / "lm" / "kenlm.scorer").is_file()
    assert (run / "lm" / "chars" / "chars.scorer").is_file()
    executed = json.loads((run / "03_real_speech.ipynb").read_text())
    players = ["<audio" in "".join(o.get("data", {}).get("text/html", "")) for c in executed["cells"] for o in c.get("outputs", [])]
    assert sum(players) == 3                                                # n_listen clips are there to listen to


@pytest.mark.slow
def test_real_speech_defaults_learn_spanish(tmp_path):
    run, m, seconds = run_tutorial("03_real_speech", tmp_path)
    print(f"03_real_speech defaults: greedy WER {m['greedy_wer']:.3f} CER {m['greedy_cer']:.3f}, "
          f"scorer WER {m['scorer_wer']:.3f} CER {m['scorer_cer']:.3f}, char LM WER {m['char_lm_wer']:.3f} "
          f"CER {m['char_lm_cer']:.3f} in {seconds:.0f} s; {m['seconds']}")
    assert m["greedy_cer"] < 0.8 and m["scorer_cer"] < 0.9 and m["char_lm_cer"] < 0.8


@pytest.mark.slow  # about 90 s on a loaded 2-core machine: two imports and two trainings
def test_transfer_with_injected_parameters(tmp_path):
    run, m, _ = run_tutorial("04_transfer_russian", tmp_path, source_epochs=1, epochs=1, drop_source_layers=2,
                             compare_from_scratch=False, **TINY)
    assert m["drop_source_layers"] == 2 and m["target_language"] == "ru" and m["scratch_wer"] is None
    assert m["source"] == str(run / "source_es") and 0 <= m["cer"]
    assert "а" in (run / "data_ru" / "alphabet.txt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_transfer_defaults_onto_russian(tmp_path):
    run, m, seconds = run_tutorial("04_transfer_russian", tmp_path, timeout=2400)
    print(f"04_transfer_russian defaults: transferred WER {m['wer']:.3f} CER {m['cer']:.3f}, "
          f"from scratch WER {m['scratch_wer']:.3f} CER {m['scratch_cer']:.3f} in {seconds:.0f} s; {m['seconds']}")
    assert m["cer"] < 0.9
