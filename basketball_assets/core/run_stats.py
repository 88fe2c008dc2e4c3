"""Statistics of one game's clip step, and the run report over every game of a combined dataset.

``GameStats`` becomes numeric metadata on ``game_clips`` (so the UI plots it across
materializations); ``RunReport`` gathers each game's latest figures into the combined
dataset's report: games, their success, the slowest ones and the most rejected ones.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from basketball_assets.core.dataset_card import rejection_kind
from basketball_assets.core.plays import Rejection
from basketball_assets.core.report import markdown_table

#: The prefix of the metadata keys counting rejected clips by kind of reason.
REJECTED_PREFIX = "rejected_by_reason/"
#: Games listed in each of the run report's tables.
REPORT_ROWS = 10


@dataclass(frozen=True)
class GameStats:
    """What one materialization of ``game_clips`` did and what it cost the machine."""

    clips_cut: int
    clips_skipped: int
    clip_seconds: float
    bytes_read: int
    bytes_written: int
    wall_seconds: float
    cpu_seconds: float
    rejected_by_reason: Mapping[str, int] = field(default_factory=dict)
    scratch_disk_free_bytes: int | None = None

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    @property
    def clip_seconds_per_cpu_second(self) -> float:
        """Seconds of clip cut per CPU second spent cutting; 0 when nothing was cut."""
        return self.clip_seconds / self.cpu_seconds if self.cpu_seconds > 0 else 0.0

    def metadata(self) -> dict[str, float | int]:
        """Plain numbers under stable keys, so the UI plots each across materializations (the counts of
        clips cut, skipped and rejected are the step's ``cut``, ``skipped_unchanged`` and ``rejected``)."""
        numbers: dict[str, float | int] = {
            "cut_clip_seconds": round(self.clip_seconds, 3),
            "bytes_read": self.bytes_read,
            "bytes_written": self.bytes_written,
            "cut_wall_seconds": round(self.wall_seconds, 3),
            "cut_cpu_seconds": round(self.cpu_seconds, 3),
            "clip_seconds_per_cpu_second": round(self.clip_seconds_per_cpu_second, 3),
        }
        if self.scratch_disk_free_bytes is not None:
            numbers["scratch_disk_free_bytes"] = self.scratch_disk_free_bytes
        for kind, count in sorted(self.rejected_by_reason.items()):
            numbers[REJECTED_PREFIX + slug(kind)] = count
        return numbers


def rejections_by_kind(rejections: Iterable[Rejection]) -> dict[str, int]:
    """Rejected clips per kind of reason (the dataset card's groups)."""
    return dict(Counter(rejection_kind(rejection.reason) for rejection in rejections))


def slug(text: str) -> str:
    """``text`` as a metadata key segment: lower case words joined by ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "other"


@dataclass(frozen=True)
class GameRun:
    """One game's latest clip step as the run report sees it."""

    game_id: str
    succeeded: bool
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    clips: int = 0
    rejected: int = 0


@dataclass
class RunReport:
    """Every game's latest clip step: how many succeeded, the slowest, the most rejected."""

    games: list[GameRun] = field(default_factory=list)

    @property
    def succeeded(self) -> int:
        return sum(game.succeeded for game in self.games)

    @property
    def failed(self) -> list[str]:
        return sorted(game.game_id for game in self.games if not game.succeeded)

    def slowest(self, count: int = REPORT_ROWS) -> list[GameRun]:
        done = [game for game in self.games if game.succeeded]
        return sorted(done, key=lambda game: (-game.wall_seconds, game.game_id))[:count]

    def most_rejected(self, count: int = REPORT_ROWS) -> list[GameRun]:
        rejected = [game for game in self.games if game.rejected]
        return sorted(rejected, key=lambda game: (-game.rejected, game.game_id))[:count]

    def metadata(self) -> dict[str, int]:
        return {"report_games": len(self.games), "report_games_succeeded": self.succeeded}

    def markdown(self) -> str:
        """The report as Markdown: counts, failed games, then the two top-N tables."""
        lines = [f"{self.succeeded} of {len(self.games)} games' latest clip step succeeded."]
        if self.failed:
            shown = ", ".join(self.failed[:REPORT_ROWS])
            more = f" and {len(self.failed) - REPORT_ROWS} more" if len(self.failed) > REPORT_ROWS else ""
            lines.append(f"\nFailed or never materialized: {shown}{more}.")
        slow = ((g.game_id, f"{g.wall_seconds:.1f}", f"{g.cpu_seconds:.1f}", g.clips) for g in self.slowest())
        lines += ["", "Slowest games:", "", markdown_table(["game", "wall s", "CPU s", "clips"], slow)]
        rejected = ((g.game_id, g.rejected, g.clips) for g in self.most_rejected())
        lines += ["", "Most rejected games:", ""]
        lines.append(markdown_table(["game", "clips rejected", "clips"], rejected) if self.most_rejected() else "none")
        return "\n".join(lines)


#: Room asked for per clip byte expected: a re-encoded clip can exceed its source's bitrate,
#: and each clip sits in scratch and under its final name at once for a moment.
ROOM_FACTOR = 2.0


def bytes_needed(clips: Iterable[tuple[float, float]]) -> int:
    """Disk room for clips given as ``(clip seconds, source video bytes per second)``, with margin."""
    return round(sum(seconds * rate for seconds, rate in clips) * ROOM_FACTOR)


def room_problem(game_id: str, clips: int, needed: int, free: int, keep_free: int, where: str) -> str | None:
    """Why the game must not start cutting for lack of disk room (the figures, what to do); ``None``: it fits."""
    if free - needed >= keep_free:
        return None
    return (
        f"game {game_id}: not enough disk room to cut its {clips} clips: about {needed / 1e6:,.1f} MB needed, "
        f"{free / 1e6:,.1f} MB free at {where}, and {keep_free / 1e6:,.1f} MB are kept free (storage's "
        "min_free_gb). Free some space there (old videos, data of removed games) or lower min_free_gb, then "
        "materialize the game again; nothing was cut"
    )
