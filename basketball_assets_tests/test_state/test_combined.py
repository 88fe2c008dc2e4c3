"""``combined_dataset.json``: the latest combined files and the games in them."""

import json

from basketball_assets.state.combined import (
    CombinedManifest,
    claim_combined_folder,
    combined_folder_claim_key,
    combined_manifest_key,
    read_combined_dataset,
    write_combined_dataset,
)

STAMP = "20240301T143005Z"
FILES = {split: f"cumulative-execution-{STAMP}/combined_{split}.jsonl" for split in ("training", "validation")}

#: A manifest as combined_dataset writes it today (indent 1, sorted keys).
TODAYS_FILE = """{
 "counts": {
  "training": 16,
  "validation": 4
 },
 "files": {
  "training": "cumulative-execution-20240301T143005Z/combined_training.jsonl",
  "validation": "cumulative-execution-20240301T143005Z/combined_validation.jsonl"
 },
 "games": [
  "g1",
  "g2"
 ],
 "missing_games": [
  "g3"
 ],
 "timestamp": "20240301T143005Z"
}
"""


def test_a_manifest_round_trips_through_storage(storage):
    manifest = CombinedManifest(FILES, ["g1", "g2"], STAMP, {"training": 16, "validation": 4}, ["g3"])

    write_combined_dataset(storage, manifest)

    assert read_combined_dataset(storage) == manifest


def test_a_manifest_in_todays_format_is_read(storage):
    storage.put_text(combined_manifest_key(), TODAYS_FILE)

    manifest = read_combined_dataset(storage)

    assert manifest == CombinedManifest(FILES, ["g1", "g2"], STAMP, {"training": 16, "validation": 4}, ["g3"])


def test_writing_todays_manifest_again_gives_the_same_bytes(storage):
    write_combined_dataset(storage, CombinedManifest.from_dict(json.loads(TODAYS_FILE)))

    assert storage.read_text(combined_manifest_key()) == TODAYS_FILE


def test_a_manifest_of_files_and_games_alone_is_read():
    manifest = CombinedManifest.from_dict({"files": FILES, "games": []})

    assert (manifest.files, manifest.games, manifest.counts, manifest.missing_games) == (FILES, [], {}, [])


def test_before_the_first_combined_dataset_there_is_no_manifest(storage):
    assert read_combined_dataset(storage) is None


def test_the_fingerprints_of_the_clips_combined_round_trip(storage):
    fingerprints = {"g1": {"games/g1/clips/p1_broadcast.mp4": "f" * 32, "games/g1/clips/p2_tactical.mp4": ""}}
    manifest = CombinedManifest(FILES, ["g1"], STAMP, {"training": 1}, [], clip_fingerprints=fingerprints)

    write_combined_dataset(storage, manifest)

    assert read_combined_dataset(storage).clip_fingerprints == fingerprints


def test_a_manifest_written_before_fingerprints_were_recorded_says_so():
    assert CombinedManifest.from_dict(json.loads(TODAYS_FILE)).clip_fingerprints is None


def test_a_combined_folder_is_claimed_once_and_names_its_run(storage):
    assert combined_folder_claim_key(STAMP) == f"pipeline-state/combined-folders/cumulative-execution-{STAMP}.json"
    assert claim_combined_folder(storage, STAMP, "run-a") is True
    assert claim_combined_folder(storage, STAMP, "run-b") is False
    assert storage.read_json(combined_folder_claim_key(STAMP)) == {"run_id": "run-a"}
