"""Resources, and the one place that decides local versus cloud implementations."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import EnvVar
from dagster_gcp import GCSResource

from basketball_assets.resources.plays import LocalPlaysDatabase, PlaysSource, SupabasePlays
from basketball_assets.resources.gcs_storage import DEFAULT_VIDEO_CACHE_GB, GCSStorage, default_video_cache_dir
from basketball_assets.resources.storage import DEFAULT_DATA_DIR, TRAINING_BUCKET, VIDEOS_BUCKET, LocalStorage, Storage
from basketball_assets.resources.vertex import VertexTuning
from basketball_assets.resources.video import ClipEncoder

DATA_DIR_VARIABLE = "BASKETBALL_DATA_DIR"


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The local data directory: ``$BASKETBALL_DATA_DIR``, default ``./data``."""
    return Path(environ.get(DATA_DIR_VARIABLE) or DEFAULT_DATA_DIR).resolve()


#: Setting it selects GCS storage (credentials: GOOGLE_APPLICATION_CREDENTIALS or the default ones).
GCP_PROJECT_VARIABLE = "BASKETBALL_GCP_PROJECT"


def storage_from_environment(environ: Mapping[str, str] = os.environ) -> Storage:
    """GCS when ``$BASKETBALL_GCP_PROJECT`` is set, else folders under the data directory."""
    if environ.get(GCP_PROJECT_VARIABLE):
        return GCSStorage(
            gcs=GCSResource(project=environ[GCP_PROJECT_VARIABLE]),
            videos_bucket=environ.get("BASKETBALL_VIDEOS_BUCKET") or VIDEOS_BUCKET,
            training_bucket=environ.get("BASKETBALL_TRAINING_BUCKET") or TRAINING_BUCKET,
            cache_dir=str(default_video_cache_dir(environ)),
            cache_limit_gb=float(environ.get("BASKETBALL_VIDEO_CACHE_GB") or DEFAULT_VIDEO_CACHE_GB),
        )
    return LocalStorage(data_dir=str(data_dir(environ)))


#: Setting it selects the Supabase plays table; SUPABASE_KEY holds the API key.
SUPABASE_URL_VARIABLE = "SUPABASE_URL"
SUPABASE_KEY_VARIABLE = "SUPABASE_KEY"


def plays_source_from_environment(environ: Mapping[str, str] = os.environ) -> PlaysSource:
    """Supabase when ``$SUPABASE_URL`` is set, else the local SQLite plays table."""
    if environ.get(SUPABASE_URL_VARIABLE):
        # EnvVar: Dagster reads the values at run time and never shows or stores the key.
        return SupabasePlays(
            url=EnvVar(SUPABASE_URL_VARIABLE),
            key=EnvVar(SUPABASE_KEY_VARIABLE),
            table=environ.get("SUPABASE_PLAYS_TABLE") or "plays",
        )
    return LocalPlaysDatabase(path=str(data_dir(environ) / "plays.sqlite3"))


def resources_from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Every resource the definitions need, local unless cloud settings are present."""
    return {
        "storage": storage_from_environment(environ),
        "plays_source": plays_source_from_environment(environ),
        # Clip cutting: reencode (default) or smart; x264 preset (see the README's preset table).
        "video": ClipEncoder(
            mode=environ.get("BASKETBALL_CLIP_MODE") or "reencode",
            preset=environ.get("BASKETBALL_CLIP_PRESET") or "veryfast",
        ),
        "vertex": VertexTuning(
            project=environ.get("VERTEX_PROJECT") or None,
            location=environ.get("VERTEX_LOCATION") or "us-central1",
            api_endpoint=environ.get("VERTEX_API_ENDPOINT") or None,
        ),
    }


__all__ = [
    "ClipEncoder",
    "LocalPlaysDatabase",
    "GCSStorage",
    "LocalStorage",
    "PlaysSource",
    "Storage",
    "SupabasePlays",
    "VertexTuning",
    "resources_from_environment",
]
