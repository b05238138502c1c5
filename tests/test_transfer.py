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
