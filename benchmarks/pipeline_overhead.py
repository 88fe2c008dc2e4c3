"""Pipeline overhead benchmark: what the pipeline costs besides cutting clips.

    python benchmarks/pipeline_overhead.py [--games 3] [--half-seconds 150] [--combine-games 1000]

Everything runs in a temporary data directory and ``DAGSTER_HOME``; nothing of the
user's is touched. It measures:

1. demo: the whole demo (``basketball_assets.demo``: render the videos, load the plays,
   materialize every game and the combined dataset), as a user runs it;
2. game skip path: materializing one game partition again (``game_plays``,
   ``game_clips``, ``game_training_data``) when all its clips are already cut, so no
   ffmpeg runs: the pure per-game overhead (target: under 5 s), with each step's time;
3. combine: ``combined_dataset`` over ``--combine-games`` synthetic games of 60 examples
   each, in a fresh process: time and memory: the process's peak RSS less that of the
   same process without the step, and (in one more, traced run) the peak of Python's
   allocations during the step: a step that held every game would show their size there.

The last line sums it up:

    demo_s=A game_skip_s=B combine_games=N combine_examples=E combine_s=C combine_rss_growth_mb=R combine_heap_peak_mb=H
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

EXAMPLES_PER_GAME = 60  # 30 plays, both angles
SYNTHETIC = uuid.UUID("0b7e2f4c-6d2a-4f55-9a1c-5c3e8d9b6f21")


def use_fresh_environment(root: Path) -> None:
    """Point the project at an empty data directory and Dagster instance under ``root``."""
    (root / "home").mkdir(parents=True, exist_ok=True)
    (root / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = str(root / "home")
    os.environ["BASKETBALL_DATA_DIR"] = str(root / "data")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- 1 and 2: the demo, then one game again ----------------------------------------------


def run_demo(games: int, half_seconds: float) -> float:
    from basketball_assets import demo

    started = time.perf_counter()
    code = demo.main(["--games", str(games), "--half-seconds", str(half_seconds)])
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"the demo failed (exit {code}); see its output above")
    return seconds


def game_again(game_id: str) -> tuple[float, dict[str, float]]:
    """One materialization of a game whose clips are all cut: seconds, and per step."""
    from dagster import DagsterInstance

    from basketball_assets import demo

    started = time.perf_counter()
    _, success, summary = demo.materialize_game(game_id)
    seconds = time.perf_counter() - started
    if not success or "(0 cut)" not in summary:
        raise SystemExit(f"game {game_id} re-run was not a pure skip: success={success}, {summary}")
    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        steps = {s.step_key: (s.end_time or 0) - (s.start_time or 0) for s in instance.get_run_step_stats(run.run_id)}
    return seconds, steps


# --- 3: the combine step over many synthetic games ---------------------------------------


def write_synthetic_games(count: int) -> list[str]:
    """``count`` games of 60 examples, written as ``game_training_data`` and ``game_clips`` leave them."""
    from basketball_assets.core.clips import PlannedClip
    from basketball_assets.core.dataset import SPLITS
    from basketball_assets.core.examples import example_line
    from basketball_assets.core.layout import clip_key, game_jsonl_key
    from basketball_assets.core.split import split_of
    from basketball_assets.resources import build_storage
    from basketball_assets.settings import Settings
    from basketball_assets.state.clips import clips_manifest_key
    from basketball_assets.state.training_data import training_manifest_key

    storage = build_storage(Settings.from_environ())
    game_ids = []
    for number in range(count):
        game_id = str(uuid.uuid5(SYNTHETIC, f"game-{number}"))
        clips, lines = [], {split: [] for split in SPLITS}
        for play in sorted(str(uuid.uuid5(SYNTHETIC, f"{game_id}-{p}")) for p in range(EXAMPLES_PER_GAME // 2)):
            for angle in ("broadcast", "tactical"):
                key = clip_key(game_id, play, angle)
                clips.append(PlannedClip(play, angle, key, 1, f"Games/{game_id}/x.mp4", 10.0, 19.5, "synthetic"))
                lines[split_of(play)].append(
                    example_line(storage.uri(key), f"Synthetic play {play[:8]}: pick and roll, layup.")
                )
        files = {split: game_jsonl_key(game_id, split, "20261101T000000Z") for split in SPLITS}
        for split in SPLITS:
            storage.put_text(files[split], "".join(line + "\n" for line in lines[split]))
        storage.put_json(
            clips_manifest_key(game_id),
            {
                "game_id": game_id,
                "clips": [c.to_dict() for c in clips],
                "rejections": [],
                "clip_bytes": {c.key: 2_000_000 for c in clips},
            },
        )
        storage.put_json(
            training_manifest_key(game_id),
            {"game_id": game_id, "files": files, "counts": {s: len(lines[s]) for s in SPLITS}},
        )
        game_ids.append(game_id)
    return game_ids


def combine_in_this_process(report: multiprocessing.Queue, run_step: bool, trace: bool) -> None:
    """Load the definitions, then (unless ``run_step`` is false) materialize ``combined_dataset``.

    With ``trace``, Python's allocations during the step are traced (slower): their peak
    shows what the step holds at once, apart from the imports' memory.
    """
    import tracemalloc

    from dagster import AssetKey, DagsterInstance

    from basketball_assets.definitions import defs

    # The step alone, without its checks (they look for the clips, which are not there).
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={AssetKey("combined_dataset")}, asset_check_selection=set()
    )
    with DagsterInstance.get() as instance:
        before = peak_rss_mb()
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        success = True
        if run_step:
            result = job.execute_in_process(instance=instance, raise_on_error=False)
            success = result.success
        seconds = time.perf_counter() - started
        heap_peak = tracemalloc.get_traced_memory()[1] / 1e6 if trace else 0.0
        report.put(
            {
                "seconds": seconds,
                "rss_before_mb": before,
                "rss_peak_mb": peak_rss_mb(),
                "heap_peak_mb": heap_peak,
                "success": success,
            }
        )


def combine_measurement(run_step: bool, trace: bool = False) -> dict:
    # A fresh process each: peak RSS is per process and only ever grows.
    context = multiprocessing.get_context("spawn")
    report = context.Queue()
    process = context.Process(target=combine_in_this_process, args=(report, run_step, trace))
    process.start()
    outcome = report.get()
    process.join()
    return outcome


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, default=3, help="demo games (default 3, the demo's default)")
    parser.add_argument(
        "--half-seconds", type=float, default=150, help="demo half length (default 150, the demo's default)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="times the skip path is measured (median reported)")
    parser.add_argument(
        "--combine-games", type=int, default=1000, help="synthetic games for the combine step (default 1000)"
    )
    parser.add_argument("--combine-only", action="store_true", help="measure the combine step alone")
    args = parser.parse_args(argv)

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    with tempfile.TemporaryDirectory(prefix="pipeline-overhead-") as folder:
        demo_s = game_skip_s = float("nan")
        if not args.combine_only:
            use_fresh_environment(Path(folder) / "demo")
            demo_s = run_demo(args.games, args.half_seconds)
            print(f"demo: {args.games} games of 2x{args.half_seconds:g} s halves in {demo_s:.1f} s", flush=True)

            from basketball_assets import demo

            skips = []
            for attempt in range(args.repeats):
                seconds, steps = game_again(demo.demo_game_id(1))
                skips.append(seconds)
                print(
                    f"game skip path, run {attempt + 1}: {seconds:.2f} s; steps: "
                    + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()),
                    flush=True,
                )
            game_skip_s = statistics.median(skips)

        use_fresh_environment(Path(folder) / "combine")
        started = time.perf_counter()
        game_ids = write_synthetic_games(args.combine_games)
        from dagster import DagsterInstance

        with DagsterInstance.get() as instance:
            instance.add_dynamic_partitions("games", game_ids)
        print(f"combine: wrote {len(game_ids)} synthetic games in {time.perf_counter() - started:.1f} s", flush=True)
        baseline = combine_measurement(run_step=False)
        combined = combine_measurement(run_step=True)
        traced = combine_measurement(run_step=True, trace=True)
        if not combined["success"]:
            raise SystemExit("combined_dataset failed on the synthetic games")
        data = Path(os.environ["BASKETBALL_DATA_DIR"])
        jsonl_mb = sum(p.stat().st_size for p in data.rglob("video_*.jsonl")) / 1e6
        from basketball_assets.resources import build_storage
        from basketball_assets.settings import Settings
        from basketball_assets.state.combined import combined_manifest_key

        counts = build_storage(Settings.from_environ()).read_json(combined_manifest_key())["counts"]
        examples = sum(counts.values())
        peak = combined["rss_peak_mb"] - baseline["rss_peak_mb"]
        print(
            f"combine: {examples} examples ({jsonl_mb:.1f} MB of game JSONL) in {combined['seconds']:.1f} s; "
            f"peak RSS {combined['rss_peak_mb']:.0f} MB against {baseline['rss_peak_mb']:.0f} MB without the step: "
            f"+{peak:.0f} MB; "
            f"peak of Python allocations during the step (traced run): {traced['heap_peak_mb']:.1f} MB"
        )

    print(
        f"demo_s={demo_s:.1f} game_skip_s={game_skip_s:.2f} combine_games={args.combine_games} "
        f"combine_examples={examples} "
        f"combine_s={combined['seconds']:.1f} combine_rss_growth_mb={peak:.0f} "
        f"combine_heap_peak_mb={traced['heap_peak_mb']:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
