"""A game's examples per split, and the streaming dedupe behind the combined files."""

from __future__ import annotations

import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.dataset import (
    SPLITS,
    DatasetDigest,
    clips_changed,
    game_examples,
    line_digest,
    unique_lines,
)
from basketball_assets.core.examples import example_file_uri, example_line
from basketball_assets.core.layout import game_jsonl_key
from basketball_assets.core.plays import Play
from basketball_assets.core.split import split_of

GAME = "game-1"
# Under the default fraction of 0.2, "00000000-..." lands in validation and "play-0" in training.
IN_VALIDATION = "00000000-0000-0000-0000-000000000000"
IN_TRAINING = "play-0"


def play(play_id: str, angle: str = "both", description: str | None = None) -> Play:
    return Play(play_id, GAME, 1.0, 2.0, angle, description or f"Description of {play_id}.")


def clip(play_id: str, angle: str, fingerprint: str = "f") -> PlannedClip:
    return PlannedClip(
        play_id=play_id,
        angle=angle,
        key=f"games/{GAME}/clips/{play_id}_{angle}.mp4",
        half=1,
        video_key=f"Games/{GAME}/{angle.capitalize()}Half1.mp4",
        video_start=1.0,
        video_end=2.0,
        fingerprint=fingerprint,
    )


def uri_of(key: str) -> str:
    return f"gs://uball-training-data/{key}"


def test_the_dataset_version_is_the_same_in_every_process():
    # Pinned: data versions are stored in the instance and compared by later runs; the separators
    # between line, fingerprint and split are part of the value.
    digest = DatasetDigest()
    digest.add('{"a": 1}', "fp1")
    digest.add('{"b": 2}', "")
    digest.end_split()
    digest.add('{"c": 3}', "fp3")
    digest.end_split()
    assert digest.version() == "4f2ac483bfed2c2203f3cf257c339e5d"
    assert line_digest('{"a": 1}').hex() == "6903fb303cd60ccb0a2b9c2592fa773b"


def test_a_games_files_are_named_for_the_specs_splits_training_first():
    # The spec's file names, in the order the combined files and the manifests list them.
    assert [game_jsonl_key("g", split, "T") for split in SPLITS] == [
        "games/g/video_training_T.jsonl",
        "games/g/video_validation_T.jsonl",
    ]


def test_one_example_per_clip_in_the_plays_split():
    plays = [play(IN_TRAINING), play(IN_VALIDATION)]
    clips = [clip(p.id, angle) for p in plays for angle in ("broadcast", "tactical")]

    examples = game_examples(plays, clips, uri_of, 0.2)

    assert examples.count("training") == 2 and examples.count("validation") == 2
    assert examples.plays == {"training": {IN_TRAINING}, "validation": {IN_VALIDATION}}


def test_an_example_is_the_clips_uri_and_the_plays_description():
    examples = game_examples([play("a", "broadcast", "A steal.")], [clip("a", "broadcast")], uri_of, 0.0)

    assert examples.lines["training"] == [
        example_line(f"gs://uball-training-data/games/{GAME}/clips/a_broadcast.mp4", "A steal.")
    ]


def test_examples_are_in_play_id_then_broadcast_then_tactical_order():
    plays = [play("b"), play("a")]
    clips = [clip("b", "tactical"), clip("a", "tactical"), clip("b", "broadcast"), clip("a", "broadcast")]

    examples = game_examples(plays, clips, uri_of, 0.0)

    uris = [example_file_uri(json.loads(line)) for line in examples.lines["training"]]
    assert [u.rsplit("/", 1)[1] for u in uris] == [
        "a_broadcast.mp4",
        "a_tactical.mp4",
        "b_broadcast.mp4",
        "b_tactical.mp4",
    ]


def test_a_clip_whose_play_is_gone_gets_no_example():
    examples = game_examples([play("a")], [clip("a", "broadcast"), clip("gone", "broadcast")], uri_of, 0.0)

    assert examples.count("training") == 1
    assert examples.plays["training"] == {"a"}


def test_a_play_without_clips_gets_no_example():
    examples = game_examples([play("a"), play("rejected")], [clip("a", "broadcast")], uri_of, 0.0)

    assert examples.plays["training"] == {"a"}


def test_a_game_without_clips_has_empty_splits():
    examples = game_examples([play("a")], [], uri_of, 0.2)

    assert examples.lines == {"training": [], "validation": []}


@settings(deadline=None)
@given(
    ids=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=15, unique=True),
    fraction=st.floats(min_value=0.0, max_value=1.0),
)
def test_every_play_is_in_exactly_its_own_split(ids, fraction):
    examples = game_examples([play(i) for i in ids], [clip(i, "broadcast") for i in ids], uri_of, fraction)

    assert examples.plays["training"].isdisjoint(examples.plays["validation"])
    assert {i: split_of(i, fraction) for i in ids} == {i: split for split in SPLITS for i in examples.plays[split]}


# unique_lines: the combined files' dedupe


def test_a_line_digest_is_16_bytes_and_tells_lines_apart():
    assert len(line_digest("a")) == 16
    assert line_digest("a") == line_digest("a") != line_digest("b")


def test_unique_lines_remembers_the_digests_it_saw():
    seen: set[bytes] = set()

    assert list(unique_lines(["a\n", "b"], seen)) == ["a", "b"]
    assert seen == {line_digest("a"), line_digest("b")}


def test_unique_lines_keeps_the_first_of_each_line_in_order():
    assert list(unique_lines(["b", "a", "b", "c", "a"])) == ["b", "a", "c"]


def test_unique_lines_ignores_the_line_ending():
    assert list(unique_lines(["x\n", "x", "y\n"])) == ["x", "y"]


def test_unique_lines_drops_blank_lines():
    assert list(unique_lines(["a", "", "\n", "   \n", "b"])) == ["a", "b"]


def test_unique_lines_streams_without_reading_ahead():
    endless = (f"line {n % 3}" if n < 10 else f"line {n}" for n in itertools.count())

    assert list(itertools.islice(unique_lines(endless), 5)) == ["line 0", "line 1", "line 2", "line 10", "line 11"]


def test_unique_lines_can_share_what_it_has_seen_across_files():
    seen: set[bytes] = set()

    first = list(unique_lines(["a", "b"], seen))
    second = list(unique_lines(["b", "c"], seen))

    assert (first, second) == (["a", "b"], ["c"])


def test_unique_lines_remembers_fixed_size_digests_not_lines():
    seen: set[bytes] = set()

    list(unique_lines(["x" * 100_000, "y"], seen))

    assert len(seen) == 2 and all(len(digest) == 16 for digest in seen)


@settings(deadline=None)
# Lines come from UTF-8 files: any character but line breaks and lone surrogates.
@given(
    lines=st.lists(
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=8), max_size=40
    )
)
def test_unique_lines_is_an_order_keeping_dedupe_of_the_non_blank_lines(lines):
    expected = list(dict.fromkeys(line for line in lines if line.strip()))

    assert list(unique_lines(line + "\n" for line in lines)) == expected


# --- versions: the lines and their clips' fingerprints ---------------------------------


def version_of(clips: list[PlannedClip]) -> str:
    return game_examples([play("a"), play(IN_VALIDATION)], clips, uri_of, 0.2).version()


def test_a_games_version_is_the_same_for_the_same_lines_and_clips():
    clips = [clip("a", "broadcast", "f1"), clip(IN_VALIDATION, "tactical", "f2")]
    assert version_of(clips) == version_of(list(reversed(clips)))


def test_a_recut_clip_changes_the_games_version_but_not_its_lines():
    before = [clip("a", "broadcast", "f1"), clip(IN_VALIDATION, "tactical", "f2")]
    after = [clip("a", "broadcast", "f1-recut"), clip(IN_VALIDATION, "tactical", "f2")]
    lines = game_examples([play("a"), play(IN_VALIDATION)], before, uri_of, 0.2).lines
    assert game_examples([play("a"), play(IN_VALIDATION)], after, uri_of, 0.2).lines == lines
    assert version_of(after) != version_of(before)


def test_a_game_and_the_same_lines_combined_have_the_same_version():
    examples = game_examples([play("a"), play(IN_VALIDATION)], [clip("a", "broadcast", "f1")], uri_of, 0.2)
    digest = DatasetDigest()
    for split in SPLITS:
        for line, fingerprint in zip(examples.lines[split], examples.fingerprints[split], strict=True):
            digest.add(line, fingerprint)
        digest.end_split()
    assert digest.version() == examples.version()
    assert len(digest.version()) == 32


def test_the_split_a_line_is_in_is_part_of_the_version():
    def version(training: list[str], validation: list[str]) -> str:
        digest = DatasetDigest()
        for lines in (training, validation):
            for line in lines:
                digest.add(line, "f")
            digest.end_split()
        return digest.version()

    assert version(["x", "y"], []) != version(["x"], ["y"])


def test_a_line_and_its_fingerprint_cannot_be_confused_with_another_pair():
    def version(pairs: list[tuple[str, str]]) -> str:
        digest = DatasetDigest()
        for line, fingerprint in pairs:
            digest.add(line, fingerprint)
        return digest.version()

    assert version([("ab", "c")]) != version([("a", "bc")])


def test_the_clips_changed_are_those_whose_fingerprint_moved_or_that_are_gone():
    recorded = {"k1": "f1", "k2": "f2", "k3": "f3", "k4": ""}
    current = {"k1": "f1", "k2": "f2-recut", "k5": "f5"}
    assert clips_changed(recorded, current) == ["k2", "k3"]
    assert clips_changed(recorded, {**recorded}) == []
