"""The Slack alerts' text (core/alerts.py): one line of what failed, where, why, and a link."""

from basketball_assets.core.alerts import check_failure_text, one_line, run_failure_text, run_url


def test_a_reason_is_one_line_without_its_exception_class_and_cut_to_the_limit():
    assert one_line("dagster._core.errors.DagsterExecutionStepExecutionError: clip\n  failed") == "clip failed"
    assert one_line("ValueError: bad <value>") == "bad ‹value›"
    assert one_line("x" * 10, limit=10) == "x" * 10
    assert one_line("x" * 11, limit=10) == "x" * 9 + "…"
    assert one_line("y" * 301) == "y" * 299 + "…"


def test_a_failed_run_names_its_game_step_job_reason_and_link():
    url = run_url("http://localhost:3000/", "abc")
    assert url == "http://localhost:3000/runs/abc"
    assert run_failure_text("games_job", "g1", "game_clips", "RuntimeError: ffmpeg died", url) == (
        ":red_circle: *Run failed*: game `g1`, step `game_clips` (games_job): ffmpeg died "
        "<http://localhost:3000/runs/abc|Open the run>"
    )
    assert run_failure_text("dataset_job", None, None, "lost", url) == (
        ":red_circle: *Run failed*: no game (an unpartitioned run), before any step failed (dataset_job): lost "
        "<http://localhost:3000/runs/abc|Open the run>"
    )


def test_a_failed_check_names_the_check_asset_game_reason_and_link():
    assert check_failure_text("no_duplicate_examples", "combined_dataset", None, "2 duplicates", "u") == (
        ":warning: *Check failed*: `no_duplicate_examples` on `combined_dataset`, no game (an unpartitioned run): "
        "2 duplicates <u|Open the run>"
    )
