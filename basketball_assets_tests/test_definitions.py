"""The definitions take their settings from one ``Settings`` object: the combined dataset's
refresh cron and both sensors' intervals, with the sensors' names and default status as before."""

from dagster import AutomationCondition, DefaultSensorStatus, Definitions

from basketball_assets import definitions
from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.settings import Settings


def crons_in(condition: AutomationCondition) -> list[str]:
    """The cron schedules of every ``cron_tick_passed`` inside ``condition``."""
    own = [condition.cron_schedule] if hasattr(condition, "cron_schedule") else []
    return own + [cron for child in condition.children for cron in crons_in(child)]


def dataset_crons(defs: Definitions) -> list[str]:
    condition = defs.resolve_asset_graph().get(combined_dataset.key).automation_condition
    assert condition is not None
    return crons_in(condition)


def test_the_combined_dataset_refreshes_on_the_configured_cron():
    defs = definitions.build_definitions(Settings.from_environ({"BASKETBALL_DATASET_REFRESH_CRON": "*/5 * * * *"}))

    assert dataset_crons(defs) == ["*/5 * * * *"]


def test_the_loaded_definitions_use_the_cron_of_this_environment():
    assert dataset_crons(definitions.defs) == [Settings.from_environ().dataset_refresh_cron]


def test_importing_the_asset_reads_no_settings():
    """The condition is put on in the definitions, not by the ``@asset`` decorator at import time."""
    assert combined_dataset.automation_conditions_by_key.get(combined_dataset.key) is None


def test_sensors_keep_their_names_and_default_status_and_take_their_intervals_from_the_settings():
    environ = {"BASKETBALL_PLAYS_SENSOR_INTERVAL_SECONDS": "7", "BASKETBALL_AUTOMATION_INTERVAL_SECONDS": "11"}
    configured = definitions.build_definitions(Settings.from_environ(environ))
    default = definitions.build_definitions(Settings())

    for defs, intervals in ((configured, (7, 11)), (default, (60, 30))):
        sensors = [defs.resolve_sensor_def(name) for name in ("supabase_plays_sensor", "games_automation")]
        assert tuple(sensor.minimum_interval_seconds for sensor in sensors) == intervals
        assert {sensor.default_status for sensor in sensors} == {DefaultSensorStatus.STOPPED}
