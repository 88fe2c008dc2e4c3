# Sourced by the scripts: the local instance (dagster.yaml here) and the local data folder.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DAGSTER_HOME="${DAGSTER_HOME:-$root}"
export BASKETBALL_DATA_DIR="${BASKETBALL_DATA_DIR:-$root/data}"
export PATH="$root/.venv/bin:$PATH"
