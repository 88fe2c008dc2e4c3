"""The code location image: built where a Docker engine answers, else its install steps
run in a fresh virtual environment (deploy/check_image_steps.sh)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_and_install_steps_agree():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    # The check script copies what the Dockerfile copies; keep the two lists the same.
    assert "COPY setup.py README.md ./" in dockerfile and "COPY basketball_assets ./basketball_assets" in dockerfile
    assert "RUN sh deploy/install.sh /opt/venv" in dockerfile
    assert "USER 10001" in dockerfile


@pytest.mark.slow
def test_image_install_steps_succeed_in_a_fresh_environment():
    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / "check_image_steps.sh")],
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHON": sys.executable, "HOME": str(Path.home())},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "check_image_steps: ok" in result.stdout or "Successfully built" in result.stdout + result.stderr
