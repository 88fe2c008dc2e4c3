"""The README's main command, end to end: demo games through a real Dagster instance."""

import json
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance

from basketball_assets import demo

pytestmark = pytest.mark.ffmpeg


def test_demo_materializes_every_game_and_the_combined_dataset(tmp_path, monkeypatch, capsys):
    import basketball_assets.definitions  # noqa: F401  (imported before, as in a long-lived process)

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("BASKETBALL_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "dagster_home").mkdir()

    assert demo.main(["--games", "2", "--half-seconds", "40"]) == 0

    games = [demo.demo_game_id(1), demo.demo_game_id(2)]
    training = tmp_path / "data" / "uball-training-data"
    for game_id in games:
        assert len(list((training / "games" / game_id / "clips").glob("*.mp4"))) >= 15
    (combined,) = training.glob("cumulative-execution-*/combined_training.jsonl")
    lines = [json.loads(line) for line in combined.read_text().splitlines()]
    assert lines and all(
        line["contents"][0]["parts"][0]["fileData"]["fileUri"].startswith("file:///") for line in lines
    )

    with DagsterInstance.get() as instance:
        assert set(instance.get_dynamic_partitions("games")) == set(games)
        for asset in ("game_plays", "game_clips", "game_training_data"):
            assert instance.get_materialized_partitions(AssetKey(asset)) == set(games)
        assert instance.get_latest_materialization_event(AssetKey("combined_dataset")) is not None
    output = capsys.readouterr().out
    assert "combined_dataset: materialized" in output and str(Path(tmp_path / "data")) in output
    # Every clip was cut in this run's data folder (none found from elsewhere).
    assert output.count(" cut)") == 2 and "(0 cut)" not in output
