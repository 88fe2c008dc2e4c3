"""ffmpeg: probing videos and cutting frame-accurate clips.

The ffmpeg binary comes from the ``imageio-ffmpeg`` package (installed with the project),
unless ``ffmpeg_binary`` names another. Probing uses PyAV, which links FFmpeg's libraries
directly, so no ``ffprobe`` binary is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import ffmpeg
from dagster import ConfigurableResource
from pydantic import Field


class VideoUnreadable(RuntimeError):
    """The file is not a video ffmpeg can read (corrupt, truncated, wrong format)."""


class ClipCutFailed(RuntimeError):
    """ffmpeg could not cut a clip; the message carries ffmpeg's own reason."""


@dataclass(frozen=True)
class VideoProbe:
    """What a probe of a video file found."""

    duration: float
    width: int
    height: int
    frame_rate: float
    has_audio: bool
    video_codec: str

    @property
    def frame_duration(self) -> float:
        return 1.0 / self.frame_rate if self.frame_rate else 0.0


def ffmpeg_executable(configured: str | None = None) -> str:
    """The ffmpeg binary to run: the configured one, else the one imageio-ffmpeg ships."""
    if configured:
        return configured
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def probe_video(path: Path | str) -> VideoProbe:
    """Duration and stream facts of a video file, read with PyAV.

    The duration is the video stream's (what a clip's accuracy is judged on), falling
    back to the container's when the stream does not say.
    """
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoUnreadable(f"{path}: no video stream")
            stream = container.streams.video[0]
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
            else:
                raise VideoUnreadable(f"{path}: duration unknown")
            rate = stream.average_rate or stream.guessed_rate or Fraction(0)
            return VideoProbe(
                duration=duration,
                width=stream.codec_context.width,
                height=stream.codec_context.height,
                frame_rate=float(rate),
                has_audio=bool(container.streams.audio),
                video_codec=stream.codec_context.name,
            )
    except VideoUnreadable:
        raise
    except (av.FFmpegError, OSError, ValueError) as error:
        raise VideoUnreadable(f"{path}: {error}") from error


class ClipEncoder(ConfigurableResource):
    """Cuts clips with ffmpeg: input seeking, then an H.264/AAC re-encode.

    Seeking before ``-i`` jumps to the keyframe before the start and decodes forward, so
    the clip starts on the exact frame (stream copy would start at the keyframe) while
    decoding only from that keyframe (output seeking decodes everything before it).
    """

    preset: str = Field(default="veryfast", description="x264 preset: speed versus size.")
    crf: int = Field(default=23, ge=0, le=51, description="x264 constant rate factor: quality.")
    max_height: int = Field(default=720, gt=0, description="Clips taller than this are scaled down, aspect kept.")
    audio_bitrate: str = Field(default="128k", description="AAC bitrate when the source has audio.")
    threads: int = Field(default=0, ge=0, description="ffmpeg threads; 0 lets ffmpeg use every core.")
    ffmpeg_binary: str | None = Field(default=None, description="Path to ffmpeg; default: imageio-ffmpeg's.")

    def encoding(self) -> dict[str, Any]:
        """The settings that change a clip's bytes: part of every clip's fingerprint."""
        return {
            "codec": "libx264",
            "preset": self.preset,
            "crf": self.crf,
            "max_height": self.max_height,
            "audio": f"aac-{self.audio_bitrate}",
        }

    def probe(self, path: Path | str) -> VideoProbe:
        return probe_video(path)

    def cut_clip(self, source: Path, start: float, end: float, target: Path, with_audio: bool) -> None:
        """Write the span ``[start, end)`` of ``source`` (its own seconds) to ``target``."""
        clip_input = ffmpeg.input(str(source), ss=f"{start:.6f}", t=f"{end - start:.6f}")
        # Scale only when taller than max_height; -2 keeps the width even, as x264 needs.
        video = clip_input.video.filter("scale", -2, f"min({self.max_height},ih)")
        streams = [video, clip_input.audio] if with_audio else [video]
        options: dict[str, Any] = {
            "vcodec": "libx264",
            "preset": self.preset,
            "crf": self.crf,
            "pix_fmt": "yuv420p",
            "movflags": "+faststart",
            "threads": self.threads,
            "f": "mp4",
        }
        if with_audio:
            options.update(acodec="aac", audio_bitrate=self.audio_bitrate)
        command = ffmpeg.output(*streams, str(target), **options).global_args("-nostdin", "-v", "error")
        try:
            command.run(cmd=ffmpeg_executable(self.ffmpeg_binary), capture_stdout=True, capture_stderr=True, overwrite_output=True)
        except ffmpeg.Error as error:
            reason = (error.stderr or b"").decode("utf-8", "replace").strip().splitlines()
            raise ClipCutFailed(
                f"ffmpeg failed cutting {start:.3f}-{end:.3f} s of {source}: {' / '.join(reason[-3:]) or error}"
            ) from error
