"""The Dagster UI in a real browser, on a small demo: the asset graph, the games'
partitions and a game's contact sheet render, with no error on the page.

Starts ``dagster-webserver`` on the demo definitions on a free port of 127.0.0.1 and
drives Debian's Chromium (installed by scripts/install_chromium.sh, which scripts/test.sh
runs) headless with Playwright. Without Chromium the tests skip loudly; under CI they fail.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from basketball_assets.core.contact_sheet import SheetLayout
from basketball_assets.demo import demo_game_id
from basketball_assets_tests.services.availability import service_unavailable

pytestmark = [pytest.mark.e2e, pytest.mark.ffmpeg]

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ["supabase_plays", "game_plays", "game_clips", "game_training_data", "combined_dataset", "tuned_model"]
GAMES = [demo_game_id(1), demo_game_id(2)]
#: Texts the UI shows when a page or a GraphQL query failed.
ERROR_TEXTS = ["Something went wrong", "Unexpected error", "An error occurred", "PythonError", "Could not load"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def chromium_binary() -> str:
    """Chromium, or skip (fail under CI) saying how to get it."""
    candidate = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(candidate).exists():
        service_unavailable("Chromium", "no chromium on PATH and CHROMIUM_BIN is not set", "run `bash scripts/install_chromium.sh` as root (Debian), or set CHROMIUM_BIN")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        service_unavailable("Playwright", str(error), "install the dev extras: `bash scripts/setup.sh`")
    return candidate


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"dagster-webserver did not answer on {url} within {timeout_s:.0f} s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def ui(tmp_path_factory) -> str:
    """A two-game demo (20 s halves) materialized in a temporary instance, and the UI on it."""
    chromium_binary()
    folder = tmp_path_factory.mktemp("ui")
    home = folder / "home"
    (home / ".nux").mkdir(parents=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n")  # no first-visit dialog over the page
    env = {**os.environ, "DAGSTER_HOME": str(home), "BASKETBALL_DATA_DIR": str(folder / "data")}
    env.pop("SUPABASE_URL", None)
    demo = [sys.executable, "-m", "basketball_assets.demo", "--games", "2", "--half-seconds", "20"]
    finished = subprocess.run(demo, cwd=ROOT, env=env, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]

    log = folder / "webserver.log"
    url = f"http://127.0.0.1:{free_port()}"
    command = [str(Path(sys.executable).with_name("dagster-webserver")), "-m", "basketball_assets.definitions", "-h", "127.0.0.1", "-p", url.rsplit(":", 1)[1]]
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def page(ui):
    """A fresh headless Chromium page; fails the test on any uncaught script error."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_binary(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 900})
        page.set_default_timeout(60_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
    assert not errors, f"script errors on the page: {errors}"


def assert_no_error_shown(page) -> None:
    body = page.inner_text("body")
    assert not [text for text in ERROR_TEXTS if text in body], body[:2000]


def test_the_asset_graph_shows_every_step(ui, page):
    page.goto(f"{ui}/asset-groups")
    # Groups start collapsed; double-clicking a group's title opens it and shows its assets.
    for group, member in (("games", "game_clips"), ("dataset", "combined_dataset")):
        page.locator("foreignObject").get_by_text(group, exact=True).filter(visible=True).first.dblclick()
        page.get_by_text(member, exact=True).first.wait_for()
    for asset in ASSETS:
        page.get_by_text(asset, exact=True).first.wait_for()
    assert_no_error_shown(page)


def test_the_games_show_as_materialized_partitions(ui, page):
    page.goto(f"{ui}/assets/game_clips?view=partitions")
    page.get_by_text("Materialized (2)").wait_for()
    for game_id in GAMES:
        # Long names are shown shortened in the middle ("dc33d1e4-95ed-59…"), the whole
        # name kept in a hidden element that measures it.
        page.get_by_text(game_id[:8]).filter(visible=True).first.wait_for()
        assert game_id in page.content()
    assert_no_error_shown(page)


def test_a_games_contact_sheet_shows_inline(ui, page):
    page.goto(f"{ui}/assets/game_clips?view=partitions&partition={GAMES[0]}")
    row = page.locator("tr", has=page.get_by_text("contact_sheet", exact=True)).first
    row.get_by_text("[Show Markdown]").click()
    image = page.get_by_role("dialog").locator("img").first
    image.wait_for()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("image => image.naturalWidth") == SheetLayout().inline_width
    assert image.get_attribute("src").startswith("data:image/jpeg;base64,")
    assert "plays shown" in page.get_by_role("dialog").inner_text()
    assert_no_error_shown(page)
