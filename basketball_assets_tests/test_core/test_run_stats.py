"""Per-game statistics, the run report and the disk room check: pure arithmetic."""

from basketball_assets.core.plays import Rejection
from basketball_assets.core.run_stats import (
    REJECTED_PREFIX,
    GameRun,
    GameStats,
    RunReport,
    bytes_needed,
    rejections_by_kind,
    room_problem,
)


def stats(**changes) -> GameStats:
    figures = {
        "clips_cut": 4,
        "clips_skipped": 2,
        "clip_seconds": 12.0,
        "bytes_read": 9_000_000,
        "bytes_written": 1_500_000,
        "wall_seconds": 3.0,
        "cpu_seconds": 4.0,
    }
    return GameStats(**(figures | changes))


def test_metadata_is_plain_numbers_with_the_clip_seconds_per_cpu_second():
    metadata = stats(rejected_by_reason={"ends after the video": 2}).metadata()
    assert metadata["clip_seconds_per_cpu_second"] == 3.0
    assert metadata["bytes_read"] == 9_000_000 and metadata["bytes_written"] == 1_500_000
    assert metadata["cut_wall_seconds"] == 3.0 and metadata["cut_cpu_seconds"] == 4.0
    assert metadata[REJECTED_PREFIX + "ends_after_the_video"] == 2
    assert all(isinstance(value, int | float) for value in metadata.values())


def test_nothing_cut_is_zero_clip_seconds_per_cpu_second_not_a_division_by_zero():
    assert stats(clips_cut=0, clip_seconds=0.0, cpu_seconds=0.0).clip_seconds_per_cpu_second == 0.0


def test_rejections_are_counted_by_the_dataset_cards_kinds():
    rejections = [
        Rejection("p1", "FAR_LEFT", "span 10-20 s ends after the end of the video"),
        Rejection("p2", "FAR_LEFT", "span 30-40 s ends after the end of the video"),
        Rejection("p3", "all", "empty description: there is nothing for the model to learn"),
    ]
    assert rejections_by_kind(rejections) == {"ends after the video": 2, "empty description": 1}


def test_run_report_names_failed_games_the_slowest_and_the_most_rejected():
    report = RunReport(
        [
            GameRun("a", True, wall_seconds=5, cpu_seconds=9, clips=8, rejected=0),
            GameRun("b", True, wall_seconds=50, cpu_seconds=90, clips=8, rejected=3),
            GameRun("c", False),
        ]
    )
    assert report.succeeded == 2 and report.failed == ["c"]
    assert [game.game_id for game in report.slowest()] == ["b", "a"]
    assert [game.game_id for game in report.most_rejected()] == ["b"]
    text = report.markdown()
    assert "2 of 3 games" in text and "Failed or never materialized: c." in text
    assert text.index("| b | 50.0") < text.index("| a | 5.0")


def test_room_problem_gives_the_figures_and_what_to_do():
    assert room_problem("g1", 3, needed=100, free=1_000, keep_free=500, where="/data") is None
    problem = room_problem("g1", 3, needed=2_000_000, free=3_000_000, keep_free=2_000_000, where="/data/.scratch")
    assert problem is not None
    assert "game g1" in problem and "3 clips" in problem and "2.0 MB needed" in problem
    assert "3.0 MB free at /data/.scratch" in problem and "min_free_gb" in problem


def test_bytes_needed_takes_each_clip_at_its_sources_rate_with_margin():
    assert bytes_needed([(2.0, 1000.0), (3.0, 500.0)]) == round((2000 + 1500) * 2.0)
