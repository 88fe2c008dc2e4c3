"""LocalModelRegistry: tuned_models rows in a real SQLite file, read back."""

from __future__ import annotations

import sqlite3

import pytest

from basketball_assets.core.registry import TunedModelRecord
from basketball_assets.resources.registry import LocalModelRegistry


@pytest.fixture
def registry(tmp_path) -> LocalModelRegistry:
    return LocalModelRegistry(path=str(tmp_path / "plays.sqlite3"))


def record(job: str, created_at: str, **fields) -> TunedModelRecord:
    return TunedModelRecord(
        job_name=f"projects/p/locations/us-central1/tuningJobs/{job}",
        model_name=f"projects/p/locations/us-central1/models/{job}@1",
        endpoint_name=f"projects/p/locations/us-central1/endpoints/{job}",
        base_model="gemini-2.5-pro",
        dataset_version="v1",
        hyperparameters={"epoch_count": 3},
        created_at=created_at,
        **fields,
    )


def test_a_row_reads_back_as_written(registry, tmp_path):
    written = record("1", "2026-11-30T10:00:00+00:00", billable_tokens=1234, cost_usd=0.5)
    registry.record_model(written)
    assert registry.get(written.job_name) == written
    with sqlite3.connect(tmp_path / "plays.sqlite3") as db:  # the table itself, not only the resource's view
        assert db.execute("SELECT hyperparameters, billable_tokens FROM tuned_models").fetchall() == [
            ('{"epoch_count": 3}', 1234)
        ]


def test_a_rerun_updates_its_own_row_and_keeps_the_evaluation(registry):
    first = record("1", "2026-11-30T10:00:00+00:00")
    registry.record_model(first)
    registry.record_evaluation(first.job_name, {"rouge_l": 0.4}, champion=True)
    registry.record_model(record("1", "2026-11-30T10:00:00+00:00", billable_tokens=99))
    (only,) = registry.models()
    assert (only.billable_tokens, only.evaluation, only.champion) == (99, {"rouge_l": 0.4}, True)


def test_there_is_one_champion_at_a_time(registry):
    first, second = record("1", "2026-11-30T10:00:00+00:00"), record("2", "2026-11-30T11:00:00+00:00")
    registry.record_model(first)
    registry.record_model(second)
    assert registry.champion() is None
    registry.record_evaluation(first.job_name, {"rouge_l": 0.4}, champion=True)
    registry.record_evaluation(second.job_name, {"rouge_l": 0.5}, champion=True)
    assert registry.champion().job_name == second.job_name
    assert [model.champion for model in registry.models()] == [False, True]


def test_an_evaluation_that_loses_leaves_the_champion(registry):
    first, second = record("1", "2026-11-30T10:00:00+00:00"), record("2", "2026-11-30T11:00:00+00:00")
    registry.record_model(first)
    registry.record_model(second)
    registry.record_evaluation(first.job_name, {"rouge_l": 0.4}, champion=True)
    registry.record_evaluation(second.job_name, {"rouge_l": 0.3}, champion=False)
    assert registry.champion().job_name == first.job_name
    assert registry.get(second.job_name).evaluation == {"rouge_l": 0.3}


def test_evaluating_an_unknown_job_says_what_to_do(registry):
    with pytest.raises(KeyError, match="materialize tuned_model"):
        registry.record_evaluation("projects/p/locations/l/tuningJobs/none", {}, champion=False)
