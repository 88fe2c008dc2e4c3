"""Clip extraction benchmark: the project's clip path against a naive baseline and the encode limit.

    python benchmarks/clip_extraction.py [--half-minutes 5] [--rounds 5] [--preset-clips 6]

Generates (once, cached in ``.benchmarks/``) a game of four 1280x720@30 halves with a
keyframe every 2 s and audio, and 30 plays of 8-12 s starting off keyframes over both
halves and angles. Then measures, on the same machine in one run:

1. naive: one ffmpeg per clip with output seeking (``-i in -ss S``): decodes the half
   from its start up to every clip;
2. project: the function the ``game_clips`` asset calls for each clip
   (``basketball_assets.assets.clips.cut_clip`` with the default ``ClipEncoder``),
   storing into a local storage;
3. limit: one ffmpeg encoding one segment as long as all clips together, with the same
   settings: what encoding those seconds costs with no cutting at all;
4. smart: the same project path with ``ClipEncoder(mode="smart")``;
5. a table per x264 preset (time and size of the project path over the first clips).

The machine may be shared (two cores, other people's tests), so (1)-(4) take turns: the
clips are split into ``--rounds`` groups, and each group is cut by every way in rotating
order (the limit encodes one segment per round, as long as that group's clips). Wall
time decides the last line; CPU time (ffmpeg children plus this process's PyAV threads)
is printed beside it, as it moves much less with other people's load.

Every clip of (2) and (4) is checked to be within one frame of its play; smart clips are
also decoded from start to end (any decoder error fails the run) and their first frame
compared (PSNR) with the re-encoded clip's. The last line sums it up:

    clips=N clip_seconds=S naive_s=A project_s=B limit_s=C speedup_vs_naive=X limit_ratio=Y
    max_error_frames=F smart_s=D smart_limit_ratio=Z

(one line, wrapped here).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmark_game import CACHE_DIR, FPS, GAME_ID, BenchmarkPlay, prepare_game
from measure import packet_count, psnr

from basketball_assets.assets.clips import cut_clip
from basketball_assets.core.clips import HalfVideo, PlannedClip
from basketball_assets.core.layout import clip_key, video_key
from basketball_assets.resources.storage import LocalStorage, SourceVideo
from basketball_assets.resources.video import ClipEncoder, ffmpeg_executable, probe_video

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}, load average {load:.2f} at start"
    )


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def cpu_seconds() -> float:
    """CPU time of this process (PyAV work, all threads) and of its finished children (ffmpeg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Measure:
    """Wall-clock and CPU seconds of one way of cutting, summed over the rounds."""

    wall: float = 0.0
    cpu: float = 0.0

    def add(self, action: Callable[[], object]) -> None:
        cpu, started = cpu_seconds(), time.perf_counter()
        action()
        self.wall += time.perf_counter() - started
        self.cpu += cpu_seconds() - cpu


def encoding_args(encoder: ClipEncoder) -> list[str]:
    """The project's encoding settings as ffmpeg output arguments (for naive and limit)."""
    return [
        "-vf", f"scale=-2:min({encoder.max_height}\\,ih)", "-c:v", "libx264", "-preset", encoder.preset,
        "-crf", str(encoder.crf), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", encoder.audio_bitrate,
        "-movflags", "+faststart", "-threads", str(encoder.threads),
    ]  # fmt: skip


def run_ffmpeg(arguments: Sequence[str]) -> None:
    import subprocess

    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", *arguments], check=True, stdin=subprocess.DEVNULL
    )


def naive(work, encoder: ClipEncoder, folder: Path) -> None:
    """Output seeking: ffmpeg decodes from the start of the half up to each clip."""
    for clip, source, _ in work:
        run_ffmpeg(
            [
                "-i",
                str(source.path),
                "-ss",
                f"{clip.video_start:.6f}",
                "-t",
                f"{clip.duration:.6f}",
                *encoding_args(encoder),
                str(folder / f"{clip.play_id}.mp4"),
            ]
        )


def encode_limit(halves: dict, seconds: float, encoder: ClipEncoder, folder: Path) -> None:
    """One segment as long as the clips together, same settings, no seeking or cutting."""
    source = halves[("broadcast", 1)]
    run_ffmpeg(
        [
            "-stream_loop",
            "-1",
            "-i",
            str(source),
            "-t",
            f"{seconds:.6f}",
            *encoding_args(encoder),
            str(folder / "limit.mp4"),
        ]
    )


def planned_clips(halves: dict, plays: Sequence[BenchmarkPlay]) -> list[tuple[PlannedClip, SourceVideo, HalfVideo]]:
    """The plays as the ``game_clips`` asset hands them to ``cut_clip``."""
    work = []
    probes = {key: probe_video(path) for key, path in halves.items()}
    for play in plays:
        key = video_key(GAME_ID, play.angle, play.half)
        path = halves[(play.angle, play.half)]
        identity = f"benchmark:{path.stat().st_size}"
        clip = PlannedClip(
            play.play_id,
            play.angle,
            clip_key(GAME_ID, play.play_id, play.angle),
            play.half,
            key,
            play.start,
            play.end,
            "benchmark",
        )
        half = HalfVideo(
            key=key,
            duration=probes[(play.angle, play.half)].duration,
            identity=identity,
            has_audio=probes[(play.angle, play.half)].has_audio,
        )
        work.append((clip, SourceVideo(key=key, path=path, identity=identity), half))
    return work


def project(work, encoder: ClipEncoder, storage: LocalStorage) -> None:
    """The project's own clip path, one clip after another, as ``game_clips`` runs it."""
    for clip, source, half in work:
        cut_clip(storage, encoder, clip, source, half)


def error_frames(storage: LocalStorage, work) -> list[float]:
    """Each clip's duration error against its play, in frames."""
    errors = []
    for clip, _, _ in work:
        with storage.local_copy(clip.key) as path:
            errors.append(abs(probe_video(path).duration - clip.duration) * FPS)
    return errors


def decoded_frames(path: Path, limit: int | None = None) -> list[np.ndarray]:
    """Frames of a clip as grey images, decoded strictly: any decoder error raises."""
    frames: list[np.ndarray] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.options = {"err_detect": "explode"}
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format="gray").astype(np.float32))
            if limit is not None and len(frames) >= limit:
                break
    return frames


def check_smart(smart: LocalStorage, reference: LocalStorage, work) -> tuple[float, int]:
    """Decode every smart clip whole; PSNR of its first frame against the re-encoded clip's."""
    worst, frames = 99.0, 0
    for clip, _, _ in work:
        with smart.local_copy(clip.key) as path, reference.local_copy(clip.key) as ref:
            count = packet_count(path)
            ours = decoded_frames(path)
            if len(ours) != count:
                raise SystemExit(f"smart clip {path} decoded {len(ours)} of {count} frames")
            worst = min(worst, psnr(ours[0], decoded_frames(ref, limit=1)[0]))
            frames += len(ours)
    return worst, frames


class FallbackCounter(logging.Handler):
    """Counts smart cuts that fell back to re-encoding (ClipEncoder logs each one)."""

    def __init__(self) -> None:
        super().__init__()
        self.reasons: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "re-encodes instead" in record.getMessage():
            self.reasons.append(record.getMessage())


def presets_table(work, presets: Sequence[str], folder: Path) -> list[tuple[str, Measure, int]]:
    """Time and total size of the project path per x264 preset."""
    rows = []
    for preset in presets:
        storage = fresh_storage(folder / preset)
        measure = Measure()
        measure.add(
            lambda preset=preset, storage=storage: project(work, ClipEncoder(mode="reencode", preset=preset), storage)
        )
        size = sum(storage.size(clip.key) for clip, _, _ in work)
        rows.append((preset, measure, size))
        print(
            f"  preset {preset:<10} {measure.wall:7.1f} s wall, {measure.cpu:7.1f} s CPU, {size / 1e6:7.1f} MB",
            flush=True,
        )
    return rows


def fresh_storage(folder: Path) -> LocalStorage:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return LocalStorage(data_dir=str(folder))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half-minutes", type=float, default=5, help="length of each half video (default 5)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="the clips are measured in this many interleaved rounds (default 5)"
    )
    parser.add_argument(
        "--preset-clips", type=int, default=6, help="clips per preset in the preset table; 0 skips it (default 6)"
    )
    parser.add_argument("--presets", default=",".join(PRESETS), help="presets of the table, comma-separated")
    parser.add_argument("--no-smart", action="store_true", help="skip the smart-cut measurement")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}")
    halves, plays = prepare_game(args.half_minutes)
    encoder = ClipEncoder(mode="reencode")  # the re-encode path, measured against its limit
    clip_seconds = sum(play.duration for play in plays)
    print(
        f"game: 4 halves of {args.half_minutes:g} min, 1280x720@{FPS}, keyframe every 2 s; {len(plays)} plays, "
        f"{clip_seconds:.1f} clip-seconds"
    )
    print(f"encoding: {encoder.encoding()}", flush=True)

    run_dir = CACHE_DIR / f"run-{args.half_minutes:g}min"
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "naive").mkdir(parents=True)
    (run_dir / "limit").mkdir(parents=True)
    work = planned_clips(halves, plays)
    reference, smart = fresh_storage(run_dir / "project"), fresh_storage(run_dir / "smart")
    counter = FallbackCounter()
    logging.getLogger("dagster").addHandler(counter)

    # The machine is shared: the ways of cutting take turns, a round of clips each, in
    # rotating order, so a busy minute weighs on all of them alike.
    ways = {
        "naive": lambda group: naive(group, encoder, run_dir / "naive"),
        "project": lambda group: project(group, encoder, reference),
        "limit": lambda group: encode_limit(
            halves, sum(clip.duration for clip, _, _ in group), encoder, run_dir / "limit"
        ),
    }
    if not args.no_smart:
        ways["smart"] = lambda group: project(group, ClipEncoder(mode="smart"), smart)
    measures = {name: Measure() for name in ways}
    rounds = max(1, min(args.rounds, len(work)))
    for number in range(rounds):
        group = work[number::rounds]
        names = list(ways)[number % len(ways) :] + list(ways)[: number % len(ways)]
        for name in names:
            measures[name].add(lambda name=name, group=group: ways[name](group))
        print(f"round {number + 1}/{rounds}: " + ", ".join(f"{n} {measures[n].wall:.1f} s" for n in ways), flush=True)
    logging.getLogger("dagster").removeHandler(counter)

    errors = error_frames(reference, work)
    print(f"project clips: max error {max(errors):.2f} frames")
    smart_fields = ""
    if "smart" in measures:
        smart_errors = error_frames(smart, work)
        worst_psnr, frames = check_smart(smart, reference, work)
        print(
            f"smart clips: {len(work) - len(counter.reasons)} smart, {len(counter.reasons)} fell back; {frames} "
            "frames decoded "
            f"without error; max error {max(smart_errors):.2f} frames; first frame vs re-encoded: min PSNR "
            f"{worst_psnr:.1f} dB"
        )
        for reason in counter.reasons:
            print(f"  fallback: {reason}")
        errors += smart_errors
        smart_ratio = measures["smart"].wall / measures["limit"].wall
        smart_fields = f" smart_s={measures['smart'].wall:.1f} smart_limit_ratio={smart_ratio:.2f}"

    print()
    print("| way | wall s | CPU s | wall s per clip-second | CPU vs limit |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, measure in measures.items():
        print(
            f"| {name} | {measure.wall:.1f} | {measure.cpu:.1f} | {measure.wall / clip_seconds:.3f} | "
            f"{measure.cpu / measures['limit'].cpu:.2f} |"
        )

    preset_rows = []
    if args.preset_clips > 0:
        subset = work[: args.preset_clips]
        subset_seconds = sum(c.duration for c, _, _ in subset)
        print(f"\npresets: project path over {len(subset)} clips, {subset_seconds:.1f} clip-seconds", flush=True)
        preset_rows = presets_table(subset, [p for p in args.presets.split(",") if p], run_dir / "presets")
        print("\n| preset | wall s | CPU s | MB | MB per clip-minute |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for preset, measure, size in preset_rows:
            print(
                f"| {preset} | {measure.wall:.1f} | {measure.cpu:.1f} | {size / 1e6:.1f} | "
                f"{size / 1e6 / subset_seconds * 60:.1f} |"
            )

    naive_s, project_s, limit_s = (measures[n].wall for n in ("naive", "project", "limit"))
    (CACHE_DIR / f"results-{args.half_minutes:g}min.json").write_text(
        json.dumps(
            {
                "machine": machine(),
                "wall": {n: m.wall for n, m in measures.items()},
                "cpu": {n: m.cpu for n, m in measures.items()},
                "presets": [(p, m.wall, m.cpu, size) for p, m, size in preset_rows],
                "max_error_frames": max(errors),
                "fallbacks": counter.reasons,
            },
            indent=1,
        )
    )
    print(
        f"clips={len(work)} clip_seconds={clip_seconds:.1f} naive_s={naive_s:.1f} project_s={project_s:.1f} "
        f"limit_s={limit_s:.1f} speedup_vs_naive={naive_s / project_s:.2f} limit_ratio={project_s / limit_s:.2f} "
        f"max_error_frames={max(errors):.2f}{smart_fields}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
