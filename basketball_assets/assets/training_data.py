"""``game_training_data``: a game's training and validation JSONL, one example per clip."""

import json

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from basketball_assets.automation import game_examples_condition
from basketball_assets.core.clips import PlannedClip, within_one_frame
from basketball_assets.core.dataset import SPLITS, game_examples
from basketball_assets.core.examples import example_file_uri, example_problems
from basketball_assets.core.layout import game_jsonl_key, utc_timestamp
from basketball_assets.core.report import markdown_table
from basketball_assets.core.split import DEFAULT_VALIDATION_FRACTION
from basketball_assets.partitions import games_partitions
from basketball_assets.policies import GAMES_GROUP, TRANSIENT_RETRY
from basketball_assets.resources.storage import Storage
from basketball_assets.resources.video import ClipEncoder, VideoUnreadable
from basketball_assets.state.clips import read_game_clips
from basketball_assets.state.plays import read_game_plays
from basketball_assets.state.training_data import TrainingDataManifest, write_training_data

#: Problems listed in a check's table before the rest are only counted.
SHOWN_PROBLEMS = 50


class TrainingDataConfig(Config):
    validation_fraction: float = Field(
        default=DEFAULT_VALIDATION_FRACTION,
        ge=0.0,
        le=1.0,
        description="Share of plays (by hash of the play id) that go to validation.",
    )


@asset(
    partitions_def=games_partitions,
    deps=["game_plays", "game_clips"],
    group_name=GAMES_GROUP,
    kinds={"json"},
    # Its own code version: a change here re-writes the JSONL without re-cutting clips.
    code_version="1",
    retry_policy=TRANSIENT_RETRY,
    automation_condition=game_examples_condition(),
    check_specs=[
        AssetCheckSpec(
            "examples_match_clips",
            asset="game_training_data",
            description=(
                "Every example parses and has the spec's shape, and its clip exists with a "
                "probed duration within one frame of the play."
            ),
        )
    ],
)
def game_training_data(
    context: AssetExecutionContext, config: TrainingDataConfig, storage: Storage, video: ClipEncoder
) -> MaterializeResult:
    """The game's examples in Gemini's tuning JSONL shape, split 80/20 by play id:
    `games/{game_id}/video_training_{timestamp}.jsonl` and
    `games/{game_id}/video_validation_{timestamp}.jsonl` in the training bucket.

    One line per clip: the clip's URI, the prompt, and the play's description as the
    model's answer. A play's split is a hash of its id, so it never moves when plays or
    games are added. The latest files are named in
    `pipeline-state/games/{game_id}/training_data.json`.
    """
    game_id = context.partition_key
    review = read_game_plays(storage, game_id)
    clips = read_game_clips(storage, game_id).clips
    examples = game_examples(review.plays, clips, storage.uri, config.validation_fraction)
    if not any(examples.count(split) for split in SPLITS):
        raise Failure(
            f"game {game_id} has no clips, so no examples: see game_clips' no_rejected_plays check", allow_retries=False
        )

    timestamp = utc_timestamp()
    files = {split: game_jsonl_key(game_id, split, timestamp) for split in SPLITS}
    for split in SPLITS:
        storage.put_text(files[split], "".join(line + "\n" for line in examples.lines[split]))
    counts = {split: examples.count(split) for split in SPLITS}
    write_training_data(storage, TrainingDataManifest(game_id, timestamp, files, counts, config.validation_fraction))
    context.log.info(f"game {game_id}: {counts['training']} training and {counts['validation']} validation examples")

    first = (examples.lines["training"] or examples.lines["validation"])[:2]
    return MaterializeResult(
        metadata={
            "training_examples": counts["training"],
            "validation_examples": counts["validation"],
            "training_plays": len(examples.plays["training"]),
            "validation_plays": len(examples.plays["validation"]),
            "training_file": MetadataValue.url(storage.uri(files["training"])),
            "validation_file": MetadataValue.url(storage.uri(files["validation"])),
            "preview": MetadataValue.md(
                "\n\n".join("```json\n" + json.dumps(json.loads(line), indent=1) + "\n```" for line in first)
            ),
        },
        # Lines and their clips' fingerprints: a re-cut clip is new data under an unchanged line.
        data_version=DataVersion(examples.version()),
        check_results=[examples_match_clips(storage, video, files, clips)],
    )


def examples_match_clips(
    storage: Storage, video: ClipEncoder, files: dict[str, str], clips: list[PlannedClip]
) -> AssetCheckResult:
    """Read the JSONL back from storage and check every line against the game's clips."""
    clip_by_uri = {storage.uri(clip.key): clip for clip in clips}
    problems: list[tuple[str, int, str]] = []
    examples = 0
    for split in SPLITS:
        for number, line in enumerate(storage.iter_lines(files[split]), start=1):
            examples += 1
            problems += [(split, number, problem) for problem in line_problems(line, clip_by_uri, storage, video)]
    return AssetCheckResult(
        check_name="examples_match_clips",
        passed=not problems,
        metadata={
            "examples": examples,
            "problems": len(problems),
            "report": MetadataValue.md(
                markdown_table(["split", "line", "problem"], problems, SHOWN_PROBLEMS) if problems else "none"
            ),
        },
    )


def line_problems(line: str, clip_by_uri: dict[str, PlannedClip], storage: Storage, video: ClipEncoder) -> list[str]:
    """What is wrong with one JSONL line: shape, unknown or missing clip, clip duration."""
    try:
        example = json.loads(line)
    except json.JSONDecodeError as error:
        return [f"not JSON: {error}"]
    shape = example_problems(example)
    if shape:
        return shape
    uri = example_file_uri(example)
    clip = clip_by_uri.get(uri)
    if clip is None:
        return [f"{uri} is not a clip of this game"]
    if not storage.exists(clip.key):
        return [f"clip {uri} is missing from storage"]
    with storage.local_copy(clip.key) as path:
        try:
            probe = video.probe(path)
        except VideoUnreadable as error:
            return [f"clip {uri} cannot be read: {error}"]
    if not within_one_frame(probe.duration, clip.duration, probe.frame_duration):
        return [f"clip {uri} lasts {probe.duration:.3f} s, the play {clip.duration:.3f} s (more than one frame apart)"]
    return []
