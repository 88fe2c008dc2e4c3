"""deploy/dagster.yaml and the local dagster.yaml, checked against Dagster's own schemas."""

from pathlib import Path

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes import class_from_code_pointer

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
