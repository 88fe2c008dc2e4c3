"""The plays sensor against a real local plays database and a real (temporary) Dagster instance.

Each test runs ticks the way the daemon does: evaluate the sensor, then apply its
result to the instance (report the asset events, add the partitions) and keep its cursor.
"""

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import AssetMaterialization, AssetObservation, DagsterInstance, SensorResult, build_sensor_context
from dagster._core.definitions.data_version import DATA_VERSION_TAG

from basketball_assets.assets.plays import supabase_plays
from basketball_assets.core.play_rows import plays_data_version
from basketball_assets.partitions import games_partitions
from basketball_assets.resources.plays import LocalPlaysDatabase
from basketball_assets.sensors import build_plays_sensor, last_reported_versions
from basketball_assets.settings import Settings

T0 = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
#: Polls every 5 s with a 5-minute overlap window; a full scan every hour (as by default).
SETTINGS = Settings(plays_sensor_interval_seconds=5, plays_overlap_seconds=300, plays_full_scan_minutes=60)
plays_sensor = build_plays_sensor(SETTINGS)


def play(play_id: str, game_id: str, at: datetime = T0, **values) -> dict:
    return {
        "id": play_id,
        "game_id": game_id,
        "start_time": 2.0,
        "end_time": 5.0,
        "angle": "both",
        "description": "Pick and roll, the roll man finishes at the rim.",
        "created_at": at.isoformat(),
        **values,
    }


class Records(logging.Handler):
    """The warnings a sensor's context logs, kept for the test to read."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Ticks:
    """The daemon's side of the sensor: evaluate, apply, keep the cursor."""

    def __init__(self, instance: DagsterInstance, database: LocalPlaysDatabase, sensor=plays_sensor):
        self.instance, self.database, self.sensor, self.cursor = instance, database, sensor, None
        self.log = Records()

    def tick(self) -> SensorResult:
        context = build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources={"plays_source": self.database}
        )
        context.log.addHandler(self.log)
        result = self.sensor(context)
        for event in result.asset_events:
            self.instance.report_runless_asset_event(event)
        for request in result.dynamic_partitions_requests:
            self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        self.cursor = result.cursor
        return result

    def versions(self, *games: str) -> dict[str, str | None]:
        return last_reported_versions(self.instance, games)


def reported_games(result: SensorResult) -> list[str]:
    """The games whose plays were reported: a materialization and an observation each."""
    materialized = sorted(event.partition for event in result.asset_events if isinstance(event, AssetMaterialization))
    observed = sorted(event.partition for event in result.asset_events if isinstance(event, AssetObservation))
    assert materialized == observed
    return materialized


def added_games(result: SensorResult) -> list[str]:
    return sorted(key for request in result.dynamic_partitions_requests for key in request.partition_keys)


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture
def database(tmp_path: Path) -> LocalPlaysDatabase:
    database = LocalPlaysDatabase(path=str(tmp_path / "plays.sqlite3"))
    database.create_table()
    return database


@pytest.fixture
def ticks(instance, database) -> Ticks:
    return Ticks(instance, database)


def test_empty_table_reports_nothing(ticks):
    result = ticks.tick()
    assert result.asset_events == [] and result.dynamic_partitions_requests == [] and result.run_requests == []


def test_new_game_is_added_and_its_plays_reported_with_a_data_version(ticks, database, instance):
    database.upsert_rows([play("p1", "game-a"), play("p2", "game-a", T0 + timedelta(seconds=1))])
    result = ticks.tick()
    assert added_games(result) == ["game-a"]
    assert reported_games(result) == ["game-a"]
    for event in result.asset_events:
        assert event.asset_key == supabase_plays.key and event.metadata["plays"].value == 2
        assert len(event.tags[DATA_VERSION_TAG]) == 32
    assert instance.get_dynamic_partitions(games_partitions.name) == ["game-a"]
    # The sensor launches nothing itself: automation does.
    assert result.run_requests == []
    assert ticks.tick().asset_events == []


def test_new_play_in_an_existing_game_reports_only_that_game(ticks, database):
    database.upsert_rows([play("a1", "game-a"), play("b1", "game-b")])
    ticks.tick()
    before = ticks.versions("game-a", "game-b")
    database.upsert_rows([play("a2", "game-a", T0 + timedelta(minutes=1))])
    result = ticks.tick()
    assert reported_games(result) == ["game-a"] and added_games(result) == []
    after = ticks.versions("game-a", "game-b")
    assert after["game-a"] != before["game-a"] and after["game-b"] == before["game-b"]


def test_edited_play_is_reported_through_updated_at(ticks, database):
    database.upsert_rows([play("a1", "game-a"), play("b1", "game-b")])
    ticks.tick()
    database.upsert_rows(
        [
            play(
                "b1",
                "game-b",
                description="Edited: a step-back three.",
                updated_at=(T0 + timedelta(hours=2)).isoformat(),
            )
        ]
    )
    assert reported_games(ticks.tick()) == ["game-b"]


def test_rows_with_the_same_timestamp_written_after_a_tick_are_not_missed(ticks, database):
    database.upsert_rows([play("a1", "game-a", T0)])
    ticks.tick()
    database.upsert_rows([play("c1", "game-c", T0), play("d1", "game-d", T0 - timedelta(seconds=30))])
    result = ticks.tick()
    assert added_games(result) == ["game-c", "game-d"] and reported_games(result) == ["game-c", "game-d"]


def test_cursor_restart_reports_no_unchanged_game_again(ticks, database):
    database.upsert_rows([play("a1", "game-a"), play("b1", "game-b")])
    ticks.tick()
    ticks.cursor = None  # a reset cursor (sensor reset in the UI, or a new deployment)
    database.upsert_rows([play("b2", "game-b", T0 + timedelta(minutes=3))])
    result = ticks.tick()
    assert reported_games(result) == ["game-b"] and added_games(result) == []
    ticks.cursor = "{broken"
    assert ticks.tick().asset_events == []


def test_an_edit_back_to_an_earlier_version_is_reported_as_a_change(ticks, database):
    database.upsert_rows([play("a1", "game-a")])
    ticks.tick()
    database.upsert_rows([play("a1", "game-a", description="Typo.")])
    assert reported_games(ticks.tick()) == ["game-a"]
    database.upsert_rows([play("a1", "game-a")])
    assert reported_games(ticks.tick()) == ["game-a"]  # differs from the last reported version again


def test_thousands_of_rows_over_many_games_in_one_tick(ticks, database, instance):
    games = [f"game-{n:03d}" for n in range(60)]
    database.upsert_rows([play(f"p{n:05d}", games[n % 60], T0 + timedelta(milliseconds=n)) for n in range(3000)])
    result = ticks.tick()
    assert added_games(result) == games and reported_games(result) == games
    assert {event.metadata["plays"].value for event in result.asset_events} == {50}
    # More changed games than FULL_READ_ABOVE_GAMES: one whole-table read, the same
    # versions as hashing each game's own rows.
    edited = games[:55]
    database.upsert_rows([play(f"q{n:03d}", game, T0 + timedelta(minutes=10)) for n, game in enumerate(edited)])
    result = ticks.tick()
    assert reported_games(result) == edited
    versions = ticks.versions(*games)
    assert all(versions[game] == plays_data_version(database.game_rows(game)) for game in games)
    assert len(instance.get_dynamic_partitions(games_partitions.name)) == 60


def test_a_row_without_game_is_logged_and_does_not_stop_the_others(ticks, database):
    database.upsert_rows([play("a1", "game-a"), play("x1", "")])
    result = ticks.tick()
    assert reported_games(result) == ["game-a"]
    (warning,) = [record.getMessage() for record in ticks.log.records]
    assert warning.startswith("1 rows are ignored") and "x1" in warning


# The overlap window: as configured, not the default 5 minutes (issue 16: a sensor that used
# the default in poll_since or detect_changes passed every test, since every test used 5 minutes).


def overlap_ticks(instance, database, seconds: float) -> Ticks:
    settings = Settings(plays_sensor_interval_seconds=5, plays_overlap_seconds=seconds, plays_full_scan_minutes=0)
    return Ticks(instance, database, build_plays_sensor(settings))


def test_a_longer_overlap_catches_a_row_committed_late_with_an_older_timestamp(instance, database):
    ticks = overlap_ticks(instance, database, seconds=30 * 60)
    database.upsert_rows([play("a1", "game-a", T0)])
    ticks.tick()
    # A slow transaction commits a row stamped 20 minutes before the newest one seen: inside 30 minutes.
    database.upsert_rows([play("b1", "game-b", T0 - timedelta(minutes=20))])
    result = ticks.tick()
    assert added_games(result) == ["game-b"] and reported_games(result) == ["game-b"]


def test_a_shorter_overlap_leaves_an_older_row_to_the_full_scan(instance, database):
    ticks = overlap_ticks(instance, database, seconds=60)
    database.upsert_rows([play("a1", "game-a", T0)])
    ticks.tick()
    # Stamped 3 minutes before the newest row: outside a 1-minute window (inside the default 5).
    database.upsert_rows([play("b1", "game-b", T0 - timedelta(minutes=3))])
    assert ticks.tick().asset_events == []


# The full scan: what no poll by write time can see


class Clock:
    """The sensor's idea of now, moved by the test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def scanning(instance, database, clock) -> Ticks:
    """Ticks of a sensor that scans the whole table every hour of the test's clock."""
    sensor = build_plays_sensor(SETTINGS, clock=clock)
    return Ticks(instance, database, sensor)


def test_a_deleted_play_is_reported_by_the_next_full_scan(scanning, database, clock):
    database.upsert_rows([play("a1", "game-a"), play("a2", "game-a"), play("b1", "game-b")])
    assert reported_games(scanning.tick()) == ["game-a", "game-b"]
    assert database.delete_rows(["a2"]) == 1

    clock.now = T0 + timedelta(minutes=10)
    assert scanning.tick().asset_events == []  # a poll cannot see a row that is gone

    clock.now = T0 + timedelta(hours=1)
    result = scanning.tick()
    assert reported_games(result) == ["game-a"]
    event = next(event for event in result.asset_events if isinstance(event, AssetMaterialization))
    assert event.metadata["plays"].value == 1 and event.metadata["new_or_edited_rows"].value == 0
    assert "found by a full scan" in event.description
    assert scanning.versions("game-a")["game-a"] == plays_data_version(database.game_rows("game-a"))

    clock.now = T0 + timedelta(hours=1, minutes=1)
    assert scanning.tick().asset_events == []  # reported once


def test_an_edit_in_place_older_than_the_window_is_found_by_the_full_scan(scanning, database, clock):
    old = T0 - timedelta(hours=3)
    database.upsert_rows([play("a1", "game-a", old), play("b1", "game-b", T0)])
    scanning.tick()
    # No updated_at column value: the row keeps its created_at, far before the overlap window.
    database.upsert_rows([play("a1", "game-a", old, description="Corrected: a baseline out-of-bounds set.")])
    clock.now = T0 + timedelta(minutes=30)
    assert scanning.tick().asset_events == []
    clock.now = T0 + timedelta(hours=2)
    assert reported_games(scanning.tick()) == ["game-a"]


def test_a_game_with_every_play_deleted_is_logged_and_left_to_a_person(scanning, database, clock, instance):
    database.upsert_rows([play("a1", "game-a"), play("b1", "game-b"), play("b2", "game-b")])
    scanning.tick()
    database.delete_rows(["b1", "b2"])
    clock.now = T0 + timedelta(hours=1)
    result = scanning.tick()
    assert result.asset_events == []  # nothing to run: game_plays would fail on no plays
    assert "1 games with no plays left" in result.skip_reason.skip_message
    assert sorted(instance.get_dynamic_partitions(games_partitions.name)) == ["game-a", "game-b"]


def test_full_scans_can_be_turned_off(instance, database, clock):
    no_full_scans = Settings(plays_sensor_interval_seconds=5, plays_overlap_seconds=300, plays_full_scan_minutes=0)
    sensor = build_plays_sensor(no_full_scans, clock=clock)
    ticks = Ticks(instance, database, sensor)
    database.upsert_rows([play("a1", "game-a"), play("a2", "game-a")])
    assert reported_games(ticks.tick()) == ["game-a"]  # the first tick still reads everything
    database.delete_rows(["a2"])
    clock.now = T0 + timedelta(days=2)
    assert ticks.tick().asset_events == []


# Untrusted game ids: never a partition


#: Game ids the issue saw the sensor add as partitions, and two that name other games' files.
UNSAFE_GAMES = ["a\nb", "x...y", " ", "sp ace", "zzz/../game-a", "g" * 300]


def test_rows_whose_game_id_cannot_be_a_partition_are_logged_and_not_reported(ticks, database, instance):
    database.upsert_rows([play("a1", "game-a"), *(play(f"bad{n}", game) for n, game in enumerate(UNSAFE_GAMES))])

    first = ticks.tick()  # a fresh cursor: every row read, every game hashed

    assert added_games(first) == ["game-a"] and reported_games(first) == ["game-a"]
    assert instance.get_dynamic_partitions(games_partitions.name) == ["game-a"]
    log = "\n".join(record.getMessage() for record in ticks.log.records)
    assert f"{len(UNSAFE_GAMES)} rows are ignored" in log
    for game in UNSAFE_GAMES[:-1]:
        assert f"game_id {game!r}" in log
    assert "game_id 'ggggg" in log and "(300 characters)" in log and "g" * 100 not in log

    # Later rows come through a poll, not a full scan: the same rule.
    later = T0 + timedelta(minutes=1)
    database.upsert_rows([play("c1", "game-c", later), play("bad-later", "sp/ace", later)])
    second = ticks.tick()
    assert added_games(second) == ["game-c"] and reported_games(second) == ["game-c"]
    assert sorted(instance.get_dynamic_partitions(games_partitions.name)) == ["game-a", "game-c"]


def test_an_unsafe_play_id_in_a_safe_game_still_reports_the_game(ticks, database):
    # game_plays rejects the play with its reason, where everyone sees it.
    database.upsert_rows([play("../../game-b/clips/p", "game-a")])
    assert reported_games(ticks.tick()) == ["game-a"]
