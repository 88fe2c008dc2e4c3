"""Crash safety: real runs killed with SIGKILL at many moments, then run again, lose nothing.

Each moment is a fresh game (or, for the combined dataset, the finished game) and a real
Dagster run in its own process (``crash_worker``), stopped at a point of its storage calls or
while ffmpeg writes a clip into scratch, and killed with its ffmpeg by SIGKILL, as a pod or
machine dies. The same run is then made again, and the outputs must equal an uninterrupted
run's: the same clips (fingerprints, probed durations), the same JSONL lines; no file under a
final name is partial; and a clip stored whole before the kill is not cut again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterInstance

from basketball_assets.core.dataset import SPLITS
from basketball_assets.resources import ClipEncoder, LocalPlaysDatabase, LocalStorage
from basketball_assets.state.clips import read_game_clips
from basketball_assets.state.combined import read_combined_dataset
from basketball_assets.state.training_data import read_game_training_data
from basketball_assets_tests.games import new_game_id, place_game, play_row
from basketball_assets_tests.test_assets.pipeline import materialize_combined, materialize_game, metadata_of

pytestmark = [pytest.mark.ffmpeg, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
#: Seconds to wait for a worker to reach its point (a generous bound for a loaded machine).
REACH_S = 180
#: All test videos get this modification time, so the clips' fingerprints (which include
#: the source video's identity: size and mtime locally) are the same in every data folder.
VIDEO_MTIME_NS = 1_700_000_000 * 10**9


@dataclass(frozen=True)
class Moment:
    """Where a run is killed: a point of its storage calls, or ``scratch`` (ffmpeg writing a clip)."""

    name: str
    step: str
    at: str
    pattern: str = "*"
    occurrence: int = 1


GAME_MOMENTS = [
    Moment("fetching videos: the first fetched, not yet probed", "game", "fetched", "Games/*"),
    Moment("storing plays.json", "game", "put", "*plays.json"),
    Moment("ffmpeg writing the first clip", "game", "scratch"),
    Moment("first clip's bytes stored, its fingerprint not yet", "game", "placed", "*/clips/*.mp4"),
    Moment("ffmpeg writing the third clip", "game", "scratch", occurrence=3),
    Moment("two clips stored whole", "game", "stored", "*/clips/*.mp4", 2),
    Moment("fourth clip cut, not yet stored", "game", "put", "*/clips/*.mp4", 4),
    Moment("clips stored, clips.json not yet", "game", "put", "*clips.json"),
    Moment("mid-JSONL: the first JSONL written, not yet stored", "game", "put", "*.jsonl"),
    Moment("mid-JSONL: training JSONL stored, validation not yet", "game", "stored", "*.jsonl"),
    Moment("JSONL stored, training_data.json not yet", "game", "put", "*training_data.json"),
]
COMBINED_MOMENTS = [
    Moment("mid-combine: folder claimed, nothing written", "combined", "claimed"),
    Moment("mid-combine: training file's bytes stored", "combined", "placed", "*/cumulative-execution-*/*.jsonl"),
    Moment("mid-combine: files stored, combined_dataset.json not yet", "combined", "put", "*combined_dataset.json"),
]


def crash_plays(game_id: str) -> list[dict]:
    """Five clips over both halves and both angles: short, so each run takes seconds."""
    return [
        play_row(game_id, "a", 1.37, 3.91, "broadcast", minute=1),
        play_row(game_id, "b", 4.0, 6.0, "tactical", minute=2),
        play_row(game_id, "c", 6.6, 8.0, "both", minute=3),
        play_row(game_id, "d", 13.2, 14.6, "broadcast", minute=4),
    ]


@dataclass
class Place:
    """One data folder and Dagster instance, with the game placed in it."""

    folder: Path
    game_id: str

    @property
    def storage(self) -> LocalStorage:
        return LocalStorage(data_dir=str(self.folder / "data"))

    @property
    def plays_db(self) -> LocalPlaysDatabase:
        return LocalPlaysDatabase(path=str(self.folder / "data" / "plays.sqlite3"))

    @property
    def home(self) -> Path:
        return self.folder / "dagster_home"

    def resources(self) -> dict:
        return {"storage": self.storage, "plays_source": self.plays_db, "video": ClipEncoder()}

    def request(self, step: str) -> dict:
        return {
            "data_dir": str(self.folder / "data"),
            "plays_db": str(self.folder / "data" / "plays.sqlite3"),
            "dagster_home": str(self.home),
            "game_id": self.game_id,
            "step": step,
            "log": str(self.folder / "worker.log"),
            "marker": str(self.folder / "stopped"),
        }


def new_place(folder: Path, videos: dict) -> Place:
    (folder / "dagster_home").mkdir(parents=True)
    (folder / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    storage = LocalStorage(data_dir=str(folder / "data"))
    plays_db = LocalPlaysDatabase(path=str(folder / "data" / "plays.sqlite3"))
    plays_db.create_table()
    game = place_game(storage, plays_db, videos, "crash", plays=crash_plays(new_game_id("crash")))
    for path in (storage.root / storage.videos_bucket).rglob("*.mp4"):
        os.utime(path, ns=(VIDEO_MTIME_NS, VIDEO_MTIME_NS))
    return Place(folder, game.game_id)


# --- what a run leaves: outputs to compare, and files that must be whole -------------------


def game_outcome(place: Place) -> dict:
    """The game's clips (fingerprint, probed duration) and JSONL lines, with the data folder's URI left out."""
    storage, encoder = place.storage, ClipEncoder()
    clips = {}
    for clip in read_game_clips(storage, place.game_id).clips:
        with storage.local_copy(clip.key) as path:
            clips[clip.key] = (storage.metadata(clip.key).get("fingerprint"), round(encoder.probe(path).duration, 3))
    files = read_game_training_data(storage, place.game_id).files
    return {"clips": clips, "lines": {split: relative_lines(storage, files[split]) for split in SPLITS}}


def combined_outcome(storage: LocalStorage) -> dict[str, list[str]]:
    files = read_combined_dataset(storage).files
    return {split: relative_lines(storage, files[split]) for split in SPLITS}


def relative_lines(storage: LocalStorage, key: str) -> list[str]:
    return [line.rstrip("\n").replace(storage.uri(""), "{bucket}") for line in storage.iter_lines(key)]


def whole_clips(place: Place, expected: dict) -> dict[str, tuple[int, int]]:
    """The clips stored whole (bytes and their fingerprint) now: their inode and mtime."""
    storage = place.storage
    whole = {}
    for key, (fingerprint, _) in expected["clips"].items():
        if (storage.metadata(key) or {}).get("fingerprint") == fingerprint:
            stat = (storage.root / storage.training_bucket / key).stat()
            whole[key] = (stat.st_ino, stat.st_mtime_ns)
    return whole


def assert_every_final_file_whole(storage: LocalStorage) -> int:
    """Every file under a final name (not a hidden temporary) is whole: mp4s probe, JSON parses."""
    encoder, checked = ClipEncoder(), 0
    for path in sorted(storage.root.rglob("*")):
        if not path.is_file() or path.name.startswith(".") or ".scratch" in path.parts:
            continue
        if path.suffix == ".mp4":
            assert encoder.probe(path).duration > 0, path
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                json.loads(line)
        elif path.suffix == ".jpg":
            assert path.read_bytes().endswith(b"\xff\xd9"), f"{path}: no JPEG end marker"
        checked += 1
    return checked


# --- the worker: real runs in processes of their own ------------------------------------------


class Workers:
    """The forking server of ``crash_worker``: one real run per request, in its own session."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.server = subprocess.Popen(
            [sys.executable, "-m", "basketball_assets_tests.test_assets.crash_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def close(self) -> None:
        self.server.stdin.close()
        self.server.wait(60)

    def _reply(self) -> dict:
        line = self.server.stdout.readline()
        assert line, f"the crash worker server ended ({self.server.poll()})"
        return json.loads(line)

    def kill_at(self, place: Place, moment: Moment) -> str:
        """Start the run, kill it (and its ffmpeg) with SIGKILL at the moment; what it was doing."""
        request = place.request(moment.step)
        if moment.at != "scratch":
            request["point"] = {"at": moment.at, "pattern": moment.pattern, "occurrence": moment.occurrence}
        self.server.stdin.write(json.dumps(request) + "\n")
        self.server.stdin.flush()
        pid = self._reply()["pid"]
        try:
            doing = self._wait_for(place, moment)
        finally:
            os.killpg(pid, signal.SIGKILL)
            ended = self._reply()
        assert os.WIFSIGNALED(ended["status"]) and os.WTERMSIG(ended["status"]) == signal.SIGKILL, ended
        return doing

    def _wait_for(self, place: Place, moment: Moment) -> str:
        marker, scratch = place.folder / "stopped", place.folder / "data" / ".scratch"
        seen: set[Path] = set()
        deadline = time.monotonic() + REACH_S
        while time.monotonic() < deadline:
            if moment.at == "scratch":
                seen.update(clips_being_written(scratch))
                if len(seen) >= moment.occurrence:
                    return f"ffmpeg writing {sorted(seen)[-1].name}"
            elif marker.exists():
                return marker.read_text(encoding="utf-8").strip()
            time.sleep(0.002)
        log = (place.folder / "worker.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise AssertionError(f"the run never reached '{moment.name}'; its log ends:\n{log}")


def clips_being_written(scratch: Path) -> list[Path]:
    """The mp4s in the run's scratch folders now; none when a folder vanished while listed
    (a finished cut removes its folder, and pathlib's glob then raises)."""
    try:
        return list(scratch.glob("*/*.mp4"))
    except FileNotFoundError:
        return []


@pytest.fixture(scope="module")
def workers() -> Iterator[Workers]:
    server = Workers()
    yield server
    server.close()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, test_videos) -> tuple[Place, dict, dict]:
    """A game and its combined dataset, run without faults: what every interrupted run must equal."""
    place = new_place(tmp_path_factory.mktemp("crash") / "uninterrupted", test_videos)
    with DagsterInstance.from_config(str(place.home)) as instance:
        assert materialize_game(instance, place.resources(), place.game_id).success
        assert materialize_combined(instance, place.resources()).success
    return place, game_outcome(place), combined_outcome(place.storage)


@pytest.mark.parametrize("moment", GAME_MOMENTS, ids=lambda moment: moment.name)
def test_a_game_run_killed_and_run_again_loses_nothing(moment, tmp_path, workers, uninterrupted, test_videos):
    _, expected, _ = uninterrupted
    place = new_place(tmp_path / "game", test_videos)
    doing = workers.kill_at(place, moment)
    whole_before = whole_clips(place, expected)

    with DagsterInstance.from_config(str(place.home)) as instance:
        result = materialize_game(instance, place.resources(), place.game_id)
    assert result.success

    assert game_outcome(place) == expected, f"killed at {doing}"
    # Nothing stored whole before the kill was cut again: the same files; the others cut once.
    whole_after = whole_clips(place, expected)
    assert {key: whole_after.get(key) for key in whole_before} == whole_before, f"killed at {doing}"
    assert metadata_of(result, "game_clips")["cut"] == len(expected["clips"]) - len(whole_before)
    assert assert_every_final_file_whole(place.storage) > 0


@pytest.mark.parametrize("moment", COMBINED_MOMENTS, ids=lambda moment: moment.name)
def test_a_combined_run_killed_and_run_again_loses_nothing(moment, workers, uninterrupted):
    place, _, expected = uninterrupted
    (place.folder / "stopped").unlink(missing_ok=True)
    doing = workers.kill_at(place, moment)

    with DagsterInstance.from_config(str(place.home)) as instance:
        assert materialize_combined(instance, place.resources()).success

    assert combined_outcome(place.storage) == expected, f"killed at {doing}"
    assert assert_every_final_file_whole(place.storage) > 0


def test_the_uninterrupted_run_is_the_game_expected(uninterrupted):
    _, game, combined = uninterrupted
    assert len(game["clips"]) == 5 and all(fingerprint for fingerprint, _ in game["clips"].values())
    assert sum(map(len, game["lines"].values())) == sum(map(len, combined.values())) == 5
