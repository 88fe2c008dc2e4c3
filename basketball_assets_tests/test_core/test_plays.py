"""The play and the rejection, as the pipeline passes them between steps."""

from __future__ import annotations

from basketball_assets.core.plays import WHOLE_PLAY, Play, Rejection


def play(angle: str = "both", **columns) -> Play:
    return Play(
        **{
            "id": "a",
            "game_id": "g",
            "start_time": 10.0,
            "end_time": 14.5,
            "angle": angle,
            "description": "D.",
            **columns,
        }
    )


def test_a_both_play_gets_both_camera_angles_broadcast_first():
    assert play("both").camera_angles == ("broadcast", "tactical")


def test_a_single_angle_play_gets_that_angle_only():
    assert play("broadcast").camera_angles == ("broadcast",)
    assert play("tactical").camera_angles == ("tactical",)


def test_a_plays_duration_is_end_minus_start():
    assert play().duration == 4.5


def test_a_play_round_trips_through_its_snapshot_entry():
    original = play(half=2, created_at="2024-03-01T10:00:00Z", updated_at="2024-03-02T10:00:00Z")

    assert Play.from_dict(original.to_dict()) == original


def test_a_snapshot_entry_without_the_optional_columns_reads_them_as_empty():
    entry = {"id": "a", "game_id": "g", "start_time": 1.0, "end_time": 2.0, "angle": "broadcast", "description": "D."}

    restored = Play.from_dict(entry)

    assert (restored.half, restored.created_at, restored.updated_at) == (None, None, None)


def test_a_rejection_round_trips_through_its_snapshot_entry():
    rejection = Rejection("a", WHOLE_PLAY, "negative time (start -1 s, end 2 s)")

    assert Rejection.from_dict(rejection.to_dict()) == rejection
    assert WHOLE_PLAY == "all"
