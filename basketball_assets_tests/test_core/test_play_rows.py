"""Rows of the plays table in one shape (ids as text, float seconds, int half, UTC timestamps),
with values that cannot take their shape kept as read so validation can name them."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from basketball_assets.core.changes import plays_data_version, row_mark
from basketball_assets.core.play_rows import PLAY_COLUMNS, as_play_row, in_written_order, utc_timestamp
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
    assert utc_timestamp(value) == shaped


def test_written_order_is_updated_at_else_created_at_then_id():
    rows = [
        raw(id="c", created_at="2026-11-01T12:00:00+00:00", updated_at="2026-11-03T00:00:00+00:00"),
        raw(id="b", created_at="2026-11-02T00:00:00+00:00"),
        raw(id="a", created_at="2026-11-02T00:00:00+00:00"),
        raw(id="d", created_at="2026-11-01T13:00:00+01:00"),
    ]
    assert [row["id"] for row in in_written_order(rows)] == ["d", "a", "b", "c"]


# The hashes of a row set, pinned: the sensor compares data versions with the ones it
# reported before, so a hash that changed would make every game stale.

PINNED_ROWS = [
    {"id": "p1", "game_id": "game-a", "start_time": 1, "end_time": "4.5", "angle": "broadcast",
     "description": "Corner three.", "created_at": "2026-11-26T12:00:00+00:00", "half": None, "updated_at": None},
    {"id": "p2", "game_id": "game-a", "start_time": 10.25, "end_time": 14.0, "angle": "both",
     "description": "Fast break.", "created_at": "2026-11-26 13:00:00", "half": 2,
     "updated_at": "2026-11-27T09:30:00.5+02:00"},
    {"id": "p3", "game_id": "game-a", "start_time": "NaN", "end_time": None, "angle": "tactical",
     "description": "", "created_at": "yesterday", "half": 1.5, "updated_at": ""},
    {"id": "p4", "game_id": "game-a", "start_time": True, "end_time": "ten", "angle": "both",
     "description": "Zone press.", "created_at": datetime(2026, 11, 26, 14, tzinfo=timezone.utc), "half": "1",
     "extra": "ignored"},
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
