"""End to end on a running Dagster: plays in, materialized games and dataset out, nobody clicking.

Starts the real ``dagster dev`` (webserver, daemon, code server) with a temporary
``DAGSTER_HOME`` and data folder, turns the two sensors on through GraphQL as a user
would in the UI, inserts a new game's plays into the local plays database and waits
until the sensor and the automation have materialized it; then launches a backfill of
two more games through GraphQL and waits for it; and checks every output in storage.
"""

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import AssetCheckEvaluation, AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterEventType, DagsterInstance

from basketball_assets.core.dataset import SPLITS
from basketball_assets.resources.plays import LocalPlaysDatabase
from basketball_assets.resources.storage import LocalStorage
from basketball_assets.state.clips import read_game_clips
from basketball_assets.state.combined import read_combined_dataset
from basketball_assets.state.training_data import read_game_training_data
from basketball_assets_tests.games import new_game_id, place_game, play_row
from basketball_assets_tests.test_e2e.dagster_dev import REPO, DagsterDev, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.ffmpeg]

GAME_STEPS = ["game_plays", "game_clips", "game_training_data"]
#: Variables that would point the pipeline at the cloud or at another instance.
FOREIGN_PREFIXES = ("SUPABASE", "BASKETBALL_", "VERTEX", "GOOGLE", "GCP", "DAGSTER_")


#: Plays per game: 3 games of 9 one-second plays give 19 training examples, above the
#: 16 that combined_dataset's within_tuning_limits check asks for (a refresh that sees
#: only the first game warns; no run fails for it).
PLAYS_PER_GAME = 9


def plays_now(game_id: str) -> list[dict]:
    """One-second plays in the first half, alternating angles (one clip each), written now."""
    now = datetime.now(UTC).isoformat()
    return [
        {**play_row(game_id, f"p{n}", 0.5 + n, 1.5 + n, ("broadcast", "tactical")[n % 2]), "created_at": now}
        for n in range(PLAYS_PER_GAME)
    ]


def instance_config(home: Path) -> str:
    """The repository's dagster.yaml with the ffmpeg pool cut to one slot, so two games'
    runs in parallel must take turns cutting clips: the pool is seen to work."""
    text = (REPO / "dagster.yaml").read_text()
    # Its folders are relative to the working directory: anchor them in the temporary home,
    # so that nothing here (the test process included) touches the repository's .dagster/.
    text = re.sub(r"base_dir:\s*\.dagster", f"base_dir: {home / '.dagster'}", text)
    adapted, count = re.subn(r"(\n\s+default_limit:\s*)\d+", r"\g<1>1", text)
    assert count == 1, "dagster.yaml has no concurrency.pools.default_limit any more: update this test"
    assert "max_concurrent_runs" in adapted and not re.search(r"base_dir:\s*\.", adapted)
    (home / "dagster.yaml").write_text(adapted)
    return adapted


@pytest.fixture
def dagster_dev(tmp_path: Path) -> Iterator[DagsterDev]:
    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir()
    instance_config(home)
    environ = {key: value for key, value in os.environ.items() if not key.startswith(FOREIGN_PREFIXES)}
    environ.update(
        DAGSTER_HOME=str(home),
        BASKETBALL_DATA_DIR=str(data),
        BASKETBALL_PLAYS_SENSOR_INTERVAL_SECONDS="5",
        BASKETBALL_AUTOMATION_INTERVAL_SECONDS="5",
        BASKETBALL_DATASET_REFRESH_CRON="* * * * *",
        PYTHONUNBUFFERED="1",
    )
    server = DagsterDev(home, environ, tmp_path / "dagster-dev.log")
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


def failed_runs(server: DagsterDev) -> dict[str, list[str]]:
    """The failed or canceled runs, each with what its failure events say."""
    return {
        run["runId"]: server.failure_messages(run["runId"])
        for run in server.runs()
        if run["status"] in ("FAILURE", "CANCELED")
    }


def game_done(server: DagsterDev, storage: LocalStorage, game_id: str) -> bool:
    failed = failed_runs(server)
    if failed:
        raise AssertionError(f"runs failed: {failed}; see the run logs under {server.home}")
    return read_game_training_data(storage, game_id) is not None


def latest_limits_check(server: DagsterDev) -> AssetCheckEvaluation | None:
    """The latest evaluation of combined_dataset's within_tuning_limits check, if any."""
    with DagsterInstance.from_config(str(server.home)) as instance:
        record = instance.get_latest_asset_check_evaluation_record(
            AssetCheckKey(AssetKey("combined_dataset"), "within_tuning_limits")
        )
    return record.event.asset_check_evaluation if record and record.event else None


def dataset_runs(server: DagsterDev) -> list[dict]:
    """The runs of combined_dataset, newest first (as the GraphQL API lists them)."""
    return [run for run in server.runs() if {"path": ["combined_dataset"]} in (run["assetSelection"] or [])]


#: Seconds from a game's outputs landing to automation requesting combined_dataset: the rest of
#: the one-minute cron period, then a 5-second evaluation, with slack for a busy daemon.
REQUEST_S = 60 + 45
#: Seconds a combined_dataset run takes once requested (launch, a few small files, its checks).
DATASET_RUN_S = 120


def refresh_dataset(server: DagsterDev, before: int) -> str:
    """Wait, event by event, for the dataset refresh after ``before`` earlier ones: the automation
    requests it at the next cron tick, then the run ends. Each wait is for one event with a bound of
    its own, rather than one wide window over both; a failed refresh fails at once."""
    run = wait_for(
        "automation to request combined_dataset at the next cron tick",
        lambda: (lambda runs: runs[0] if len(runs) > before else None)(dataset_runs(server)),
        REQUEST_S,
        2,
        server.log,
    )
    status = wait_for(
        f"combined_dataset run {run['runId']} to end",
        lambda: next(
            (r["status"] for r in dataset_runs(server) if r["runId"] == run["runId"] and r["status"] in ENDED), None
        ),
        DATASET_RUN_S,
        2,
        server.log,
    )
    assert status == "SUCCESS", f"combined_dataset run {run['runId']} ended {status}: {failed_runs(server)}"
    return run["runId"]


ENDED = ("SUCCESS", "FAILURE", "CANCELED")


def clip_step_spans(instance: DagsterInstance, run_id: str) -> tuple[float, float]:
    """When the run's game_clips step started and finished."""
    records = instance.all_logs(run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS})
    times = {record.dagster_event.event_type: record.timestamp for record in records if record.step_key == "game_clips"}
    return times[DagsterEventType.STEP_START], times[DagsterEventType.STEP_SUCCESS]


def test_new_plays_become_a_materialized_game_and_a_backfill_adds_two_more(dagster_dev, tmp_path, test_videos):
    server = dagster_dev
    storage = LocalStorage(data_dir=str(tmp_path / "data"))
    plays_db = LocalPlaysDatabase(path=str(tmp_path / "data" / "plays.sqlite3"))

    # What the README says to do in the UI: turn on the automation, then the plays sensor.
    server.start_sensor("games_automation")
    plays_sensor = server.start_sensor("supabase_plays_sensor")

    # An analyst adds a new game's plays: nobody clicks anything after this.
    game_a = new_game_id("e2e-sensor")
    place_game(storage, plays_db, test_videos, "e2e-sensor", plays=plays_now(game_a))
    wait_for(
        f"game {game_a} to be materialized by the sensor and automation",
        lambda: game_done(server, storage, game_a),
        150,
        2,
        server.log,
    )

    # The dataset refreshes at the next cron tick (every minute here) with game A alone:
    # too few examples to tune on, which the limits check reports as a warning, and no run fails.
    refresh_dataset(server, before=0)
    assert read_combined_dataset(storage).games == [game_a]
    small = wait_for("the limits check on game A's dataset", lambda: latest_limits_check(server), 60, 2, server.log)
    assert not small.passed and small.severity == AssetCheckSeverity.WARN, small
    assert "at least 16 are needed" in (small.description or "")
    assert not failed_runs(server)

    # An engineer backfills two more games from the UI (here: its GraphQL API).
    server.stop_sensor(plays_sensor)
    games_bc = [new_game_id("e2e-backfill-b"), new_game_id("e2e-backfill-c")]
    for name, game_id in zip(["e2e-backfill-b", "e2e-backfill-c"], games_bc, strict=True):
        place_game(storage, plays_db, test_videos, name, plays=plays_now(game_id))
        server.add_partition("games", game_id)
    backfill = server.launch_backfill(GAME_STEPS, games_bc)
    status = wait_for(
        f"backfill {backfill}",
        lambda: (lambda s: s if s not in ("REQUESTED", "CANCELING", "FAILING") else None)(
            server.backfill_status(backfill)
        ),
        180,
        3,
        server.log,
    )
    assert status in ("COMPLETED", "COMPLETED_SUCCESS"), f"backfill ended {status}"

    # The combined dataset follows by itself, debounced, and holds all three games.
    games = sorted([game_a, *games_bc])
    refresh_dataset(server, before=1)
    assert read_combined_dataset(storage).games == games

    # Outputs in storage: two clips per game, its JSONL, and the combined files.
    for game_id in games:
        clips_manifest = read_game_clips(storage, game_id)
        clips, rejections = clips_manifest.clips, clips_manifest.rejections
        assert len(clips) == PLAYS_PER_GAME and rejections == []
        assert all(storage.exists(clip.key) and storage.size(clip.key) > 0 for clip in clips)
        manifest = read_game_training_data(storage, game_id)
        assert sum(manifest.counts.values()) == PLAYS_PER_GAME
    combined = read_combined_dataset(storage)
    assert sum(combined.counts[split] for split in SPLITS) == 3 * PLAYS_PER_GAME
    lines = [line for split in SPLITS for line in storage.iter_lines(combined.files[split])]
    assert len(lines) == 3 * PLAYS_PER_GAME and all(game in "".join(lines) for game in games)

    runs = server.runs()
    failed = failed_runs(server)
    assert not failed, f"runs failed: {failed}"
    # Debounced: one refresh after game A, and one after the whole backfill.
    dataset_runs = [run for run in runs if {"path": ["combined_dataset"]} in (run["assetSelection"] or [])]
    assert len(dataset_runs) == 2
    # The files are written before the check runs in the same run: until it has, the latest record is
    # the check's "planned" event, with no evaluation.
    final = wait_for(
        "the limits check on the three games' dataset", lambda: latest_limits_check(server), 60, 2, server.log
    )
    assert final.passed  # 19 training examples: enough
    for paid in ("tuned_model", "model_evaluation"):  # the steps that cost money run only on request
        assert not any([paid] in [selection["path"] for selection in run["assetSelection"] or []] for run in runs)

    # The instance ran with the concurrency block of dagster.yaml: a run queue, and one
    # ffmpeg slot, so the two backfilled games never cut clips at the same time.
    with DagsterInstance.from_config(str(server.home)) as instance:
        config = instance.get_concurrency_config()  # what the run queue daemon reads
        assert config.run_queue_config.max_concurrent_runs == 4
        assert config.pool_config.default_pool_limit == 1
        backfill_runs = [run["runId"] for run in runs if {"key": "dagster/backfill", "value": backfill} in run["tags"]]
        assert len(backfill_runs) == 2
        (_, end_b), (start_c, _) = sorted(clip_step_spans(instance, run_id) for run_id in backfill_runs)
        assert end_b <= start_c, "the ffmpeg pool let two game_clips steps run at once"
