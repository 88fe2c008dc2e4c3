"""Freshness checks: games waiting for the next combined dataset, and the plays sensor's ticks.

Both read Dagster's instance only (the event log, the sensor's ticks), so they are cheap; the
``freshness_checks`` job runs them, on the ``freshness_checks_schedule`` once it is started.
A failed one is a warning, and is posted to Slack when alerts are on.
"""

import time

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    AssetSelection,
    Config,
    DagsterInstance,
    DefaultScheduleStatus,
    MetadataValue,
    ScheduleDefinition,
    asset_check,
    define_asset_job,
)
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType, TickStatus
from pydantic import Field

from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.assets.plays import supabase_plays
from basketball_assets.core.freshness import SensorTicks, tick_problem, waiting_games
from basketball_assets.core.ids import shown_id
from basketball_assets.core.report import markdown_table
from basketball_assets.sensors import PLAYS_SENSOR_NAME
from basketball_assets.settings import Settings

GAME_TRAINING_DATA = AssetKey("game_training_data")
#: Event log records read per query.
PAGE = 1000


class WaitingGamesConfig(Config):
    """Settings of the ``no_games_waiting`` check."""

    max_wait_minutes: float = Field(
        default=60.0, gt=0, description="Longest a game's new training data may wait for the next combined dataset."
    )


class PlaysSensorConfig(Config):
    """Settings of the ``plays_sensor_ticking`` check."""

    max_tick_age_minutes: float = Field(
        default=15.0, gt=0, description="Longest time since the plays sensor's last successful tick."
    )


def game_times_after(instance: DagsterInstance, after_storage_id: int | None) -> dict[str, float]:
    """Each game's latest ``game_training_data`` materialization time after ``after_storage_id``."""
    times: dict[str, float] = {}
    records_filter = AssetRecordsFilter(asset_key=GAME_TRAINING_DATA, after_storage_id=after_storage_id)
    cursor = None
    while True:
        page = instance.fetch_materializations(records_filter, limit=PAGE, cursor=cursor, ascending=True)
        for record in page.records:
            if record.partition_key is not None:
                times[record.partition_key] = record.timestamp
        if not page.has_more:
            return times
        cursor = page.cursor


@asset_check(asset=combined_dataset)
def no_games_waiting(context: AssetCheckExecutionContext, config: WaitingGamesConfig) -> AssetCheckResult:
    """No game's training data has waited more than `max_wait_minutes` for the next combined
    dataset (games materialized after the newest `combined_dataset`); a warning naming them."""
    latest = context.instance.fetch_materializations(combined_dataset.key, limit=1).records
    combined_time = latest[0].timestamp if latest else None
    times = game_times_after(context.instance, latest[0].storage_id if latest else None)
    waiting = waiting_games(times, combined_time, time.time(), config.max_wait_minutes * 60)
    rows = ((shown_id(game), f"{seconds / 60:.0f}") for game, seconds in waiting)
    description = (
        f"{len(waiting)} games' new training data waited more than {config.max_wait_minutes:g} minutes for "
        "combined_dataset: materialize it (or check the games_automation sensor)"
        if waiting
        else "no game waits for the next combined dataset"
    )
    return AssetCheckResult(
        passed=not waiting,
        severity=AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "games_newer_than_dataset": len(times),
            "games_waiting": len(waiting),
            "longest_wait_minutes": round(waiting[0][1] / 60, 1) if waiting else 0.0,
            "waiting": MetadataValue.md(markdown_table(["game", "minutes waiting"], rows) if waiting else "none"),
        },
    )


def sensor_ticks(instance: DagsterInstance, name: str) -> SensorTicks | None:
    """What the instance knows of sensor ``name`` (in any code location; the latest wins)."""
    states = [
        state
        for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        if state.instigator_name == name
    ]
    if not states:
        return None
    running = any(state.status in (InstigatorStatus.RUNNING, InstigatorStatus.DECLARED_IN_CODE) for state in states)
    latest, ok = [], []
    for state in states:
        latest += instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
        ok += instance.get_ticks(
            state.instigator_origin_id, state.selector_id, limit=1, statuses=[TickStatus.SUCCESS, TickStatus.SKIPPED]
        )
    last = max(latest, key=lambda tick: tick.timestamp, default=None)
    return SensorTicks(
        running=running,
        last_ok=max((tick.timestamp for tick in ok), default=None),
        last_status=last.status.value if last else None,
        last_time=last.timestamp if last else None,
        last_error=last.error.message if last and last.error else None,
    )


@asset_check(asset=supabase_plays.key)
def plays_sensor_ticking(context: AssetCheckExecutionContext, config: PlaysSensorConfig) -> AssetCheckResult:
    """The plays sensor is running and its last successful tick (with or without new plays) is at
    most `max_tick_age_minutes` old; a warning saying what is wrong and what to do."""
    ticks = sensor_ticks(context.instance, PLAYS_SENSOR_NAME)
    now = time.time()
    problem = tick_problem(PLAYS_SENSOR_NAME, ticks, now, config.max_tick_age_minutes * 60)
    age = round((now - ticks.last_ok) / 60, 1) if ticks and ticks.last_ok else -1.0
    return AssetCheckResult(
        passed=problem is None,
        severity=AssetCheckSeverity.WARN,
        description=problem or f"sensor {PLAYS_SENSOR_NAME} last succeeded {age:g} minutes ago",
        metadata={"minutes_since_last_successful_tick": age, "sensor_running": bool(ticks and ticks.running)},
    )


FRESHNESS_CHECKS = [no_games_waiting, plays_sensor_ticking]


def build_freshness_schedule(settings: Settings) -> ScheduleDefinition:
    """The freshness checks, run on ``settings.freshness_cron`` once the schedule is started."""
    job = define_asset_job(
        "freshness_checks",
        selection=AssetSelection.checks(*FRESHNESS_CHECKS),
        description="The freshness checks alone: games waiting for combined_dataset, the plays sensor's ticks.",
    )
    return ScheduleDefinition(
        name="freshness_checks_schedule",
        job=job,
        cron_schedule=settings.freshness_cron,
        default_status=DefaultScheduleStatus.STOPPED,
    )
