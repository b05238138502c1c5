#!/usr/bin/env bash
# A starter model from synthetic speech (issue 15, item 3: "no release model? make one").
#
#   bash scripts/make-starter-model.sh [OUT]        # default OUT: work/starter
#   CLIPS=8000 EPOCHS=20 MINUTES=110 bash scripts/make-starter-model.sh work/starter-big
#
# 1. synth-corpus: CLIPS clips (default 4000, about 3.6 hours of audio, 500 speakers: every espeak-ng accent and
#    variant at many speeds and pitches, plus flite/festival voices when installed) saying distinct sentences
#    (`--text all`: the 479 bundled ones and WordNet's glosses and examples; needs `apt-get install wordnet-base`,
#    whose licence the corpus folder keeps as WORDNET_LICENSE);
# 2. import-cv2 to 16 kHz wav + CSVs in DeepSpeech's English alphabet;
# 3. deepspeech-nb train, n_hidden 512 (the small-data geometry, so the model fine-tunes in minutes), with the
#    small-data recipe's masks and schedule at learning rate 0.001, the features cached, for EPOCHS epochs or
#    MINUTES minutes of training, whichever comes first; then the test on the synthetic test speakers and an export
#    (OUT/export: TFLite model, model card).
#
# Cost on 2 CPU cores (from the pieces measured here, not from a full run): synthesis about 0.2 s a clip per core
# (measured: 60 `--text all` clips, 3.2 s of audio each on average, in 12 s on one busy core; 4000 clips: about
# 7 min on 2 cores, 14 on one), import about 1 min, training about 40 s of wall time per hour of audio per epoch at
# n_hidden 512, batch 16 on an idle machine (bench/recipe.py: the Spanish pack's 0.21 h took 8 s an epoch; 3.6 h:
# about 2.4 min an epoch, so 30 epochs take about 75 min), MINUTES=100 capping it: about 1.5 hours in all, and the
# cap keeps it under 2 hours. Re-running after an interruption: synthesis and import skip what exists, and training
# continues from OUT/checkpoints (--max_train_minutes counts the earlier sessions' time).
#
# Use it: fine-tune on a small English corpus with `--load_checkpoint_dir OUT/checkpoints` (the guide's fine-tuning
# workflow), or transfer it to another alphabet with `--load_checkpoint_dir OUT/checkpoints --drop_source_layers 1`
# (tutorial 4); bench/recipe.py --starter OUT/checkpoints adds that row to the side-by-side benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-work/starter}
CLIPS=${CLIPS:-4000}
EPOCHS=${EPOCHS:-30}
MINUTES=${MINUTES:-100}
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
  --n_hidden 512 --train_batch_size 16 --dev_batch_size 16 --test_batch_size 16 \
  --learning_rate 0.001 --dropout_rate 0.2 --lr_schedule cosine --warmup_epochs 1 --best_metric cer \
  --augment 'frequency_mask[n=2,size=10~5]' --augment 'relative_time_mask[n=2,ratio=0.05]' \
  --epochs "$EPOCHS" --max_train_minutes "$MINUTES" --feature_cache "$OUT/feature_cache" \
  --beam_width 1 --noshow_progressbar --report_count 3 \
  --checkpoint_dir "$OUT/checkpoints" --export_dir "$OUT/export"
echo "starter model: $OUT/checkpoints (export: $OUT/export), $(( $(date +%s) - start )) s in all"
