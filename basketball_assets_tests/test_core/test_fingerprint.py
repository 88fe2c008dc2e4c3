"""Clip fingerprints (spec, "Skipping"): a clip is cut again exactly when one of play id,
angle, start, end, source video identity or encoding settings changes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basketball_assets.core.fingerprint import clip_fingerprint, stable_hash

ENCODING = {"codec": "libx264", "crf": 23, "preset": "veryfast", "max_height": 720, "audio": "aac"}

BASE = {
    "play_id": "play-a",
    "angle": "broadcast",
    "start_time": 70.0,
    "end_time": 74.5,
    "video_start": 10.0,
    "video_end": 14.5,
    "source_identity": "sha256:abc/size:1234",
    "encoding": ENCODING,
}


def fingerprint(**changes) -> str:
    return clip_fingerprint(**{**BASE, **changes})


def test_a_clips_fingerprint_is_the_same_in_every_process():
    # Pinned: a fingerprint stored by an earlier run (another process, machine or Python)
    # must match, or every clip is cut again. f(x) == f(x) in one process could not show it.
    assert fingerprint() == "82c0ca4d5513a964c23bdf3328cdeeb3"


def test_a_fingerprint_is_32_hex_characters():
    assert len(fingerprint()) == 32
    int(fingerprint(), 16)


def test_stable_hash_is_sha256_of_the_canonical_json():
    # It is stored next to clips and compared on later runs, possibly on other machines:
    # sha256 of the canonical JSON (sorted keys, no spaces), first 32 hex characters.
    canonical = b'{"a":[1.5,"x"],"b":1}'

    assert stable_hash({"b": 1, "a": [1.5, "x"]}) == hashlib.sha256(canonical).hexdigest()[:32]
    assert stable_hash({"b": 1, "a": [1.5, "x"]}) == "27edd5497e48a293750749399a10333a"


@pytest.mark.parametrize(
    "change",
    [
        {"play_id": "play-b"},
        {"angle": "tactical"},
        {"start_time": 70.04},
        {"end_time": 74.6},
        {"video_start": 10.04},
        {"video_end": 14.6},
        {"source_identity": "sha256:def/size:1234"},
        {"encoding": {**ENCODING, "crf": 28}},
        {"encoding": {**ENCODING, "max_height": 480}},
        {"encoding": {k: v for k, v in ENCODING.items() if k != "audio"}},
    ],
    ids=["play", "angle", "start", "end", "video-start", "video-end", "source", "crf", "max-height", "no-audio"],
)
def test_each_input_changes_the_fingerprint(change):
    assert fingerprint(**change) != fingerprint()


def test_the_order_of_encoding_settings_does_not_matter():
    reordered = dict(reversed(list(ENCODING.items())))

    assert list(reordered) != list(ENCODING)
    assert fingerprint(encoding=reordered) == fingerprint()


def test_integer_and_float_times_give_the_same_fingerprint():
    # The database may hand back 70 or 70.0 for the same numeric.
    assert fingerprint(start_time=70, video_start=10) == fingerprint()


def test_float_noise_in_the_video_span_does_not_change_the_fingerprint():
    # start - d1 in half 2 can differ in the last bits when the probe's float differs.
    assert fingerprint(video_start=10.0 + 1e-12, video_end=14.5 - 1e-12) == fingerprint()
    # Rounded to the microsecond: less than half a microsecond is noise, a microsecond is not.
    assert fingerprint(video_start=10.0 + 4e-7, video_end=14.5 - 4e-7) == fingerprint()
    assert fingerprint(video_start=10.0 + 1e-6) != fingerprint()


@settings(deadline=None)
@given(
    encoding=st.dictionaries(
        st.text(max_size=10), st.one_of(st.integers(), st.text(max_size=10), st.booleans()), max_size=8
    ),
)
def test_key_order_never_matters(encoding):
    reordered = dict(reversed(list(encoding.items())))

    assert fingerprint(encoding=reordered) == fingerprint(encoding=encoding)
    assert stable_hash(reordered) == stable_hash(encoding)


@settings(deadline=None)
@given(
    field=st.sampled_from(["play_id", "angle", "source_identity"]),
    value=st.text(max_size=30),
)
def test_any_other_text_value_changes_the_fingerprint(field, value):
    if value == BASE[field]:
        return
    assert fingerprint(**{field: value}) != fingerprint()


@settings(deadline=None)
@given(
    field=st.sampled_from(["start_time", "end_time", "video_start", "video_end"]),
    shift=st.floats(min_value=1e-3, max_value=1e4) | st.floats(min_value=-1e4, max_value=-1e-3),
)
def test_any_time_moved_by_a_millisecond_or_more_changes_the_fingerprint(field, shift):
    assert fingerprint(**{field: BASE[field] + shift}) != fingerprint()


def test_stable_hash_writes_values_json_cannot_hold_as_text():
    from pathlib import PurePosixPath

    assert stable_hash({"path": PurePosixPath("a/b")}) == stable_hash({"path": "a/b"})
