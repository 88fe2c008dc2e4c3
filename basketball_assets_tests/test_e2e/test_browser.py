"""The Dagster UI in a real browser, on a small demo: the asset graph, the games'
partitions and a game's contact sheet render, with no error on the page.

Starts ``dagster-webserver`` on the demo definitions on a free port of 127.0.0.1 (as
scripts/screenshots.py does, whose code it uses and whose screenshots it retakes) and
drives Debian's Chromium (installed by scripts/install_chromium.sh, which scripts/test.sh
runs) headless with Playwright. Without Chromium the tests skip loudly; under CI they fail.
"""

import importlib.util
import os
from pathlib import Path

import pytest

from basketball_assets.core.contact_sheet import SheetLayout
from basketball_assets.demo import demo_game_id
from basketball_assets_tests.services.availability import service_unavailable

pytestmark = [pytest.mark.e2e, pytest.mark.ffmpeg]

ROOT = Path(__file__).resolve().parents[2]
ASSETS = [
    "supabase_plays",
    "game_plays",
    "game_clips",
    "game_training_data",
    "combined_dataset",
    "tuned_model",
    "model_evaluation",
]
GAMES = [demo_game_id(1), demo_game_id(2)]
#: Texts the UI shows when a page or a GraphQL query failed.
ERROR_TEXTS = ["Something went wrong", "Unexpected error", "An error occurred", "PythonError", "Could not load"]


def load_screenshots_script():
    """scripts/screenshots.py: the tests start the UI the way the README's screenshots are taken."""
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


screenshots = load_screenshots_script()


def chromium_binary() -> str:
    """Chromium, or skip (fail under CI) saying how to get it."""
    binary = screenshots.chromium_binary()
    if binary is None:
        service_unavailable(
            "Chromium",
            "no chromium on PATH and CHROMIUM_BIN is not set",
            "run `bash scripts/install_chromium.sh` as root (Debian), or set CHROMIUM_BIN",
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        service_unavailable("Playwright", str(error), "install the dev extras: `bash scripts/setup.sh`")
    return binary


@pytest.fixture(scope="module")
def ui(tmp_path_factory) -> str:
    """A two-game demo (20 s halves) materialized in a temporary instance, and the UI on it."""
    chromium_binary()
    folder = tmp_path_factory.mktemp("ui")
    env = {**os.environ, "DAGSTER_HOME": str(folder / "home"), "BASKETBALL_DATA_DIR": str(folder / "data")}
    env.pop("SUPABASE_URL", None)
    screenshots.quiet_instance(folder / "home")
    screenshots.run_demo(env, games=2, half_seconds=20, log=folder / "demo.log")
    with screenshots.webserver(env, screenshots.free_port(), folder / "webserver.log") as url:
        yield url


@pytest.fixture
def page(ui):
    """A fresh headless Chromium page; fails the test on any uncaught script error."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_binary(), args=screenshots.CHROMIUM_ARGS)
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


def test_the_readme_screenshots_can_be_retaken(ui, tmp_path):
    written = screenshots.take(ui, tmp_path, GAMES[0])
    assert [path.name for path in written] == [
        "asset-graph.png",
        "game-partitions.png",
        "contact-sheet.png",
        "metadata-plots.png",
        "dataset-card.png",
    ]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
