"""What a row of the ``plays`` table is: its columns, its common shape, its times and its hashes.

Rows read over Supabase's REST API are shaped here to match the local SQLite mirror: exactly
:data:`PLAY_COLUMNS` as keys, ids as text, times as float seconds, ``half`` as an int,
timestamps as ISO-8601 text in UTC (as the demo and tests write them locally). A value
that cannot take its shape (``NaN`` seconds, a half of ``1.5``) is kept as read, so that
:func:`~basketball_assets.core.validation.row_problem` rejects the play with a reason that
shows the bad value, instead of the read failing.

Timestamps are read two ways, each named for what it does with a time it cannot read:
:func:`parse_timestamp` and :func:`written_at_or_earliest` fall back (validation orders
such rows first), :func:`require_timestamp` and :func:`written_at` raise :class:`BadPlayRow`
(the plays sensor reports such rows and skips them).

The hashes (:func:`row_mark`, :func:`plays_data_version`) are stored by the plays sensor and
compared with later ones: what they hash must not change, or every game would look changed.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from basketball_assets.core.fingerprint import stable_hash

#: The columns of ``plays``; ``half`` and ``updated_at`` are optional in Supabase.
PLAY_COLUMNS = ("id", "game_id", "start_time", "end_time", "angle", "description", "created_at", "half", "updated_at")
TIMESTAMP_COLUMNS = ("created_at", "updated_at")
SECONDS_COLUMNS = ("start_time", "end_time")


class BadPlayRow(ValueError):
    """A row of the plays table that the sensor cannot place in time or in a game."""


# The common shape


def as_play_row(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One row in the common shape; columns the table lacks come out as ``None``."""
    row = {column: raw.get(column) for column in PLAY_COLUMNS}
    for column in ("id", "game_id"):
        if row[column] is not None:
            row[column] = str(row[column])
    for column in SECONDS_COLUMNS:
        row[column] = as_seconds(row[column])
    row["half"] = as_half(row["half"])
    for column in TIMESTAMP_COLUMNS:
        row[column] = as_utc_iso(row[column])
    return row


def finite_seconds(value: Any) -> float | None:
    """``value`` as a finite float of seconds, or ``None`` when it is not one (bools included)."""
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) else None


def as_seconds(value: Any) -> Any:
    """A finite number of seconds as a float; anything else as it was."""
    seconds = finite_seconds(value)
    return value if seconds is None else seconds


def as_half(value: Any) -> Any:
    """A whole number as an int (PostgREST sends smallint as a JSON number); else as it was."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return int(value) if float(value).is_integer() else value


def as_utc_iso(value: Any) -> Any:
    """A row's timestamp as ISO-8601 text in UTC (``2026-11-01T12:00:00.250000+00:00``); text
    that is not a timestamp as it was, ``None`` or ``""`` as ``None``."""
    parsed = parse_timestamp(value)
    if parsed is None:
        return value if value != "" else None
    return parsed.astimezone(UTC).isoformat()


# Times


def parse_timestamp(value: Any) -> datetime | None:
    """A timestamptz as Supabase or SQLite return it, as an aware datetime in its own zone
    (naive values are taken as UTC); ``None`` when there is none or it cannot be read."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace(" ", "T", 1))
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def require_timestamp(text: str, row: Mapping[str, Any] | None = None) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (a time without zone is taken as UTC);
    raises :class:`BadPlayRow`, naming ``row`` when given, when ``text`` is not one."""
    moment = parse_timestamp(text.strip())
    if moment is None:
        where = f"play {row.get('id')} of game {row.get('game_id')}: " if row else ""
        raise BadPlayRow(f"{where}timestamp {text!r} is not ISO 8601")
    return moment.astimezone(UTC)


def written_at(row: Mapping[str, Any]) -> datetime:
    """When the row was last written: ``updated_at`` when set, else ``created_at``, in UTC.

    Raises :class:`BadPlayRow` when the row has neither, or the one it has cannot be read.
    """
    text = row.get("updated_at") or row.get("created_at")
    if not text:
        raise BadPlayRow(f"play {row.get('id')} of game {row.get('game_id')} has neither created_at nor updated_at")
    return require_timestamp(str(text), row)


def written_at_or_earliest(row: Mapping[str, Any]) -> datetime:
    """When a row was last written: ``updated_at`` when readable, else ``created_at``; a row
    with neither readable counts as written at the earliest instant there is."""
    for column in ("updated_at", "created_at"):
        parsed = parse_timestamp(row.get(column))
        if parsed is not None:
            return parsed
    return datetime.min.replace(tzinfo=UTC)


def in_written_order(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows ordered by when they were last written (``updated_at``, else ``created_at``), then id."""
    return sorted(rows, key=lambda row: (written_at_or_earliest(row), str(row.get("id"))))


# Hashes


def row_mark(row: Mapping[str, Any]) -> str:
    """A short hash naming one version of one row: its id, when it was written, and its values.

    Including the values catches an edit that kept its timestamp (no ``updated_at``
    column) as long as the row is still inside the sensor's overlap window.
    """
    content = {column: row.get(column) for column in PLAY_COLUMNS}
    canonical = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def plays_data_version(rows: Iterable[Mapping[str, Any]]) -> str:
    """The data version of a game's plays: a hash of its rows, whatever order they come in.

    Times are compared as instants and numbers as numbers, so the same rows read through
    another client (Supabase's JSON, SQLite) give the same version.
    """
    values = (versioned_values(row) for row in rows)
    return stable_hash(sorted(values, key=lambda row: json.dumps(row, sort_keys=True, default=str)))


def versioned_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """The values of a row that :func:`plays_data_version` hashes: numbers as floats, readable
    times as ISO-8601 in UTC, anything else as read.

    Not :func:`as_play_row`: ``half`` is a float here, and changing what is hashed would
    change every game's data version.
    """
    values: dict[str, Any] = {}
    for column in PLAY_COLUMNS:
        value = row.get(column)
        if column in (*SECONDS_COLUMNS, "half") and value is not None:
            value = _number(value)
        elif column in TIMESTAMP_COLUMNS and value:
            try:
                value = require_timestamp(str(value), row).isoformat()
            except BadPlayRow:
                value = str(value)  # still hashed: an unreadable time is part of the row
        values[column] = value
    return values


def _number(value: Any) -> Any:
    """``value`` as a float when it is one (``NaN`` included); bools and anything else as read."""
    if isinstance(value, bool):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value
