"""Where plays come from: the Supabase ``plays`` table, or a local SQLite mirror of it."""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

#: The columns of ``plays``; ``half`` and ``updated_at`` are optional in Supabase.
PLAY_COLUMNS = ("id", "game_id", "start_time", "end_time", "angle", "description", "created_at", "half", "updated_at")


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

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30)) as connection:
            connection.row_factory = sqlite3.Row
            with connection:
                yield connection

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

    def _select(self, where: str = "", params: Mapping[str, Any] | None = None, order: str = "created_at, id") -> list[dict[str, Any]]:
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
