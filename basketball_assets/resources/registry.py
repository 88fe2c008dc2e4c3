"""The tuned-model registry: a ``tuned_models`` table beside ``plays``.

Every tuned model is one row, keyed by its tuning job; a re-run of the same job updates its own
row. Locally the table lives in the same SQLite file as the plays; with Supabase configured, in
Supabase (its SQL ships under ``deploy/``).
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

from basketball_assets.core.registry import (
    EVALUATION_COLUMNS,
    JSON_COLUMNS,
    MODEL_COLUMNS,
    TunedModelRecord,
    from_row,
)


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
                "updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
                row,
            )

    def record_evaluation(self, job_name: str, scores: Mapping[str, Any], champion: bool) -> None:
        self.create_table()
        with self._connect() as db:  # one transaction: there is never a moment with two champions
            if champion:
                db.execute("UPDATE tuned_models SET champion = 0 WHERE champion = 1 AND job_name != ?", (job_name,))
            updated = db.execute(
                f"UPDATE tuned_models SET {EVALUATION_COLUMNS[0]} = ?, {EVALUATION_COLUMNS[1]} = ?, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') WHERE job_name = ?",
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
