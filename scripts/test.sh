#!/usr/bin/env bash
# README command 2: set up, then run the whole test suite (the tests start the servers
# they need themselves), after ruff's checks. Extra arguments go to pytest, e.g. `-k clips` or `-m "not e2e"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install_postgrest.sh
bash scripts/install_chromium.sh
# House rules first (ruff.toml): a second or two, and a clear message before minutes of tests.
.venv/bin/ruff check --quiet . || { echo "test.sh: ruff check failed; '.venv/bin/ruff check --fix .' fixes some" >&2; exit 1; }
.venv/bin/ruff format --check --quiet . || { echo "test.sh: unformatted files; run '.venv/bin/ruff format .'" >&2; exit 1; }
exec .venv/bin/python -m pytest "$@"
