"""The game timeline (spec, "Game timeline"): which half's video holds a play, and where.

Without ``half``, half 1's video covers ``[0, d1)`` and half 2's ``[d1, d1 + d2)``; a play
is cut from the half that contains it at ``start - offset``. With ``half``, times are
relative to that half's video.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from basketball_assets.core.timeline import ClipSpan, SpanRejected, half_of, locate

# Property tests check logic, not speed: no per-example deadline on a shared machine.
properties = settings(deadline=None, max_examples=100)

#: Video durations in seconds: from a tiny test clip to a long half.
durations = st.floats(min_value=0.5, max_value=4 * 3600, allow_nan=False, allow_infinity=False)
#: A fraction of a video, used to place times inside it.
fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False)


def two_times(length: float, a: float, b: float) -> tuple[float, float]:
    """Two distinct times in ``[0, length]`` from two fractions, earlier first."""
    start, end = sorted((a * length, b * length))
    assume(end > start)
    return start, end


# Properties over the whole timeline


@properties
@given(d1=durations, d2=durations, a=fractions, b=fractions)
def test_a_play_inside_half_1_maps_to_itself(d1, d2, a, b):
    start, end = two_times(d1, a, b)
    assume(start < d1)  # end == d1 is still inside: half 1 covers [0, d1)

    assert locate(start, end, None, {1: d1, 2: d2}) == ClipSpan(1, start, end)


@properties
@given(d1=durations, d2=durations, a=fractions, b=fractions)
def test_a_play_inside_half_2_maps_to_start_minus_half_1s_duration(d1, d2, a, b):
    start, end = two_times(d2, a, b)
    start, end = d1 + start, d1 + end
    assume(d1 <= start < end <= d1 + d2)

    assert locate(start, end, None, {1: d1, 2: d2}) == ClipSpan(2, start - d1, end - d1)


@properties
@given(d1=durations, d2=durations, a=fractions, b=st.floats(min_value=1e-3, max_value=1e4))
def test_a_play_crossing_the_end_of_half_1_is_rejected(d1, d2, a, b):
    start = a * d1
    end = d1 + b
    assume(start < d1 < end)

    with pytest.raises(SpanRejected, match="crosses the end of half 1"):
        locate(start, end, None, {1: d1, 2: d2})


@properties
@given(d1=durations, d2=durations, a=fractions, past=st.floats(min_value=1e-3, max_value=1e4))
def test_a_play_ending_after_the_last_video_is_rejected(d1, d2, a, past):
    start = d1 + a * d2
    end = d1 + d2 + past
    assume(d1 <= start < end and end > d1 + d2)

    with pytest.raises(SpanRejected, match="after the end of the last video"):
        locate(start, end, None, {1: d1, 2: d2})


@properties
@given(half=st.sampled_from([1, 2]), length=durations, other=durations, a=fractions, b=fractions)
def test_with_the_half_column_times_are_relative_to_that_halfs_video(half, length, other, a, b):
    start, end = two_times(length, a, b)
    # The other half's duration plays no part: times are not on the game timeline.
    durations_by_half = {half: length, 3 - half: other}

    assert locate(start, end, half, durations_by_half) == ClipSpan(half, start, end)


@properties
@given(half=st.sampled_from([1, 2]), length=durations, a=fractions, past=st.floats(min_value=1e-3, max_value=1e4))
def test_with_the_half_column_a_play_ending_after_its_halfs_video_is_rejected(half, length, a, past):
    start, end = a * length, length + past
    assume(end > length)

    with pytest.raises(SpanRejected, match=f"after the end of the half {half} video"):
        locate(start, end, half, {half: length})


# Examples at the edges


def test_a_play_ending_exactly_at_the_end_of_half_1_stays_in_half_1():
    assert locate(50.0, 60.0, None, {1: 60.0, 2: 60.0}) == ClipSpan(1, 50.0, 60.0)


def test_a_play_starting_exactly_at_the_end_of_half_1_starts_half_2_at_zero():
    assert locate(60.0, 65.0, None, {1: 60.0, 2: 60.0}) == ClipSpan(2, 0.0, 5.0)


def test_a_play_ending_exactly_at_the_end_of_the_last_video_is_accepted():
    assert locate(110.0, 120.0, None, {1: 60.0, 2: 60.0}) == ClipSpan(2, 50.0, 60.0)


def test_a_play_without_half_needs_only_half_1_when_it_falls_in_half_1():
    assert locate(1.0, 2.0, None, {1: 60.0}) == ClipSpan(1, 1.0, 2.0)


def test_a_play_with_half_2_needs_only_half_2s_duration():
    assert locate(1.0, 2.0, 2, {2: 60.0}) == ClipSpan(2, 1.0, 2.0)


def test_the_rejection_reason_names_the_span_and_the_boundary():
    with pytest.raises(SpanRejected) as rejected:
        locate(55.0, 65.0, None, {1: 60.0, 2: 60.0})

    assert str(rejected.value) == "span 55-65 s crosses the end of half 1 at 60 s"


def test_the_rejection_past_the_end_names_both_halves_durations():
    with pytest.raises(SpanRejected) as rejected:
        locate(100.0, 130.0, None, {1: 60.0, 2: 50.0})

    assert "110 s = half 1 60 s + half 2 50 s" in str(rejected.value)


def test_a_clip_spans_duration_is_end_minus_start():
    assert ClipSpan(2, 1.5, 4.0).duration == pytest.approx(2.5)


# Which half holds a play


def test_half_of_uses_the_half_column_when_set():
    assert half_of(500.0, 1, None) == 1
    assert half_of(0.0, 2, None) == 2


def test_half_of_a_play_starting_before_half_1_ends_is_1():
    assert half_of(59.9, None, 60.0) == 1


def test_half_of_a_play_starting_at_or_after_half_1s_end_is_2():
    assert half_of(60.0, None, 60.0) == 2
    assert half_of(61.0, None, 60.0) == 2


def test_half_of_a_play_without_half_needs_half_1s_duration():
    with pytest.raises(ValueError, match=r"^half 1's duration is needed to place a play without a half$"):
        half_of(10.0, None, None)
