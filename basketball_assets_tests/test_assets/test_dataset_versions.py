"""Dataset versions cover what is in the clips, and ``tuned_model`` never tunes on clips that
changed after the dataset was combined (issue 12, item 2).

The issue's reproduction, on a real instance with real ffmpeg, the GCS emulator (tuning
needs gs:// URIs) and the Vertex AI stand-in: a play's start moves from 1.37 s to 2.2 s,
which re-cuts its clip (2.54 s -> 1.71 s) but changes no JSONL line.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, ExecuteInProcessResult, instance_for_test, materialize
from dagster_gcp import GCSResource

from basketball_assets import checks
from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.assets.tuning import DATA_VERSION_TAG, tuned_model
from basketball_assets.core import tuning
from basketball_assets.core.layout import clip_key
from basketball_assets.core.tuning import TuningSettings
from basketball_assets.resources import ClipEncoder, LocalModelRegistry, LocalPlaysDatabase
from basketball_assets.resources.gcs_storage import GCSStorage
from basketball_assets.resources.vertex import VertexTuning
from basketball_assets.resources.video import probe_video
from basketball_assets_tests.games import FRAME, TestGame, place_game
from basketball_assets_tests.services.gcs_emulator import TEST_PROJECT
from basketball_assets_tests.services.vertex_standin import running_vertex_standin
from basketball_assets_tests.test_assets.pipeline import GAME_ASSETS, combined_examples, examples_of, materialize_game

pytestmark = [pytest.mark.services, pytest.mark.ffmpeg]

VIDEOS_BUCKET = "versions-test-videos"
TRAINING_BUCKET = "versions-test-training"
#: One test game has 8 clips, fewer than the check's default minimum of 16 training examples.
SMALL_DATASET_CHECK = {"ops": {"combined_dataset_within_tuning_limits": {"config": {"min_training_examples": 1}}}}
FAST_POLLS = {"poll_initial_seconds": 0.05, "poll_max_seconds": 0.2}


@dataclass
class World:
    instance: DagsterInstance
    storage: GCSStorage
    plays_db: LocalPlaysDatabase
    resources: dict[str, Any]
    game: TestGame


@pytest.fixture
def world(gcs_emulator, test_videos, tmp_path) -> Iterator[World]:
    for bucket in (VIDEOS_BUCKET, TRAINING_BUCKET):
        gcs_emulator.create_bucket(bucket)
        for blob in gcs_emulator.client().list_blobs(bucket):
            blob.delete()
    storage = GCSStorage(
        gcs=GCSResource(project=TEST_PROJECT),
        cache_dir=str(tmp_path / "cache"),
        videos_bucket=VIDEOS_BUCKET,
        training_bucket=TRAINING_BUCKET,
    )
    plays_db = LocalPlaysDatabase(path=str(tmp_path / "plays.sqlite3"))
    plays_db.create_table()
    registry = LocalModelRegistry(path=plays_db.path)  # tuned_model writes its row on success
    resources = {"storage": storage, "plays_source": plays_db, "video": ClipEncoder(), "registry": registry}
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        game = place_game(storage, plays_db, test_videos, "versions")
        yield World(instance, storage, plays_db, resources, game)


def version_of(result: ExecuteInProcessResult, asset: str) -> str:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == asset]
    return event.materialization.tags[DATA_VERSION_TAG]


def combine(world: World) -> ExecuteInProcessResult:
    return materialize(
        [*GAME_ASSETS, combined_dataset, checks.within_tuning_limits],
        selection=["combined_dataset"],
        instance=world.instance,
        resources=world.resources,
        run_config=SMALL_DATASET_CHECK,
    )


def tune(world: World, vertex: VertexTuning) -> ExecuteInProcessResult:
    return materialize(
        [combined_dataset, tuned_model],
        selection=["tuned_model"],
        instance=world.instance,
        resources={**world.resources, "vertex": vertex},
        run_config={"ops": {"tuned_model": {"config": FAST_POLLS}}},
        raise_on_error=False,
    )


def failure_message(result: ExecuteInProcessResult) -> str:
    return "\n".join(e.step_failure_data.error.message for e in result.all_events if e.is_step_failure)


def clip_seconds(world: World, key: str, folder: Path) -> float:
    path = folder / "clip.mp4"
    path.write_bytes(world.storage.client.bucket(TRAINING_BUCKET).blob(key).download_as_bytes())
    return probe_video(path).duration


def test_a_recut_clip_changes_the_versions_and_blocks_tuning_until_combined_again(world, tmp_path):
    game_id = world.game.game_id
    moved = world.game.play("a")
    key = clip_key(game_id, moved["id"], "broadcast")
    first_game = version_of(materialize_game(world.instance, world.resources, game_id), "game_training_data")
    first_combined = version_of(combine(world), "combined_dataset")
    lines_before, combined_before = examples_of(world.storage, game_id), combined_examples(world.storage)
    with running_vertex_standin() as standin:
        vertex = VertexTuning(project="basketball-test", api_endpoint=standin.endpoint)
        assert tune(world, vertex).success, "the first tuning run should succeed"

        world.plays_db.upsert_rows([dict(moved, start_time=2.2, updated_at="2026-11-02T00:00:00+00:00")])
        second_game = version_of(materialize_game(world.instance, world.resources, game_id), "game_training_data")
        assert abs(clip_seconds(world, key, tmp_path) - (3.91 - 2.2)) <= FRAME + 1e-6  # re-cut
        assert examples_of(world.storage, game_id) == lines_before  # same URIs, same descriptions
        assert second_game != first_game

        requests_before = len(standin.requests)
        refused = tune(world, vertex)
        assert not refused.success
        message = failure_message(refused)
        assert world.storage.uri(key) in message and "materialize combined_dataset again" in message
        assert len(standin.requests) == requests_before  # refused before any call to Vertex AI

        second_combined = version_of(combine(world), "combined_dataset")
        assert combined_examples(world.storage) == combined_before
        assert second_combined != first_combined
        settings = TuningSettings()
        assert tuning.job_labels(settings, second_combined) != tuning.job_labels(settings, first_combined)
        retuned = tune(world, vertex)
        assert retuned.success, failure_message(retuned)
        assert len(standin.creates) == 2  # a new job for the new clips, not the old job reused


def test_an_unchanged_game_keeps_its_versions(world):
    game_id = world.game.game_id
    first = materialize_game(world.instance, world.resources, game_id)
    first_combined = version_of(combine(world), "combined_dataset")
    again = materialize_game(world.instance, world.resources, game_id)
    assert version_of(again, "game_training_data") == version_of(first, "game_training_data")
    assert version_of(combine(world), "combined_dataset") == first_combined
