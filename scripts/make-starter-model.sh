#!/usr/bin/env bash
# A starter model from synthetic speech (issue 15, item 3: "no release model? make one").
#
#   bash scripts/make-starter-model.sh [OUT]        # default OUT: work/starter
#   CLIPS=8000 EPOCHS=40 MINUTES=100 bash scripts/make-starter-model.sh work/starter-big   # bigger: not measured
#
# 1. synth-corpus: CLIPS clips (default 2500, about 2.3 hours of audio from many speakers: every espeak-ng accent and
#    variant at many speeds and pitches, plus flite/festival voices when installed) saying distinct sentences
#    (`--text all`: the 479 bundled ones and WordNet's glosses and examples; needs `apt-get install wordnet-base`,
#    whose licence the corpus folder keeps as WORDNET_LICENSE);
# 2. import-cv2 to 16 kHz wav + CSVs in DeepSpeech's English alphabet (2008 train, 248 dev clips at the default);
# 3. deepspeech-nb train with --recipe small_data (n_hidden 512, normalised input, the mean-filled masks drawn every
#    epoch from a spectrogram cache, CER-chosen best_dev) at learning rate 0.001 on a cosine schedule, for EPOCHS
#    epochs or MINUTES minutes of training, whichever comes first; then the test on the synthetic test speakers and
#    an export (OUT/export: TFLite model, model card). The model carries its input statistics, so a fine-tuned model
#    keeps them.
#
# Cost, measured with the defaults on 2 CPU cores (2026-12-03, otherwise idle): corpus (synthesis + import) 208 s;
# training 25 epochs in the 30-minute cap (50-90 s an epoch); 2409 s (40 min) in all. The result: synthetic test
# speakers CER 0.184, WER 0.603 (greedy; the recipe of before, raw features and zero-filled masks frozen by the
# features cache, reached 0.287 / 0.775 in 18 epochs). Checkpoints 218 MB (weights and Adam state), so it is made,
# not committed.
# Re-running after an interruption: synthesis and import skip what exists, and training continues from
# OUT/checkpoints (--max_train_minutes counts the earlier sessions' time).
#
# Use it: fine-tune on a small English corpus with `--load_checkpoint_dir OUT/checkpoints` (the guide's fine-tuning
# workflow), or transfer it to another alphabet with `--load_checkpoint_dir OUT/checkpoints --drop_source_layers 1`
# (tutorial 4); bench/recipe.py --starter OUT/checkpoints adds that row to the side-by-side benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-work/starter}
CLIPS=${CLIPS:-2500}
EPOCHS=${EPOCHS:-30}
MINUTES=${MINUTES:-30}
NICE=${NICE:-10}
DS=${DS:-.venv/bin/deepspeech-nb}
export PYTHONPATH=${PYTHONPATH:-$PWD}
ALPHABET=deepspeech_nb/data/deepspeech/alphabet.txt
CLIPS_DIR=$OUT/corpus/clips

[ -e /usr/share/wordnet/data.noun ] || { echo "needs WordNet: apt-get install wordnet-base" >&2; exit 1; }
mkdir -p "$OUT"
start=$(date +%s)
nice -n "$NICE" "$DS" synth-corpus "$OUT/corpus" -n "$CLIPS" --text all --seed 0
nice -n "$NICE" "$DS" import-cv2 "$OUT/corpus" --filter_alphabet "$ALPHABET"
echo "corpus ready after $(( $(date +%s) - start )) s"
nice -n "$NICE" "$DS" train \
  --train_files "$CLIPS_DIR/train.csv" --dev_files "$CLIPS_DIR/dev.csv" --test_files "$CLIPS_DIR/test.csv" \
  --alphabet_config_path "$ALPHABET" \
  --recipe small_data --learning_rate 0.001 --lr_schedule cosine --warmup_epochs 1 \
  --dev_batch_size 16 --test_batch_size 16 \
  --epochs "$EPOCHS" --max_train_minutes "$MINUTES" --feature_cache "$OUT/feature_cache" \
  --beam_width 1 --noshow_progressbar --report_count 3 \
  --checkpoint_dir "$OUT/checkpoints" --export_dir "$OUT/export"
echo "starter model: $OUT/checkpoints (export: $OUT/export), $(( $(date +%s) - start )) s in all"
