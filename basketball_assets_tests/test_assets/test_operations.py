"""Operations figures on a real game: the clip step's stats, the combined dataset's run report
and cost ledger, and the disk room check. One game and one combined dataset for the module."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import AssetMaterialization, DagsterInstance, ExecuteInProcessResult, instance_for_test

from basketball_assets.core.costs import CLOUD_RUN_USD_PER_VCPU_SECOND
from basketball_assets.core.layout import clips_prefix
from basketball_assets.operations import GameHistory
from basketball_assets.resources import ClipEncoder, LocalPlaysDatabase, LocalStorage
from basketball_assets.state.clips import read_game_clips
from basketball_assets_tests.games import place_game
from basketball_assets_tests.test_assets.pipeline import materialize_combined, materialize_game, metadata_of

pytestmark = pytest.mark.ffmpeg


@dataclass
class World:
    instance: DagsterInstance
    storage: LocalStorage
    plays_db: LocalPlaysDatabase
    resources: dict
    game_id: str
    game: ExecuteInProcessResult
    combined: ExecuteInProcessResult


@pytest.fixture(scope="module")
def world(test_videos, tmp_path_factory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("operations")
    storage = LocalStorage(data_dir=str(folder / "data"))
    plays_db = LocalPlaysDatabase(path=str(folder / "plays.sqlite3"))
    plays_db.create_table()
    resources = {"storage": storage, "plays_source": plays_db, "video": ClipEncoder()}
    with instance_for_test() as instance:
        game = place_game(storage, plays_db, test_videos, "operations")
        ran = materialize_game(instance, resources, game.game_id)
        yield World(
            instance, storage, plays_db, resources, game.game_id, ran, materialize_combined(instance, resources)
        )


def test_game_clips_records_what_cutting_read_wrote_and_spent(world):
    stats = metadata_of(world.game, "game_clips")
    manifest = read_game_clips(world.storage, world.game_id)
    clips = [Path(world.storage.uri(clip.key).removeprefix("file://")) for clip in manifest.clips]
    halves = {clip.video_key for clip in manifest.clips}
    assert stats["cut"] == len(clips) == 8
    assert stats["cut_clip_seconds"] == pytest.approx(sum(clip.duration for clip in manifest.clips), abs=0.01)
    assert stats["bytes_written"] == sum(path.stat().st_size for path in clips)
    assert stats["bytes_read"] == sum(world.storage.fetch_video(key).path.stat().st_size for key in halves)
    assert stats["cut_cpu_seconds"] > 0 and stats["cut_wall_seconds"] > 0
    assert stats["clip_seconds_per_cpu_second"] == pytest.approx(
        stats["cut_clip_seconds"] / stats["cut_cpu_seconds"], rel=0.01
    )
    assert stats["scratch_disk_free_bytes"] > 0


def test_combined_dataset_reports_the_games_and_sums_their_costs(world):
    game, combined = metadata_of(world.game, "game_clips"), metadata_of(world.combined, "combined_dataset")
    assert combined["report_games"] == 1 and combined["report_games_succeeded"] == 1
    assert "1 of 1 games' latest clip step succeeded" in combined["run_report"]
    assert world.game_id in combined["run_report"]
    assert combined["ledger_cpu_seconds"] == pytest.approx(game["cut_cpu_seconds"])
    assert combined["ledger_compute_usd_estimate"] == pytest.approx(
        game["cut_cpu_seconds"] * CLOUD_RUN_USD_PER_VCPU_SECOND, abs=1e-6
    )
    assert combined["ledger_bytes_written"] == game["bytes_written"]
    assert "ledger_tuning_cost_usd" not in combined
    card = Path(combined["dataset_card_file"].removeprefix("file://")).read_text()
    assert "## Cost ledger" in card and "Assumed, not quoted" in card and "No tuning job" in card


def test_the_ledger_takes_the_tuning_jobs_actual_figures_once_tuned_model_records_them(world):
    # tuned_model's own metadata keys; recorded here as it would record them after a job.
    world.instance.report_runless_asset_event(
        AssetMaterialization("tuned_model", metadata={"billable_tokens": 123_456, "tuning_cost_usd": 3.09})
    )
    combined = metadata_of(materialize_combined(world.instance, world.resources), "combined_dataset")
    assert combined["ledger_tuning_billable_tokens"] == 123_456
    assert combined["ledger_tuning_cost_usd"] == 3.09
    assert combined["ledger_total_usd"] == pytest.approx(
        3.09 + combined["ledger_compute_usd_estimate"] + combined["ledger_storage_usd_per_month_estimate"], abs=1e-5
    )


def test_a_game_that_would_not_fit_on_disk_is_refused_with_the_figures_before_any_cut(world, test_videos):
    game = place_game(world.storage, world.plays_db, test_videos, "roomless")
    full_disk = LocalStorage(data_dir=world.storage.data_dir, min_free_gb=1e9)  # more than any disk has
    result = materialize_game(world.instance, world.resources | {"storage": full_disk}, game.game_id, False)
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert f"game {game.game_id}: not enough disk room to cut its 8 clips" in message
    assert "MB free at" in message and "min_free_gb" in message
    assert list(world.storage.list_keys(clips_prefix(game.game_id))) == []
    # The run report, read from the event log, counts the refused game as failed.
    report = GameHistory.read(world.instance).report(sorted([world.game_id, game.game_id]))
    assert report.failed == [game.game_id] and report.succeeded == 1
