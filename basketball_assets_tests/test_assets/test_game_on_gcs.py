"""A game partition materialized on GCS: the same assets, only the storage resource changed.

Videos are uploaded to a real GCS-protocol server (gcp-storage-emulator on 127.0.0.1),
plays come from a local plays database, and everything the steps write is read back
from the emulator: clips, their custom metadata, the JSONL.
"""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, ExecuteInProcessResult, instance_for_test

from basketball_assets.core.examples import example_file_uri, example_problems
from basketball_assets.core.layout import clip_key, clips_prefix, video_key
from basketball_assets.resources import ClipEncoder, LocalPlaysDatabase
from basketball_assets.resources.gcs_storage import GCSStorage
from basketball_assets.resources.storage import TRAINING_BUCKET, VIDEOS_BUCKET
from basketball_assets.resources.video import probe_video
from basketball_assets_tests.games import FRAME, place_game
from basketball_assets_tests.services.gcs_emulator import GCSEmulator
from basketball_assets_tests.test_assets.pipeline import check_of, clips_of, examples_of, materialize_game, metadata_of

pytestmark = [pytest.mark.ffmpeg, pytest.mark.services]

#: The good test game has 6 plays, two of them on both angles: 8 clips.
CLIPS = 8


def unique_name(label: str) -> str:
    # The emulator lives for the whole session: a fresh game id keeps tests apart.
    return f"{label}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def module_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("game-on-gcs")


@pytest.fixture(scope="module")
def gcs(gcs_emulator: GCSEmulator, module_folder: Path) -> GCSStorage:
    return gcs_emulator.storage(module_folder / "video-cache")


@pytest.fixture(scope="module")
def module_plays_db(module_folder: Path) -> LocalPlaysDatabase:
    database = LocalPlaysDatabase(path=str(module_folder / "plays.sqlite3"))
    database.create_table()
    return database


@pytest.fixture(scope="module")
def module_instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as instance:
        yield instance


@pytest.fixture(scope="module")
def gcs_resources(gcs: GCSStorage, module_plays_db: LocalPlaysDatabase) -> dict:
    return {"storage": gcs, "plays_source": module_plays_db, "video": ClipEncoder()}


@pytest.fixture(scope="module")
def game(gcs: GCSStorage, module_plays_db: LocalPlaysDatabase, test_videos: dict):
    """The good test game (6 plays, 8 clips), its videos uploaded to the emulator."""
    return place_game(gcs, module_plays_db, test_videos, unique_name("gcs-game"))


@pytest.fixture(scope="module")
def materialized(game, module_instance: DagsterInstance, gcs_resources: dict) -> ExecuteInProcessResult:
    return materialize_game(module_instance, gcs_resources, game.game_id)


def clip_blobs(gcs: GCSStorage, game_id: str) -> dict[str, dict[str, str]]:
    """The clips in the training bucket, read with a plain client: name -> custom metadata."""
    blobs = gcs.client.bucket(TRAINING_BUCKET).list_blobs(prefix=clips_prefix(game_id))
    return {blob.name: blob.metadata or {} for blob in blobs}


def test_clips_are_in_the_training_bucket_with_their_fingerprints(game, gcs, materialized):
    clips, rejections = clips_of(gcs, game.game_id)
    stored = clip_blobs(gcs, game.game_id)

    assert rejections == [] and len(clips) == CLIPS
    assert sorted(stored) == sorted(clip_key(game.game_id, clip.play_id, clip.angle) for clip in clips)
    assert all(stored[clip.key]["fingerprint"] == clip.fingerprint for clip in clips)
    assert (
        metadata_of(materialized, "game_clips")["clips_folder"]
        == f"gs://{TRAINING_BUCKET}/{clips_prefix(game.game_id)}"
    )


def test_clips_read_back_from_the_bucket_last_as_long_as_their_plays(game, gcs, materialized):
    spans = {row["id"]: row["end_time"] - row["start_time"] for row in game.plays}
    clips, _ = clips_of(gcs, game.game_id)

    for clip in clips:
        with gcs.local_copy(clip.key) as path:
            probe = probe_video(path)
        assert probe.video_codec == "h264" and probe.has_audio
        assert abs(probe.duration - spans[clip.play_id]) <= FRAME + 1e-6, (clip.key, probe.duration)


def test_jsonl_read_back_from_the_bucket_points_at_gs_clips(game, gcs, materialized):
    examples = examples_of(gcs, game.game_id)
    uris = [example_file_uri(example) for lines in examples.values() for example in lines]

    assert len(uris) == CLIPS
    assert all(example_problems(example) == [] for lines in examples.values() for example in lines)
    assert all(uri.startswith(f"gs://{TRAINING_BUCKET}/games/{game.game_id}/clips/") for uri in uris)
    assert {uri.removeprefix(f"gs://{TRAINING_BUCKET}/") for uri in uris} == set(clip_blobs(gcs, game.game_id))
    assert check_of(materialized, "examples_match_clips").passed


def test_jsonl_objects_are_jsonl_in_the_bucket(game, gcs, materialized):
    names = [blob.name for blob in gcs.client.list_blobs(TRAINING_BUCKET, prefix=f"games/{game.game_id}/video_")]
    assert len(names) == 2
    for name in names:
        blob = gcs.client.bucket(TRAINING_BUCKET).get_blob(name)
        assert blob.content_type == "application/jsonl"
        assert all(json.loads(line) for line in blob.download_as_text().splitlines())


def test_only_the_needed_videos_were_downloaded_into_the_cache(game, gcs, materialized):
    cached = sorted(path.name.split(".")[0] for path in gcs.video_cache.rglob(f"{game.game_id}/*.mp4"))
    assert cached == ["BroadcastHalf1", "BroadcastHalf2", "TacticalHalf1", "TacticalHalf2"]


def test_a_second_materialization_on_another_machine_cuts_nothing(
    game, gcs_emulator, module_plays_db, materialized, tmp_path
):
    # A fresh instance and an empty video cache: the skip can only come from object metadata.
    other_machine = {
        "storage": gcs_emulator.storage(tmp_path / "other-cache"),
        "plays_source": module_plays_db,
        "video": ClipEncoder(),
    }
    with instance_for_test() as instance:
        again = materialize_game(instance, other_machine, game.game_id)

    clips = metadata_of(again, "game_clips")
    assert (clips["cut"], clips["skipped_unchanged"], clips["clips"]) == (0, CLIPS, CLIPS)


def test_a_missing_video_rejects_only_the_plays_that_need_it(
    gcs, module_plays_db, test_videos, module_instance, gcs_resources
):
    game = place_game(gcs, module_plays_db, test_videos, unique_name("gcs-missing-half"), missing=[("tactical", 2)])
    missing_uri = f"gs://{VIDEOS_BUCKET}/{video_key(game.game_id, 'tactical', 2)}"

    result = materialize_game(module_instance, gcs_resources, game.game_id)

    clips, rejections = clips_of(gcs, game.game_id)
    # Play "e" (tactical) and the tactical clip of "f" (both) are in tactical half 2.
    assert sorted((r.play_id, r.angle) for r in rejections) == sorted(
        [(game.play("e")["id"], "tactical"), (game.play("f")["id"], "tactical")]
    )
    assert all(missing_uri in r.reason and "does not exist" in r.reason for r in rejections)
    assert len(clips) == CLIPS - 2 and (game.play("f")["id"], "broadcast") in {(c.play_id, c.angle) for c in clips}
    assert not check_of(result, "no_rejected_plays").passed
    assert len([e for lines in examples_of(gcs, game.game_id).values() for e in lines]) == CLIPS - 2
