"""The project's settings: every environment variable it reads, parsed once into one typed object.

``Settings.from_environ()`` is called once, by ``definitions.py`` (and by the demo, which
builds its own definitions); everything else is handed the object. An unset or empty
variable means the default. Where a resource field already has a default (the buckets, the
cache size, the data folder, the clip encoder's mode and preset, the Vertex AI region, the
plays table), the setting is ``None`` when unset and the resource's own default applies.

Secrets are not kept here: ``SUPABASE_URL`` and ``SUPABASE_KEY`` reach the plays source,
and ``SLACK_BOT_TOKEN`` the Slack alerts, as Dagster ``EnvVar``s, which Dagster reads at
run time and never shows; only whether ``SUPABASE_URL`` and ``SLACK_BOT_TOKEN`` are set is
recorded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from dagster._utils.schedules import is_valid_cron_string
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from basketball_assets.core.changes import DEFAULT_FULL_SCAN_EVERY, DEFAULT_OVERLAP

#: Setting it selects the Supabase plays table; Dagster reads its value at run time (EnvVar).
SUPABASE_URL = "SUPABASE_URL"
#: The Supabase API key; Dagster reads it at run time (EnvVar) and never shows it.
SUPABASE_KEY = "SUPABASE_KEY"

#: The Slack bot token; setting it turns the alerts on. Dagster reads it at run time (EnvVar).
SLACK_BOT_TOKEN = "SLACK_BOT_TOKEN"

#: The video cache's folder is ``basketball-assets/videos`` under this one.
CACHE_HOME = "XDG_CACHE_HOME"


class SettingsError(ValueError):
    """A variable has a value the project cannot use; the message names the variable."""


class Settings(BaseModel):
    """Every setting of the project, typed; build it with :meth:`from_environ`.

    Fields are named for what they set; each one's ``validation_alias`` is its environment
    variable. Tests build one directly by field name, e.g. ``Settings(clip_mode="smart")``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)

    # --- storage: folders under the data directory, or GCS when a project is set ---------------
    #: BASKETBALL_DATA_DIR: the local data folder (buckets as folders, plays.sqlite3); unset: ./data.
    data_dir: Path | None = Field(default=None, validation_alias="BASKETBALL_DATA_DIR")
    #: BASKETBALL_GCP_PROJECT: the GCP project; setting it selects GCS storage.
    gcp_project: str | None = Field(default=None, validation_alias="BASKETBALL_GCP_PROJECT")
    #: BASKETBALL_VIDEOS_BUCKET: the bucket holding the game videos (GCS only).
    videos_bucket: str | None = Field(default=None, validation_alias="BASKETBALL_VIDEOS_BUCKET")
    #: BASKETBALL_TRAINING_BUCKET: the bucket receiving clips and JSONL (GCS only).
    training_bucket: str | None = Field(default=None, validation_alias="BASKETBALL_TRAINING_BUCKET")
    #: BASKETBALL_VIDEO_CACHE_DIR: the folder caching downloaded videos (GCS only); see :attr:`video_cache`.
    video_cache_dir: Path | None = Field(default=None, validation_alias="BASKETBALL_VIDEO_CACHE_DIR")
    #: XDG_CACHE_HOME: the user's cache folder, home of the default video cache; unset: ~/.cache.
    cache_home: Path | None = Field(default=None, validation_alias=CACHE_HOME)
    #: BASKETBALL_VIDEO_CACHE_GB: the size the video cache is trimmed to, in GiB (GCS only).
    video_cache_gb: float | None = Field(default=None, validation_alias="BASKETBALL_VIDEO_CACHE_GB")
    #: BASKETBALL_MIN_FREE_GB: GB kept free on the scratch disk; a game whose clips would not fit is refused.
    min_free_gb: float | None = Field(default=None, validation_alias="BASKETBALL_MIN_FREE_GB")

    # --- plays: the local SQLite table, or Supabase when SUPABASE_URL is set -----------------
    #: Whether SUPABASE_URL is set (its value stays with Dagster, see the module's docstring).
    use_supabase: bool = False
    #: SUPABASE_PLAYS_TABLE: the Supabase table holding the plays (e.g. a staging copy).
    supabase_plays_table: str | None = Field(default=None, validation_alias="SUPABASE_PLAYS_TABLE")

    # --- the plays sensor ------------------------------------------------------------------
    #: BASKETBALL_PLAYS_SENSOR_INTERVAL_SECONDS: seconds between polls of the plays table.
    plays_sensor_interval_seconds: int = Field(
        default=60, ge=0, validation_alias="BASKETBALL_PLAYS_SENSOR_INTERVAL_SECONDS"
    )
    #: BASKETBALL_PLAYS_OVERLAP_SECONDS: seconds re-read before the newest write seen (rows committed late).
    plays_overlap_seconds: float = Field(
        default=DEFAULT_OVERLAP.total_seconds(), ge=0, validation_alias="BASKETBALL_PLAYS_OVERLAP_SECONDS"
    )
    #: BASKETBALL_PLAYS_FULL_SCAN_MINUTES: minutes between whole-table scans; 0 turns them off.
    plays_full_scan_minutes: float = Field(
        default=DEFAULT_FULL_SCAN_EVERY / timedelta(minutes=1),
        ge=0,
        validation_alias="BASKETBALL_PLAYS_FULL_SCAN_MINUTES",
    )

    # --- declarative automation --------------------------------------------------------------
    #: BASKETBALL_AUTOMATION_INTERVAL_SECONDS: seconds between evaluations of the automation conditions.
    automation_interval_seconds: int = Field(
        default=30, ge=0, validation_alias="BASKETBALL_AUTOMATION_INTERVAL_SECONDS"
    )
    #: BASKETBALL_DATASET_REFRESH_CRON: at most one combined_dataset refresh per tick of this schedule (UTC).
    dataset_refresh_cron: str = Field(default="*/15 * * * *", validation_alias="BASKETBALL_DATASET_REFRESH_CRON")

    #: BASKETBALL_FRESHNESS_CRON: when the freshness_checks_schedule runs the freshness checks (UTC).
    freshness_cron: str = Field(default="*/30 * * * *", validation_alias="BASKETBALL_FRESHNESS_CRON")

    # --- the clip encoder -----------------------------------------------------------------
    #: BASKETBALL_CLIP_MODE: how clips are cut, smart (the default) or reencode (ClipEncoder.mode).
    clip_mode: str | None = Field(default=None, validation_alias="BASKETBALL_CLIP_MODE")
    #: BASKETBALL_CLIP_PRESET: the x264 preset, speed against file size (ClipEncoder.preset).
    clip_preset: str | None = Field(default=None, validation_alias="BASKETBALL_CLIP_PRESET")

    # --- Vertex AI tuning -----------------------------------------------------------------
    #: VERTEX_PROJECT: the Google Cloud project that runs and pays for tuning jobs.
    vertex_project: str | None = Field(default=None, validation_alias="VERTEX_PROJECT")
    #: VERTEX_LOCATION: the Vertex AI region of tuning jobs.
    vertex_location: str | None = Field(default=None, validation_alias="VERTEX_LOCATION")
    #: VERTEX_API_ENDPOINT: another Vertex AI endpoint (tests against a local stand-in).
    vertex_api_endpoint: str | None = Field(default=None, validation_alias="VERTEX_API_ENDPOINT")

    # --- alerts: Slack, on when SLACK_BOT_TOKEN is set ----------------------------------------
    #: Whether SLACK_BOT_TOKEN is set (its value stays with Dagster, like SUPABASE_KEY).
    use_slack: bool = False
    #: SLACK_CHANNEL: the channel alerts are posted to.
    slack_channel: str = Field(default="#basketball-assets", validation_alias="SLACK_CHANNEL")
    #: BASKETBALL_UI_URL: the Dagster UI's address, for the run links in alerts.
    ui_base_url: str = Field(default="http://localhost:3000", validation_alias="BASKETBALL_UI_URL")
    #: SLACK_API_URL: another Slack Web API address (a local stand-in); unset: Slack's own.
    slack_api_url: str | None = Field(default=None, validation_alias="SLACK_API_URL")

    @field_validator("dataset_refresh_cron", "freshness_cron")
    @classmethod
    def _valid_cron(cls, cron: str) -> str:
        if not is_valid_cron_string(cron):
            raise ValueError("not a cron schedule (five fields, e.g. */15 * * * *)")
        return cron

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``environ`` (default: this process's environment); raises
        :class:`SettingsError` naming every variable whose value is unusable."""
        environ = os.environ if environ is None else environ
        # An empty variable counts as unset, as it did in every reader before this module.
        given = {name: environ[name] for name in variable_names() if environ.get(name)}
        try:
            present = {"use_supabase": bool(environ.get(SUPABASE_URL)), "use_slack": bool(environ.get(SLACK_BOT_TOKEN))}
            return cls.model_validate({**given, **present})
        except ValidationError as error:
            raise SettingsError(problems(error)) from error

    @property
    def plays_overlap(self) -> timedelta:
        """The plays sensor's overlap window."""
        return timedelta(seconds=self.plays_overlap_seconds)

    @property
    def plays_full_scan_every(self) -> timedelta:
        """Time between the plays sensor's full scans; zero: never."""
        return timedelta(minutes=self.plays_full_scan_minutes)

    @property
    def video_cache(self) -> Path:
        """``$BASKETBALL_VIDEO_CACHE_DIR``, else ``$XDG_CACHE_HOME/basketball-assets/videos``
        (``~/.cache/basketball-assets/videos``)."""
        if self.video_cache_dir:
            return self.video_cache_dir.expanduser()
        return (self.cache_home or Path.home() / ".cache").expanduser() / "basketball-assets" / "videos"


def variable_of(field: str) -> str:
    """The environment variable of the setting ``field``."""
    alias = Settings.model_fields[field].validation_alias
    if not isinstance(alias, str):
        raise KeyError(f"setting {field!r} comes from no environment variable")
    return alias


def variable_names() -> list[str]:
    """Every environment variable read into :class:`Settings` (besides the presence of ``SUPABASE_URL``
    and ``SLACK_BOT_TOKEN``)."""
    aliases = [field.validation_alias for field in Settings.model_fields.values()]
    return [alias for alias in aliases if isinstance(alias, str)]


def problems(error: ValidationError, variables: Mapping[str, str] | None = None) -> str:
    """One line per rejected value, naming its variable: ``variables`` maps a field name in
    ``error`` to its variable (default: the names in ``error`` are the variables already)."""
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else error.title
        variable = (variables or {}).get(name, name)
        # "Value error, " is pydantic's prefix for errors our validators raise: noise here.
        lines.append(f"{variable}={problem['input']!r}: {problem['msg'].removeprefix('Value error, ')}")
    return "bad settings: " + "; ".join(lines)
