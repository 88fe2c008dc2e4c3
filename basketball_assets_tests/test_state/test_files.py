"""Where the bookkeeping files live, and what reading a game's missing file says."""

import pytest
from dagster import Failure

from basketball_assets.core.layout import STATE_PREFIX
from basketball_assets.state.clips import clips_manifest_key
from basketball_assets.state.combined import combined_manifest_key
from basketball_assets.state.files import game_state_key, read_game_state, state_key
from basketball_assets.state.plays import plays_snapshot_key
from basketball_assets.state.training_data import training_manifest_key

GAME = "6f1c2d3e-0000-4000-8000-000000000001"


def test_pipeline_state_is_kept_out_of_the_specs_output_folders():
    state_keys = [
        plays_snapshot_key(GAME),
        clips_manifest_key(GAME),
        training_manifest_key(GAME),
        combined_manifest_key(),
    ]

    assert all(key.startswith(f"{STATE_PREFIX}/") for key in state_keys)
    assert not any(key.startswith(("games/", "cumulative-execution-")) for key in state_keys)
    assert len(set(state_keys)) == len(state_keys)


def test_a_games_state_keys_name_the_game():
    assert plays_snapshot_key(GAME) == f"pipeline-state/games/{GAME}/plays.json"
    assert clips_manifest_key(GAME) == f"pipeline-state/games/{GAME}/clips.json"
    assert training_manifest_key(GAME) == f"pipeline-state/games/{GAME}/training_data.json"


def test_the_combined_manifest_is_at_the_top_of_the_state_folder():
    assert combined_manifest_key() == "pipeline-state/combined_dataset.json"
    assert state_key("x.json") == "pipeline-state/x.json"
    assert game_state_key(GAME, "x.json") == f"pipeline-state/games/{GAME}/x.json"


def test_a_missing_game_file_fails_naming_the_step_to_run_first(storage):
    key = game_state_key(GAME, "clips.json")

    with pytest.raises(Failure) as failure:
        read_game_state(storage, key, GAME, "game_clips")

    assert failure.value.description == (
        f"game {GAME}: nothing at {storage.uri(key)}; materialize game_clips for this game first"
    )
    assert failure.value.allow_retries is False


def test_a_present_game_file_is_read_as_json(storage):
    key = game_state_key(GAME, "plays.json")
    storage.put_json(key, {"plays": []})

    assert read_game_state(storage, key, GAME, "game_plays") == {"plays": []}
