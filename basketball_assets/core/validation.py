"""Row-level validation of plays: which rows become plays, which are rejected and why.

Angle-level reasons (a span that crosses one angle's half boundary, a missing video)
are decided later, in :mod:`basketball_assets.core.timeline`, once the videos are probed.
What a row is (its columns, its times) is :mod:`basketball_assets.core.play_rows`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from basketball_assets.core.ids import SAFE_ID_RULE, id_problem, shown_id
from basketball_assets.core.play_rows import finite_seconds, written_at_or_earliest
from basketball_assets.core.plays import PLAY_ANGLES, WHOLE_PLAY, Play, Rejection

#: The longest description accepted, in characters. Real play descriptions are a few sentences
#: (well under 1,000 characters); 5,000 leaves room for any of them while a pasted document, which
#: would dominate an example's token budget (131,072 tokens on Vertex AI), is rejected.
MAX_DESCRIPTION_CHARACTERS = 5_000


@dataclass
class PlaysReview:
    """The outcome of validating one game's rows."""

    plays: list[Play] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    #: Human-readable notes on duplicate ids (the row written last is kept).
    duplicates: list[str] = field(default_factory=list)


def row_problem(row: Mapping[str, Any]) -> str | None:
    """The reason a row cannot become a play, or ``None`` when it can."""
    for column in ("id", "game_id"):
        # Ids name files and partitions: an unsafe one could name another game's files.
        if (problem := id_problem(row.get(column))) is not None:
            return f"{column} {shown_id(row.get(column))} {problem}: {SAFE_ID_RULE}"
    start, end = finite_seconds(row.get("start_time")), finite_seconds(row.get("end_time"))
    if start is None or end is None:
        return (
            f"start_time/end_time must be numbers of seconds (got {row.get('start_time')!r}, {row.get('end_time')!r})"
        )
    if start < 0 or end < 0:
        return f"negative time (start {start:g} s, end {end:g} s)"
    if end <= start:
        return f"end_time {end:g} s is not after start_time {start:g} s"
    if row.get("angle") not in PLAY_ANGLES:
        return f"unknown angle {row.get('angle')!r}: expected one of {', '.join(PLAY_ANGLES)}"
    description = str(row.get("description") or "").strip()
    if not description:
        return "empty description: there is nothing for the model to learn"
    if len(description) > MAX_DESCRIPTION_CHARACTERS:
        return (
            f"description is {len(description):,} characters long, more than the "
            f"{MAX_DESCRIPTION_CHARACTERS:,} a play's description may have"
        )
    half = row.get("half")
    # ``True == 1`` in Python, so a boolean would pass the membership test as half 1.
    if half is not None and (isinstance(half, bool) or half not in (1, 2)):
        return f"half must be 1, 2 or empty (got {half!r})"
    return None


def to_play(row: Mapping[str, Any]) -> Play:
    """Build a :class:`Play` from a row that :func:`row_problem` accepted."""
    half = row.get("half")
    return Play(
        id=str(row["id"]),
        game_id=str(row["game_id"]),
        start_time=float(row["start_time"]),
        end_time=float(row["end_time"]),
        angle=str(row["angle"]),
        description=str(row["description"]).strip(),
        created_at=_text_or_none(row.get("created_at")),
        half=int(half) if half is not None else None,
        updated_at=_text_or_none(row.get("updated_at")),
    )


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def latest_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], list[str]]:
    """One row per id, the one written last; plus a note for every duplicate dropped."""
    by_id: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_id.setdefault(str(row.get("id")), []).append(row)
    kept, notes = [], []
    for play_id in sorted(by_id):
        versions = by_id[play_id]
        # Stable: among rows written at the same instant, the later one in the input wins.
        newest = max(enumerate(versions), key=lambda pair: (written_at_or_earliest(pair[1]), pair[0]))[1]
        kept.append(newest)
        if len(versions) > 1:
            notes.append(
                f"play {shown_id(play_id)}: {len(versions)} rows share this id; kept the one written at "
                f"{newest.get('updated_at') or newest.get('created_at')}"
            )
    return kept, notes


def review_plays(rows: Iterable[Mapping[str, Any]]) -> PlaysReview:
    """Validate one game's rows: dedupe ids, then accept or reject each row with a reason."""
    review = PlaysReview()
    kept, review.duplicates = latest_rows(rows)
    for row in kept:
        problem = row_problem(row)
        if problem is None:
            review.plays.append(to_play(row))
        else:
            review.rejections.append(Rejection(str(row.get("id")), WHOLE_PLAY, problem))
    review.plays.sort(key=lambda play: play.id)
    return review
