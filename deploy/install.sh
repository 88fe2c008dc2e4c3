#!/bin/sh
# The install steps of the code location image, shared by the Dockerfile and by
# deploy/check_image_steps.sh (which runs them in a fresh virtual environment where no
# Docker engine is available). Usage: deploy/install.sh VENV_DIR (run from the repo root).
set -eu
venv="$1"
"${PYTHON:-python}" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
# Not editable: the package goes into site-packages, the source tree is not needed.
"$venv/bin/pip" install --quiet ".[deploy]"
# The image must carry a working ffmpeg (imageio-ffmpeg's) and load the definitions.
"$venv/bin/python" -c "import imageio_ffmpeg, subprocess; subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-hide_banner', '-version'], check=True, capture_output=True)"
"$venv/bin/python" -c "from basketball_assets.definitions import defs; assert defs.resolve_asset_graph().get_all_asset_keys()"
