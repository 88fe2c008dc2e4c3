"""Incremental tuning for ``tuned_model``: which tuned model ``continue_from`` names, and the delta
dataset (the training examples of plays that model has not seen) its job trains on.

The parent's row in the registry says what it has seen: its dataset version and the combined
files of that version (for a model that itself continued another, the whole combined dataset it
was cut from, so a chain of deltas never repeats a play). Everything here runs before any paid call.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import Failure

from basketball_assets.core.delta import Play, plays_in
from basketball_assets.core.registry import TunedModelRecord
from basketball_assets.core.tuning import TUNED_MODEL_NAME
from basketball_assets.resources.registry import ModelRegistry
from basketball_assets.resources.storage import Storage
from basketball_assets.state.combined import CombinedManifest
from basketball_assets.state.delta import DeltaDataset, delta_training_key, key_of_uri, lines_of, write_delta

#: ``continue_from`` value that means "the current champion in the registry".
CHAMPION = "champion"


@dataclass(frozen=True)
class Parent:
    """The tuned model a job continues, as the registry knows it."""

    model_name: str
    record: TunedModelRecord


def resolve_parent(continue_from: str, registry: ModelRegistry) -> Parent | None:
    """The model ``continue_from`` names (``""``: none, tune the base model), found in the registry."""
    wanted = continue_from.strip()
    if not wanted:
        return None
    if wanted == CHAMPION:
        champion = registry.champion()
        if champion is None or not champion.model_name:
            raise Failure(
                f"continue_from is 'champion', but {registry.describe()} has no champion yet: evaluate a tuned "
                "model first (model_evaluation), or name a tuned model's resource name, or leave continue_from empty",
                allow_retries=False,
            )
        return Parent(champion.model_name, champion)
    if not TUNED_MODEL_NAME.match(wanted):
        raise Failure(
            f"continue_from {wanted!r} is neither empty, 'champion' nor a tuned model's resource name "
            "(projects/P/locations/L/models/M, optionally @version): fix tuned_model's config",
            allow_retries=False,
        )
    record = registry_row_of_model(registry, wanted)
    if record is None:
        raise Failure(
            f"the tuned model {wanted} is not in {registry.describe()}, so the plays it was tuned on are unknown "
            "and the delta dataset cannot be cut: continue from a model this pipeline tuned (its row is written "
            "when tuned_model succeeds), or leave continue_from empty to tune the base model on everything",
            allow_retries=False,
        )
    return Parent(wanted, record)


def registry_row_of_model(registry: ModelRegistry, model_name: str) -> TunedModelRecord | None:
    """The row whose model is ``model_name`` (with or without its ``@version``)."""
    base = model_name.split("@", 1)[0]
    rows = [row for row in registry.models() if row.model_name]
    exact = [row for row in rows if row.model_name == model_name]
    return (exact or [row for row in rows if row.model_name.split("@", 1)[0] == base] or [None])[-1]


def parent_problems(parent: Parent, base_model: str, dataset_version: str) -> list[str]:
    """What makes continuing ``parent`` on this dataset pointless or wrong (no call needed)."""
    problems = []
    record = parent.record
    if record.base_model and record.base_model != base_model:
        problems.append(
            f"{parent.model_name} was tuned from {record.base_model}, but base_model is {base_model}: set base_model "
            f"to {record.base_model} (the adapter size is checked against it)"
        )
    if record.dataset_version and record.dataset_version == dataset_version:
        problems.append(
            f"{parent.model_name} was already tuned on this very dataset (version {dataset_version}): there is "
            "nothing new to tune on; materialize combined_dataset once new games are in"
        )
    return problems


def known_plays(storage: Storage, parent: Parent) -> set[Play]:
    """The plays of the parent's dataset (its training and validation files)."""
    record = parent.record
    keys = []
    for split, uri in (("training", record.training_uri), ("validation", record.validation_uri)):
        if not uri:
            continue
        key = key_of_uri(storage, uri)
        if key is None or not storage.exists(key):
            raise Failure(
                f"the {split} file of {parent.model_name}'s dataset, {uri}, is not in {storage.uri('')} any more, so "
                "the plays it was tuned on are unknown and the delta cannot be cut: restore the file, or leave "
                "continue_from empty to tune the base model on everything",
                allow_retries=False,
            )
        keys.append(key)
    if not keys:
        raise Failure(
            f"the registry row of {parent.model_name} names no dataset files, so the plays it was tuned on are "
            "unknown: leave continue_from empty to tune the base model on everything",
            allow_retries=False,
        )
    return plays_in(lines_of(storage, keys))


def delta_dataset(storage: Storage, manifest: CombinedManifest, parent: Parent) -> DeltaDataset:
    """The delta training file for ``parent`` beside the combined one; fails when it would be empty."""
    key = delta_training_key(manifest.files["training"], parent.model_name)
    delta = write_delta(storage, key, manifest.files["training"], known_plays(storage, parent))
    if delta.examples == 0:
        raise Failure(
            f"every training play of {storage.uri(manifest.files['training'])} was already in "
            f"{parent.model_name}'s dataset: there is nothing new to tune on, so no job was started",
            allow_retries=False,
        )
    return delta
