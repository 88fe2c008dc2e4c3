"""Fingerprints: what a clip (or a game's plays) was made from, as a short hash.

A clip whose stored fingerprint matches is not cut again; anything that would change
the clip's bytes (the play, the span, the source video, the encoding) changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def stable_hash(value: Any) -> str:
    """sha256 of the canonical JSON of ``value`` (sorted keys, no spaces), hex, 32 chars."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def clip_fingerprint(
    *,
    play_id: str,
    angle: str,
    start_time: float,
    end_time: float,
    video_start: float,
    video_end: float,
    source_identity: str,
    encoding: Mapping[str, Any],
) -> str:
    """The fingerprint of one clip.

    ``start_time``/``end_time`` are the play's; ``video_start``/``video_end`` the span cut
    from the source (they differ in half 2, and move if half 1's video is replaced).
    """
    return stable_hash(
        {
            "play_id": play_id,
            "angle": angle,
            "start_time": float(start_time),
            "end_time": float(end_time),
            "video_start": round(float(video_start), 6),
            "video_end": round(float(video_end), 6),
            "source": source_identity,
            "encoding": dict(encoding),
        }
    )
