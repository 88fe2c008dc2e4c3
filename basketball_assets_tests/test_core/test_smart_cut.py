"""Smart-cut decisions: the plan of copied and re-encoded frames, timestamps, merged avcC, obstacles."""

from fractions import Fraction

import pytest

from basketball_assets.core.h264 import AvcConfig
from basketball_assets.core.smart_cut import (
    SmartCutUnsafe,
    StreamFacts,
    decode_timestamps,
    merged_avc_config,
    plan_smart_cut,
    smart_cut_obstacles,
)
from basketball_assets_tests.test_core.test_h264 import PPS, SPS, nal_unit, ue

FRAME = 512  # ticks per frame at 30 fps on a 1/15360 time base
FRAMES = [i * FRAME for i in range(300)]  # 10 s
KEYFRAMES = [i * FRAME for i in range(0, 301, 60)]  # every 2 s, and the end of the stream


def ticks(seconds: float) -> float:
    return seconds * 15360


def test_plan_copies_the_whole_gops_between_the_head_and_the_tail():
    plan = plan_smart_cut(FRAMES, KEYFRAMES, ticks(1.5), ticks(7.2), FRAME)

    assert plan.first == ticks(1.5) and plan.last == ticks(7.2) - FRAME * 0.4 - FRAME * 0.6
    assert (plan.copy_from, plan.copy_to) == (ticks(2.0), ticks(6.0))


def test_plan_starts_with_the_first_frame_at_or_after_the_start():
    plan = plan_smart_cut(FRAMES, KEYFRAMES, ticks(1.51), ticks(7.2), FRAME)

    assert plan.first == 46 * FRAME  # 1.5333 s: the frame at 1.5 s is before the play


def test_plan_without_head_when_the_play_starts_on_a_keyframe():
    plan = plan_smart_cut(FRAMES, KEYFRAMES, ticks(2.0), ticks(6.0), FRAME)

    assert plan.first == plan.copy_from == ticks(2.0) and plan.copy_to == ticks(6.0) == plan.last + FRAME


def test_plan_copies_up_to_the_end_of_the_stream():
    plan = plan_smart_cut(FRAMES, KEYFRAMES, ticks(3.1), ticks(10.0), FRAME)

    assert (plan.copy_from, plan.copy_to, plan.last) == (ticks(4.0), ticks(10.0), ticks(10.0) - FRAME)


def test_no_plan_when_no_whole_gop_lies_inside():
    assert plan_smart_cut(FRAMES, KEYFRAMES, ticks(2.5), ticks(3.9), FRAME) is None
    assert plan_smart_cut(FRAMES, KEYFRAMES, ticks(11), ticks(12), FRAME) is None


def test_decode_timestamps_space_every_sample_a_frame_apart_behind_the_largest_reorder_delay():
    # A two-frame head with no B-frames, then a copied GOP whose B-frames delay it by two frames:
    # every sample lasts one frame, and none is decoded after it is shown.
    head, copied = [0, 1], [2, 6, 4, 3, 5]  # x264's B-pyramid order
    dts = decode_timestamps([FRAME * p for p in head + copied])

    assert dts == [FRAME * d for d in (-2, -1, 0, 1, 2, 3, 4)]
    assert all(d <= p * FRAME for d, p in zip(dts, head + copied, strict=True))


def test_decode_timestamps_of_frames_in_order_are_their_pts():
    assert decode_timestamps([0, FRAME, 2 * FRAME]) == [0, FRAME, 2 * FRAME]
    assert decode_timestamps([]) == []


def test_decode_timestamps_refuse_two_frames_shown_at_once():
    with pytest.raises(SmartCutUnsafe, match="same time"):
        decode_timestamps([0, FRAME, FRAME])


def test_merged_config_holds_both_sets_and_the_higher_level():
    source = AvcConfig(100, 0, 13, 4, (SPS,), (PPS,), b"\xfd\xf8\xf8\x00")
    head = AvcConfig(100, 0, 30, 4, (bytes.fromhex("6764001e40"),), (bytes.fromhex("6848"),))  # sps id 1, pps id 1

    merged = merged_avc_config(source, [head])

    assert merged.sps == (SPS, head.sps[0]) and merged.pps == (PPS, head.pps[0])
    assert merged.level == 30 and merged.extension == source.extension


def test_merged_config_refuses_colliding_ids_and_other_profiles():
    source = AvcConfig(100, 0, 13, 4, (SPS,), (PPS,))
    with pytest.raises(SmartCutUnsafe, match="collide"):
        merged_avc_config(source, [source])
    main_source = AvcConfig(77, 0x40, 13, 4, (SPS,), (PPS,))
    high = AvcConfig(100, 0, 13, 4, (bytes.fromhex("6764000d40"),), (bytes.fromhex("6848"),))
    with pytest.raises(SmartCutUnsafe, match="profile"):
        merged_avc_config(main_source, [high])


def facts(**changes) -> StreamFacts:
    values = {
        "codec": "h264", "profile": "High", "pix_fmt": "yuv420p", "width": 1280, "height": 720,
        "time_base": Fraction(1, 15360), "frame_rate": Fraction(30),
        "avc_config": AvcConfig(100, 0, 31, 4, (SPS,), (PPS,)),
    }  # fmt: skip
    values.update(changes)
    return StreamFacts(**values)


def test_a_matching_h264_stream_has_no_obstacles():
    assert smart_cut_obstacles(facts(), max_height=720) == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"codec": "hevc"}, "not H.264"),
        ({"profile": "High 4:4:4 Predictive"}, "profile"),
        ({"pix_fmt": "yuv422p"}, "pixel format"),
        ({"height": 1080, "width": 1920}, "max_height"),
        ({"rotation": 90}, "displayed height 1280 (rotated 90 degrees) is above max_height"),
        ({"rotation": -90}, "displayed height 1280"),
        ({"frame_rate": Fraction(24000, 1001)}, "time base"),
        ({"avc_config": None}, "avcC"),
        ({"avc_config": AvcConfig(100, 0, 31, 2, (SPS,), (PPS,))}, "length size"),
    ],
)
def test_unsafe_streams_are_named_with_the_reason(changes, reason):
    assert any(reason in obstacle for obstacle in smart_cut_obstacles(facts(**changes), max_height=720))


@pytest.mark.parametrize(("rotation", "width", "height"), [(180, 1280, 720), (90, 640, 360), (-90, 720, 1280)])
def test_rotated_streams_shown_within_max_height_may_be_copied(rotation, width, height):
    # Upside down, or a portrait phone video coded on its side: shown at most 720 high.
    assert smart_cut_obstacles(facts(rotation=rotation, width=width, height=height), max_height=720) == []


def test_each_obstacle_reads_in_full():
    too_high = smart_cut_obstacles(facts(height=1080, width=1920), max_height=720)
    assert too_high == ["displayed height 1080 is above max_height 720: clips must be scaled"]
    assert smart_cut_obstacles(facts(width=1279), max_height=720) == ["odd size 1279x720"]
    assert smart_cut_obstacles(facts(avc_config=None), max_height=720) == [
        "no avcC parameter sets (Annex B stream in mp4?)"
    ]


def test_a_plan_keeps_the_frames_from_the_start_up_to_before_the_end_within_the_tolerance():
    # Times in decimal seconds land a fraction of a tick off a frame: the tolerance absorbs it.
    plan = plan_smart_cut(FRAMES, KEYFRAMES, ticks(2.0) + 0.25, ticks(6.0) + 0.25, FRAME, tolerance=0.5)
    assert (plan.first, plan.last) == (ticks(2.0), ticks(6.0) - FRAME)
    # Without tolerance (the default) a frame a fraction of a tick before the start is not the clip's.
    assert plan_smart_cut(FRAMES, KEYFRAMES, ticks(2.0) + 0.5, ticks(6.0), FRAME).first == ticks(2.0) + FRAME


def test_a_clip_holding_exactly_one_whole_gop_copies_it():
    plan = plan_smart_cut(FRAMES, KEYFRAMES, ticks(1.9), ticks(4.1), FRAME)
    assert (plan.copy_from, plan.copy_to) == (ticks(2.0), ticks(4.0))


def test_decode_timestamps_of_a_reordered_pair_at_the_last_frame():
    # The last frame decoded before the one shown just ahead of it: one frame of delay for all.
    assert decode_timestamps([0, 2 * FRAME, FRAME]) == [-FRAME, 0, FRAME]


def test_a_head_and_a_tail_each_bring_their_own_ids_and_never_share_them():
    source = AvcConfig(77, 0x40, 13, 4, (SPS,), (PPS,))  # Main, ids 0
    head = AvcConfig(66, 0xC0, 30, 4, (bytes.fromhex("6742c01e40"),), (bytes.fromhex("6848"),))  # ids 1
    tail = AvcConfig(66, 0xC0, 20, 4, (bytes.fromhex("6742c01e60"),), (bytes.fromhex("686e"),))  # ids 2
    merged = merged_avc_config(source, [head, tail])
    assert merged == AvcConfig(77, 0x40, 30, 4, (SPS, *head.sps, *tail.sps), (PPS, *head.pps, *tail.pps))
    with pytest.raises(SmartCutUnsafe, match=r"^parameter set ids \[1\] would collide$"):
        merged_avc_config(source, [head, head])
    with pytest.raises(SmartCutUnsafe, match=r"^parameter set ids \[0\] would collide$"):
        merged_avc_config(source, [head, AvcConfig(66, 0xC0, 20, 4, (SPS,), (PPS,))])


def test_ids_up_to_29_leave_room_for_a_head_and_a_tail_and_30_does_not():
    def with_sps_id(sps_id: int) -> StreamFacts:
        sps = nal_unit(0x67, "01100100" + "00000000" + "00011111" + ue(sps_id))
        return facts(avc_config=AvcConfig(100, 0, 31, 4, (sps,), (PPS,)))

    assert smart_cut_obstacles(with_sps_id(29), max_height=720) == []
    assert smart_cut_obstacles(with_sps_id(30), max_height=720) == ["no free parameter set ids"]
