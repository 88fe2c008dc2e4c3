"""Measuring cut clips: how many frames a clip stores, and how close two frames are.

Shared by ``clip_extraction.py`` (which checks every smart clip it cuts), ``peers.py`` (which
measures every clip of every way of cutting with :func:`measure_clip`) and the tests of
``ClipEncoder`` (``basketball_assets_tests/test_resources/test_video.py``), which import it
as ``benchmarks.measure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np


def packet_count(path: Path) -> int:
    """The number of video packets (frames) a clip stores, empty ones left out."""
    with av.open(str(path)) as container:
        return sum(1 for packet in container.demux(video=0) if packet.size)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two 8-bit grey images, in dB (99 when identical)."""
    mse = float(((a - b) ** 2).mean())
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


# --- accuracy of a cut clip, measured the same way whatever cut it ---------------------

#: Frames either side of the play's start that a clip's first frame is compared with.
OFFSET_WINDOW = 3
#: Seconds an audio track may differ from its video track (two AAC frames at 44.1 kHz).
AUDIO_SLACK_S = 0.05


@dataclass
class Accuracy:
    """How exactly a clip holds ``[start, end)`` of its source.

    ``first_frame_offset``: which source frame the clip's first frame is (0: the frame
    at the play's start, as input seeking picks it; -1 the one before...), by the best
    PSNR over the ``OFFSET_WINDOW`` frames either side, compared as displayed (rotation
    applied, scaled to the clip's size); ``None`` when none is within the window.
    """

    duration_error_frames: float
    first_frame_offset: int | None
    first_frame_psnr: float
    decoded_frames: int
    decode_error: str
    audio_gap_s: float | None
    source_has_audio: bool
    size: tuple[int, int]

    def problems(self, max_height: int | None = None) -> list[str]:
        """What is wrong with the clip (empty when it is correct); ``max_height``: shown no taller."""
        problems = []
        if max_height is not None and self.size[1] > max_height:
            problems.append(f"shown {self.size[0]}x{self.size[1]}, taller than {max_height}")
        if self.duration_error_frames > 1:
            problems.append(f"duration off by {self.duration_error_frames:.1f} frames")
        if self.first_frame_offset != 0:
            offset = "none within 3 frames" if self.first_frame_offset is None else f"{self.first_frame_offset:+d}"
            problems.append(f"first frame is not the play's ({offset})")
        if self.decode_error:
            problems.append(f"decode error: {self.decode_error}")
        if self.source_has_audio and self.audio_gap_s is None:
            problems.append("audio track missing")
        elif self.audio_gap_s is not None and self.audio_gap_s > AUDIO_SLACK_S:
            problems.append(f"audio {self.audio_gap_s * 1000:.0f} ms off the video")
        return problems


def displayed_grey(frame: av.VideoFrame, size: tuple[int, int] | None = None) -> np.ndarray:
    """A frame as shown: grey, its display rotation applied, scaled to ``size`` (width, height)."""
    grey = frame.to_ndarray(format="gray")
    turns = (round(frame.rotation or 0) // 90) % 4
    if turns:
        grey = np.ascontiguousarray(np.rot90(grey, k=turns))
    if size is not None and (grey.shape[1], grey.shape[0]) != size:
        from PIL import Image

        grey = np.asarray(Image.fromarray(grey).resize(size, Image.Resampling.BILINEAR))
    return grey.astype(np.float32)


def source_frames_around(source: Path, start: float, size: tuple[int, int]) -> list[np.ndarray]:
    """The source's frames from ``OFFSET_WINDOW`` before the one at ``start`` (seconds from the
    file's first timestamp, as ffmpeg's ``-ss`` counts) to as many after it, as displayed."""
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        origin = (container.start_time or 0) / av.time_base
        target = start + origin
        container.seek(int(max(0.0, target - 3) * av.time_base), backward=True)
        before: list[np.ndarray] = []
        after: list[np.ndarray] = []
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            if frame.time < target - 1e-6:
                before = [*before[-(OFFSET_WINDOW - 1) :], displayed_grey(frame, size)] if OFFSET_WINDOW else []
            else:
                after.append(displayed_grey(frame, size))
                if len(after) > OFFSET_WINDOW:
                    break
        return [*([None] * (OFFSET_WINDOW - len(before))), *before, *after]


def stream_seconds(stream) -> float | None:
    """A stream's duration in seconds (None when it does not say)."""
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def measure_clip(clip: Path, source: Path, start: float, end: float, fps: float) -> Accuracy:
    """The accuracy of ``clip`` as a cut of ``[start, end)`` of ``source`` (see :class:`Accuracy`)."""
    with av.open(str(source)) as container:
        source_has_audio = bool(container.streams.audio)
    first, decoded, error = None, 0, ""
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.options = {"err_detect": "explode"}
        video_s = stream_seconds(stream)
        audio_s = stream_seconds(container.streams.audio[0]) if container.streams.audio else None
        try:
            for frame in container.decode(stream):
                if first is None:
                    first = frame
                    size = (displayed_grey(frame).shape[1], displayed_grey(frame).shape[0])
                    shown = displayed_grey(frame)
                decoded += 1
        except av.FFmpegError as failure:
            error = str(failure)
    if first is None:
        return Accuracy(99.0, None, 0.0, 0, error or "no frames", None, source_has_audio, (0, 0))
    scores = [None if ref is None else psnr(shown, ref) for ref in source_frames_around(source, start, size)]
    best = max((s for s in scores if s is not None), default=0.0)
    offset = scores.index(best) - OFFSET_WINDOW if best >= 30 else None
    return Accuracy(
        duration_error_frames=abs((video_s or 0) - (end - start)) * fps,
        first_frame_offset=offset,
        first_frame_psnr=best,
        decoded_frames=decoded,
        decode_error=error,
        audio_gap_s=None if audio_s is None else abs(audio_s - (video_s or 0)),
        source_has_audio=source_has_audio,
        size=size,
    )
