#!/usr/bin/env bash
# Set-up for every README command: a virtual environment in .venv with the project and
# its test tools installed. Idempotent and quick when nothing changed: it reinstalls
# only when setup.py (or this script) changes.
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
  for candidate in "${PYTHON:-}" python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "basketball-assets needs Python 3.11 or 3.12 (set PYTHON=/path/to/python)" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  python=$(pick_python)
  echo "setup: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi

stamp=.venv/.installed
wanted=$(cat setup.py scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing the project and its test tools into .venv (about a minute)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2> >(grep -v "is ignored: it is neither" >&2)
  # grep drops the notes some machines' pip configuration prints for every package.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]" 2> >(grep -v "is ignored: it is neither" >&2)
  echo "$wanted" > "$stamp"
fi
