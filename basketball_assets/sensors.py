"""The plays sensor: notices new and edited plays and tells Dagster which games changed.

Each tick it reads the plays written since its cursor (with an overlap window, see
``core/changes.py``), and for every game whose plays' hash changed it

* adds the game to the ``games`` partitions when it is new, and
* reports a runless materialization of ``supabase_plays`` for that game, whose data
  version is the hash of the game's rows.

It requests no runs itself: the ``games_automation`` sensor sees the new
``supabase_plays`` materializations and runs exactly those games' steps. Comparing
hashes with the last reported ones (kept in the instance, not the cursor) makes a lost
or reset cursor harmless: unchanged games are not reported again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from dagster import (
    AssetMaterialization,
    AssetObservation,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)
# Not exported by dagster: the tags its own runs use to record a data version.
from dagster._core.definitions.data_version import DATA_VERSION_IS_USER_PROVIDED_TAG, DATA_VERSION_TAG

from basketball_assets.assets.plays import supabase_plays
from basketball_assets.core.changes import (
    DEFAULT_OVERLAP,
    PlaysChanges,
    PlaysCursor,
    changed_versions,
    detect_changes,
    plays_data_version,
    poll_since,
    read_whole_table,
    rows_by_game,
)
from basketball_assets.partitions import games_partitions
from basketball_assets.resources.plays import PlaysSource

#: Seconds between polls of the plays table.
PLAYS_SENSOR_INTERVAL_VARIABLE = "BASKETBALL_PLAYS_SENSOR_INTERVAL_SECONDS"
DEFAULT_PLAYS_SENSOR_INTERVAL_SECONDS = 60
#: Seconds re-read before the newest write seen, for rows committed late.
PLAYS_OVERLAP_VARIABLE = "BASKETBALL_PLAYS_OVERLAP_SECONDS"

#: Games asked of the event log at once when looking up their last reported versions.
VERSION_LOOKUP_BATCH = 500


def plays_sensor_interval_seconds(environ: Mapping[str, str] = os.environ) -> int:
    return int(environ.get(PLAYS_SENSOR_INTERVAL_VARIABLE) or DEFAULT_PLAYS_SENSOR_INTERVAL_SECONDS)


def plays_overlap(environ: Mapping[str, str] = os.environ) -> timedelta:
    seconds = environ.get(PLAYS_OVERLAP_VARIABLE)
    return timedelta(seconds=float(seconds)) if seconds else DEFAULT_OVERLAP


def game_versions(plays_source: PlaysSource, changes: PlaysChanges, fresh: bool, rows: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, int]]:
    """The data version and play count of every changed game, from the fewest reads."""
    if read_whole_table(len(changes.games), fresh):
        everything = rows if fresh else plays_source.rows_written_since(None)
        grouped = rows_by_game(everything)
        games = {game: grouped.get(game, []) for game in changes.games}
    else:
        games = {game: plays_source.game_rows(game) for game in changes.games}
    # A game whose rows were all deleted meanwhile has nothing to report.
    return {game: (plays_data_version(game_rows), len(game_rows)) for game, game_rows in games.items() if game_rows}


def last_reported_versions(instance: DagsterInstance, games: Iterable[str]) -> dict[str, str | None]:
    """The data version last reported for each game's ``supabase_plays``, from the event log."""
    games = list(games)
    reported: dict[str, str | None] = {}
    for start in range(0, len(games), VERSION_LOOKUP_BATCH):
        batch = games[start : start + VERSION_LOOKUP_BATCH]
        tags = instance.event_log_storage.get_latest_tags_by_partition(
            supabase_plays.key, DagsterEventType.ASSET_MATERIALIZATION, [DATA_VERSION_TAG], asset_partitions=batch
        )
        reported.update({game: tags.get(game, {}).get(DATA_VERSION_TAG) for game in batch})
    return reported


def plays_events(game_id: str, version: str, plays: int, new_rows: int, source: str) -> list[AssetMaterialization | AssetObservation]:
    """The runless events that report one game's ``supabase_plays`` at ``version``.

    The materialization is what declarative automation reacts to (``newly_updated``);
    the observation carries the same data version for the UI's staleness, which Dagster
    reads from observations for external assets. Together: the game's steps run, and
    until they do, they show as stale.
    """
    tags = {DATA_VERSION_TAG: version, DATA_VERSION_IS_USER_PROVIDED_TAG: "true"}
    metadata = {"plays": plays, "new_or_edited_rows": new_rows, "source": source}
    # The observation goes first: a run records the materialization's storage id as the
    # input it read, so an observation after that id would make a fresh game look stale.
    return [
        AssetObservation(asset_key=supabase_plays.key, partition=game_id, metadata=metadata, tags=tags),
        AssetMaterialization(
            asset_key=supabase_plays.key,
            partition=game_id,
            description=f"{new_rows} new or edited rows in {source}",
            metadata=metadata,
            tags=tags,
        ),
    ]


def build_plays_sensor(
    minimum_interval_seconds: int | None = None,
    overlap: timedelta | None = None,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
) -> SensorDefinition:
    """The plays sensor, polling every ``minimum_interval_seconds`` with an ``overlap`` window."""
    overlap = overlap if overlap is not None else plays_overlap()

    @sensor(
        name="supabase_plays_sensor",
        minimum_interval_seconds=minimum_interval_seconds or plays_sensor_interval_seconds(),
        default_status=default_status,
        asset_selection=[supabase_plays.key],
        description=(
            "Polls the plays table for new and edited plays. Adds new games to the `games` "
            "partitions and reports `supabase_plays` for every game whose plays changed; the "
            "`games_automation` sensor then materializes those games."
        ),
    )
    def supabase_plays_sensor(context: SensorEvaluationContext, plays_source: PlaysSource) -> SensorResult:
        cursor = PlaysCursor.from_json(context.cursor)
        rows = plays_source.rows_written_since(poll_since(cursor, overlap))
        changes = detect_changes(rows, cursor, overlap)
        for problem in changes.bad_rows[:20]:
            context.log.warning(f"{problem} in {plays_source.describe()}: fix the row; it is ignored until then")
        next_cursor = changes.cursor.to_json()
        if not changes.new_rows:
            return SensorResult(cursor=next_cursor, skip_reason=f"no new or edited plays ({changes.rows_read} rows re-read)")

        versions = game_versions(plays_source, changes, cursor.high_water is None, rows)
        reported = last_reported_versions(context.instance, versions)
        changed = changed_versions({game: version for game, (version, _) in versions.items()}, reported)
        known = set(context.instance.get_dynamic_partitions(games_partitions.name))
        new_games = sorted(game for game in versions if game not in known)

        new_rows_by_game = rows_by_game(changes.new_rows)
        events = [
            event
            for game, version in changed.items()
            for event in plays_events(game, version, versions[game][1], len(new_rows_by_game.get(game, [])), plays_source.describe())
        ]
        summary = (
            f"{len(changes.new_rows)} new or edited rows in {len(changes.games)} games: "
            f"{len(new_games)} new games, {len(changed)} games with changed plays"
        )
        context.log.info(f"{summary}: {', '.join(list(changed)[:20])}")
        return SensorResult(
            asset_events=events,
            dynamic_partitions_requests=[games_partitions.build_add_request(new_games)] if new_games else [],
            cursor=next_cursor,
            skip_reason=summary + "; games_automation materializes them",
        )

    return supabase_plays_sensor


supabase_plays_sensor = build_plays_sensor()
