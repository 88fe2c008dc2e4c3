"""Mapping a play's span on the game timeline to a span inside one half's video.

Without the optional ``half`` column, each angle has one continuous timeline: half 1's
video covers ``[0, d1)`` and half 2's covers ``[d1, d1 + d2)``. With ``half`` set, the
times are already relative to that half's video.
"""

from __future__ import annotations

from dataclasses import dataclass


class SpanRejected(ValueError):
    """The play's span cannot be cut from this angle's videos; ``str(error)`` says why."""


@dataclass(frozen=True)
class ClipSpan:
    """Where to cut: which half's video, and the span in that video's own seconds."""

    half: int
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def half_of(start_time: float, half: int | None, half1_duration: float | None) -> int:
    """Which half's video holds a play that starts at ``start_time``.

    ``half1_duration`` is only needed when the play has no ``half`` column.
    """
    if half is not None:
        return half
    if half1_duration is None:
        raise ValueError("half 1's duration is needed to place a play without a half")
    return 1 if start_time < half1_duration else 2


def locate(
    start_time: float,
    end_time: float,
    half: int | None,
    durations: dict[int, float],
) -> ClipSpan:
    """The span of the play inside one half's video.

    ``durations`` maps half number to that half's video duration in seconds; it needs
    half 1 for plays without ``half``, and the half the play falls in.
    Raises :class:`SpanRejected` when the play crosses the end of half 1 or ends after
    the video it falls in.
    """
    if half is not None:
        length = durations[half]
        if end_time > length:
            raise SpanRejected(f"ends at {end_time:g} s, after the end of the half {half} video ({length:g} s)")
        return ClipSpan(half, start_time, end_time)

    half1 = durations[1]
    if start_time < half1:
        if end_time > half1:
            raise SpanRejected(f"span {start_time:g}-{end_time:g} s crosses the end of half 1 at {half1:g} s")
        return ClipSpan(1, start_time, end_time)

    half2 = durations[2]
    if end_time > half1 + half2:
        raise SpanRejected(
            f"ends at {end_time:g} s, after the end of the last video ({half1 + half2:g} s "
            f"= half 1 {half1:g} s + half 2 {half2:g} s)"
        )
    return ClipSpan(2, start_time - half1, end_time - half1)
