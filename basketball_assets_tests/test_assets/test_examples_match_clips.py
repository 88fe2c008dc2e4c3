"""``examples_match_clips`` (game_training_data's check) passing and failing on crafted files.

The check reads the JSONL back and probes each clip; here the files are written directly,
with one of the session's generated half videos standing in for a clip (no ffmpeg run).
"""

import pytest

from basketball_assets.assets.training_data import examples_match_clips
from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.examples import example_line
from basketball_assets.core.layout import clip_key, game_jsonl_key
from basketball_assets.resources import ClipEncoder
from basketball_assets_tests.games import HALF_SECONDS

pytestmark = pytest.mark.ffmpeg

GAME = "00000000-0000-0000-0000-0000000000a1"


def planned(play_id: str, seconds: float) -> PlannedClip:
    key = clip_key(GAME, play_id, "broadcast")
    return PlannedClip(play_id, "broadcast", key, 1, "v", 0.0, seconds, "fp")


def write_jsonl(storage, training: list[str], validation: list[str] = ()) -> dict[str, str]:
    files = {split: game_jsonl_key(GAME, split, "20260101T000000Z") for split in ("training", "validation")}
    for split, lines in (("training", training), ("validation", validation)):
        storage.put_text(files[split], "".join(text + "\n" for text in lines))
    return files


@pytest.fixture
def clip(storage, test_videos) -> PlannedClip:
    """A whole clip in storage: the broadcast half 1 video, as long as its planned span."""
    clip = planned("p1", HALF_SECONDS[("broadcast", 1)])
    storage.put_file(clip.key, test_videos[("broadcast", 1)])
    return clip


def test_it_passes_when_every_line_is_a_spec_example_of_a_whole_clip_of_the_plays_length(storage, clip):
    files = write_jsonl(storage, [example_line(storage.uri(clip.key), "A pick and roll.")])
    result = examples_match_clips(storage, ClipEncoder(), files, [clip])
    assert result.passed
    assert (result.metadata["examples"].value, result.metadata["problems"].value) == (1, 0)


def test_it_fails_naming_each_bad_line_and_why(storage, clip):
    missing = planned("p2", 4.0)  # planned, never stored
    short = planned("p3", 6.0)  # stored, but the file is twice the play's length
    unreadable = planned("p4", 4.0)
    with storage.local_copy(clip.key) as path:
        storage.put_file(short.key, path)
    storage.put_text(unreadable.key, "not a video")
    files = write_jsonl(
        storage,
        [
            "{not json",
            '{"contents": []}',
            example_line(storage.uri(clip_key("other-game", "p9", "broadcast")), "Someone else's clip."),
            example_line(storage.uri(missing.key), "A fast break."),
        ],
        [example_line(storage.uri(short.key), "A zone press."), example_line(storage.uri(unreadable.key), "A lob.")],
    )

    result = examples_match_clips(storage, ClipEncoder(), files, [clip, missing, short, unreadable])

    assert not result.passed
    assert result.metadata["problems"].value == 6
    report = result.metadata["report"].value
    assert "| training | 1 | not JSON" in report
    assert "| training | 2 | not the spec's example shape" in report
    assert "other-game/clips/p9_broadcast.mp4 is not a clip of this game" in report
    assert f"clip {storage.uri(missing.key)} is missing from storage" in report
    assert f"clip {storage.uri(short.key)} lasts 12.000 s, the play 6.000 s" in report
    assert f"clip {storage.uri(unreadable.key)} cannot be read" in report
