"""Planning a game's clips: which half videos are needed, which clips to have, which
plays (or one angle of a play) are rejected and why."""

from __future__ import annotations

from basketball_assets.core.clips import (
    HalfVideo,
    PlannedClip,
    clips_of_no_play,
    halves_needed,
    plan_angle,
    plays_for_angle,
    within_one_frame,
)
from basketball_assets.core.fingerprint import clip_fingerprint
from basketball_assets.core.plays import Play, Rejection

GAME = "game-1"
ENCODING = {"codec": "libx264", "crf": 23, "max_height": 720}


def play(play_id: str, start: float, end: float, angle: str = "broadcast", half: int | None = None) -> Play:
    return Play(play_id, GAME, start, end, angle, f"Description of {play_id}.", half=half)


def halves(angle: str, d1: float = 60.0, d2: float = 50.0) -> dict[int, HalfVideo]:
    """Both halves of one angle, probed, with a distinct identity each."""
    name = angle.capitalize()
    return {
        half: HalfVideo(
            key=f"Games/{GAME}/{name}Half{half}.mp4",
            duration=duration,
            identity=f"{angle}-{half}-v1",
        )
        for half, duration in ((1, d1), (2, d2))
    }


# Which half videos to read


def test_a_play_without_half_needs_half_1_before_its_duration_is_known():
    assert halves_needed([play("a", 100.0, 105.0)], None) == {1}


def test_a_play_without_half_needs_half_2_once_it_starts_after_half_1():
    assert halves_needed([play("a", 100.0, 105.0)], 60.0) == {1, 2}


def test_a_play_starting_exactly_at_the_end_of_half_1_needs_half_2():
    assert halves_needed([play("a", 60.0, 65.0)], 60.0) == {1, 2}


def test_plays_inside_half_1_do_not_need_half_2():
    assert halves_needed([play("a", 1.0, 5.0), play("b", 50.0, 60.0)], 60.0) == {1}


def test_a_play_with_half_needs_only_that_half():
    assert halves_needed([play("a", 1.0, 5.0, half=2)], None) == {2}
    assert halves_needed([play("a", 1.0, 5.0, half=1)], 60.0) == {1}


def test_no_plays_need_no_videos():
    assert halves_needed([], 60.0) == set()


# Which plays an angle cuts


def test_an_angle_cuts_its_own_plays_and_both_plays():
    plays = [play("b", 1, 2, "broadcast"), play("t", 1, 2, "tactical"), play("x", 1, 2, "both")]

    assert [p.id for p in plays_for_angle(plays, "broadcast")] == ["b", "x"]
    assert [p.id for p in plays_for_angle(plays, "tactical")] == ["t", "x"]


# Planning one angle


def test_a_play_in_half_1_is_cut_from_half_1_at_its_own_times():
    (clip,), rejections = plan_angle(GAME, "broadcast", [play("a", 10.0, 14.5)], halves("broadcast"), ENCODING)

    assert rejections == []
    assert (clip.half, clip.video_key, clip.video_start, clip.video_end) == (
        1,
        f"Games/{GAME}/BroadcastHalf1.mp4",
        10.0,
        14.5,
    )


def test_a_play_in_half_2_is_cut_from_half_2_at_start_minus_half_1s_duration():
    (clip,), _ = plan_angle(
        GAME, "tactical", [play("a", 70.0, 74.5, "tactical")], halves("tactical", d1=60.0), ENCODING
    )

    assert (clip.half, clip.video_key, clip.video_start, clip.video_end) == (
        2,
        f"Games/{GAME}/TacticalHalf2.mp4",
        10.0,
        14.5,
    )
    assert clip.duration == 4.5


def test_a_play_with_half_is_cut_at_its_own_times_in_that_halfs_video():
    (clip,), _ = plan_angle(GAME, "broadcast", [play("a", 10.0, 14.5, half=2)], halves("broadcast"), ENCODING)

    assert (clip.half, clip.video_start, clip.video_end) == (2, 10.0, 14.5)


def test_a_play_with_half_2_is_planned_without_half_1s_video():
    videos = {2: halves("broadcast")[2]}

    (clip,), rejections = plan_angle(GAME, "broadcast", [play("a", 1.0, 2.0, half=2)], videos, ENCODING)

    assert rejections == [] and clip.half == 2


def test_a_clip_is_keyed_as_the_spec_lays_clips_out():
    (clip,), _ = plan_angle(GAME, "broadcast", [play("p-1", 1.0, 2.0)], halves("broadcast"), ENCODING)

    assert clip.key == f"games/{GAME}/clips/p-1_broadcast.mp4"


def test_a_clip_carries_the_fingerprint_of_its_play_span_source_and_encoding():
    (clip,), _ = plan_angle(GAME, "tactical", [play("a", 70.0, 74.0, "tactical")], halves("tactical"), ENCODING)

    assert clip.fingerprint == clip_fingerprint(
        play_id="a",
        angle="tactical",
        start_time=70.0,
        end_time=74.0,
        video_start=10.0,
        video_end=14.0,
        source_identity="tactical-2-v1",
        encoding=ENCODING,
    )


def test_replacing_half_1s_video_moves_a_half_2_clip_and_changes_its_fingerprint():
    # A longer half 1 shifts where a half-2 play starts inside half 2's video.
    (before,), _ = plan_angle(GAME, "broadcast", [play("a", 70.0, 74.0)], halves("broadcast", d1=60.0), ENCODING)
    (after,), _ = plan_angle(GAME, "broadcast", [play("a", 70.0, 74.0)], halves("broadcast", d1=62.0), ENCODING)

    assert (before.video_start, after.video_start) == (10.0, 8.0)
    assert before.fingerprint != after.fingerprint


def test_changing_the_encoding_changes_every_clips_fingerprint():
    plays = [play("a", 1.0, 2.0), play("b", 70.0, 71.0)]

    before, _ = plan_angle(GAME, "broadcast", plays, halves("broadcast"), ENCODING)
    after, _ = plan_angle(GAME, "broadcast", plays, halves("broadcast"), {**ENCODING, "crf": 28})

    assert all(b.fingerprint != a.fingerprint for b, a in zip(before, after, strict=True))


def test_a_play_crossing_half_1s_end_is_rejected_for_that_angle_and_the_others_go_on():
    plays = [play("a", 1.0, 2.0), play("cross", 58.0, 62.0), play("c", 70.0, 71.0)]

    clips, rejections = plan_angle(GAME, "broadcast", plays, halves("broadcast"), ENCODING)

    assert [c.play_id for c in clips] == ["a", "c"]
    assert rejections == [Rejection("cross", "broadcast", "span 58-62 s crosses the end of half 1 at 60 s")]


def test_a_play_ending_after_the_last_video_is_rejected():
    _, (rejection,) = plan_angle(GAME, "broadcast", [play("late", 100.0, 120.0)], halves("broadcast"), ENCODING)

    assert rejection.play_id == "late"
    assert "after the end of the last video" in rejection.reason


def test_a_play_with_half_ending_after_its_video_is_rejected():
    _, (rejection,) = plan_angle(
        GAME, "broadcast", [play("a", 45.0, 55.0, half=2)], halves("broadcast", d2=50.0), ENCODING
    )

    assert rejection.reason == "ends at 55 s, after the end of the half 2 video (50 s)"


def test_a_both_play_can_yield_one_clip_and_one_rejection():
    # The tactical camera's half 1 is shorter, so the span crosses only its boundary.
    both = [play("x", 55.0, 58.0, "both")]

    broadcast, broadcast_rejections = plan_angle(GAME, "broadcast", both, halves("broadcast", d1=60.0), ENCODING)
    tactical, tactical_rejections = plan_angle(GAME, "tactical", both, halves("tactical", d1=56.0), ENCODING)

    assert [(c.play_id, c.angle) for c in broadcast] == [("x", "broadcast")] and broadcast_rejections == []
    assert tactical == []
    assert [(r.play_id, r.angle) for r in tactical_rejections] == [("x", "tactical")]


def test_an_unreadable_video_rejects_only_the_plays_that_need_it_with_its_reason():
    reason = "broadcast half 2 video file:///data/Games/game-1/BroadcastHalf2.mp4 cannot be read: moov atom not found"
    videos = {**halves("broadcast"), 2: reason}
    plays = [play("first", 1.0, 2.0), play("second", 70.0, 71.0)]

    clips, rejections = plan_angle(GAME, "broadcast", plays, videos, ENCODING)

    assert [c.play_id for c in clips] == ["first"]
    assert rejections == [Rejection("second", "broadcast", reason)]


def test_a_missing_half_1_rejects_plays_without_half_since_nothing_places_them():
    reason = "broadcast half 1 video is missing"
    videos = {**halves("broadcast"), 1: reason}

    clips, rejections = plan_angle(GAME, "broadcast", [play("a", 70.0, 71.0)], videos, ENCODING)

    assert clips == []
    assert rejections == [Rejection("a", "broadcast", reason)]


def test_a_half_that_was_not_read_rejects_its_plays_with_a_reason():
    videos = {1: halves("broadcast")[1]}

    _, rejections = plan_angle(GAME, "broadcast", [play("a", 1.0, 2.0, half=2)], videos, ENCODING)

    assert rejections == [Rejection("a", "broadcast", "half 2 video was not read")]


def test_plays_of_the_other_angle_are_not_planned():
    clips, rejections = plan_angle(GAME, "broadcast", [play("t", 1.0, 2.0, "tactical")], halves("broadcast"), ENCODING)

    assert (clips, rejections) == ([], [])


def test_a_planned_clip_round_trips_through_its_manifest_entry():
    (clip,), _ = plan_angle(GAME, "broadcast", [play("a", 70.0, 74.0)], halves("broadcast"), ENCODING)

    assert PlannedClip.from_dict(clip.to_dict()) == clip


def test_clip_files_that_no_current_clip_claims_are_named():
    stored = [
        "games/g/clips/a_broadcast.mp4",
        "games/g/clips/gone_tactical.mp4",
        "games/g/clips/b_tactical.mp4",
        "games/g/clips/notes.txt",
    ]
    current = ["games/g/clips/a_broadcast.mp4", "games/g/clips/b_tactical.mp4", "games/g/clips/new_broadcast.mp4"]
    assert clips_of_no_play(stored, current) == ["games/g/clips/gone_tactical.mp4"]
    assert clips_of_no_play([], current) == []


# A cut clip's duration: the play's, give or take one frame


def test_a_clip_within_one_frame_of_the_play_passes():
    assert within_one_frame(2.04, 2.0, 0.04)
    assert within_one_frame(1.96, 2.0, 0.04)
    assert within_one_frame(2.0, 2.0, 0.0)


def test_a_clip_more_than_one_frame_off_fails():
    assert not within_one_frame(2.1, 2.0, 0.04)
    assert not within_one_frame(1.5, 2.0, 0.04)


def test_a_millisecond_of_slack_absorbs_rounding():
    assert within_one_frame(2.0409, 2.0, 0.04)
    assert not within_one_frame(2.0411, 2.0, 0.04)
