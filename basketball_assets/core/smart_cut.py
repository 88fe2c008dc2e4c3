"""Smart cut, the decisions: may a source's GOPs be copied, and which frames are copied or re-encoded.

A smart cut copies the whole GOPs inside a clip untouched and re-encodes only the partial
GOPs at its head and tail, with their own parameter-set ids so that both sets live side
by side in the clip's ``avcC`` box. Everything here is decided from facts already read
(no PyAV, no ffmpeg); :mod:`basketball_assets.resources.smart_cut` reads and writes the video.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from basketball_assets.core.h264 import AvcConfig, profile_fits

#: x264's profile option for each H.264 profile a smart cut can match (PyAV's names).
X264_PROFILES = {"Baseline": "baseline", "Constrained Baseline": "baseline", "Main": "main", "High": "high"}


class SmartCutUnsafe(RuntimeError):
    """Copying GOPs from this source would not give a correct clip; re-encode instead."""


@dataclass(frozen=True)
class ColorTags:
    """The colour tags of the source stream, given to the encoder of the head and tail as they are."""

    color_range: Any = None
    colorspace: Any = None
    color_primaries: Any = None
    color_trc: Any = None


@dataclass(frozen=True)
class StreamFacts:
    """What a smart cut needs to know of the source's video stream."""

    codec: str
    profile: str | None
    pix_fmt: str | None
    width: int
    height: int
    time_base: Fraction
    frame_rate: Fraction
    avc_config: AvcConfig | None
    colors: ColorTags = field(default_factory=ColorTags)
    rotation: int = 0  # degrees the display matrix turns the frames (phones held upright: 90 or -90)

    @property
    def displayed_height(self) -> int:
        """The height the frames are shown at: the width when the display matrix turns them a quarter."""
        return self.width if self.rotation % 180 == 90 else self.height

    @property
    def frame_ticks(self) -> Fraction:
        """One frame's duration in time-base ticks (an integer on a usable time base)."""
        return 1 / (self.frame_rate * self.time_base) if self.frame_rate and self.time_base else Fraction(0)

    @property
    def max_parameter_set_id(self) -> int:
        """The highest SPS or PPS id the source uses (0 without an avcC)."""
        return max(self.avc_config.parameter_set_ids, default=0) if self.avc_config else 0


def smart_cut_obstacles(facts: StreamFacts, max_height: int) -> list[str]:
    """Why GOPs of this stream cannot be copied into a clip; empty when they can.

    The re-encoded head and tail must decode in the same stream as the copied GOPs: same
    codec and profile, 4:2:0 8-bit, same size (so no scaling to ``max_height``, judged
    on the height as displayed: a re-encode applies the rotation before scaling), and a
    constant frame rate on the time base so frames line up.
    """
    obstacles = []
    if facts.codec != "h264":
        obstacles.append(f"codec {facts.codec} is not H.264")
    elif facts.profile not in X264_PROFILES:
        obstacles.append(f"H.264 profile {facts.profile} cannot be matched by x264")
    if facts.pix_fmt != "yuv420p":
        obstacles.append(f"pixel format {facts.pix_fmt} is not yuv420p")
    if facts.displayed_height > max_height:
        turned = f" (rotated {facts.rotation} degrees)" if facts.displayed_height != facts.height else ""
        obstacles.append(
            f"displayed height {facts.displayed_height}{turned} is above max_height {max_height}: clips must be scaled"
        )
    if facts.width % 2 or facts.height % 2:
        obstacles.append(f"odd size {facts.width}x{facts.height}")
    if not facts.frame_ticks or facts.frame_ticks.denominator != 1:
        obstacles.append(f"frame rate {facts.frame_rate} is not a whole number of ticks of time base {facts.time_base}")
    return obstacles + _parameter_set_obstacles(facts)


def _parameter_set_obstacles(facts: StreamFacts) -> list[str]:
    """Why the source's avcC leaves no room for the head's and tail's parameter sets."""
    if facts.codec == "h264" and facts.avc_config is None:
        return ["no avcC parameter sets (Annex B stream in mp4?)"]
    obstacles = []
    if facts.avc_config is not None:
        if facts.avc_config.length_size != 4:
            obstacles.append(f"NAL length size {facts.avc_config.length_size} is not 4")
        if facts.max_parameter_set_id + 2 > 31:
            obstacles.append("no free parameter set ids")
    return obstacles


@dataclass(frozen=True)
class SmartCutPlan:
    """A clip's frames (pts ``first``..``last``) split into re-encoded head, copied GOPs, tail.

    Frames ``[first, copy_from)`` are re-encoded, ``[copy_from, copy_to)`` copied (whole
    GOPs), ``[copy_to, last]`` re-encoded. All in source time-base ticks.
    """

    first: int
    last: int
    copy_from: int
    copy_to: int


def plan_smart_cut(
    frame_pts: Sequence[int],
    boundaries: Sequence[int],
    start_tick: float,
    end_tick: float,
    frame_ticks: float,
    tolerance: float = 0.0,
) -> SmartCutPlan | None:
    """Which frames a clip ``[start_tick, end_tick)`` has, and which whole GOPs to copy.

    ``boundaries`` are the pts where GOPs start (keyframes, and the end of the stream).
    A frame belongs to the clip when its pts is in ``[start, end)``, as ffmpeg's input
    seeking decides (``tolerance`` ticks of slack, for times given in decimal seconds).
    ``None`` when no whole GOP lies inside the clip.
    """
    clip = sorted(pts for pts in frame_pts if start_tick - tolerance <= pts < end_tick - tolerance)
    if not clip:
        return None
    first, last = clip[0], clip[-1]
    starts = [pts for pts in boundaries if first <= pts <= last + frame_ticks]
    if len(starts) < 2:
        return None
    return SmartCutPlan(first=first, last=last, copy_from=min(starts), copy_to=max(starts))


def decode_timestamps(pts: Sequence[int]) -> list[int]:
    """Decode timestamps for samples in decode order with presentation times ``pts``.

    Each sample's dts is the next presentation time in order, all moved back by the
    largest reorder delay, so that no dts is after its pts. The samples then last one
    frame each: the re-encoded head and tail and the copied GOPs come with their own
    B-frame delays, and keeping theirs would squeeze samples at the seams to a tick and
    shorten the clip's video track. Raises :class:`SmartCutUnsafe` on a repeated pts.
    """
    order = sorted(pts)
    if len(set(order)) != len(order):
        raise SmartCutUnsafe("two frames of the clip would be shown at the same time")
    delay = max((shown - decoded for shown, decoded in zip(order, pts, strict=True)), default=0)
    return [shown - max(delay, 0) for shown in order]


def merged_avc_config(source: AvcConfig, parts: Sequence[AvcConfig]) -> AvcConfig:
    """The source's avcC plus the re-encoded parts' parameter sets (distinct ids).

    Raises :class:`SmartCutUnsafe` when a part's profile differs or its ids collide.
    """
    sps, pps = list(source.sps), list(source.pps)
    used = source.parameter_set_ids
    level, compatibility = source.level, source.compatibility
    for part in parts:
        if not profile_fits(part, source):
            raise SmartCutUnsafe(
                f"re-encoded frames have H.264 profile_idc {part.profile}, the source {source.profile}"
            )
        if part.parameter_set_ids & used:
            raise SmartCutUnsafe(f"parameter set ids {sorted(part.parameter_set_ids & used)} would collide")
        used |= part.parameter_set_ids
        sps += part.sps
        pps += part.pps
        level, compatibility = max(level, part.level), compatibility & part.compatibility
    return AvcConfig(source.profile, compatibility, level, source.length_size, tuple(sps), tuple(pps), source.extension)
