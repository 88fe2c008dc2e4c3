"""Full-size game benchmark: one real-sized game through the whole pipeline on a local instance.

    python benchmarks/full_game.py [--half-minutes 24] [--plays 150] [--mode smart|reencode|default]

The game is four 1280x720@30 halves (two angles, two halves) of ``--half-minutes`` each,
with a keyframe every 2 s and 48 kHz audio, cached in ``.benchmarks/game-full-{N}min/``
(git-ignored). Each half repeats a ``--loop-minutes`` piece (default 2) rendered with x264
``ultrafast``, joined by stream copy: rendering 96 minutes of 720p test pattern outright
took longer than cutting the game (about 35 minutes on two cores); the clips' cost does
not depend on what the pictures show. ``--plays`` plays of 8-12 s on both angles (so twice as many
clips) are spread over the game.

Each run uses a fresh data directory and ``DAGSTER_HOME`` under ``.benchmarks/`` (the
cached halves are hard-linked into its videos bucket), loads the plays into the local
plays database, and materializes the steps one run each, in order: ``game_plays``,
``game_clips``, ``game_training_data`` (each with its checks), then ``combined_dataset``.
``tuned_model`` is left out: it starts a paid tuning job. For each step it prints wall
and CPU time (this process, its threads and its ffmpeg children). The last line:

    game_minutes=M plays=P clips=C mode=X total_s=T total_cpu_s=U game_plays_s=… game_clips_s=…
    game_training_data_s=… combined_dataset_s=…   (one line, wrapped here)

The pipeline this project replaces reported about 10 minutes per new game on 4 CPUs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmark_game import CACHE_DIR, FPS, HEIGHT, REPO_ROOT, WIDTH

from basketball_assets.core.layout import video_key
from basketball_assets.demo import DESCRIPTIONS, DemoVideo, render_half
from basketball_assets.resources.video import ffmpeg_executable, probe_video

ANGLES = (("broadcast", 440), ("tactical", 660))
GAME_ID = str(uuid.uuid5(uuid.UUID("3c0f3a8e-1f5b-4d8e-9a55-0f0b1f2e7d11"), "full-size-game"))
STEPS = ("game_plays", "game_clips", "game_training_data", "combined_dataset")


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished children (ffmpeg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def game_dir(half_minutes: float) -> Path:
    return CACHE_DIR / f"game-full-{half_minutes:g}min"


def render_game(half_minutes: float, loop_minutes: float) -> dict[tuple[str, int], Path]:
    """The four halves, cached: each a piece of ``loop_minutes`` rendered once (two at a time:
    the test source is single-threaded) and repeated by stream copy to the half's length."""
    folder = game_dir(half_minutes)
    halves = {(angle, half): folder / f"{angle}{half}.mp4" for angle, _ in ANGLES for half in (1, 2)}
    pieces = {key: folder / "pieces" / f"{path.stem}-{loop_minutes:g}min.mp4" for key, path in halves.items()}
    todo = [key for key, path in halves.items() if not path.exists()]

    def render(key: tuple[str, int]) -> None:
        started = time.perf_counter()
        render_piece(pieces[key], f"{key[0]} H{key[1]}", min(half_minutes, loop_minutes), dict(ANGLES)[key[0]])
        repeat_to(pieces[key], halves[key], half_minutes * 60)
        print(f"rendered {halves[key].relative_to(REPO_ROOT)} in {time.perf_counter() - started:.0f} s", flush=True)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(render, todo))
    return halves


def render_piece(path: Path, label: str, minutes: float, tone_hz: int) -> None:
    """``minutes`` of 1280x720@30 test pattern (frame numbers burned in) and a 48 kHz tone, x264 ultrafast."""
    if path.exists():
        return
    encoder = {"preset": "ultrafast", "g": FPS * 2, "keyint_min": FPS * 2, "sc_threshold": 0, "audio_bitrate": "128k"}
    shape = DemoVideo(width=WIDTH, height=HEIGHT, fps=FPS, half_seconds=minutes * 60)
    render_half(path, label, minutes * 60, shape, tone_hz, encoder=encoder, sample_rate=48000, frame_numbers=True)


def repeat_to(piece: Path, target: Path, seconds: float) -> None:
    """``piece`` played over and over up to ``seconds``, by stream copy (ffmpeg's concat demuxer).

    A piece of whole GOPs (a multiple of 2 s) keeps a keyframe every 2 s across the joins;
    only the burned-in clock starts again at each join. Written under a temporary name.
    """
    copies = math.ceil(seconds / probe_video(piece).duration)
    listing = piece.with_suffix(".txt")
    listing.write_text(f"file '{piece.name}'\n" * copies)
    part = target.with_name(f".{target.name}.part")
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
         "-t", f"{seconds:g}", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(part)],
        check=True,
    )  # fmt: skip
    part.rename(target)


def game_plays(count: int, half_minutes: float, seed: int = 14) -> list[dict]:
    """``count`` plays of 8-12 s on both angles, spread evenly over both halves (game time), each inside its half.

    With more plays than a half holds end to end, plays overlap (as the same moment can be two plays).
    """
    rng = random.Random(seed)
    half_seconds = half_minutes * 60
    per_half = [count - count // 2, count // 2]
    created = datetime(2026, 11, 1, tzinfo=UTC)
    plays = []
    for half, number in enumerate(per_half):
        slot = half_seconds / max(1, number)
        for index in range(number):
            length = rng.uniform(8, 12)
            start = index * slot + rng.uniform(0.5, max(0.6, slot - length - 0.5))
            # Slots shorter than a play (many plays, short halves) would push the last ones past the half's end.
            start = half * half_seconds + min(start, half_seconds - length - 0.5)
            plays.append(
                {
                    "id": str(uuid.uuid5(uuid.UUID(GAME_ID), f"play-{len(plays)}")),
                    "game_id": GAME_ID,
                    "start_time": round(start, 2),
                    "end_time": round(start + length, 2),
                    "angle": "both",
                    "description": rng.choice(DESCRIPTIONS),
                    "created_at": (created + timedelta(seconds=len(plays))).isoformat(),
                }
            )
    return plays


def fresh_instance(root: Path, halves: dict[tuple[str, int], Path], mode: str) -> None:
    """An empty data directory and Dagster instance under ``root``, the halves linked in."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "home").mkdir(parents=True)
    (root / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = str(root / "home")
    os.environ["BASKETBALL_DATA_DIR"] = str(root / "data")
    os.environ.pop("SUPABASE_URL", None)
    if mode == "default":
        os.environ.pop("BASKETBALL_CLIP_MODE", None)
    else:
        os.environ["BASKETBALL_CLIP_MODE"] = mode
    from basketball_assets.resources import build_storage
    from basketball_assets.settings import Settings

    storage = build_storage(Settings.from_environ())
    for (angle, half), path in halves.items():
        target = storage._path(storage.videos_bucket, video_key(GAME_ID, angle, half))
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)  # the same bytes, no copy: uploading is not the pipeline's work


def run_step(step: str) -> tuple[float, float, dict]:
    """Materialize one asset (and its checks) for the game; wall s, CPU s, its metadata."""
    from dagster import AssetKey, DagsterInstance

    from basketball_assets.definitions import build_definitions
    from basketball_assets.settings import Settings

    defs = build_definitions(Settings.from_environ())
    job = defs.resolve_implicit_global_asset_job_def()
    partition = None if step == "combined_dataset" else GAME_ID
    with DagsterInstance.get() as instance:
        started, cpu = time.perf_counter(), cpu_seconds()
        result = job.execute_in_process(
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            instance=instance,
            partition_key=partition,
            asset_selection=[AssetKey(step)],
            raise_on_error=False,
        )
        wall, used = time.perf_counter() - started, cpu_seconds() - cpu
    if not result.success:
        raise SystemExit(f"step {step} failed for game {GAME_ID}: see the log above")
    metadata = {
        key: getattr(value, "value", value)
        for event in result.get_asset_materialization_events()
        for key, value in event.materialization.metadata.items()
    }
    return wall, used, metadata


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half-minutes", type=float, default=24, help="length of each half video (default 24)")
    parser.add_argument("--plays", type=int, default=150, help="plays in the game, each on both angles (default 150)")
    parser.add_argument(
        "--mode", default="default", choices=("default", "smart", "reencode"), help="clip mode (default: the setting's)"
    )
    parser.add_argument(
        "--loop-minutes", type=float, default=2, help="each half repeats a piece this long (default 2; whole GOPs)"
    )
    parser.add_argument("--render-only", action="store_true", help="render (cache) the game's halves and stop")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    halves = render_game(args.half_minutes, args.loop_minutes)
    if args.render_only:
        return 0
    plays = game_plays(args.plays, args.half_minutes)
    root = CACHE_DIR / f"full-run-{args.half_minutes:g}min"
    fresh_instance(root, halves, args.mode)

    from dagster import DagsterInstance

    from basketball_assets.resources import build_resources
    from basketball_assets.settings import Settings

    settings = Settings.from_environ()
    resources = build_resources(settings)
    resources["plays_source"].upsert_rows(plays)
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("games", [GAME_ID])
    mode = resources["video"].mode
    print(f"game {GAME_ID}: 4 halves of {args.half_minutes:g} min, {len(plays)} plays on both angles, mode {mode}")

    results = {}
    for step in STEPS:
        wall, cpu, metadata = run_step(step)
        results[step] = {"wall": wall, "cpu": cpu}
        shown = {k: v for k, v in metadata.items() if isinstance(v, int | float | str) and len(str(v)) < 60}
        print(f"{step}: {wall:.1f} s wall, {cpu:.1f} s CPU; {shown}", flush=True)
    total, total_cpu = sum(r["wall"] for r in results.values()), sum(r["cpu"] for r in results.values())
    clips = len(list((root / "data").rglob("clips/*.mp4")))
    (CACHE_DIR / f"results-full-{args.half_minutes:g}min-{mode}.json").write_text(
        json.dumps({"plays": len(plays), "clips": clips, "mode": mode, "steps": results}, indent=1)
    )
    steps = " ".join(f"{step}_s={results[step]['wall']:.1f}" for step in STEPS)
    print(
        f"game_minutes={args.half_minutes * 2:g} plays={len(plays)} clips={clips} mode={mode} total_s={total:.1f} "
        f"total_cpu_s={total_cpu:.1f} {steps}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
