"""Retake the README's screenshots of the Dagster UI, from the running UI on demo data.

    .venv/bin/python scripts/screenshots.py            # a fresh small demo in a temporary folder
    .venv/bin/python scripts/screenshots.py --existing # the instance and data of scripts/demo.sh

It generates a small demo (2 games) in a temporary DAGSTER_HOME and data folder (or uses
the ones scripts/env.sh names), starts ``dagster-webserver`` on the demo definitions on a
free port of 127.0.0.1, drives Debian's headless Chromium with Playwright, and writes:

* docs/screenshots/asset-graph.png       the asset graph (lineage) of every step
* docs/screenshots/game-partitions.png   game_clips' partitions: one per game
* docs/screenshots/contact-sheet.png     a game's contact sheet, inline in the UI
* docs/screenshots/dataset-card.png      the combined dataset's card
* docs/screenshots/metadata-plots.png    game_clips' numeric metadata, plotted across materializations
* docs/screenshots/alert-message.png     a run-failure alert, posted by the real sensor to the local
                                         Slack stand-in and rendered by it (a real failed game run:
                                         refused for disk room)

``--only alert-message metadata-plots`` writes just those.

Needs Chromium (``bash scripts/install_chromium.sh``, or CHROMIUM_BIN) and the dev extras
(``playwright``, installed by scripts/setup.sh). No browser is downloaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Chromium flags for a quiet, reproducible headless run as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1600, "height": 800}


def chromium_binary() -> str | None:
    """The Chromium to drive: $CHROMIUM_BIN, else Debian's /usr/bin/chromium."""
    candidate = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if Path(candidate).exists() else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def quiet_instance(home: Path) -> None:
    """A Dagster home without telemetry and with the first-visit community dialog seen."""
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    (home / ".nux").mkdir(exist_ok=True)
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n", encoding="utf-8")


def run_demo(env: dict[str, str], games: int, half_seconds: float, log: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "basketball_assets.demo",
        "--games",
        str(games),
        "--half-seconds",
        str(half_seconds),
    ]
    print(f"screenshots: generating the demo ({games} games, {half_seconds:g} s halves)", flush=True)
    with log.open("wb") as output:
        finished = subprocess.run(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    if finished.returncode != 0:
        raise RuntimeError(f"the demo failed ({finished.returncode}): {log.read_text()[-3000:]}")


@contextmanager
def webserver(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """``dagster-webserver`` on the demo definitions at 127.0.0.1:port, stopped afterwards."""
    binary = Path(sys.executable).with_name("dagster-webserver")
    command = [str(binary), "-m", "basketball_assets.definitions", "-h", "127.0.0.1", "-p", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dagster-webserver exited with {process.returncode}; its log: {log}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"dagster-webserver did not answer on {url} within {timeout_s:.0f} s; its log: {log}")


def take(url: str, out: Path, game_id: str, only: set[str] | None = None) -> list[Path]:
    """Open the UI pages and save the screenshots (those named in ``only``, if given); the files written."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_binary(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)

        def wanted(name: str) -> bool:
            return only is None or name in only

        if wanted("asset-graph"):
            page.goto(f"{url}/asset-groups")
            asset_graph(page)
            written.append(snap(page, out / "asset-graph.png"))

        if wanted("game-partitions"):
            # One game selected: the list of games on the left, its clips' metadata on the right.
            page.goto(f"{url}/assets/game_clips?view=partitions&partition={game_id}")
            page.get_by_text("contact_sheet", exact=True).first.wait_for(timeout=60_000)
            page.wait_for_timeout(1_000)
            written.append(snap(page, out / "game-partitions.png"))

        if wanted("contact-sheet"):
            page.goto(f"{url}/assets/game_clips?view=partitions&partition={game_id}")
            show_markdown(page, "contact_sheet")
            written.append(snap(page, out / "contact-sheet.png"))

        if wanted("metadata-plots"):
            # The Overview's metadata, switched from Table to Plots: each number across the games.
            page.set_viewport_size({"width": VIEWPORT["width"], "height": 1000})
            page.goto(f"{url}/assets/game_clips")
            plots = page.get_by_role("button", name="Plots").first
            plots.wait_for(timeout=60_000)
            plots.scroll_into_view_if_needed()
            plots.click()
            page.get_by_text("cut_cpu_seconds").first.scroll_into_view_if_needed()
            page.wait_for_timeout(2_000)
            written.append(snap(page, out / "metadata-plots.png"))
            page.set_viewport_size(VIEWPORT)

        if wanted("dataset-card"):
            page.set_viewport_size({"width": VIEWPORT["width"], "height": 1500})  # the whole card
            page.goto(f"{url}/assets/combined_dataset")
            show_markdown(page, "dataset_card")
            written.append(snap(page, out / "dataset-card.png"))
        browser.close()
    return written


def alert_message(data_dir: Path, game_id: str, ui_url: str, out: Path) -> Path:
    """A real failed game run (its clips refused for disk room: re-encoding settings changed and
    ``min_free_gb`` at 100 TB, more than the disk, so nothing is cut), alerted by the real sensor through the
    official client to the local Slack stand-in, whose page is then shot."""
    from dagster import DagsterEventType, build_run_status_sensor_context, instance_for_test, materialize
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))  # the Slack stand-in lives in the tests' package
    from basketball_assets.alerts import SlackAlerts, build_alert_sensors
    from basketball_assets.assets.clips import game_clips
    from basketball_assets.assets.plays import game_plays
    from basketball_assets.resources import ClipEncoder, LocalPlaysDatabase, LocalStorage
    from basketball_assets_tests.services.slack_standin import TEST_TOKEN, running_slack_standin

    resources = {
        "storage": LocalStorage(data_dir=str(data_dir), min_free_gb=100_000),  # 100 TB: more than the disk
        "plays_source": LocalPlaysDatabase(path=str(data_dir / "plays.sqlite3")),
        "video": ClipEncoder(crf=24),
    }
    with instance_for_test() as instance, running_slack_standin() as standin:
        instance.add_dynamic_partitions("games", [game_id])
        result = materialize(
            [game_plays, game_clips],
            partition_key=game_id,
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
        (entry,) = instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_FAILURE)
        slack = SlackAlerts(
            token=TEST_TOKEN, channel="#basketball-assets", ui_base_url=ui_url, api_base_url=standin.base_url
        )
        (sensor,) = [s for s in build_alert_sensors() if s.name == "slack_on_run_failure"]
        context = build_run_status_sensor_context(
            sensor.name,
            entry.dagster_event,
            instance,
            instance.get_run_by_id(result.run_id),
            resources={"slack": slack},
        )
        sensor(context.for_run_failure())
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_binary(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 240}, device_scale_factor=1)
            page.goto(standin.base_url.removesuffix("api/") + "messages")
            shot = snap(page, out / "alert-message.png")
            browser.close()
    return shot


def asset_graph(page) -> None:
    """The global lineage with both groups open and the nodes large enough to read."""
    groups = page.locator("foreignObject")
    groups.get_by_text("games", exact=True).first.wait_for(timeout=60_000)
    page.get_by_text("Hide navigation").click()
    hide_asset_list(page)
    for group in ("games", "dataset"):
        # Double-clicking a collapsed group's title opens it.
        box = groups.get_by_text(group, exact=True).first.bounding_box()
        page.mouse.dblclick(box["x"] + 5, box["y"] + 5)
        page.wait_for_timeout(800)
    first = page.get_by_text("supabase_plays").first.bounding_box()
    last = page.get_by_text("tuned_model").first.bounding_box()
    # Ctrl+wheel zooms the graph around the pointer: just enough to show each node's details.
    page.mouse.move((first["x"] + last["x"] + last["width"]) / 2, first["y"])
    page.keyboard.down("Control")
    page.mouse.wheel(0, -36)
    page.keyboard.up("Control")
    page.wait_for_timeout(1_500)


def hide_asset_list(page) -> None:
    """Close the asset list beside the graph (the button right of "Jump to…")."""
    jump = page.get_by_placeholder("Jump to…").bounding_box()
    for button in page.locator("button").all():
        box = button.bounding_box()
        if box and abs(box["y"] - jump["y"]) < 10 and 0 < box["x"] - (jump["x"] + jump["width"]) < 30:
            button.click()
            return


def show_markdown(page, key: str) -> None:
    """Open the metadata entry ``key``'s Markdown dialog and wait for its images to load."""
    row = page.locator("tr", has=page.get_by_text(key, exact=True)).first
    row.wait_for(timeout=60_000)
    row.get_by_text("[Show Markdown]").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('[role=dialog] img')].every(i => i.complete)")
    # The dialog opens scrolled to its Close button: show its top.
    page.evaluate("() => document.querySelectorAll('[role=dialog] *').forEach(e => { e.scrollTop = 0; })")
    page.wait_for_timeout(500)


def snap(page, path: Path) -> Path:
    page.screenshot(path=str(path))
    print(f"screenshots: wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="where the PNGs go")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="use $DAGSTER_HOME and $BASKETBALL_DATA_DIR as they are (run scripts/demo.sh first)",
    )
    parser.add_argument("--games", type=int, default=2)
    parser.add_argument("--half-seconds", type=float, default=40.0)
    parser.add_argument("--only", nargs="+", help="write only these screenshots (names without .png)")
    args = parser.parse_args(argv)
    if chromium_binary() is None:
        parser.error("no Chromium: run `bash scripts/install_chromium.sh` (Debian, as root) or set CHROMIUM_BIN")

    with tempfile.TemporaryDirectory(prefix="basketball-screenshots-") as folder:
        env = dict(os.environ)
        if not args.existing:
            env.update(DAGSTER_HOME=f"{folder}/home", BASKETBALL_DATA_DIR=f"{folder}/data")
            env.pop("SUPABASE_URL", None)
        home = Path(env.get("DAGSTER_HOME") or ROOT)
        quiet_instance(home)
        if not args.existing:
            run_demo(env, args.games, args.half_seconds, Path(folder) / "demo.log")
        from basketball_assets.demo import demo_game_id

        only = set(args.only) if args.only else None
        with webserver(env, free_port(), Path(folder) / "webserver.log") as url:
            take(url, args.out, demo_game_id(1), only)
        if only is None or "alert-message" in only:
            data_dir = Path(env.get("BASKETBALL_DATA_DIR") or ROOT / "data")
            alert_message(data_dir, demo_game_id(1), "http://localhost:3000", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
