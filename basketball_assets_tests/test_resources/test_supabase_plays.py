"""SupabasePlays: the real supabase-py client against a real PostgREST over a real PostgreSQL.

PostgREST runs as Supabase's does, returning at most 1,000 rows per request, so these
tests fail for a reader that does not page. Each test reads its own fresh ``plays`` table.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from dagster import DagsterInstance, instance_for_test, materialize
from supabase import create_client

from basketball_assets.assets.plays import game_plays
from basketball_assets.core.plays import WHOLE_PLAY
from basketball_assets.core.validation import review_plays
from basketball_assets.resources import LocalPlaysDatabase, LocalStorage, build_plays_source
from basketball_assets.resources.plays import PlaysAccessDenied, PlaysReadError, SupabasePlays
from basketball_assets.settings import Settings
from basketball_assets.state.plays import PlaysSnapshot, plays_snapshot_key
from basketball_assets_tests.games import good_plays, play_row
from basketball_assets_tests.services.postgrest import MAX_ROWS, _PrefixStrippingHandler, anon_key
from basketball_assets_tests.services.supabase import SupabaseServer

pytestmark = pytest.mark.services

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    """A timestamp ``minutes`` after START, as ISO-8601 in UTC (how the sources give them)."""
    return (START + timedelta(minutes=minutes)).isoformat()


def many_plays(game_id: str, count: int, distinct_times: int) -> list[dict[str, Any]]:
    """``count`` valid plays sharing only ``distinct_times`` creation times, so the order
    between pages depends on the ``id`` tie-break."""
    return [
        {
            "id": str(uuid.uuid4()),
            "game_id": game_id,
            "start_time": float(index % 500),
            "end_time": float(index % 500) + 2.5,
            "angle": ("broadcast", "tactical", "both")[index % 3],
            "description": f"Play {index}: drive and kick.",
            "created_at": at(index % distinct_times),
        }
        for index in range(count)
    ]


@pytest.fixture
def local_plays(tmp_path) -> LocalPlaysDatabase:
    return LocalPlaysDatabase(path=str(tmp_path / "plays.sqlite3"))


@pytest.fixture
def local_storage(tmp_path) -> LocalStorage:
    return LocalStorage(data_dir=str(tmp_path / "data"))


@pytest.fixture
def dagster_instance():
    with instance_for_test() as instance:
        yield instance


@pytest.fixture
def plays_table(supabase_server: SupabaseServer) -> str:
    return supabase_server.new_plays_table()


@pytest.fixture
def supabase_plays(supabase_server: SupabaseServer, plays_table: str) -> SupabasePlays:
    return SupabasePlays(url=supabase_server.url, key=supabase_server.key, table=plays_table)


@pytest.fixture(scope="module")
def crowded_game(supabase_server: SupabaseServer) -> tuple[SupabasePlays, str, list[dict[str, Any]]]:
    """One game with 2,345 plays (and a small second game) in a table of its own."""
    table = supabase_server.new_plays_table()
    game_id, other_game = str(uuid.uuid4()), str(uuid.uuid4())
    rows = many_plays(game_id, 2345, distinct_times=7)
    supabase_server.insert_rows(table, rows + many_plays(other_game, 50, distinct_times=3))
    return SupabasePlays(url=supabase_server.url, key=supabase_server.key, table=table), game_id, rows


# Paging


def test_the_server_really_caps_a_request_at_a_thousand_rows(crowded_game):
    source, game_id, _ = crowded_game
    client = create_client(source.url, source.key)
    unpaged = client.table(source.table).select("id").eq("game_id", game_id).execute()
    assert len(unpaged.data) == MAX_ROWS


def test_every_play_of_a_game_with_more_than_a_thousand_comes_back(crowded_game):
    source, game_id, rows = crowded_game
    read = source.game_rows(game_id)
    assert len(read) == 2345
    assert {row["id"] for row in read} == {row["id"] for row in rows}
    assert {row["game_id"] for row in read} == {game_id}


def test_rows_come_in_created_at_then_id_order_across_pages(crowded_game):
    source, game_id, rows = crowded_game
    read = [row["id"] for row in source.game_rows(game_id)]
    assert read == [row["id"] for row in sorted(rows, key=lambda row: (row["created_at"], row["id"]))]
    assert [row["id"] for row in source.game_rows(game_id)] == read


def test_small_pages_read_the_same_rows_in_the_same_order(crowded_game):
    source, game_id, _ = crowded_game
    small_pages = source.model_copy(update={"page_size": 300})
    assert [row["id"] for row in small_pages.game_rows(game_id)] == [row["id"] for row in source.game_rows(game_id)]


def test_pages_larger_than_the_servers_limit_still_read_every_row(crowded_game):
    source, game_id, _ = crowded_game
    assert len(source.model_copy(update={"page_size": 5000}).game_rows(game_id)) == 2345


def test_game_ids_lists_each_game_once_sorted_across_pages(crowded_game, supabase_server):
    source, game_id, _ = crowded_game
    (other_game,) = {row[0] for row in supabase_server.sql(f"SELECT DISTINCT game_id::text FROM {source.table}")} - {
        game_id
    }
    assert source.game_ids() == sorted([game_id, other_game])


def test_a_game_without_plays_reads_as_no_rows(supabase_plays):
    assert supabase_plays.game_rows(str(uuid.uuid4())) == []


# Written since a cursor (for the sensor)


def test_rows_written_since_counts_updates_when_the_table_has_updated_at(supabase_server, plays_table, supabase_plays):
    game_id = str(uuid.uuid4())
    rows = {
        "old": play_row(game_id, "old", 1, 2, "broadcast", created_at=at(0)),
        "edited": play_row(game_id, "edited", 1, 2, "broadcast", created_at=at(0), updated_at=at(30)),
        "at_cursor": play_row(game_id, "at_cursor", 1, 2, "broadcast", created_at=at(10)),
        "new": play_row(game_id, "new", 1, 2, "broadcast", created_at=at(20)),
        "edited_before": play_row(game_id, "edited_before", 1, 2, "broadcast", created_at=at(1), updated_at=at(5)),
    }
    supabase_server.insert_rows(plays_table, rows.values())
    written = supabase_plays.rows_written_since(at(10))
    assert [row["id"] for row in written] == [rows[name]["id"] for name in ("at_cursor", "new", "edited")]
    assert written[-1]["updated_at"] == at(30)


def test_rows_written_since_falls_back_to_created_at_without_updated_at(supabase_server):
    table = supabase_server.new_plays_table(half=False, updated_at=False)
    source = SupabasePlays(url=supabase_server.url, key=supabase_server.key, table=table)
    game_id = str(uuid.uuid4())
    rows = [
        play_row(game_id, name, 1, 2, "tactical", created_at=at(minute))
        for name, minute in (("b", 20), ("a", 0), ("c", 10))
    ]
    supabase_server.insert_rows(table, rows)
    assert not source.has_column("updated_at")
    written = source.rows_written_since(at(10))
    assert [row["created_at"] for row in written] == [at(10), at(20)]
    assert all(row["updated_at"] is None and row["half"] is None for row in written)


def test_rows_written_since_none_is_every_row_in_written_order(supabase_server, plays_table, supabase_plays):
    game_a, game_b = str(uuid.uuid4()), str(uuid.uuid4())
    rows = [
        play_row(game_a, "first", 1, 2, "both", created_at=at(1)),
        play_row(game_b, "edited_last", 1, 2, "both", created_at=at(0), updated_at=at(9)),
        play_row(game_b, "second", 1, 2, "both", created_at=at(2)),
    ]
    supabase_server.insert_rows(plays_table, rows)
    assert [row["id"] for row in supabase_plays.rows_written_since(None)] == [
        rows[0]["id"],
        rows[2]["id"],
        rows[1]["id"],
    ]


def test_a_cursor_that_is_not_a_timestamp_is_refused_with_an_example(supabase_plays):
    with pytest.raises(ValueError, match="ISO-8601"):
        supabase_plays.rows_written_since("yesterday")


# Shape and validation on the way in


def test_rows_come_in_the_local_databases_shape(supabase_server, plays_table, supabase_plays):
    game_id = str(uuid.uuid4())
    supabase_server.insert_rows(
        plays_table, [play_row(game_id, "a", 3, 7.25, "both", created_at="2026-11-01T14:00:00.5+02:00", half=2)]
    )
    (row,) = supabase_plays.game_rows(game_id)
    assert row == {
        "id": play_row(game_id, "a", 0, 0, "both")["id"],
        "game_id": game_id,
        "start_time": 3.0,
        "end_time": 7.25,
        "angle": "both",
        "description": "Play a: a pick and roll.",
        "created_at": "2026-11-01T12:00:00.500000+00:00",
        "half": 2,
        "updated_at": None,
    }
    assert isinstance(row["start_time"], float) and isinstance(row["half"], int)


BAD_ROWS = {
    "not_a_number": ({"start_time": "NaN"}, "start_time/end_time must be numbers"),
    "infinite": ({"end_time": "Infinity"}, "start_time/end_time must be numbers"),
    "no_times": ({"start_time": None, "end_time": None}, "start_time/end_time must be numbers"),
    "negative": ({"start_time": -1}, "negative time"),
    "backwards": ({"start_time": 9, "end_time": 4}, "is not after start_time"),
    "sideline": ({"angle": "sideline"}, "unknown angle 'sideline'"),
    "no_angle": ({"angle": None}, "unknown angle None"),
    "blank": ({"description": "   "}, "empty description"),
    "third_half": ({"half": 3}, "half must be 1, 2 or empty"),
}


def test_bad_rows_are_reported_with_reasons_and_do_not_stop_the_read(
    supabase_server, plays_table, supabase_plays, caplog
):
    game_id = str(uuid.uuid4())
    good = [play_row(game_id, f"good{index}", 1 + index, 3 + index, "broadcast") for index in range(3)]
    bad = {name: {**play_row(game_id, name, 1, 2, "tactical"), **columns} for name, (columns, _) in BAD_ROWS.items()}
    supabase_server.insert_rows(plays_table, [*good, *bad.values()])

    with caplog.at_level(logging.WARNING):
        rows = supabase_plays.game_rows(game_id)

    assert len(rows) == len(good) + len(bad)
    warning = "\n".join(record.getMessage() for record in caplog.records if record.levelno == logging.WARNING)
    assert f"{len(bad)} of {len(rows)} rows" in warning
    for name, (_, reason) in BAD_ROWS.items():
        assert f"play {bad[name]['id']}: " in warning and reason in warning
    review = review_plays(rows)
    assert sorted(play.id for play in review.plays) == sorted(row["id"] for row in good)
    reasons = {rejection.play_id: rejection.reason for rejection in review.rejections}
    assert set(reasons) == {row["id"] for row in bad.values()}
    assert {rejection.angle for rejection in review.rejections} == {WHOLE_PLAY}
    for name, (_, reason) in BAD_ROWS.items():
        assert reason in reasons[bad[name]["id"]], name


def test_local_and_supabase_sources_give_the_same_validated_plays(
    supabase_server, plays_table, supabase_plays, local_plays: LocalPlaysDatabase
):
    game_id = str(uuid.uuid4())
    rows = [
        *good_plays(game_id),
        play_row(game_id, "edited", 2.1, 3.3, "tactical", minute=7, updated_at="2026-11-02T08:30:00+00:00"),
        play_row(game_id, "backwards", 9.0, 4.0, "both", minute=8),
        play_row(game_id, "sideline", 1.0, 2.0, "sideline", minute=9),
        play_row(game_id, "blank", 1.0, 2.0, "broadcast", "", minute=10),
        play_row(game_id, "third_half", 1.0, 2.0, "broadcast", minute=11, half=3),
    ]
    supabase_server.insert_rows(plays_table, rows)
    local_plays.upsert_rows(rows)

    local, remote = review_plays(local_plays.game_rows(game_id)), review_plays(supabase_plays.game_rows(game_id))
    assert len(local.plays) == 7 and len(local.rejections) == 4
    assert remote.plays == local.plays
    assert remote.rejections == local.rejections
    since = "2026-11-01T10:05:00+00:00"
    assert [row["id"] for row in supabase_plays.rows_written_since(since)] == [
        row["id"] for row in local_plays.rows_written_since(since)
    ]
    assert supabase_plays.game_ids() == local_plays.game_ids() == [game_id]


# Errors


def test_a_missing_table_fails_naming_the_table_and_what_to_check(supabase_server):
    source = SupabasePlays(url=supabase_server.url, key=supabase_server.key, table="no_such_plays")
    with pytest.raises(
        PlaysReadError,
        match=r"game g1 from Supabase table 'no_such_plays' at http://127\.0\.0\.1:\d+ failed.*SUPABASE_KEY",
    ):
        source.game_rows("g1")


def test_a_key_signed_with_another_secret_is_refused_clearly(supabase_server, plays_table):
    source = SupabasePlays(url=supabase_server.url, key=anon_key("not-the-projects-jwt-secret-" * 2), table=plays_table)
    with pytest.raises(PlaysAccessDenied, match=r"refused: HTTP 401 .*SUPABASE_KEY") as refused:
        source.game_ids()
    assert source.key not in str(refused.value)


@contextmanager
def counting_gateway(supabase_server: SupabaseServer) -> Iterator[tuple[str, list[str]]]:
    """Another ``/rest/v1`` gateway in front of the stand-in's PostgREST that records every
    request it relays: the URL to use as SUPABASE_URL, and the list of requests."""
    requests: list[str] = []

    class Counting(_PrefixStrippingHandler):
        upstream = ("127.0.0.1", supabase_server.postgrest.port)

        def _relay(self) -> None:
            requests.append(f"{self.command} {self.path}")
            super()._relay()

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _relay

    gateway = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    gateway.daemon_threads = True
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    try:
        host, port = gateway.server_address[:2]
        yield f"http://{host}:{port}", requests
    finally:
        gateway.shutdown()
        gateway.server_close()


@pytest.mark.parametrize("refused", ["key-of-another-project", "table-the-key-may-not-read"])
def test_a_refused_key_fails_game_plays_after_one_request_naming_the_settings_never_the_key(
    refused, supabase_server, plays_table, local_storage, dagster_instance: DagsterInstance, caplog
):
    if refused == "key-of-another-project":
        key, table = anon_key("not-the-projects-jwt-secret-" * 2), plays_table
    else:  # this project's key, but its role may not read the table: PostgREST answers 401 too
        key, table = supabase_server.key, supabase_server.new_plays_table()
        supabase_server.sql(f"REVOKE SELECT ON {table} FROM anon")
    game_id = str(uuid.uuid4())
    dagster_instance.add_dynamic_partitions("games", [game_id])

    with counting_gateway(supabase_server) as (url, requests), caplog.at_level(logging.DEBUG):
        result = materialize(
            [game_plays],
            partition_key=game_id,
            instance=dagster_instance,
            resources={"plays_source": SupabasePlays(url=url, key=key, table=table), "storage": local_storage},
            raise_on_error=False,
        )

    assert not result.success
    assert len(requests) == 1, requests
    (failure,) = result.get_step_failure_events()
    message = failure.step_failure_data.user_failure_data.description
    assert "401" in message and "SUPABASE_URL" in message and "SUPABASE_KEY" in message and repr(table) in message
    logged = [str(record.dagster_event or "") + record.message for record in dagster_instance.all_logs(result.run_id)]
    everything = "\n".join([message, *logged, caplog.text, str(failure.step_failure_data.error)])
    assert key not in everything and key.rsplit(".", 1)[-1] not in everything
    assert local_storage.read_text(plays_snapshot_key(game_id)) is None


# The pipeline on Supabase


def test_game_plays_materializes_the_expected_snapshot_from_supabase(
    supabase_server, plays_table, local_storage, dagster_instance: DagsterInstance, monkeypatch
):
    """Only configuration changes: SUPABASE_URL/KEY pick SupabasePlays, storage stays local."""
    monkeypatch.setenv("SUPABASE_URL", supabase_server.url)
    monkeypatch.setenv("SUPABASE_KEY", supabase_server.key)
    monkeypatch.setenv("SUPABASE_PLAYS_TABLE", plays_table)
    game_id = str(uuid.uuid4())
    rows = [*good_plays(game_id), play_row(game_id, "sideline", 1.0, 2.0, "sideline", minute=9)]
    supabase_server.insert_rows(plays_table, rows)
    plays_source = build_plays_source(Settings.from_environ())
    assert isinstance(plays_source, SupabasePlays)

    dagster_instance.add_dynamic_partitions("games", [game_id])
    result = materialize(
        [game_plays],
        partition_key=game_id,
        instance=dagster_instance,
        resources={"plays_source": plays_source, "storage": local_storage},
    )

    assert result.success
    assert local_storage.read_json(plays_snapshot_key(game_id)) == PlaysSnapshot(game_id, review_plays(rows)).to_dict()
    (event,) = result.get_asset_materialization_events()
    metadata = {key: value.value for key, value in event.materialization.metadata.items()}
    assert (metadata["plays"], metadata["rejected"], metadata["rows_read"]) == (6, 1, 7)
    assert metadata["source"] == f"Supabase table {plays_table!r} at {supabase_server.url}"
    assert all(supabase_server.key not in str(value) for value in metadata.values())


def test_without_supabase_url_plays_stay_local(tmp_path):
    source = build_plays_source(Settings.from_environ({"BASKETBALL_DATA_DIR": str(tmp_path)}))
    assert isinstance(source, LocalPlaysDatabase) and source.path == str(tmp_path / "plays.sqlite3")
