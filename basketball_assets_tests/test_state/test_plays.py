"""``plays.json``: the plays snapshot ``game_plays`` writes and the later steps read."""

import json

import pytest
from dagster import Failure

from basketball_assets.core.plays import WHOLE_PLAY, Play, Rejection
from basketball_assets.core.validation import PlaysReview, review_plays
from basketball_assets.state.plays import PlaysSnapshot, plays_snapshot_key, read_game_plays, write_game_plays
from basketball_assets_tests.test_core.test_validation import GAME, row

#: A snapshot as game_plays has written it since the first version (indent 1, sorted keys).
TODAYS_FILE = """{
 "duplicates": [
  "play a: 2 rows share this id; kept the one written at 2024-03-01T11:00:00+00:00"
 ],
 "game_id": "11111111-1111-1111-1111-111111111111",
 "plays": [
  {
   "angle": "both",
   "created_at": "2024-03-01T11:00:00+00:00",
   "description": "Edited.",
   "end_time": 12.5,
   "game_id": "11111111-1111-1111-1111-111111111111",
   "half": 2,
   "id": "a",
   "start_time": 10.0,
   "updated_at": null
  }
 ],
 "rejections": [
  {
   "angle": "all",
   "play_id": "b",
   "reason": "negative time (start -1 s, end 2 s)"
  }
 ]
}
"""


def test_review_round_trips_through_its_snapshot():
    review = review_plays([row("a", half=2), row("b", start_time=-1), row("a", description="Edited.")])

    snapshot = PlaysSnapshot(GAME, review).to_dict()
    restored = PlaysSnapshot.from_dict(snapshot).review

    assert snapshot["game_id"] == GAME
    assert restored == review


def test_a_snapshot_round_trips_through_storage(storage):
    review = review_plays([row("a"), row("b", angle="sideline")])

    key = write_game_plays(storage, PlaysSnapshot(GAME, review))

    assert key == plays_snapshot_key(GAME)
    assert read_game_plays(storage, GAME) == review


def test_a_snapshot_in_todays_format_is_read(storage):
    storage.put_text(plays_snapshot_key(GAME), TODAYS_FILE)

    review = read_game_plays(storage, GAME)

    assert review.plays == [Play("a", GAME, 10.0, 12.5, "both", "Edited.", "2024-03-01T11:00:00+00:00", 2, None)]
    assert review.rejections == [Rejection("b", WHOLE_PLAY, "negative time (start -1 s, end 2 s)")]
    assert review.duplicates == ["play a: 2 rows share this id; kept the one written at 2024-03-01T11:00:00+00:00"]


def test_writing_todays_snapshot_again_gives_the_same_bytes(storage):
    snapshot = PlaysSnapshot.from_dict(json.loads(TODAYS_FILE))

    write_game_plays(storage, snapshot)

    assert storage.read_text(plays_snapshot_key(GAME)) == TODAYS_FILE


def test_a_snapshot_without_duplicates_reads_as_none():
    data = {"game_id": GAME, "plays": [], "rejections": []}

    assert PlaysSnapshot.from_dict(data).review == PlaysReview()


def test_reading_a_game_without_a_snapshot_says_to_materialize_game_plays(storage):
    with pytest.raises(Failure, match="materialize game_plays for this game first"):
        read_game_plays(storage, GAME)
