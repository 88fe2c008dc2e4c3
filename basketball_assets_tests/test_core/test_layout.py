"""Where things live in the buckets: exactly the spec's "Videos" and "Outputs" layouts."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from basketball_assets.core.layout import (
    clip_key,
    clip_of_uri,
    clips_prefix,
    combined_folder,
    combined_jsonl_key,
    game_jsonl_key,
    utc_timestamp,
    utc_timestamps_from,
    video_key,
)

GAME = "6f1c2d3e-0000-4000-8000-000000000001"
PLAY = "9a8b7c6d-0000-4000-8000-000000000002"
STAMP = "20240301T143005Z"


@pytest.mark.parametrize(
    ("angle", "half", "key"),
    [
        ("broadcast", 1, f"Games/{GAME}/BroadcastHalf1.mp4"),
        ("broadcast", 2, f"Games/{GAME}/BroadcastHalf2.mp4"),
        ("tactical", 1, f"Games/{GAME}/TacticalHalf1.mp4"),
        ("tactical", 2, f"Games/{GAME}/TacticalHalf2.mp4"),
    ],
)
def test_a_half_video_is_read_from_the_specs_key(angle, half, key):
    assert video_key(GAME, angle, half) == key


@pytest.mark.parametrize("angle", ["broadcast", "tactical"])
def test_a_clip_is_written_to_the_specs_key(angle):
    assert clip_key(GAME, PLAY, angle) == f"games/{GAME}/clips/{PLAY}_{angle}.mp4"


def test_a_clip_uri_names_its_game_play_and_angle():
    assert clip_of_uri("gs://bucket/games/g1/clips/p_1_tactical.mp4") == ("g1", "p_1", "tactical")
    assert clip_of_uri("file:///data/uball-training-data/games/g1/clips/p1_broadcast.mp4") == ("g1", "p1", "broadcast")
    assert clip_of_uri("gs://bucket/other/p1.mp4") is None


@pytest.mark.parametrize("angle", ["broadcast", "tactical"])
def test_reading_a_clip_key_gives_back_what_named_it(angle):
    clip = clip_of_uri(clip_key(GAME, PLAY, angle))

    assert clip == (GAME, PLAY, angle)
    assert (clip.game_id, clip.play_id, clip.angle) == (GAME, PLAY, angle)
    assert clip.key == clip_key(GAME, PLAY, angle)


def test_a_clip_of_another_angle_or_folder_is_not_a_clip():
    assert clip_of_uri(f"games/{GAME}/clips/{PLAY}_sideline.mp4") is None
    assert clip_of_uri(f"games/{GAME}/{PLAY}_broadcast.mp4") is None
    assert clip_of_uri(f"games/{GAME}/clips/{PLAY}_broadcast.mp4.tmp") is None


def test_a_games_clips_share_one_prefix():
    assert clips_prefix(GAME) == f"games/{GAME}/clips/"
    assert clip_key(GAME, PLAY, "broadcast").startswith(clips_prefix(GAME))


@pytest.mark.parametrize("split", ["training", "validation"])
def test_a_games_jsonl_is_written_to_the_specs_key(split):
    assert game_jsonl_key(GAME, split, STAMP) == f"games/{GAME}/video_{split}_{STAMP}.jsonl"


@pytest.mark.parametrize("split", ["training", "validation"])
def test_a_combined_jsonl_is_written_to_the_specs_key(split):
    assert combined_jsonl_key(split, STAMP) == f"cumulative-execution-{STAMP}/combined_{split}.jsonl"


# The spec's {timestamp}: UTC YYYYMMDDTHHMMSSZ


def test_the_timestamp_is_utc_in_the_specs_format():
    assert utc_timestamp(datetime(2024, 3, 1, 14, 30, 5, 999_999, tzinfo=UTC)) == STAMP


def test_a_time_in_another_zone_is_written_in_utc():
    paris = timezone(timedelta(hours=1))

    assert utc_timestamp(datetime(2024, 3, 1, 15, 30, 5, tzinfo=paris)) == STAMP


def test_a_time_across_midnight_in_utc_changes_the_date():
    new_york = timezone(timedelta(hours=-5))

    assert utc_timestamp(datetime(2024, 12, 31, 22, 0, 0, tzinfo=new_york)) == "20250101T030000Z"


def test_the_timestamp_defaults_to_now():
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = utc_timestamp()
    after = datetime.now(UTC)

    assert re.fullmatch(r"\d{8}T\d{6}Z", stamp)
    moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before <= moment <= after


def test_timestamps_sort_in_time_order_as_text():
    earlier = utc_timestamp(datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC))
    later = utc_timestamp(datetime(2024, 10, 1, 0, 0, 0, tzinfo=UTC))

    assert earlier < later


@pytest.fixture
def new_york_local_time(monkeypatch):
    """The process's local zone set to New York, as on a developer's laptop there."""
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_naive_time_is_taken_as_utc_whatever_the_machines_zone(new_york_local_time):
    assert utc_timestamp(datetime(2024, 3, 1, 14, 30, 5)) == STAMP


def test_combined_folders_hold_their_jsonl():
    assert combined_folder(STAMP) == f"cumulative-execution-{STAMP}/"
    assert combined_jsonl_key("training", STAMP).startswith(combined_folder(STAMP))


def test_utc_timestamps_from_count_seconds_across_a_day():
    now = datetime(2024, 12, 31, 23, 59, 58, 900_000, tzinfo=UTC)
    assert utc_timestamps_from(now, 3) == ["20241231T235958Z", "20241231T235959Z", "20250101T000000Z"]


def test_the_default_now_is_utc_on_a_machine_in_another_zone():
    # Found by mutation testing: datetime.now() without UTC passed on a machine set to UTC.
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        before = datetime.now(UTC).replace(microsecond=0)
        moment = datetime.strptime(utc_timestamp(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        assert before <= moment <= datetime.now(UTC)
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()
