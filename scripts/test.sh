#!/usr/bin/env bash
# README command 2: set up, then run the whole test suite (the tests start the servers
# they need themselves). Extra arguments go to pytest, e.g. `-k clips` or `-m "not e2e"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install_postgrest.sh
bash scripts/install_chromium.sh
exec .venv/bin/python -m pytest "$@"
