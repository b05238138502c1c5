"""DeepSpeech 0.9 checkpoint import, fine-tuning and transfer learning, run as a user would: in subprocesses."""
import subprocess, sys
from pathlib import Path

import numpy as np
import pytest

from deepspeech_nb.transfer import (fake_deepspeech_tensors, model_from_tf1, read_tf1_checkpoint,
                                    tf1_reference_logits, write_tf1_checkpoint)

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb")]


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=600, **kw)


@pytest.mark.parametrize("layout", ["cudnn", "cudnn+canonical", "compatible", "fused"])
def test_imported_model_matches_the_numpy_tf1_reference(tmp_path, layout):
    "The Keras model built from a TF1 checkpoint computes the TF1 graph's logits, for every LSTM layout, to 1e-5."
    tensors = fake_deepspeech_tensors(n_hidden=24, lstm=layout, seed=3, scale=1.0)
    ckpt = read_tf1_checkpoint(write_tf1_checkpoint(tmp_path, tensors, step=7))
    model, cfg = model_from_tf1(ckpt)
    feats = 3 * np.random.default_rng(1).normal(size=(60, 26)).astype(np.float32)
    ours = np.asarray(model(feats[None], training=False))[0]
    reference = tf1_reference_logits(ckpt, feats)
    assert np.abs(reference).max() > 0.5            # logits big enough for the comparison to mean something
    assert np.abs(ours - reference).max() < 1e-5


def test_import_cli_writes_a_loadable_checkpoint(tmp_path):
    src, dest = tmp_path / "release", tmp_path / "imported"
    write_tf1_checkpoint(src, fake_deepspeech_tensors(n_hidden=8, lstm="cudnn+canonical"), step=1466475)
    (src / "flags.txt").write_text("--n_hidden=8\n--audio_sample_rate=16000\n")
    out = run(CLI + ["import-deepspeech-checkpoint", str(src), str(dest)])
    assert out.returncode == 0, out.stderr
    assert "n_hidden 8" in out.stdout and "max |Keras - TF1 reference|" in out.stdout
    assert (dest / "flags.json").is_file() and list((dest / "best_dev").glob("ckpt-0.index"))
    out = run(CLI + ["import-deepspeech-checkpoint", str(tmp_path / "missing"), str(tmp_path / "x")])
    assert out.returncode == 2 and "no TF1 checkpoint at" in out.stderr


# --- training integration (deepspeech_nb.train calls into deepspeech_nb.transfer) ---------------------------

from deepspeech_nb.core import data_path

RUSSIAN = data_path("deepspeech", "russian_sample_data")


def _english_source(folder, n_hidden=8):
    "A tiny English model saved as a finished training run would leave it."
    from deepspeech_nb.checkpoints import ProgressState, checkpoint_meta, save_checkpoint
    from deepspeech_nb.features import FeatureConfig
    from deepspeech_nb.model import ModelConfig, build_model
    from deepspeech_nb.text import load_alphabet
    english = load_alphabet(None)
    cfg = ModelConfig(n_hidden=n_hidden, n_classes=english.size + 1)
    model = build_model(cfg)
    save_checkpoint(folder, model, None, ProgressState(epoch=200, global_step=200, finished=True), kind="best_dev",
                    meta=checkpoint_meta(cfg, FeatureConfig(), english))
    return model


def _restore(params):
    "What training does before its first step: build the model and optimizer, then restore/transfer."
    import tensorflow as tf
    from deepspeech_nb.flags import configs_from_params
    from deepspeech_nb.train import build_training_model, restore_for_training
    cfg = configs_from_params(params)
    model, optimizer = build_training_model(cfg, tf.distribute.get_strategy())
    return cfg, model, restore_for_training(cfg, model, optimizer, log=lambda m: None)


KEPT_BY_DROP_1 = ("layer_1", "layer_2", "layer_3", "lstm", "layer_5")


def assert_kept_layers_equal(model, source):
    "Every layer kept by --drop_source_layers 1 holds exactly the source's weights."
    for layer in KEPT_BY_DROP_1:
        for ours, theirs in zip(model.get_layer(layer).get_weights(), source.get_layer(layer).get_weights()):
            np.testing.assert_array_equal(ours, theirs)


def test_transfer_starts_from_the_source_layers(tmp_path):
    "--drop_source_layers 1: before the first step every kept layer equals the source, the output fits alphabet.ru."
    source = _english_source(tmp_path / "english")
    cfg, model, progress = _restore(dict(drop_source_layers=1, alphabet_config_path=str(RUSSIAN / "alphabet.ru"),
                                         load_checkpoint_dir=str(tmp_path / "english"),
                                         save_checkpoint_dir=str(tmp_path / "russian"), n_hidden=8))
    assert_kept_layers_equal(model, source)
    assert model.get_layer("layer_6").get_weights()[0].shape == (8, cfg.alphabet.size + 1) == (8, 35)
    assert (progress.epoch, progress.global_step) == (0, 0)


def test_transfer_from_a_tf1_checkpoint(tmp_path):
    "--load_checkpoint_dir accepts a DeepSpeech 0.9 TF1 checkpoint: imported on the way, kept layers loaded."
    write_tf1_checkpoint(tmp_path / "release", fake_deepspeech_tensors(n_hidden=8, lstm="cudnn+canonical"))
    reference, _ = model_from_tf1(read_tf1_checkpoint(tmp_path / "release"))
    cfg, model, _ = _restore(dict(drop_source_layers=1, alphabet_config_path=str(RUSSIAN / "alphabet.ru"),
                                  load_checkpoint_dir=str(tmp_path / "release"),
                                  save_checkpoint_dir=str(tmp_path / "russian"), n_hidden=8))
    assert_kept_layers_equal(model, reference)


def test_fine_tuning_reads_the_alphabet_from_the_checkpoint(tmp_path):
    "Fine-tuning (load != save, no --drop_source_layers): all layers loaded, alphabet from flags.json, epoch 0."
    from deepspeech_nb.checkpoints import ProgressState, checkpoint_meta, save_checkpoint
    from deepspeech_nb.features import FeatureConfig
    from deepspeech_nb.model import ModelConfig, build_model
    from deepspeech_nb.text import Alphabet
    russian = Alphabet(RUSSIAN / "alphabet.ru")
    mcfg = ModelConfig(n_hidden=8, n_classes=russian.size + 1)
    source = build_model(mcfg)
    save_checkpoint(tmp_path / "ru", source, None, ProgressState(epoch=9, finished=True), kind="best_dev",
                    meta=checkpoint_meta(mcfg, FeatureConfig(), russian))
    cfg, model, progress = _restore(dict(load_checkpoint_dir=str(tmp_path / "ru"), save_checkpoint_dir=str(tmp_path / "ft"),
                                         n_hidden=8))
    assert cfg.alphabet == russian and progress.epoch == 0
    for ours, theirs in zip(model.get_weights(), source.get_weights()): np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("flags, message", [
    (["--drop_source_layers", "7"], "--drop_source_layers 7 is outside [0, 5]"),   # the flag-range check (0: no transfer)
    (["--drop_source_layers", "1", "--load_checkpoint_dir", "{tmp}/empty"], "no best_dev or last checkpoint"),
    (["--drop_source_layers", "1", "--n_hidden", "16"], "pass --n_hidden 8"),
    (["--alphabet_config_path", str(RUSSIAN / "alphabet.ru")], "--drop_source_layers 1"),
])
def test_bad_transfer_requests_get_the_seeds_advice(tmp_path, capsys, flags, message):
    from deepspeech_nb.commands import main_train
    _english_source(tmp_path / "english")
    (tmp_path / "empty").mkdir()
    flags = [f.format(tmp=tmp_path) for f in flags]
    base = ["--train_files", str(RUSSIAN / "ru.csv"), "--load_checkpoint_dir", str(tmp_path / "english"),
            "--save_checkpoint_dir", str(tmp_path / "new"), "--n_hidden", "8", "--epochs", "1", "--noshow_progressbar"]
    if "--alphabet_config_path" not in flags and "--drop_source_layers" in flags:
        base += ["--alphabet_config_path", str(RUSSIAN / "alphabet.ru")]
    assert main_train(base + flags) == 2     # later flags win, as with absl
    assert message in capsys.readouterr().err


def test_fine_tuning_a_tf1_release_folder_with_checkpoint_dir(tmp_path):
    "The seed's fine-tuning command: --checkpoint_dir pointing at a DeepSpeech 0.9 release folder loads every layer."
    write_tf1_checkpoint(tmp_path / "release", fake_deepspeech_tensors(n_hidden=8, lstm="cudnn"))
    (tmp_path / "release" / "alphabet.txt").write_text((data_path("deepspeech", "alphabet.txt")).read_text())
    reference, _ = model_from_tf1(read_tf1_checkpoint(tmp_path / "release"))
    cfg, model, progress = _restore(dict(checkpoint_dir=str(tmp_path / "release"), n_hidden=8))
    assert cfg.alphabet.size == 28 and progress.epoch == 0
    for ours, theirs in zip(model.get_weights(), reference.get_weights()): np.testing.assert_array_equal(ours, theirs)


# --- slow: whole runs (pytest -m slow tests/test_transfer.py), a few minutes each on two CPU cores ---------------

RU_TRANSCRIPT = "бедняга ребят на его месте должен был быть я"
LDC93S1_TRANSCRIPT = "she had your dark suit in greasy wash water all year"


def _execute(notebook, tmp_path, **parameters):
    import json
    from deepspeech_nb.runs import execute_run
    run_dir = execute_run(ROOT / "nbs" / "runs" / notebook, parameters, runs_dir=tmp_path)
    return json.loads((run_dir / "metrics.json").read_text())


@pytest.mark.slow
def test_transfer_learning_notebook_learns_russian(tmp_path):
    "DeepSpeech's CI case: English LDC93S1 model (n_hidden 100) -> --drop_source_layers 1 -> Russian, transcribed right."
    metrics = _execute("transfer_learning.ipynb", tmp_path)
    assert metrics["hypothesis"] == RU_TRANSCRIPT and metrics["wer"] == 0.0


@pytest.mark.slow
def test_fine_tune_notebook_adapts_to_8khz_audio(tmp_path):
    "The English model fails on the 8 kHz recording; fine-tuning on it fixes that."
    metrics = _execute("fine_tune.ipynb", tmp_path)
    assert metrics["wer_before"] > 0.5 and metrics["wer"] == 0.0


def _train_bytes(csv, folder, epochs):
    from deepspeech_nb.commands import train_from_params
    return train_from_params(train_files=csv, dev_files=csv, test_files=csv, bytes_output_mode=True, n_hidden=256,
                             epochs=epochs, checkpoint_dir=str(folder), show_progressbar=False)["test"]


@pytest.mark.slow
def test_bytes_mode_overfits_ldc93s1(tmp_path):
    from deepspeech_nb.importers import import_ldc93s1
    result = _train_bytes(str(import_ldc93s1(tmp_path / "data")), tmp_path / "ckpt", 300)
    assert result.wer == 0.0 and result.rows[0]["hypothesis"] == LDC93S1_TRANSCRIPT


@pytest.mark.slow
def test_bytes_mode_learns_russian_without_an_alphabet(tmp_path):
    "UTF-8 bytes output: Cyrillic (two bytes a letter) without alphabet.ru."
    result = _train_bytes(str(RUSSIAN / "ru.csv"), tmp_path / "ckpt", 800)
    assert result.wer == 0.0 and result.rows[0]["hypothesis"] == RU_TRANSCRIPT


def test_freeze_source_layers_trains_only_the_new_layers_first(tmp_path, monkeypatch):
    "--freeze_source_layers 1: epoch 1 moves only layer_6 (kept layers stay the source's); epoch 2, resumed, moves all."
    from deepspeech_nb import commands, train as train_module
    from deepspeech_nb.flags import configs_from_params
    layers = KEPT_BY_DROP_1 + ("layer_6",)
    snapshots = []                           # (epoch, weights of every layer before it, after it)
    real_train_epoch = train_module.train_epoch

    def recording_train_epoch(ctx, epoch, progress):
        before = {l: ctx.model.get_layer(l).get_weights() for l in layers}
        out = real_train_epoch(ctx, epoch, progress)
        snapshots.append((epoch, before, {l: ctx.model.get_layer(l).get_weights() for l in layers}))
        return out
    monkeypatch.setattr(train_module, "train_epoch", recording_train_epoch)

    source = _english_source(tmp_path / "english")
    params = dict(train_files=str(RUSSIAN / "ru.csv"), drop_source_layers=1, freeze_source_layers=1,
                  alphabet_config_path=str(RUSSIAN / "alphabet.ru"), load_checkpoint_dir=str(tmp_path / "english"),
                  save_checkpoint_dir=str(tmp_path / "russian"), n_hidden=8, learning_rate=0.01,
                  show_progressbar=False, skip_batch_test=True)
    same = lambda a, b: all(np.array_equal(x, y) for x, y in zip(a, b))
    for epochs in (1, 2):                    # the second run resumes the first from its checkpoint
        commands.train(configs_from_params({**params, "epochs": epochs}), log=lambda m: None)
    (e1, start1, end1), (e2, start2, end2) = snapshots
    assert (e1, e2) == (0, 1)
    for layer in KEPT_BY_DROP_1:             # epoch 1: the kept layers are still exactly the source's
        assert same(start1[layer], source.get_layer(layer).get_weights()), layer
        assert same(end1[layer], source.get_layer(layer).get_weights()), layer
    assert not same(start1["layer_6"], end1["layer_6"])
    assert all(same(start2[l], end1[l]) for l in layers)   # the resumed run starts where epoch 1 ended
    for layer in layers:                     # epoch 2: every layer trains
        assert not same(start2[layer], end2[layer]), layer
