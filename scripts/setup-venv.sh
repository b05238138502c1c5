#!/usr/bin/env bash
# Create .venv/ at the repository root with the pinned, tested versions and the package installed editable.
set -euo pipefail
PYTHON=${1:-python3}
cd "$(dirname "$0")/.."
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "deepspeech_nb needs Python 3.11+"' || {
  echo "error: $PYTHON is older than 3.11; install python3.11 and run: make setup PYTHON=python3.11" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m pip install -q --no-deps -e .
bash scripts/build-kenlm.sh   # lmplz/build_binary/filter for build-lm (skipped when already built)
.venv/bin/python -c "import deepspeech_nb, opuslib, soundfile; print('deepspeech_nb', deepspeech_nb.__version__, 'ready in .venv/')"
