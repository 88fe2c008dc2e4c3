#!/usr/bin/env bash
# Checks the code location image: `docker build` where a Docker engine answers, else the
# Dockerfile's install steps (deploy/install.sh) in a fresh virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker info >/dev/null 2>&1; then
  echo "check_image_steps: Docker engine found, building deploy/Dockerfile"
  exec docker build -f deploy/Dockerfile -t basketball-assets:check .
fi
echo "check_image_steps: no Docker engine; running the Dockerfile's install steps in a fresh venv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A copy of exactly what the Dockerfile copies, so a file missing from COPY fails here too.
mkdir -p "$work/src/deploy"
cp setup.py README.md "$work/src/"
cp -r basketball_assets "$work/src/"
cp deploy/install.sh "$work/src/deploy/"
cd "$work/src"
PYTHON="${PYTHON:-python3}" sh deploy/install.sh "$work/venv"
echo "check_image_steps: ok"
