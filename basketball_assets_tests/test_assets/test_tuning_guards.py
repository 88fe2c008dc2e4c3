"""``tuned_model``'s guards on the instance's records, before any call to Vertex AI: which
combined_dataset materialization is tuned on, and whether `within_tuning_limits` passed on it.

The records are written to a real Dagster instance as Dagster writes them (a materialization
with its data version tag, a check evaluation pointing at its target materialization), so each
guard is driven without a Vertex AI stand-in, a video or a run. Issue 16: accepting a check
result from an older materialization survived the suite; the "no materialization" and
"URI mismatch" guards had no test.
"""

import pytest
from dagster import AssetCheckEvaluation, AssetMaterialization, DagsterInstance, Failure, instance_for_test
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluationTargetMaterializationData

from basketball_assets.assets.tuning import (
    COMBINED_DATASET,
    DATA_VERSION_TAG,
    LIMITS_CHECK_NAME,
    latest_dataset_materialization,
    require_limits_check_passed,
)

FIRST_URI = "gs://training/cumulative-execution-20260101T000000Z/combined_training.jsonl"
SECOND_URI = "gs://training/cumulative-execution-20260102T000000Z/combined_training.jsonl"


@pytest.fixture(scope="module")
def shared_instance() -> DagsterInstance:
    with instance_for_test() as instance:
        yield instance


@pytest.fixture
def instance(shared_instance: DagsterInstance) -> DagsterInstance:
    """One instance for the module (a new one takes seconds on 2 cores), its dataset's history wiped per test."""
    shared_instance.wipe_assets([COMBINED_DATASET])
    return shared_instance


def record_dataset(instance, training_uri: str, version: str | None = "v1") -> int:
    """A combined_dataset materialization as the asset records it; its event's storage id."""
    tags = {DATA_VERSION_TAG: version} if version else None
    instance.report_runless_asset_event(
        AssetMaterialization(COMBINED_DATASET, metadata={"training_uri": training_uri}, tags=tags)
    )
    return instance.fetch_materializations(COMBINED_DATASET, limit=1).records[0].storage_id


def record_limits_check(instance, materialization_id: int, passed: bool) -> None:
    """A within_tuning_limits evaluation that ran on the given materialization."""
    target = AssetCheckEvaluationTargetMaterializationData(storage_id=materialization_id, run_id="", timestamp=0.0)
    instance.report_runless_asset_event(
        AssetCheckEvaluation(
            asset_key=COMBINED_DATASET,
            check_name=LIMITS_CHECK_NAME,
            passed=passed,
            target_materialization_data=target,
            description=None if passed else "2 examples; at least 16 are needed",
        )
    )


def test_the_latest_materialization_of_the_files_in_storage_gives_the_version(instance):
    record_dataset(instance, FIRST_URI, "old")
    latest = record_dataset(instance, SECOND_URI, "new")
    assert latest_dataset_materialization(instance, SECOND_URI) == ("new", latest)


def test_without_any_materialization_it_refuses(instance):
    with pytest.raises(Failure, match="combined_dataset has no materialization on this Dagster instance"):
        latest_dataset_materialization(instance, FIRST_URI)


def test_files_in_storage_other_than_the_latest_materialization_recorded_are_refused(instance):
    # Another instance (or a run outside Dagster) wrote the combined files since: their version is unknown here.
    record_dataset(instance, FIRST_URI)
    with pytest.raises(Failure, match="is not the one the latest combined_dataset materialization recorded"):
        latest_dataset_materialization(instance, SECOND_URI)


def test_a_materialization_without_a_data_version_is_refused(instance):
    record_dataset(instance, FIRST_URI, version=None)
    with pytest.raises(Failure, match="has no data version"):
        latest_dataset_materialization(instance, FIRST_URI)


def test_a_limits_check_passed_on_the_latest_materialization_lets_tuning_start(instance):
    latest = record_dataset(instance, FIRST_URI)
    record_limits_check(instance, latest, passed=True)
    require_limits_check_passed(instance, latest)  # no Failure


def test_a_limits_check_passed_on_an_older_materialization_does_not_count(instance):
    older = record_dataset(instance, FIRST_URI)
    record_limits_check(instance, older, passed=True)
    latest = record_dataset(instance, SECOND_URI)
    with pytest.raises(Failure, match="has not run on the latest combined_dataset"):
        require_limits_check_passed(instance, latest)


def test_without_any_limits_check_it_refuses(instance):
    latest = record_dataset(instance, FIRST_URI)
    with pytest.raises(Failure, match="has not run on the latest combined_dataset"):
        require_limits_check_passed(instance, latest)


def test_a_limits_check_failed_on_the_latest_materialization_refuses_with_its_reason(instance):
    latest = record_dataset(instance, FIRST_URI)
    record_limits_check(instance, latest, passed=False)
    with pytest.raises(Failure, match="check failed on the latest combined_dataset \\(2 examples; at least 16"):
        require_limits_check_passed(instance, latest)
