#!/usr/bin/env bash
# Build KenLM's `lmplz`, `build_binary` and `filter`, which `deepspeech-nb build-lm` runs, from the kenlm source
# distribution on PyPI (KenLM publishes no binaries). Safe to re-run: does nothing when both are present.
#
# usage: scripts/build-kenlm.sh [DEST_DIR]        default DEST_DIR: .venv/bin (git-ignored, on the venv's PATH)
#   KENLM_SDIST=/path/kenlm-0.3.0.tar.gz scripts/build-kenlm.sh   # offline: build from a tarball you already have
#
# Needs cmake, g++ and the Boost/compression headers (Debian/Ubuntu):
#   apt-get install cmake g++ libboost-program-options-dev libboost-system-dev libboost-thread-dev \
#                   libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST=${1:-$ROOT/.venv/bin}
KENLM_VERSION=0.3.0                       # the sdist this script was tested with
PIP=${PIP:-$ROOT/.venv/bin/pip}
JOBS=${JOBS:-$(nproc)}

if [ -x "$DEST/lmplz" ] && [ -x "$DEST/build_binary" ] && [ -x "$DEST/filter" ]; then
  echo "kenlm: lmplz, build_binary and filter already in $DEST"; exit 0; fi

missing=()
for tool in cmake g++ make; do command -v "$tool" >/dev/null || missing+=("$tool"); done
for header in boost/program_options.hpp boost/thread.hpp zlib.h bzlib.h lzma.h; do
  [ -e "/usr/include/$header" ] || missing+=("/usr/include/$header"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "error: building KenLM needs: ${missing[*]}" >&2
  echo "  install: sudo apt-get install -y cmake g++ libboost-program-options-dev libboost-system-dev" \
       "libboost-thread-dev libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev" >&2
  exit 1; fi

WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
if [ -n "${KENLM_SDIST:-}" ]; then cp "$KENLM_SDIST" "$WORK/"; else
  echo "kenlm: downloading the kenlm==$KENLM_VERSION source distribution from PyPI"
  "$PIP" download "kenlm==$KENLM_VERSION" --no-binary kenlm --no-deps --quiet -d "$WORK"; fi
tar xzf "$WORK"/kenlm-*.tar.gz -C "$WORK"
SRC=$(find "$WORK" -maxdepth 1 -type d -name 'kenlm-*' | head -n1)

echo "kenlm: building lmplz, build_binary and filter with $JOBS jobs (a few minutes)"
cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DENABLE_PYTHON=OFF -DCOMPILE_TESTS=OFF \
      -DENABLE_INTERPOLATE=OFF >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; exit 1; }
cmake --build "$WORK/build" --target lmplz build_binary filter -j "$JOBS" >"$WORK/build.log" 2>&1 \
  || { tail -n 50 "$WORK/build.log" >&2; exit 1; }
mkdir -p "$DEST"
install -m 755 "$WORK/build/bin/lmplz" "$WORK/build/bin/build_binary" "$WORK/build/bin/filter" "$DEST/"
echo "kenlm: installed lmplz, build_binary and filter in $DEST"
