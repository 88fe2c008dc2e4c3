"""The freshness checks on a real Dagster instance: materializations in its event log, and
the plays sensor's state and ticks in its schedule storage."""

import time

import pytest
from dagster import AssetMaterialization, DagsterInstance, build_asset_check_context, instance_for_test
from dagster._core.definitions.selector import InstigatorSelector
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteInstigatorOrigin, RemoteRepositoryOrigin
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    SensorInstigatorData,
    TickData,
    TickStatus,
)
from dagster._utils.error import SerializableErrorInfo

from basketball_assets.freshness import (
    PlaysSensorConfig,
    WaitingGamesConfig,
    no_games_waiting,
    plays_sensor_ticking,
)
from basketball_assets.sensors import PLAYS_SENSOR_NAME

LOCATION, REPOSITORY = "basketball_assets", "__repository__"


@pytest.fixture(scope="module")
def instance() -> DagsterInstance:
    with instance_for_test() as instance:
        yield instance


def materialized(instance: DagsterInstance, asset: str, partition: str | None = None) -> None:
    instance.report_runless_asset_event(AssetMaterialization(asset, partition=partition))


def test_a_game_newer_than_the_combined_dataset_and_waiting_too_long_is_named(instance):
    materialized(instance, "game_training_data", "game-before")
    materialized(instance, "combined_dataset")
    materialized(instance, "game_training_data", "game-after")
    context = build_asset_check_context(instance=instance)
    # Any wait is too long here: the game materialized after the dataset is waiting.
    result = no_games_waiting(context, WaitingGamesConfig(max_wait_minutes=1e-9))
    assert not result.passed and result.severity.value == "WARN"
    assert result.metadata["games_waiting"].value == 1
    assert "game-after" in result.metadata["waiting"].value and "game-before" not in result.metadata["waiting"].value
    assert no_games_waiting(context, WaitingGamesConfig(max_wait_minutes=60)).passed


def add_plays_sensor(instance: DagsterInstance, status: InstigatorStatus) -> tuple[str, str]:
    """The plays sensor's state as `dagster sensor start` stores it; its origin and selector ids."""
    origin = RemoteInstigatorOrigin(
        RemoteRepositoryOrigin(RegisteredCodeLocationOrigin(LOCATION), REPOSITORY), PLAYS_SENSOR_NAME
    )
    data = SensorInstigatorData(min_interval=60, sensor_type=None)
    instance.add_instigator_state(InstigatorState(origin, InstigatorType.SENSOR, status, data))
    selector = InstigatorSelector(location_name=LOCATION, repository_name=REPOSITORY, name=PLAYS_SENSOR_NAME)
    return origin.get_id(), selector.get_id()


def add_tick(instance: DagsterInstance, ids: tuple[str, str], status: TickStatus, age_s: float, error=None) -> None:
    instance.create_tick(
        TickData(
            instigator_origin_id=ids[0],
            instigator_name=PLAYS_SENSOR_NAME,
            instigator_type=InstigatorType.SENSOR,
            status=status,
            timestamp=time.time() - age_s,
            selector_id=ids[1],
            error=error,
            run_ids=[],
            run_keys=[],
        )
    )


def check_sensor(instance: DagsterInstance):
    return plays_sensor_ticking(
        build_asset_check_context(instance=instance), PlaysSensorConfig(max_tick_age_minutes=15)
    )


def test_the_plays_sensor_check_reads_the_last_successful_tick_from_the_instance(instance):
    assert "has never run" in check_sensor(instance).description
    ids = add_plays_sensor(instance, InstigatorStatus.RUNNING)
    add_tick(instance, ids, TickStatus.SKIPPED, age_s=3600)  # no new plays, an hour ago
    error = SerializableErrorInfo("PostgREST answered 503: the plays table is unreachable", [], "HTTPError")
    add_tick(instance, ids, TickStatus.FAILURE, age_s=30, error=error)
    result = check_sensor(instance)
    assert not result.passed and result.severity.value == "WARN"
    assert "last successful tick was 60 minutes ago" in result.description
    assert "latest tick FAILURE: PostgREST answered 503" in result.description
    add_tick(instance, ids, TickStatus.SUCCESS, age_s=5)
    result = check_sensor(instance)
    assert result.passed and result.metadata["minutes_since_last_successful_tick"].value < 15
    # Stopped: whatever its ticks, new plays are not picked up.
    instance.update_instigator_state(instance.all_instigator_state()[0].with_status(InstigatorStatus.STOPPED))
    result = check_sensor(instance)
    assert not result.passed and f"dagster sensor start {PLAYS_SENSOR_NAME}" in result.description
