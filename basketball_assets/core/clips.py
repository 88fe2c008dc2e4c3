"""Planning a game's clips: which half each play is cut from, and which plays are rejected.

The I/O side (:mod:`basketball_assets.assets.clips`) fetches and probes the half videos
and hands the facts here; everything decided from those facts lives in this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from basketball_assets.core.fingerprint import clip_fingerprint
from basketball_assets.core.layout import clip_key
from basketball_assets.core.plays import Play, Rejection
from basketball_assets.core.timeline import SpanRejected, half_of, locate

#: Seconds of slack on top of one frame when a probed duration is compared with a play's.
DURATION_SLACK_S = 1e-3


@dataclass(frozen=True)
class HalfVideo:
    """What the pipeline knows of one half's video after fetching and probing it."""

    key: str
    duration: float
    identity: str
    has_audio: bool = True


#: A half's video, or the reason it could not be read (missing, corrupt).
HalfVideoOrError = HalfVideo | str


@dataclass(frozen=True)
class PlannedClip:
    """One clip to have in storage: a play's span, cut from one angle's half video."""

    play_id: str
    angle: str
    key: str
    half: int
    video_key: str
    video_start: float
    video_end: float
    fingerprint: str

    @property
    def duration(self) -> float:
        return self.video_end - self.video_start

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlannedClip:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def within_one_frame(probed: float, expected: float, frame_duration: float) -> bool:
    """Whether a clip's probed duration is the play's, give or take one frame."""
    return abs(probed - expected) <= frame_duration + DURATION_SLACK_S


def plays_for_angle(plays: Iterable[Play], angle: str) -> list[Play]:
    return [play for play in plays if angle in play.camera_angles]


def halves_needed(plays: Iterable[Play], half1_duration: float | None) -> set[int]:
    """The halves whose videos the plays need.

    Plays without ``half`` always need half 1 (its duration places them); they need
    half 2 only once half 1's duration shows they start after it.
    """
    needed: set[int] = set()
    for play in plays:
        if play.half is not None:
            needed.add(play.half)
            continue
        needed.add(1)
        if half1_duration is not None and play.start_time >= half1_duration:
            needed.add(2)
    return needed


def plan_angle(
    game_id: str,
    angle: str,
    plays: Iterable[Play],
    halves: Mapping[int, HalfVideoOrError],
    encoding: Mapping[str, Any],
) -> tuple[list[PlannedClip], list[Rejection]]:
    """Clips and rejections for one angle of a game, given its probed half videos."""
    clips: list[PlannedClip] = []
    rejections: list[Rejection] = []
    for play in plays_for_angle(plays, angle):
        try:
            clips.append(_plan_clip(game_id, angle, play, halves, encoding))
        except SpanRejected as reason:
            rejections.append(Rejection(play.id, angle, str(reason)))
    return clips, rejections


def _video(halves: Mapping[int, HalfVideoOrError], half: int) -> HalfVideo:
    video = halves.get(half)
    if video is None:
        raise SpanRejected(f"half {half} video was not read")
    if isinstance(video, str):
        raise SpanRejected(video)
    return video


def _plan_clip(
    game_id: str,
    angle: str,
    play: Play,
    halves: Mapping[int, HalfVideoOrError],
    encoding: Mapping[str, Any],
) -> PlannedClip:
    durations: dict[int, float] = {}
    if play.half is None:
        # Half 1's duration is what places a play without ``half`` on the timeline.
        durations[1] = _video(halves, 1).duration
    half = half_of(play.start_time, play.half, durations.get(1))
    source = _video(halves, half)
    durations[half] = source.duration
    span = locate(play.start_time, play.end_time, play.half, durations)
    return PlannedClip(
        play_id=play.id,
        angle=angle,
        key=clip_key(game_id, play.id, angle),
        half=span.half,
        video_key=source.key,
        video_start=span.start,
        video_end=span.end,
        fingerprint=clip_fingerprint(
            play_id=play.id,
            angle=angle,
            start_time=play.start_time,
            end_time=play.end_time,
            video_start=span.start,
            video_end=span.end,
            source_identity=source.identity,
            encoding=encoding,
        ),
    )


def clips_of_no_play(stored_keys: Iterable[str], current_keys: Iterable[str]) -> list[str]:
    """The clip files in a game's folder that no current clip claims, sorted: left by
    plays since deleted, angles changed, or plays now rejected. They are in no JSONL."""
    current = set(current_keys)
    return sorted(key for key in stored_keys if key.endswith(".mp4") and key not in current)
