"""The one ``Definitions`` object: assets, checks, sensors and resources for this environment."""

import os
from collections.abc import Mapping

from dagster import Definitions, in_process_executor, load_asset_checks_from_modules

from basketball_assets import checks
from basketball_assets.automation import build_automation_sensor
from basketball_assets.assets.clips import game_clips
from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.assets.plays import game_plays, supabase_plays
from basketball_assets.assets.training_data import game_training_data
from basketball_assets.assets.tuning import tuned_model
from basketball_assets.resources import resources_from_environment
from basketball_assets.sensors import supabase_plays_sensor



def build_definitions(environ: Mapping[str, str] = os.environ) -> Definitions:
    """The definitions with resources chosen from ``environ`` (local unless cloud settings)."""
    return Definitions(
        assets=[supabase_plays, game_plays, game_clips, game_training_data, combined_dataset, tuned_model],
        asset_checks=load_asset_checks_from_modules([checks]),
        # Both off until turned on in the UI (Automation tab) or with `dagster sensor start`.
        sensors=[supabase_plays_sensor, build_automation_sensor()],
        resources=resources_from_environment(environ),
        # A game's steps run one after the other anyway; in one process a run skips a
        # Python start-up per step (seconds each, minutes over a backfill). Pools still apply.
        executor=in_process_executor,
    )


defs = build_definitions()
