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
# Two workers on a 2-core machine (more where there are cores, at most 4): whole files per worker, so
# module-scoped fixtures are built once; later arguments win, so `scripts/test.sh -n 0` runs in one process.
workers=$(nproc 2>/dev/null || echo 2)
[ "$workers" -le 4 ] || workers=4
# --no-loadscope-reorder: hand out files in conftest.py's order (slowest first), not by their number of tests
# (xdist's default, which started the few-test e2e and image files last and left one worker alone at the end).
exec .venv/bin/python -m pytest -n "$workers" --dist loadfile --no-loadscope-reorder "$@"
