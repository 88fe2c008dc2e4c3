"""Freshness arithmetic: waiting games and the plays sensor's ticks."""

from basketball_assets.core.freshness import SensorTicks, tick_problem, waiting_games

NOW = 1_800_000_000.0


def test_only_games_newer_than_the_dataset_and_waiting_too_long_are_named_longest_first():
    times = {"old": NOW - 7200, "new": NOW - 4000, "newer": NOW - 5000, "fresh": NOW - 60}
    assert waiting_games(times, combined_time=NOW - 6000, now=NOW, max_wait_s=3600) == [
        ("newer", 5000),
        ("new", 4000),
    ]


def test_without_any_combined_dataset_every_game_counts():
    assert waiting_games({"a": NOW - 100}, combined_time=None, now=NOW, max_wait_s=50) == [("a", 100)]


def test_a_recent_successful_tick_is_fine_and_an_old_one_says_what_to_check():
    assert tick_problem("s", SensorTicks(True, last_ok=NOW - 60), NOW, 900) is None
    ticks = SensorTicks(True, last_ok=NOW - 3600, last_status="FAILURE", last_time=NOW - 30, last_error="boom\n  at x")
    problem = tick_problem("s", ticks, NOW, 900)
    assert "last successful tick was 60 minutes ago" in problem
    assert "latest tick FAILURE: boom at x" in problem and "dagster-daemon" in problem


def test_a_stopped_or_never_run_sensor_says_how_to_start_it():
    assert "has never run" in tick_problem("s", None, NOW, 900)
    assert "is stopped" in tick_problem("s", SensorTicks(False, last_ok=NOW), NOW, 900)
    assert "dagster sensor start s" in tick_problem("s", None, NOW, 900)


def test_the_bounds_a_game_made_with_the_dataset_and_a_wait_of_exactly_the_maximum_are_fine():
    times = {"with-dataset": NOW - 5000, "exactly": NOW - 3600, "b": NOW - 4000, "a": NOW - 4000}
    assert waiting_games(times, combined_time=NOW - 5000, now=NOW, max_wait_s=3600) == [("a", 4000), ("b", 4000)]


def test_a_tick_exactly_the_maximum_age_old_is_still_fine():
    assert tick_problem("s", SensorTicks(True, last_ok=NOW - 900), NOW, 900) is None


def test_a_sensor_that_never_succeeded_reads_in_full():
    assert tick_problem("s", SensorTicks(True), NOW, 3600) == (
        "sensor s's last successful tick was never (more than 60 minutes). Check that the Dagster daemon is "
        "running (`dagster-daemon run`, or dagster dev) and the sensor's ticks in the UI"
    )
    long_error = SensorTicks(True, last_status="FAILURE", last_error="x" * 400)
    assert tick_problem("s", long_error, NOW, 900).endswith(
        f"(more than 15 minutes); its latest tick FAILURE: {'x' * 300}. Check that the Dagster daemon is running "
        "(`dagster-daemon run`, or dagster dev) and the sensor's ticks in the UI"
    )
