"""A local stand-in for Slack's Web API, for the official ``slack_sdk`` client (``base_url``).

It serves ``POST /api/chat.postMessage`` as Slack does for a bot token: the token in the
``Authorization: Bearer`` header must be the one the stand-in was given (else ``ok: false,
error: invalid_auth``, with HTTP 200 as Slack answers), the channel must be given (else
``channel_not_found``). Every request is recorded, headers and body, so tests assert on
what the client really sent; ``GET /messages`` renders the posted messages as a Slack-like
HTML page (the README's screenshot).
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from basketball_assets_tests.services.http_standin import serving

#: A bot token as Slack issues them (tests check it never leaks into messages or logs).
TEST_TOKEN = "xoxb-0000000000-1111111111-standinSecretTokenValue"


@dataclass
class Posted:
    """One request the stand-in received: its path, headers and parsed body."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class SlackStandin:
    """What the stand-in accepts and what it received."""

    token: str = TEST_TOKEN
    base_url: str = ""
    requests: list[Posted] = field(default_factory=list)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The messages accepted (posted with the right token to a channel)."""
        return [r.body for r in self.requests if r.path.endswith("/chat.postMessage") and self.accepted(r)]

    def accepted(self, request: Posted) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}" and bool(request.body.get("channel"))

    def answer(self, request: Posted) -> dict[str, Any]:
        if not request.path.endswith("/chat.postMessage"):
            return {"ok": False, "error": "unknown_method"}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return {"ok": False, "error": "invalid_auth"}
        if not request.body.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": request.body["channel"], "ts": f"{time.time():.6f}"}

    def render(self) -> str:
        """The accepted messages as a Slack-like page: channel, bot name, text with links."""
        items = "".join(
            f'<div class="msg"><div class="who">basketball-assets <span class="app">APP</span></div>'
            f'<div class="text">{mrkdwn_html(str(m.get("text", "")))}</div></div>'
            for m in self.messages
        )
        channel = html.escape(str(self.messages[0]["channel"])) if self.messages else ""
        return PAGE.format(channel=channel, items=items)


LINK = re.compile(r"&lt;(https?://[^|&]+)\|([^&]+)&gt;")
BOLD = re.compile(r"\*([^*\n]+)\*")
CODE = re.compile(r"`([^`\n]+)`")

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ font-family: Lato, 'Helvetica Neue', Arial, sans-serif; margin: 0; background: #fff; color: #1d1c1d; }}
.head {{ border-bottom: 1px solid #ddd; padding: 14px 20px; font-weight: 900; font-size: 18px; }}
.msg {{ padding: 10px 20px 10px 20px; border-left: 4px solid #e01e5a; margin: 12px 20px; }}
.who {{ font-weight: 900; margin-bottom: 4px; }}
.app {{ font-size: 10px; background: #ddd; color: #555; padding: 1px 3px; border-radius: 2px; }}
.text {{ white-space: pre-wrap; line-height: 1.45; font-size: 15px; }}
a {{ color: #1264a3; }} code {{ background: #f6f6f6; border: 1px solid #ddd; color: #e01e5a; padding: 0 3px; }}
</style></head><body><div class="head"># {channel}</div>{items}</body></html>"""


def mrkdwn_html(text: str) -> str:
    """Slack's mrkdwn (links ``<url|label>``, ``*bold*``, `` `code` ``) as HTML."""
    escaped = html.escape(text, quote=False)
    escaped = LINK.sub(r'<a href="\1">\2</a>', escaped)
    escaped = BOLD.sub(r"<b>\1</b>", escaped)
    return CODE.sub(r"<code>\1</code>", escaped)


def make_handler(standin: SlackStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
            if "json" in (self.headers.get("Content-Type") or ""):
                body = json.loads(raw or "{}")
            else:
                body = {key: values[-1] for key, values in parse_qs(raw).items()}
            headers = {key.lower(): value for key, value in self.headers.items()}
            request = Posted(self.path, headers, body)
            standin.requests.append(request)
            self._send(200, json.dumps(standin.answer(request)).encode(), "application/json; charset=utf-8")

        def do_GET(self) -> None:
            if self.path != "/messages":
                self._send(404, b"not found", "text/plain")
                return
            self._send(200, standin.render().encode("utf-8"), "text/html; charset=utf-8")

    return Handler


@contextmanager
def running_slack_standin(token: str = TEST_TOKEN) -> Iterator[SlackStandin]:
    """The stand-in on a free port of 127.0.0.1 (``base_url`` ends in ``/api/``), stopped on exit."""
    standin = SlackStandin(token=token)
    with serving(make_handler(standin), "slack-standin") as root:
        standin.base_url = root + "/api/"
        yield standin
