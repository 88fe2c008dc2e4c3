#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium (/usr/bin/chromium), which the browser test
# (basketball_assets_tests/test_e2e/test_browser.py) and scripts/screenshots.py drive.
# Idempotent: does nothing when chromium is already on PATH. Needs root and apt-get; when
# either is missing it warns and leaves the browser test to skip locally (under CI=true
# it fails instead, so a CI machine without Chromium is noticed).
set -uo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_chromium: apt-get is not available; install Chromium yourself (or set CHROMIUM_BIN) to run the browser test" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install_chromium: not root, so Chromium is not installed; run 'sudo apt-get install -y chromium' to run the browser test" >&2
  exit 0
fi
echo "install_chromium: installing Debian's chromium package (a minute or two)"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >/tmp/install_chromium.log 2>&1; then
  echo "install_chromium: apt-get could not install chromium (see /tmp/install_chromium.log); the browser test will not run" >&2
  tail -5 /tmp/install_chromium.log >&2
fi
exit 0
