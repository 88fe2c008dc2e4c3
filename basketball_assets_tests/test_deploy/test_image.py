"""The code location image: built where a Docker engine answers, else its install steps
run in a fresh virtual environment (deploy/check_image_steps.sh)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def dockerfile_stages() -> list[list[list[str]]]:
    """The Dockerfile's instructions per stage, each split into words (continuation lines joined)."""
    text = (ROOT / "deploy" / "Dockerfile").read_text().replace("\\\n", " ")
    stages: list[list[list[str]]] = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "FROM":
            stages.append([])
        stages[-1].append(words)
    return stages


def copied_by_dockerfile(stage: list[list[str]]) -> set[str]:
    """What a stage copies from the build context (not from another stage)."""
    return {
        source
        for words in stage
        if words[0] == "COPY" and not any(word.startswith("--from") for word in words)
        for source in words[1:-1]
    }


def copied_by_check_script() -> set[str]:
    """What deploy/check_image_steps.sh copies into its stand-in of the build context."""
    script = (ROOT / "deploy" / "check_image_steps.sh").read_text()
    return {
        source
        for line in script.splitlines()
        if line.startswith("cp ")
        for source in [word for word in line.split()[1:-1] if not word.startswith("-")]
    }


def test_the_check_script_copies_exactly_what_the_image_build_copies():
    # The fallback check proves the build only if it starts from the same files: a file added
    # to one list and not the other makes this fail.
    build, _final = dockerfile_stages()
    assert copied_by_dockerfile(build) == copied_by_check_script()
    assert ["RUN", "sh", "deploy/install.sh", "/opt/venv"] in build


def test_the_image_runs_as_a_non_root_user_and_copies_only_the_venv():
    _build, final = dockerfile_stages()
    users = [words[1] for words in final if words[0] == "USER"]
    assert users and users[-1] not in ("0", "root")
    assert copied_by_dockerfile(final) == set()  # only COPY --from=build: no sources in the image


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
