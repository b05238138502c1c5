#!/usr/bin/env python3
"""cuDNN vs CPU: the logits of one DeepSpeech model (n_hidden 2048, random weights, LDC93S1 features) computed on
the GPU (Keras picks the cuDNN LSTM kernel) and on the CPU, compared against a tolerance. Without a GPU the row is
reported as not measured.

    .venv/bin/python bench/gpu_parity.py [--n_hidden 2048]
"""
import argparse, os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from summary import emit, not_measured

import numpy as np
import tensorflow as tf
from deepspeech_nb.audio import load_audio
from deepspeech_nb.core import data_path
from deepspeech_nb.features import FeatureConfig, audio_to_features
from deepspeech_nb.model import ModelConfig, build_model

TOLERANCE = 1e-3   # max |logit difference|: float32 summation order of cuDNN's fused kernel vs the CPU loop


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n_hidden", type=int, default=2048)
    a = p.parse_args(argv)
    figure = f"cuDNN vs CPU logits, max |difference|, n_hidden {a.n_hidden}"
    if not tf.config.list_logical_devices("GPU"):
        not_measured("gpu_parity", figure, "no GPU lent", f"<= {TOLERANCE:g}"); return 0
    feats = audio_to_features(load_audio(data_path("deepspeech", "LDC93S1.wav")), FeatureConfig())[None]
    model = build_model(ModelConfig(n_hidden=a.n_hidden))
    with tf.device("/GPU:0"): gpu = model(feats, training=False).numpy()
    with tf.device("/CPU:0"): cpu = model(feats, training=False).numpy()
    diff = float(np.abs(gpu - cpu).max())
    print(f"max |logits GPU - CPU| = {diff:.2e} (tolerance {TOLERANCE:g})")
    emit("gpu_parity", figure, diff, "", "tolerance", TOLERANCE, higher_is_better=False, target=f"<= {TOLERANCE:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
