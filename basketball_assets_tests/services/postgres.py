"""A real PostgreSQL server for tests: started in a temporary folder on a free port, then stopped.

The server is PostgreSQL 16 from the ``pgserver`` wheel (a test dependency in setup.py),
so nothing is installed by hand and no system PostgreSQL is needed. We run its binaries
ourselves rather than through ``pgserver.get_server`` because PostgREST and Dagster need
a TCP port (pgserver listens on a Unix socket only) and tests need a throw-away folder.

PostgreSQL refuses to run as root; as root (CI, these machines) the server runs as the
system user ``pgserver`` (the one pgserver itself uses), created when missing.

One server serves the whole session; each user takes its own database
(:meth:`PostgresServer.create_database`): the Supabase tests use one, Dagster's instance
storage tests can use another.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from basketball_assets_tests.services.availability import service_unavailable

#: The system user that runs PostgreSQL when the tests run as root.
SERVER_USER = "pgserver"
SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be started here; the message says why and what to do."""


@dataclass
class PostgresServer:
    """A running PostgreSQL on ``host:port`` whose data lives in ``folder``."""

    host: str
    port: int
    folder: Path
    bin_dir: Path
    run_as: str | None
    superuser: str = SUPERUSER

    def url(self, database: str = "postgres", user: str | None = None) -> str:
        """A libpq URL (no password: the test server trusts local connections)."""
        return f"postgresql://{user or self.superuser}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        """A psycopg2 connection in autocommit mode; close it (or use ``with closing``)."""
        import psycopg2

        connection = psycopg2.connect(host=self.host, port=self.port, user=self.superuser, dbname=database)
        connection.autocommit = True
        return connection

    def execute(self, sql: str, params: object = None, database: str = "postgres") -> list[tuple]:
        """Run one statement; returns its rows (empty for statements without a result)."""
        connection = self.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def create_database(self, name: str) -> str:
        """Create an empty database (dropping any old one of that name); returns its URL."""
        quoted = '"' + name.replace('"', '""') + '"'
        self.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        self.execute(f"CREATE DATABASE {quoted}")
        return self.url(name)

    @property
    def log_path(self) -> Path:
        return self.folder / "postgres.log"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        try:
            _run_as(
                self.run_as,
                [self.bin_dir / "pg_ctl", "-D", self.folder / "data", "-m", "fast", "-w", "-t", "30", "stop"],
            )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def postgres_bin_dir() -> Path:
    """The folder of PostgreSQL binaries shipped in the ``pgserver`` wheel.

    Found without importing ``pgserver`` (its import sets up a lock file and runtime folder
    we do not use).
    """
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresUnavailable(
            "the pgserver package is not installed (pip install -e '.[dev]', or bash scripts/setup.sh)"
        )
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "postgres").exists():
        raise PostgresUnavailable(f"pgserver has no PostgreSQL binaries at {bin_dir}")
    return bin_dir


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _run_as(user: str | None, command: list, timeout: float = 60) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [str(part) for part in command],
        user=user,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if completed.returncode != 0:
        raise PostgresUnavailable(
            f"{Path(str(command[0])).name} exited with {completed.returncode}: "
            f"{(completed.stderr or completed.stdout).strip()[-1500:]}"
        )
    return completed


def _server_user() -> str | None:
    """``None`` when not root (the server runs as us); else the unprivileged ``pgserver`` user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
            check=True,
            capture_output=True,
        )
    return SERVER_USER


def _let_others_read(bin_dir: Path) -> None:
    """Let the unprivileged server user reach and run the wheel's binaries and libraries."""
    install = bin_dir.parent
    traverse = stat.S_IXOTH | stat.S_IROTH
    for folder in [install, *install.parents]:
        if folder.stat().st_mode & traverse != traverse:
            folder.chmod(folder.stat().st_mode | traverse)
    for path in install.rglob("*"):
        wanted = traverse if path.is_dir() or path.parent == bin_dir else stat.S_IROTH
        if path.stat().st_mode & wanted != wanted:
            path.chmod(path.stat().st_mode | wanted)


def start_postgres(host: str = "127.0.0.1") -> PostgresServer:
    """Initialise a cluster in a new temporary folder and start it on a free port.

    Raises :class:`PostgresUnavailable` with the reason (and the server log) on failure.
    """
    bin_dir = postgres_bin_dir()
    run_as = _server_user()
    if run_as:
        _let_others_read(bin_dir)
    folder = Path(tempfile.mkdtemp(prefix="basketball-postgres-"))
    data = folder / "data"
    data.mkdir()
    if run_as:
        entry = pwd.getpwnam(run_as)
        for path in (folder, data):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    try:
        _run_as(
            run_as,
            [
                bin_dir / "initdb",
                "-D",
                data,
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )
        # A free port can be taken between probing and binding: try a few.
        for attempt in range(3):
            server = PostgresServer(host=host, port=free_port(host), folder=folder, bin_dir=bin_dir, run_as=run_as)
            options = (
                f"-h {host} -p {server.port} -k {folder} "
                # Test data is disposable: no fsync; UTC like Supabase.
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c timezone=UTC -c max_connections=60"
            )
            try:
                _run_as(
                    run_as,
                    [bin_dir / "pg_ctl", "-D", data, "-l", server.log_path, "-o", options, "-w", "-t", "30", "start"],
                )
                return server
            except PostgresUnavailable as error:
                if attempt == 2:
                    raise PostgresUnavailable(f"{error}\nserver log:\n{server.log_tail()}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL 16 for the session, on 127.0.0.1 and a free port; stopped afterwards.

    Take a database of your own with ``postgres_server.create_database(name)``.
    """
    try:
        server = start_postgres()
    except (PostgresUnavailable, OSError, subprocess.SubprocessError) as error:
        service_unavailable(
            "PostgreSQL", str(error), "install the test dependencies with `bash scripts/setup.sh` (pgserver from PyPI)"
        )
    try:
        yield server
    finally:
        server.stop()
