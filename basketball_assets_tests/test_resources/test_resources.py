"""Resources from the settings: local unless cloud settings, the resources' own defaults when a
setting is unset, and a value a resource rejects named by its variable."""

from pathlib import Path

import pytest
from dagster import EnvVar

from basketball_assets.resources import (
    ClipEncoder,
    GCSStorage,
    LocalPlaysDatabase,
    LocalStorage,
    SupabasePlays,
    VertexTuning,
    build_plays_source,
    build_resources,
    build_storage,
)
from basketball_assets.settings import Settings, SettingsError


def field_defaults(resource: type) -> dict:
    return {name: field.default for name, field in resource.model_fields.items()}


def test_unset_settings_leave_every_resource_field_at_its_own_default(tmp_path: Path):
    resources = build_resources(Settings(data_dir=tmp_path))
    video, vertex = field_defaults(ClipEncoder), field_defaults(VertexTuning)

    assert (resources["video"].mode, resources["video"].preset) == (video["mode"], video["preset"])
    assert (resources["vertex"].project, resources["vertex"].location) == (vertex["project"], vertex["location"])
    assert resources["vertex"].api_endpoint == vertex["api_endpoint"]
    assert isinstance(resources["storage"], LocalStorage) and resources["storage"].data_dir == str(tmp_path)
    assert resources["plays_source"].path == str(tmp_path / "plays.sqlite3")


def test_the_data_dir_defaults_to_local_storages_default_under_the_working_directory(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    storage = build_storage(Settings())

    assert storage.data_dir == str(tmp_path / field_defaults(LocalStorage)["data_dir"])


def test_gcs_storage_takes_the_settings_given_and_its_own_defaults_for_the_rest(tmp_path: Path):
    storage = build_storage(Settings(gcp_project="uball-prod", cache_home=tmp_path))
    defaults = field_defaults(GCSStorage)

    assert isinstance(storage, GCSStorage)
    assert (storage.videos_bucket, storage.training_bucket) == (defaults["videos_bucket"], defaults["training_bucket"])
    assert storage.cache_limit_gb == defaults["cache_limit_gb"]
    assert storage.video_cache == tmp_path / "basketball-assets" / "videos"

    chosen = Settings(gcp_project="uball-prod", video_cache_gb=2.5, videos_bucket="v", training_bucket="t")
    sized = build_storage(chosen)
    assert (sized.cache_limit_gb, sized.videos_bucket, sized.training_bucket) == (2.5, "v", "t")


def test_supabase_reads_url_and_key_at_run_time_through_env_vars():
    source = build_plays_source(Settings(use_supabase=True))

    assert isinstance(source, SupabasePlays)
    assert (source.url, source.key) == (EnvVar("SUPABASE_URL"), EnvVar("SUPABASE_KEY"))
    assert source.table == field_defaults(SupabasePlays)["table"]
    assert build_plays_source(Settings(use_supabase=True, supabase_plays_table="staging")).table == "staging"


def test_without_supabase_plays_are_local(tmp_path: Path):
    assert isinstance(build_plays_source(Settings(data_dir=tmp_path)), LocalPlaysDatabase)


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"BASKETBALL_CLIP_MODE": "fast"}, "BASKETBALL_CLIP_MODE"),
        ({"BASKETBALL_GCP_PROJECT": "uball-prod", "BASKETBALL_VIDEO_CACHE_GB": "0"}, "BASKETBALL_VIDEO_CACHE_GB"),
    ],
)
def test_a_value_a_resource_rejects_is_named_by_its_variable(environ, variable):
    with pytest.raises(SettingsError, match=variable):
        build_resources(Settings.from_environ(environ))


def test_the_space_kept_free_reaches_local_and_gcs_storage_and_a_negative_one_is_named(tmp_path: Path):
    assert build_storage(Settings(data_dir=tmp_path)).min_free_gb == field_defaults(LocalStorage)["min_free_gb"]
    assert build_storage(Settings(data_dir=tmp_path, min_free_gb=20)).min_free_gb == 20
    assert build_storage(Settings(gcp_project="p", cache_home=tmp_path, min_free_gb=5)).min_free_gb == 5
    with pytest.raises(SettingsError, match="BASKETBALL_MIN_FREE_GB"):
        build_storage(Settings.from_environ({"BASKETBALL_DATA_DIR": str(tmp_path), "BASKETBALL_MIN_FREE_GB": "-1"}))
