"""A real GCS-protocol server for tests: ``gcp-storage-emulator`` on 127.0.0.1.

Also a fault-injecting HTTP proxy (``NetworkFaults``) to put between a client and the
emulator, so retries, access errors and interrupted transfers happen for real, on a
real socket, rather than in a mock.

The emulator (a dev extra) runs as its own process on a free port, in memory. The
session fixture ``gcs_emulator`` points ``STORAGE_EMULATOR_HOST`` at it, so every
``google.cloud.storage.Client`` built during the session (``GCSResource`` included)
talks to it with anonymous credentials, creates the spec's two buckets, and stops the
process at the end. ``GCSEmulator.storage(...)`` returns a ready ``GCSStorage``.

When the emulator cannot start, the tests that need it skip with the reason, except
under ``CI=true``, where they fail: CI must run them.
"""

import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from dagster_gcp import GCSResource
from google.cloud import storage as gcs_storage

from basketball_assets.resources.gcs_storage import GCSStorage
from basketball_assets.resources.storage import TRAINING_BUCKET, VIDEOS_BUCKET
from basketball_assets_tests.services.availability import service_unavailable

EMULATOR_HOST_VARIABLE = "STORAGE_EMULATOR_HOST"
TEST_PROJECT = "basketball-test"
START_TIMEOUT_S = 30.0
#: Paths of object requests (metadata, media, uploads) in the JSON API.
OBJECT_PATH = re.compile(r"/b/[^/]+/o(/|$)")


@dataclass
class GCSEmulator:
    """A running emulator: where it listens, and ways to reach it."""

    host: str
    port: int
    process: subprocess.Popen

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self) -> gcs_storage.Client:
        """A plain google-cloud-storage client on the emulator (for checks outside the resource)."""
        return GCSResource(project=TEST_PROJECT).get_client()

    def create_bucket(self, name: str) -> None:
        client = self.client()
        if client.lookup_bucket(name) is None:
            client.create_bucket(name)

    def storage(self, cache_dir: Path, **fields: Any) -> GCSStorage:
        """A ``GCSStorage`` on this emulator, caching videos in ``cache_dir``."""
        return GCSStorage(gcs=GCSResource(project=TEST_PROJECT), cache_dir=str(cache_dir), **fields)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unavailable(reason: str) -> None:
    """Skip loudly, or fail under CI, where the emulator must run."""
    service_unavailable("GCS emulator (gcp-storage-emulator)", reason, "install the dev extras: bash scripts/setup.sh")


def wait_until_serving(emulator: GCSEmulator, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if emulator.process.poll() is not None:
            raise RuntimeError(f"exited with code {emulator.process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(emulator.endpoint + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"not serving on {emulator.endpoint} after {START_TIMEOUT_S:.0f} s: {log.read_text()[-2000:]}")


def start_emulator(folder: Path) -> GCSEmulator:
    """Start ``gcp-storage-emulator`` in memory on a free port of 127.0.0.1."""
    port = free_port()
    log = folder / "gcs-emulator.log"
    command = [
        sys.executable,
        # The emulator, plus the ifGenerationMatch=0 upload precondition that claims rely on.
        str(Path(__file__).with_name("gcs_emulator_server.py")),
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--in-memory",
        "--quiet",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=folder)
    emulator = GCSEmulator(host="127.0.0.1", port=port, process=process)
    try:
        wait_until_serving(emulator, log)
    except BaseException:
        stop_emulator(emulator)
        raise
    return emulator


def stop_emulator(emulator: GCSEmulator) -> None:
    emulator.process.terminate()
    try:
        emulator.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        emulator.process.kill()
        emulator.process.wait()


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GCSEmulator]:
    """A GCS emulator for the whole session, with the spec's two buckets created."""
    try:
        import gcp_storage_emulator  # noqa: F401  (only to report a missing dev extra clearly)
    except ImportError:
        unavailable("the gcp-storage-emulator package is not installed")
    try:
        emulator = start_emulator(tmp_path_factory.mktemp("gcs-emulator"))
    except RuntimeError as error:
        unavailable(str(error))
    previous = os.environ.get(EMULATOR_HOST_VARIABLE)
    os.environ[EMULATOR_HOST_VARIABLE] = emulator.endpoint
    try:
        for bucket in (VIDEOS_BUCKET, TRAINING_BUCKET):
            emulator.create_bucket(bucket)
        yield emulator
    finally:
        if previous is None:
            os.environ.pop(EMULATOR_HOST_VARIABLE, None)
        else:
            os.environ[EMULATOR_HOST_VARIABLE] = previous
        stop_emulator(emulator)


@dataclass
class NetworkFaults:
    """An HTTP proxy on 127.0.0.1 in front of the emulator that misbehaves on request.

    Point ``STORAGE_EMULATOR_HOST`` at ``endpoint`` and set the faults:

    Faults apply to object requests (not bucket look-ups), except ``deny``.

    * ``statuses``: answer the next requests with these HTTP statuses (e.g. 503, 429);
    * ``resets``: close the connection without an answer for the next N requests;
    * ``deny``: answer every request with 403 Forbidden;
    * ``cut_uploads``: drop every upload request without forwarding it;
    * ``cut_downloads``: send the headers and half the body of media downloads, then close.

    ``media_downloads`` counts the media downloads (whole or ranged) that reached the
    emulator; ``requests`` lists every request as ``METHOD /path``.
    """

    upstream: GCSEmulator
    statuses: deque = field(default_factory=deque)
    resets: int = 0
    deny: bool = False
    cut_uploads: bool = False
    cut_downloads: bool = False
    faults_sent: int = 0
    media_downloads: int = 0
    requests: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "NetworkFaults":
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def forward(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else None
        url = urlparse(request.path)
        self.requests.append(f"{request.command} {url.path}")
        is_upload = url.path.startswith("/upload/")
        is_media = request.command == "GET" and (
            parse_qs(url.query).get("alt") == ["media"] or url.path.startswith("/download/")
        )
        if self.deny:
            return self.answer(request, 403, b'{"error": {"code": 403, "message": "Forbidden (test proxy)"}}')
        # Faults hit object requests only, not the client's background bucket look-ups.
        if not OBJECT_PATH.search(url.path):
            return self.send(request, *self.ask_upstream(request, body))
        if self.statuses:
            status = self.statuses.popleft()
            return self.answer(
                request, status, b'{"error": {"code": %d, "message": "injected by test proxy"}}' % status
            )
        if self.resets > 0 or (self.cut_uploads and is_upload):
            self.resets = max(0, self.resets - 1)
            self.faults_sent += 1
            return hang_up(request)
        status, headers, data = self.ask_upstream(request, body)
        if is_media and status in (200, 206):
            self.media_downloads += 1
            if self.cut_downloads:
                self.faults_sent += 1
                return self.send(request, status, headers, data, cut=len(data) // 2)
        self.send(request, status, headers, data)

    def ask_upstream(
        self, request: BaseHTTPRequestHandler, body: bytes | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.upstream.host, self.upstream.port, timeout=60)
        try:
            connection.request(request.command, request.path, body=body, headers=dict(request.headers))
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def answer(self, request: BaseHTTPRequestHandler, status: int, data: bytes) -> None:
        self.faults_sent += 1
        self.send(request, status, [("Content-Type", "application/json")], data)

    @staticmethod
    def send(
        request: BaseHTTPRequestHandler,
        status: int,
        headers: list[tuple[str, str]],
        data: bytes,
        cut: int | None = None,
    ) -> None:
        request.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data if cut is None else data[:cut])
        request.wfile.flush()
        if cut is not None:
            hang_up(request)


def hang_up(request: BaseHTTPRequestHandler) -> None:
    """Close the connection abruptly, as a network reset would."""
    request.close_connection = True
    with contextlib.suppress(OSError):
        request.connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def network_faults(gcs_emulator: GCSEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkFaults]:
    """A fault-injecting proxy in front of the emulator, used by clients built in this test."""
    proxy = NetworkFaults(upstream=gcs_emulator).start()
    monkeypatch.setenv(EMULATOR_HOST_VARIABLE, proxy.endpoint)
    try:
        yield proxy
    finally:
        proxy.stop()
