"""Smart cut, the video work: read the GOPs around a clip, re-encode its head and tail, write the clip.

Functions that :class:`basketball_assets.resources.video.ClipEncoder` calls in ``smart``
mode, with PyAV (FFmpeg's libraries): the whole GOPs inside the clip are copied untouched
from the source, only the partial GOPs at the head and tail are decoded and re-encoded
with x264 in the source's profile, under their own parameter-set ids. What may be copied
and which frames go where is decided in :mod:`basketball_assets.core.smart_cut`. A PyAV
error with a machine's errno (a full disk, no memory) raises
:class:`~basketball_assets.core.ffmpeg_errors.MachineFailure`; other errors make the clip
re-encoded instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av

from basketball_assets.core.ffmpeg_errors import MachineFailure, os_error_failure
from basketball_assets.core.h264 import (
    NAL_IDR_SLICE,
    NAL_PPS,
    NAL_SPS,
    AvcConfig,
    annexb_nal_units,
    length_prefixed,
    length_prefixed_nal_types,
)
from basketball_assets.core.smart_cut import (
    X264_PROFILES,
    ColorTags,
    SmartCutPlan,
    SmartCutUnsafe,
    StreamFacts,
    decode_timestamps,
    merged_avc_config,
    plan_smart_cut,
    smart_cut_obstacles,
)


@dataclass(frozen=True)
class X264Settings:
    """The x264 settings of the re-encoded head and tail (copied GOPs keep the source's)."""

    preset: str
    crf: int
    threads: int


@dataclass(frozen=True)
class SmartClip:
    """How many frames of a smart-cut clip were copied and how many re-encoded."""

    copied_frames: int
    encoded_frames: int


def smart_cut_clip(
    source: Path,
    start: float,
    end: float,
    target: Path,
    max_height: int,
    x264: X264Settings,
    finish_audio: Callable[[], Path | None],
) -> SmartClip:
    """Write ``[start, end)`` of ``source`` to ``target`` copying whole GOPs.

    ``finish_audio`` is called just before muxing and returns the clip's audio file (or
    ``None``), so that the audio can be encoded alongside. Raises :class:`SmartCutUnsafe`
    when the source does not allow a smart cut.
    """
    try:
        with av.open(str(source)) as container:
            stream = container.streams.video[0]
            facts = replace(stream_facts(stream), rotation=display_rotation(container, stream))
            obstacles = smart_cut_obstacles(facts, max_height)
            if obstacles:
                raise SmartCutUnsafe("; ".join(obstacles))
            # ffmpeg's -ss counts from the file's start time: pick frames the same way.
            origin = (container.start_time or 0) / av.time_base
            window, plan = gops_of_clip(container, stream, start + origin, end + origin, facts)
            copied = window.copied_packets(plan)
            head, tail = encode_head_and_tail(window, plan, facts, x264)
            config = merged_avc_config(facts.avc_config, [part.config for part in (head, tail) if part.packets])
            write_smart_clip(target, stream, config, head, copied, tail, plan.first, finish_audio())
        return SmartClip(copied_frames=len(copied), encoded_frames=len(head.packets) + len(tail.packets))
    except (av.FFmpegError, OSError) as error:
        # PyAV's errors carry the errno: a full disk or no memory is the machine, not the source.
        cause = os_error_failure(getattr(error, "errno", None), str(error))
        if cause.machine:
            raise MachineFailure(cause, f"cutting {start:.3f}-{end:.3f} s of {source}") from error
        raise SmartCutUnsafe(f"PyAV could not read or write the GOPs: {error}") from error


def stream_facts(stream: av.video.stream.VideoStream) -> StreamFacts:
    """What a smart cut needs to know of a video stream, read from PyAV."""
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


def display_rotation(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> int:
    """Degrees the stream's display matrix turns its frames, read off its first decoded frame.

    PyAV shows the matrix on frames only, and only on frames of the stream's own decoder;
    decoding the first frame costs one keyframe. 0 when nothing decodes (the cut then
    fails or falls back on its own).
    """
    decoder = stream.codec_context
    for number, packet in enumerate(container.demux(stream)):
        frames = decoder.decode(packet) if packet.size else []
        if frames or number >= 32:
            break
    else:
        frames = []
    frames = frames or decoder.decode(None)
    return round(frames[0].rotation or 0) if frames else 0


# --- the source's GOPs around a clip ---------------------------------------------------


@dataclass
class GopWindow:
    """The source's video packets from the keyframe before a clip to the GOP after it."""

    packets: list[av.Packet]
    boundaries: list[int]
    extradata: bytes

    @property
    def frame_pts(self) -> list[int]:
        """The pts of every packet, in decode order."""
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
            raise SmartCutUnsafe(
                f"decoded {len(wanted)} frames where the source has more between pts {first} and {stop}"
            )
        return sorted(wanted, key=lambda frame: frame.pts)


def gops_of_clip(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    start: float,
    end: float,
    facts: StreamFacts,
) -> tuple[GopWindow, SmartCutPlan]:
    """The GOPs around ``[start, end)`` (the file's timestamps, in seconds) and the plan of the cut."""
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
    return window, plan


def read_gop_window(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    start: float,
    end: float,
    facts: StreamFacts,
) -> GopWindow:
    """Demux (not decode) the packets from the keyframe at or before ``start`` to the first at or after ``end``."""
    ticks = int(start / facts.time_base)
    for _ in range(4):
        container.seek(ticks, stream=stream, backward=True, any_frame=False)
        packets, boundaries = _demux_gops(container, stream, end, facts)
        # Landed on a keyframe at or before the start, or on the stream's very first frame.
        first_frame = stream.start_time if stream.start_time is not None else 0
        if (
            packets
            and packets[0].is_keyframe
            and (packets[0].pts * facts.time_base <= start or packets[0].pts <= first_frame)
        ):
            break
        # Seeking by decode time can land one keyframe late: try just before it.
        ticks = (packets[0].pts if packets else ticks) - int(facts.frame_ticks)
    else:
        raise SmartCutUnsafe(f"could not seek to a keyframe before {start:.3f} s")
    pts = sorted(packet.pts for packet in packets)
    if any(b - a != facts.frame_ticks for a, b in pairwise(pts)):
        raise SmartCutUnsafe("frames are not evenly spaced (variable frame rate or dropped frames)")
    return GopWindow(packets, boundaries, bytes(stream.codec_context.extradata))


def _demux_gops(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, end: float, facts: StreamFacts
) -> tuple[list[av.Packet], list[int]]:
    """From where the container was sought to: the packets up to the first keyframe at or after
    ``end``, and the pts where GOPs start."""
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
        if not packets:  # a video that ends (or was cut short) before the clip
            raise SmartCutUnsafe("no video frames from the keyframe before the clip on")
        # The end of the stream closes the last GOP.
        boundaries.append(max(p.pts for p in packets) + int(facts.frame_ticks))
    return packets, boundaries


# --- encoding the head and tail, and writing the clip ----------------------------------


@dataclass(frozen=True)
class EncodedPart:
    """Re-encoded frames as mp4 samples (pts, keyframe, sample), and their parameter sets.

    No decode times: the clip's are derived from the pts of all its samples (``decode_timestamps``).
    """

    packets: list[tuple[int, bool, bytes]]
    config: AvcConfig


def encode_head_and_tail(
    window: GopWindow, plan: SmartCutPlan, facts: StreamFacts, x264: X264Settings
) -> tuple[EncodedPart, EncodedPart]:
    """Re-encode the frames before and after the copied GOPs, each under its own parameter-set id."""
    # Head and tail side by side: PyAV frees the GIL while coding, and two short
    # encodes keep both cores busier than one after the other.
    with ThreadPoolExecutor(max_workers=2) as pool:
        head_id, tail_id = 1 + facts.max_parameter_set_id, 2 + facts.max_parameter_set_id
        head_job = pool.submit(encode_part, window, plan.first, plan.copy_from, facts, head_id, x264)
        tail_job = pool.submit(encode_part, window, plan.copy_to, plan.last + 1, facts, tail_id, x264)
        return head_job.result(), tail_job.result()


def encode_part(
    window: GopWindow, first: int, stop: int, facts: StreamFacts, parameter_set_id: int, x264: X264Settings
) -> EncodedPart:
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
        "preset": x264.preset,
        "crf": str(x264.crf),
        "profile": X264_PROFILES[facts.profile],
        "threads": str(x264.threads) if x264.threads else "auto",
        # Own SPS/PPS ids: the clip's avcC then holds the source's and these side by side.
        "x264-params": f"sps-id={parameter_set_id}",
    }
    packets = []
    for frame in frames:
        frame.pict_type = av.video.frame.PictureType.NONE  # no forced frame types from the source
        packets += encoder.encode(frame)
    packets += encoder.encode(None)
    return encoded_part(packets, facts, parameter_set_id)


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
        samples.append((packet.pts, packet.is_keyframe, sample))
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
    samples = head.packets + [(p.pts, p.is_keyframe, bytes(p)) for p in copied] + tail.packets
    dts = decode_timestamps([sample[0] for sample in samples])
    with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as output:
        video = output.add_stream_from_template(source_stream)
        video.codec_context.extradata = config.to_bytes()
        timed: list[tuple[float, av.Packet]] = []
        for (pts, keyframe, data), decode_ts in zip(samples, dts, strict=True):
            packet = av.Packet(data)
            packet.pts, packet.dts, packet.time_base = pts - first_pts, decode_ts - first_pts, time_base
            packet.is_keyframe = keyframe
            packet.stream = video
            timed.append((float(packet.dts * time_base), packet))
        audio_input = av.open(str(audio_file)) if audio_file else None
        try:
            if audio_input is not None:
                timed += _audio_packets(output, audio_input)
            for _, packet in sorted(timed, key=lambda item: item[0]):
                output.mux(packet)
        finally:
            if audio_input is not None:
                audio_input.close()


def _audio_packets(
    output: av.container.OutputContainer, audio_input: av.container.InputContainer
) -> list[tuple[float, av.Packet]]:
    """The audio file's packets, moved to a new stream of ``output``, each with its decode time."""
    audio = output.add_stream_from_template(audio_input.streams.audio[0])
    timed = []
    for packet in audio_input.demux(audio_input.streams.audio[0]):
        if packet.size == 0 or packet.dts is None:
            continue
        packet.stream = audio
        timed.append((float(packet.dts * packet.time_base), packet))
    return timed
