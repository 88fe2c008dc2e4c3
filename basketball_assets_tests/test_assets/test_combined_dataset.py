"""The combined dataset over several real games."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from basketball_assets.core.dataset import SPLITS
from basketball_assets.core.examples import example_file_uri
from basketball_assets.core.layout import utc_timestamp
from basketball_assets.core.split import split_of
from basketball_assets.state.combined import read_combined_dataset
from basketball_assets.state.training_data import read_game_training_data
from basketball_assets_tests.games import place_game
from basketball_assets_tests.test_assets.pipeline import (
    check_of,
    combined_examples,
    materialize_combined,
    materialize_game,
    metadata_of,
)

pytestmark = pytest.mark.ffmpeg


@pytest.fixture
def two_games(storage, plays_db, test_videos, instance, resources):
    games = [place_game(storage, plays_db, test_videos, name) for name in ("north", "south")]
    for game in games:
        materialize_game(instance, resources, game.game_id)
    return sorted(game.game_id for game in games)


def game_lines(storage, game_id, split):
    return [line.rstrip("\n") for line in storage.iter_lines(read_game_training_data(storage, game_id).files[split])]


def test_combined_files_concatenate_the_games_in_game_id_order(two_games, storage, instance, resources):
    result = materialize_combined(instance, resources)
    combined = combined_examples(storage)
    for split in SPLITS:
        assert combined[split] == [line for game_id in two_games for line in game_lines(storage, game_id, split)]
    assert metadata_of(result, "combined_dataset")["games"] == 2
    assert len(combined["training"]) + len(combined["validation"]) == 16


def test_combined_checks_pass_on_a_clean_dataset(two_games, storage, instance, resources):
    result = materialize_combined(instance, resources)
    for name in ("splits_are_disjoint", "no_duplicate_examples", "every_game_present"):
        assert check_of(result, name).passed, name
    counts = check_of(result, "no_duplicate_examples").metadata
    assert counts["training_examples"].value + counts["validation_examples"].value == 16


def test_each_example_sits_in_its_plays_split(two_games, storage, instance, resources):
    materialize_combined(instance, resources)
    for split, lines in combined_examples(storage).items():
        for line in lines:
            play_id = example_file_uri(json.loads(line)).rsplit("/", 1)[1].rsplit("_", 1)[0]
            assert split_of(play_id) == split


def test_a_game_without_training_data_is_left_out_and_reported(two_games, storage, instance, resources):
    instance.add_dynamic_partitions("games", ["00000000-0000-0000-0000-00000000beef"])
    result = materialize_combined(instance, resources)
    assert metadata_of(result, "combined_dataset")["games"] == 2
    assert not check_of(result, "every_game_present").passed
    assert check_of(result, "every_game_present").metadata["games_absent"].value == [
        "00000000-0000-0000-0000-00000000beef"
    ]


def test_adding_a_game_keeps_earlier_examples_in_their_split(
    two_games, storage, plays_db, test_videos, instance, resources
):
    materialize_combined(instance, resources)
    before = combined_examples(storage)
    third = place_game(storage, plays_db, test_videos, "east")
    materialize_game(instance, resources, third.game_id)
    materialize_combined(instance, resources)
    after = combined_examples(storage)
    for split in SPLITS:
        assert set(before[split]) <= set(after[split])


def combined_folder_of(storage) -> str:
    return read_combined_dataset(storage).files["training"].rsplit("/", 1)[0]


def test_two_runs_in_one_second_never_write_one_folder(two_games, storage, instance, resources):
    # Other runs hold the folders of the seconds around now, as a run started in the same
    # second would: their files must survive, and this run must take the next free second.
    now = datetime.now(UTC)
    taken = [utc_timestamp(now + timedelta(seconds=offset)) for offset in range(-1, 61)]
    others = {f"cumulative-execution-{stamp}/combined_training.jsonl": f'{{"run": "{stamp}"}}\n' for stamp in taken}
    for key, text in others.items():
        storage.put_text(key, text)

    materialize_combined(instance, resources)
    first = combined_folder_of(storage)
    first_files = {key: storage.read_text(key) for key in storage.list_keys(f"{first}/")}
    materialize_combined(instance, resources)
    second = combined_folder_of(storage)

    assert {key: storage.read_text(key) for key in others} == others
    assert first == f"cumulative-execution-{utc_timestamp(now + timedelta(seconds=61))}"
    # Two runs back to back (within one second or not) write two folders; the first is untouched.
    assert second != first
    assert {key: storage.read_text(key) for key in storage.list_keys(f"{first}/")} == first_files
