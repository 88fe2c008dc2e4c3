"""Row-level validation of plays (spec, "Plays" and "Game timeline").

A bad row is rejected with a clear reason and every other play of the game goes on;
rows sharing an id are one play, and the row written last is kept.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from basketball_assets.core.layout import clip_key
from basketball_assets.core.plays import WHOLE_PLAY, Play, Rejection
from basketball_assets.core.validation import (
    MAX_DESCRIPTION_CHARACTERS,
    latest_rows,
    review_plays,
    row_problem,
    to_play,
)

GAME = "11111111-1111-1111-1111-111111111111"


def row(play_id: str = "play-a", **columns) -> dict:
    """A valid ``plays`` row; keyword arguments override its columns."""
    base = {
        "id": play_id,
        "game_id": GAME,
        "start_time": 10.0,
        "end_time": 14.5,
        "angle": "broadcast",
        "description": "Pick and roll, the roller scores.",
        "created_at": "2024-03-01T12:00:00+00:00",
    }
    return {**base, **columns}


# Rows that become plays


def test_a_valid_row_has_no_problem():
    assert row_problem(row()) is None


@pytest.mark.parametrize("angle", ["broadcast", "tactical", "both"])
def test_every_spec_angle_is_accepted(angle):
    assert row_problem(row(angle=angle)) is None


@pytest.mark.parametrize("half", [None, 1, 2])
def test_half_may_be_empty_1_or_2(half):
    assert row_problem(row(half=half)) is None


def test_numeric_times_may_come_as_text_or_integers():
    # PostgREST renders `numeric` as JSON numbers, but a string or int must not trip us.
    assert row_problem(row(start_time="3", end_time=7)) is None


def test_a_play_starting_at_zero_is_accepted():
    assert row_problem(row(start_time=0, end_time=1)) is None


def test_to_play_types_the_columns():
    play = to_play(row(start_time="3.5", end_time=7, half=2, updated_at="2024-03-02T00:00:00Z"))

    assert play == Play(
        id="play-a",
        game_id=GAME,
        start_time=3.5,
        end_time=7.0,
        angle="broadcast",
        description="Pick and roll, the roller scores.",
        created_at="2024-03-01T12:00:00+00:00",
        half=2,
        updated_at="2024-03-02T00:00:00Z",
    )


def test_to_play_strips_the_description():
    assert to_play(row(description="  A steal.\n")).description == "A steal."


def test_to_play_writes_datetime_columns_as_iso_text():
    created = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

    assert to_play(row(created_at=created)).created_at == "2024-03-01T12:00:00+00:00"


def test_a_both_play_gets_a_clip_for_each_camera_angle():
    assert to_play(row(angle="both")).camera_angles == ("broadcast", "tactical")
    assert to_play(row(angle="tactical")).camera_angles == ("tactical",)


# Every bad input of the spec, one reason each


def test_end_before_start_is_rejected():
    assert row_problem(row(start_time=20, end_time=10)) == "end_time 10 s is not after start_time 20 s"


def test_end_equal_to_start_is_rejected():
    assert row_problem(row(start_time=12.5, end_time=12.5)) == "end_time 12.5 s is not after start_time 12.5 s"


@pytest.mark.parametrize(("start", "end"), [(-1, 5), (-5, -1), (0, -0.5)])
def test_a_negative_time_is_rejected(start, end):
    assert row_problem(row(start_time=start, end_time=end)).startswith("negative time")


@pytest.mark.parametrize("angle", ["wide", "Broadcast", "", None, "all"])
def test_an_unknown_angle_is_rejected(angle):
    problem = row_problem(row(angle=angle))

    assert problem == f"unknown angle {angle!r}: expected one of broadcast, tactical, both"


@pytest.mark.parametrize("description", ["", "   ", "\n\t ", None])
def test_an_empty_or_whitespace_description_is_rejected(description):
    assert row_problem(row(description=description)) == "empty description: there is nothing for the model to learn"


@pytest.mark.parametrize(
    "bad",
    ["ten", "", None, [], {}, math.nan, math.inf, -math.inf, "nan", True],
    ids=["text", "empty", "null", "list", "dict", "nan", "inf", "-inf", "nan-text", "bool"],
)
@pytest.mark.parametrize("column", ["start_time", "end_time"])
def test_a_non_numeric_time_is_rejected(column, bad):
    problem = row_problem(row(**{column: bad}))

    assert problem is not None
    assert problem.startswith("start_time/end_time must be numbers of seconds")


def test_a_non_numeric_time_is_quoted_in_the_reason():
    assert "'ten'" in row_problem(row(start_time="ten"))
    assert row_problem(row(end_time="soon")) == "start_time/end_time must be numbers of seconds (got 10.0, 'soon')"


def test_a_play_ending_at_zero_is_not_called_negative():
    assert row_problem(row(start_time=0, end_time=0)) == "end_time 0 s is not after start_time 0 s"


@pytest.mark.parametrize("half", [0, 3, -1, 1.5, "1", "first", True, False])
def test_a_bad_half_is_rejected(half):
    assert row_problem(row(half=half)) == f"half must be 1, 2 or empty (got {half!r})"


UNSAFE_IDS = [
    "../../other-game/clips/play-a",
    "B/clips",
    "a\\b",
    "a\nb",
    " ",
    "sp ace",
    "x...y",
    ".hidden",
    "",
    "p" * 300,
]


@pytest.mark.parametrize("play_id", UNSAFE_IDS)
def test_a_play_id_that_is_not_a_safe_token_is_rejected_with_the_rule(play_id):
    problem = row_problem(row(play_id))

    assert problem is not None and problem.startswith("id ")
    assert "an id must be a UUID or 1 to 128 letters, digits" in problem


@pytest.mark.parametrize("game_id", UNSAFE_IDS)
def test_a_game_id_that_is_not_a_safe_token_is_rejected_with_the_rule(game_id):
    problem = row_problem(row(game_id=game_id))

    assert problem is not None and problem.startswith("game_id ")


def test_the_reason_names_the_broken_rule_and_shows_the_id_escaped_and_cut():
    assert row_problem(row("a\nb")) == (
        "id 'a\\nb' contains '\\n': an id must be a UUID or 1 to 128 letters, digits, '-', '_' or '.', "
        "not starting with '.' and without '..'"
    )
    problem = row_problem(row("p" * 300))
    assert "is 300 characters long, more than 128" in problem and "p" * 100 not in problem


def test_both_ways_to_name_one_object_by_nesting_are_rejected():
    # Game "B/clips" + play "P" and game "B" + play "clips/P" name the same clip key.
    assert clip_key("B/clips", "P", "broadcast") == clip_key("B", "clips/P", "broadcast")

    assert "game_id 'B/clips' contains '/'" in row_problem(row("P", game_id="B/clips"))
    assert "id 'clips/P' contains '/'" in row_problem(row("clips/P", game_id="B"))


def test_a_supabase_uuid_id_is_accepted():
    assert row_problem(row("0b0f6a8e-3c1d-4e5f-9a7b-2c3d4e5f6a7b", game_id=GAME.upper())) is None


def test_a_description_longer_than_the_bound_is_rejected_with_its_length():
    assert row_problem(row(description="x" * MAX_DESCRIPTION_CHARACTERS)) is None
    problem = row_problem(row(description="A long story. " * 250_000))

    assert problem == "description is 3,499,999 characters long, more than the 5,000 a play's description may have"


def test_one_unsafe_id_among_good_rows_is_one_rejection():
    review = review_plays([row("play-a"), row("p" * 300), row("play-b")])

    assert [play.id for play in review.plays] == ["play-a", "play-b"]
    assert [(r.play_id, r.angle) for r in review.rejections] == [("p" * 300, WHOLE_PLAY)]


# A game's rows: other plays go on


def test_review_keeps_good_rows_and_rejects_bad_ones_with_their_reason():
    review = review_plays(
        [
            row("play-b"),
            row("play-a", end_time=5),
            row("play-c", angle="tactical"),
        ]
    )

    assert [play.id for play in review.plays] == ["play-b", "play-c"]
    assert review.rejections == [Rejection("play-a", WHOLE_PLAY, "end_time 5 s is not after start_time 10 s")]
    assert review.duplicates == []


def test_a_row_level_rejection_concerns_the_whole_play():
    review = review_plays([row(angle="both", description="")])

    assert [r.angle for r in review.rejections] == ["all"]


def test_review_lists_plays_in_play_id_order():
    review = review_plays([row("c"), row("a"), row("b")])

    assert [play.id for play in review.plays] == ["a", "b", "c"]


def test_review_of_no_rows_is_empty():
    review = review_plays([])

    assert (review.plays, review.rejections, review.duplicates) == ([], [], [])


# Duplicate ids: one play, the row written last


def test_duplicate_ids_keep_the_row_created_last():
    older = row("a", description="First take.", created_at="2024-03-01T10:00:00+00:00")
    newer = row("a", description="Second take.", created_at="2024-03-01T11:00:00+00:00")

    review = review_plays([newer, older])

    assert [play.description for play in review.plays] == ["Second take."]


def test_duplicate_ids_keep_the_row_updated_last_when_updated_at_is_present():
    # Created earlier but edited later: the edit is what was written last.
    edited = row("a", description="Edited.", created_at="2024-03-01T10:00:00Z", updated_at="2024-03-05T09:00:00Z")
    created_later = row("a", description="Created later.", created_at="2024-03-02T10:00:00Z", updated_at=None)

    review = review_plays([edited, created_later])

    assert [play.description for play in review.plays] == ["Edited."]


def test_updated_at_decides_over_created_at_among_duplicates():
    first = row("a", description="Old.", created_at="2024-03-09T00:00:00Z", updated_at="2024-03-10T00:00:00Z")
    second = row("a", description="New.", created_at="2024-03-01T00:00:00Z", updated_at="2024-03-11T00:00:00Z")

    assert [p.description for p in review_plays([second, first]).plays] == ["New."]


def test_duplicates_written_at_the_same_instant_keep_the_later_row():
    same = "2024-03-01T10:00:00+00:00"

    review = review_plays(
        [row("a", description="One.", created_at=same), row("a", description="Two.", created_at=same)]
    )

    assert [play.description for play in review.plays] == ["Two."]


def test_a_duplicate_is_reported_with_its_id_count_and_the_kept_rows_time():
    review = review_plays(
        [
            row("a", created_at="2024-03-01T10:00:00+00:00"),
            row("a", created_at="2024-03-01T11:00:00+00:00"),
            row("a", created_at="2024-03-01T09:00:00+00:00"),
            row("b"),
        ]
    )

    assert review.duplicates == ["play a: 3 rows share this id; kept the one written at 2024-03-01T11:00:00+00:00"]


def test_a_duplicate_kept_for_its_edit_is_reported_with_the_edits_time():
    edited = row("a", created_at="2024-03-01T09:00:00+00:00", updated_at="2024-03-02T08:00:00+00:00")
    review = review_plays([row("a", created_at="2024-03-01T10:00:00+00:00"), edited])

    assert review.duplicates == ["play a: 2 rows share this id; kept the one written at 2024-03-02T08:00:00+00:00"]


def test_the_kept_duplicate_is_validated_even_when_an_older_row_was_valid():
    older = row("a", created_at="2024-03-01T10:00:00Z")
    newer_bad = row("a", end_time=1, created_at="2024-03-01T11:00:00Z")

    review = review_plays([older, newer_bad])

    assert review.plays == []
    assert [r.play_id for r in review.rejections] == ["a"]
    assert len(review.duplicates) == 1


def test_duplicates_compare_times_across_zones_and_formats():
    # 12:00+02:00 is 10:00 UTC, earlier than 11:00 UTC as SQLite writes it (naive = UTC).
    east = row("a", description="East.", created_at="2024-03-01T12:00:00+02:00")
    sqlite = row("a", description="SQLite.", created_at="2024-03-01 11:00:00")

    kept, _ = latest_rows([sqlite, east])

    assert [r["description"] for r in kept] == ["SQLite."]


def test_latest_rows_returns_one_row_per_id_in_id_order():
    kept, notes = latest_rows([row("b"), row("a"), row("c")])

    assert [r["id"] for r in kept] == ["a", "b", "c"]
    assert notes == []
