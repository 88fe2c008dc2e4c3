"""``combined_dataset``: every game's JSONL, concatenated into one training and one validation file."""


import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from basketball_assets.assets.policies import DATASET_GROUP, TRANSIENT_RETRY
from basketball_assets.assets.training_data import game_training_data, read_game_training_data
from basketball_assets.automation import dataset_refresh_condition
from basketball_assets.core.dataset import SPLITS, unique_lines
from basketball_assets.core.layout import combined_jsonl_key, combined_manifest_key, utc_timestamp
from basketball_assets.partitions import games_partitions
from basketball_assets.resources.storage import Storage


def read_combined_dataset(storage: Storage) -> dict[str, Any] | None:
    """The latest combined files: ``{"files": {split: key}, "counts": ..., "games": [...]}``."""
    return storage.read_json(combined_manifest_key())


@asset(
    deps=[AssetDep(game_training_data, partition_mapping=AllPartitionMapping())],
    group_name=DATASET_GROUP,
    kinds={"json"},
    code_version="1",
    retry_policy=TRANSIENT_RETRY,
    automation_condition=dataset_refresh_condition(),
)
def combined_dataset(context: AssetExecutionContext, storage: Storage) -> MaterializeResult:
    """All games' examples in one dataset: `cumulative-execution-{timestamp}/combined_training.jsonl`
    and `combined_validation.jsonl` in the training bucket.

    The games' latest files are concatenated in game id order (each already in play id
    order), without duplicate lines. Lines are streamed, never held in memory, so it
    scales to thousands of games. Games without training data yet are left out and
    named in the metadata and in the `every_game_present` check.
    """
    games = sorted(context.instance.get_dynamic_partitions(games_partitions.name))
    manifests = {game_id: read_game_training_data(storage, game_id) for game_id in games}
    included = [game_id for game_id in games if manifests[game_id] is not None]
    missing = [game_id for game_id in games if manifests[game_id] is None]
    if missing:
        context.log.warning(f"{len(missing)} games have no training data yet and are left out: {', '.join(missing[:20])}")
    if not included:
        raise Failure("no game has training data yet: materialize game_training_data first", allow_retries=False)

    timestamp = utc_timestamp()
    files = {split: combined_jsonl_key(split, timestamp) for split in SPLITS}
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    with storage.scratch_dir() as folder:
        for split in SPLITS:
            path = folder / f"combined_{split}.jsonl"
            keys = (manifests[game_id]["files"][split] for game_id in included)
            counts[split] = write_lines(path, unique_lines(lines_of(storage, keys)), digest)
            storage.put_file(files[split], path)
    storage.put_json(
        combined_manifest_key(),
        {"timestamp": timestamp, "files": files, "counts": counts, "games": included, "missing_games": missing},
    )
    context.log.info(f"combined {len(included)} games: {counts['training']} training, {counts['validation']} validation examples")
    return MaterializeResult(
        metadata={
            "games": len(included),
            "games_missing": MetadataValue.json(missing),
            "training_examples": counts["training"],
            "validation_examples": counts["validation"],
            "training_file": MetadataValue.url(storage.uri(files["training"])),
            "validation_file": MetadataValue.url(storage.uri(files["validation"])),
            "training_uri": storage.uri(files["training"]),
            "validation_uri": storage.uri(files["validation"]),
        },
        data_version=DataVersion(digest.hexdigest()[:32]),
    )


def lines_of(storage: Storage, keys: Iterator[str]) -> Iterator[str]:
    for key in keys:
        yield from storage.iter_lines(key)


def write_lines(path: Path, lines: Iterator[str], digest: "hashlib._Hash") -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")
            digest.update(line.encode("utf-8") + b"\n")
            count += 1
    digest.update(b"--split--")
    return count
