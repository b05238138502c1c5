#!/usr/bin/env bash
# The main job, as DeepSpeech's guide walks it, on speech the model has NOT heard: synthesise a small multi-voice
# Common-Voice-shaped corpus -> import it -> build a scorer from the training text -> train -> evaluate on held-out
# speakers and sentences, greedy and with the scorer -> export TFLite -> transcribe LDC93S1 and a held-out clip.
# When Debian's Spanish prompt pack is installed (make setup installs it), the same on real recorded Spanish.
# Training runs as `deepspeech-nb train` (the same flags as DeepSpeech.py). One training of these small models keeps
# about one core busy, so the Spanish part (stages 7-8, the longest) runs alongside the English one (stages 1-6) on a
# 2-core machine: its log is shown when the English part is done, then live (DEMO_PARALLEL=0: one after the other).
# Every step skips work already done, so running it again is quick (training resumes from its checkpoint).
# Sizes: DEMO_CLIPS, DEMO_EPOCHS, DEMO_N_HIDDEN (English), DEMO_ES_EPOCHS, DEMO_ES_N_HIDDEN (Spanish; 0 epochs: skip).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-work/demo}
CLI=.venv/bin/deepspeech-nb
CLIPS=${DEMO_CLIPS:-400}; EPOCHS=${DEMO_EPOCHS:-20}; N_HIDDEN=${DEMO_N_HIDDEN:-128}
ES_EPOCHS=${DEMO_ES_EPOCHS:-40}; ES_N_HIDDEN=${DEMO_ES_N_HIDDEN:-256}; PARALLEL=${DEMO_PARALLEL:-1}
ES_SOUNDS=/usr/share/asterisk/sounds/es
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
mkdir -p "$DIR"
TIMES=() RESULTS=() STAGE="" STARTED=0
stage() { finish; STAGE=$1; STARTED=$SECONDS; echo; echo "== $1"; }
finish() { [ -z "$STAGE" ] || TIMES+=("$(printf '%5d s  %s' $((SECONDS - STARTED)) "$STAGE")"); STAGE=""; }
# one line of `deepspeech-nb evaluate` output: "Test on X - WER: ..., CER: ..., loss: ..."
evaluate() { local label=$1; shift; local line; line=$($CLI evaluate --report_count 0 "$@" | grep '^Test on')
             echo "$line"; RESULTS+=("$(printf '%-34s %s' "$label" "${line#*- }")"); }
sentences() { .venv/bin/python -c "import pandas, sys; print('\n'.join(pandas.read_csv(sys.argv[1]).transcript))" "$1"; }
first_test_clip() { .venv/bin/python -c "import pandas, sys; r = pandas.read_csv(sys.argv[1]).iloc[0]; print(r.wav_filename + '\t' + r.transcript)" "$1"; }
show() { grep -E "$1" || true; }  # print the lines that matter (none is fine)
lm() { $CLI build-lm --input_txt "$1" --output_dir "$2" --arpa_order 3 --arpa_prune 0 --top_k 50000 \
         --discount_fallback --max_arpa_memory 10% "${@:3}" | tail -n 1; }

# stages 7-8; their stage times and results go to files the end of the demo reads (a background job's arrays do not)
ES=$DIR/es
spanish() {
  local TIMES=() RESULTS=() STAGE="" STARTED=0   # stage/finish/evaluate, called from here, fill these
  stage "7 real speech: Debian's Spanish Asterisk prompts (one voice, 8 kHz, CC-BY-SA) -> CSVs (import-asterisk-prompts)"
  $CLI import-asterisk-prompts --language es "$ES/data" | show '^(train|dev|test|-) |^converted|^note'
  sentences "$ES/data/train.csv" > "$ES/train_sentences.txt"
  lm "$ES/train_sentences.txt" "$ES/lm" --alphabet_config_path "$ES/data/alphabet.txt"
  stage "8 train on the Spanish prompts (n_hidden $ES_N_HIDDEN, $ES_EPOCHS epochs) and evaluate on held-out sentences"
  $CLI train --noshow_progressbar --train_files "$ES/data/train.csv" --dev_files "$ES/data/dev.csv" \
    --alphabet_config_path "$ES/data/alphabet.txt" --train_batch_size 8 --dev_batch_size 8 --n_hidden "$ES_N_HIDDEN" \
    --epochs "$ES_EPOCHS" --beam_width 1 --feature_cache "$ES/feature_cache" --checkpoint_dir "$ES/checkpoints" \
    | show '^epoch (1|[0-9]*0)/'
  evaluate "real Spanish, greedy" --load_checkpoint_dir "$ES/checkpoints" --test_files "$ES/data/test.csv" \
    --test_batch_size 8 --beam_width 1 --dump_logits "$ES/test_logits.npz"
  evaluate "real Spanish, beam + scorer" --logits_file "$ES/test_logits.npz" --alphabet_config_path "$ES/data/alphabet.txt" \
    --scorer_path "$ES/lm/kenlm.scorer" --beam_width 256
  finish
  printf '%s\n' "${TIMES[@]}" > "$ES/times.txt"; printf '%s\n' "${RESULTS[@]}" > "$ES/results.txt"
}
ES_PID=""
if [ -d "$ES_SOUNDS" ] && [ "$ES_EPOCHS" -gt 0 ]; then
  mkdir -p "$ES"; rm -f "$ES/times.txt" "$ES/results.txt"
  if [ "$PARALLEL" = 1 ]; then
    spanish > "$ES/demo.log" 2>&1 & ES_PID=$!
    # a failed or interrupted demo stops it too (the whole process tree: the shell, its commands, their workers)
    tree() { echo "$1"; local c; for c in $(ps -o pid= --ppid "$1"); do tree "$c"; done; }
    trap '[ -z "$ES_PID" ] || kill $(tree "$ES_PID") 2>/dev/null || true' EXIT
  fi
fi

stage "1 synthesise a Common-Voice-shaped corpus: $CLIPS clips, every installed TTS voice (synth-corpus)"
$CLI synth-corpus -n "$CLIPS" "$DIR/cv"
stage "2 import it: mp3 48 kHz -> wav 16 kHz + CSVs (import-cv2)"
$CLI import-cv2 "$DIR/cv" | tail -n 5
CSV=$DIR/cv/clips
stage "3 a scorer from the training sentences only (build-lm: KenLM 3-gram + vocabulary)"
sentences "$CSV/train.csv" > "$DIR/train_sentences.txt"
lm "$DIR/train_sentences.txt" "$DIR/lm"
stage "4 train (n_hidden $N_HIDDEN, $EPOCHS epochs, batch 8; dev loss after each epoch) and export TFLite"
$CLI train --noshow_progressbar --train_files "$CSV/train.csv" --dev_files "$CSV/dev.csv" \
  --train_batch_size 8 --dev_batch_size 8 --n_hidden "$N_HIDDEN" --epochs "$EPOCHS" --beam_width 1 \
  --feature_cache "$DIR/feature_cache" --checkpoint_dir "$DIR/checkpoints" --export_dir "$DIR/model" --export_tflite \
  | show '^epoch|^exported'
stage "5 evaluate on the held-out speakers and sentences: greedy, then beam search with the scorer"
evaluate "synthetic English, greedy" --load_checkpoint_dir "$DIR/checkpoints" --test_files "$CSV/test.csv" \
  --test_batch_size 8 --beam_width 1 --dump_logits "$DIR/test_logits.npz"
evaluate "synthetic English, beam + scorer" --logits_file "$DIR/test_logits.npz" --scorer_path "$DIR/lm/kenlm.scorer" --beam_width 256
stage "6 transcribe with the exported TFLite model (LiteRT + numpy, no TensorFlow): LDC93S1 and a held-out clip"
$CLI import-ldc93s1 "$DIR/ldc93s1" >/dev/null
IFS=$'\t' read -r CLIP REF < <(first_test_clip "$CSV/test.csv")
echo "LDC93S1 reference:   she had your dark suit in greasy wash water all year"
echo "LDC93S1 greedy:      $($CLI transcribe --model "$DIR/model" "$DIR/ldc93s1/LDC93S1.wav")"
echo "held-out reference:  $REF"
echo "held-out greedy:     $($CLI transcribe --model "$DIR/model" "$CLIP")"
echo "held-out + scorer:   $($CLI transcribe --model "$DIR/model" --scorer "$DIR/lm/kenlm.scorer" "$CLIP")"

finish
if [ -n "$ES_PID" ]; then
  echo; echo "(the Spanish part has been running alongside since the start: its log so far, then live)"
  tail -n +1 --pid="$ES_PID" -f "$ES/demo.log"
  wait "$ES_PID" || { echo "error: the Spanish part failed (log: $ES/demo.log)" >&2; exit 1; }
  ES_PID=""
elif [ -d "$ES_SOUNDS" ] && [ "$ES_EPOCHS" -gt 0 ]; then spanish
else
  echo; echo "(Spanish prompt pack not installed: apt-get install asterisk-core-sounds-es asterisk-core-sounds-es-wav adds real speech)"
fi
[ -f "$ES/times.txt" ] && { mapfile -t -O "${#TIMES[@]}" TIMES < "$ES/times.txt"; mapfile -t -O "${#RESULTS[@]}" RESULTS < "$ES/results.txt"; }

echo; echo "== results on held-out data (the model never heard these speakers or sentences)"
printf '%s\n' "${RESULTS[@]}"
echo; echo "== time per stage"
printf '%s\n' "${TIMES[@]}"
[ "$PARALLEL" = 1 ] && [ -f "$ES/times.txt" ] && echo "        (stages 7-8 ran alongside stages 1-6)"
printf '%5d s  total\n' "$SECONDS"
echo
echo "demo done: $DIR holds the corpus, checkpoints, scorer and TFLite model."
echo "Next: the tutorials (first model, a Common Voice release, real speech, transfer learning) in JupyterLab:"
echo "  make lab    # then open nbs/tutorials/01_first_model.ipynb"
