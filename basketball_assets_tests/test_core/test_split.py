"""The split rule (spec, "Split").

A play goes to validation when ``int(sha256(play_id).hexdigest(), 16) / 2**256 <
validation_fraction`` (default 0.2), otherwise to training; all clips of one play share
its split, and a play's split never changes when other plays or games are added.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.dataset import game_examples
from basketball_assets.core.plays import Play
from basketball_assets.core.split import DEFAULT_VALIDATION_FRACTION, split_of, split_position

# Property tests check logic, not speed: no per-example deadline on a shared machine.
properties = settings(deadline=None)

play_ids = st.one_of(st.uuids().map(str), st.text(min_size=1, max_size=40))
fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def spec_split(play_id: str, validation_fraction: float) -> str:
    """The spec's formula, written out as the spec writes it."""
    position = int(hashlib.sha256(play_id.encode("utf-8")).hexdigest(), 16) / 2**256
    return "validation" if position < validation_fraction else "training"


@properties
@given(play_id=play_ids, fraction=fractions)
def test_the_split_matches_the_spec_formula(play_id, fraction):
    assert split_of(play_id, fraction) == spec_split(play_id, fraction)


def test_the_split_is_the_same_in_every_process():
    # Pinned values: unlike hash(), sha256 does not change with PYTHONHASHSEED or platform.
    assert split_position("play-0") == 0.6520026477113007
    assert split_position("00000000-0000-0000-0000-000000000000") == 0.07313868327627789
    assert split_of("play-0") == "training"
    assert split_of("00000000-0000-0000-0000-000000000000") == "validation"


@properties
@given(play_id=play_ids)
def test_the_position_is_in_the_unit_interval(play_id):
    assert 0.0 <= split_position(play_id) < 1.0


@properties
@given(play_id=play_ids, low=fractions, high=fractions)
def test_raising_the_fraction_only_moves_plays_into_validation(play_id, low, high):
    low, high = sorted((low, high))

    if split_of(play_id, low) == "validation":
        assert split_of(play_id, high) == "validation"


@properties
@given(play_id=play_ids)
def test_fraction_zero_sends_every_play_to_training_and_one_to_validation(play_id):
    assert split_of(play_id, 0.0) == "training"
    assert split_of(play_id, 1.0) == "validation"


def test_the_default_fraction_is_one_fifth():
    assert DEFAULT_VALIDATION_FRACTION == 0.2
    ids = [f"play-{n}" for n in range(50)]
    assert [split_of(i) for i in ids] == [split_of(i, 0.2) for i in ids]


@settings(deadline=None, max_examples=30)
@given(fraction=fractions, seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_the_fraction_is_respected_over_many_random_ids(fraction, seed):
    generator = random.Random(seed)
    n = 2000
    ids = [str(uuid.UUID(int=generator.getrandbits(128), version=4)) for _ in range(n)]

    in_validation = sum(split_of(play_id, fraction) == "validation" for play_id in ids)

    # Binomial(n, fraction): six standard deviations (plus one id) is never crossed in practice.
    bound = 6 * math.sqrt(n * fraction * (1 - fraction)) + 1
    assert abs(in_validation - n * fraction) <= bound


def clip(play_id: str, angle: str) -> PlannedClip:
    return PlannedClip(
        play_id=play_id,
        angle=angle,
        key=f"games/g/clips/{play_id}_{angle}.mp4",
        half=1,
        video_key="Games/g/BroadcastHalf1.mp4",
        video_start=0.0,
        video_end=1.0,
        fingerprint="f",
    )


def play(play_id: str) -> Play:
    return Play(play_id, "g", 0.0, 1.0, "both", f"Description of {play_id}.")


def splits_of_game(ids: list[str], fraction: float) -> dict[str, str]:
    """Which split each play of a game lands in, read back from the game's examples."""
    examples = game_examples(
        [play(i) for i in ids],
        [clip(i, angle) for i in ids for angle in ("broadcast", "tactical")],
        uri_of=lambda key: f"file:///{key}",
        validation_fraction=fraction,
    )
    return {play_id: split for split, plays in examples.plays.items() for play_id in plays}


@properties
@given(
    ids=st.lists(st.uuids().map(str), min_size=1, max_size=20, unique=True),
    others=st.lists(st.uuids().map(str), max_size=20, unique=True),
    fraction=fractions,
)
def test_a_plays_split_does_not_change_when_other_plays_are_added(ids, others, fraction):
    alone = splits_of_game(ids, fraction)
    together = splits_of_game(ids + [o for o in others if o not in ids], fraction)

    assert {i: together[i] for i in ids} == alone


@properties
@given(ids=st.lists(st.uuids().map(str), min_size=1, max_size=20, unique=True), fraction=fractions)
def test_all_clips_of_a_play_share_its_split(ids, fraction):
    examples = game_examples(
        [play(i) for i in ids],
        [clip(i, angle) for i in ids for angle in ("broadcast", "tactical")],
        uri_of=lambda key: f"file:///{key}",
        validation_fraction=fraction,
    )

    for play_id in ids:
        split = split_of(play_id, fraction)
        lines = [line for line in examples.lines[split] if f"/{play_id}_" in line]
        other = "training" if split == "validation" else "validation"
        assert len(lines) == 2
        assert not any(f"/{play_id}_" in line for line in examples.lines[other])
