"""``game_clips``' own bookkeeping, without ffmpeg: how its clips were cut, the halves it fetched."""

from pathlib import Path

from basketball_assets.assets.clips import ClipsOutcome, FetchedHalf, GamePlan, facts_of
from basketball_assets.core.clips import HalfVideo, PlannedClip
from basketball_assets.core.plays import Rejection
from basketball_assets.resources.storage import SourceVideo
from basketball_assets.resources.video import ClipCut
from basketball_assets.state.clips import ClipsManifest

KEY = "Games/g/BroadcastHalf1.mp4"
HALF = FetchedHalf(SourceVideo(KEY, Path("/videos/half1.mp4"), "id-1"), HalfVideo(KEY, 60.0, "id-1"))


def clip(play_id: str) -> PlannedClip:
    return PlannedClip(play_id, "broadcast", f"games/g/clips/{play_id}_broadcast.mp4", 1, KEY, 1.0, 3.0, "f")


def test_a_fetched_half_gives_planning_its_facts_and_an_unreadable_one_its_reason():
    assert facts_of({1: HALF, 2: "broadcast half 2 video cannot be read"}) == {
        1: HALF.video,
        2: "broadcast half 2 video cannot be read",
    }


def test_a_plan_starts_empty():
    assert (GamePlan().clips, GamePlan().rejections, GamePlan().halves) == ([], [], {})


def test_the_outcome_counts_cuts_per_method_and_fallback_reason():
    outcome = ClipsOutcome(
        cut={
            "a": ClipCut("smart", copied_frames=50, encoded_frames=10),
            "b": ClipCut("reencode", fallback_reason="open GOPs"),
            "c": ClipCut("reencode", fallback_reason="open GOPs"),
            "d": ClipCut("reencode", fallback_reason="source packets without timestamps"),
            "e": ClipCut("reencode"),
        }
    )

    assert outcome.cut_methods() == {"smart": 1, "reencode": 4}
    assert outcome.fallback_reasons().most_common() == [("open GOPs", 2), ("source packets without timestamps", 1)]


def test_nothing_cut_has_no_methods_and_no_fallbacks():
    outcome = ClipsOutcome(skipped=["a"])

    assert (outcome.cut_methods()["smart"], outcome.cut_methods()["reencode"]) == (0, 0)
    assert not outcome.fallback_reasons()


def test_the_outcome_becomes_the_games_clips_manifest():
    rejection = Rejection("p2", "broadcast", "why")
    outcome = ClipsOutcome(clips=[clip("p1")], rejections=[rejection], cut={"x": ClipCut("reencode")})

    manifest = outcome.to_manifest("g", {"crf": 23}, {clip("p1").key: 10})

    assert manifest == ClipsManifest("g", {"crf": 23}, [clip("p1")], [rejection], {clip("p1").key: 10})
