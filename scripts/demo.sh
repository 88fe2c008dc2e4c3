#!/usr/bin/env bash
# README command 1: set up, generate the demo games, materialize everything locally.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec python -m basketball_assets.demo "$@"
