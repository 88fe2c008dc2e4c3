"""The tuned-model registry: a ``tuned_models`` table beside ``plays``.

Every tuned model is one row, keyed by its tuning job; a re-run of the same job updates its own
row. Locally the table lives in the same SQLite file as the plays; with Supabase configured, in
Supabase, through its REST API (the table, its row-level security and the champion function:
``deploy/supabase/tuned_models.sql``).
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import ConfigurableResource
from pydantic import Field

from basketball_assets.core.registry import (
    EVALUATION_COLUMNS,
    JSON_COLUMNS,
    MODEL_COLUMNS,
    TunedModelRecord,
    from_row,
)
from basketball_assets.resources.plays import SQLITE_NOW, sqlite_transaction

if TYPE_CHECKING:
    from supabase import Client

#: The table and the function (deploy/supabase/tuned_models.sql) the Supabase registry uses.
TABLE = "tuned_models"
EVALUATION_FUNCTION = "record_tuned_model_evaluation"
SQL_FILE = "deploy/supabase/tuned_models.sql"
#: PostgreSQL's "no data found", raised by the function for an unknown job.
NO_DATA_FOUND = "P0002"


class ModelRegistry(ConfigurableResource, ABC):
    """Reads and writes the ``tuned_models`` table."""

    @abstractmethod
    def record_model(self, record: TunedModelRecord) -> None:
        """Insert the model's row, or update its tuning columns if the job is already there.

        The evaluation columns (scores, champion) are left as they are: re-running ``tuned_model``
        never undoes an evaluation.
        """

    @abstractmethod
    def record_evaluation(self, job_name: str, scores: Mapping[str, Any], champion: bool) -> None:
        """Store an evaluation's scores on the job's row; with ``champion``, make it the only champion."""

    @abstractmethod
    def get(self, job_name: str) -> TunedModelRecord | None:
        """The row of one tuning job, or None."""

    @abstractmethod
    def models(self) -> list[TunedModelRecord]:
        """Every row, oldest first."""

    def champion(self) -> TunedModelRecord | None:
        """The current champion (the best evaluated model so far), or None before the first."""
        return next((record for record in self.models() if record.champion), None)

    def describe(self) -> str:
        return type(self).__name__


class LocalModelRegistry(ModelRegistry):
    """The ``tuned_models`` table in the local SQLite database (the plays' file by default)."""

    path: str = Field(default="data/plays.sqlite3", description="SQLite file holding the tuned_models table.")

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_transaction(self.path)

    def create_table(self) -> None:
        with self._connect() as db:
            db.execute(
                """
                CREATE TABLE IF NOT EXISTS tuned_models (
                    job_name TEXT PRIMARY KEY,
                    model_name TEXT NOT NULL DEFAULT '',
                    endpoint_name TEXT NOT NULL DEFAULT '',
                    base_model TEXT NOT NULL DEFAULT '',
                    parent_model TEXT NOT NULL DEFAULT '',
                    dataset_version TEXT NOT NULL DEFAULT '',
                    training_uri TEXT NOT NULL DEFAULT '',
                    validation_uri TEXT NOT NULL DEFAULT '',
                    hyperparameters TEXT NOT NULL DEFAULT '{}',
                    billable_tokens INTEGER,
                    cost_usd REAL,
                    evaluation TEXT NOT NULL DEFAULT '{}',
                    champion INTEGER NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL DEFAULT '',
                    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
                )
                """
            )
            # One champion at a time, as the Supabase table has it (deploy/supabase/tuned_models.sql).
            db.execute(
                "CREATE UNIQUE INDEX IF NOT EXISTS tuned_models_one_champion ON tuned_models (champion) "
                "WHERE champion = 1"
            )

    def record_model(self, record: TunedModelRecord) -> None:
        self.create_table()
        row = _encoded(record.model_row())
        columns = ", ".join(MODEL_COLUMNS)
        marks = ", ".join(f":{column}" for column in MODEL_COLUMNS)
        updates = ", ".join(f"{column} = excluded.{column}" for column in MODEL_COLUMNS if column != "job_name")
        with self._connect() as db:
            db.execute(
                f"INSERT INTO tuned_models ({columns}) VALUES ({marks}) "
                f"ON CONFLICT (job_name) DO UPDATE SET {updates}, "
                f"updated_at = {SQLITE_NOW}",
                row,
            )

    def record_evaluation(self, job_name: str, scores: Mapping[str, Any], champion: bool) -> None:
        self.create_table()
        with self._connect() as db:  # one transaction: there is never a moment with two champions
            if champion:
                db.execute("UPDATE tuned_models SET champion = 0 WHERE champion = 1 AND job_name != ?", (job_name,))
            updated = db.execute(
                f"UPDATE tuned_models SET {EVALUATION_COLUMNS[0]} = ?, {EVALUATION_COLUMNS[1]} = ?, "
                f"updated_at = {SQLITE_NOW} WHERE job_name = ?",
                (json.dumps(dict(scores), sort_keys=True), int(champion), job_name),
            ).rowcount
            if not updated:
                raise KeyError(f"no tuned model with job {job_name!r} in {self.describe()}: materialize tuned_model")

    def get(self, job_name: str) -> TunedModelRecord | None:
        self.create_table()
        with self._connect() as db:
            row = db.execute("SELECT * FROM tuned_models WHERE job_name = ?", (job_name,)).fetchone()
        return from_row(dict(row)) if row else None

    def models(self) -> list[TunedModelRecord]:
        self.create_table()
        with self._connect() as db:
            rows = db.execute("SELECT * FROM tuned_models ORDER BY created_at, job_name").fetchall()
        return [from_row(dict(row)) for row in rows]

    def describe(self) -> str:
        return f"local SQLite tuned_models table at {Path(self.path).resolve()}"


def _encoded(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with its JSON columns as text, as SQLite stores them."""
    return {k: json.dumps(v, sort_keys=True) if k in JSON_COLUMNS else v for k, v in row.items()}


class RegistryError(RuntimeError):
    """Supabase did not take or give a registry row; the message says what to check (never the key)."""


class SupabaseModelRegistry(ModelRegistry):
    """The ``tuned_models`` table in Supabase, through its REST API (supabase-py).

    Row-level security lets only the service role at it, so ``key`` is the service-role key. A
    model's row is an upsert on ``job_name`` of the tuning columns alone; an evaluation goes
    through the ``record_tuned_model_evaluation`` function, which moves the champion flag in one
    transaction.
    """

    url: str = Field(description="The project URL, https://<project-ref>.supabase.co: EnvVar('SUPABASE_URL').")
    key: str = Field(
        description="The service-role key (the table's row-level security admits only that role): "
        "EnvVar('SUPABASE_KEY'), never in the repository."
    )
    timeout_seconds: float = Field(default=60.0, gt=0, description="How long one request may take.")

    def describe(self) -> str:
        return f"Supabase table {TABLE!r} at {self.url}"

    @contextmanager
    def _client(self) -> Iterator[Client]:
        import httpx
        from supabase import ClientOptions, create_client

        with httpx.Client(timeout=self.timeout_seconds, follow_redirects=True) as http:
            yield create_client(self.url, self.key, options=ClientOptions(httpx_client=http))

    def _run(self, what: str, call: Any) -> Any:
        try:
            with self._client() as client:
                return call(client).execute()
        except Exception as error:
            if getattr(error, "code", None) == NO_DATA_FOUND:
                raise KeyError(
                    f"no tuned model with job {what!r} in {self.describe()}: materialize tuned_model"
                ) from None
            detail = f"{getattr(error, 'code', '') or ''} {getattr(error, 'message', '') or error}".strip()
            raise RegistryError(
                f"{what} in {self.describe()} failed: {detail.replace(self.key, '<SUPABASE_KEY>')[:500]}. Check that "
                f"{SQL_FILE} was applied to the project and that SUPABASE_KEY is its service-role key."
            ) from None

    def record_model(self, record: TunedModelRecord) -> None:
        row = record.model_row()
        row["created_at"] = row["created_at"] or None  # timestamptz: no empty text
        self._run(
            f"writing the row of {record.job_name}",
            lambda client: client.table(TABLE).upsert(row, on_conflict="job_name"),
        )

    def record_evaluation(self, job_name: str, scores: Mapping[str, Any], champion: bool) -> None:
        params = {"p_job_name": job_name, "p_scores": dict(scores), "p_champion": champion}
        self._run(job_name, lambda client: client.rpc(EVALUATION_FUNCTION, params))

    def get(self, job_name: str) -> TunedModelRecord | None:
        response = self._run(
            f"reading the row of {job_name}", lambda client: client.table(TABLE).select("*").eq("job_name", job_name)
        )
        return from_row(_decoded(response.data[0])) if response.data else None

    def models(self) -> list[TunedModelRecord]:
        rows: list[dict[str, Any]] = []
        while True:  # a page at a time: Supabase answers at most 1,000 rows per request
            start = len(rows)
            response = self._run(
                "reading the tuned models",
                lambda client, start=start: (
                    client.table(TABLE)
                    .select("*")
                    .order("created_at", nullsfirst=True)
                    .order("job_name")
                    .range(start, start + 999)
                ),
            )
            rows.extend(response.data)
            if len(response.data) < 1000:
                return [from_row(_decoded(row)) for row in rows]


def _decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    """A PostgREST row in the record's terms: a missing creation time as the empty text."""
    return {**row, "created_at": row.get("created_at") or ""}
