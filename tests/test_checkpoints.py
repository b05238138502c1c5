"""SIGKILL a process while it saves checkpoints in a loop; whatever is left must load, consistently.

The child fills every weight with the step number before each save, so a loaded checkpoint whose weights do
not equal its own `progress.global_step` would be a torn write. Each round restarts from what the previous
round left (orphaned half-written files included), as a killed and restarted training run does.
"""
import os, random, signal, subprocess, sys, textwrap, time

import pytest

CHILD = textwrap.dedent("""
    import sys, numpy as np, keras
    from deepspeech_nb.model import ModelConfig, build_model
    from deepspeech_nb.checkpoints import ProgressState, save_checkpoint, read_progress
    directory = sys.argv[1]
    model = build_model(ModelConfig(n_hidden=8, n_classes=5))
    optimizer = keras.optimizers.Adam()
    optimizer.build(model.trainable_variables)
    start = (read_progress(directory) or ProgressState()).global_step + 1
    for step in range(start, start + 100000):
        for v in model.weights: v.assign(np.full(v.shape, step, np.float32))
        save_checkpoint(directory, model, optimizer, ProgressState(global_step=step), max_to_keep=2)
        print(step, flush=True)
""")


def _start_child(directory):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(directory)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)


def test_sigkill_during_saves_leaves_a_loadable_consistent_checkpoint(tmp_path):
    import numpy as np
    from deepspeech_nb.model import ModelConfig, build_model
    from deepspeech_nb.checkpoints import load_checkpoint, list_checkpoints

    rng, last_reported = random.Random(1234), 0
    for _ in range(2):
        child = _start_child(tmp_path)
        try:
            first = child.stdout.readline()            # one save completed in this round
            assert first, "the saving child died before its first save"
            time.sleep(rng.uniform(0.0, 0.4))          # then kill it at a random moment
            os.kill(child.pid, signal.SIGKILL)
            reported = [int(line) for line in [first] + child.stdout.read().split()]
        finally:
            if child.poll() is None: child.kill()
            child.wait()
        model = build_model(ModelConfig(n_hidden=8, n_classes=5))
        progress = load_checkpoint(tmp_path, model)
        assert progress.global_step >= max(reported) > last_reported   # every reported save survives
        for v in model.weights:                                          # weights belong to that very step
            np.testing.assert_array_equal(v.numpy(), np.full(v.shape, progress.global_step, np.float32))
        assert len(list_checkpoints(tmp_path)) <= 2
        last_reported = max(reported)
