"""The training guide's command lines, run as written (`python3 DeepSpeech.py ...`, `bin/*.py`, `evaluate.py`) on a
synthetic multi-speaker corpus large enough that every tool starts worker processes.

DeepSpeech 0.9's scripts have no `if __name__ == "__main__":` guard; spawned workers used to run the whole command
again ("bootstrapping phase", BrokenProcessPool). The default suite trains with workers, tests with beam search
and the scorer and exports (the crash that must never return); the other guide commands are `slow`:
`pytest -m slow tests/test_guide_commands.py`."""
import json, os, re, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from deepspeech_nb.audio import SAMPLE_RATE, write_wav
from deepspeech_nb.core import STARTUP_NOISE, data_path
from deepspeech_nb.decode import KenLMNotFoundError, find_kenlm_bins
from deepspeech_nb.pipeline import auto_workers
from deepspeech_nb.samples import open_collection, write_csv

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable                     # the guide's `python3`, in this virtualenv
CLI = str(Path(PYTHON).parent / "deepspeech-nb")
ALPHABET = data_path("deepspeech", "alphabet.txt")
N_CLIPS = 120        # ~80% of them train: past pipeline.auto_workers' 64, so training decodes audio in workers
TINY = ["--n_hidden", "32", "--epochs", "1", "--train_batch_size", "16", "--dev_batch_size", "16",
        "--test_batch_size", "16", "--beam_width", "16"]   # the guide's commands plus what keeps them a minute long
CRASH_TEXT = re.compile(r"Traceback|bootstrapping phase|BrokenProcessPool|Error:")

def run(*args, timeout=600, **env_extra):
    "Run a command line from the repository root like a user would; TensorFlow's log level left at its default."
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "DEEPSPEECH_NB_VERBOSE")}
    env.update(PYTHONPATH=str(ROOT), **env_extra)
    return subprocess.run(list(map(str, args)), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)

def check(out, what: str):
    "Assert a command succeeded without a crash or TensorFlow's start-up noise on stderr."
    assert out.returncode == 0, f"{what} failed:\n{out.stderr[-3000:]}"
    assert not CRASH_TEXT.search(out.stderr), f"{what}:\n{out.stderr[-3000:]}"
    noise = [l for l in out.stderr.splitlines() if STARTUP_NOISE.search(l)]
    assert not noise, f"{what} printed TensorFlow's start-up text: {noise}"

def rows(csv_path) -> int: return len(open_collection(str(csv_path), sort_by_duration=False))

@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    "synth-corpus -> the guide's `bin/import_cv2.py --filter_alphabet ...` -> `bin/generate_lm.py` on the train text."
    try: find_kenlm_bins()
    except KenLMNotFoundError: pytest.skip("KenLM programs not built: run scripts/build-kenlm.sh")
    cv = tmp_path_factory.mktemp("guide") / "cv"
    check(run(CLI, "synth-corpus", cv, "-n", N_CLIPS, "--seed", "0"), "synth-corpus")
    check(run(PYTHON, "bin/import_cv2.py", "--filter_alphabet", ALPHABET, cv), "bin/import_cv2.py")
    clips = cv / "clips"
    lm_text = cv / "lm.txt"
    lm_text.write_text("\n".join(open_collection(str(clips / "train.csv")).transcripts) + "\n")
    check(run(PYTHON, "bin/generate_lm.py", "--input_txt", lm_text, "--output_dir", cv / "lm", "--top_k", 500,
              "--arpa_order", 3, "--arpa_prune", "0", "--max_arpa_memory", "10%", "--discount_fallback"),
          "bin/generate_lm.py")
    return clips

@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    "The guide's first DeepSpeech.py command (train, dev, test) with --scorer_path, --export_tflite --export_dir."
    out_dir = tmp_path_factory.mktemp("trained")
    out = run(PYTHON, "DeepSpeech.py", "--train_files", corpus / "train.csv", "--dev_files", corpus / "dev.csv",
              "--test_files", corpus / "test.csv", *TINY, "--scorer_path", corpus.parent / "lm" / "kenlm.scorer",
              "--checkpoint_dir", out_dir / "ckpt", "--export_tflite", "--export_dir", out_dir / "export",
              "--test_output_file", out_dir / "test.json")
    return out, out_dir

# ---- default suite -----------------------------------------------------------------------------------------------

SCRIPTS = ["DeepSpeech.py", "evaluate.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bin").glob("*.py"))]

@pytest.mark.parametrize("script", SCRIPTS)
def test_script_does_nothing_when_imported_by_a_worker(script, monkeypatch):
    "A spawned worker imports the parent's script as __mp_main__ (any pool but core.WorkerPool does): no command."
    import runpy
    monkeypatch.setattr(sys, "argv", [script, "--help"])
    namespace = runpy.run_path(str(ROOT / script), run_name="__mp_main__")   # an unguarded script exits here
    assert callable(namespace["main"])

def test_import_cv2_writes_the_guides_csvs(corpus):
    n = {split: rows(corpus / f"{split}.csv") for split in ("train", "dev", "test")}
    assert sum(n.values()) == N_CLIPS and min(n.values()) > 0, n
    assert auto_workers(n["train"]) >= min(2, os.cpu_count() or 1)   # so the training below starts workers

def test_deepspeech_py_trains_with_workers_tests_with_the_scorer_and_exports(trained, corpus):
    out, out_dir = trained
    check(out, "DeepSpeech.py")
    n_train, n_test = rows(corpus / "train.csv"), rows(corpus / "test.csv")
    assert f"train: {n_train} samples" in out.stdout, out.stdout[:2000]
    assert re.search(r"dev loss [\d.]+ WER [\d.]+ CER [\d.]+", out.stdout), out.stdout[:2000]
    assert re.search(rf"Test on {re.escape(str(corpus / 'test.csv'))} - WER: [\d.]+, CER: [\d.]+, loss: [\d.]+", out.stdout)
    report = json.loads((out_dir / "test.json").read_text())
    assert len(report) == n_test and all(0 <= r["wer"] and 0 <= r["cer"] for r in report)
    assert {r["src"] for r in report} == set(open_collection(str(corpus / "test.csv")).transcripts)
    vocabulary = set(" ".join(open_collection(str(corpus / "train.csv")).transcripts).split())
    assert all(w in vocabulary for r in report for w in r["res"].split())   # beam search with the scorer's lexicon
    for sub in ("best_dev", "last"): assert any((out_dir / "ckpt" / sub).iterdir()), sub
    assert (out_dir / "export" / "saved_model" / "saved_model.pb").exists()
    assert json.loads((out_dir / "export" / "metadata.json").read_text())
    assert (out_dir / "export" / "output_graph.tflite").stat().st_size > 0

def test_deepspeech_py_prints_no_startup_text(trained):
    out, _ = trained
    # the only lines on stderr are progress lines (stderr is not a terminal: whole lines, no tqdm bar)
    others = [l for l in out.stderr.splitlines() if not re.match(r"^(epoch \d+/\d+|dev|test)\S*: \d+% ", l)]
    assert not others, others
    assert "\r" not in out.stderr

def test_transcribe_prints_no_litert_text_unless_verbose(trained, corpus):
    _, out_dir = trained
    clips = [str(p) for p in open_collection(str(corpus / "test.csv")).ids[:2]]
    quiet = run(CLI, "transcribe", "--model", out_dir / "export", *clips)
    check(quiet, "deepspeech-nb transcribe")
    assert quiet.stderr == "" and len(quiet.stdout.splitlines()) >= 1, (quiet.stdout, quiet.stderr)
    verbose = run(CLI, "transcribe", "--model", out_dir / "export", *clips, DEEPSPEECH_NB_VERBOSE="1")
    assert verbose.returncode == 0 and verbose.stdout == quiet.stdout
    assert "XNNPACK delegate" in verbose.stderr   # the line exists, and only the quiet start hides it

# ---- slow: the other commands of the guide -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def sdbs(corpus):
    "The guide's augmentation sources made with `bin/data_set_tool.py`: train.sdb, voices.sdb, noise.sdb."
    folder = corpus.parent / "sdb"; folder.mkdir(exist_ok=True)
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, (3, 2 * SAMPLE_RATE)).astype(np.float32)
    for i, clip in enumerate(noise): write_wav(folder / f"noise{i}.wav", clip, SAMPLE_RATE)
    write_csv(folder / "noise.csv", [(f"noise{i}.wav", (folder / f"noise{i}.wav").stat().st_size, "noise") for i in range(3)])
    for src, dst, extra in ((corpus / "train.csv", "train.sdb", []), (corpus / "dev.csv", "voices.sdb", ["--unlabeled"]),
                            (folder / "noise.csv", "noise.sdb", ["--unlabeled"])):
        out = run(PYTHON, "bin/data_set_tool.py", src, folder / dst, "--workers", 2, *extra)
        check(out, f"bin/data_set_tool.py {dst}")
        n = rows(src)
        assert f"wrote {n} samples" in out.stderr
        assert len(open_collection(str(folder / dst), labeled=not extra)) == n
    return folder

@pytest.mark.slow
def test_deepspeech_py_with_the_guides_augmentations(corpus, sdbs, tmp_path):
    from deepspeech_nb.augment import GUIDE_ALL_AUGMENTATIONS
    augment = [a.format(noise=sdbs / "noise.sdb", voices=sdbs / "voices.sdb") for a in GUIDE_ALL_AUGMENTATIONS]
    out = run(PYTHON, "-u", "DeepSpeech.py", "--train_files", sdbs / "train.sdb", "--dev_files", corpus / "dev.csv",
              "--augmentations_per_epoch", 2, *[x for a in augment for x in ("--augment", a)], *TINY,
              "--checkpoint_dir", tmp_path / "ckpt")
    check(out, "DeepSpeech.py --augment ...")
    n_train = rows(corpus / "train.csv")
    assert f"train: {n_train} samples" in out.stdout, out.stdout[:2000]
    # --augmentations_per_epoch 2: each epoch is two passes over train.sdb, each differently augmented
    steps = 2 * -(-n_train // 16)
    assert re.search(rf"epoch 1/1: train loss [\d.]+ \({steps} steps.*dev loss [\d.]+", out.stdout), out.stdout[:2000]

@pytest.mark.slow
def test_deepspeech_py_with_comma_separated_train_files(corpus, tmp_path):
    out = run(PYTHON, "DeepSpeech.py", "--train_files", f"{corpus / 'train.csv'},{corpus / 'dev.csv'}",
              "--dev_files", corpus / "dev.csv", *TINY, "--checkpoint_dir", tmp_path / "ckpt")
    check(out, "DeepSpeech.py --train_files a.csv,b.csv")
    assert f"train: {rows(corpus / 'train.csv') + rows(corpus / 'dev.csv')} samples" in out.stdout, out.stdout[:2000]

@pytest.mark.slow
def test_evaluate_py_on_the_trained_checkpoint(trained, corpus, tmp_path):
    _, out_dir = trained
    out = run(PYTHON, "evaluate.py", "--test_files", corpus / "test.csv", "--checkpoint_dir", out_dir / "ckpt",
              "--scorer_path", corpus.parent / "lm" / "kenlm.scorer", "--beam_width", 16,
              "--test_output_file", tmp_path / "eval.json")
    check(out, "evaluate.py")
    assert re.search(r"WER: [\d.]+, CER: [\d.]+", out.stdout), out.stdout[:2000]
    assert len(json.loads((tmp_path / "eval.json").read_text())) == rows(corpus / "test.csv")

@pytest.mark.slow
def test_lm_optimizer_py_on_the_trained_checkpoint(trained, corpus):
    _, out_dir = trained
    out = run(PYTHON, "bin/lm_optimizer.py", "--test_files", corpus / "test.csv", "--checkpoint_dir", out_dir / "ckpt",
              "--scorer_path", corpus.parent / "lm" / "kenlm.scorer", "--n_trials", 3, "--beam_width", 16)
    check(out, "bin/lm_optimizer.py")
    assert re.search(r"lm_alpha\W+[\d.]+.*lm_beta\W+[\d.]+", out.stdout + out.stderr, re.S), out.stdout[-2000:]

@pytest.mark.slow
def test_run_notebook_trains_with_workers(corpus, tmp_path):
    "The papermill run notebook on the same corpus: its kernel starts the pipeline's workers too."
    out = run(CLI, "run", "nbs/runs/train.ipynb", "--runs_dir", tmp_path, "--name", "guide",
              "-p", "train_files", corpus / "train.csv", "-p", "dev_files", corpus / "dev.csv",
              "-p", "epochs", 1, "-p", "n_hidden", 32, "-p", "train_batch_size", 16, "-p", "dev_batch_size", 16)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert len(json.loads((run_dir / "metrics.json").read_text())) == 1
    executed = (run_dir / "train.ipynb").read_text()
    assert f"train: {rows(corpus / 'train.csv')} samples" in executed and "BrokenProcessPool" not in executed
