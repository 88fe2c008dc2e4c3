"""Resources, and the one place that decides local versus cloud implementations from the settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from dagster import ConfigurableResource, EnvVar
from dagster_gcp import GCSResource
from pydantic import ValidationError

from basketball_assets.alerts import SlackAlerts
from basketball_assets.resources.gcs_storage import GCSStorage
from basketball_assets.resources.plays import LocalPlaysDatabase, PlaysSource, SupabasePlays
from basketball_assets.resources.prediction import VertexPrediction
from basketball_assets.resources.registry import LocalModelRegistry, ModelRegistry, SupabaseModelRegistry
from basketball_assets.resources.storage import DEFAULT_DATA_DIR, LocalStorage, Storage
from basketball_assets.resources.vertex import VertexTuning
from basketball_assets.resources.video import ClipEncoder
from basketball_assets.settings import (
    SLACK_BOT_TOKEN,
    SUPABASE_KEY,
    SUPABASE_URL,
    Settings,
    SettingsError,
    problems,
    variable_of,
)

Resource = TypeVar("Resource", bound=ConfigurableResource)


def _configured(kind: type[Resource], settings: Settings, fields: Mapping[str, str], **fixed: Any) -> Resource:
    """A ``kind`` resource with the ``fixed`` fields, and each of ``fields`` (resource field to
    setting) set from its setting when that is set; an unset one keeps the resource field's
    own default, so no default is stated twice. A value the resource rejects raises a
    :class:`SettingsError` naming its environment variable."""
    chosen = {field: getattr(settings, name) for field, name in fields.items() if getattr(settings, name) is not None}
    try:
        return kind(**fixed, **chosen)
    except ValidationError as error:
        raise SettingsError(problems(error, {field: variable_of(name) for field, name in fields.items()})) from error


def data_dir(settings: Settings) -> Path:
    """The local data directory: ``$BASKETBALL_DATA_DIR``, default ``./data`` (``LocalStorage``'s)."""
    return Path(settings.data_dir or DEFAULT_DATA_DIR).resolve()


def build_storage(settings: Settings) -> Storage:
    """GCS when ``$BASKETBALL_GCP_PROJECT`` is set, else folders under the data directory."""
    if settings.gcp_project:
        fields = {
            "videos_bucket": "videos_bucket",
            "training_bucket": "training_bucket",
            "cache_limit_gb": "video_cache_gb",
            "min_free_gb": "min_free_gb",
        }
        return _configured(
            GCSStorage,
            settings,
            fields,
            gcs=GCSResource(project=settings.gcp_project),
            cache_dir=str(settings.video_cache),
        )
    return _configured(LocalStorage, settings, {"min_free_gb": "min_free_gb"}, data_dir=str(data_dir(settings)))


def build_plays_source(settings: Settings) -> PlaysSource:
    """Supabase when ``$SUPABASE_URL`` is set, else the local SQLite plays table."""
    if settings.use_supabase:
        # EnvVar: Dagster reads the values at run time and never shows or stores the key.
        return _configured(
            SupabasePlays,
            settings,
            {"table": "supabase_plays_table"},
            url=EnvVar(SUPABASE_URL),
            key=EnvVar(SUPABASE_KEY),
        )
    return LocalPlaysDatabase(path=str(data_dir(settings) / "plays.sqlite3"))


def build_registry(settings: Settings) -> ModelRegistry:
    """The tuned-model registry: the ``tuned_models`` table beside the plays, in Supabase when
    ``$SUPABASE_URL`` is set (``deploy/supabase/tuned_models.sql``), else in the local SQLite file."""
    if settings.use_supabase:
        return SupabaseModelRegistry(url=EnvVar(SUPABASE_URL), key=EnvVar(SUPABASE_KEY))
    return LocalModelRegistry(path=str(data_dir(settings) / "plays.sqlite3"))


def build_slack(settings: Settings) -> SlackAlerts:
    """The Slack alerts' resource; the token is an EnvVar, read by Dagster at run time."""
    return _configured(
        SlackAlerts,
        settings,
        {"channel": "slack_channel", "ui_base_url": "ui_base_url", "api_base_url": "slack_api_url"},
        token=EnvVar(SLACK_BOT_TOKEN),
    )


def build_resources(settings: Settings) -> dict[str, Any]:
    """Every resource the definitions need, local unless cloud settings are present; ``slack``
    only when ``SLACK_BOT_TOKEN`` is set (the alert sensors are there only then)."""
    slack = {"slack": build_slack(settings)} if settings.use_slack else {}
    return slack | {
        "storage": build_storage(settings),
        "plays_source": build_plays_source(settings),
        # Clip cutting: smart (default) or reencode; x264 preset (see the README's preset table).
        "video": _configured(ClipEncoder, settings, {"mode": "clip_mode", "preset": "clip_preset"}),
        "registry": build_registry(settings),
        "vertex": _configured(
            VertexTuning,
            settings,
            {"project": "vertex_project", "location": "vertex_location", "api_endpoint": "vertex_api_endpoint"},
        ),
        # model_evaluation's calls: the same project, region and endpoint as the tuning jobs.
        "prediction": _configured(
            VertexPrediction,
            settings,
            {"project": "vertex_project", "location": "vertex_location", "api_endpoint": "vertex_api_endpoint"},
        ),
    }


__all__ = [
    "ClipEncoder",
    "GCSStorage",
    "LocalModelRegistry",
    "LocalPlaysDatabase",
    "LocalStorage",
    "ModelRegistry",
    "PlaysSource",
    "Storage",
    "SupabaseModelRegistry",
    "SupabasePlays",
    "VertexPrediction",
    "VertexTuning",
    "build_plays_source",
    "build_registry",
    "build_resources",
    "build_storage",
]
