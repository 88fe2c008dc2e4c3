"""The pipeline on a Dagster instance whose storage is a real PostgreSQL (dagster-postgres)."""

from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, DagsterInstance

from basketball_assets_tests.games import place_game
from basketball_assets_tests.test_assets.pipeline import materialize_combined, materialize_game

pytestmark = [pytest.mark.services, pytest.mark.ffmpeg]


@pytest.fixture
def postgres_home(postgres_server, tmp_path) -> Path:
    """A DAGSTER_HOME whose dagster.yaml puts runs, events and schedules in Postgres."""
    url = postgres_server.create_database("dagster_instance")
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        yaml.safe_dump({"storage": {"postgres": {"postgres_url": url}}, "telemetry": {"enabled": False}})
    )
    return home


def test_runs_materializations_and_partitions_live_in_postgres_and_survive_a_restart(
    postgres_home, postgres_server, storage, plays_db, test_videos, resources
):
    game = place_game(storage, plays_db, test_videos, "on-postgres")
    with DagsterInstance.from_config(str(postgres_home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert materialize_game(instance, resources, game.game_id).success
        assert materialize_combined(instance, resources).success

    # What Dagster wrote is in PostgreSQL's own tables.
    def rows(sql: str) -> list[tuple]:
        return postgres_server.execute(sql, database="dagster_instance")

    assert rows("SELECT count(*) FROM runs WHERE status = 'SUCCESS'") == [(2,)]
    assert rows("SELECT partition FROM dynamic_partitions WHERE partitions_def_name = 'games'") == [(game.game_id,)]
    materialized = rows(
        "SELECT DISTINCT asset_key, partition FROM event_logs "
        "WHERE dagster_event_type = 'ASSET_MATERIALIZATION' ORDER BY 1"
    )
    assert materialized == [
        ('["combined_dataset"]', None),
        ('["game_clips"]', game.game_id),
        ('["game_plays"]', game.game_id),
        ('["game_training_data"]', game.game_id),
    ]

    # A new instance object (a restart of the webserver or daemon) sees the same history.
    with DagsterInstance.from_config(str(postgres_home)) as restarted:
        assert restarted.get_dynamic_partitions("games") == [game.game_id]
        assert restarted.get_materialized_partitions(AssetKey("game_clips")) == {game.game_id}
        assert restarted.get_latest_materialization_event(AssetKey("combined_dataset")) is not None
        assert len(restarted.get_run_records()) == 2
