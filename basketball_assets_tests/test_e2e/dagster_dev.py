"""A real ``dagster dev`` (webserver, daemon, code server) for end-to-end tests.

Started in its own process group on a free port of 127.0.0.1, with a temporary
``DAGSTER_HOME`` holding an adapted copy of the repository's ``dagster.yaml``, and
stopped (the whole group: webserver, daemon, code server, run workers) afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")


class DagsterDevFailed(RuntimeError):
    """``dagster dev`` did not start, or a GraphQL call failed."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(
    what: str, check: Callable[[], T | None], timeout: float, every: float = 1.0, log: Path | None = None
) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
            raise TimeoutError(
                f"timed out after {timeout:.0f} s waiting for {what}\n--- dagster dev log (tail) ---\n{tail}"
            )
        time.sleep(every)


class DagsterDev:
    """One running ``dagster dev`` and its GraphQL API."""

    def __init__(self, home: Path, environ: Mapping[str, str], log: Path):
        self.home, self.log = home, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_file = log.open("wb")
        command = [
            sys.executable, "-m", "dagster", "dev",
            "-m", "basketball_assets.definitions",
            "-h", "127.0.0.1", "-p", str(self.port),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=home,
            env=dict(environ),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    # --- lifecycle ---------------------------------------------------------------
    def wait_until_ready(self, timeout: float = 150.0) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise DagsterDevFailed(
                    "dagster dev exited with "
                    f"{self.process.returncode}:\n{self.log.read_text(errors='replace')[-4000:]}"
                )
            try:
                data = self.graphql("{ repositoriesOrError { ... on RepositoryConnection { nodes { name } } } }")
            except (OSError, DagsterDevFailed):
                return False
            return bool(data["repositoriesOrError"].get("nodes"))

        wait_for("the webserver and the code location to load", ready, timeout, every=2.0, log=self.log)

    def stop(self) -> None:
        """Stop the whole process group: SIGTERM, then SIGKILL for whatever is left."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # stragglers (run workers) of the group
        self.process.wait(timeout=10)
        self._log_file.close()

    # --- GraphQL -----------------------------------------------------------------
    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode("utf-8")
        request = urllib.request.Request(f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.loads(response.read())
        if payload.get("errors"):
            raise DagsterDevFailed(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def repository(self) -> dict[str, str]:
        data = self.graphql(
            "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
        )
        node = data["repositoriesOrError"]["nodes"][0]
        return {"repositoryName": node["name"], "repositoryLocationName": node["location"]["name"]}

    def start_sensor(self, name: str) -> str:
        data = self.graphql(
            """mutation($selector: SensorSelector!) { startSensor(sensorSelector: $selector) {
                 __typename ... on Sensor { sensorState { id status } } ... on PythonError { message } } }""",
            {"selector": {**self.repository(), "sensorName": name}},
        )["startSensor"]
        if data["__typename"] != "Sensor" or data["sensorState"]["status"] != "RUNNING":
            raise DagsterDevFailed(f"could not start sensor {name}: {data}")
        return data["sensorState"]["id"]

    def stop_sensor(self, state_id: str) -> None:
        data = self.graphql(
            """mutation($id: String) { stopSensor(id: $id) {
                 __typename
                 ... on StopSensorMutationResult { instigationState { status } }
                 ... on PythonError { message } } }""",
            {"id": state_id},
        )["stopSensor"]
        if data["__typename"] != "StopSensorMutationResult" or data["instigationState"]["status"] != "STOPPED":
            raise DagsterDevFailed(f"could not stop sensor {state_id}: {data}")

    def add_partition(self, partitions_def: str, key: str) -> None:
        data = self.graphql(
            """mutation($repo: RepositorySelector!, $name: String!, $key: String!) {
                 addDynamicPartition(repositorySelector: $repo, partitionsDefName: $name, partitionKey: $key) {
                   __typename
                   ... on PythonError { message }
                   ... on DuplicateDynamicPartitionError { partitionName } } }""",
            {"repo": self.repository(), "name": partitions_def, "key": key},
        )["addDynamicPartition"]
        if data["__typename"] != "AddDynamicPartitionSuccess":
            raise DagsterDevFailed(f"could not add partition {key} to {partitions_def}: {data}")

    def launch_backfill(self, assets: list[str], partitions: list[str]) -> str:
        data = self.graphql(
            """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
                 __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message stack } } }""",
            {
                "params": {
                    "partitionNames": partitions,
                    "assetSelection": [{"path": [name]} for name in assets],
                    "title": "e2e backfill",
                }
            },
        )["launchPartitionBackfill"]
        if data["__typename"] != "LaunchBackfillSuccess":
            raise DagsterDevFailed(f"could not launch the backfill: {data}")
        return data["backfillId"]

    def backfill_status(self, backfill_id: str) -> str:
        data = self.graphql(
            """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
                 __typename ... on PartitionBackfill { status } ... on PythonError { message } } }""",
            {"id": backfill_id},
        )["partitionBackfillOrError"]
        return data.get("status") or data["__typename"]

    def runs(self) -> list[dict[str, Any]]:
        data = self.graphql(
            """{ runsOrError(limit: 100) { ... on Runs { results {
                 runId status tags { key value } assetSelection { path } } } } }"""
        )
        return data["runsOrError"]["results"]

    def failure_messages(self, run_id: str) -> list[str]:
        """What a failed run's step and run failure events say, for an assertion message."""
        data = self.graphql(
            """query($id: ID!) { runOrError(runId: $id) { ... on Run { assetSelection { path }
                 eventConnection { events { __typename ... on MessageEvent { message }
                   ... on ExecutionStepFailureEvent { stepKey error { message } } } } } } }""",
            {"id": run_id},
        )["runOrError"]
        failures = [
            e
            for e in data.get("eventConnection", {}).get("events", [])
            if e["__typename"] in ("ExecutionStepFailureEvent", "RunFailureEvent")
        ]
        assets = [".".join(selection["path"]) for selection in data.get("assetSelection") or []]
        return [
            f"{assets}: {e.get('stepKey') or 'run'}: {(e.get('error') or {}).get('message') or e['message']}"
            for e in failures
        ]
