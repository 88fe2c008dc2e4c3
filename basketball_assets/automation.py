"""When assets materialize by themselves: the declarative automation conditions.

* The game steps (``game_plays``, ``game_clips``, ``game_training_data``) follow their
  game's plays: when the plays sensor reports a new data version of ``supabase_plays``
  for a game, that game's steps run once, in one run, and no other game's do. A game
  whose run failed waits for a retry from the UI or for its plays to change: no loop.
* ``game_training_data`` also re-runs when its code version changes (new JSONL format),
  without re-running ``game_clips``, whose code version is its own.
* ``combined_dataset`` refreshes after games changed, debounced: at most once per tick of
  a cron schedule, and only once no game run or backfill is in progress, so a backfill
  of 50 games refreshes it once. It reacts to new materializations of the games'
  examples, not to staleness, which Dagster stops tracking across a partitioned to
  unpartitioned edge beyond 100 partitions: it works the same with thousands of games.
* ``tuned_model`` has no condition: tuning costs money and starts only on request.

Conditions are evaluated by the ``games_automation`` sensor, off until turned on. The
cron and the sensor's interval come from :class:`~basketball_assets.settings.Settings`;
``definitions.py`` puts the dataset's condition on ``combined_dataset``.
"""

from __future__ import annotations

from dagster import (
    AssetsDefinition,
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
)

from basketball_assets.settings import Settings

#: The assets the automation sensor evaluates: every asset with a condition.
AUTOMATED_ASSETS = ("game_plays", "game_clips", "game_training_data", "combined_dataset")


def _inputs_updated_after_step() -> AutomationCondition:
    """An input of this game's step was updated after the step's own latest materialization.

    Both sides are timed events (``newly_updated``), so when an input update and the
    step's own materialization land between the same two ticks, the later one wins: an
    edit reported while the game's run was finishing is not swallowed, as it would be by
    ``eager()``'s "since last handled", whose reset also counts the request itself.
    """
    return (
        AutomationCondition.any_deps_match(AutomationCondition.newly_updated())
        .since(AutomationCondition.newly_updated())
        .with_label("inputs updated after this step")
    )


def _inputs_updated_since_request() -> AutomationCondition:
    """An input was updated since the step was last requested: a failed game runs again
    once its plays change (and only then: a failing game is not retried in a loop)."""
    return (
        AutomationCondition.any_deps_updated()
        .since(AutomationCondition.newly_requested())
        .with_label("inputs updated since last request")
    )


def _first_tick_catch_up() -> AutomationCondition:
    """On the sensor's very first tick, the games that nothing else would run: reported by
    the plays sensor before automation was turned on, and never materialized."""
    return (AutomationCondition.initial_evaluation() & AutomationCondition.missing()).with_label("first tick: missing")


def _game_step(*extra_triggers: AutomationCondition) -> AutomationCondition:
    triggers = (
        _inputs_updated_after_step() & (_inputs_updated_since_request() | ~AutomationCondition.execution_failed())
    ).with_label("inputs changed, not a failure already tried")
    for trigger in (
        AutomationCondition.any_deps_match(AutomationCondition.will_be_requested()).with_label(
            "input requested this tick"
        ),
        _first_tick_catch_up(),
        *extra_triggers,
    ):
        triggers = triggers | trigger
    return (
        triggers
        & ~AutomationCondition.any_deps_missing()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    )


def game_step_condition() -> AutomationCondition:
    """A game step runs when its inputs for that game changed: ``eager()``, made race-free.

    Partition by partition, so an edited play in one game requests that game's steps
    only, all in one run. A game whose run failed is not retried by automation until its
    plays change again; retry it from the UI. The retry policy covers transient errors.
    """
    return _game_step().with_label("inputs changed (eager)")


def game_examples_condition() -> AutomationCondition:
    """As :func:`game_step_condition`, and also every game's examples when the step's code version changes."""
    code_changed = AutomationCondition.code_version_changed().since_last_handled().with_label("code version changed")
    return _game_step(code_changed).with_label("inputs or code version changed (eager)")


def dataset_refresh_condition(cron: str) -> AutomationCondition:
    """Refresh once games' examples changed, at most once per cron tick, after the games settle.

    * some game's ``game_training_data`` materialized since the dataset was last requested;
    * a tick of ``cron`` passed since then too (the debounce);
    * no game partition is running or in a backfill, nor requested this very tick (the
      dataset must read the finished files); the dataset itself is not running.
    Missing games do not hold it back: the dataset leaves them out and its
    ``every_game_present`` check names them.
    """
    games_changed = AutomationCondition.any_deps_match(AutomationCondition.newly_updated()).with_label(
        "a game's examples changed"
    )
    games_requested = AutomationCondition.any_deps_match(AutomationCondition.will_be_requested()).with_label(
        "a game is requested this tick"
    )
    return (
        games_changed.since_last_handled()
        & AutomationCondition.cron_tick_passed(cron).since_last_handled().with_label(f"a {cron} tick passed")
        & ~AutomationCondition.any_deps_in_progress()
        & ~games_requested
        & ~AutomationCondition.in_progress()
    ).with_label(f"games changed, debounced to {cron}")


def with_dataset_refresh(dataset: AssetsDefinition, settings: Settings) -> AssetsDefinition:
    """``dataset`` (the combined dataset) with :func:`dataset_refresh_condition` on the configured cron.

    Set here rather than in its ``@asset`` decorator, so that importing the asset reads no settings.
    """
    condition = dataset_refresh_condition(settings.dataset_refresh_cron)
    return dataset.map_asset_specs(lambda spec: spec.replace_attributes(automation_condition=condition))


def build_automation_sensor(
    settings: Settings, default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED
) -> AutomationConditionSensorDefinition:
    """The sensor that evaluates the conditions above, every ``settings.automation_interval_seconds``,
    and launches the runs they request."""
    return AutomationConditionSensorDefinition(
        "games_automation",
        target=AssetSelection.assets(*AUTOMATED_ASSETS),
        minimum_interval_seconds=settings.automation_interval_seconds,
        default_status=default_status,
        description=(
            "Materializes the games whose plays changed (one run per game, or a backfill when "
            "several games change at once) and refreshes combined_dataset afterwards, debounced. "
            "Never starts tuned_model."
        ),
    )
