"""Where plays come from: the Supabase ``plays`` table, or a local SQLite mirror of it."""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import ConfigurableResource, Failure, get_dagster_logger
from pydantic import Field

from basketball_assets.core.ids import shown_id
from basketball_assets.core.play_rows import PLAY_COLUMNS, as_play_row, as_utc_iso, in_written_order, parse_timestamp
from basketball_assets.core.validation import row_problem

if TYPE_CHECKING:
    import httpx
    from postgrest import SyncSelectRequestBuilder
    from supabase import Client


#: SQLite's "now" as the ISO-8601 UTC text the tables hold.
SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')"


@contextmanager
def sqlite_transaction(path: str) -> Iterator[sqlite3.Connection]:
    """One transaction on the local SQLite file at ``path`` (created with its folder if missing),
    rows readable by column name; the local plays and tuned_models tables share it."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=30)) as connection:
        connection.row_factory = sqlite3.Row
        with connection:
            yield connection


class PlaysSource(ConfigurableResource, ABC):
    """Reads the ``plays`` table. Rows are plain dicts keyed by column name."""

    @abstractmethod
    def game_rows(self, game_id: str) -> list[dict[str, Any]]:
        """Every row of one game, ordered by ``created_at`` then ``id``."""

    @abstractmethod
    def rows_written_since(self, since: str | None) -> list[dict[str, Any]]:
        """Rows created or updated at or after ``since`` (all rows when ``None``),
        ordered by when they were written, then ``id``."""

    @abstractmethod
    def game_ids(self) -> list[str]:
        """Every game that has at least one play, sorted."""

    def describe(self) -> str:
        return type(self).__name__


class LocalPlaysDatabase(PlaysSource):
    """An embedded SQLite database with a ``plays`` table shaped like Supabase's.

    The local default: the demo loads its plays here, and so can tests and users.
    """

    path: str = Field(default="data/plays.sqlite3", description="SQLite file holding the plays table.")

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_transaction(self.path)

    def create_table(self) -> None:
        with self._connect() as db:
            db.execute(
                """
                CREATE TABLE IF NOT EXISTS plays (
                    id TEXT PRIMARY KEY,
                    game_id TEXT NOT NULL,
                    start_time NUMERIC,
                    end_time NUMERIC,
                    angle TEXT,
                    description TEXT,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
                    half INTEGER,
                    updated_at TEXT
                )
                """
            )
            db.execute("CREATE INDEX IF NOT EXISTS plays_game ON plays (game_id)")

    def upsert_rows(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert rows, replacing any with the same id; returns how many were written."""
        self.create_table()
        rows = [{column: row.get(column) for column in PLAY_COLUMNS} for row in rows]
        with self._connect() as db:
            for row in rows:
                present = {k: v for k, v in row.items() if v is not None or k in ("half", "updated_at")}
                columns = ", ".join(present)
                marks = ", ".join(f":{name}" for name in present)
                db.execute(f"INSERT OR REPLACE INTO plays ({columns}) VALUES ({marks})", present)
        return len(rows)

    def delete_rows(self, play_ids: Iterable[str]) -> int:
        """Delete plays by id (as an analyst deletes rows in Supabase); returns how many went."""
        self.create_table()
        with self._connect() as db:
            return sum(db.execute("DELETE FROM plays WHERE id = ?", (str(play_id),)).rowcount for play_id in play_ids)

    def _select(
        self, where: str = "", params: Mapping[str, Any] | None = None, order: str = "created_at, id"
    ) -> list[dict[str, Any]]:
        self.create_table()
        with self._connect() as db:
            cursor = db.execute(f"SELECT * FROM plays {where} ORDER BY {order}", params or {})
            return [dict(row) for row in cursor]

    def game_rows(self, game_id: str) -> list[dict[str, Any]]:
        return self._select("WHERE game_id = :game_id", {"game_id": game_id})

    def rows_written_since(self, since: str | None) -> list[dict[str, Any]]:
        written = "COALESCE(updated_at, created_at)"
        if since is None:
            return self._select(order=f"{written}, id")
        return self._select(f"WHERE {written} >= :since", {"since": since}, order=f"{written}, id")

    def game_ids(self) -> list[str]:
        self.create_table()
        with self._connect() as db:
            return [row[0] for row in db.execute("SELECT DISTINCT game_id FROM plays ORDER BY game_id")]

    def describe(self) -> str:
        return f"local SQLite plays table at {Path(self.path).resolve()}"


class PlaysReadError(RuntimeError):
    """Supabase did not answer a plays query; the message names the query and what to check."""


class PlaysAccessDenied(Failure, PermissionError):
    """Supabase refused the key (HTTP 401/403): the message names the settings to check.

    A ``Failure`` that forbids retries: the assets' retry policy is for network blips, and a
    refused key does not start working by itself; retrying only delays the message.
    """

    def __init__(self, message: str):
        super().__init__(description=message, allow_retries=False)


class _Refused(Exception):
    """Raised by the HTTP client on a 401/403, before supabase-py turns it into a plain error."""

    def __init__(self, status: int, reason: str):
        super().__init__(f"HTTP {status}: {reason}")
        self.status, self.reason = status, reason


#: HTTP statuses that say the key, or the role it stands for, may not do this.
REFUSED_STATUSES = (401, 403)


#: PostgreSQL's "undefined column": how PostgREST answers a select of a column the table lacks.
UNDEFINED_COLUMN = "42703"


class SupabasePlays(PlaysSource):
    """The ``plays`` table in Supabase, read over its REST API with supabase-py.

    Supabase returns at most 1,000 rows per request, so every read pages through the
    results in a stable order (``created_at``, then ``id``) until it has all the rows the
    query matched. Rows come out in the shape the local database gives (ids as text,
    times as float seconds, timestamps as ISO-8601 in UTC). Rows that cannot become plays
    (bad times, unknown angle, empty description) are logged with the reason and still
    returned, so that ``game_plays`` rejects them where everyone can see it.
    """

    url: str = Field(
        description="The project URL, https://<project-ref>.supabase.co: set it with EnvVar('SUPABASE_URL')."
    )
    key: str = Field(
        description="An API key allowed to read the plays table (the service-role key, or the anon key when "
        "row-level security lets it read): set it with EnvVar('SUPABASE_KEY'), never in the repository."
    )
    table: str = Field(default="plays", description="The table (in the public schema) holding the plays.")
    page_size: int = Field(
        default=1000, ge=1, description="Rows asked for per request; the server may send fewer, and the read goes on."
    )
    timeout_seconds: float = Field(default=60.0, gt=0, description="How long one request may take.")

    def describe(self) -> str:
        return f"Supabase table {self.table!r} at {self.url}"

    def game_rows(self, game_id: str) -> list[dict[str, Any]]:
        rows = self._read_all(f"the plays of game {game_id}", lambda query: query.eq("game_id", game_id))
        return self._checked(rows, f"game {game_id}")

    def rows_written_since(self, since: str | None) -> list[dict[str, Any]]:
        if since is None:
            rows = self._read_all("every play", lambda query: query)
        else:
            cutoff = _cutoff(since)
            if self.has_column("updated_at"):
                # COALESCE(updated_at, created_at) >= cutoff, which PostgREST cannot express directly.
                written = f'updated_at.gte."{cutoff}",and(updated_at.is.null,created_at.gte."{cutoff}")'
                rows = self._read_all(f"the plays written since {cutoff}", lambda query: query.or_(written))
            else:
                rows = self._read_all(
                    f"the plays written since {cutoff}", lambda query: query.gte("created_at", cutoff)
                )
        return [dict(row) for row in in_written_order(self._checked(rows, "plays written since " + str(since)))]

    def game_ids(self) -> list[str]:
        rows = self._read_all("the game ids", lambda query: query, columns="game_id", order=("game_id", "id"))
        return sorted({str(row["game_id"]) for row in rows if row.get("game_id") is not None})

    def has_column(self, column: str) -> bool:
        """Whether the table has ``column`` (``half`` and ``updated_at`` are optional)."""
        from postgrest import APIError

        try:
            with self._connected() as client:
                client.table(self.table).select(column).limit(1).execute()
        except _Refused as refused:
            raise self._refused_error(f"whether column {column!r} exists", refused) from None
        except APIError as error:
            if error.code == UNDEFINED_COLUMN:
                return False
            raise self._read_error(f"whether column {column!r} exists", error) from error
        except Exception as error:
            raise self._read_error(f"whether column {column!r} exists", error) from error
        return True

    @contextmanager
    def _connected(self) -> Iterator[Client]:
        """A supabase-py client whose HTTP connections are closed after use."""
        import httpx
        from supabase import ClientOptions, create_client

        hooks = {"response": [self._refuse_denied]}
        with httpx.Client(timeout=self.timeout_seconds, follow_redirects=True, event_hooks=hooks) as http:
            yield create_client(self.url, self.key, options=ClientOptions(httpx_client=http))

    def _read_all(
        self,
        what: str,
        refine: Callable[[SyncSelectRequestBuilder], SyncSelectRequestBuilder],
        columns: str = "*",
        order: tuple[str, ...] = ("created_at", "id"),
    ) -> list[dict[str, Any]]:
        """Every row the query matches, a page at a time.

        The first page also asks for the exact count, and the read goes on until it has
        that many rows: a server that sends fewer rows than asked (its row limit is below
        ``page_size``) cannot end the read early.
        """
        from postgrest.types import CountMethod

        rows: list[dict[str, Any]] = []
        total: int | None = None
        with self._connected() as client:
            while total is None or len(rows) < total:
                query = refine(
                    client.table(self.table).select(columns, count=CountMethod.exact if total is None else None)
                )
                for column in order:
                    query = query.order(column)
                response = self._execute(query.range(len(rows), len(rows) + self.page_size - 1), what)
                if total is None:
                    total = response.count or 0
                if not response.data:
                    break  # rows deleted while reading: what is there has been read
                rows.extend(response.data)
        return rows

    def _execute(self, query: Any, what: str) -> Any:
        try:
            return query.execute()
        except _Refused as refused:
            raise self._refused_error(what, refused) from None
        except Exception as error:
            raise self._read_error(what, error) from error

    def _read_error(self, what: str, error: Exception) -> PlaysReadError:
        detail = f"{getattr(error, 'code', '')} {getattr(error, 'message', '') or error}".strip()
        return PlaysReadError(
            f"reading {what} from {self.describe()} failed: {detail}. Check SUPABASE_URL, that SUPABASE_KEY may "
            f"read table {self.table!r}, and that the table exists with the spec's columns."
        )

    def _refuse_denied(self, response: httpx.Response) -> None:
        """Stop at the first 401/403, with the server's reason (never the key, which it does not echo)."""
        if response.status_code in REFUSED_STATUSES:
            response.read()
            try:
                body = response.json()
                reason = " ".join(str(body.get(part) or "") for part in ("code", "message")).strip()
            except (ValueError, AttributeError):
                reason = response.text
            reason = (reason or response.reason_phrase).replace(self.key, "<SUPABASE_KEY>")[:300]
            raise _Refused(response.status_code, reason)

    def _refused_error(self, what: str, refused: _Refused) -> PlaysAccessDenied:
        return PlaysAccessDenied(
            f"reading {what} from {self.describe()} was refused: HTTP {refused.status} ({refused.reason}). "
            f"Check that SUPABASE_URL is the project's URL, that SUPABASE_KEY is a key of that project (the "
            f"service-role key, or the anon key with a row-level security policy that lets it read), and that "
            f"its role may read table {self.table!r} (SUPABASE_PLAYS_TABLE). Not retried: a refused key does "
            "not start working by itself."
        )

    def _checked(self, rows: Iterable[Mapping[str, Any]], where: str) -> list[dict[str, Any]]:
        """Rows in the common shape; the ones that cannot become plays are logged, not dropped."""
        shaped = [as_play_row(row) for row in rows]
        problems = [(row.get("id"), problem) for row in shaped if (problem := row_problem(row)) is not None]
        if problems:
            listed = "\n".join(f"  play {shown_id(play_id)}: {problem}" for play_id, problem in problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            get_dagster_logger().warning(
                f"{where}: {len(problems)} of {len(shaped)} rows in {self.describe()} cannot become plays and will be "
                f"rejected (fix them in Supabase):\n{listed}{more}"
            )
        return shaped


def _cutoff(since: str) -> str:
    """``since`` as ISO-8601 in UTC, for a PostgREST filter."""
    if parse_timestamp(since) is None:
        raise ValueError(
            f"rows_written_since needs an ISO-8601 timestamp such as 2026-11-01T12:00:00+00:00, got {since!r}"
        )
    return as_utc_iso(since)
