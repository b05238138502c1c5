#!/usr/bin/env bash
# System packages only the tests need (make test / make pytest): headless Chromium and its driver for
# tests/test_browser.py. Kept apart from setup-system.sh so `make demo` stays small. Safe to re-run.
set -euo pipefail
PACKAGES=(chromium chromium-driver)   # Debian's: Selenium Manager would try the internet, the tests use /usr/bin/chromedriver
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && { echo "test packages: all present"; exit 0; }
echo "test packages: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
  echo "error: need root to install: ${missing[*]}" >&2
  echo "  run: sudo apt-get install -y ${missing[*]}" >&2; exit 1; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
