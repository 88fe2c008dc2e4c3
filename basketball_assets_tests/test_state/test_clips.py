"""``clips.json``: the clips manifest ``game_clips`` writes, and the clip facts read from it."""

import json

import pytest
from dagster import Failure

from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.plays import Rejection
from basketball_assets.core.tuning_limits import ClipFacts
from basketball_assets.state.clips import (
    ClipsManifest,
    GameClipFacts,
    clip_facts_in,
    clips_manifest_key,
    current_fingerprints,
    game_rejections,
    key_in_training_bucket,
    read_clips_manifest,
    read_game_clips,
    write_game_clips,
)

GAME = "g1"
KEY = f"games/{GAME}/clips/p1_broadcast.mp4"
CLIP = PlannedClip("p1", "broadcast", KEY, 1, f"Games/{GAME}/BroadcastHalf1.mp4", 10.0, 12.5, "f" * 32)
REJECTION = Rejection("p2", "tactical", "tactical half 1 video cannot be read")
ENCODING = {"codec": "libx264", "crf": 23, "max_height": 720, "mode": "reencode", "preset": "veryfast"}

#: A manifest as game_clips writes it today (indent 1, sorted keys), sizes included.
TODAYS_FILE = """{
 "clip_bytes": {
  "games/g1/clips/p1_broadcast.mp4": 4
 },
 "clips": [
  {
   "angle": "broadcast",
   "fingerprint": "ffffffffffffffffffffffffffffffff",
   "half": 1,
   "key": "games/g1/clips/p1_broadcast.mp4",
   "play_id": "p1",
   "video_end": 12.5,
   "video_key": "Games/g1/BroadcastHalf1.mp4",
   "video_start": 10.0
  }
 ],
 "encoding": {
  "codec": "libx264",
  "crf": 23,
  "max_height": 720,
  "mode": "reencode",
  "preset": "veryfast"
 },
 "game_id": "g1",
 "rejections": [
  {
   "angle": "tactical",
   "play_id": "p2",
   "reason": "tactical half 1 video cannot be read"
  }
 ]
}
"""


def older_file() -> dict:
    """A manifest written before clip sizes were recorded."""
    data = json.loads(TODAYS_FILE)
    del data["clip_bytes"]
    return data


def test_a_manifest_round_trips_through_storage(storage):
    manifest = ClipsManifest(GAME, ENCODING, [CLIP], [REJECTION], {KEY: 4})

    write_game_clips(storage, manifest)

    assert read_game_clips(storage, GAME) == manifest
    assert read_clips_manifest(storage, GAME) == manifest


def test_a_manifest_in_todays_format_is_read(storage):
    storage.put_text(clips_manifest_key(GAME), TODAYS_FILE)

    manifest = read_game_clips(storage, GAME)

    assert (manifest.clips, manifest.rejections) == ([CLIP], [REJECTION])
    assert (manifest.game_id, manifest.encoding, manifest.clip_bytes) == (GAME, ENCODING, {KEY: 4})


def test_writing_todays_manifest_again_gives_the_same_bytes(storage):
    write_game_clips(storage, ClipsManifest.from_dict(json.loads(TODAYS_FILE)))

    assert storage.read_text(clips_manifest_key(GAME)) == TODAYS_FILE


def test_a_manifest_without_sizes_is_read_and_written_without_them(storage):
    storage.put_json(clips_manifest_key(GAME), older_file())

    manifest = read_game_clips(storage, GAME)

    assert manifest.clip_bytes is None
    assert manifest.to_dict() == older_file()


def test_reading_a_game_without_clips_says_to_materialize_game_clips(storage):
    with pytest.raises(Failure, match="materialize game_clips for this game first"):
        read_game_clips(storage, GAME)
    assert read_clips_manifest(storage, GAME) is None
    assert game_rejections(storage, GAME) == []


def test_a_games_rejections_are_read_from_its_manifest(storage):
    storage.put_text(clips_manifest_key(GAME), TODAYS_FILE)

    assert game_rejections(storage, GAME) == [REJECTION]


def test_clip_facts_come_from_the_manifest(storage):
    storage.put_text(clips_manifest_key(GAME), TODAYS_FILE)
    facts = GameClipFacts(storage)

    assert facts.of(GAME, KEY) == (2.5, 4)
    assert facts.of(GAME, "games/g1/clips/other_broadcast.mp4") is None
    assert facts.of("no-such-game", KEY) is None


def test_clip_fingerprints_come_from_the_manifest(storage):
    storage.put_text(clips_manifest_key(GAME), TODAYS_FILE)
    facts = GameClipFacts(storage)

    assert facts.fingerprint(GAME, KEY) == "f" * 32
    assert facts.fingerprint(GAME, "games/g1/clips/other_broadcast.mp4") == ""
    assert facts.fingerprint("no-such-game", KEY) == ""
    assert current_fingerprints(storage, [GAME, "no-such-game"]) == {GAME: {KEY: "f" * 32}, "no-such-game": {}}


def test_clip_sizes_missing_from_an_older_manifest_are_asked_of_storage(storage):
    storage.put_json(clips_manifest_key(GAME), older_file())
    storage.put_text(KEY, "clip bytes")

    assert GameClipFacts(storage).of(GAME, KEY) == (2.5, len("clip bytes"))


def test_an_absent_clip_of_an_older_manifest_has_no_size(storage):
    storage.put_json(clips_manifest_key(GAME), older_file())

    assert GameClipFacts(storage).of(GAME, KEY) == (2.5, None)


def test_a_clip_uri_in_the_bucket_gets_its_size_from_storage_and_its_duration_from_the_manifest(storage):
    storage.put_text(clips_manifest_key(GAME), TODAYS_FILE)
    storage.put_text(KEY, "clip bytes")
    facts = clip_facts_in(storage, [GAME])

    assert facts(storage.uri(KEY)) == ClipFacts(exists=True, size_bytes=len("clip bytes"), seconds=2.5)


def test_a_clip_of_a_game_without_manifest_has_an_unknown_duration(storage):
    storage.put_text(KEY, "clip bytes")

    assert clip_facts_in(storage, [GAME])(storage.uri(KEY)) == ClipFacts(exists=True, size_bytes=10, seconds=None)


def test_a_missing_clip_or_one_outside_the_bucket_does_not_exist(storage):
    storage.put_text(clips_manifest_key(GAME), TODAYS_FILE)
    facts = clip_facts_in(storage, [GAME])

    assert facts(storage.uri(KEY)) == ClipFacts(exists=False)
    assert facts(f"gs://elsewhere/{KEY}") == ClipFacts(exists=False)


def test_a_uri_in_the_training_bucket_names_its_key(storage):
    assert key_in_training_bucket(storage, storage.uri(KEY)) == KEY
    assert key_in_training_bucket(storage, f"gs://elsewhere/{KEY}") is None
