"""Rows of the ``plays`` table in one shape, whichever database they were read from.

Rows read over Supabase's REST API are shaped here to match the local SQLite mirror: exactly
:data:`PLAY_COLUMNS` as keys, ids as text, times as float seconds, ``half`` as an int,
timestamps as ISO-8601 text in UTC (as the demo and tests write them locally). A value
that cannot take its shape (``NaN`` seconds, a half of ``1.5``) is kept as read, so that
:func:`~basketball_assets.core.validation.row_problem` rejects the play with a reason that
shows the bad value, instead of the read failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timezone
from typing import Any

from basketball_assets.core.validation import finite_seconds, parse_timestamp, written_at

#: The columns of ``plays``; ``half`` and ``updated_at`` are optional in Supabase.
PLAY_COLUMNS = ("id", "game_id", "start_time", "end_time", "angle", "description", "created_at", "half", "updated_at")
TIMESTAMP_COLUMNS = ("created_at", "updated_at")
SECONDS_COLUMNS = ("start_time", "end_time")


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
        row[column] = utc_timestamp(row[column])
    return row


def as_seconds(value: Any) -> Any:
    """A finite number of seconds as a float; anything else as it was."""
    seconds = finite_seconds(value)
    return value if seconds is None else seconds


def as_half(value: Any) -> Any:
    """A whole number as an int (PostgREST sends smallint as a JSON number); else as it was."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return int(value) if float(value).is_integer() else value


def utc_timestamp(value: Any) -> Any:
    """A timestamp as ISO-8601 text in UTC (``2026-11-01T12:00:00.250000+00:00``); text that
    is not a timestamp as it was, ``None`` as ``None``."""
    parsed = parse_timestamp(value)
    if parsed is None:
        return value if value != "" else None
    return parsed.astimezone(timezone.utc).isoformat()


def in_written_order(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows ordered by when they were last written (``updated_at``, else ``created_at``), then id."""
    return sorted(rows, key=lambda row: (written_at(row), str(row.get("id"))))
