"""Operations figures read from Dagster's event log: the run report and the cost ledger of a
combined dataset, and the stopwatch the clip step measures itself with.

The clip step records its figures as metadata (:class:`~basketball_assets.core.run_stats.GameStats`);
``combined_dataset`` reads every game's back from the instance, once per dataset, in pages.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dagster import AssetKey, DagsterInstance, EventLogRecord, Failure

from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.costs import CostLedger, Prices, TuningCost, game_costs
from basketball_assets.core.plays import Rejection
from basketball_assets.core.run_stats import (
    GameRun,
    GameStats,
    RunReport,
    bytes_needed,
    rejections_by_kind,
    room_problem,
)
from basketball_assets.resources.storage import Storage

GAME_CLIPS = AssetKey("game_clips")
TUNED_MODEL = AssetKey("tuned_model")
#: Event log records read per query.
PAGE = 1000


def cpu_seconds_so_far() -> float:
    """CPU seconds of this process and of its finished children (ffmpeg), user plus system."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@dataclass
class Stopwatch:
    """Wall and CPU seconds since it was started (CPU: this process and the ffmpeg it ran)."""

    wall_start: float
    cpu_start: float

    @classmethod
    def start(cls) -> Stopwatch:
        return cls(time.monotonic(), cpu_seconds_so_far())

    def wall_seconds(self) -> float:
        return time.monotonic() - self.wall_start

    def cpu_seconds(self) -> float:
        return cpu_seconds_so_far() - self.cpu_start


def check_room(
    game_id: str, storage: Storage, to_cut: list[PlannedClip], sources: dict[str, tuple[Path, float]]
) -> None:
    """Refuse, before cutting anything, a game whose clips would not fit on the scratch disk;
    ``sources`` are the half videos (local file, duration) by key."""
    if not to_cut:
        return  # nothing to write: a game already cut is never refused
    rates = {key: path.stat().st_size / max(duration, 0.001) for key, (path, duration) in sources.items()}
    needed = bytes_needed((clip.duration, rates[clip.video_key]) for clip in to_cut)
    keep_free = round(storage.min_free_gb * 1e9)
    problem = room_problem(game_id, len(to_cut), needed, storage.free_bytes(), keep_free, str(storage.scratch_root))
    if problem:
        # Not retried: the disk will not free itself within the retry delays.
        raise Failure(problem, allow_retries=False)


def game_stats(
    storage: Storage,
    cut: list[PlannedClip],
    skipped: list[str],
    rejections: list[Rejection],
    sources: dict[str, tuple[Path, float]],
    stopwatch: Stopwatch,
    sizes: dict[str, int],
) -> GameStats:
    """A clip run's figures: clips cut, skipped and rejected, bytes of the halves cut from and of the
    clips written, the wall and CPU seconds since ``stopwatch`` started (ffmpeg included), and the
    scratch disk's free bytes after it (a plot that warns before the disk fills)."""
    return GameStats(
        clips_cut=len(cut),
        clips_skipped=len(skipped),
        clip_seconds=sum(clip.duration for clip in cut),
        bytes_read=sum(sources[key][0].stat().st_size for key in {clip.video_key for clip in cut}),
        bytes_written=sum(sizes[clip.key] for clip in cut),
        wall_seconds=stopwatch.wall_seconds(),
        cpu_seconds=stopwatch.cpu_seconds(),
        rejected_by_reason=rejections_by_kind(rejections),
        scratch_disk_free_bytes=storage.free_bytes(),
    )


def records(instance: DagsterInstance, key: AssetKey, failed: bool = False) -> Iterator[EventLogRecord]:
    """Every materialization (or failed one) of ``key``, oldest first, read a page at a time."""
    fetch = instance.fetch_failed_materializations if failed else instance.fetch_materializations
    cursor = None
    while True:
        page = fetch(key, limit=PAGE, cursor=cursor, ascending=True)
        yield from page.records
        if not page.has_more:
            return
        cursor = page.cursor


def number(metadata: dict, key: str) -> float:
    """A numeric metadata value, 0 when absent or not a number (older materializations)."""
    entry = metadata.get(key)
    value = getattr(entry, "value", None)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


@dataclass
class GameHistory:
    """Each game's clip runs from the event log: every run's figures and the latest outcome."""

    runs: list[tuple[str, float, int]]
    latest: dict[str, GameRun]
    latest_success: dict[str, float]
    latest_failure: dict[str, float]

    @classmethod
    def read(cls, instance: DagsterInstance) -> GameHistory:
        history = cls([], {}, {}, {})
        for record in records(instance, GAME_CLIPS):
            event = record.asset_materialization
            if event is None or event.partition is None:
                continue
            meta = event.metadata
            game_id = event.partition
            history.runs.append((game_id, number(meta, "cut_cpu_seconds"), int(number(meta, "bytes_written"))))
            clips, rejected = int(number(meta, "clips")), int(number(meta, "rejected"))
            wall, cpu = number(meta, "cut_wall_seconds"), number(meta, "cut_cpu_seconds")
            history.latest[game_id] = GameRun(game_id, True, wall, cpu, clips, rejected)
            history.latest_success[game_id] = record.timestamp
        for record in records(instance, GAME_CLIPS, failed=True):
            if record.partition_key is not None:
                history.latest_failure[record.partition_key] = record.timestamp
        return history

    def report(self, games: list[str]) -> RunReport:
        """Each game's latest outcome: failed when its latest attempt failed or it never ran."""
        report = RunReport()
        for game_id in games:
            succeeded = self.latest_success.get(game_id, -1.0) > self.latest_failure.get(game_id, -1.0)
            latest = self.latest.get(game_id)
            report.games.append(latest if succeeded and latest else GameRun(game_id, False))
        return report

    def ledger(self, games: list[str], prices: Prices, tuning: TuningCost | None) -> CostLedger:
        wanted = set(games)
        return CostLedger(prices, game_costs(run for run in self.runs if run[0] in wanted), tuning)


def latest_tuning_cost(instance: DagsterInstance) -> TuningCost | None:
    """The latest ``tuned_model``'s actual billable tokens and cost, when it recorded them."""
    event = instance.get_latest_materialization_event(TUNED_MODEL)
    materialization = event.asset_materialization if event else None
    if materialization is None:
        return None
    meta = materialization.metadata
    if "billable_tokens" not in meta or "tuning_cost_usd" not in meta:
        return None
    return TuningCost(int(number(meta, "billable_tokens")), number(meta, "tuning_cost_usd"))
