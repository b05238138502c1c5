"""The small-data recipe flags on a 16-unit model and six cuts of LDC93S1 (3 batches an epoch), in process:
--best_metric, --max_train_minutes, --lr_schedule/--warmup_epochs, --weight_decay, and their exact resume."""
import json
from pathlib import Path

import numpy as np
import pytest

from deepspeech_nb import checkpoints as ckpt
from deepspeech_nb import train as T
from deepspeech_nb import commands
from deepspeech_nb.flags import parse_flags, configs_from_params, FlagsError, RECIPES

WORDS = "she had your dark suit in greasy wash water all year".split()


def run(csv, checkpoint_dir, *extra, log=lambda m: None):
    "Train in this process as `deepspeech-nb train` would with these flags; returns `train`'s result."
    args = ["--train_files", str(csv), "--dev_files", str(csv), "--train_batch_size", "2", "--dev_batch_size", "3",
            "--n_hidden", "16", "--noshow_progressbar", "--skip_batch_test", "--checkpoint_dir", str(checkpoint_dir),
            "--learning_rate", "0.01", *extra]
    return commands.train(configs_from_params(parse_flags(args)), log=log)


def metrics(checkpoint_dir):
    return json.loads((Path(checkpoint_dir) / "run" / "metrics.json").read_text())


def progress_of(checkpoint_dir, kind):
    return ckpt.ProgressState.from_json((Path(checkpoint_dir) / kind / "progress.json").read_text())


# ---- --best_metric ---------------------------------------------------------------------------------------------

def test_best_metric_follows_cer_while_the_loss_rises():
    "The issue's case: dev loss bottoms at epoch 2 and rises while dev CER keeps falling."
    losses, cers = [10.0, 8.0, 9.0, 9.5], [0.9, 0.7, 0.6, 0.5]
    for metric, expected in [("loss", [True, True, False, False]), ("cer", [True, True, True, True])]:
        cfg, p, bests = T.TrainConfig(best_metric=metric), ckpt.ProgressState(), []
        for loss, c in zip(losses, cers):
            p, d = T.after_validation(p, loss, cfg, c); bests.append(d.new_best)
        assert bests == expected, metric
        assert p.best_dev_loss == 8.0 and p.epochs_without_improvement == 2   # early stopping still reads the loss
    assert p.extra["best_dev_metric"] == 0.5


def test_best_metric_saves_best_dev_at_the_lowest_dev_cer(cuts, tmp_path):
    run(cuts, tmp_path / "c", "--epochs", "4", "--best_metric", "cer")
    cers = [m["dev_cer"] for m in metrics(tmp_path / "c")]
    best = progress_of(tmp_path / "c", "best_dev")
    assert best.epoch == int(np.argmin(cers)) + 1
    assert best.extra["best_dev_metric"] == pytest.approx(min(cers))


def test_bad_best_metric_and_schedule_name_the_flag(tmp_path):
    with pytest.raises(FlagsError, match="--best_metric accuracy: use loss, wer, cer"):
        configs_from_params(parse_flags(["--best_metric", "accuracy", "--checkpoint_dir", str(tmp_path)]))
    with pytest.raises(FlagsError, match="--lr_schedule linear: use constant, cosine, one_cycle"):
        configs_from_params(parse_flags(["--lr_schedule", "linear", "--checkpoint_dir", str(tmp_path)]))


# ---- --max_train_minutes ---------------------------------------------------------------------------------------

def test_max_train_minutes_ends_after_the_epoch_then_tests(cuts, tmp_path):
    lines = []
    out = run(cuts, tmp_path / "t", "--epochs", "5", "--max_train_minutes", "0.0001", "--test_files", str(cuts),
              log=lines.append)
    assert [m["epoch"] for m in metrics(tmp_path / "t")] == [1]
    assert out["progress"].finished and out["progress"].extra["train_seconds"] > 0.006
    assert any("--max_train_minutes 0.0001" in l and "after epoch 1 of 5" in l for l in lines)
    assert "test" in out                                                     # tests as usual afterwards
    again = []
    run(cuts, tmp_path / "t", "--epochs", "5", "--max_train_minutes", "0.0001", log=again.append)
    assert any("already finished" in l for l in again)


def test_a_resumed_run_counts_its_earlier_training_time(cuts, tmp_path):
    run(cuts, tmp_path / "r", "--epochs", "2")
    first = progress_of(tmp_path / "r", "last").extra["train_seconds"]
    minutes = first / 60 * 1.001                  # already used up by the first two epochs
    run(cuts, tmp_path / "r", "--epochs", "6", "--max_train_minutes", str(minutes))
    assert [m["epoch"] for m in metrics(tmp_path / "r")] == [1, 2, 3]


def test_augmentation_clock_spans_the_time_budget(cuts, tmp_path):
    "Under --max_train_minutes the clock (and a schedule) runs over the epochs the budget buys, not over --epochs."
    run(cuts, tmp_path / "probe", "--epochs", "2")
    per_epoch = progress_of(tmp_path / "probe", "last").extra["train_seconds"] / 2
    run(cuts, tmp_path / "c", "--epochs", "100000", "--max_train_minutes", str(per_epoch * 4 / 60),
        "--augment", "frequency_mask[n=0:2,size=2]", "--lr_schedule", "cosine")
    p, rates = progress_of(tmp_path / "c", "last"), [m["learning_rate"] for m in metrics(tmp_path / "c")]
    assert p.finished and 0.3 < p.augmentation_clock <= 1.0            # 4 / 100000 if it followed --epochs
    assert rates[-1] < 0.9 * 0.01                                        # the cosine has come down



def test_a_feature_cache_says_which_augmentations_it_freezes(cuts, tmp_path):
    "Masks (fill=mean) train; a features cache says it draws the spectrogram mask once; --cache_spectrogram redraws it, silently."
    lines = []
    masks = ["--augment", "frequency_mask[n=1,size=2,fill=mean]", "--augment", "time_mask[domain=features,n=1,size=40,fill=mean]"]
    run(cuts, tmp_path / "cached", "--epochs", "1", "--feature_cache", str(tmp_path / "cache"), *masks, log=lines.append)
    noted = [l for l in lines if l.startswith("--feature_cache draws")]
    assert len(noted) == 1 and noted[0].startswith("--feature_cache draws frequency_mask once") and "time_mask" not in noted[0].split(" once")[0]
    assert "--cache_spectrogram" in noted[0]
    assert np.isfinite(metrics(tmp_path / "cached")[0]["train_loss"])
    lines.clear()
    run(cuts, tmp_path / "spectrogram", "--epochs", "2", "--feature_cache", str(tmp_path / "spectrogram-cache"),
        "--cache_spectrogram", *masks, log=lines.append)
    assert not [l for l in lines if "--feature_cache draws" in l]   # drawn anew every epoch from the cached spectrogram
    assert [l for l in lines if "GiB per pass of spectrograms" in l]
    assert all(np.isfinite(m["train_loss"]) for m in metrics(tmp_path / "spectrogram"))
    lines.clear()
    run(cuts, tmp_path / "fresh", "--epochs", "1", *masks, log=lines.append)
    assert not [l for l in lines if "--feature_cache draws" in l]   # no cache: drawn anew every epoch

# ---- learning-rate schedule and AdamW --------------------------------------------------------------------------

def test_cosine_schedule_with_warmup_in_a_run(cuts, tmp_path):
    run(cuts, tmp_path / "s", "--epochs", "3", "--lr_schedule", "cosine", "--warmup_epochs", "1")
    rates = [m["learning_rate"] for m in metrics(tmp_path / "s")]   # the rate of each epoch's last step
    assert rates == pytest.approx([0.01, 0.005, 0.0], abs=1e-9)
    assert progress_of(tmp_path / "s", "last").learning_rate == pytest.approx(0.01)   # the base rate is kept


def test_default_optimizer_is_deepspeechs_adam_and_weight_decay_makes_adamw():
    import keras
    assert type(T.make_optimizer(T.TrainConfig())) is keras.optimizers.Adam
    opt = T.make_optimizer(T.TrainConfig(learning_rate=0.1, weight_decay=0.5))
    kernel, bias = keras.Variable(np.ones((2, 2), "float32"), name="kernel"), keras.Variable(np.ones(2, "float32"), name="bias")
    opt.build([kernel, bias])
    opt.apply([np.zeros((2, 2), "float32"), np.zeros(2, "float32")], [kernel, bias])   # no gradient: only the decay acts
    np.testing.assert_allclose(kernel.numpy(), 1 - 0.1 * 0.5)
    np.testing.assert_allclose(bias.numpy(), 1.0)


RECIPE = ("--epochs", "4", "--checkpoint_secs", "0", "--shuffle_batches", "--best_metric", "cer",
          "--lr_schedule", "one_cycle", "--weight_decay", "0.01", "--normalize_features")


def test_recipe_flags_resume_exactly_after_an_interruption(cuts, tmp_path, monkeypatch):
    run(cuts, tmp_path / "full", *RECIPE)
    reference = metrics(tmp_path / "full")
    step = T.RunRecord.step
    def crash_at_step_5(self, loss, global_step):
        if global_step == 5: raise KeyboardInterrupt   # mid epoch 2; 'last' holds step 4
        step(self, loss, global_step)
    monkeypatch.setattr(T.RunRecord, "step", crash_at_step_5)
    with pytest.raises(KeyboardInterrupt): run(cuts, tmp_path / "cut", *RECIPE)
    monkeypatch.setattr(T.RunRecord, "step", step)
    assert progress_of(tmp_path / "cut", "last").global_step == 4
    run(cuts, tmp_path / "cut", *RECIPE)
    got = metrics(tmp_path / "cut")
    assert [m["epoch"] for m in got] == [1, 2, 3, 4]
    assert [m["learning_rate"] for m in got] == pytest.approx([m["learning_rate"] for m in reference])
    assert [m["dev_loss"] for m in got] == pytest.approx([m["dev_loss"] for m in reference], rel=1e-5)
    assert progress_of(tmp_path / "cut", "best_dev").epoch == progress_of(tmp_path / "full", "best_dev").epoch


# ---- --normalize_features ----------------------------------------------------------------------------------------

def test_normalize_features_records_the_statistics_and_tests_with_them(cuts, tmp_path):
    out = run(cuts, tmp_path / "n", "--epochs", "2", "--normalize_features", "--test_files", str(cuts),
              "--test_batch_size", "3")
    model = json.loads((tmp_path / "n" / "flags.json").read_text())["model"]
    assert len(model["feature_mean"]) == 26 and min(model["feature_std"]) > 0
    best = progress_of(tmp_path / "n", "best_dev")
    assert out["test"].loss == pytest.approx(metrics(tmp_path / "n")[best.epoch - 1]["dev_loss"], rel=1e-4)
    raw = run(cuts, tmp_path / "raw", "--epochs", "2", "--test_files", str(cuts), "--test_batch_size", "3")
    assert "feature_mean" not in json.dumps({k: v for k, v in json.loads((tmp_path / "raw" / "flags.json").read_text())[
        "model"].items() if v})   # off by default: DeepSpeech's raw MFCCs
    assert raw["test"].loss != pytest.approx(out["test"].loss, rel=1e-3)


def test_fine_tuning_a_normalised_model_keeps_its_statistics(cuts, tmp_path):
    "A fine-tune (and a transfer) starts from the source's weights, so it takes the source's statistics, flag or not."
    run(cuts, tmp_path / "src", "--epochs", "3", "--normalize_features")
    source = json.loads((tmp_path / "src" / "flags.json").read_text())["model"]
    run(cuts, tmp_path / "ft", "--epochs", "1", "--load_checkpoint_dir", str(tmp_path / "src"), "--learning_rate", "1e-9")
    tuned = json.loads((tmp_path / "ft" / "flags.json").read_text())["model"]
    assert tuned["feature_mean"] == source["feature_mean"] and tuned["feature_std"] == source["feature_std"]
    # a learning rate of 1e-9 leaves the weights as they were: the dev loss continues the source's last one
    assert metrics(tmp_path / "ft")[0]["dev_loss"] == pytest.approx(metrics(tmp_path / "src")[-1]["dev_loss"], rel=1e-3)


# ---- --average_checkpoints -------------------------------------------------------------------------------------

def test_average_checkpoints_tests_the_mean_of_the_newest_last_checkpoints(cuts, tmp_path):
    import tensorflow as tf
    lines = []
    out = run(cuts, tmp_path / "a", "--epochs", "3", "--average_checkpoints", "2", "--test_files", str(cuts),
              log=lines.append)
    newest = ckpt.list_checkpoints(tmp_path / "a", "last")[-2:]
    key = ckpt._key("model", "layer_6/kernel")
    mean = np.mean([tf.train.load_checkpoint(p).get_tensor(key) for p in newest], axis=0)
    averaged = tf.train.load_checkpoint(ckpt.list_checkpoints(tmp_path / "a" / "averaged", "best")[0]).get_tensor(key)
    np.testing.assert_allclose(averaged, mean, rtol=1e-6)
    assert not np.allclose(averaged, tf.train.load_checkpoint(newest[-1]).get_tensor(key))   # not just the newest
    assert any("--average_checkpoints 2: testing and exporting the mean of 2 checkpoints" in l for l in lines)
    assert len(out["test"].rows) == 6
    assert progress_of(tmp_path / "a" / "averaged", "best_dev").extra["averaged"] == [Path(p).name for p in newest]


def test_average_checkpoints_without_checkpoints_is_one_line(tmp_path, cuts):
    with pytest.raises(ckpt.CheckpointNotFoundError, match="holds no 'last' checkpoint to average"):
        T.average_checkpoints(tmp_path / "empty", 3)


def test_average_from_best_keeps_and_averages_the_newest_best_dev_checkpoints(cuts, tmp_path):
    import tensorflow as tf
    run(cuts, tmp_path / "b", "--epochs", "4", "--average_checkpoints", "3", "--average_from", "best",
        "--test_files", str(cuts))
    bests = ckpt.list_checkpoints(tmp_path / "b", "best")
    improved = sum(1 for i, m in enumerate(metrics(tmp_path / "b"))
                   if m["dev_loss"] < min([x["dev_loss"] for x in metrics(tmp_path / "b")[:i]], default=float("inf")))
    assert len(bests) == min(3, improved) and improved >= 2
    key = ckpt._key("model", "layer_6/kernel")
    mean = np.mean([tf.train.load_checkpoint(p).get_tensor(key) for p in bests], axis=0)
    averaged = tf.train.load_checkpoint(ckpt.list_checkpoints(tmp_path / "b" / "averaged", "best")[0]).get_tensor(key)
    np.testing.assert_allclose(averaged, mean, rtol=1e-6)
    with pytest.raises(FlagsError, match="--average_from first: use last or best"):
        configs_from_params(parse_flags(["--average_from", "first", "--checkpoint_dir", str(tmp_path)]))


# ---- speed perturbation ----------------------------------------------------------------------------------------

def test_speed_perturbation_trains_and_the_feature_cache_holds_the_perturbed_lengths(cuts, tmp_path):
    from deepspeech_nb.pipeline import frames_of
    from deepspeech_nb.samples import open_collection
    out = run(cuts, tmp_path / "sp", "--epochs", "1", "--augment", "speed[low=1.1,high=1.1,steps=1]",
              "--feature_cache", str(tmp_path / "cache"))
    assert out["progress"].finished
    assert [m["skipped_batches"] for m in metrics(tmp_path / "sp")] == [0]
    offsets = [np.load(f) for f in (tmp_path / "cache").rglob("*.idx.npy")]
    assert len(offsets) == 1
    cached = np.diff(offsets[0])                                  # frames per sample, collection order
    durations = np.asarray(open_collection(str(cuts)).durations)
    np.testing.assert_allclose(cached, frames_of(durations / 1.1, configs_from_params(
        {"checkpoint_dir": str(tmp_path / "x")}).features), atol=1)


# ---- --recipe small_data ---------------------------------------------------------------------------------------

def test_recipe_small_data_trains_with_its_values_and_explicit_flags_win(cuts, tmp_path):
    lines = []
    out = run(cuts, tmp_path / "sd", "--epochs", "2", "--recipe", "small_data",       # run() gives n_hidden, lr, batch
              "--feature_cache", str(tmp_path / "cache"), log=lines.append)
    params = json.loads((tmp_path / "sd" / "run" / "params.json").read_text())
    assert (params["best_metric"], params["dropout_rate"]) == ("cer", 0.2)                  # from the recipe
    assert params["augment"] == RECIPES["small_data"]["augment"] and params["cache_spectrogram"]   # its masks, redrawn:
    assert not [l for l in lines if "draws" in l and "once" in l] and [l for l in lines if "of spectrograms" in l]
    assert (params["n_hidden"], params["learning_rate"], params["train_batch_size"]) == (16, 0.01, 2)   # explicit
    assert [m["learning_rate"] for m in metrics(tmp_path / "sd")] == pytest.approx([0.01, 0.01])
    assert out["progress"].finished and "best_dev_metric" in progress_of(tmp_path / "sd", "best_dev").extra
    run(cuts, tmp_path / "plain", "--epochs", "1", "--recipe", "small_data", "--augment", "none")
    params = json.loads((tmp_path / "plain" / "run" / "params.json").read_text())
    assert params["augment"] == ["none"] and params["normalize_features"]                 # no masks, the rest stays


def test_unknown_recipe_is_one_line(tmp_path):
    with pytest.raises(FlagsError, match="--recipe big: unknown recipe; use small_data"):
        configs_from_params(parse_flags(["--recipe", "big", "--checkpoint_dir", str(tmp_path)]))


@pytest.mark.slow
def test_two_workers_agree_on_the_time_limit(cuts, tmp_path):
    "Each worker measures its own time; they stop after the same epoch (else one would wait for the other forever)."
    import os, socket, subprocess, sys
    socks = [socket.socket() for _ in range(2)]
    for s in socks: s.bind(("localhost", 0))
    workers = [f"localhost:{s.getsockname()[1]}" for s in socks]
    for s in socks: s.close()
    cli = [str(Path(sys.executable).parent / "deepspeech-nb"), "train", "--train_files", str(cuts), "--dev_files", str(cuts),
           "--train_batch_size", "1", "--n_hidden", "16", "--noshow_progressbar", "--checkpoint_dir", str(tmp_path / "w"),
           "--epochs", "3", "--max_train_minutes", "0.0001"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    procs = [subprocess.Popen(cli, env={**env, "TF_CONFIG": json.dumps({"cluster": {"worker": workers},
                                                                         "task": {"type": "worker", "index": i}})},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs): assert p.returncode == 0, err[-3000:]
    assert all("training ends after epoch 1 of 3" in out for out, _ in outs)
    assert [m["epoch"] for m in metrics(tmp_path / "w")] == [1]
