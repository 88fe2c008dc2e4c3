"""The per-tuned-model cost ledger check on a real instance: tuned_model's actual figures (the
metadata keys it records) plus the ledger of the combined dataset it was trained on."""

import pytest
from dagster import AssetMaterialization, DagsterInstance, build_asset_check_context, instance_for_test

from basketball_assets.checks import tuning_cost_ledger

DATASET_FIGURES = {
    "ledger_compute_usd_estimate": 0.5,
    "ledger_storage_usd_per_month_estimate": 0.25,
    "estimated_tuning_cost_usd": 10.0,
}


@pytest.fixture(scope="module")
def instance() -> DagsterInstance:
    with instance_for_test() as instance:
        # Two datasets: the tuned model names the older one's data version.
        for version, compute in (("v1", 0.5), ("v2", 9.0)):
            metadata = DATASET_FIGURES | {"ledger_compute_usd_estimate": compute}
            tags = {"dagster/data_version": version}
            instance.report_runless_asset_event(AssetMaterialization("combined_dataset", metadata=metadata, tags=tags))
        yield instance


def tuned(instance: DagsterInstance, **metadata) -> None:
    figures = {"combined_dataset_data_version": "v1"} | metadata
    instance.report_runless_asset_event(AssetMaterialization("tuned_model", metadata=figures))


def test_without_an_actual_cost_the_ledger_check_passes_and_says_so(instance):
    tuned(instance)
    result = tuning_cost_ledger(build_asset_check_context(instance=instance))
    assert result.passed and "no tuning job has recorded its actual cost" in result.description


def test_the_tuned_models_total_is_its_datasets_compute_and_storage_plus_the_jobs_cost(instance):
    tuned(instance, billable_tokens=400_000, tuning_cost_usd=12.0)
    result = tuning_cost_ledger(build_asset_check_context(instance=instance))
    assert result.passed
    assert result.metadata["dataset_compute_usd_estimate"].value == 0.5  # v1's, not the newer v2's
    assert result.metadata["tuning_billable_tokens"].value == 400_000
    assert result.metadata["ledger_total_usd"].value == pytest.approx(12.75)


def test_a_job_costing_far_more_than_the_cards_estimate_is_a_warning(instance):
    tuned(instance, billable_tokens=4_000_000, tuning_cost_usd=40.0)
    result = tuning_cost_ledger(build_asset_check_context(instance=instance))
    assert not result.passed and result.severity.value == "WARN"
    assert "cost 40.00 USD, the dataset card estimated 10.00 USD" in result.description
