"""ffmpeg: probing videos and cutting frame-accurate clips (the ``ClipEncoder`` resource).

The ffmpeg binary comes from the ``imageio-ffmpeg`` package (installed with the project),
unless ``ffmpeg_binary`` names another. Probing uses PyAV, which links FFmpeg's libraries
directly, so no ``ffprobe`` binary is needed.

Two ways to cut a clip (``ClipEncoder.mode``):

* ``smart`` (default): the whole GOPs inside the clip are copied untouched from the source and
  only the partial GOPs at the head and tail are re-encoded (:mod:`basketball_assets.resources.smart_cut`).
  When the source is not safe to copy from (see
  :func:`basketball_assets.core.smart_cut.smart_cut_obstacles`), the clip is re-encoded instead.
  The default since ``benchmarks/peers.py`` found it correct, or falling back by itself, on
  every entry of its corpus of real-world encodings.
* ``reencode``: input seeking, then every frame of the clip is re-encoded.

A failed cut is blamed on the source (:class:`ClipCutFailed`: the play is rejected) or on the
machine (:class:`~basketball_assets.core.ffmpeg_errors.MachineFailure`: a full disk, memory, a
killed ffmpeg; the step fails and is retried), as :mod:`basketball_assets.core.ffmpeg_errors` decides.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import ffmpeg
from dagster import ConfigurableResource, get_dagster_logger
from pydantic import Field

from basketball_assets.core.ffmpeg_errors import MachineFailure, ffmpeg_failure, os_error_failure
from basketball_assets.core.smart_cut import SmartCutUnsafe
from basketball_assets.resources.smart_cut import X264Settings, smart_cut_clip


class VideoUnreadable(RuntimeError):
    """The file is not a video ffmpeg can read (corrupt, truncated, wrong format)."""


class ClipCutFailed(RuntimeError):
    """The source could not be cut into a clip (the play is rejected); the message carries ffmpeg's reason."""


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
        """Seconds of one frame (0 when the frame rate is unknown)."""
        return 1.0 / self.frame_rate if self.frame_rate else 0.0


def ffmpeg_executable(configured: str | None = None) -> str:
    """The ffmpeg binary to run: the configured one, else the one imageio-ffmpeg ships."""
    if configured:
        return configured
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_reason(stderr: bytes | None) -> str:
    """The last lines of ffmpeg's error output, on one line."""
    lines = (stderr or b"").decode("utf-8", "replace").strip().splitlines()
    return " / ".join(lines[-3:])


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
        cause = os_error_failure(getattr(error, "errno", None), str(error))
        if cause.machine:
            raise MachineFailure(cause, f"probing {path}") from error
        raise VideoUnreadable(f"{path}: {error}") from error


ClipMode = Literal["reencode", "smart"]


@dataclass(frozen=True)
class ClipCut:
    """How one clip was cut: ``smart`` (GOPs copied) or ``reencode``; why smart fell back."""

    method: str
    fallback_reason: str = ""
    copied_frames: int = 0
    encoded_frames: int = 0


class ClipEncoder(ConfigurableResource):
    """Cuts frame-accurate clips with ffmpeg, by smart cut (default) or by re-encoding.

    ``reencode``: seeking before ``-i`` jumps to the keyframe before the start and decodes
    forward, so the clip starts on the exact frame (stream copy would start at the
    keyframe) while decoding only from that keyframe (output seeking decodes everything
    before it); every frame of the clip is then encoded with libx264.

    ``smart``: the GOPs that lie wholly inside the clip are copied from the source
    untouched and only the frames before the first and after the last copied keyframe
    are encoded, so most frames are never decoded or encoded. Used only where the source
    allows it (H.264 in a profile x264 can match, 4:2:0, constant frame rate, IDR
    keyframes, no taller than ``max_height``); other clips are re-encoded. Copied frames
    keep the source's quality settings, so ``preset`` and ``crf`` apply to the re-encoded
    head and tail only.
    """

    mode: ClipMode = Field(
        default="smart",
        description="smart: whole GOPs copied, only head and tail re-encoded (re-encodes where the source "
        "does not allow it); reencode: every frame re-encoded.",
    )
    preset: str = Field(default="veryfast", description="x264 preset: speed versus size.")
    crf: int = Field(default=23, ge=0, le=51, description="x264 constant rate factor: quality.")
    max_height: int = Field(default=720, gt=0, description="Clips taller than this are scaled down, aspect kept.")
    audio_bitrate: str = Field(default="128k", description="AAC bitrate when the source has audio.")
    threads: int = Field(default=0, ge=0, description="ffmpeg threads; 0 lets ffmpeg use every core.")
    ffmpeg_binary: str | None = Field(default=None, description="Path to ffmpeg; default: imageio-ffmpeg's.")

    def encoding(self) -> dict[str, Any]:
        """The settings that change a clip's bytes: part of every clip's fingerprint."""
        settings: dict[str, Any] = {
            "codec": "libx264",
            "preset": self.preset,
            "crf": self.crf,
            "max_height": self.max_height,
            "audio": f"aac-{self.audio_bitrate}",
        }
        # Only for smart: re-encoded clips cut before modes existed keep their fingerprints.
        if self.mode != "reencode":
            settings["mode"] = self.mode
        return settings

    def probe(self, path: Path | str) -> VideoProbe:
        """Duration and stream facts of a video file (:func:`probe_video`)."""
        return probe_video(path)

    def cut_clip(self, source: Path, start: float, end: float, target: Path, with_audio: bool) -> ClipCut:
        """Write the span ``[start, end)`` of ``source`` (its own seconds) to ``target``."""
        if self.mode == "smart":
            try:
                return self.smart_cut(source, start, end, target, with_audio)
            except SmartCutUnsafe as reason:
                get_dagster_logger().info(
                    f"smart cut of {start:.3f}-{end:.3f} s of {source} re-encodes instead: {reason}"
                )
                self.reencode(source, start, end, target, with_audio)
                return ClipCut("reencode", fallback_reason=str(reason))
        self.reencode(source, start, end, target, with_audio)
        return ClipCut("reencode")

    def reencode(self, source: Path, start: float, end: float, target: Path, with_audio: bool) -> None:
        """Cut ``[start, end)`` by input seeking and re-encoding every frame."""
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
        arguments = command.compile(cmd=ffmpeg_executable(self.ffmpeg_binary), overwrite_output=True)
        run_ffmpeg(arguments, f"cutting {start:.3f}-{end:.3f} s of {source}")

    def smart_cut(self, source: Path, start: float, end: float, target: Path, with_audio: bool) -> ClipCut:
        """Cut ``[start, end)`` copying whole GOPs; raises :class:`SmartCutUnsafe` when it can't."""
        # Audio is re-encoded by ffmpeg alongside (cheap: no video is decoded for it).
        audio_path = target.with_name(f".{target.stem}.audio.m4a")
        audio = self._start_audio(source, start, end, audio_path) if with_audio else None
        try:
            clip = smart_cut_clip(
                source,
                start,
                end,
                target,
                self.max_height,
                X264Settings(self.preset, self.crf, self.threads),
                finish_audio=lambda: self._finish_audio(audio, source, start, end, audio_path),
            )
            return ClipCut("smart", copied_frames=clip.copied_frames, encoded_frames=clip.encoded_frames)
        finally:
            if audio is not None and audio.poll() is None:
                audio.kill()
                audio.wait()
            audio_path.unlink(missing_ok=True)

    def _start_audio(self, source: Path, start: float, end: float, path: Path) -> subprocess.Popen:
        """Start ffmpeg encoding the clip's audio to ``path`` (it runs while the video is cut)."""
        command = [
            ffmpeg_executable(self.ffmpeg_binary), "-nostdin", "-v", "error", "-y",
            "-ss", f"{start:.6f}", "-t", f"{end - start:.6f}", "-i", str(source),
            "-vn", "-c:a", "aac", "-b:a", self.audio_bitrate, "-f", "mp4", str(path),
        ]  # fmt: skip
        try:
            return subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as error:  # ffmpeg could not even start: no memory, no processes left
            raise MachineFailure(os_error_failure(error.errno, str(error)), f"starting ffmpeg for {path}") from error

    def _finish_audio(
        self, audio: subprocess.Popen | None, source: Path, start: float, end: float, path: Path
    ) -> Path | None:
        """Wait for the audio ffmpeg; its file, or ``None`` without audio."""
        if audio is None:
            return None
        _, stderr = audio.communicate()
        if audio.returncode != 0:
            fail(audio.returncode, stderr, f"encoding the audio of {start:.3f}-{end:.3f} s of {source}")
        return path


def run_ffmpeg(arguments: list[str], task: str) -> None:
    """Run ffmpeg; a failure raises :class:`MachineFailure` or :class:`ClipCutFailed` (see :func:`fail`)."""
    try:
        result = subprocess.run(arguments, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    except OSError as error:  # ffmpeg could not even start: no memory, no processes left
        raise MachineFailure(os_error_failure(error.errno, str(error)), task) from error
    if result.returncode != 0:
        fail(result.returncode, result.stderr, task)


def fail(returncode: int, stderr: bytes | None, task: str) -> None:
    """Raise for an ffmpeg that exited with ``returncode``: :class:`MachineFailure` when the machine
    failed (a full disk, memory, a signal), else :class:`ClipCutFailed` (the source)."""
    cause = ffmpeg_failure(returncode, (stderr or b"").decode("utf-8", "replace"))
    if cause.machine:
        raise MachineFailure(cause, task)
    raise ClipCutFailed(cause.describe(task))
