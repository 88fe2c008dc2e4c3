"""Resources, and the one place that decides local versus cloud implementations."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from basketball_assets.resources.plays import LocalPlaysDatabase, PlaysSource
from basketball_assets.resources.storage import DEFAULT_DATA_DIR, LocalStorage, Storage
from basketball_assets.resources.vertex import VertexTuning
from basketball_assets.resources.video import ClipEncoder

DATA_DIR_VARIABLE = "BASKETBALL_DATA_DIR"


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The local data directory: ``$BASKETBALL_DATA_DIR``, default ``./data``."""
    return Path(environ.get(DATA_DIR_VARIABLE) or DEFAULT_DATA_DIR).resolve()


def storage_from_environment(environ: Mapping[str, str] = os.environ) -> Storage:
    return LocalStorage(data_dir=str(data_dir(environ)))


def plays_source_from_environment(environ: Mapping[str, str] = os.environ) -> PlaysSource:
    return LocalPlaysDatabase(path=str(data_dir(environ) / "plays.sqlite3"))


def resources_from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Every resource the definitions need, local unless cloud settings are present."""
    return {
        "storage": storage_from_environment(environ),
        "plays_source": plays_source_from_environment(environ),
        "video": ClipEncoder(),
        "vertex": VertexTuning(project=environ.get("VERTEX_PROJECT") or None, location=environ.get("VERTEX_LOCATION", "us-central1")),
    }


__all__ = [
    "ClipEncoder",
    "LocalPlaysDatabase",
    "LocalStorage",
    "PlaysSource",
    "Storage",
    "VertexTuning",
    "resources_from_environment",
]
