"""``tuned_model``'s registry row, cost, ``no_examples_dropped`` check and incremental tuning, with
the real Vertex AI client against the stand-in, on crafted combined datasets in the GCS emulator.

No video pipeline: each dataset is a few JSONL lines and a combined manifest, recorded on the
instance as combined_dataset's materialization with a passed ``within_tuning_limits`` check
(what ``tuned_model`` requires before it spends anything).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    ExecuteInProcessResult,
    Failure,
    instance_for_test,
    materialize,
)
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster_gcp import GCSResource

from basketball_assets import checks
from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.assets.tuning import DATA_VERSION_TAG, tuned_model
from basketball_assets.core import tuning
from basketball_assets.core.delta import plays_in
from basketball_assets.core.examples import example_line
from basketball_assets.core.fingerprint import stable_hash
from basketball_assets.core.layout import clip_key, combined_jsonl_key
from basketball_assets.core.registry import TunedModelRecord
from basketball_assets.resources import LocalModelRegistry, LocalStorage
from basketball_assets.resources.gcs_storage import GCSStorage
from basketball_assets.resources.vertex import VertexTuning
from basketball_assets.state.combined import CombinedManifest, write_combined_dataset
from basketball_assets.state.delta import key_of_uri
from basketball_assets.tuning_parent import Parent, delta_dataset, resolve_parent
from basketball_assets_tests.services.gcs_emulator import TEST_PROJECT
from basketball_assets_tests.services.vertex_standin import Script, VertexStandin, running_vertex_standin

pytestmark = pytest.mark.services

TRAINING_BUCKET = "tuning-registry-test-training"
FAST_POLLS = {"poll_initial_seconds": 0.01, "poll_max_seconds": 0.05}
GAME = "game-one"


@dataclass
class World:
    instance: DagsterInstance
    storage: GCSStorage
    registry: LocalModelRegistry
    standin: VertexStandin

    def tune(self, **config: Any) -> ExecuteInProcessResult:
        vertex = VertexTuning(project="basketball-test", location="us-central1", api_endpoint=self.standin.endpoint)
        return materialize(
            [combined_dataset, tuned_model, checks.no_examples_dropped],
            selection=["tuned_model"],
            instance=self.instance,
            resources={"storage": self.storage, "vertex": vertex, "registry": self.registry},
            run_config={"ops": {"tuned_model": {"config": {**FAST_POLLS, **config}}}},
            raise_on_error=False,
        )


@pytest.fixture(scope="module")
def shared(gcs_emulator, tmp_path_factory) -> Iterator[tuple[DagsterInstance, GCSStorage]]:
    """One instance and bucket for the module: each test crafts the latest combined_dataset it tunes on."""
    folder = tmp_path_factory.mktemp("tuning-registry")
    gcs_emulator.create_bucket(TRAINING_BUCKET)
    storage = GCSStorage(
        gcs=GCSResource(project=TEST_PROJECT),
        cache_dir=str(folder / "cache"),
        videos_bucket="tuning-registry-test-videos",
        training_bucket=TRAINING_BUCKET,
    )
    (folder / "dagster").mkdir()
    with instance_for_test(temp_dir=str(folder / "dagster")) as instance:
        yield instance, storage


@pytest.fixture
def world(shared, gcs_emulator, tmp_path) -> Iterator[World]:
    for blob in gcs_emulator.client().list_blobs(TRAINING_BUCKET):
        blob.delete()  # no claims or datasets of another test
    registry = LocalModelRegistry(path=str(tmp_path / "plays.sqlite3"))
    with running_vertex_standin() as standin:
        yield World(*shared, registry, standin)


def line_of(play: str) -> str:
    uri = f"gs://{TRAINING_BUCKET}/{clip_key(GAME, play, 'broadcast')}"
    return example_line(uri, f"Play {play}: pick and roll, corner three.")


def craft_dataset(world: World, timestamp: str, training: list[str], validation: list[str]) -> str:
    """A combined dataset of these plays, recorded as combined_dataset's latest materialization
    with a passed limits check; returns its data version."""
    files = {split: combined_jsonl_key(split, timestamp) for split in ("training", "validation")}
    for split, plays in (("training", training), ("validation", validation)):
        world.storage.put_text(files[split], "".join(line_of(play) + "\n" for play in plays))
    counts = {"training": len(training), "validation": len(validation)}
    write_combined_dataset(world.storage, CombinedManifest(files, [GAME], timestamp, counts, clip_fingerprints={}))
    version = stable_hash(timestamp)
    world.instance.report_runless_asset_event(
        AssetMaterialization(
            "combined_dataset",
            metadata={
                "training_uri": world.storage.uri(files["training"]),
                "estimated_training_tokens": 40_000,
                "estimated_tuning_cost_usd": 1.0,
            },
            tags={DATA_VERSION_TAG: version},
        )
    )
    record = world.instance.fetch_materializations(AssetKey("combined_dataset"), limit=1).records[0]
    world.instance.report_runless_asset_event(
        AssetCheckEvaluation(
            asset_key=AssetKey("combined_dataset"),
            check_name="within_tuning_limits",
            passed=True,
            target_materialization_data=AssetCheckEvaluationTargetMaterializationData(
                storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
            ),
        )
    )
    return version


def metadata_of(result: ExecuteInProcessResult) -> dict[str, Any]:
    assert result.success, failure_of(result)
    (event,) = result.get_asset_materialization_events()
    return {key: value.value for key, value in event.materialization.metadata.items()}


def failure_of(result: ExecuteInProcessResult) -> str:
    return "\n".join(e.step_failure_data.error.message for e in result.all_events if e.is_step_failure)


def check_result(result: ExecuteInProcessResult, name: str):
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


# Registry and cost


def test_a_succeeded_job_is_its_rows_and_a_rerun_updates_that_row(world):
    version = craft_dataset(world, "20261101T120000Z", ["p1", "p2"], ["v1"])
    result = world.tune()
    metadata = metadata_of(result)
    assert check_result(result, "no_examples_dropped").passed  # Vertex AI kept every example

    (row,) = world.registry.models()
    assert row.job_name == metadata["job_name"] and row.model_name == metadata["tuned_model"]
    assert row.endpoint_name == metadata["endpoint"] and row.base_model == "gemini-2.5-pro"
    assert row.dataset_version == version and row.parent_model == ""
    assert row.training_uri == metadata["training_dataset_uri"]
    assert row.validation_uri == metadata["validation_dataset_uri"]
    assert row.hyperparameters == metadata["hyperparameters"]
    # 123,456 billable tokens x 5 epochs x 25 USD per million (the assumed default price).
    assert row.billable_tokens == metadata["billable_tokens"] == 123_456
    assert row.cost_usd == metadata["tuning_cost_usd"] == pytest.approx(15.432)
    assert "assumed price" in metadata["tuning_cost_basis"]
    assert metadata["dataset_card_estimated_tuning_cost_usd"] == 1.0
    assert metadata["dataset_card_estimated_training_tokens"] == 40_000
    world.registry.record_evaluation(row.job_name, {"rouge_l": 0.5}, champion=True)

    again = metadata_of(world.tune(price_per_million_training_tokens=10.0))
    assert again["attached_to_existing_job"] is True and len(world.standin.creates) == 1
    (updated,) = world.registry.models()
    assert updated.cost_usd == again["tuning_cost_usd"] == pytest.approx(6.1728)
    assert "configured price" in again["tuning_cost_basis"]
    assert updated.evaluation == {"rouge_l": 0.5} and updated.champion  # the evaluation is kept


# no_examples_dropped


def test_no_examples_dropped_fails_with_vertex_ais_reasons_naming_the_play(world):
    craft_dataset(world, "20261101T120000Z", ["p1", "p2", "p3"], ["v1"])
    reason = "Example is too long: it has 140000 tokens, the maximum is 131072."
    world.standin.next_script = Script(dropped_examples=1, dropped_indices=[2], dropped_reasons=[reason])
    result = world.tune()
    evaluation = check_result(result, "no_examples_dropped")
    assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
    assert f"combined_training.jsonl (game {GAME}, play p2, angle broadcast): {reason}" in evaluation.description
    assert evaluation.metadata["dropped_example_reasons"].value == [reason]
    assert metadata_of(result)["dropped_examples"] == 1


# Incremental tuning


def test_continuing_the_champion_tunes_only_the_new_plays_once(world):
    craft_dataset(world, "20261101T120000Z", ["p1", "p2"], ["v1"])
    first = metadata_of(world.tune())
    world.registry.record_evaluation(first["job_name"], {}, champion=True)
    version = craft_dataset(world, "20261102T120000Z", ["p1", "p2", "p3", "p4"], ["v1", "v2"])

    metadata = metadata_of(world.tune(continue_from="champion"))

    body = world.standin.creates[-1].body
    assert body["preTunedModel"] == {"tunedModelName": first["tuned_model"]} and "baseModel" not in body
    spec = body["supervisedTuningSpec"]
    delta_key = key_of_uri(world.storage, spec["trainingDatasetUri"])
    assert delta_key.startswith("cumulative-execution-20261102T120000Z/delta_training_from_")
    assert plays_in(world.storage.iter_lines(delta_key)) == {(GAME, "p3"), (GAME, "p4")}
    assert spec["validationDatasetUri"].endswith("20261102T120000Z/combined_validation.jsonl")  # kept whole
    assert metadata["delta_examples"] == 2 and metadata["parent_model"] == first["tuned_model"]
    labels = body["labels"]
    assert labels[tuning.DATASET_LABEL] == version
    assert labels[tuning.TUNING_LABEL] != tuning.tuning_hash(tuning.TuningSettings())  # the parent is in it
    row = world.registry.get(metadata["job_name"])
    assert row.parent_model == first["tuned_model"] and row.dataset_version == version
    assert row.training_uri.endswith("20261102T120000Z/combined_training.jsonl")  # all it has seen

    again = metadata_of(world.tune(continue_from=first["tuned_model"]))
    assert again["job_name"] == metadata["job_name"] and again["attached_to_existing_job"] is True
    assert len(world.standin.creates) == 2  # the base job and one delta job: the delta is paid for once


def test_continuing_a_champion_that_does_not_exist_fails_before_any_call(world):
    craft_dataset(world, "20261101T120000Z", ["p1"], ["v1"])
    result = world.tune(continue_from="champion")
    assert not result.success and "has no champion yet" in failure_of(result)
    assert world.standin.requests == []


def test_continuing_a_model_on_its_own_dataset_fails_before_any_call(world):
    version = craft_dataset(world, "20261101T120000Z", ["p1", "p2"], ["v1"])
    parent = "projects/basketball-test/locations/us-central1/models/tuned-7@1"
    world.registry.record_model(
        TunedModelRecord("jobs/7", model_name=parent, base_model="gemini-2.5-pro", dataset_version=version)
    )
    result = world.tune(continue_from=parent)
    assert not result.success and "there is nothing new to tune on" in failure_of(result)
    assert world.standin.requests == []


# Resolving continue_from and cutting the delta, without Dagster or Vertex AI


def local_dataset(
    storage: LocalStorage, timestamp: str, training: list[str], validation: list[str]
) -> CombinedManifest:
    files = {split: combined_jsonl_key(split, timestamp) for split in ("training", "validation")}
    for split, plays in (("training", training), ("validation", validation)):
        storage.put_text(files[split], "".join(line_of(play) + "\n" for play in plays))
    return CombinedManifest(files, [GAME], timestamp)


def parent_on(storage: LocalStorage, manifest: CombinedManifest) -> Parent:
    record = TunedModelRecord(
        "jobs/1",
        model_name="projects/p/locations/l/models/m@1",
        training_uri=storage.uri(manifest.files["training"]),
        validation_uri=storage.uri(manifest.files["validation"]),
    )
    return Parent(record.model_name, record)


def test_the_delta_holds_exactly_the_plays_the_parent_has_not_seen(tmp_path):
    storage = LocalStorage(data_dir=str(tmp_path))
    parent = parent_on(storage, local_dataset(storage, "20261101T120000Z", ["p1", "p2"], ["v1"]))
    # p2 has since moved to validation-like reuse; v1 is in the parent's validation: neither is new.
    manifest = local_dataset(storage, "20261102T120000Z", ["p1", "p2", "v1", "p3"], ["v2"])
    delta = delta_dataset(storage, manifest, parent)
    assert plays_in(storage.iter_lines(delta.key)) == {(GAME, "p3")}
    assert delta.examples == 1 and delta.key.startswith("cumulative-execution-20261102T120000Z/")


def test_a_delta_with_no_new_play_fails_and_writes_nothing(tmp_path):
    storage = LocalStorage(data_dir=str(tmp_path))
    parent = parent_on(storage, local_dataset(storage, "20261101T120000Z", ["p1", "p2"], ["v1"]))
    manifest = local_dataset(storage, "20261102T120000Z", ["p2", "p1"], ["v1", "v2"])
    with pytest.raises(Failure, match="nothing new to tune on, so no job was started"):
        delta_dataset(storage, manifest, parent)
    assert [key for key in storage.list_keys("cumulative-execution-20261102T120000Z/") if "delta" in key] == []


@pytest.mark.parametrize(
    ("continue_from", "expected"),
    [
        ("", None),
        ("champion", "has no champion yet"),
        ("projects/p/locations/l/models/unknown@1", "is not in local SQLite tuned_models table"),
        ("models/abc", "is neither empty, 'champion' nor a tuned model's resource name"),
    ],
)
def test_continue_from_names_a_model_of_the_registry(tmp_path, continue_from, expected):
    registry = LocalModelRegistry(path=str(tmp_path / "plays.sqlite3"))
    if expected is None:
        assert resolve_parent(continue_from, registry) is None
        return
    with pytest.raises(Failure, match=re.escape(expected)):
        resolve_parent(continue_from, registry)


def test_continue_from_finds_the_champion_and_a_model_without_its_version(tmp_path):
    registry = LocalModelRegistry(path=str(tmp_path / "plays.sqlite3"))
    for number in ("1", "2"):
        registry.record_model(
            TunedModelRecord(f"jobs/{number}", model_name=f"projects/p/locations/l/models/m{number}@1")
        )
    registry.record_evaluation("jobs/2", {}, champion=True)
    assert resolve_parent("champion", registry).record.job_name == "jobs/2"
    assert resolve_parent("projects/p/locations/l/models/m1", registry).record.job_name == "jobs/1"
