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


#: Marks of the slowest tests first, then tests of real components; pure tests last.
_FIRST_MARKS = ({"e2e", "slow"}, {"ffmpeg", "services"})


def _module_rank(items: list[pytest.Item]) -> int:
    """0 for a module with an e2e or slow test, 1 with a real-component test, 2 otherwise."""
    marks = {mark.name for item in items for mark in item.iter_markers()}
    return next((rank for rank, wanted in enumerate(_FIRST_MARKS) if marks & wanted), len(_FIRST_MARKS))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the slowest modules first (stable otherwise). With pytest-xdist handing out whole files
    (``--dist loadfile``, as scripts/test.sh runs), long files started last would leave one worker
    busy alone at the end; started first, the many short files fill in around them."""
    by_module: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_module.setdefault(item.nodeid.split("::")[0], []).append(item)
    ranked = sorted(by_module.values(), key=_module_rank)  # sorted() is stable: collection order within a rank
    items[:] = [item for module in ranked for item in module]
