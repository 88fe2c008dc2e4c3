"""The benchmark game: four 1280x720@30 half videos and 30 plays, generated once and cached.

Shared by the benchmarks in this folder. The videos are cached under
``.benchmarks/game-{minutes}min/`` at the repository root (git-ignored), so only the first
run of a size pays for rendering them.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from basketball_assets.core.layout import video_key
from basketball_assets.demo import DemoVideo, render_half

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_ROOT / ".benchmarks"

WIDTH, HEIGHT, FPS = 1280, 720, 30
KEYFRAME_EVERY_S = 2
ANGLES = ("broadcast", "tactical")
GAME_ID = "benchmark-game"


@dataclass(frozen=True)
class BenchmarkPlay:
    """One play of the benchmark game, already placed in its half's video."""

    play_id: str
    angle: str
    half: int
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def game_dir(half_minutes: float) -> Path:
    return CACHE_DIR / f"game-{half_minutes:g}min"


def half_path(half_minutes: float, angle: str, half: int) -> Path:
    """The cached video of one half, named as in the videos bucket."""
    return game_dir(half_minutes) / video_key(GAME_ID, angle, half)


def render_benchmark_half(path: Path, label: str, seconds: float, tone_hz: int) -> None:
    """The demo's test pattern at 720p30 with a tone, H.264 High with B-frames.

    A keyframe exactly every two seconds (no scene-cut keyframes), like broadcast sources,
    so keyframe distances in the benchmark are known.
    """
    keyframe_every = FPS * KEYFRAME_EVERY_S
    encoder = {
        "preset": "superfast",
        "profile": "high",
        "g": keyframe_every,
        "keyint_min": keyframe_every,
        "sc_threshold": 0,
        "audio_bitrate": "128k",
    }
    shape = DemoVideo(width=WIDTH, height=HEIGHT, fps=FPS, half_seconds=seconds)
    render_half(path, label, seconds, shape, tone_hz, encoder=encoder, sample_rate=48000, frame_numbers=True)


def benchmark_plays(half_minutes: float, count: int = 30, seed: int = 6) -> list[BenchmarkPlay]:
    """``count`` plays of 8-12 s, over both halves and angles, none starting on a keyframe."""
    rng = random.Random(seed)
    seconds = half_minutes * 60
    plays = []
    for index in range(count):
        angle = ANGLES[index % 2]
        half = 1 + (index // 2) % 2
        length = round(rng.uniform(8, 12), 2)
        while True:
            start = round(rng.uniform(0.5, seconds - length - 0.5), 2)
            # Off keyframes by at least a frame, so every clip has a partial GOP at its head.
            if 2 / FPS < start % KEYFRAME_EVERY_S < KEYFRAME_EVERY_S - 2 / FPS:
                break
        plays.append(BenchmarkPlay(f"play-{index:02d}", angle, half, start, round(start + length, 2)))
    return plays


def prepare_game(half_minutes: float, log=print) -> tuple[dict[tuple[str, int], Path], list[BenchmarkPlay]]:
    """The four half videos (rendered when not cached) and the plays."""
    if half_minutes * 60 < 14:
        raise SystemExit("--half-minutes must give halves of at least 14 s (plays are 8-12 s)")
    halves = {}
    for angle, tone in zip(ANGLES, (440, 660), strict=True):
        for half in (1, 2):
            path = half_path(half_minutes, angle, half)
            if not path.exists():
                started = time.monotonic()
                render_benchmark_half(path, f"{angle} H{half}", half_minutes * 60, tone)
                log(f"rendered {path.relative_to(REPO_ROOT)} in {time.monotonic() - started:.0f} s")
            halves[(angle, half)] = path
    plays = benchmark_plays(half_minutes)
    (game_dir(half_minutes) / "plays.json").write_text(json.dumps([asdict(p) for p in plays], indent=1))
    return halves, plays
