#!/usr/bin/env bash
# Open the Dagster UI (webserver and daemon) on the local instance the demo used.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec dagster dev -w workspace.yaml -h 127.0.0.1 -p "${PORT:-3000}" "$@"
