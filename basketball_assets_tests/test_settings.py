"""Settings: every environment variable read, every default, and bad values named by their variable."""

from datetime import timedelta
from pathlib import Path

import pytest

from basketball_assets.settings import (
    SLACK_BOT_TOKEN,
    SUPABASE_KEY,
    SUPABASE_URL,
    Settings,
    SettingsError,
    variable_names,
    variable_of,
)

README = Path(__file__).resolve().parents[1] / "README.md"

#: (variable, value, setting, the setting's value): one row per variable read.
EVERY_VARIABLE = [
    ("BASKETBALL_DATA_DIR", "/srv/data", "data_dir", Path("/srv/data")),
    ("BASKETBALL_GCP_PROJECT", "uball-prod", "gcp_project", "uball-prod"),
    ("BASKETBALL_VIDEOS_BUCKET", "my-videos", "videos_bucket", "my-videos"),
    ("BASKETBALL_TRAINING_BUCKET", "my-training", "training_bucket", "my-training"),
    ("BASKETBALL_VIDEO_CACHE_DIR", "/srv/cache", "video_cache_dir", Path("/srv/cache")),
    ("XDG_CACHE_HOME", "/srv/xdg", "cache_home", Path("/srv/xdg")),
    ("BASKETBALL_VIDEO_CACHE_GB", "2.5", "video_cache_gb", 2.5),
    ("BASKETBALL_MIN_FREE_GB", "20", "min_free_gb", 20.0),
    ("SUPABASE_PLAYS_TABLE", "plays_staging", "supabase_plays_table", "plays_staging"),
    ("BASKETBALL_PLAYS_SENSOR_INTERVAL_SECONDS", "7", "plays_sensor_interval_seconds", 7),
    ("BASKETBALL_PLAYS_OVERLAP_SECONDS", "90", "plays_overlap_seconds", 90.0),
    ("BASKETBALL_PLAYS_FULL_SCAN_MINUTES", "0", "plays_full_scan_minutes", 0.0),
    ("BASKETBALL_AUTOMATION_INTERVAL_SECONDS", "11", "automation_interval_seconds", 11),
    ("BASKETBALL_DATASET_REFRESH_CRON", "*/5 * * * *", "dataset_refresh_cron", "*/5 * * * *"),
    ("BASKETBALL_FRESHNESS_CRON", "0 * * * *", "freshness_cron", "0 * * * *"),
    ("SLACK_CHANNEL", "#ops", "slack_channel", "#ops"),
    ("BASKETBALL_UI_URL", "https://dagster.example.org", "ui_base_url", "https://dagster.example.org"),
    ("SLACK_API_URL", "http://127.0.0.1:9/api/", "slack_api_url", "http://127.0.0.1:9/api/"),
    ("BASKETBALL_CLIP_MODE", "smart", "clip_mode", "smart"),
    ("BASKETBALL_CLIP_PRESET", "faster", "clip_preset", "faster"),
    ("VERTEX_PROJECT", "uball-tuning", "vertex_project", "uball-tuning"),
    ("VERTEX_LOCATION", "europe-west4", "vertex_location", "europe-west4"),
    ("VERTEX_API_ENDPOINT", "http://127.0.0.1:9", "vertex_api_endpoint", "http://127.0.0.1:9"),
]


@pytest.mark.parametrize(("variable", "value", "setting", "expected"), EVERY_VARIABLE)
def test_every_variable_sets_its_setting(variable, value, setting, expected):
    settings = Settings.from_environ({variable: value})

    assert getattr(settings, setting) == expected
    assert variable_of(setting) == variable
    # Only that setting changed.
    others = {name for name in Settings.model_fields if name != setting}
    assert settings.model_dump(include=others) == Settings().model_dump(include=others)


def test_the_table_above_covers_every_variable_and_the_readme_documents_them():
    assert sorted(variable_names()) == sorted(variable for variable, *_ in EVERY_VARIABLE)
    readme = README.read_text(encoding="utf-8")
    documented = [*variable_names(), SUPABASE_URL, SUPABASE_KEY, SLACK_BOT_TOKEN]
    assert [name for name in documented if name not in readme] == []


def test_defaults():
    settings = Settings.from_environ({})

    assert settings == Settings()
    assert (settings.plays_sensor_interval_seconds, settings.automation_interval_seconds) == (60, 30)
    assert (settings.plays_overlap, settings.plays_full_scan_every) == (timedelta(minutes=5), timedelta(hours=1))
    assert settings.dataset_refresh_cron == "*/15 * * * *"
    assert settings.use_supabase is False
    assert settings.video_cache == Path.home() / ".cache" / "basketball-assets" / "videos"
    # Unset: the resources' own field defaults apply (see test_resources), not a second copy here.
    resource_settings = ("data_dir", "gcp_project", "videos_bucket", "training_bucket", "video_cache_gb")
    resource_settings += ("supabase_plays_table", "clip_mode", "clip_preset", "vertex_project", "vertex_location")
    assert {name: getattr(settings, name) for name in resource_settings} == dict.fromkeys(resource_settings)


def test_an_empty_variable_counts_as_unset():
    assert Settings.from_environ(dict.fromkeys(variable_names(), "")) == Settings()


def test_the_process_environment_is_read_when_none_is_given(monkeypatch):
    monkeypatch.setenv("BASKETBALL_DATASET_REFRESH_CRON", "0 * * * *")

    assert Settings.from_environ().dataset_refresh_cron == "0 * * * *"


def test_durations_are_timedeltas():
    environ = {"BASKETBALL_PLAYS_OVERLAP_SECONDS": "90", "BASKETBALL_PLAYS_FULL_SCAN_MINUTES": "2.5"}
    settings = Settings.from_environ(environ)

    assert (settings.plays_overlap, settings.plays_full_scan_every) == (timedelta(seconds=90), timedelta(seconds=150))


def test_the_video_cache_is_its_variable_else_under_the_users_cache_folder(tmp_path):
    under_xdg = Settings.from_environ({"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    chosen = Settings.from_environ({"XDG_CACHE_HOME": str(tmp_path / "xdg"), "BASKETBALL_VIDEO_CACHE_DIR": "~/videos"})

    assert under_xdg.video_cache == tmp_path / "xdg" / "basketball-assets" / "videos"
    assert chosen.video_cache == Path.home() / "videos"


def test_supabase_is_chosen_by_its_url_and_no_secret_is_kept():
    settings = Settings.from_environ({SUPABASE_URL: "https://ref.supabase.co", SUPABASE_KEY: "service-role-secret"})

    assert settings.use_supabase is True
    assert "supabase.co" not in repr(settings) and "service-role-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BASKETBALL_PLAYS_SENSOR_INTERVAL_SECONDS", "a minute"),
        ("BASKETBALL_PLAYS_SENSOR_INTERVAL_SECONDS", "-5"),
        ("BASKETBALL_PLAYS_OVERLAP_SECONDS", "five"),
        ("BASKETBALL_PLAYS_OVERLAP_SECONDS", "-1"),
        ("BASKETBALL_PLAYS_FULL_SCAN_MINUTES", "hourly"),
        ("BASKETBALL_PLAYS_FULL_SCAN_MINUTES", "-60"),
        ("BASKETBALL_AUTOMATION_INTERVAL_SECONDS", "1.5"),
        ("BASKETBALL_DATASET_REFRESH_CRON", "every 15 minutes"),
        ("BASKETBALL_VIDEO_CACHE_GB", "lots"),
    ],
)
def test_a_bad_value_is_rejected_naming_its_variable(variable, value):
    with pytest.raises(SettingsError, match=rf"{variable}='{value}'"):
        Settings.from_environ({variable: value})


def test_every_bad_value_is_named_at_once():
    bad = {"BASKETBALL_AUTOMATION_INTERVAL_SECONDS": "soon", "BASKETBALL_DATASET_REFRESH_CRON": "never"}

    with pytest.raises(SettingsError) as error:
        Settings.from_environ(bad)

    assert all(variable in str(error.value) for variable in bad)


def test_settings_are_frozen():
    with pytest.raises(ValueError):
        Settings().clip_mode = "smart"  # type: ignore[misc]
