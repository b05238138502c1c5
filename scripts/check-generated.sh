#!/usr/bin/env bash
# CI guard: fail when nbdev-clean or nbdev-export would change a committed file (notebooks are the source of truth).
set -euo pipefail
cd "$(dirname "$0")/.."
state() { git status --porcelain -- nbs deepspeech_nb README.md; git diff -- nbs deepspeech_nb README.md | sha1sum; }
before=$(state)
.venv/bin/nbdev-clean
.venv/bin/nbdev-export
.venv/bin/python tools/make_readme.py
after=$(state)
if [ "$before" != "$after" ]; then
  echo "error: nbdev-clean / nbdev-export / make readme changed files:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  echo "fix: run 'make clean-nbs export readme' and commit the result." >&2
  exit 1
fi
echo "notebooks clean; deepspeech_nb/ and README.md match the notebooks"
