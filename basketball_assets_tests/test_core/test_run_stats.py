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
    slug,
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


def test_metadata_rounds_to_milliseconds_under_its_stable_keys():
    figures = stats(
        clip_seconds=12.3456,
        wall_seconds=3.14159,
        cpu_seconds=4.2504,
        scratch_disk_free_bytes=7_000,
        rejected_by_reason={"ends after the video": 2, "other: Weird  reason!": 1},
    )
    assert figures.metadata() == {
        "cut_clip_seconds": 12.346,
        "bytes_read": 9_000_000,
        "bytes_written": 1_500_000,
        "cut_wall_seconds": 3.142,
        "cut_cpu_seconds": 4.25,
        "clip_seconds_per_cpu_second": 2.905,
        "scratch_disk_free_bytes": 7_000,
        REJECTED_PREFIX + "ends_after_the_video": 2,
        REJECTED_PREFIX + "other_weird_reason": 1,
    }
    assert figures.rejected == 3
    assert "scratch_disk_free_bytes" not in stats().metadata()


def test_slug_is_lower_case_words_joined_by_underscores_at_most_60_characters():
    assert slug("  Ends After: the VIDEO!! ") == "ends_after_the_video"
    assert slug("!!!") == "other" and slug("") == "other"
    assert slug("a" * 70) == "a" * 60


def test_run_report_metadata_counts_games_and_successes():
    report = RunReport([GameRun("a", True), GameRun("b", False), GameRun("c", True)])
    assert report.metadata() == {"report_games": 3, "report_games_succeeded": 2}


def test_top_games_are_cut_to_count_with_ties_in_game_id_order():
    report = RunReport(
        [
            GameRun("d", True, wall_seconds=7, rejected=2),
            GameRun("c", True, wall_seconds=7, rejected=5),
            GameRun("b", True, wall_seconds=9, rejected=2),
            GameRun("a", False, rejected=1),
        ]
    )
    assert [game.game_id for game in report.slowest(2)] == ["b", "c"]
    assert [game.game_id for game in report.most_rejected()] == ["c", "b", "d", "a"]
    assert [game.game_id for game in report.most_rejected(2)] == ["c", "b"]


def test_run_report_markdown_in_full_with_more_failed_games_than_shown():
    failed = [GameRun(f"f{number:02}", False) for number in range(12)]
    report = RunReport([GameRun("a", True, wall_seconds=5.04, cpu_seconds=9.16, clips=8, rejected=1), *failed])
    shown = ", ".join(f"f{number:02}" for number in range(10))
    assert report.markdown() == (
        "1 of 13 games' latest clip step succeeded.\n"
        f"\nFailed or never materialized: {shown} and 2 more.\n"
        "\nSlowest games:\n\n"
        "| game | wall s | CPU s | clips |\n|---|---|---|---|\n| a | 5.0 | 9.2 | 8 |\n"
        "\nMost rejected games:\n\n"
        "| game | clips rejected | clips |\n|---|---|---|\n| a | 1 | 8 |"
    )


def test_run_report_markdown_with_no_failure_and_no_rejection():
    report = RunReport([GameRun("a", True, wall_seconds=1, cpu_seconds=2, clips=3)])
    assert report.markdown() == (
        "1 of 1 games' latest clip step succeeded.\n"
        "\nSlowest games:\n\n"
        "| game | wall s | CPU s | clips |\n|---|---|---|---|\n| a | 1.0 | 2.0 | 3 |\n"
        "\nMost rejected games:\n\nnone"
    )


def test_room_problem_message_in_full_and_exactly_enough_room_fits():
    assert room_problem("g1", 3, needed=1_000, free=3_000, keep_free=2_000, where="/data") is None
    assert room_problem("g1", 3, needed=1_001, free=3_000, keep_free=2_000, where="/data") is not None
    problem = room_problem("g7", 4, needed=2_500_000_000, free=3_000_000_000, keep_free=1_000_000_000, where="/d")
    assert problem == (
        "game g7: not enough disk room to cut its 4 clips: about 2,500.0 MB needed, 3,000.0 MB free at /d, "
        "and 1,000.0 MB are kept free (storage's min_free_gb). Free some space there (old videos, data of "
        "removed games) or lower min_free_gb, then materialize the game again; nothing was cut"
    )


def test_exactly_ten_failed_games_are_all_named_with_no_more():
    report = RunReport([GameRun(f"f{number}", False) for number in range(10)])
    assert f"Failed or never materialized: {', '.join(f'f{number}' for number in range(10))}.\n" in report.markdown()


def test_room_problem_figures_are_millions_of_bytes():
    problem = room_problem("g", 1, needed=1_050_001, free=3_050_002, keep_free=2_050_002, where="/d")
    assert problem is not None
    assert "about 1.1 MB needed, 3.1 MB free at /d, and 2.1 MB are kept free" in problem
