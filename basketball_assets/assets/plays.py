"""``game_plays``: one game's rows of the ``plays`` table, validated and snapshotted."""

from collections import Counter

from dagster import AssetExecutionContext, AssetSpec, DataVersion, Failure, MaterializeResult, MetadataValue, asset

from basketball_assets.automation import game_step_condition
from basketball_assets.core.fingerprint import stable_hash
from basketball_assets.core.ids import SAFE_ID_RULE, id_problem, shown_id
from basketball_assets.core.report import markdown_table, rejections_table
from basketball_assets.core.validation import review_plays
from basketball_assets.partitions import games_partitions
from basketball_assets.policies import GAMES_GROUP, TRANSIENT_RETRY
from basketball_assets.resources.plays import PlaysSource
from basketball_assets.resources.storage import Storage
from basketball_assets.state.plays import PlaysSnapshot, write_game_plays

supabase_plays = AssetSpec(
    "supabase_plays",
    partitions_def=games_partitions,
    group_name=GAMES_GROUP,
    kinds={"supabase"},
    description=(
        "The game's rows of the Supabase `plays` table, as the analysts write them. Not "
        "materialized by Dagster: the `supabase_plays_sensor` reports it when a game's rows "
        "change, with a data version that hashes the game's rows, and the game's steps follow."
    ),
)


@asset(
    partitions_def=games_partitions,
    deps=[supabase_plays],
    group_name=GAMES_GROUP,
    kinds={"supabase", "python"},
    code_version="1",
    retry_policy=TRANSIENT_RETRY,
    automation_condition=game_step_condition(),
)
def game_plays(context: AssetExecutionContext, plays_source: PlaysSource, storage: Storage) -> MaterializeResult:
    """The game's plays, read from the `plays` table and validated.

    Rows with an unsafe id, a bad span, an unknown angle, or an empty or overlong description
    are rejected with a reason; duplicate ids keep the row written last. A game partition whose
    key is not a safe id fails at once, before anything is read or written. The accepted plays and rejections
    are stored as a snapshot at `pipeline-state/games/{game_id}/plays.json` in the
    training bucket, which the later steps read. The data version is a hash of the
    snapshot, so a game is stale downstream exactly when its plays changed.
    """
    game_id = context.partition_key
    refuse_unsafe_game_id(game_id)
    rows = plays_source.game_rows(game_id)
    if not rows:
        raise Failure(
            f"game {game_id} has no plays in {plays_source.describe()}: check the game id, "
            "or remove the partition if the game was deleted",
            allow_retries=False,
        )
    review = review_plays(rows)
    for note in review.duplicates:
        context.log.warning(f"game {game_id}: duplicate {note}")
    for rejection in review.rejections:
        context.log.warning(f"game {game_id}: play {shown_id(rejection.play_id)} rejected: {rejection.reason}")

    snapshot = PlaysSnapshot(game_id, review)
    key = write_game_plays(storage, snapshot)
    context.log.info(f"game {game_id}: {len(review.plays)} plays accepted, {len(review.rejections)} rejected")

    angles = Counter(play.angle for play in review.plays)
    return MaterializeResult(
        metadata={
            "plays": len(review.plays),
            "rows_read": len(rows),
            "rejected": len(review.rejections),
            "duplicate_ids": len(review.duplicates),
            "plays_by_angle": dict(sorted(angles.items())),
            "snapshot": MetadataValue.url(storage.uri(key)),
            "source": plays_source.describe(),
            "preview": MetadataValue.md(
                markdown_table(
                    ["play", "start", "end", "half", "angle", "description"],
                    ((p.id, p.start_time, p.end_time, p.half or "", p.angle, p.description[:80]) for p in review.plays),
                    limit=20,
                )
            ),
            "rejections": MetadataValue.md(rejections_table(review.rejections) if review.rejections else "none"),
        },
        data_version=DataVersion(stable_hash(snapshot.to_dict())),
    )


def refuse_unsafe_game_id(game_id: str) -> None:
    """Fail, without retries, when a game partition's key cannot name the game's files.

    Partitions come from the plays sensor, which adds only safe ids, but a person can add one
    in the UI: the key goes into every object key of the game, so it is checked here too.
    """
    problem = id_problem(game_id)
    if problem is not None:
        raise Failure(
            f"game partition {shown_id(game_id)} cannot be a game id: it {problem} ({SAFE_ID_RULE}). Nothing was "
            "read or written: delete the partition in the UI, and fix game_id in the plays table",
            allow_retries=False,
        )
