#!/usr/bin/env bash
# Install DeepSpeech 0.9.3's own clients from PyPI, to check that this kit's exports run there:
#   .venv-ds093/     deepspeech-tflite==0.9.3 (libdeepspeech with TensorFlow Lite 2.3: runs .tflite)
#   .venv-ds093-tf/  deepspeech==0.9.3        (libdeepspeech with TensorFlow 2.3: runs .pb/.pbmm)
# DeepSpeech 0.9.3 has wheels for Python 3.5-3.9 only, so this needs a Python 3.9:
# $PYTHON39, else python3.9 on PATH, else pyenv's 3.9.x. Idempotent: a working venv is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
find_python39() {
  for p in "${PYTHON39:-}" "$(command -v python3.9 || true)" /root/.pyenv/versions/3.9.*/bin/python3.9 \
           "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9.*/bin/python3.9; do
    if [ -n "$p" ] && [ -x "$p" ] && "$p" -c 'import sys; assert sys.version_info[:2] == (3, 9)' 2>/dev/null; then
      echo "$p"; return 0; fi
  done
  return 1
}
PY39=$(find_python39) || {
  echo "error: no Python 3.9 found (DeepSpeech 0.9.3's wheels need Python 3.5-3.9): install one (pyenv install 3.9) and run PYTHON39=/path/to/python3.9 bash scripts/setup-deepspeech-client.sh" >&2
  exit 1; }
make_venv() {  # folder, package
  local dir=$1 pkg=$2
  if "$dir/bin/python" -c 'import deepspeech, numpy' 2>/dev/null; then return 0; fi
  rm -rf "$dir"; "$PY39" -m venv "$dir"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check "$pkg==0.9.3" 'numpy<1.20' 2>&1 | grep -v "^WARNING: Location" >&2 || true
  "$dir/bin/python" -c 'import deepspeech, numpy' 2>/dev/null || {
    echo "error: could not install $pkg==0.9.3 with numpy<1.20 into $dir from PyPI (offline? see pip's message above)" >&2; exit 1; }
}
make_venv .venv-ds093 deepspeech-tflite
# DeepSpeech 0.9.3's CTC decoder on its own, for tests/test_deepspeech_client.py to decode the kit's probabilities
.venv-ds093/bin/python -c "import ds_ctcdecoder" 2>/dev/null || .venv-ds093/bin/python -m pip install -q --disable-pip-version-check "ds_ctcdecoder==0.9.3" 2>&1 | grep -v "^WARNING: Location" >&2 || true
make_venv .venv-ds093-tf deepspeech
echo "DeepSpeech 0.9.3 clients ready: .venv-ds093/bin/deepspeech (TFLite), .venv-ds093-tf/bin/deepspeech (TensorFlow)"
