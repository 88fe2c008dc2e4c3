"""ffmpeg: probing videos and cutting frame-accurate clips.

The ffmpeg binary comes from the ``imageio-ffmpeg`` package (installed with the project),
unless ``ffmpeg_binary`` names another. Probing uses PyAV, which links FFmpeg's libraries
directly, so no ``ffprobe`` binary is needed.

Two ways to cut a clip (``ClipEncoder.mode``):

* ``reencode`` (default): input seeking, then every frame of the clip is re-encoded.
* ``smart``: the whole GOPs inside the clip are copied untouched from the source and only
  the partial GOPs at the head and tail are re-encoded, in the source's H.264 profile,
  with their own parameter-set ids so that both sets live side by side in the mp4's
  ``avcC`` box. When the source is not safe to copy from (see
  :func:`smart_cut_obstacles`), the clip is re-encoded instead.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import ffmpeg
from dagster import ConfigurableResource, get_dagster_logger
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


ClipMode = Literal["reencode", "smart"]

#: x264's profile option for each H.264 profile a smart cut can match (PyAV's names).
X264_PROFILES = {"Baseline": "baseline", "Constrained Baseline": "baseline", "Main": "main", "High": "high"}

#: NAL unit types (H.264 table 7-1) that smart cutting looks at.
NAL_IDR_SLICE, NAL_SPS, NAL_PPS = 5, 7, 8


class SmartCutUnsafe(RuntimeError):
    """Copying GOPs from this source would not give a correct clip; re-encode instead."""


@dataclass(frozen=True)
class ClipCut:
    """How one clip was cut: ``smart`` (GOPs copied) or ``reencode``; why smart fell back."""

    method: str
    fallback_reason: str = ""
    copied_frames: int = 0
    encoded_frames: int = 0


class ClipEncoder(ConfigurableResource):
    """Cuts frame-accurate clips with ffmpeg, by re-encoding (default) or by smart cut.

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
        default="reencode",
        description="reencode: every frame re-encoded; smart: whole GOPs copied, only head and tail re-encoded.",
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
        # Only when not the default, so clips cut before modes existed are not cut again.
        if self.mode != "reencode":
            settings["mode"] = self.mode
        return settings

    def probe(self, path: Path | str) -> VideoProbe:
        return probe_video(path)

    def cut_clip(self, source: Path, start: float, end: float, target: Path, with_audio: bool) -> ClipCut:
        """Write the span ``[start, end)`` of ``source`` (its own seconds) to ``target``."""
        if self.mode == "smart":
            try:
                return self.smart_cut(source, start, end, target, with_audio)
            except SmartCutUnsafe as reason:
                get_dagster_logger().info(f"smart cut of {start:.3f}-{end:.3f} s of {source} re-encodes instead: {reason}")
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
        try:
            command.run(cmd=ffmpeg_executable(self.ffmpeg_binary), capture_stdout=True, capture_stderr=True, overwrite_output=True)
        except ffmpeg.Error as error:
            raise ClipCutFailed(f"ffmpeg failed cutting {start:.3f}-{end:.3f} s of {source}: {ffmpeg_reason(error.stderr) or error}") from error

    # --- smart cut ----------------------------------------------------------------------
    def smart_cut(self, source: Path, start: float, end: float, target: Path, with_audio: bool) -> ClipCut:
        """Cut ``[start, end)`` copying whole GOPs; raises :class:`SmartCutUnsafe` when it can't."""
        # Audio is re-encoded by ffmpeg alongside (cheap: no video is decoded for it).
        audio_path = target.with_name(f".{target.stem}.audio.m4a")
        audio = self._start_audio(source, start, end, audio_path) if with_audio else None
        try:
            with av.open(str(source)) as container:
                stream = container.streams.video[0]
                facts = stream_facts(stream)
                obstacles = smart_cut_obstacles(facts, self.max_height)
                if obstacles:
                    raise SmartCutUnsafe("; ".join(obstacles))
                # ffmpeg's -ss counts from the file's start time: pick frames the same way.
                origin = (container.start_time or 0) / av.time_base
                start, end = start + origin, end + origin
                window = read_gop_window(container, stream, start, end, facts)
                plan = plan_smart_cut(
                    window.frame_pts,
                    window.boundaries,
                    float(start / facts.time_base),
                    float(end / facts.time_base),
                    float(facts.frame_ticks),
                    tolerance=float(Fraction(1, 1_000_000) / facts.time_base),  # ffmpeg's µs
                )
                if plan is None:
                    raise SmartCutUnsafe("no whole GOP inside the clip")
                copied = window.copied_packets(plan)
                # Head and tail side by side: PyAV frees the GIL while coding, and two short
                # encodes keep both cores busier than one after the other.
                with ThreadPoolExecutor(max_workers=2) as pool:
                    head_job = pool.submit(self._encode_part, window, plan.first, plan.copy_from, facts, 1 + facts.max_parameter_set_id)
                    tail_job = pool.submit(self._encode_part, window, plan.copy_to, plan.last + 1, facts, 2 + facts.max_parameter_set_id)
                    head, tail = head_job.result(), tail_job.result()
                config = merged_avc_config(facts.avc_config, [part.config for part in (head, tail) if part.packets])
                audio_file = self._finish_audio(audio, source, start, end, audio_path)
                write_smart_clip(target, stream, config, head, copied, tail, plan.first, audio_file)
            return ClipCut("smart", copied_frames=len(copied), encoded_frames=len(head.packets) + len(tail.packets))
        except av.FFmpegError as error:
            raise SmartCutUnsafe(f"PyAV could not read or write the GOPs: {error}") from error
        finally:
            if audio is not None and audio.poll() is None:
                audio.kill()
                audio.wait()
            audio_path.unlink(missing_ok=True)

    def _start_audio(self, source: Path, start: float, end: float, path: Path) -> subprocess.Popen:
        command = [
            ffmpeg_executable(self.ffmpeg_binary), "-nostdin", "-v", "error", "-y",
            "-ss", f"{start:.6f}", "-t", f"{end - start:.6f}", "-i", str(source),
            "-vn", "-c:a", "aac", "-b:a", self.audio_bitrate, "-f", "mp4", str(path),
        ]  # fmt: skip
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def _finish_audio(self, audio: subprocess.Popen | None, source: Path, start: float, end: float, path: Path) -> Path | None:
        if audio is None:
            return None
        _, stderr = audio.communicate()
        if audio.returncode != 0:
            raise ClipCutFailed(f"ffmpeg failed encoding the audio of {start:.3f}-{end:.3f} s of {source}: {ffmpeg_reason(stderr)}")
        return path

    def _encode_part(self, window: GopWindow, first: int, stop: int, facts: StreamFacts, parameter_set_id: int) -> EncodedPart:
        """Decode the source frames with pts in ``[first, stop)`` and encode them like the source."""
        frames = window.decode(first, stop)
        if not frames:
            return EncodedPart([], AvcConfig.empty())
        encoder = av.CodecContext.create("libx264", "w")
        encoder.width, encoder.height, encoder.pix_fmt = facts.width, facts.height, "yuv420p"
        encoder.time_base, encoder.framerate = facts.time_base, facts.frame_rate
        for name in ("color_range", "colorspace", "color_primaries", "color_trc"):
            setattr(encoder, name, getattr(facts.colors, name))
        encoder.options = {
            "preset": self.preset,
            "crf": str(self.crf),
            "profile": X264_PROFILES[facts.profile],
            "threads": str(self.threads) if self.threads else "auto",
            # Own SPS/PPS ids: the clip's avcC then holds the source's and these side by side.
            "x264-params": f"sps-id={parameter_set_id}",
        }
        packets = []
        for frame in frames:
            frame.pict_type = av.video.frame.PictureType.NONE  # no forced frame types from the source
            packets += encoder.encode(frame)
        packets += encoder.encode(None)
        return encoded_part(packets, facts, parameter_set_id)


def ffmpeg_reason(stderr: bytes | None) -> str:
    """The last lines of ffmpeg's error output, on one line."""
    lines = (stderr or b"").decode("utf-8", "replace").strip().splitlines()
    return " / ".join(lines[-3:])


# --- H.264 bitstream: parameter sets and the avcC box ----------------------------------


def annexb_nal_units(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B byte stream (start-code separated)."""
    units: list[bytes] = []
    position = data.find(b"\x00\x00\x01")
    while position >= 0:
        begin = position + 3
        following = data.find(b"\x00\x00\x01", begin)
        unit = data[begin : following if following >= 0 else len(data)]
        # A 4-byte start code leaves its leading zero at the end of the previous unit.
        units.append(unit.rstrip(b"\x00") if following >= 0 else unit)
        position = following
    return [unit for unit in units if unit]


def length_prefixed(units: Sequence[bytes]) -> bytes:
    """NAL units as mp4 samples carry them: each after its 4-byte big-endian length."""
    return b"".join(len(unit).to_bytes(4, "big") + unit for unit in units)


def length_prefixed_nal_types(sample: bytes) -> list[int]:
    """The NAL unit types of an mp4 sample with 4-byte lengths."""
    types, position = [], 0
    while position + 4 <= len(sample):
        size = int.from_bytes(sample[position : position + 4], "big")
        if size == 0 or position + 4 + size > len(sample):
            break
        types.append(sample[position + 4] & 0x1F)
        position += 4 + size
    return types


def _rbsp_bits(unit: bytes) -> Iterator[int]:
    """The payload bits of a NAL unit after its header, emulation-prevention bytes removed."""
    zeros = 0
    for byte in unit[1:]:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        zeros = zeros + 1 if byte == 0 else 0
        for shift in range(7, -1, -1):
            yield (byte >> shift) & 1


def _exp_golomb(bits: Iterator[int]) -> int:
    leading = 0
    while next(bits) == 0:
        leading += 1
    value = 0
    for _ in range(leading):
        value = (value << 1) | next(bits)
    return (1 << leading) - 1 + value


def sps_id(unit: bytes) -> int:
    """seq_parameter_set_id of an SPS NAL unit (after profile, constraints and level)."""
    bits = _rbsp_bits(unit)
    for _ in range(24):
        next(bits)
    return _exp_golomb(bits)


def pps_ids(unit: bytes) -> tuple[int, int]:
    """(pic_parameter_set_id, seq_parameter_set_id) of a PPS NAL unit."""
    bits = _rbsp_bits(unit)
    return _exp_golomb(bits), _exp_golomb(bits)


@dataclass(frozen=True)
class AvcConfig:
    """An AVCDecoderConfigurationRecord (the mp4 ``avcC`` box): profile, level, parameter sets."""

    profile: int
    compatibility: int
    level: int
    length_size: int
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    extension: bytes = b""  # the High-profile trailer (chroma format, bit depths), kept as is

    @classmethod
    def empty(cls) -> AvcConfig:
        return cls(0, 0xFF, 0, 4, (), ())

    @classmethod
    def parse(cls, record: bytes) -> AvcConfig:
        if len(record) < 7 or record[0] != 1:
            raise ValueError("not an avcC record (H.264 in Annex B form?)")
        position = 6
        sps = []
        for _ in range(record[5] & 0x1F):
            size = int.from_bytes(record[position : position + 2], "big")
            sps.append(record[position + 2 : position + 2 + size])
            position += 2 + size
        pps = []
        count, position = record[position], position + 1
        for _ in range(count):
            size = int.from_bytes(record[position : position + 2], "big")
            pps.append(record[position + 2 : position + 2 + size])
            position += 2 + size
        return cls(record[1], record[2], record[3], (record[4] & 0x03) + 1, tuple(sps), tuple(pps), record[position:])

    def to_bytes(self) -> bytes:
        record = bytearray([1, self.profile, self.compatibility, self.level, 0xFC | (self.length_size - 1), 0xE0 | len(self.sps)])
        for unit in self.sps:
            record += len(unit).to_bytes(2, "big") + unit
        record.append(len(self.pps))
        for unit in self.pps:
            record += len(unit).to_bytes(2, "big") + unit
        return bytes(record + self.extension)

    @property
    def parameter_set_ids(self) -> set[int]:
        return {sps_id(unit) for unit in self.sps} | {pps_ids(unit)[0] for unit in self.pps}


#: H.264 profile_idc values: Baseline, Main, High.
PROFILE_BASELINE, PROFILE_MAIN, PROFILE_HIGH = 66, 77, 100


def profile_fits(part: AvcConfig, source: AvcConfig) -> bool:
    """Whether frames coded in ``part``'s profile decode in a stream of ``source``'s profile.

    The same profile always does; Main and High decoders also decode Constrained Baseline
    (constraint_set1_flag), and High decoders Main (x264's fastest presets drop to those).
    """
    if part.profile == source.profile:
        return True
    constrained_baseline = part.profile == PROFILE_BASELINE and part.compatibility & 0x40
    if source.profile == PROFILE_MAIN:
        return bool(constrained_baseline)
    if source.profile == PROFILE_HIGH:
        return bool(constrained_baseline) or part.profile == PROFILE_MAIN
    return False


def merged_avc_config(source: AvcConfig, parts: Sequence[AvcConfig]) -> AvcConfig:
    """The source's avcC plus the re-encoded parts' parameter sets (distinct ids).

    Raises :class:`SmartCutUnsafe` when a part's profile differs or its ids collide.
    """
    sps, pps = list(source.sps), list(source.pps)
    used = source.parameter_set_ids
    level, compatibility = source.level, source.compatibility
    for part in parts:
        if not profile_fits(part, source):
            raise SmartCutUnsafe(f"re-encoded frames have H.264 profile_idc {part.profile}, the source {source.profile}")
        if part.parameter_set_ids & used:
            raise SmartCutUnsafe(f"parameter set ids {sorted(part.parameter_set_ids & used)} would collide")
        used |= part.parameter_set_ids
        sps += part.sps
        pps += part.pps
        level, compatibility = max(level, part.level), compatibility & part.compatibility
    return AvcConfig(source.profile, compatibility, level, source.length_size, tuple(sps), tuple(pps), source.extension)


# --- the source stream and the GOPs around a clip --------------------------------------


@dataclass(frozen=True)
class ColorTags:
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

    @property
    def frame_ticks(self) -> Fraction:
        """One frame's duration in time-base ticks (an integer on a usable time base)."""
        return 1 / (self.frame_rate * self.time_base) if self.frame_rate and self.time_base else Fraction(0)

    @property
    def max_parameter_set_id(self) -> int:
        return max(self.avc_config.parameter_set_ids, default=0) if self.avc_config else 0


def stream_facts(stream: av.video.stream.VideoStream) -> StreamFacts:
    context = stream.codec_context
    try:
        config = AvcConfig.parse(bytes(context.extradata or b"")) if context.name == "h264" else None
    except (ValueError, IndexError, StopIteration):
        config = None
    return StreamFacts(
        codec=context.name,
        profile=context.profile,
        pix_fmt=context.pix_fmt,
        width=context.width,
        height=context.height,
        time_base=stream.time_base or Fraction(0),
        frame_rate=stream.average_rate or Fraction(0),
        avc_config=config,
        colors=ColorTags(context.color_range, context.colorspace, context.color_primaries, context.color_trc),
    )


def smart_cut_obstacles(facts: StreamFacts, max_height: int) -> list[str]:
    """Why GOPs of this stream cannot be copied into a clip; empty when they can.

    The re-encoded head and tail must decode in the same stream as the copied GOPs: same
    codec and profile, 4:2:0 8-bit, same size (so no scaling to ``max_height``), and a
    constant frame rate on the time base so frames line up.
    """
    obstacles = []
    if facts.codec != "h264":
        obstacles.append(f"codec {facts.codec} is not H.264")
    elif facts.profile not in X264_PROFILES:
        obstacles.append(f"H.264 profile {facts.profile} cannot be matched by x264")
    if facts.pix_fmt != "yuv420p":
        obstacles.append(f"pixel format {facts.pix_fmt} is not yuv420p")
    if facts.height > max_height:
        obstacles.append(f"height {facts.height} is above max_height {max_height}: clips must be scaled")
    if facts.width % 2 or facts.height % 2:
        obstacles.append(f"odd size {facts.width}x{facts.height}")
    if not facts.frame_ticks or facts.frame_ticks.denominator != 1:
        obstacles.append(f"frame rate {facts.frame_rate} is not a whole number of ticks of time base {facts.time_base}")
    if facts.codec == "h264" and facts.avc_config is None:
        obstacles.append("no avcC parameter sets (Annex B stream in mp4?)")
    elif facts.avc_config is not None:
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


def monotonic_dts(dts: Sequence[int]) -> list[int]:
    """Decode timestamps made strictly increasing by moving earlier ones back.

    Re-encoded frames and copied ones may use different B-frame delays, so their decode
    times can touch at a seam; moving a dts earlier never puts it after its pts.
    """
    fixed = list(dts)
    for index in range(len(fixed) - 2, -1, -1):
        fixed[index] = min(fixed[index], fixed[index + 1] - 1)
    return fixed


@dataclass
class GopWindow:
    """The source's video packets from the keyframe before a clip to the GOP after it."""

    packets: list[av.Packet]
    boundaries: list[int]
    extradata: bytes

    @property
    def frame_pts(self) -> list[int]:
        return [packet.pts for packet in self.packets]

    def copied_packets(self, plan: SmartCutPlan) -> list[av.Packet]:
        """The packets of the GOPs ``[copy_from, copy_to)``, checked to be self-contained."""
        indexes = [i for i, packet in enumerate(self.packets) if plan.copy_from <= packet.pts < plan.copy_to]
        if indexes != list(range(indexes[0], indexes[-1] + 1)):
            raise SmartCutUnsafe("open GOPs: frames of the copied GOPs are interleaved with others in decode order")
        copied = [self.packets[i] for i in indexes]
        if copied[0].pts != plan.copy_from or NAL_IDR_SLICE not in length_prefixed_nal_types(bytes(copied[0])):
            raise SmartCutUnsafe("the first copied keyframe is not an IDR frame (open GOP)")
        return copied

    def decode(self, first: int, stop: int) -> list[av.VideoFrame]:
        """Source frames with pts in ``[first, stop)``, decoded from the keyframe before them."""
        if first >= stop:
            return []
        keyframes = [i for i, packet in enumerate(self.packets) if packet.is_keyframe and packet.pts <= first]
        decoder = av.CodecContext.create("h264", "r")
        decoder.extradata = self.extradata
        decoder.thread_type = "AUTO"
        frames: list[av.VideoFrame] = []
        for packet in self.packets[keyframes[-1] :]:
            if packet.is_keyframe and packet.pts >= stop:
                break
            frames += decoder.decode(packet)
        frames += decoder.decode(None)
        wanted = [frame for frame in frames if first <= frame.pts < stop]
        if len(wanted) != len({packet.pts for packet in self.packets if first <= packet.pts < stop}):
            raise SmartCutUnsafe(f"decoded {len(wanted)} frames where the source has more between pts {first} and {stop}")
        return sorted(wanted, key=lambda frame: frame.pts)


def read_gop_window(container: av.container.InputContainer, stream: av.video.stream.VideoStream, start: float, end: float, facts: StreamFacts) -> GopWindow:
    """Demux (not decode) the packets from the keyframe at or before ``start`` to the first at or after ``end``."""
    ticks = int(start / facts.time_base)
    for _ in range(4):
        container.seek(ticks, stream=stream, backward=True, any_frame=False)
        packets: list[av.Packet] = []
        boundaries: list[int] = []
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if packet.pts is None or packet.dts is None:
                raise SmartCutUnsafe("source packets without timestamps")
            if packet.is_keyframe:
                boundaries.append(packet.pts)
                if packet.pts * facts.time_base >= end and packets:
                    break
            packets.append(packet)
        else:
            # The end of the stream closes the last GOP.
            boundaries.append(max(p.pts for p in packets) + int(facts.frame_ticks))
        # Landed on a keyframe at or before the start, or on the stream's very first frame.
        first_frame = stream.start_time if stream.start_time is not None else 0
        if packets and packets[0].is_keyframe and (packets[0].pts * facts.time_base <= start or packets[0].pts <= first_frame):
            break
        # Seeking by decode time can land one keyframe late: try just before it.
        ticks = (packets[0].pts if packets else ticks) - int(facts.frame_ticks)
    else:
        raise SmartCutUnsafe(f"could not seek to a keyframe before {start:.3f} s")
    pts = sorted(packet.pts for packet in packets)
    if any(b - a != facts.frame_ticks for a, b in zip(pts, pts[1:])):
        raise SmartCutUnsafe("frames are not evenly spaced (variable frame rate or dropped frames)")
    return GopWindow(packets, boundaries, bytes(stream.codec_context.extradata))


# --- encoding the head and tail, and writing the clip ----------------------------------


@dataclass(frozen=True)
class EncodedPart:
    """Re-encoded frames as mp4 samples (pts, dts, keyframe, sample), and their parameter sets."""

    packets: list[tuple[int, int, bool, bytes]]
    config: AvcConfig


def encoded_part(packets: Sequence[av.Packet], facts: StreamFacts, parameter_set_id: int) -> EncodedPart:
    """x264's Annex B packets as length-prefixed samples, SPS/PPS moved to an avcC."""
    sps: list[bytes] = []
    pps: list[bytes] = []
    samples = []
    for packet in packets:
        units = annexb_nal_units(bytes(packet))
        sps += [u for u in units if u[0] & 0x1F == NAL_SPS and u not in sps]
        pps += [u for u in units if u[0] & 0x1F == NAL_PPS and u not in pps]
        sample = length_prefixed([u for u in units if u[0] & 0x1F not in (NAL_SPS, NAL_PPS)])
        samples.append((packet.pts, packet.dts, packet.is_keyframe, sample))
    if not sps or not pps:
        raise SmartCutUnsafe("x264 wrote no parameter sets")
    config = AvcConfig(sps[0][1], sps[0][2], sps[0][3], 4, tuple(sps), tuple(pps))
    if config.parameter_set_ids != {parameter_set_id}:
        raise SmartCutUnsafe(f"x264 used parameter set ids {sorted(config.parameter_set_ids)}, not {parameter_set_id}")
    return EncodedPart(samples, config)


def write_smart_clip(
    target: Path,
    source_stream: av.video.stream.VideoStream,
    config: AvcConfig,
    head: EncodedPart,
    copied: Sequence[av.Packet],
    tail: EncodedPart,
    first_pts: int,
    audio_file: Path | None,
) -> None:
    """Mux head, copied GOPs and tail (and the audio) into ``target``, timed from 0."""
    time_base = source_stream.time_base
    samples = (
        head.packets
        + [(p.pts, p.dts, p.is_keyframe, bytes(p)) for p in copied]
        + tail.packets
    )
    dts = monotonic_dts([sample[1] for sample in samples])
    with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as output:
        video = output.add_stream_from_template(source_stream)
        video.codec_context.extradata = config.to_bytes()
        timed: list[tuple[float, av.Packet]] = []
        for (pts, _, keyframe, data), decode_ts in zip(samples, dts):
            packet = av.Packet(data)
            packet.pts, packet.dts, packet.time_base = pts - first_pts, decode_ts - first_pts, time_base
            packet.is_keyframe = keyframe
            packet.stream = video
            timed.append((float(packet.dts * time_base), packet))
        audio_input = av.open(str(audio_file)) if audio_file else None
        try:
            if audio_input is not None:
                audio = output.add_stream_from_template(audio_input.streams.audio[0])
                for packet in audio_input.demux(audio_input.streams.audio[0]):
                    if packet.size == 0 or packet.dts is None:
                        continue
                    packet.stream = audio
                    timed.append((float(packet.dts * packet.time_base), packet))
            for _, packet in sorted(timed, key=lambda item: item[0]):
                output.mux(packet)
        finally:
            if audio_input is not None:
                audio_input.close()

