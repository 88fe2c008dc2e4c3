"""The definitions load, and every asset, check, sensor, job and resource is there by name.

Checked through the public ``Definitions`` object only, both the module's ``defs`` (what
``dagster dev`` loads) and ``build_definitions`` given a local environment, so that a
definition lost in a refactoring fails here rather than in the UI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    DynamicPartitionsDefinition,
)

from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.definitions import build_definitions, defs
from basketball_assets.settings import Settings

GAME_ASSETS = {"supabase_plays", "game_plays", "game_clips", "game_training_data"}
DATASET_ASSETS = {"combined_dataset", "tuned_model", "model_evaluation"}
ASSETS = GAME_ASSETS | DATASET_ASSETS

#: Every asset check as (asset, check name).
CHECKS = {
    ("game_clips", "no_rejected_plays"),
    ("game_training_data", "examples_match_clips"),
    ("combined_dataset", "splits_are_disjoint"),
    ("combined_dataset", "no_duplicate_examples"),
    ("combined_dataset", "every_game_present"),
    ("combined_dataset", "within_tuning_limits"),
    ("tuned_model", "no_examples_dropped"),
    ("model_evaluation", "beats_base"),
    ("model_evaluation", "beats_champion"),
    ("combined_dataset", "no_games_waiting"),
    ("supabase_plays", "plays_sensor_ticking"),
    ("tuned_model", "tuning_cost_ledger"),
}
#: The checks whose failure stops the run before downstream assets materialize.
BLOCKING_CHECKS = {("combined_dataset", "splits_are_disjoint"), ("combined_dataset", "no_duplicate_examples")}

PLAYS_SENSOR = "supabase_plays_sensor"
AUTOMATION_SENSOR = "games_automation"
#: The one Dagster builds implicitly for materializing assets from the UI, and the freshness checks'.
JOBS = {"__ASSET_JOB", "freshness_checks"}
FRESHNESS_SCHEDULE = "freshness_checks_schedule"
RESOURCES = {"storage", "plays_source", "registry", "video", "vertex", "prediction"}


def local_definitions(data_dir: Path) -> Definitions:
    """The definitions as built for a machine with only a local data folder set."""
    return build_definitions(Settings.from_environ({"BASKETBALL_DATA_DIR": str(data_dir)}))


@pytest.fixture(params=["module", "local"])
def definitions(request: pytest.FixtureRequest, tmp_path: Path) -> Definitions:
    """``basketball_assets.definitions.defs``, and the definitions built for a local environment."""
    return defs if request.param == "module" else local_definitions(tmp_path / "data")


def check_keys(definitions: Definitions) -> set[tuple[str, str]]:
    return {(key.asset_key.to_user_string(), key.name) for key in definitions.resolve_asset_graph().asset_check_keys}


def test_the_definitions_load(definitions):
    Definitions.validate_loadable(definitions)


def test_every_asset_is_defined(definitions):
    assert {key.to_user_string() for key in definitions.resolve_all_asset_keys()} == ASSETS


def test_every_asset_check_is_defined_on_its_asset(definitions):
    assert check_keys(definitions) == CHECKS


def test_only_the_combined_datasets_leakage_and_duplicate_checks_block(definitions):
    blocking = {
        (spec.asset_key.to_user_string(), spec.name)
        for assets_def in definitions.resolve_asset_graph().assets_defs
        for spec in assets_def.check_specs
        if spec.blocking
    }

    assert blocking == BLOCKING_CHECKS


def test_the_plays_sensor_and_the_automation_sensor_are_defined_and_off_by_default(definitions):
    assert {sensor.name for sensor in definitions.sensors} == {PLAYS_SENSOR, AUTOMATION_SENSOR}
    assert isinstance(definitions.resolve_sensor_def(AUTOMATION_SENSOR), AutomationConditionSensorDefinition)
    for name in (PLAYS_SENSOR, AUTOMATION_SENSOR):
        assert definitions.resolve_sensor_def(name).default_status == DefaultSensorStatus.STOPPED


def test_the_jobs_are_the_implicit_asset_job_and_the_freshness_checks_scheduled_only_once_started(definitions):
    assert {job.name for job in definitions.resolve_all_job_defs()} == JOBS
    assert not definitions.jobs
    assert [schedule.name for schedule in definitions.schedules] == [FRESHNESS_SCHEDULE]
    assert definitions.resolve_schedule_def(FRESHNESS_SCHEDULE).default_status == DefaultScheduleStatus.STOPPED


def test_every_resource_is_bound(definitions):
    assert set(definitions.resources) == RESOURCES


def test_the_paid_steps_are_materialized_only_on_request(definitions):
    graph = definitions.resolve_asset_graph()

    for name in ("tuned_model", "model_evaluation"):
        assert graph.get(AssetKey(name)).automation_condition is None, name


def test_the_game_assets_are_partitioned_by_game_and_the_dataset_assets_are_not(definitions):
    specs = {spec.key.to_user_string(): spec for spec in definitions.resolve_all_asset_specs()}

    for name in GAME_ASSETS:
        partitions = specs[name].partitions_def
        assert isinstance(partitions, DynamicPartitionsDefinition), name
        assert partitions.name == "games", name
    for name in DATASET_ASSETS:
        assert specs[name].partitions_def is None, name


def test_the_game_assets_and_the_dataset_assets_have_their_groups(definitions):
    groups = {spec.key.to_user_string(): spec.group_name for spec in definitions.resolve_all_asset_specs()}

    assert groups == dict.fromkeys(GAME_ASSETS, "games") | dict.fromkeys(DATASET_ASSETS, "dataset")


def test_a_local_environment_keeps_data_and_plays_in_its_data_folder(tmp_path):
    data_dir = tmp_path / "data"
    resources = local_definitions(data_dir).resources

    assert resources["storage"].uri("") == (data_dir / "uball-training-data").resolve().as_uri()
    assert str((data_dir / "plays.sqlite3").resolve()) in resources["plays_source"].describe()


# --- settings: read once, passed to the conditions and sensors ----------------------------


def crons_in(condition: AutomationCondition) -> list[str]:
    """The cron schedules of every ``cron_tick_passed`` inside ``condition``."""
    own = [condition.cron_schedule] if hasattr(condition, "cron_schedule") else []
    return own + [cron for child in condition.children for cron in crons_in(child)]


def dataset_crons(defs: Definitions) -> list[str]:
    condition = defs.resolve_asset_graph().get(combined_dataset.key).automation_condition
    assert condition is not None
    return crons_in(condition)


def test_the_combined_dataset_refreshes_on_the_configured_cron():
    defs = build_definitions(Settings.from_environ({"BASKETBALL_DATASET_REFRESH_CRON": "*/5 * * * *"}))

    assert dataset_crons(defs) == ["*/5 * * * *"]


def test_the_loaded_definitions_use_the_cron_of_this_environment():
    assert dataset_crons(defs) == [Settings.from_environ().dataset_refresh_cron]


def test_importing_the_asset_reads_no_settings():
    """The condition is put on in the definitions, not by the ``@asset`` decorator at import time."""
    assert combined_dataset.automation_conditions_by_key.get(combined_dataset.key) is None


def test_sensors_keep_their_names_and_default_status_and_take_their_intervals_from_the_settings():
    environ = {"BASKETBALL_PLAYS_SENSOR_INTERVAL_SECONDS": "7", "BASKETBALL_AUTOMATION_INTERVAL_SECONDS": "11"}
    configured = build_definitions(Settings.from_environ(environ))
    default = build_definitions(Settings())

    for built, intervals in ((configured, (7, 11)), (default, (60, 30))):
        sensors = [built.resolve_sensor_def(name) for name in ("supabase_plays_sensor", "games_automation")]
        assert tuple(sensor.minimum_interval_seconds for sensor in sensors) == intervals
        assert {sensor.default_status for sensor in sensors} == {DefaultSensorStatus.STOPPED}
