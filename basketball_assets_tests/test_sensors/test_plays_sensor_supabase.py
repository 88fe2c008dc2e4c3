"""The plays sensor against the Supabase stand-in (real PostgreSQL behind real PostgREST):
timestamps compared as ``timestamptz`` by the database, rows paged 1,000 at a time."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance

from basketball_assets.core.play_rows import plays_data_version
from basketball_assets.resources.plays import SupabasePlays
from basketball_assets.sensors import build_plays_sensor
from basketball_assets_tests.test_sensors.test_plays_sensor import SETTINGS, Clock, Ticks, added_games, reported_games

pytestmark = pytest.mark.services

T0 = datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)


def game() -> str:
    return str(uuid.uuid4())


def row(game_id: str, at: datetime, **values) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "game_id": game_id,
        "start_time": 1.0,
        "end_time": 3.5,
        "angle": "broadcast",
        "description": "Drive and kick to the corner.",
        "created_at": at,
        **values,
    }


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as instance:
        yield instance


def test_new_games_edits_and_late_rows_through_postgrest(supabase_server, instance):
    table = supabase_server.new_plays_table()
    source = SupabasePlays(url=supabase_server.url, key=supabase_server.key, table=table)
    ticks = Ticks(instance, source)
    game_a, game_b, game_c = game(), game(), game()

    supabase_server.insert_rows(table, [row(game_a, T0), row(game_a, T0), row(game_b, T0 + timedelta(seconds=2))])
    result = ticks.tick()
    assert added_games(result) == sorted([game_a, game_b]) == reported_games(result)
    assert ticks.tick().asset_events == []

    # Committed late, stamped before the high-water mark (inside the overlap window).
    supabase_server.insert_rows(table, [row(game_c, T0 - timedelta(seconds=40))])
    assert reported_games(ticks.tick()) == [game_c]

    # An edit: only its game, and the version equals a hash of the game's rows as read.
    supabase_server.sql(
        f"UPDATE {table} SET description = 'Edited: the corner three.', updated_at = %s WHERE game_id = %s",
        (T0 + timedelta(hours=1), game_b),
    )
    assert reported_games(ticks.tick()) == [game_b]
    assert ticks.versions(game_b)[game_b] == plays_data_version(source.game_rows(game_b))


def test_thousands_of_rows_in_one_game_are_paged_and_hashed_whole(supabase_server, instance):
    table = supabase_server.new_plays_table(updated_at=False)
    source = SupabasePlays(url=supabase_server.url, key=supabase_server.key, table=table)
    ticks = Ticks(instance, source)
    crowded = game()
    supabase_server.insert_rows(table, [row(crowded, T0 + timedelta(milliseconds=n)) for n in range(2500)])
    result = ticks.tick()
    assert reported_games(result) == [crowded]
    assert {event.metadata["plays"].value for event in result.asset_events} == {2500}
    supabase_server.insert_rows(table, [row(crowded, T0 + timedelta(seconds=5))])
    result = ticks.tick()
    assert {event.metadata["plays"].value for event in result.asset_events} == {2501}


def test_a_row_deleted_in_supabase_is_found_by_the_full_scan(supabase_server, instance):
    table = supabase_server.new_plays_table()
    source = SupabasePlays(url=supabase_server.url, key=supabase_server.key, table=table)
    clock = Clock(T0)
    sensor = build_plays_sensor(SETTINGS, clock=clock)
    ticks = Ticks(instance, source, sensor)
    game_a, game_b = game(), game()
    kept, deleted = row(game_a, T0), row(game_a, T0)
    supabase_server.insert_rows(table, [kept, deleted, row(game_b, T0)])
    assert reported_games(ticks.tick()) == sorted([game_a, game_b])

    supabase_server.sql(f"DELETE FROM {table} WHERE id = %s", (deleted["id"],))
    clock.now = T0 + timedelta(minutes=5)
    assert ticks.tick().asset_events == []
    clock.now = T0 + timedelta(hours=1)
    assert reported_games(ticks.tick()) == [game_a]
    assert ticks.versions(game_a)[game_a] == plays_data_version(source.game_rows(game_a))
    assert [r["id"] for r in source.game_rows(game_a)] == [kept["id"]]
