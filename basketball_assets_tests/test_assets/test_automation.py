"""Declarative automation: which games and steps the conditions request, tick by tick.

The game steps really run (in-process, real ffmpeg on tiny generated videos) whenever
the conditions request them, and the plays sensor reports the plays, so each tick sees
exactly what the daemon would see.
"""

from datetime import UTC, datetime, timedelta

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetSelection,
    DagsterInstance,
    Definitions,
    build_sensor_context,
    evaluate_automation_conditions,
    materialize,
)
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest

from basketball_assets.assets.clips import game_clips
from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.assets.plays import game_plays
from basketball_assets.assets.training_data import game_training_data
from basketball_assets.assets.tuning import tuned_model
from basketball_assets.automation import AUTOMATED_ASSETS, dataset_refresh_condition
from basketball_assets.definitions import build_assets
from basketball_assets.partitions import games_partitions
from basketball_assets.resources.prediction import VertexPrediction
from basketball_assets.resources.registry import LocalModelRegistry
from basketball_assets.resources.vertex import VertexTuning
from basketball_assets.sensors import build_plays_sensor
from basketball_assets.settings import Settings
from basketball_assets_tests.games import new_game_id, place_game, play_row

GAME_STEPS = ("game_plays", "game_clips", "game_training_data")
#: Evaluation times a day ahead, one minute past the hour: the next */15 tick is 14 minutes away.
START = (datetime.now(UTC) + timedelta(days=1)).replace(minute=1, second=0, microsecond=0)

#: The default settings (the dataset refreshes on */15), but a plays poll every 5 s.
SETTINGS = Settings(plays_sensor_interval_seconds=5)
plays_sensor = build_plays_sensor(SETTINGS)
#: The assets as the definitions hold them: the combined dataset with its condition on the cron.
ASSETS = build_assets(SETTINGS)


def tiny_plays(game_id: str) -> list[dict]:
    """Two plays, one clip each: enough to exercise every step, cheap to cut."""
    return [
        play_row(game_id, "a", 1.0, 2.0, "broadcast", minute=1),
        play_row(game_id, "b", 3.0, 4.0, "tactical", minute=2),
    ]


class Daemon:
    """What the daemon does with the sensors, done by hand: ticks at chosen times, and the
    requested runs executed in-process, one per game, like the automation's runs."""

    def __init__(self, instance: DagsterInstance, resources: dict, assets=None):
        # The paid steps are in the graph (never run here): their resources must still be bound.
        paid = {
            "vertex": VertexTuning(),
            "prediction": VertexPrediction(),
            "registry": LocalModelRegistry(path=resources["plays_source"].path),
        }
        self.instance, self.resources = instance, {**paid, **resources}
        self.assets = assets or ASSETS
        self.sensor_cursor = None
        self.cursor = None
        self.now = START

    def poll_plays(self) -> list[str]:
        """One plays sensor tick, applied; returns the games it reported."""
        context = build_sensor_context(
            instance=self.instance,
            cursor=self.sensor_cursor,
            resources={"plays_source": self.resources["plays_source"]},
        )
        result = plays_sensor(context)
        for request in result.dynamic_partitions_requests:
            self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        for event in result.asset_events:
            self.instance.report_runless_asset_event(event)
        self.sensor_cursor = result.cursor
        return sorted({event.partition for event in result.asset_events})

    def evaluate(self, after: timedelta = timedelta(minutes=1), assets=None) -> dict[str, set]:
        """One automation tick ``after`` the previous one; returns the requested partitions by asset."""
        self.now += after
        defs = Definitions(assets=assets or self.assets, resources=self.resources)
        result = evaluate_automation_conditions(
            defs=defs, instance=self.instance, cursor=self.cursor, evaluation_time=self.now
        )
        self.cursor = result.cursor
        requested = {name: set(result.get_requested_partitions(AssetKey(name))) for name in AUTOMATED_ASSETS}
        return {name: partitions for name, partitions in requested.items() if partitions}

    def run(self, requested: dict[str, set], assets=None, raise_on_error: bool = True) -> None:
        """Execute what a tick requested: each game's steps in one run, then the dataset."""
        assets = assets or self.assets
        games = sorted({game for name in GAME_STEPS for game in requested.get(name, set())})
        for game in games:
            selection = [name for name in GAME_STEPS if game in requested.get(name, set())]
            materialize(
                assets,
                selection=selection,
                partition_key=game,
                instance=self.instance,
                resources=self.resources,
                raise_on_error=raise_on_error,
            )
        if "combined_dataset" in requested:
            materialize(assets, selection=["combined_dataset"], instance=self.instance, resources=self.resources)


@pytest.fixture
def daemon(instance, resources) -> Daemon:
    return Daemon(instance, resources)


def all_steps(*games: str) -> dict[str, set]:
    return {name: set(games) for name in GAME_STEPS}


def placed(storage, plays_db, test_videos, name: str) -> str:
    game_id = new_game_id(name)
    place_game(storage, plays_db, test_videos, name, plays=tiny_plays(game_id))
    return game_id


@pytest.mark.ffmpeg
def test_new_games_run_once_and_an_edited_play_reruns_only_its_game(daemon, storage, plays_db, test_videos):
    game_a = placed(storage, plays_db, test_videos, "automation-a")
    game_b = placed(storage, plays_db, test_videos, "automation-b")
    assert daemon.poll_plays() == sorted([game_a, game_b])

    requested = daemon.evaluate()
    # Every step of both games; the dataset waits for them (they are requested this tick).
    assert requested == all_steps(game_a, game_b)
    daemon.run(requested)
    assert daemon.evaluate() == {}  # the games' runs count as handled: nothing runs twice
    assert daemon.evaluate(after=timedelta(minutes=15)) == {"combined_dataset": {None}}
    daemon.run({"combined_dataset": {None}})
    assert daemon.evaluate(after=timedelta(minutes=15)) == {}  # a cron tick alone refreshes nothing

    edited = dict(
        tiny_plays(game_a)[0],
        description="Edited: a floater in the lane.",
        updated_at=(START + timedelta(hours=1)).isoformat(),
    )
    plays_db.upsert_rows([edited])
    assert daemon.poll_plays() == [game_a]
    requested = daemon.evaluate()
    assert requested == all_steps(game_a)  # game A only, every step of it
    daemon.run(requested)
    assert daemon.evaluate() == {}  # debounced: the dataset waits for the next cron tick
    assert daemon.evaluate(after=timedelta(minutes=15)) == {"combined_dataset": {None}}


@pytest.mark.ffmpeg
def test_a_code_change_of_the_jsonl_step_rewrites_examples_without_recutting_clips(
    daemon, instance, storage, plays_db, test_videos
):
    game = placed(storage, plays_db, test_videos, "automation-code")
    daemon.poll_plays()
    daemon.run(daemon.evaluate())
    assert daemon.evaluate() == {}

    jsonl_v2 = game_training_data.map_asset_specs(lambda spec: spec.replace_attributes(code_version="2"))
    assets_v2 = [jsonl_v2 if asset is game_training_data else asset for asset in daemon.assets]
    requested = daemon.evaluate(assets=assets_v2)
    assert requested == {"game_training_data": {game}}

    # In the UI, only the JSONL step shows stale (by its code version); the clips are fresh.
    graph = Definitions(assets=assets_v2, resources=daemon.resources).resolve_asset_graph()
    stale = CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance))
    assert stale.get_status(game_training_data.key, game) == StaleStatus.STALE
    assert stale.get_status(game_clips.key, game) == StaleStatus.FRESH
    assert stale.get_status(game_plays.key, game) == StaleStatus.FRESH

    daemon.run(requested, assets=assets_v2)
    assert daemon.evaluate(assets=assets_v2) == {}


@pytest.mark.ffmpeg
def test_edited_plays_make_the_game_stale_in_the_ui_until_automation_runs_it(
    daemon, instance, storage, plays_db, test_videos
):
    game = placed(storage, plays_db, test_videos, "automation-stale")
    daemon.poll_plays()
    daemon.run(daemon.evaluate())
    plays_db.upsert_rows([dict(tiny_plays(game)[1], end_time=4.5, updated_at=(START + timedelta(hours=1)).isoformat())])
    daemon.poll_plays()
    graph = Definitions(assets=daemon.assets, resources=daemon.resources).resolve_asset_graph()
    stale = CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance))
    assert stale.get_status(game_plays.key, game) == StaleStatus.STALE
    daemon.run(daemon.evaluate())
    fresh = CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance))
    causes = {
        name: [str(c.reason) + " " + str(c.dependency) for c in fresh.get_stale_causes(AssetKey(name), game)]
        for name in GAME_STEPS
    }
    assert {fresh.get_status(AssetKey(name), game) for name in GAME_STEPS} == {StaleStatus.FRESH}, causes


@pytest.mark.ffmpeg
def test_a_failed_game_blocks_no_other_game_and_is_not_retried_until_its_plays_change(
    daemon, storage, plays_db, test_videos
):
    broken = new_game_id("automation-broken")
    # No videos: every clip is rejected, so game_training_data fails ("no examples").
    place_game(storage, plays_db, test_videos, "automation-broken", plays=tiny_plays(broken), missing=list(test_videos))
    good = placed(storage, plays_db, test_videos, "automation-good")
    daemon.poll_plays()
    requested = daemon.evaluate()
    assert requested == all_steps(broken, good)
    daemon.run(requested, raise_on_error=False)
    assert daemon.evaluate() == {}  # the failed game is not retried in a loop
    assert daemon.evaluate() == {}

    plays_db.upsert_rows(
        [dict(tiny_plays(good)[0], description="Edited.", updated_at=(START + timedelta(hours=1)).isoformat())]
    )
    daemon.poll_plays()
    requested = daemon.evaluate()
    assert requested == all_steps(good)  # the other game goes on
    daemon.run(requested)

    plays_db.upsert_rows(
        [dict(tiny_plays(broken)[0], description="Fixed.", updated_at=(START + timedelta(hours=2)).isoformat())]
    )
    daemon.poll_plays()
    assert daemon.evaluate() == all_steps(broken)  # changed plays: the failed game runs again


def test_combined_dataset_refreshes_once_per_cron_tick_after_any_of_1000_games_changes(resources):
    """Beyond 100 upstream partitions Dagster stops tracking staleness into an unpartitioned
    asset; the dataset's condition reacts to new game materializations instead."""
    games = [f"game-{n:04d}" for n in range(1000)]
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(games_partitions.name, games)
        daemon = Daemon(instance, resources)
        only_dataset = AssetSelection.assets("combined_dataset")

        def tick(after: timedelta) -> bool:
            daemon.now += after
            defs = Definitions(assets=daemon.assets, resources=daemon.resources)
            result = evaluate_automation_conditions(
                defs=defs,
                instance=instance,
                asset_selection=only_dataset,
                cursor=daemon.cursor,
                evaluation_time=daemon.now,
            )
            daemon.cursor = result.cursor
            return result.get_requested_partitions(combined_dataset.key) == {None}

        def games_materialized(keys) -> None:
            for game in keys:
                instance.report_runless_asset_event(AssetMaterialization(game_training_data.key, partition=game))

        assert not tick(timedelta(minutes=1))
        games_materialized(games)  # a backfill of every game finished
        assert not tick(timedelta(minutes=1))  # before the cron tick: wait
        assert tick(timedelta(minutes=15))  # one refresh for 1,000 game runs
        instance.report_runless_asset_event(AssetMaterialization(combined_dataset.key))
        assert not tick(timedelta(minutes=15))  # nothing changed since
        games_materialized(["game-0999"])
        assert not tick(timedelta(minutes=1))
        games_materialized(["game-0500"])
        assert tick(timedelta(minutes=15))  # one game among 1,000 is enough, once


def test_tuned_model_has_no_automation_and_the_others_do():
    by_key = {asset.key: asset for asset in ASSETS}
    assert by_key[tuned_model.key].automation_conditions_by_key.get(tuned_model.key) is None
    for key in (game_plays.key, game_clips.key, game_training_data.key, combined_dataset.key):
        assert by_key[key].automation_conditions_by_key[key] is not None, key
    assert "games changed" in dataset_refresh_condition("*/5 * * * *").get_label()
