#!/usr/bin/env bash
# Make a headless Chromium available for the report's browser test (tests/test_report.py).
# Idempotent: exits at once when `chromium` is on PATH. Installs the Debian package `chromium` when
# run as root with apt-get (CI and the developers' machines); otherwise says what to install.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    echo "setup_browser: $(command -v chromium) is present (nothing to install)"
    exit 0
fi
if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_browser: the report test needs a headless Chromium: install the system package 'chromium'" \
         "(Debian/Ubuntu: sudo apt-get install chromium) and rerun." >&2
    exit 1
fi
echo "setup_browser: installing the system package chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || { echo "setup_browser: apt-get update failed; check the package mirror and rerun." >&2; exit 1; }
apt-get install -y -qq chromium >/dev/null \
    || { echo "setup_browser: apt-get install chromium failed; rerun 'make test' once the mirror answers." >&2; exit 1; }
echo "setup_browser: installed $(command -v chromium)"
