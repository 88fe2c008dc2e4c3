"""Real Dagster runs for the crash-safety test, each in its own process, to be killed with SIGKILL.

``python -m basketball_assets_tests.test_assets.crash_worker`` imports the pipeline once and
then, for each JSON request read from stdin, forks a worker process (its own session, so
that killing its process group also kills its ffmpeg) which materializes the game's steps or
the combined dataset on the ``DagsterInstance`` of the request's ``DAGSTER_HOME``. It prints
the worker's pid, waits for the worker to end (finished or killed) and prints how it ended.
Forking a process that has only imported saves each worker Python's and Dagster's start-up.

A request may name a crash point: the worker stops there (after writing ``marker``) and
waits to be killed. Points are places in the storage calls, counted in call order:
``fetched`` (a half video fetched, not yet probed), ``put`` (a file about to be stored),
``placed`` (an object's bytes stored under its final name, its metadata not yet; matched
by path),
``stored`` (an object stored whole), ``claimed`` (a combined folder claimed); ``pattern``
filters by key. Production code has no hook: the worker's storage is a LocalStorage
subclass defined here.
"""

from __future__ import annotations

import fnmatch
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path

from dagster import DagsterInstance

from basketball_assets.resources import ClipEncoder, LocalPlaysDatabase, LocalStorage
from basketball_assets.resources.local_files import ObjectBytes
from basketball_assets.resources.storage import SourceVideo
from basketball_assets_tests.test_assets.pipeline import materialize_combined, materialize_game

#: Seconds a stopped worker waits to be killed before giving up on its own.
STOPPED_S = 300
#: How many times each point was passed in this worker (one run per worker).
PASSED: dict[str, int] = {}


class CrashPointStorage(LocalStorage):
    """LocalStorage that stops the process at one point of its calls, for a test to kill it there."""

    crash_point: str = ""
    crash_pattern: str = "*"
    crash_occurrence: int = 1
    crash_marker: str = ""

    def _reached(self, point: str, key: str) -> None:
        if point != self.crash_point or not fnmatch.fnmatch(key, self.crash_pattern):
            return
        PASSED[point] = PASSED.get(point, 0) + 1
        if PASSED[point] == self.crash_occurrence:
            Path(self.crash_marker).write_text(f"{point} {key}\n", encoding="utf-8")
            time.sleep(STOPPED_S)
            raise SystemExit(f"not killed at {point} {key}")

    def fetch_video(self, key: str) -> SourceVideo:
        video = super().fetch_video(key)
        self._reached("fetched", key)
        return video

    def put_file(self, key: str, path: Path, metadata: Mapping[str, str] | None = None) -> None:
        self._reached("put", key)
        super().put_file(key, path, metadata)
        self._reached("stored", key)

    def _place(self, source: Path, target: Path) -> ObjectBytes:
        placed = super()._place(source, target)
        self._reached("placed", target.as_posix())
        return placed

    def put_text_if_absent(self, key: str, text: str) -> bool:
        claimed = super().put_text_if_absent(key, text)
        self._reached("claimed", key)
        return claimed


def resources_for(request: Mapping[str, str]) -> dict:
    """The run's resources: the request's data folder and plays, stopping at its crash point."""
    point = request.get("point", {})
    storage = CrashPointStorage(
        data_dir=request["data_dir"],
        crash_point=point.get("at", ""),
        crash_pattern=point.get("pattern", "*"),
        crash_occurrence=point.get("occurrence", 1),
        crash_marker=request.get("marker", ""),
    )
    return {"storage": storage, "plays_source": LocalPlaysDatabase(path=request["plays_db"]), "video": ClipEncoder()}


def run(request: Mapping[str, str]) -> bool:
    """One real run of the request's step on the instance in its DAGSTER_HOME; whether it succeeded."""
    os.environ["DAGSTER_HOME"] = request["dagster_home"]
    with DagsterInstance.get() as instance:
        resources = resources_for(request)
        if request["step"] == "combined":
            return materialize_combined(instance, resources).success
        return materialize_game(instance, resources, request["game_id"]).success


def worker(request: Mapping[str, str]) -> None:
    """The forked worker: its own session and log file; never returns."""
    os.setsid()
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    code = 1
    try:
        code = 0 if run(request) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    """Fork a worker per request line; report its pid, then how it ended."""
    # Forking is safe only while this process has no other thread (none holds a lock then).
    assert threading.active_count() == 1, threading.enumerate()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            worker(request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"pid": pid, "status": status}), flush=True)


if __name__ == "__main__":
    serve()
