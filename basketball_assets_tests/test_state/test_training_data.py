"""``training_data.json``: the latest JSONL files of a game, as ``game_training_data`` names them."""

import json

from basketball_assets.state.training_data import (
    TrainingDataManifest,
    read_game_training_data,
    training_manifest_key,
    write_training_data,
)

GAME = "g1"
STAMP = "20240301T143005Z"
FILES = {split: f"games/{GAME}/video_{split}_{STAMP}.jsonl" for split in ("training", "validation")}

#: A manifest as game_training_data writes it today (indent 1, sorted keys).
TODAYS_FILE = """{
 "counts": {
  "training": 8,
  "validation": 2
 },
 "files": {
  "training": "games/g1/video_training_20240301T143005Z.jsonl",
  "validation": "games/g1/video_validation_20240301T143005Z.jsonl"
 },
 "game_id": "g1",
 "timestamp": "20240301T143005Z",
 "validation_fraction": 0.2
}
"""


def test_a_manifest_round_trips_through_storage(storage):
    manifest = TrainingDataManifest(GAME, STAMP, FILES, {"training": 8, "validation": 2}, 0.2)

    write_training_data(storage, manifest)

    assert read_game_training_data(storage, GAME) == manifest


def test_a_manifest_in_todays_format_is_read(storage):
    storage.put_text(training_manifest_key(GAME), TODAYS_FILE)

    manifest = read_game_training_data(storage, GAME)

    assert manifest == TrainingDataManifest(GAME, STAMP, FILES, {"training": 8, "validation": 2}, 0.2)


def test_writing_todays_manifest_again_gives_the_same_bytes(storage):
    write_training_data(storage, TrainingDataManifest.from_dict(json.loads(TODAYS_FILE)))

    assert storage.read_text(training_manifest_key(GAME)) == TODAYS_FILE


def test_a_manifest_of_files_alone_is_read():
    manifest = TrainingDataManifest.from_dict({"files": FILES})

    assert manifest == TrainingDataManifest("", "", FILES, {}, None)


def test_a_game_without_training_data_has_no_manifest(storage):
    assert read_game_training_data(storage, GAME) is None
