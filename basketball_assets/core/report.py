"""Small Markdown reports for Dagster metadata (shown in the UI)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from basketball_assets.core.ids import shown_id


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], limit: int = 50) -> str:
    """A Markdown table, cut to ``limit`` rows with a note saying how many were left out."""
    rows = list(rows)

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"\n… and {len(rows) - limit} more rows")
    return "\n".join(lines)


def rejections_table(rejections: Iterable[Any]) -> str:
    """Rejected plays as a table; an id that is not a safe token is shown escaped and cut."""
    return markdown_table(["play", "angle", "reason"], ((shown_id(r.play_id), r.angle, r.reason) for r in rejections))
