"""The plays sensor: notices new and edited plays and tells Dagster which games changed.

Each tick it reads the plays written since its cursor (with an overlap window, see
``core/changes.py``), and for every game whose plays' hash changed it

* adds the game to the ``games`` partitions when it is new, and
* reports a runless materialization of ``supabase_plays`` for that game, whose data
  version is the hash of the game's rows.

Rows it cannot place (no game id, a game id that is not a safe token, see ``core/ids.py``,
or no readable write time) are counted and named in a warning, and never become partitions.

It requests no runs itself: the ``games_automation`` sensor sees the new
``supabase_plays`` materializations and runs exactly those games' steps. Comparing
hashes with the last reported ones (kept in the instance, not the cursor) makes a lost
or reset cursor harmless: unchanged games are not reported again.

Once an hour (``Settings.plays_full_scan_minutes``) a tick hashes every game of the
table instead: deleted plays and edits that kept their timestamp, which no poll by write
time can see, are reported then. A game partition with no rows left is logged, not
removed: removing a game is a decision for a person, in the UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
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
    PlaysCursor,
    changed_versions,
    detect_changes,
    full_scan_due,
    poll_since,
    read_whole_table,
    rows_by_game,
)
from basketball_assets.core.ids import is_safe_id
from basketball_assets.core.play_rows import plays_data_version
from basketball_assets.partitions import games_partitions
from basketball_assets.resources.plays import PlaysSource
from basketball_assets.settings import Settings

#: Games or bad rows named in a log line before the rest are only counted.
SHOWN_IN_LOG = 20

#: Games asked of the event log at once when looking up their last reported versions.
VERSION_LOOKUP_BATCH = 500

#: The plays sensor's name (the freshness check reads its ticks by it).
PLAYS_SENSOR_NAME = "supabase_plays_sensor"


def table_versions(rows: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, int]]:
    """The data version and play count of every game in ``rows`` (rows without a game, or whose
    game id cannot be a partition, are skipped: the poll reports them)."""
    grouped = rows_by_game(row for row in rows if is_safe_id(row.get("game_id")))
    return {game: (plays_data_version(game_rows), len(game_rows)) for game, game_rows in grouped.items()}


def game_versions(plays_source: PlaysSource, games: Sequence[str]) -> dict[str, tuple[str, int]]:
    """The data version and play count of each of ``games``, from the fewest reads."""
    if read_whole_table(len(games)):
        everything = table_versions(plays_source.rows_written_since(None))
        return {game: everything[game] for game in games if game in everything}
    # A game whose rows were all deleted meanwhile has no rows, so nothing to report.
    return table_versions(row for game in games for row in plays_source.game_rows(game))


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


def change_description(new_rows: int, source: str) -> str:
    if new_rows:
        return f"{new_rows} new or edited rows in {source}"
    return f"plays deleted or edited in place, found by a full scan of {source}"


def plays_events(
    game_id: str, version: str, plays: int, new_rows: int, source: str
) -> list[AssetMaterialization | AssetObservation]:
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
            description=change_description(new_rows, source),
            metadata=metadata,
            tags=tags,
        ),
    ]


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_plays_sensor(
    settings: Settings,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    clock: Callable[[], datetime] = utc_now,
) -> SensorDefinition:
    """The plays sensor, polling every ``settings.plays_sensor_interval_seconds`` with the
    ``settings.plays_overlap`` window, and scanning the whole table every
    ``settings.plays_full_scan_every`` (zero: never)."""
    overlap, full_scan_every = settings.plays_overlap, settings.plays_full_scan_every

    @sensor(
        name=PLAYS_SENSOR_NAME,
        minimum_interval_seconds=settings.plays_sensor_interval_seconds,
        default_status=default_status,
        asset_selection=[supabase_plays.key],
        description=(
            "Polls the plays table for new and edited plays, and scans it whole every "
            "BASKETBALL_PLAYS_FULL_SCAN_MINUTES (default 60) for deleted ones. Adds new games to the `games` "
            "partitions and reports `supabase_plays` "
            "for every game whose plays changed; the `games_automation` sensor then materializes "
            "those games."
        ),
    )
    def supabase_plays_sensor(context: SensorEvaluationContext, plays_source: PlaysSource) -> SensorResult:
        cursor, now = PlaysCursor.from_json(context.cursor), clock()
        rows = plays_source.rows_written_since(poll_since(cursor, overlap))
        changes = detect_changes(rows, cursor, overlap)
        log_bad_rows(context, changes.bad_rows, plays_source.describe())
        full_scan = full_scan_due(cursor, now, full_scan_every)
        next_cursor = (replace(changes.cursor, last_full_scan=now) if full_scan else changes.cursor).to_json()
        if not changes.new_rows and not full_scan:
            return SensorResult(
                cursor=next_cursor, skip_reason=f"no new or edited plays ({changes.rows_read} rows re-read)"
            )

        known = set(context.instance.get_dynamic_partitions(games_partitions.name))
        without_plays: list[str] = []
        if full_scan:
            # A fresh cursor's poll already read every row.
            versions = table_versions(rows if cursor.high_water is None else plays_source.rows_written_since(None))
            without_plays = sorted(known - set(versions))
            log_games_without_plays(context, without_plays, plays_source.describe())
        else:
            versions = game_versions(plays_source, changes.games)
        reported = last_reported_versions(context.instance, versions)
        changed = changed_versions({game: version for game, (version, _) in versions.items()}, reported)
        new_games = sorted(game for game in versions if game not in known)

        new_rows_by_game = rows_by_game(changes.new_rows)
        events = [
            event
            for game, version in changed.items()
            for event in plays_events(
                game, version, versions[game][1], len(new_rows_by_game.get(game, [])), plays_source.describe()
            )
        ]
        scope = f"full scan of {len(versions)} games" if full_scan else f"{len(changes.games)} games"
        summary = (
            f"{len(changes.new_rows)} new or edited rows, {scope}: "
            f"{len(new_games)} new games, {len(changed)} games with changed plays"
            + (f", {len(without_plays)} games with no plays left" if without_plays else "")
        )
        context.log.info(f"{summary}: {', '.join(list(changed)[:SHOWN_IN_LOG])}" if changed else summary)
        return SensorResult(
            asset_events=events,
            dynamic_partitions_requests=[games_partitions.build_add_request(new_games)] if new_games else [],
            cursor=next_cursor,
            skip_reason=summary + ("; games_automation materializes them" if changed else ""),
        )

    return supabase_plays_sensor


def log_games_without_plays(context: SensorEvaluationContext, games: Sequence[str], source: str) -> None:
    """Partitions whose rows were all deleted: named in the log for a person to decide on."""
    if games:
        shown = ", ".join(games[:SHOWN_IN_LOG]) + (
            f" and {len(games) - SHOWN_IN_LOG} more" if len(games) > SHOWN_IN_LOG else ""
        )
        context.log.warning(
            f"{len(games)} game partitions have no plays left in {source}: {shown}. Their last outputs "
            "stay in storage and in combined_dataset; to drop them, delete the partitions in the UI, "
            "then materialize combined_dataset."
        )


def log_bad_rows(context: SensorEvaluationContext, problems: Sequence[str], source: str) -> None:
    """Rows the sensor cannot place (no game id or one that cannot be a partition, no readable
    write time): counted and the first ones named, for a person to fix in the table."""
    if problems:
        shown = "\n".join(f"  {problem}" for problem in problems[:SHOWN_IN_LOG])
        more = f"\n  ... and {len(problems) - SHOWN_IN_LOG} more" if len(problems) > SHOWN_IN_LOG else ""
        context.log.warning(
            f"{len(problems)} rows are ignored (no partition added, nothing reported) until they are fixed "
            f"in {source}:\n{shown}{more}"
        )
