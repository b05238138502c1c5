#!/usr/bin/env bash
# Create .venv/ at the repository root with the pinned, tested versions and the package installed editable.
# KenLM's build (scripts/build-kenlm.sh: a CPU-bound C++ compile) runs while pip downloads and unpacks the wheels
# (network and disk bound), so a fresh machine waits for the longer of the two, not for both.
# What only the tests and the site need (requirements-test.txt) is installed by `make test-setup`, not here.
set -euo pipefail
PYTHON=${1:-python3}
cd "$(dirname "$0")/.."
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "deepspeech_nb needs Python 3.11+"' || {
  echo "error: $PYTHON is older than 3.11; install python3.11 and run: make setup PYTHON=python3.11" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip

KENLM_LOG=$(mktemp)
# its own process group (setsid), so that a failing pip install stops the whole build too
setsid bash scripts/build-kenlm.sh >"$KENLM_LOG" 2>&1 & KENLM_PID=$!
trap 'kill -- -$KENLM_PID 2>/dev/null || true; rm -f "$KENLM_LOG"' EXIT
# --no-compile: Python compiles a module's bytecode when it is first imported; compiling all of site-packages up
# front (TensorFlow alone is thousands of files) costs more CPU than the few hundred modules a session imports.
.venv/bin/python -m pip install -q --no-compile -r requirements.txt
.venv/bin/python -m pip install -q --no-compile --no-deps -e .
wait "$KENLM_PID" || { cat "$KENLM_LOG" >&2; echo "error: scripts/build-kenlm.sh failed (its log above)" >&2; exit 1; }
cat "$KENLM_LOG"   # lmplz/build_binary/filter for build-lm (skipped when already built)
# the venv's python3 kernel (papermill runs: deepspeech-nb run) keeps TensorFlow's start-up lines out of cells, as make lab's does
.venv/bin/python tools/execute_notebooks.py --quiet-venv-kernel >/dev/null
# opuslib's decoder has a SyntaxWarning ("is not" with a literal) that Python prints when it compiles the module:
# compiled here, quietly, so that it never reaches a user's first SDB read or an executed notebook
.venv/bin/python -W ignore -m compileall -q "$(.venv/bin/python -c 'import opuslib, os; print(os.path.dirname(opuslib.__file__))')" >/dev/null
.venv/bin/python -c "import deepspeech_nb, opuslib, soundfile; print('deepspeech_nb', deepspeech_nb.__version__, 'ready in .venv/')"
