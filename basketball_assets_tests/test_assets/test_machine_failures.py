"""The machine failing under ``game_clips`` fails the step (and is retried); it never rejects a play.

A full disk and a killed ffmpeg are real (see :mod:`basketball_assets_tests.machine_faults`):
ffmpeg's output file is ``/dev/full``, or the kernel kills ffmpeg with ``SIGXFSZ``. A broken
source, on the other hand, still rejects its plays and the rest of the game goes on.
"""

import re
from pathlib import Path

import pytest
from dagster import DagsterEventType, build_asset_context, materialize

from basketball_assets.assets.clips import game_clips
from basketball_assets.assets.plays import game_plays
from basketball_assets.core.ffmpeg_errors import MachineFailure
from basketball_assets.core.layout import video_key
from basketball_assets.resources.video import ClipEncoder
from basketball_assets.state.clips import clips_manifest_key, read_game_clips
from basketball_assets_tests.games import place_game
from basketball_assets_tests.machine_faults import full_disk_ffmpeg, killed_ffmpeg
from basketball_assets_tests.test_assets.pipeline import clips_of, examples_of, materialize_game

pytestmark = pytest.mark.ffmpeg


def run_game_clips(instance, storage, video: ClipEncoder, game_id: str):
    """One attempt of ``game_clips``, as the step runs it, without the retry policy's waits."""
    context = build_asset_context(
        partition_key=game_id, instance=instance, resources={"storage": storage, "video": video}
    )
    return game_clips(context)


def test_a_full_disk_fails_the_step_and_rejects_no_play(storage, plays_db, test_videos, instance, resources, tmp_path):
    game = place_game(storage, plays_db, test_videos, "full-disk")
    materialize_game(instance, resources, game.game_id)
    before = read_game_clips(storage, game.game_id)
    plays_db.upsert_rows([game.play("a") | {"start_time": 2.2}])  # play a needs a new clip
    materialize([game_plays], partition_key=game.game_id, instance=instance, resources=resources)

    with pytest.raises(MachineFailure) as failure:
        run_game_clips(instance, storage, ClipEncoder(ffmpeg_binary=full_disk_ffmpeg(tmp_path)), game.game_id)

    message = str(failure.value)
    assert message.startswith(
        f"the machine: no space left on device while cutting play {game.play('a')['id']} (broadcast) "
        f"of game {game.game_id} from "
    )
    assert re.search(rf"{video_key(game.game_id, 'broadcast', 1)} into .*\.scratch; free space and re-run", message)
    # Nothing recorded: the clips manifest is the last good run's, without a rejection.
    assert read_game_clips(storage, game.game_id) == before and not before.rejections


def test_a_killed_ffmpeg_fails_the_step_and_leaves_no_scratch_file(
    storage, plays_db, test_videos, instance, resources, tmp_path
):
    game = place_game(storage, plays_db, test_videos, "killed")
    instance.add_dynamic_partitions("games", [game.game_id])
    materialize([game_plays], partition_key=game.game_id, instance=instance, resources=resources)

    with pytest.raises(MachineFailure, match=r"^the machine: ffmpeg was killed by SIGXFSZ while cutting play "):
        run_game_clips(instance, storage, ClipEncoder(ffmpeg_binary=killed_ffmpeg(tmp_path)), game.game_id)

    assert not storage.exists(clips_manifest_key(game.game_id))  # no manifest: no play recorded as rejected
    assert list((Path(storage.data_dir) / ".scratch").iterdir()) == []


def test_a_disk_full_once_is_retried_and_the_game_loses_no_play(
    storage, plays_db, test_videos, instance, resources, tmp_path
):
    game = place_game(storage, plays_db, test_videos, "disk-full-once")
    # Re-encode mode: there the first ffmpeg run is a clip's. In smart mode it may be the audio
    # of a clip that then falls back to a re-encode, which kills that ffmpeg unheard.
    encoder = ClipEncoder(mode="reencode", ffmpeg_binary=full_disk_ffmpeg(tmp_path, once=True))

    result = materialize_game(instance, resources | {"video": encoder}, game.game_id)

    retries = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY]
    assert [e.step_key for e in retries] == ["game_clips"]
    assert "the machine: no space left on device while cutting play " in str(retries[0].event_specific_data.error)
    clips, rejections = clips_of(storage, game.game_id)
    assert (len(clips), rejections) == (8, [])
    assert sum(len(lines) for lines in examples_of(storage, game.game_id).values()) == 8


def test_a_broken_source_still_rejects_its_plays_and_the_rest_go_on(
    storage, plays_db, test_videos, instance, resources, tmp_path
):
    game = place_game(storage, plays_db, test_videos, "broken-source", missing=[("tactical", 1)])
    source = test_videos[("tactical", 1)].read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(source[: len(source) // 3])  # faststart: the index survives, most media does not
    storage.put_video(video_key(game.game_id, "tactical", 1), truncated)

    result = materialize_game(instance, resources, game.game_id)

    clips, rejections = clips_of(storage, game.game_id)
    assert result.success and rejections and len(clips) + len(rejections) == 8
    assert all(r.angle == "tactical" and r.reason.startswith("the source: ") for r in rejections), rejections
