#!/usr/bin/env bash
# System packages deepspeech_nb needs on Debian/Ubuntu. Safe to re-run: installs only what is missing.
set -euo pipefail
PACKAGES=(
  python3-venv python3-dev build-essential   # the .venv and packages that compile
  libopus0                                    # Opus codec (opuslib): SDB audio, codec augmentation
  libsndfile1                                 # soundfile falls back to it when its wheel lacks a build
  espeak-ng                                   # synthetic speech corpus (synth-corpus)
  lame                                        # mp3 encoding fallback for synth-corpus
  sox                                         # the per-clip baseline in bench/import_throughput.py
  libsox-fmt-mp3                              # lets that sox baseline read Common Voice mp3
  flite                                       # four more TTS voices for synth-corpus (optional)
  festival festvox-kallpc16k                  # festival's diphone voice for synth-corpus
  wordnet-base                                # WordNet 3.0 glosses: synth-corpus --text wordnet/all (starter model; WordNet licence)
  wfrench wspanish                            # word lists (wfrench GPL-2+, wspanish public domain): bench/lm_vocabulary.py's general-vocabulary scorers
  asterisk-core-sounds-es asterisk-core-sounds-es-wav  # real recorded Spanish prompts + transcripts (import-asterisk-prompts, CC-BY-SA)
  asterisk-core-sounds-fr asterisk-core-sounds-fr-wav  # ... French (tests/test_asterisk.py)
  asterisk-core-sounds-ru asterisk-core-sounds-ru-wav  # ... Russian (the transfer-learning tutorial)
  cmake libboost-program-options-dev libboost-system-dev libboost-thread-dev libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev  # KenLM's lmplz/build_binary/filter (scripts/build-kenlm.sh, build-lm)
  git
)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && { echo "system packages: all present"; exit 0; }
echo "system packages: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
  echo "error: need root to install: ${missing[*]}" >&2
  echo "  run: sudo apt-get install -y ${missing[*]}" >&2; exit 1; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
