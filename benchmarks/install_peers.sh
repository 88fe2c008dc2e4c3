#!/usr/bin/env bash
# Installs the tools the project is compared with into their own venv, .benchmarks/peers/
# (never the project's .venv, never in CI): smartcut 1.7 (a CLI) and video2dataset 1.3.0,
# plus matplotlib for the cost-curve PNG. Called by benchmarks/peers.py when the venv is
# missing; safe to run again. Usage: bash benchmarks/install_peers.sh [python]
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-python3}"
venv=.benchmarks/peers
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
# smartcut pins its own PyAV (av==16.0.1): install it first, alone.
"${pip[@]}" 'smartcut==1.7'
# video2dataset 1.3.0 asks for numpy<2 (and torch 2.1.2, built against NumPy 1); a current
# pyarrow or pandas wants NumPy 2, so both are pinned to releases built for NumPy 1.26.
"${pip[@]}" 'video2dataset==1.3.0' 'numpy==1.26.4' 'pyarrow>=14,<17' 'pandas>=2.1,<2.3' 'matplotlib>=3.8,<3.10'
# Both peers run `ffmpeg` from PATH: give them the project's binary (imageio-ffmpeg's), so
# every way of cutting uses the same ffmpeg build.
ln -sf "$(.venv/bin/python -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')" "$venv/bin/ffmpeg"
"$venv/bin/python" -c 'import video2dataset.subsamplers, smartcut, matplotlib; print("peers installed")'
