"""What a row of the plays table is: one shape (ids as text, float seconds, int half, UTC
timestamps, with values that cannot take their shape kept as read so validation can name
them), its times read leniently or strictly, and its hashes."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from basketball_assets.core.play_rows import (
    PLAY_COLUMNS,
    BadPlayRow,
    as_play_row,
    as_utc_iso,
    in_written_order,
    parse_timestamp,
    plays_data_version,
    require_timestamp,
    row_mark,
    written_at,
    written_at_or_earliest,
)
from basketball_assets.core.validation import row_problem

PLAY = uuid.UUID("22222222-2222-2222-2222-222222222222")
GAME = uuid.UUID("11111111-1111-1111-1111-111111111111")


def raw(**columns) -> dict:
    """A row as PostgREST sends it (JSON numbers, uuid text, timestamptz text)."""
    return {
        "id": str(PLAY),
        "game_id": str(GAME),
        "start_time": 10,
        "end_time": 14.5,
        "angle": "broadcast",
        "description": "Corner three.",
        "created_at": "2026-11-01T12:00:00+00:00",
        **columns,
    }


def test_every_column_is_there_and_only_those():
    row = as_play_row({**raw(), "extra": "dropped"})
    assert tuple(row) == PLAY_COLUMNS
    assert row["half"] is None and row["updated_at"] is None


def test_ids_become_text():
    row = as_play_row(raw(id=PLAY, game_id=GAME))
    assert (row["id"], row["game_id"]) == (str(PLAY), str(GAME))


def test_times_become_float_seconds():
    row = as_play_row(raw(start_time=10, end_time="14.25"))
    assert (row["start_time"], row["end_time"]) == (10.0, 14.25)
    assert isinstance(row["start_time"], float)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "ten", True, None])
def test_times_that_are_not_finite_numbers_stay_as_read_and_are_rejected(value):
    row = as_play_row(raw(start_time=value))
    assert row["start_time"] is value or row["start_time"] == value
    assert "must be numbers" in row_problem(row)


@pytest.mark.parametrize(("value", "shaped"), [(1, 1), (2.0, 2), (None, None), (1.5, 1.5), ("2", "2"), (True, True)])
def test_half_becomes_an_int_only_when_it_is_a_whole_number(value, shaped):
    assert as_play_row(raw(half=value))["half"] == shaped
    assert type(as_play_row(raw(half=value))["half"]) is type(shaped)


def test_a_half_that_is_not_1_or_2_is_rejected_with_its_value():
    assert row_problem(as_play_row(raw(half=1.5))) == "half must be 1, 2 or empty (got 1.5)"


@pytest.mark.parametrize(
    ("value", "shaped"),
    [
        ("2026-11-01T12:00:00+00:00", "2026-11-01T12:00:00+00:00"),
        ("2026-11-01T14:00:00.5+02:00", "2026-11-01T12:00:00.500000+00:00"),
        ("2026-11-01 12:00:00", "2026-11-01T12:00:00+00:00"),
        ("", None),
        (None, None),
        ("not a time", "not a time"),
    ],
)
def test_timestamps_become_iso_text_in_utc(value, shaped):
    assert as_utc_iso(value) == shaped


def test_written_order_is_updated_at_else_created_at_then_id():
    rows = [
        raw(id="c", created_at="2026-11-01T12:00:00+00:00", updated_at="2026-11-03T00:00:00+00:00"),
        raw(id="b", created_at="2026-11-02T00:00:00+00:00"),
        raw(id="a", created_at="2026-11-02T00:00:00+00:00"),
        raw(id="d", created_at="2026-11-01T13:00:00+01:00"),
    ]
    assert [row["id"] for row in in_written_order(rows)] == ["d", "a", "b", "c"]


# Reading times, leniently: validation orders a row it cannot place in time first


def test_written_at_or_earliest_prefers_updated_at():
    moment = written_at_or_earliest({"created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-02-01T00:00:00Z"})

    assert moment == datetime(2024, 2, 1, tzinfo=UTC)


def test_written_at_or_earliest_falls_back_to_created_at_when_updated_at_is_empty():
    for updated in (None, ""):
        moment = written_at_or_earliest({"created_at": "2024-01-01T00:00:00Z", "updated_at": updated})
        assert moment == datetime(2024, 1, 1, tzinfo=UTC)


def test_a_row_without_any_time_counts_as_written_first():
    assert written_at_or_earliest({}) < written_at_or_earliest({"created_at": "1970-01-01T00:00:00Z"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T10:00:00+00:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01 10:00:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01 10:00:00.12345+00", datetime(2024, 3, 1, 10, 0, 0, 123450, tzinfo=UTC)),
        ("2024-03-01T12:00:00+02:00", datetime(2024, 3, 1, 12, tzinfo=timezone(timedelta(hours=2)))),
    ],
    ids=["iso", "zulu", "sqlite-naive", "postgres-short", "offset"],
)
def test_parse_timestamp_reads_supabase_and_sqlite_forms(text, expected):
    assert parse_timestamp(text) == expected


def test_parse_timestamp_takes_a_naive_datetime_as_utc():
    assert parse_timestamp(datetime(2024, 3, 1, 10)) == datetime(2024, 3, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", "yesterday"])
def test_parse_timestamp_of_nothing_or_nonsense_is_none(value):
    assert parse_timestamp(value) is None


# Reading times, strictly: the plays sensor reports a row it cannot place in time


def test_require_timestamp_gives_utc_and_takes_a_naive_time_as_utc():
    assert require_timestamp("2024-03-01T12:00:00+02:00") == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert require_timestamp("2024-03-01T12:00:00+02:00").tzinfo is UTC
    assert require_timestamp(" 2024-03-01 10:00:00 ") == datetime(2024, 3, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "yesterday"])
def test_require_timestamp_raises_naming_the_row(text):
    with pytest.raises(BadPlayRow, match=f"^play p1 of game g1: timestamp {text!r} is not ISO 8601$"):
        require_timestamp(text, {"id": "p1", "game_id": "g1"})
    with pytest.raises(BadPlayRow, match=f"^timestamp {text!r} is not ISO 8601$"):
        require_timestamp(text)


def test_written_at_prefers_updated_at_and_gives_utc():
    row = {"created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-02-01T02:00:00+02:00"}
    assert written_at(row) == datetime(2024, 2, 1, tzinfo=UTC)
    naive_created = {"created_at": "2024-01-01 00:00:00", "updated_at": ""}
    assert written_at(naive_created) == datetime(2024, 1, 1, tzinfo=UTC)


def test_written_at_raises_where_written_at_or_earliest_falls_back():
    with pytest.raises(BadPlayRow, match="play p1 of game g1 has neither created_at nor updated_at"):
        written_at({"id": "p1", "game_id": "g1", "created_at": None, "updated_at": ""})
    unreadable_update = {"id": "p1", "game_id": "g1", "created_at": "2024-01-01T00:00:00Z", "updated_at": "later"}
    with pytest.raises(BadPlayRow, match="timestamp 'later' is not ISO 8601"):
        written_at(unreadable_update)
    assert written_at_or_earliest(unreadable_update) == datetime(2024, 1, 1, tzinfo=UTC)


# Hashes


def test_data_version_ignores_row_order_and_number_and_time_spelling():
    rows = [raw(id="p1"), raw(id="p2", start_time=2, end_time=5)]
    respelled = [raw(id="p2", start_time="2.0", end_time=5.0), raw(id="p1", created_at="2026-11-01T12:00:00.000Z")]
    assert plays_data_version(rows) == plays_data_version(respelled)


def test_data_version_changes_with_any_play_value():
    rows = [raw(id="p1"), raw(id="p2")]
    assert plays_data_version(rows) != plays_data_version([raw(id="p1"), raw(id="p2", description="Other.")])
    assert plays_data_version(rows) != plays_data_version([raw(id="p1")])


# The hashes of a row set, pinned: the sensor compares data versions with the ones it
# reported before, so a hash that changed would make every game stale.

PINNED_ROWS = [
    {
        "id": "p1",
        "game_id": "game-a",
        "start_time": 1,
        "end_time": "4.5",
        "angle": "broadcast",
        "description": "Corner three.",
        "created_at": "2026-11-26T12:00:00+00:00",
        "half": None,
        "updated_at": None,
    },
    {
        "id": "p2",
        "game_id": "game-a",
        "start_time": 10.25,
        "end_time": 14.0,
        "angle": "both",
        "description": "Fast break.",
        "created_at": "2026-11-26 13:00:00",
        "half": 2,
        "updated_at": "2026-11-27T09:30:00.5+02:00",
    },
    {
        "id": "p3",
        "game_id": "game-a",
        "start_time": "NaN",
        "end_time": None,
        "angle": "tactical",
        "description": "",
        "created_at": "yesterday",
        "half": 1.5,
        "updated_at": "",
    },
    {
        "id": "p4",
        "game_id": "game-a",
        "start_time": True,
        "end_time": "ten",
        "angle": "both",
        "description": "Zone press.",
        "created_at": datetime(2026, 11, 26, 14, tzinfo=UTC),
        "half": "1",
        "extra": "ignored",
    },
]


def test_plays_data_version_is_pinned():
    assert plays_data_version(PINNED_ROWS) == "37d49a0c7e53b2a1ff84db0509385d68"
    assert plays_data_version(PINNED_ROWS[:2]) == "266cd29b8fcd731b2ba2089cbd0b9a0e"
    assert plays_data_version(reversed(PINNED_ROWS)) == "37d49a0c7e53b2a1ff84db0509385d68"


def test_row_marks_are_pinned():
    assert [row_mark(row) for row in PINNED_ROWS] == [
        "204dcc1f3f855b66",
        "7e406d9445c045c0",
        "a38549ff590d9953",
        "50d5308931b78790",
    ]


def test_a_rows_timestamps_become_iso_text_in_utc():
    row = as_play_row(raw(created_at="2026-11-01 14:00:00+02:00", updated_at=datetime(2026, 11, 2, tzinfo=UTC)))
    assert (row["created_at"], row["updated_at"]) == ("2026-11-01T12:00:00+00:00", "2026-11-02T00:00:00+00:00")


@pytest.fixture
def local_zone_new_york(monkeypatch):
    """The machine's local time zone set to New York for one test (time.tzset reads TZ)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_timestamps_are_written_in_utc_whatever_the_machines_zone(local_zone_new_york):
    assert as_utc_iso("2026-11-01T14:00:00+02:00") == "2026-11-01T12:00:00+00:00"
    assert as_play_row(raw())["created_at"] == "2026-11-01T12:00:00+00:00"


def test_an_unreadable_write_time_names_its_play_and_game():
    row = {"id": "p1", "game_id": "g1", "created_at": "2024-01-01T00:00:00Z", "updated_at": "later"}
    with pytest.raises(BadPlayRow, match=r"^play p1 of game g1: timestamp 'later' is not ISO 8601$"):
        written_at(row)


def test_a_value_json_cannot_hold_is_hashed_as_its_text():
    rows = [raw(description=b"bytes from a BLOB"), raw(id="other")]
    assert plays_data_version(rows) == plays_data_version(list(reversed(rows)))
