#!/usr/bin/env bash
# The main job on bundled data, as DeepSpeech's guide walks it: import LDC93S1 -> train (overfit, as
# bin/run-ldc93s1.sh) -> test -> export TFLite -> transcribe with the exported model (no TensorFlow needed).
# Every step skips work already done, so running it again is quick: training resumes from its checkpoint and
# stops at once when all epochs are done.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-work/demo}
CLI=.venv/bin/deepspeech-nb
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
mkdir -p "$DIR"

echo "== 1/4 import LDC93S1 into $DIR/data"
$CLI import-ldc93s1 "$DIR/data"

echo "== 2/4 train on it (n_hidden 100, 200 epochs, batch 1) and test, then export a TFLite model"
# As in bin/run-ldc93s1.sh: overfitting one utterance is the point, so no dropout and a doubled learning rate;
# DeepSpeech's 0.05 / 0.001 ends a word or two short after 200 epochs here.
.venv/bin/python -u DeepSpeech.py --noshow_progressbar \
  --train_files "$DIR/data/ldc93s1.csv" --test_files "$DIR/data/ldc93s1.csv" \
  --train_batch_size 1 --test_batch_size 1 --n_hidden 100 --epochs 200 --dropout_rate 0 --learning_rate 0.002 \
  --checkpoint_dir "$DIR/checkpoints" --export_dir "$DIR/model" --export_tflite

echo "== 3/4 transcribe with the exported TFLite model"
$CLI transcribe --model "$DIR/model" "$DIR/data/LDC93S1.wav"

echo "== 4/4 the same with DeepSpeech's bundled scorer (beam search + KenLM)"
$CLI transcribe --model "$DIR/model" --scorer deepspeech_nb/data/deepspeech/pruned_lm.scorer "$DIR/data/LDC93S1.wav"
echo "demo done: checkpoints in $DIR/checkpoints, model in $DIR/model"
