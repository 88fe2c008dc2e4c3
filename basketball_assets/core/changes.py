"""Changes in the plays table: which games got new or edited plays since the last look.

The plays sensor polls the table by when rows were written (``updated_at`` where the
row has it, else ``created_at``). Polling by a timestamp alone misses rows: a row can be
committed after rows with later timestamps (a long transaction), or share its timestamp
with rows already read. So the sensor re-reads an overlap window before its high-water
mark every time and remembers which rows of that window it has already seen.

Polling by write time cannot see a deleted row, nor an edit that kept its timestamp
(no ``updated_at``) once it is older than the window. So every so often (the full scan)
the sensor hashes every game's rows and compares them with what it last reported.

Everything here is pure: rows in, decisions out. What a row is (its columns, when it was
written, its hashes) is :mod:`basketball_assets.core.play_rows`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from basketball_assets.core.ids import SAFE_ID_RULE, id_problem, shown_id
from basketball_assets.core.play_rows import BadPlayRow, require_timestamp, row_mark, written_at

#: Default overlap window: rows committed up to this long after their timestamp are caught.
DEFAULT_OVERLAP = timedelta(minutes=5)

#: Default time between full scans of the table (deleted rows, edits without updated_at).
DEFAULT_FULL_SCAN_EVERY = timedelta(hours=1)

#: Above this many changed games one read of the whole table beats one read per game.
FULL_READ_ABOVE_GAMES = 50


@dataclass(frozen=True)
class PlaysCursor:
    """Where the plays sensor is: the latest write time it has seen, the rows of the
    overlap window before it that it has already counted (as :func:`row_mark` hashes),
    and when it last scanned the whole table."""

    high_water: datetime | None = None
    seen: frozenset[str] = field(default_factory=frozenset)
    last_full_scan: datetime | None = None

    def to_json(self) -> str:
        """The cursor as compact JSON, as the sensor stores it between ticks."""
        return json.dumps(
            {
                "high_water": self.high_water.isoformat() if self.high_water else None,
                "seen": sorted(self.seen),
                "last_full_scan": self.last_full_scan.isoformat() if self.last_full_scan else None,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> PlaysCursor:
        """The cursor stored by :meth:`to_json`; a missing or unreadable one starts over."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            high_water = require_timestamp(data["high_water"]) if data.get("high_water") else None
            last_full_scan = require_timestamp(data["last_full_scan"]) if data.get("last_full_scan") else None
            seen = frozenset(str(mark) for mark in data.get("seen", []))
            return cls(high_water=high_water, seen=seen, last_full_scan=last_full_scan)
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls()

    def window_start(self, overlap: timedelta) -> datetime | None:
        """The earliest write time the next poll must read; ``None`` means the whole table."""
        return None if self.high_water is None else self.high_water - overlap


def full_scan_due(cursor: PlaysCursor, now: datetime, every: timedelta | None) -> bool:
    """Whether this tick hashes the whole table: on a fresh cursor (the poll reads every
    row anyway), and once ``every`` has passed since the last full scan. ``None`` or a
    zero ``every`` turns the periodic scan off."""
    if cursor.high_water is None:
        return True
    if not every:
        return False
    return cursor.last_full_scan is None or now - cursor.last_full_scan >= every


def poll_since(cursor: PlaysCursor, overlap: timedelta = DEFAULT_OVERLAP) -> str | None:
    """The ``since`` to ask the plays source for: the window start, rounded down to the
    second and written ``YYYY-MM-DDTHH:MM:SS+00:00``.

    Rounding down only reads a little more; the whole-second form compares at or below
    every ISO timestamp of that second, also where a database compares them as text.
    """
    start = cursor.window_start(overlap)
    if start is None:
        return None
    return start.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass(frozen=True)
class PlaysChanges:
    """What one poll found: the rows not seen before, the games they belong to, and the
    cursor to store for the next poll."""

    new_rows: list[Mapping[str, Any]]
    cursor: PlaysCursor
    rows_read: int
    #: Rows that cannot be placed (no game id or an unsafe one, no readable write time), with the reason.
    bad_rows: list[str] = field(default_factory=list)

    @property
    def games(self) -> list[str]:
        """The games with new or edited rows, sorted."""
        return sorted({str(row["game_id"]) for row in self.new_rows})


def detect_changes(
    rows: Sequence[Mapping[str, Any]], cursor: PlaysCursor, overlap: timedelta = DEFAULT_OVERLAP
) -> PlaysChanges:
    """Which of ``rows`` (what the source returned for :func:`poll_since`) are new, and the next cursor.

    A row is new when its mark was not seen in the last overlap window and it was
    written inside that window (older rows the rounding of ``since`` brought back were
    counted before). The new cursor remembers every row of its own overlap window, so a
    row written later with the same or a slightly earlier timestamp is still caught.
    """
    window_start = cursor.window_start(overlap)
    bad_rows: list[str] = []
    placed: list[Mapping[str, Any]] = []
    times: list[datetime] = []
    for row in rows:
        try:
            game_problem(row)
            times.append(written_at(row))
        except BadPlayRow as error:
            bad_rows.append(str(error))
            continue
        placed.append(row)
    rows = placed
    new_rows = [
        row
        for row, moment in zip(rows, times, strict=True)
        if (window_start is None or moment >= window_start) and row_mark(row) not in cursor.seen
    ]
    high_water = max([*times, *([cursor.high_water] if cursor.high_water else [])], default=None)
    if high_water is None:
        return PlaysChanges(new_rows=[], cursor=cursor, rows_read=len(bad_rows), bad_rows=bad_rows)
    next_start = high_water - overlap
    seen = frozenset(row_mark(row) for row, moment in zip(rows, times, strict=True) if moment >= next_start)
    return PlaysChanges(
        new_rows=new_rows,
        cursor=PlaysCursor(high_water=high_water, seen=seen, last_full_scan=cursor.last_full_scan),
        rows_read=len(rows) + len(bad_rows),
        bad_rows=bad_rows,
    )


def game_problem(row: Mapping[str, Any]) -> None:
    """Raise :class:`BadPlayRow` when the row's game id cannot be a game partition.

    The key would name the game's files and folders, and Dagster forbids some keys (``...``
    reads as a range in the UI): such a row is reported and skipped, never added.
    """
    game_id = row.get("game_id")
    if not game_id:
        raise BadPlayRow(f"play {shown_id(row.get('id'))} has no game_id")
    problem = id_problem(game_id)
    if problem is not None:
        raise BadPlayRow(
            f"play {shown_id(row.get('id'))}: game_id {shown_id(game_id)} {problem}, "
            f"so it cannot be a game partition ({SAFE_ID_RULE})"
        )


def rows_by_game(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """The rows grouped by game id."""
    games: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        games[str(row["game_id"])].append(row)
    return dict(games)


def changed_versions(current: Mapping[str, str], reported: Mapping[str, str | None]) -> dict[str, str]:
    """The games whose plays' data version differs from the one last reported for them."""
    return {game: version for game, version in sorted(current.items()) if reported.get(game) != version}


def read_whole_table(changed_games: int, above: int = FULL_READ_ABOVE_GAMES) -> bool:
    """Whether to hash the changed games from one read of the whole table rather than one
    read per game: when so many games changed that one read is cheaper."""
    return changed_games > above
