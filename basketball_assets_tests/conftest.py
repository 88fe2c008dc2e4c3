"""Fixtures shared by the whole suite. Service fixtures live in ``services/``."""

from pathlib import Path

import pytest
from dagster import DagsterInstance, instance_for_test

from basketball_assets.resources import ClipEncoder, LocalPlaysDatabase, LocalStorage
from basketball_assets_tests.games import render_test_videos
from basketball_assets_tests.services.gcs_emulator import gcs_emulator, network_faults  # noqa: F401  (fixtures)
from basketball_assets_tests.services.postgres import postgres_server  # noqa: F401  (fixture)
from basketball_assets_tests.services.supabase import supabase_server  # noqa: F401  (fixture)


@pytest.fixture(scope="session")
def test_videos(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], Path]:
    """The four tiny half videos, rendered once per session."""
    return render_test_videos(tmp_path_factory.mktemp("videos"))


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(data_dir=str(tmp_path / "data"))


@pytest.fixture
def plays_db(tmp_path: Path) -> LocalPlaysDatabase:
    database = LocalPlaysDatabase(path=str(tmp_path / "data" / "plays.sqlite3"))
    database.create_table()
    return database


@pytest.fixture
def resources(storage: LocalStorage, plays_db: LocalPlaysDatabase) -> dict:
    return {"storage": storage, "plays_source": plays_db, "video": ClipEncoder()}


@pytest.fixture
def instance() -> DagsterInstance:
    with instance_for_test() as instance:
        yield instance
