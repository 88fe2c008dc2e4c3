"""``combined_dataset`` drops duplicate lines, on crafted game JSONL (no ffmpeg).

Issue 16: the asset made to concatenate without ``unique_lines`` survived the suite, since
real test games never share a line.
"""

from dagster import materialize

from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.core.examples import example_line
from basketball_assets.core.layout import clip_key, game_jsonl_key
from basketball_assets.state.training_data import TrainingDataManifest, write_training_data
from basketball_assets_tests.test_assets.pipeline import combined_examples, metadata_of

NORTH = "00000000-0000-0000-0000-0000000000a1"
SOUTH = "00000000-0000-0000-0000-0000000000b2"
STAMP = "20260101T000000Z"


def place_training_data(storage, game_id: str, training: list[str], validation: list[str]) -> None:
    """The game's JSONL files and training data manifest, as game_training_data writes them."""
    files = {split: game_jsonl_key(game_id, split, STAMP) for split in ("training", "validation")}
    for split, lines in (("training", training), ("validation", validation)):
        storage.put_text(files[split], "".join(text + "\n" for text in lines))
    counts = {"training": len(training), "validation": len(validation)}
    write_training_data(storage, TrainingDataManifest(game_id, STAMP, files, counts, 0.2))


def test_a_line_in_two_games_or_twice_in_one_is_written_once(storage, instance):
    shared = example_line(storage.uri(clip_key(NORTH, "p1", "broadcast")), "A pick and roll.")
    north_only = example_line(storage.uri(clip_key(NORTH, "p2", "broadcast")), "A fast break.")
    south_only = example_line(storage.uri(clip_key(SOUTH, "p3", "broadcast")), "A zone press.")
    held_out = example_line(storage.uri(clip_key(SOUTH, "p4", "broadcast")), "A corner three.")
    # The same line in both games' files (a game re-imported under a second id), and twice in one file.
    place_training_data(storage, NORTH, [shared, north_only, shared], [])
    place_training_data(storage, SOUTH, [shared, south_only], [held_out, held_out])
    instance.add_dynamic_partitions("games", [NORTH, SOUTH])

    result = materialize([combined_dataset], instance=instance, resources={"storage": storage})

    combined = combined_examples(storage)
    assert combined == {"training": [shared, north_only, south_only], "validation": [held_out]}
    metadata = metadata_of(result, "combined_dataset")
    assert (metadata["training_examples"], metadata["validation_examples"]) == (3, 1)
