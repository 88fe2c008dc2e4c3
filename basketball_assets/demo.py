"""The demo: generated games, loaded and materialized through a real Dagster instance.

``python -m basketball_assets.demo`` writes, under the local data directory:

* four videos per game (ffmpeg test pattern with the timeline burned in, and a tone),
* about twenty plays per game into the local plays database, a few deliberately bad,
* one game missing its second tactical half, to show a missing video failing only
  the plays that need it,

then adds the games as partitions and materializes every game and the combined dataset
on the instance in ``$DAGSTER_HOME`` (the one ``dagster dev`` shows afterwards).
"""

import argparse
import multiprocessing
import random
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ffmpeg

from basketball_assets.core.layout import video_key
from basketball_assets.resources.plays import LocalPlaysDatabase
from basketball_assets.resources.storage import Storage
from basketball_assets.resources.video import ffmpeg_executable

#: The run log on the console: progress and rejections, not Dagster's step-by-step DEBUG events.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

#: Seeds game ids: the same demo always has the same games, so re-runs skip work.
DEMO_NAMESPACE = uuid.UUID("6f1d7b52-8a4e-4c1e-9a5e-2b8c2f6d3a10")

DESCRIPTIONS = [
    "Pick and roll at the top of the key; the roll man finishes at the rim.",
    "Fast break off a defensive rebound, layup in transition.",
    "Corner three after a drive and kick from the right wing.",
    "Post-up on the left block, turnaround jumper over the defender.",
    "Isolation on the wing, step-back jumper from the elbow.",
    "Off-ball screen frees the shooter for a catch-and-shoot three.",
    "Zone defense forces a contested mid-range shot; defensive rebound.",
    "Steal at half court leads to an uncontested dunk.",
    "Baseline out-of-bounds play, lob to the cutter for a layup.",
    "Double team in the post, kick out and swing for an open three.",
]


@dataclass(frozen=True)
class DemoVideo:
    """Shape of the generated videos: small, so the demo runs in minutes on two cores."""

    width: int = 320
    height: int = 180
    fps: int = 25
    half_seconds: float = 150.0


def demo_game_id(number: int) -> str:
    return str(uuid.uuid5(DEMO_NAMESPACE, f"game-{number}"))


def half_durations(angle: str, shape: DemoVideo) -> dict[int, float]:
    # Tactical halves are a little shorter: each angle has its own half boundary.
    trim = 2.0 if angle == "tactical" else 0.0
    return {1: shape.half_seconds - trim, 2: shape.half_seconds - trim / 2}


def render_half(
    path: Path,
    label: str,
    seconds: float,
    shape: DemoVideo,
    tone_hz: int,
    *,
    encoder: Mapping[str, Any] | None = None,
    sample_rate: int = 22050,
    frame_numbers: bool = False,
) -> None:
    """A test-pattern video with its own timestamp burned in, and a tone, via ffmpeg.

    ``encoder`` adds to or replaces the output options (the benchmarks ask for other
    keyframe spacing and quality); ``frame_numbers`` burns in the frame number too. The
    file is written under a temporary name and renamed, so a cached half is always whole.
    """
    picture = ffmpeg.input(f"testsrc2=size={shape.width}x{shape.height}:rate={shape.fps}", f="lavfi", t=seconds)
    picture = picture.drawtext(
        text=f"{label} %{{pts:hms}}" + (" %{n}" if frame_numbers else ""),
        escape_text=False,
        x=max(6, shape.height // 36),
        y=max(6, shape.height // 36),
        fontsize=max(12, shape.height // 12),
        fontcolor="white",
        box=1,
        boxcolor="black@0.6",
    )
    tone = ffmpeg.input(f"sine=frequency={tone_hz}:sample_rate={sample_rate}", f="lavfi", t=seconds)
    options: dict[str, Any] = {
        "vcodec": "libx264",
        "preset": "ultrafast",
        "g": shape.fps * 2,
        "pix_fmt": "yuv420p",
        "acodec": "aac",
        "audio_bitrate": "64k",
        "movflags": "+faststart",
        "f": "mp4",
        **(encoder or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    (
        ffmpeg.output(picture, tone, str(partial), **options)
        .global_args("-nostdin", "-v", "error")
        .run(cmd=ffmpeg_executable(), overwrite_output=True, capture_stdout=True, capture_stderr=True)
    )
    partial.replace(path)


def demo_plays(game_id: str, number: int, shape: DemoVideo) -> list[dict[str, Any]]:
    """About twenty good plays over both halves and angles, plus the spec's bad cases."""
    rng = random.Random(number)
    created = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=number)
    half1 = half_durations("tactical", shape)[1]  # the shorter boundary fits both angles
    total = half1 + half_durations("tactical", shape)[2]
    plays: list[dict[str, Any]] = []

    def add(start: float, end: float, angle: str, description: str, **extra: Any) -> None:
        index = len(plays)
        plays.append(
            {
                "id": str(uuid.uuid5(DEMO_NAMESPACE, f"{game_id}-play-{index}")),
                "game_id": game_id,
                "start_time": round(start, 2),
                "end_time": round(end, 2),
                "angle": angle,
                "description": description,
                "created_at": (created + timedelta(minutes=index)).isoformat(),
                **extra,
            }
        )

    for index in range(18):
        lo, hi = (2.0, half1 - 12) if index % 2 == 0 else (half1 + 2, total - 12)
        start = rng.uniform(lo, hi)
        add(start, start + rng.uniform(4, 9), ("broadcast", "tactical", "both")[index % 3], rng.choice(DESCRIPTIONS))
    add(5.0, 10.0, "both", "Half-relative play in the second half: a mid-range pull-up.", half=2)
    # The bad plays the pipeline must reject with a reason, while the rest go on.
    add(half1 - 3, half1 + 3, "both", "Crosses the end of half 1.")
    add(total - 2, total + 6, "broadcast", "Runs past the end of the game.")
    add(40.0, 35.0, "tactical", "Ends before it starts.")
    add(20.0, 26.0, "sideline", "An angle that does not exist.")
    add(30.0, 36.0, "broadcast", "   ")
    duplicate = dict(
        plays[0],
        description="Edited later: " + plays[0]["description"],
        created_at=(created + timedelta(hours=5)).isoformat(),
    )
    plays.append(duplicate)
    return plays


def write_game_videos(
    storage: Storage, game_id: str, number: int, shape: DemoVideo, missing: Sequence[tuple[str, int]] = ()
) -> int:
    """Render and store the game's four videos (less ``missing``); skips ones already stored."""
    written = 0
    with storage.scratch_dir() as folder:
        for angle, tone in (("broadcast", 440), ("tactical", 660)):
            for half, seconds in half_durations(angle, shape).items():
                key = video_key(game_id, angle, half)
                if (angle, half) in missing or storage_has_video(storage, key):
                    continue
                path = folder / f"{angle}{half}.mp4"
                render_half(path, f"game {number} {angle} H{half}", seconds, shape, tone)
                storage.put_video(key, path)
                written += 1
    return written


def storage_has_video(storage: Storage, key: str) -> bool:
    try:
        storage.fetch_video(key)
    except FileNotFoundError:
        return False
    return True


def prepare(storage: Storage, plays_db: LocalPlaysDatabase, games: int, shape: DemoVideo) -> list[str]:
    """Videos into storage and plays into the database; returns the game ids."""
    game_ids = []
    for number in range(1, games + 1):
        game_id = demo_game_id(number)
        # The last game lacks its second tactical half: its tactical half-2 plays are rejected.
        missing = [("tactical", 2)] if number == games and games > 1 else []
        started = time.monotonic()
        written = write_game_videos(storage, game_id, number, shape, missing)
        plays_db.upsert_rows(demo_plays(game_id, number, shape))
        print(
            f"game {number} ({game_id}): {written} videos rendered in {time.monotonic() - started:.1f} s, plays loaded"
        )
        game_ids.append(game_id)
    return game_ids


def materialize_game(game_id: str) -> tuple[str, bool, str]:
    """One run for one game partition, on the instance in $DAGSTER_HOME."""
    from dagster import AssetSelection, DagsterInstance

    from basketball_assets.definitions import build_definitions
    from basketball_assets.settings import Settings

    defs = build_definitions(Settings.from_environ())  # from this process's environment, not an earlier import's
    job = defs.resolve_implicit_global_asset_job_def()
    selection = AssetSelection.assets("game_plays", "game_clips", "game_training_data")
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            run_config=QUIET_LOGS,
            instance=instance,
            partition_key=game_id,
            asset_selection=list(selection.resolve(defs.resolve_asset_graph())),
            raise_on_error=False,
        )
        clips = [
            event.materialization.metadata
            for event in result.get_asset_materialization_events()
            if event.asset_key.path == ["game_clips"]
        ]
        summary = f"{clips[0]['clips'].value} clips ({clips[0]['cut'].value} cut)" if clips else "no clips"
        return game_id, result.success, summary


def materialize_combined() -> bool:
    from dagster import AssetKey, DagsterInstance

    from basketball_assets.definitions import build_definitions
    from basketball_assets.settings import Settings

    job = build_definitions(Settings.from_environ()).resolve_implicit_global_asset_job_def()
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            run_config=QUIET_LOGS,
            instance=instance,
            asset_selection=[AssetKey("combined_dataset")],
            raise_on_error=False,
        )
        return result.success


def main(argv: Sequence[str] | None = None) -> int:
    from dagster import DagsterInstance

    from basketball_assets.resources import build_resources
    from basketball_assets.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, default=3, help="how many demo games (default 3)")
    parser.add_argument("--half-seconds", type=float, default=DemoVideo.half_seconds, help="length of each half video")
    parser.add_argument("--parallel", type=int, default=2, help="game runs at once (default 2, for two cores)")
    args = parser.parse_args(argv)

    resources = build_resources(Settings.from_environ())
    storage, plays_db = resources["storage"], resources["plays_source"]
    if not isinstance(plays_db, LocalPlaysDatabase):
        parser.error("the demo loads plays into the local database; unset SUPABASE_URL to run it")
    print(f"storage: {storage.describe()}\nplays: {plays_db.describe()}")
    game_ids = prepare(storage, plays_db, args.games, DemoVideo(half_seconds=args.half_seconds))

    with DagsterInstance.get() as instance:
        print(f"Dagster instance: {instance.root_directory}")
        instance.add_dynamic_partitions("games", game_ids)

    started = time.monotonic()
    failed = []
    # Spawned, not forked: each game's process starts clean and reads the environment.
    with ProcessPoolExecutor(
        max_workers=max(1, args.parallel), mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        for game_id, success, summary in pool.map(materialize_game, game_ids):
            print(f"game {game_id}: {'materialized' if success else 'FAILED'}, {summary}")
            if not success:
                failed.append(game_id)
    combined = materialize_combined()
    print(
        f"combined_dataset: {'materialized' if combined else 'FAILED'}; pipeline took "
        f"{time.monotonic() - started:.0f} s"
    )

    print(f"\nOutputs: {storage.uri('')}")
    print("Open the UI:  bash scripts/ui.sh   (then http://127.0.0.1:3000)")
    return 0 if combined and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
