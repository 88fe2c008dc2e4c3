"""The tuned-model registry's row: one tuned model, as the ``tuned_models`` table holds it.

Pure shape and conversion only; where rows are kept is ``resources/registry.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

#: Columns a tuning run writes; a re-run of the same job updates exactly these.
MODEL_COLUMNS = (
    "job_name",
    "model_name",
    "endpoint_name",
    "base_model",
    "parent_model",
    "dataset_version",
    "training_uri",
    "validation_uri",
    "hyperparameters",
    "billable_tokens",
    "cost_usd",
    "created_at",
)
#: Columns an evaluation writes; a tuning re-run leaves them as they are.
EVALUATION_COLUMNS = ("evaluation", "champion")
#: Columns held as JSON text (SQLite) or jsonb (PostgreSQL).
JSON_COLUMNS = ("hyperparameters", "evaluation")


@dataclass(frozen=True)
class TunedModelRecord:
    """One tuned model: the job that made it, what it was tuned on and from, what it cost, how it scored."""

    #: The tuning job's resource name (projects/…/tuningJobs/…): the row's identity.
    job_name: str
    #: The tuned model's resource name (projects/…/models/…@1).
    model_name: str = ""
    #: The endpoint serving it (projects/…/endpoints/…): what predictions are asked of.
    endpoint_name: str = ""
    #: The publisher model tuned, e.g. gemini-2.5-pro.
    base_model: str = ""
    #: The tuned model this one continued from (``pre_tuned_model``), empty when tuned from the base.
    parent_model: str = ""
    dataset_version: str = ""
    training_uri: str = ""
    validation_uri: str = ""
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    #: Vertex AI's billable token count for the job, and the cost it means at the configured price.
    billable_tokens: int | None = None
    cost_usd: float | None = None
    #: The evaluation's scores (metric name to value), empty until evaluated.
    evaluation: dict[str, Any] = field(default_factory=dict)
    #: True for the one model the next evaluation compares against (and ``continue_from=champion`` uses).
    champion: bool = False
    #: When the job was created (ISO-8601, UTC).
    created_at: str = ""

    def as_row(self) -> dict[str, Any]:
        """The record as a table row: JSON columns as plain dicts (the backend encodes them)."""
        return asdict(self)

    def model_row(self) -> dict[str, Any]:
        """Only the columns a tuning run owns (see :data:`MODEL_COLUMNS`)."""
        row = self.as_row()
        return {column: row[column] for column in MODEL_COLUMNS}

    def evaluated(self, scores: Mapping[str, Any], champion: bool) -> TunedModelRecord:
        """This record with an evaluation's scores and champion flag."""
        return replace(self, evaluation=dict(scores), champion=champion)


def from_row(row: Mapping[str, Any]) -> TunedModelRecord:
    """A record from a table row; JSON columns may come as text (SQLite) or decoded (PostgREST)."""
    values: dict[str, Any] = {}
    for name in TunedModelRecord.__dataclass_fields__:
        if name not in row or row[name] is None:
            continue
        value = row[name]
        if name in JSON_COLUMNS and isinstance(value, str):
            value = json.loads(value) if value else {}
        values[name] = bool(value) if name == "champion" else value
    return TunedModelRecord(**values)
