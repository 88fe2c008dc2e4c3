"""The project against the tools people would pick instead, on a game and on a corpus of real encodings.

    python benchmarks/peers.py [--sections game,corpus,curve] [--half-minutes 2] [--clips-per-half 6]

Installs the peers into their own venv, ``.benchmarks/peers/`` (``install_peers.sh``;
never the project's ``.venv``; refused under ``CI``): ``smartcut`` 1.7 (its CLI,
``smartcut -k START,END IN OUT``, one process per clip) and video2dataset 1.3.0 (its
``ClippingSubsampler``, all of a video's clips in one ffmpeg segment pass, in
``exact`` and ``keyframe_adjusted`` precision, run by ``v2d_driver.py`` in that venv).
Then cuts the same clips with the five ways, taking turns per source video:

* ``game``: the benchmark game (four 720p30 halves, closed GOPs every 2 s, audio) with
  ``--clips-per-half`` non-overlapping clips of 8-12 s per half;
* ``corpus``: every entry of :mod:`corpus` (x264 defaults, open GOPs, HEVC, 1080p60,
  VFR, no audio, 48 kHz stereo, a start offset, a rotated phone video);
* ``curve``: the keyframe-interval sources (1, 2, 5, 10 s), plotted as
  ``benchmarks/cost_curve.png`` (time per clip-second against keyframe interval).

Every clip of every way is measured the same way (:func:`measure.measure_clip`): duration
error in frames, first frame against the source's frame at the clip's start, a full decode
with ``err_detect=explode``, audio length against video length. Smart cut must be correct
on every clip, or have fallen back to re-encoding by itself: a wrong smart clip fails
the run (exit 1). The last line sums up the game:

    clips=… reencode_s=… smart_s=… smartcut_s=… v2d_exact_s=… v2d_keyframe_s=… smart_vs_smartcut=…
    reencode_vs_v2d_exact=… max_error_frames=… peers_max_error_frames=…

(one line, wrapped here). ``max_error_frames`` is the project's worst duration error
(both modes) over every section run; ``peers_max_error_frames`` that of ``smartcut``
and video2dataset ``exact`` (``keyframe_adjusted`` moves clips to keyframes by design
and is reported in the tables only).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmark_game import CACHE_DIR, FPS, KEYFRAME_EVERY_S, REPO_ROOT, prepare_game
from clip_extraction import cpu_seconds, machine
from corpus import CORPUS, CURVE, Entry, prepare
from measure import measure_clip

from basketball_assets.resources.video import ClipEncoder, probe_video

PEERS_VENV = CACHE_DIR / "peers"
PEERS_PYTHON = PEERS_VENV / "bin" / "python"
WAYS = ("reencode", "smart", "smartcut", "v2d_exact", "v2d_keyframe")
PROJECT_WAYS = ("reencode", "smart")
EXACT_PEERS = ("smartcut", "v2d_exact")
#: The ways the section being run uses (``--corpus-ways``: video2dataset ``exact`` re-encodes
#: every source whole with x264 ``medium``, too slow to repeat on every corpus entry on 2 cores).
ACTIVE: list[str] = list(WAYS)


@dataclass
class Job:
    """Clips to cut from one source video, and where each way puts them."""

    name: str
    source: Path
    clips: list[tuple[float, float]]
    fps: float
    out: Path


@dataclass
class Cut:
    """What one way did with one job: time, and per clip its file (None: not made) and a note."""

    wall: float = 0.0
    cpu: float = 0.0
    files: list[Path | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""


def ensure_peers(ways: Sequence[str]) -> None:
    """The peers ``ways`` need in their venv, installed by ``install_peers.sh`` when missing (never in CI)."""
    modules = ["smartcut"] if "smartcut" in ways else []
    modules += ["video2dataset.subsamplers"] if any(w.startswith("v2d") for w in ways) else []
    if not modules:
        return
    check = [str(PEERS_PYTHON), "-c", "import " + ", ".join(modules)]
    if PEERS_PYTHON.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return
    if os.environ.get("CI"):
        raise SystemExit("peers.py installs other tools into .benchmarks/peers/: not in CI")
    print("installing the peers into .benchmarks/peers/ (install_peers.sh)", flush=True)
    subprocess.run(["bash", str(REPO_ROOT / "benchmarks" / "install_peers.sh")], check=True)


def plotting_python() -> str:
    """A Python with matplotlib: the project's (it is a dependency), else the peers' venv."""
    if subprocess.run([sys.executable, "-c", "import matplotlib"], capture_output=True).returncode == 0:
        return sys.executable
    return str(PEERS_PYTHON)


def timed_cut(cut: Cut, action, *args, **kwargs):
    """``action(*args, **kwargs)``, its wall and CPU seconds added to ``cut``; its result."""
    cpu, started = cpu_seconds(), time.perf_counter()
    result = action(*args, **kwargs)
    cut.wall += time.perf_counter() - started
    cut.cpu += cpu_seconds() - cpu
    return result


def project_way(job: Job, mode: str) -> Cut:
    """The project's ``ClipEncoder`` (the ``video`` resource) in ``mode``, one clip after another."""
    encoder, cut = ClipEncoder(mode=mode), Cut()
    has_audio = probe_video(job.source).has_audio
    folder = job.out / mode
    folder.mkdir(parents=True, exist_ok=True)
    for index, (start, end) in enumerate(job.clips):
        target = folder / f"clip-{index}.mp4"
        how = timed_cut(cut, encoder.cut_clip, job.source, start, end, target, has_audio)
        if how.method == "smart":
            note = f"smart: {how.copied_frames} copied, {how.encoded_frames} re-encoded"
        else:
            note = f"re-encoded: {how.fallback_reason}" if how.fallback_reason else "re-encoded"
        cut.files.append(target)
        cut.notes.append(note)
    return cut


def smartcut_way(job: Job) -> Cut:
    """``smartcut -k START,END IN OUT``, one process per clip."""
    cut = Cut()
    folder = job.out / "smartcut"
    folder.mkdir(parents=True, exist_ok=True)
    for index, (start, end) in enumerate(job.clips):
        target = folder / f"clip-{index}.mp4"
        command = [str(PEERS_VENV / "bin" / "smartcut"), "-k", f"{start:.3f},{end:.3f}", str(job.source), str(target)]
        done = timed_cut(cut, subprocess.run, command, capture_output=True, text=True)
        if done.returncode != 0 or not target.exists():
            cut.files.append(None)
            cut.notes.append("failed: " + " / ".join(done.stderr.strip().splitlines()[-2:]))
        else:
            cut.files.append(target)
            cut.notes.append("")
    return cut


class V2dDriver:
    """video2dataset's clipping subsampler in a process of the peers' venv, one job per call.

    Started on first use, so runs without the video2dataset ways (``--ways``) need no video2dataset.
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def start(self) -> subprocess.Popen:
        if self.process is not None:
            return self.process
        env = {**os.environ, "PATH": f"{PEERS_VENV / 'bin'}:{os.environ['PATH']}"}
        self.process = subprocess.Popen(
            [str(PEERS_PYTHON), str(REPO_ROOT / "benchmarks" / "v2d_driver.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        return self.process

    def cut(self, job: Job, precision: str) -> Cut:
        folder = job.out / f"v2d_{precision}"
        shutil.rmtree(folder, ignore_errors=True)
        request = {"source": str(job.source), "clips": job.clips, "precision": precision, "out_dir": str(folder)}
        process = self.start()
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        while line and not line.startswith("RESULT "):  # anything else video2dataset prints
            line = process.stdout.readline()
        if not line:
            raise SystemExit("video2dataset's driver died: see its error above")
        reply = json.loads(line.removeprefix("RESULT "))
        cut = Cut(wall=reply["wall"], cpu=reply["cpu"], error=reply["error"] or "")
        # keyframe_adjusted moves spans to keyframes and drops those without two inside.
        spans = [tuple(span) for span in reply["spans"]]
        for start, end in job.clips:
            near = [i for i, (s, e) in enumerate(spans) if s < end and e > start]
            if near:
                s, e = spans[near[0]]
                cut.files.append(Path(reply["files"][near[0]]))
                cut.notes.append("" if precision == "exact" else f"kept {s:.2f}-{e:.2f}")
            else:
                cut.files.append(None)
                cut.notes.append("dropped (no two keyframes inside)" if not cut.error else cut.error[:80])
        return cut

    def close(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait()


def cut_all(jobs: Sequence[Job], driver: V2dDriver) -> dict[str, list[Cut]]:
    """Every way on every job, the ways taking turns in rotating order (load falls on all alike)."""
    ways = {
        "reencode": lambda job: project_way(job, "reencode"),
        "smart": lambda job: project_way(job, "smart"),
        "smartcut": smartcut_way,
        "v2d_exact": lambda job: driver.cut(job, "exact"),
        "v2d_keyframe": lambda job: driver.cut(job, "keyframe_adjusted"),
    }
    cuts: dict[str, list[Cut]] = {way: [] for way in ACTIVE}
    for number, job in enumerate(jobs):
        shutil.rmtree(job.out, ignore_errors=True)
        job.out.mkdir(parents=True)
        order = ACTIVE[number % len(ACTIVE) :] + ACTIVE[: number % len(ACTIVE)]
        results = {way: ways[way](job) for way in order}
        for way in ACTIVE:
            cuts[way].append(results[way])
        print(f"  {job.name}: " + ", ".join(f"{w} {results[w].wall:.1f} s" for w in ACTIVE), flush=True)
    return cuts


def measure_all(jobs: Sequence[Job], cuts: dict[str, list[Cut]]) -> list[dict]:
    """One row per job, way and clip: the accuracy, and whether it is correct."""
    rows = []
    for way in ACTIVE:
        for job, cut in zip(jobs, cuts[way], strict=True):
            for index, ((start, end), path, note) in enumerate(zip(job.clips, cut.files, cut.notes, strict=True)):
                row = {"job": job.name, "way": way, "clip": index, "note": note}
                if path is None or not path.exists():
                    row.update(correct=False, problems=[note or cut.error or "no clip"], error_frames=None)
                else:
                    accuracy = measure_clip(path, job.source, start, end, job.fps)
                    # The project promises clips no taller than max_height (720); the peers do not.
                    problems = accuracy.problems(720 if way in PROJECT_WAYS else None)
                    row.update(
                        correct=not problems,
                        problems=problems,
                        error_frames=accuracy.duration_error_frames,
                        accuracy=asdict(accuracy),
                    )
                rows.append(row)
    return rows


def game_jobs(half_minutes: float, per_half: int, seed: int = 14) -> list[Job]:
    """The benchmark game's four halves, each with non-overlapping clips of 8-12 s off keyframes."""
    halves, _ = prepare_game(half_minutes)
    rng, jobs = random.Random(seed), []
    slot = half_minutes * 60 / per_half
    for (angle, half), path in sorted(halves.items()):
        clips = []
        for index in range(per_half):
            length = round(rng.uniform(8, 12), 2)
            while True:
                start = round(index * slot + rng.uniform(0.3, slot - length - 0.3), 2)
                if 2 / FPS < start % KEYFRAME_EVERY_S < KEYFRAME_EVERY_S - 2 / FPS:
                    break
            clips.append((start, round(start + length, 2)))
        jobs.append(Job(f"game {angle} H{half}", path, clips, FPS, CACHE_DIR / "peers-run" / f"game-{angle}{half}"))
    return jobs


def entry_jobs(entries: Sequence[Entry], section: str) -> list[Job]:
    prepare(entries)
    return [Job(e.name, e.path, list(e.clips), e.fps, CACHE_DIR / "peers-run" / section / e.name) for e in entries]


def totals(cuts: dict[str, list[Cut]]) -> dict[str, tuple[float, float]]:
    return {way: (sum(c.wall for c in cuts[way]), sum(c.cpu for c in cuts[way])) for way in ACTIVE}


def print_section(title: str, jobs: Sequence[Job], cuts: dict[str, list[Cut]], rows: list[dict]) -> None:
    """Per job and way: correct clips, wall and CPU seconds, and what smart cut did."""
    print(f"\n### {title}\n")
    smart = "smart" in cuts  # the last column only when smart cut is one of the ways
    print("| source | " + " | ".join(ACTIVE) + (" | smart cut did |" if smart else " |"))
    print("| --- | " + " | ".join("---" for _ in ACTIVE) + (" | --- |" if smart else " |"))
    for number, job in enumerate(jobs):
        cells = []
        for way in ACTIVE:
            mine = [r for r in rows if r["job"] == job.name and r["way"] == way]
            good = sum(r["correct"] for r in mine)
            cut = cuts[way][number]
            cells.append(f"{good}/{len(mine)} ok, {cut.wall:.1f} s ({cut.cpu:.1f})")
        notes = cuts["smart"][number].notes if smart else []
        did = sorted({note.split(":")[0] if note.startswith("smart") else note for note in notes})
        print(f"| {job.name} | " + " | ".join(cells) + (f" | {'; '.join(did)} |" if smart else " |"))
    wrong = [r for r in rows if not r["correct"]]
    for row in wrong:
        print(f"  {row['job']} {row['way']} clip {row['clip']}: {'; '.join(row['problems'])}")


def run_section(name: str, jobs: list[Job], driver: V2dDriver, results: dict) -> tuple[dict, list[dict]]:
    print(f"\n{name}: {len(jobs)} sources, {sum(len(j.clips) for j in jobs)} clips", flush=True)
    cuts = cut_all(jobs, driver)
    rows = measure_all(jobs, cuts)
    print_section(name, jobs, cuts, rows)
    results[name] = {
        "jobs": [{"name": j.name, "clips": j.clips, "clip_seconds": sum(e - s for s, e in j.clips)} for j in jobs],
        "time": {way: [(c.wall, c.cpu) for c in cuts[way]] for way in ACTIVE},
        "notes": {way: [c.notes for c in cuts[way]] for way in ACTIVE},
        "rows": rows,
    }
    return cuts, rows


def smart_verdict(rows: list[dict]) -> list[str]:
    """Smart clips that are wrong: a smart cut must be correct or have fallen back (and then be correct)."""
    return [f"{r['job']} clip {r['clip']} ({r['note']}): {'; '.join(r['problems'])}" for r in rows
            if r["way"] == "smart" and not r["correct"]]  # fmt: skip


def max_error(rows: list[dict], ways: Sequence[str]) -> float:
    return max((r["error_frames"] for r in rows if r["way"] in ways and r["error_frames"] is not None), default=0.0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", default="game,corpus,curve", help="comma-separated: game, corpus, curve")
    parser.add_argument("--half-minutes", type=float, default=2, help="length of the game's halves (default 2)")
    parser.add_argument("--clips-per-half", type=int, default=6, help="clips cut from each half (default 6)")
    parser.add_argument(
        "--corpus-ways", default=",".join(WAYS), help="ways of cutting for the corpus and curve (default all five)"
    )
    parser.add_argument("--entries", default="", help="only these corpus entries, comma-separated (default all)")
    args = parser.parse_args(argv)
    sections = [s for s in args.sections.split(",") if s]
    print(f"machine: {machine()}", flush=True)
    ensure_peers(list(WAYS if "game" in sections else ()) + args.corpus_ways.split(","))
    results: dict = {"machine": machine()}
    all_rows: list[dict] = []
    driver = V2dDriver()
    try:
        if "game" in sections:
            game = game_jobs(args.half_minutes, args.clips_per_half)
            game_cuts, game_rows = run_section("game", game, driver, results)
            all_rows += game_rows
        ACTIVE[:] = [w for w in WAYS if w in args.corpus_ways.split(",")]
        if "corpus" in sections:
            chosen = [e for e in CORPUS if not args.entries or e.name in args.entries.split(",")]
            all_rows += run_section("corpus", entry_jobs(chosen, "corpus"), driver, results)[1]
        if "curve" in sections:
            all_rows += run_section("curve", entry_jobs(CURVE, "curve"), driver, results)[1]
    finally:
        driver.close()
    wrong = smart_verdict(all_rows)
    results["smart_wrong"] = wrong
    saved = CACHE_DIR / f"results-peers-{'-'.join(sections)}.json"
    saved.write_text(json.dumps(results, indent=1, default=str))
    if "curve" in sections:
        plot = [plotting_python(), str(REPO_ROOT / "benchmarks" / "plot_cost_curve.py"),
                str(saved), str(REPO_ROOT / "benchmarks" / "cost_curve.png")]  # fmt: skip
        subprocess.run(plot, check=True)
    print(f"\nsmart cut: {'WRONG on ' + str(len(wrong)) + ' clips' if wrong else 'correct or fell back on every clip'}")
    for line in wrong:
        print(f"  {line}")
    if "game" in sections:
        seconds = {way: sum(c.wall for c in game_cuts[way]) for way in WAYS}
        print(
            f"clips={sum(len(j.clips) for j in game)} reencode_s={seconds['reencode']:.1f} "
            f"smart_s={seconds['smart']:.1f} smartcut_s={seconds['smartcut']:.1f} "
            f"v2d_exact_s={seconds['v2d_exact']:.1f} v2d_keyframe_s={seconds['v2d_keyframe']:.1f} "
            f"smart_vs_smartcut={seconds['smart'] / seconds['smartcut']:.2f} "
            f"reencode_vs_v2d_exact={seconds['reencode'] / seconds['v2d_exact']:.2f} "
            f"max_error_frames={max_error(all_rows, PROJECT_WAYS):.2f} "
            f"peers_max_error_frames={max_error(all_rows, EXACT_PEERS):.2f}"
        )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
