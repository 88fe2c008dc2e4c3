"""Ids from the plays table are untrusted: a bad one is rejected, and never names another game's files.

Each test reproduces a case of issue 12 with the project's own resources on a real Dagster
instance: generated videos, ffmpeg, local storage read back from disk.
"""

from pathlib import Path

import pytest
from dagster import DagsterEventType, materialize

from basketball_assets.assets.plays import game_plays
from basketball_assets.core.layout import clip_key
from basketball_assets.state.plays import plays_snapshot_key, read_game_plays
from basketball_assets_tests.games import good_plays, new_game_id, place_game, play_row
from basketball_assets_tests.test_assets.pipeline import check_of, clips_of, materialize_game, metadata_of

pytestmark = pytest.mark.ffmpeg


def file_of(storage, key: str) -> Path:
    return Path(storage.uri(key).removeprefix("file://"))


def place_game_b(storage, plays_db, test_videos):
    """Another game: one broadcast play."""
    game_id = new_game_id("game-b")
    return place_game(storage, plays_db, test_videos, "game-b", [play_row(game_id, "a", 1.37, 3.91, "broadcast")])


@pytest.fixture
def game_b(storage, plays_db, test_videos, instance, resources):
    """Game B with its clip cut."""
    game = place_game_b(storage, plays_db, test_videos)
    materialize_game(instance, resources, game.game_id)
    return game


@pytest.fixture
def game_b_plays(storage, plays_db, test_videos, instance, resources):
    """Game B with only its plays snapshot written (enough to see it overwritten)."""
    game = place_game_b(storage, plays_db, test_videos)
    instance.add_dynamic_partitions("games", [game.game_id])
    materialize([game_plays], partition_key=game.game_id, instance=instance, resources=resources)
    return game


def test_a_play_id_climbing_into_another_game_is_rejected_and_leaves_that_games_clip_alone(
    game_b, storage, plays_db, test_videos, instance, resources
):
    victim = file_of(storage, clip_key(game_b.game_id, game_b.plays[0]["id"], "broadcast"))
    before = victim.read_bytes()
    game_a = new_game_id("game-a")
    climbing = f"../../{game_b.game_id}/clips/{game_b.plays[0]['id']}"
    rows = [
        play_row(game_a, "good", 1.0, 3.0, "broadcast", minute=1),
        {**play_row(game_a, "climbing", 5.0, 6.2, "broadcast", minute=2), "id": climbing},
    ]
    place_game(storage, plays_db, test_videos, "game-a", rows)

    result = materialize_game(instance, resources, game_a)

    assert victim.read_bytes() == before
    (rejection,) = read_game_plays(storage, game_a).rejections
    assert rejection.play_id == climbing
    assert "contains '/'" in rejection.reason and "an id must be a UUID" in rejection.reason
    assert metadata_of(result, "game_plays")["rejected"] == 1
    clips, _ = clips_of(storage, game_a)
    assert [clip.play_id for clip in clips] == [rows[0]["id"]]


@pytest.mark.parametrize("evil", ["zzz/../{b}", "{b}/clips", "sp ace"])
def test_a_game_partition_that_is_not_a_safe_token_fails_once_and_writes_nothing(
    evil, game_b_plays, storage, plays_db, instance, resources
):
    # A partition can be added by hand in the UI: game_plays itself must refuse the key.
    game_b = game_b_plays
    snapshot = file_of(storage, plays_snapshot_key(game_b.game_id))
    before = snapshot.read_bytes()
    files_before = sorted(path for path in Path(storage.data_dir).rglob("*") if path.is_file())
    game_id = evil.format(b=game_b.game_id)
    plays_db.upsert_rows([{**play_row(game_b.game_id, "evil", 1.0, 2.0, "broadcast", minute=9), "game_id": game_id}])

    result = materialize_game(instance, resources, game_id, raise_on_error=False)

    assert not result.success
    (failure,) = [event for event in result.get_step_failure_events() if event.step_key == "game_plays"]
    message = failure.step_failure_data.user_failure_data.description
    assert repr(game_id) in message and "an id must be a UUID" in message
    retries = [event for event in result.all_events if event.event_type == DagsterEventType.STEP_UP_FOR_RETRY]
    assert retries == []
    assert snapshot.read_bytes() == before
    assert sorted(path for path in Path(storage.data_dir).rglob("*") if path.is_file()) == files_before


def test_a_300_character_play_id_among_good_plays_is_one_rejected_play(
    storage, plays_db, test_videos, instance, resources
):
    game_id = new_game_id("long-id")
    long_id = "p" * 300
    rows = [*good_plays(game_id), {**play_row(game_id, "long", 1.0, 2.0, "broadcast", minute=9), "id": long_id}]
    place_game(storage, plays_db, test_videos, "long-id", rows)

    result = materialize_game(instance, resources, game_id)

    assert metadata_of(result, "game_plays")["rejected"] == 1
    assert metadata_of(result, "game_clips")["clips"] == 8
    (rejection,) = read_game_plays(storage, game_id).rejections
    assert rejection.play_id == long_id and "is 300 characters long, more than 128" in rejection.reason
    table = check_of(result, "no_rejected_plays").metadata["rejections"].value
    assert "is 300 characters long" in table and long_id not in table
