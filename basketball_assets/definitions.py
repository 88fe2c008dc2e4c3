"""The one ``Definitions`` object: assets, checks, sensors and resources for this environment.

The settings are read here, once, from the environment (:meth:`Settings.from_environ`), and
handed to whatever needs them: the resources, the two sensors and the combined dataset's
automation condition.
"""

from dagster import AssetsDefinition, Definitions, in_process_executor, load_asset_checks_from_modules

from basketball_assets import checks, freshness
from basketball_assets.alerts import build_alert_sensors
from basketball_assets.assets.clips import game_clips
from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.assets.evaluation import model_evaluation
from basketball_assets.assets.plays import game_plays, supabase_plays
from basketball_assets.assets.training_data import game_training_data
from basketball_assets.assets.tuning import tuned_model
from basketball_assets.automation import build_automation_sensor, with_dataset_refresh
from basketball_assets.freshness import build_freshness_schedule
from basketball_assets.resources import build_resources
from basketball_assets.sensors import build_plays_sensor
from basketball_assets.settings import Settings


def build_assets(settings: Settings) -> list[AssetsDefinition]:
    """The pipeline's assets, in order, with the combined dataset refreshing on the configured cron."""
    return [
        supabase_plays,
        game_plays,
        game_clips,
        game_training_data,
        with_dataset_refresh(combined_dataset, settings),
        tuned_model,
        model_evaluation,
    ]


def build_definitions(settings: Settings) -> Definitions:
    """The definitions for ``settings``: resources local unless cloud settings are present."""
    return Definitions(
        assets=build_assets(settings),
        asset_checks=load_asset_checks_from_modules([checks, freshness]),
        # Both off until turned on in the UI (Automation tab) or with `dagster sensor start`.
        sensors=[
            build_plays_sensor(settings),
            build_automation_sensor(settings),
            # Slack alerts on failed runs and failed checks: only with SLACK_BOT_TOKEN set, then running.
            *(build_alert_sensors() if settings.use_slack else []),
        ],
        schedules=[build_freshness_schedule(settings)],
        resources=build_resources(settings),
        # A game's steps run one after the other anyway; in one process a run skips a
        # Python start-up per step (seconds each, minutes over a backfill). Pools still apply.
        executor=in_process_executor,
    )


defs = build_definitions(Settings.from_environ())
