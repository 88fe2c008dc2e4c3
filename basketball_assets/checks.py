"""Asset checks on the combined dataset (what must hold before anyone tunes on it) and on the
tuned model (what Vertex AI did with the dataset).

The per-game checks run inside the game steps (``check_specs``), since they judge
what that step just wrote."""

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    Config,
    DagsterInstance,
    MetadataValue,
    asset_check,
)
from dagster._core.definitions.data_version import DATA_VERSION_TAG
from pydantic import Field

from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.assets.tuning import tuned_model
from basketball_assets.core.dataset import SPLITS, line_digest
from basketball_assets.core.dataset_card import DEFAULT_CHARACTERS_PER_TOKEN, DEFAULT_TOKENS_PER_CLIP_SECOND
from basketball_assets.core.examples import example_file_uri
from basketball_assets.core.layout import clip_of_uri
from basketball_assets.core.report import markdown_table
from basketball_assets.core.tuning import DEFAULT_BASE_MODEL
from basketball_assets.core.tuning_limits import (
    LimitProblem,
    LimitsReport,
    TuningLimits,
    check_limits,
    max_example_tokens,
)
from basketball_assets.core.tuning_stats import SHOWN_DROPPED, dropped_message
from basketball_assets.partitions import games_partitions
from basketball_assets.resources.storage import Storage
from basketball_assets.resources.vertex import VertexTuning
from basketball_assets.state.clips import clip_facts_in
from basketball_assets.state.combined import read_combined_dataset
from basketball_assets.state.delta import key_of_uri

#: Play ids listed in a check's metadata before the rest are only counted.
SHOWN_PROBLEMS = 50
#: Recent combined_dataset materializations searched for the one a tuned model was trained on.
LEDGER_LOOKBACK = 200


def combined_lines(storage: Storage, split: str) -> Iterator[str]:
    manifest = read_combined_dataset(storage)
    if manifest is not None:
        yield from storage.iter_lines(manifest.files[split])


@asset_check(asset=combined_dataset, blocking=True)
def splits_are_disjoint(storage: Storage) -> AssetCheckResult:
    """No play has examples in both training and validation (no leakage)."""
    plays_by_split: dict[str, set[str]] = defaultdict(set)
    for split in SPLITS:
        for line in combined_lines(storage, split):
            plays_by_split[split].add(play_of_uri(example_file_uri(json.loads(line))))
    both = sorted(plays_by_split["training"] & plays_by_split["validation"])
    return AssetCheckResult(
        passed=not both,
        metadata={
            "training_plays": len(plays_by_split["training"]),
            "validation_plays": len(plays_by_split["validation"]),
            "plays_in_both": MetadataValue.json(both[:SHOWN_PROBLEMS]),
        },
    )


@asset_check(asset=combined_dataset, blocking=True)
def no_duplicate_examples(storage: Storage) -> AssetCheckResult:
    """No line appears twice in a combined file; reports the examples per split."""
    counts, duplicates = {}, {}
    for split in SPLITS:
        seen: set[bytes] = set()
        counts[split], duplicates[split] = 0, 0
        for line in combined_lines(storage, split):
            counts[split] += 1
            digest = line_digest(line)
            duplicates[split] += digest in seen
            seen.add(digest)
    return AssetCheckResult(
        passed=not any(duplicates.values()) and counts.get("training", 0) > 0,
        metadata={
            "training_examples": counts["training"],
            "validation_examples": counts["validation"],
            "duplicate_lines": sum(duplicates.values()),
        },
    )


@asset_check(asset=combined_dataset)
def every_game_present(context: AssetCheckExecutionContext, storage: Storage) -> AssetCheckResult:
    """Every game partition contributed to the combined dataset."""
    games = set(context.instance.get_dynamic_partitions(games_partitions.name))
    manifest = read_combined_dataset(storage)
    included = manifest.games if manifest else []
    absent = sorted(games - set(included))
    return AssetCheckResult(
        passed=not absent,
        metadata={"games": len(games), "games_included": len(included), "games_absent": MetadataValue.json(absent)},
    )


class TuningLimitsConfig(Config):
    """Settings of the ``within_tuning_limits`` check."""

    min_training_examples: int = Field(default=16, description="Fewest training examples worth a tuning job.")
    base_model: str = Field(
        default=DEFAULT_BASE_MODEL, description="The model to be tuned: its maximum of tokens per example applies."
    )
    tokens_per_clip_second: float = Field(
        default=DEFAULT_TOKENS_PER_CLIP_SECOND,
        gt=0,
        description="Assumed tokens per second of clip (the dataset card's assumption), to estimate each example.",
    )
    characters_per_token: float = Field(
        default=DEFAULT_CHARACTERS_PER_TOKEN, gt=0, description="Assumed characters per text token (as the card)."
    )

    def limits(self) -> TuningLimits:
        return TuningLimits(
            min_training_examples=self.min_training_examples,
            max_example_tokens=max_example_tokens(self.base_model),
            base_model=self.base_model,
            tokens_per_clip_second=self.tokens_per_clip_second,
            characters_per_token=self.characters_per_token,
        )


# Not blocking: a dataset below the limits is still a sound dataset of what exists (a
# project's first games are always "too few"), and an automated refresh must not fail
# for it. The guard is where the money is: `tuned_model` refuses unless this passed.
@asset_check(asset=combined_dataset)
def within_tuning_limits(config: TuningLimitsConfig, storage: Storage) -> AssetCheckResult:
    """Vertex AI's documented tuning limits, checked before any money is spent: the JSONL
    shape, every example's clip present, each clip at most 100 MB and 5 minutes, each
    example at most 131,072 tokens (clip seconds and text, estimated as the dataset card
    does; the offending plays are named), at most 5,000 validation examples, at least
    `min_training_examples` training examples.
    `tuned_model` refuses to start a job unless this passed on the latest dataset. Too few
    examples alone is a warning; any other problem is an error."""
    report = dataset_limits_report(storage, config.limits())
    rows = ((p.split, p.line or "", p.clip, p.problem) for p in report.problems)
    return AssetCheckResult(
        passed=report.passed,
        severity=AssetCheckSeverity.WARN if report.only_too_small else AssetCheckSeverity.ERROR,
        description=report.summary(),
        metadata={
            "training_examples": report.examples.get("training", 0),
            "validation_examples": report.examples.get("validation", 0),
            "clips_checked": report.clips_checked,
            "problems": len(report.problems),
            "report": MetadataValue.md(
                markdown_table(["split", "line", "clip", "problem"], rows, limit=SHOWN_PROBLEMS)
            ),
        },
    )


def dataset_limits_report(storage: Storage, limits: TuningLimits) -> LimitsReport:
    """Check the latest combined dataset against Vertex AI's documented tuning limits.

    Clip durations come from the games' clips manifests (what game_clips cut); sizes and
    presence from storage.
    """
    manifest = read_combined_dataset(storage)
    if manifest is None:
        report = LimitsReport()
        problem = "no combined dataset yet: materialize combined_dataset"
        report.problems.append(LimitProblem("training", None, "", problem))
        return report
    files = manifest.files
    return check_limits(
        {split: storage.iter_lines(files[split]) for split in SPLITS},
        clip_facts_in(storage, manifest.games),
        limits,
        file_sizes={split: storage.size(files[split]) for split in SPLITS if storage.exists(files[split])},
    )


def play_of_uri(uri: str) -> str:
    """The play id of a clip URI; a URI that names no clip stands for itself."""
    clip = clip_of_uri(uri)
    return clip.play_id if clip else uri


# --- on tuned_model ------------------------------------------------------------------


@asset_check(asset=tuned_model)
def no_examples_dropped(
    context: AssetCheckExecutionContext, vertex: VertexTuning, storage: Storage
) -> AssetCheckResult:
    """Vertex AI trained on every example: the job's `tuning_data_stats` report no dropped or
    truncated example. Fails with the reasons Vertex AI gave, each dropped line named by its
    game and play. Asks Vertex AI for the job (a free status call), never starts one."""
    event = context.instance.get_latest_materialization_event(tuned_model.key)
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    job_name = getattr(metadata.get("job_name"), "value", None)
    if not job_name:
        return AssetCheckResult(passed=False, description="tuned_model has no job yet: materialize tuned_model")
    job = vertex.get_job(job_name)
    training_uri = job.training_dataset_uri or str(getattr(metadata.get("training_dataset_uri"), "value", ""))
    result_metadata = {
        "job_name": job_name,
        "dataset_examples": job.dataset_examples,
        "billable_tokens": job.billable_tokens,
        "dropped_examples": job.dropped.count,
        "dropped_example_reasons": MetadataValue.json(list(job.dropped.reasons[:SHOWN_PROBLEMS])),
    }
    if not job.dropped.any:
        return AssetCheckResult(passed=True, metadata=result_metadata)
    lines = training_lines_at(storage, training_uri, set(job.dropped.indices[:SHOWN_DROPPED]))
    return AssetCheckResult(
        passed=False,
        severity=AssetCheckSeverity.ERROR,
        description=dropped_message(job.dropped, training_uri, lines),
        metadata=result_metadata,
    )


def training_lines_at(storage: Storage, uri: str, indices: set[int]) -> dict[int, str]:
    """The lines at 1-based ``indices`` of the training file at ``uri`` (none when it is elsewhere)."""
    key = key_of_uri(storage, uri)
    if not indices or key is None or not storage.exists(key):
        return {}
    last = max(indices)
    found = {}
    for number, line in enumerate(storage.iter_lines(key), start=1):
        if number in indices:
            found[number] = line
        if number >= last:
            break
    return found


#: An actual tuning cost this many times the card's estimate, or more, is a warning.
COST_OVERRUN = 1.5


@asset_check(asset=tuned_model)
def tuning_cost_ledger(context: AssetCheckExecutionContext) -> AssetCheckResult:
    """The tuned model's cost ledger: the tuning job's actual cost (`tuning_cost_usd`) plus the
    compute and storage of the combined dataset it was trained on (that dataset's ledger). A
    warning when the job cost more than 1.5x the dataset card's estimate: check the card's
    assumptions (price, tokens per clip second) before the next job."""
    tuned = latest_metadata(context.instance, tuned_model.key)
    version = tuned.get("combined_dataset_data_version")
    dataset = dataset_metadata(context.instance, str(version)) if version else {}
    ledger = tuned_model_ledger(tuned, dataset)
    if "tuning_cost_usd" not in tuned:
        return AssetCheckResult(passed=True, description="no tuning job has recorded its actual cost yet")
    estimate = ledger["estimated_tuning_cost_usd"]
    over = estimate > 0 and ledger["tuning_cost_usd"] > COST_OVERRUN * estimate
    return AssetCheckResult(
        passed=not over,
        severity=AssetCheckSeverity.WARN,
        description=(
            f"the tuning job cost {ledger['tuning_cost_usd']:.2f} USD, the dataset card estimated {estimate:.2f} USD: "
            "set combined_dataset's cost assumptions to today's figures"
            if over
            else f"{ledger['ledger_total_usd']:.2f} USD in all for this tuned model"
        ),
        metadata=ledger,
    )


def latest_metadata(instance: DagsterInstance, key: AssetKey) -> dict[str, Any]:
    """The plain values of the asset's latest materialization's metadata; empty when none."""
    event = instance.get_latest_materialization_event(key)
    materialization = event.asset_materialization if event else None
    return {name: value.value for name, value in materialization.metadata.items()} if materialization else {}


def dataset_metadata(instance: DagsterInstance, data_version: str) -> dict[str, Any]:
    """The metadata of the newest combined_dataset materialization with this data version."""
    for record in instance.fetch_materializations(combined_dataset.key, limit=LEDGER_LOOKBACK).records:
        materialization = record.asset_materialization
        if materialization and materialization.tags.get(DATA_VERSION_TAG) == data_version:
            return {name: value.value for name, value in materialization.metadata.items()}
    return {}


def tuned_model_ledger(tuned: dict[str, Any], dataset: dict[str, Any]) -> dict[str, float]:
    """The per-tuned-model sum: the dataset's compute and storage estimates and the job's actual cost."""

    def figure(metadata: dict[str, Any], key: str) -> float:
        value = metadata.get(key)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0

    parts = {
        "dataset_compute_usd_estimate": figure(dataset, "ledger_compute_usd_estimate"),
        "dataset_storage_usd_per_month_estimate": figure(dataset, "ledger_storage_usd_per_month_estimate"),
        "tuning_billable_tokens": figure(tuned, "billable_tokens"),
        "tuning_cost_usd": figure(tuned, "tuning_cost_usd"),
        "estimated_tuning_cost_usd": figure(dataset, "estimated_tuning_cost_usd"),
    }
    total = parts["dataset_compute_usd_estimate"] + parts["dataset_storage_usd_per_month_estimate"]
    return parts | {"ledger_total_usd": round(total + parts["tuning_cost_usd"], 6)}
