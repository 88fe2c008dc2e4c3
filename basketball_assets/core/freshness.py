"""Freshness arithmetic: games waiting for the next combined dataset, and the plays sensor's ticks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


def waiting_games(
    game_times: Mapping[str, float], combined_time: float | None, now: float, max_wait_s: float
) -> list[tuple[str, float]]:
    """Games materialized after the newest combined dataset (``combined_time``, ``None``: none yet)
    that have waited more than ``max_wait_s`` for it: ``(game, seconds waited)``, longest first."""
    waiting = [
        (game, now - time)
        for game, time in game_times.items()
        if (combined_time is None or time > combined_time) and now - time > max_wait_s
    ]
    return sorted(waiting, key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class SensorTicks:
    """What the instance knows of a sensor: whether it runs, its latest tick and latest successful one."""

    running: bool
    last_ok: float | None = None
    last_status: str | None = None
    last_time: float | None = None
    last_error: str | None = None


def tick_problem(name: str, ticks: SensorTicks | None, now: float, max_age_s: float) -> str | None:
    """Why the sensor is not keeping up, with what to do; ``None`` when its last successful tick is recent."""
    start = f"start it in the UI (Automation, {name}) or with `dagster sensor start {name}`"
    if ticks is None:
        return f"sensor {name} has never run: {start}"
    if not ticks.running:
        return f"sensor {name} is stopped, so new plays are not picked up: {start}"
    if ticks.last_ok is not None and now - ticks.last_ok <= max_age_s:
        return None
    since = "never" if ticks.last_ok is None else f"{(now - ticks.last_ok) / 60:.0f} minutes ago"
    latest = f"; its latest tick {ticks.last_status}" if ticks.last_status else ""
    error = f": {' '.join((ticks.last_error or '').split())[:300]}" if ticks.last_error else ""
    return (
        f"sensor {name}'s last successful tick was {since} (more than {max_age_s / 60:.0f} minutes){latest}{error}. "
        "Check that the Dagster daemon is running (`dagster-daemon run`, or dagster dev) and the sensor's ticks "
        "in the UI"
    )
