"""deploy/dagster.yaml and the local dagster.yaml, checked against Dagster's own schemas."""

from pathlib import Path

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.storage.tags import PARTITION_NAME_TAG
from dagster._core.utils import make_new_run_id
from dagster._serdes import class_from_code_pointer
from dagster._utils.tags import TagConcurrencyLimitsCounter

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DAGSTER_PG_USERNAME": "dagster",
    "DAGSTER_PG_PASSWORD": "not-a-secret",
    "DAGSTER_PG_HOST": "10.0.0.3",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_COMPUTE_LOGS_BUCKET": "logs-bucket",
}


def configurable_classes(config: dict) -> dict[str, dict]:
    """The instance's pluggable parts: {name: {"module", "class", "config"}}."""
    return {
        name: value
        for name, value in config.items()
        if isinstance(value, dict) and "module" in value and "class" in value
    }


def assert_class_config_valid(name: str, part: dict) -> None:
    klass = class_from_code_pointer(part["module"], part["class"])
    result = process_config(klass.config_type(), part.get("config") or {})
    assert result.success, f"{name}: {[error.message for error in result.errors]}"


@pytest.mark.parametrize("folder", ["deploy", "."], ids=["production", "local"])
def test_instance_yaml_matches_dagsters_schema(folder, monkeypatch):
    for variable, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(variable, value)
    config, _ = dagster_instance_config(str(ROOT / folder))
    for name, part in configurable_classes(config).items():
        assert_class_config_valid(name, part)


def test_production_storage_is_postgres_with_credentials_from_the_environment(monkeypatch):
    from dagster_postgres import DagsterPostgresStorage

    for variable, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(variable, value)
    config, _ = dagster_instance_config(str(ROOT / "deploy"))
    postgres = config["storage"]["postgres"]
    result = process_config(DagsterPostgresStorage.config_type(), postgres)
    assert result.success, [error.message for error in result.errors]
    assert result.value["postgres_db"]["password"] == "not-a-secret"
    raw = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    assert raw["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}


def test_production_runs_launch_as_kubernetes_jobs(monkeypatch):
    config, _ = dagster_instance_config(str(ROOT / "deploy"))
    assert (config["run_launcher"]["module"], config["run_launcher"]["class"]) == ("dagster_k8s", "K8sRunLauncher")
    assert config["compute_logs"]["class"] == "GCSComputeLogManager"


def test_a_typo_in_the_instance_yaml_is_caught(tmp_path):
    bad = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    bad["run_launcher"]["config"]["job_namespcae"] = bad["run_launcher"]["config"].pop("job_namespace")
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(bad))
    config, _ = dagster_instance_config(str(tmp_path))
    with pytest.raises(AssertionError, match="job_namespcae"):
        assert_class_config_valid("run_launcher", config["run_launcher"])


# --- one run per game at a time ---------------------------------------------------------


def queued_run(tags: dict[str, str]) -> DagsterRun:
    return DagsterRun(job_name="__ASSET_JOB", run_id=make_new_run_id(), tags=tags)


@pytest.mark.parametrize("folder", ["deploy", "."], ids=["production", "local"])
def test_the_run_queue_runs_one_run_per_game_at_a_time_and_never_holds_the_dataset_back(folder, monkeypatch):
    for variable, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(variable, value)
    config, _ = dagster_instance_config(str(ROOT / folder))
    tag_limits = config["concurrency"]["runs"]["tag_concurrency_limits"]

    # Dagster's own dequeue rule, with this instance's limits: one game's run in progress...
    in_progress = [queued_run({PARTITION_NAME_TAG: "game-a"}), queued_run({})]
    limits = TagConcurrencyLimitsCounter(tag_limits, in_progress)
    # ...holds back a second run of that game, but not another game's, nor unpartitioned runs
    # (combined_dataset, tuned_model), even while one of those is in progress too.
    assert limits.is_blocked(queued_run({PARTITION_NAME_TAG: "game-a"}))
    assert not limits.is_blocked(queued_run({PARTITION_NAME_TAG: "game-b"}))
    assert not limits.is_blocked(queued_run({}))
    assert not limits.is_blocked(queued_run({"dagster/backfill": "b1"}))


def test_the_helm_values_carry_the_same_per_game_limit():
    values = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())
    production = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    (per_game,) = [
        limit for limit in values["concurrency"]["runs"]["tagConcurrencyLimits"] if limit["key"] == PARTITION_NAME_TAG
    ]
    assert per_game in production["concurrency"]["runs"]["tag_concurrency_limits"]
