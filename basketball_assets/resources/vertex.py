"""Vertex AI: supervised tuning jobs of Gemini."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field


class VertexTuning(ConfigurableResource):
    """Where tuning jobs run. Unset ``project`` means Vertex AI is not configured."""

    project: str | None = Field(default=None, description="Google Cloud project (env VERTEX_PROJECT).")
    location: str = Field(default="us-central1", description="Vertex AI region (env VERTEX_LOCATION).")

    def missing_settings(self) -> list[str]:
        return [] if self.project else ["VERTEX_PROJECT (Google Cloud project of the tuning job)"]
