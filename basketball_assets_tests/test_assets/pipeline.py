"""Running the game steps and the combined dataset on a test instance."""

import json
from typing import Any

from dagster import AssetCheckEvaluation, DagsterInstance, ExecuteInProcessResult, materialize

from basketball_assets import checks
from basketball_assets.assets.clips import game_clips
from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.assets.plays import game_plays
from basketball_assets.assets.training_data import game_training_data
from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.dataset import SPLITS
from basketball_assets.core.plays import Rejection
from basketball_assets.resources.storage import Storage
from basketball_assets.state.clips import read_game_clips
from basketball_assets.state.combined import read_combined_dataset
from basketball_assets.state.training_data import read_game_training_data

GAME_ASSETS = [game_plays, game_clips, game_training_data]
COMBINED_CHECKS = [checks.splits_are_disjoint, checks.no_duplicate_examples, checks.every_game_present]


def materialize_game(
    instance: DagsterInstance, resources: dict, game_id: str, raise_on_error: bool = True
) -> ExecuteInProcessResult:
    instance.add_dynamic_partitions("games", [game_id])
    return materialize(
        GAME_ASSETS, partition_key=game_id, instance=instance, resources=resources, raise_on_error=raise_on_error
    )


def materialize_combined(instance: DagsterInstance, resources: dict) -> ExecuteInProcessResult:
    return materialize(
        [*GAME_ASSETS, combined_dataset, *COMBINED_CHECKS],
        selection=["combined_dataset"],
        instance=instance,
        resources=resources,
    )


def metadata_of(result: ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == asset]
    return {key: value.value for key, value in event.materialization.metadata.items()}


def check_of(result: ExecuteInProcessResult, name: str) -> AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def examples_of(storage: Storage, game_id: str) -> dict[str, list[dict[str, Any]]]:
    manifest = read_game_training_data(storage, game_id)
    return {split: [json.loads(line) for line in storage.iter_lines(manifest.files[split])] for split in SPLITS}


def combined_examples(storage: Storage) -> dict[str, list[str]]:
    manifest = read_combined_dataset(storage)
    return {split: [line.rstrip("\n") for line in storage.iter_lines(manifest.files[split])] for split in SPLITS}


def clips_of(storage: Storage, game_id: str) -> tuple[list[PlannedClip], list[Rejection]]:
    manifest = read_game_clips(storage, game_id)
    return manifest.clips, manifest.rejections
