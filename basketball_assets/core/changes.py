"""Changes in the plays table: which games got new or edited plays since the last look.

The plays sensor polls the table by when rows were written (``updated_at`` where the
row has it, else ``created_at``). Polling by a timestamp alone misses rows: a row can be
committed after rows with later timestamps (a long transaction), or share its timestamp
with rows already read. So the sensor re-reads an overlap window before its high-water
mark every time and remembers which rows of that window it has already seen.

Polling by write time cannot see a deleted row, nor an edit that kept its timestamp
(no ``updated_at``) once it is older than the window. So every so often (the full scan)
the sensor hashes every game's rows and compares them with what it last reported.

Everything here is pure: rows in, decisions out.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from basketball_assets.core.fingerprint import stable_hash

#: Default overlap window: rows committed up to this long after their timestamp are caught.
DEFAULT_OVERLAP = timedelta(minutes=5)

#: Default time between full scans of the table (deleted rows, edits without updated_at).
DEFAULT_FULL_SCAN_EVERY = timedelta(hours=1)

#: Above this many changed games one read of the whole table beats one read per game.
FULL_READ_ABOVE_GAMES = 50

#: The columns whose values make a game's plays what they are (the ``plays`` table's).
VERSIONED_COLUMNS = ("id", "game_id", "start_time", "end_time", "angle", "description", "created_at", "half", "updated_at")


class BadPlayRow(ValueError):
    """A row of the plays table that the sensor cannot place in time or in a game."""


def written_at(row: Mapping[str, Any]) -> datetime:
    """When the row was last written: ``updated_at`` when set, else ``created_at``, in UTC."""
    text = row.get("updated_at") or row.get("created_at")
    if not text:
        raise BadPlayRow(f"play {row.get('id')} of game {row.get('game_id')} has neither created_at nor updated_at")
    return parse_time(str(text), row)


def parse_time(text: str, row: Mapping[str, Any] | None = None) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime; a time without zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError as error:
        where = f"play {row.get('id')} of game {row.get('game_id')}: " if row else ""
        raise BadPlayRow(f"{where}timestamp {text!r} is not ISO 8601") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def row_mark(row: Mapping[str, Any]) -> str:
    """A short hash naming one version of one row: its id, when it was written, and its values.

    Including the values catches an edit that kept its timestamp (no ``updated_at``
    column) as long as the row is still inside the overlap window.
    """
    content = {column: row.get(column) for column in VERSIONED_COLUMNS}
    canonical = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class PlaysCursor:
    """Where the plays sensor is: the latest write time it has seen, the rows of the
    overlap window before it that it has already counted (as :func:`row_mark` hashes),
    and when it last scanned the whole table."""

    high_water: datetime | None = None
    seen: frozenset[str] = field(default_factory=frozenset)
    last_full_scan: datetime | None = None

    def to_json(self) -> str:
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
            high_water = parse_time(data["high_water"]) if data.get("high_water") else None
            last_full_scan = parse_time(data["last_full_scan"]) if data.get("last_full_scan") else None
            return cls(high_water=high_water, seen=frozenset(str(mark) for mark in data.get("seen", [])), last_full_scan=last_full_scan)
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
    #: Rows that cannot be placed (no game id, no readable write time), with the reason.
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
            if not row.get("game_id"):
                raise BadPlayRow(f"play {row.get('id')} has no game_id")
            times.append(written_at(row))
        except BadPlayRow as error:
            bad_rows.append(str(error))
            continue
        placed.append(row)
    rows = placed
    new_rows = [
        row
        for row, moment in zip(rows, times)
        if (window_start is None or moment >= window_start) and row_mark(row) not in cursor.seen
    ]
    high_water = max([*times, *([cursor.high_water] if cursor.high_water else [])], default=None)
    if high_water is None:
        return PlaysChanges(new_rows=[], cursor=cursor, rows_read=0, bad_rows=bad_rows)
    next_start = high_water - overlap
    seen = frozenset(row_mark(row) for row, moment in zip(rows, times) if moment >= next_start)
    return PlaysChanges(
        new_rows=new_rows,
        cursor=PlaysCursor(high_water=high_water, seen=seen, last_full_scan=cursor.last_full_scan),
        rows_read=len(rows) + len(bad_rows),
        bad_rows=bad_rows,
    )


def rows_by_game(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """The rows grouped by game id."""
    games: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        games[str(row["game_id"])].append(row)
    return dict(games)


def plays_data_version(rows: Iterable[Mapping[str, Any]]) -> str:
    """The data version of a game's plays: a hash of its rows, whatever order they come in.

    Times are compared as instants and numbers as numbers, so the same rows read through
    another client (Supabase's JSON, SQLite) give the same version.
    """
    canonical = sorted((canonical_row(row) for row in rows), key=lambda row: json.dumps(row, sort_keys=True, default=str))
    return stable_hash(canonical)


def canonical_row(row: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in VERSIONED_COLUMNS:
        value = row.get(column)
        if column in ("start_time", "end_time") and value is not None:
            value = _number(value)
        elif column in ("created_at", "updated_at") and value:
            try:
                value = parse_time(str(value), row).isoformat()
            except BadPlayRow:
                value = str(value)  # still hashed: an unreadable time is part of the row
        elif column == "half" and value is not None:
            value = _number(value)
        values[column] = value
    return values


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def changed_versions(current: Mapping[str, str], reported: Mapping[str, str | None]) -> dict[str, str]:
    """The games whose plays' data version differs from the one last reported for them."""
    return {game: version for game, version in sorted(current.items()) if reported.get(game) != version}


def read_whole_table(changed_games: int, above: int = FULL_READ_ABOVE_GAMES) -> bool:
    """Whether to hash the changed games from one read of the whole table rather than one
    read per game: when so many games changed that one read is cheaper."""
    return changed_games > above
