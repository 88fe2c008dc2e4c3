"""A corpus of real-world encodings, generated with ffmpeg and cached in ``.benchmarks/corpus/``.

Each entry is a short test-pattern video (frame number burned in, so a frame off is
visible) encoded the way a camera, a phone or a broadcast chain would: x264's defaults,
open GOPs, HEVC, 1080p60, variable frame rate, no audio, 48 kHz stereo AAC, a non-zero
start time, a rotated phone video; plus ``broadcast`` (2-second closed GOPs, the
benchmark game's encoding) and the keyframe-interval sources of the cost curve. Every
entry names the clips cut from it: seconds from the file's start, as a play gives them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmark_game import CACHE_DIR

from basketball_assets.demo import DemoVideo, render_half
from basketball_assets.resources.video import ffmpeg_executable

CORPUS_DIR = CACHE_DIR / "corpus"

#: Clips of a 40 s source: the first spans two keyframes even at x264's default interval (8.3 s).
CLIPS_40S = ((1.13, 19.37), (20.52, 29.9), (30.23, 38.7))
#: Clips of a 60 s source (the cost curve): about 10 s each, none starting on a keyframe.
CLIPS_60S = ((2.37, 12.9), (20.52, 31.1), (40.23, 50.7))


@dataclass(frozen=True)
class Entry:
    """One encoding of the corpus: how to make it, and the clips to cut from it."""

    name: str
    description: str
    seconds: float = 40.0
    clips: tuple[tuple[float, float], ...] = CLIPS_40S
    shape: tuple[int, int, int] = (1280, 720, 30)  # width, height, fps
    encoder: dict = field(default_factory=dict)  # ffmpeg output options over render_half's
    sample_rate: int = 48000
    post: tuple[str, ...] = ()  # ffmpeg arguments (input options, then output ones) of a stream-copy pass
    post_input: tuple[str, ...] = ()

    @property
    def fps(self) -> int:
        return self.shape[2]

    @property
    def path(self) -> Path:
        return CORPUS_DIR / f"{self.name}.mp4"


def closed_gops(seconds: float, fps: int = 30) -> dict:
    """x264 High with B-frames and a keyframe exactly every ``seconds`` (no scene cuts)."""
    frames = round(seconds * fps)
    return {"preset": "veryfast", "profile": "high", "g": frames, "keyint_min": frames, "sc_threshold": 0}


CORPUS = (
    Entry("broadcast", "x264 High, B-frames, closed GOPs every 2 s, 48 kHz mono AAC", encoder=closed_gops(2)),
    Entry(
        "x264-defaults",
        "x264 preset medium as shipped: keyframe every 250 frames, scene cuts, 3 B-frames",
        encoder={"preset": "medium", "g": 250},
    ),
    Entry(
        "open-gop",
        "x264 open GOPs (recovery-point I-frames), every 2 s",
        encoder={**closed_gops(2), "x264-params": "open-gop=1"},
    ),
    Entry(
        "hevc",
        "HEVC (x265 ultrafast), keyframe every 2 s",
        encoder={
            "vcodec": "libx265",
            "preset": "ultrafast",
            "g": 60,
            "tag:v": "hvc1",
            "x265-params": "log-level=error",
        },
    ),
    Entry(
        "1080p60",
        "x264 1920x1080 at 60 fps, keyframe every 2 s (clips are scaled to 720p)",
        seconds=20.0,
        clips=((1.13, 9.37), (10.52, 18.9)),
        shape=(1920, 1080, 60),
        encoder=closed_gops(2, 60),
    ),
    Entry(
        "vfr-phone",
        "variable frame rate like a phone: no B-frames, every third frame 8 ms late, 1/90000 time base, 44.1 kHz",
        encoder={**closed_gops(1), "bf": 0},
        sample_rate=44100,
        post=("-bsf:v", "setts=ts=TS+eq(mod(N\\,3)\\,1)*0.008/TB", "-video_track_timescale", "90000"),
    ),
    Entry("no-audio", "x264 closed GOPs every 2 s, no audio track", encoder=closed_gops(2), post=("-an",)),
    Entry(
        "stereo-48k",
        "x264 closed GOPs every 2 s, 48 kHz stereo AAC 192k",
        encoder={**closed_gops(2), "ac": 2, "audio_bitrate": "192k"},
    ),
    Entry(
        "start-offset",
        "x264 closed GOPs every 2 s, timestamps starting at 3.5 s (a file cut from a stream)",
        encoder=closed_gops(2),
        post=("-output_ts_offset", "3.5"),
    ),
    Entry(
        "rotated-phone",
        "x264 1280x720 coded, display matrix rotating it 90 degrees (a phone held upright)",
        encoder=closed_gops(1),
        post_input=("-display_rotation:v:0", "90"),
    ),
)

#: The cost curve's sources: the broadcast encoding with a keyframe every 1, 2, 5 and 10 s.
KEYFRAME_INTERVALS = (1, 2, 5, 10)
CURVE = tuple(
    Entry(f"keyframe-{s}s", f"x264 closed GOPs every {s} s", seconds=60.0, clips=CLIPS_60S, encoder=closed_gops(s))
    for s in KEYFRAME_INTERVALS
)


def _copy_pass(source: Path, target: Path, entry: Entry) -> None:
    """Stream-copy ``source`` to ``target`` with the entry's extra options (no re-encoding)."""
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", *entry.post_input, "-i", str(source), "-map", "0",
         "-c", "copy", *entry.post, "-movflags", "+faststart", str(target)],
        check=True,
    )  # fmt: skip


def prepare(entries: tuple[Entry, ...], log: Callable[[str], None] = print) -> None:
    """Render the entries not yet cached (each under a temporary name, then renamed)."""
    for entry in entries:
        if entry.path.exists():
            continue
        width, height, fps = entry.shape
        shape = DemoVideo(width=width, height=height, fps=fps, half_seconds=entry.seconds)
        encoder = {"preset": "veryfast", **entry.encoder}
        if entry.post or entry.post_input:
            plain = entry.path.with_name(f".{entry.name}.plain.mp4")
            render_half(plain, entry.name, entry.seconds, shape, 440, encoder=encoder, sample_rate=entry.sample_rate,
                        frame_numbers=True)  # fmt: skip
            partial = entry.path.with_name(f".{entry.name}.part.mp4")
            _copy_pass(plain, partial, entry)
            plain.unlink()
            partial.replace(entry.path)
        else:
            render_half(entry.path, entry.name, entry.seconds, shape, 440, encoder=encoder,
                        sample_rate=entry.sample_rate, frame_numbers=True)  # fmt: skip
        log(f"rendered corpus entry {entry.name}")
