"""``within_tuning_limits`` on a real combined dataset: an example too big for Vertex AI fails it,
naming its play (issue 12, item 7: a 3 MB description passed)."""

import json

import pytest
from dagster import AssetSelection, materialize

from basketball_assets import checks
from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.core.layout import clip_of_uri
from basketball_assets.state.combined import read_combined_dataset
from basketball_assets_tests.games import place_game
from basketball_assets_tests.test_assets.pipeline import GAME_ASSETS, check_of, materialize_game

pytestmark = pytest.mark.ffmpeg

#: One test game has 8 clips, fewer than the check's default minimum of 16 training examples.
SMALL = {"ops": {"combined_dataset_within_tuning_limits": {"config": {"min_training_examples": 1}}}}


def limits_check(instance, resources, combine: bool):
    selection = ["combined_dataset"] if combine else AssetSelection.checks(checks.within_tuning_limits)
    result = materialize(
        [*GAME_ASSETS, combined_dataset, checks.within_tuning_limits],
        selection=selection,
        instance=instance,
        resources=resources,
        run_config=SMALL,
    )
    return check_of(result, "within_tuning_limits")


def test_an_example_over_the_token_limit_fails_the_check_naming_its_play(
    storage, plays_db, test_videos, instance, resources
):
    game = place_game(storage, plays_db, test_videos, "limits")
    materialize_game(instance, resources, game.game_id)
    assert limits_check(instance, resources, combine=True).passed  # a normal dataset passes

    # A 3 MB description in the combined file, as one slipped past validation: about 750,000 tokens.
    training = read_combined_dataset(storage).files["training"]
    lines = [json.loads(line) for line in storage.iter_lines(training)]
    lines[0]["contents"][1]["parts"][0]["text"] = "A very long description. " * 120_000
    storage.put_text(training, "".join(json.dumps(example) + "\n" for example in lines))
    uri = lines[0]["contents"][0]["parts"][0]["fileData"]["fileUri"]
    play = clip_of_uri(uri)

    evaluation = limits_check(instance, resources, combine=False)

    assert not evaluation.passed
    assert f"play {play.play_id} ({play.angle}, game {game.game_id}) is about" in evaluation.description
    assert "Vertex AI accepts at most 131,072 per example for gemini-2.5-pro" in evaluation.description
    assert evaluation.metadata["problems"].value == 1
