"""What ``tuned_model`` records of a job: its materialization metadata (cost beside the dataset
card's estimate included) and its row in the tuned-model registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dagster import AssetExecutionContext, AssetKey, DagsterInstance, Failure, MetadataValue

from basketball_assets.core import tuning
from basketball_assets.core.registry import TunedModelRecord
from basketball_assets.core.tuning import TuningSettings
from basketball_assets.core.tuning_stats import cost_basis, tuning_cost
from basketball_assets.resources.registry import ModelRegistry
from basketball_assets.resources.vertex import TuningJobStatus

#: The dataset card's estimate, as combined_dataset's metadata carries it (core/dataset_card.py).
CARD_ESTIMATE_KEYS = ("estimated_training_tokens", "estimated_tuning_cost_usd")


@dataclass(frozen=True)
class DatasetToTune:
    """The dataset a job trains on, and the combined dataset it comes from.

    ``training_uri`` is what the job reads: the combined training file, or the delta cut from it
    when continuing a tuned model; ``combined_training_uri`` is always the combined file (what the
    tuned model has seen in all, and what its registry row records).
    """

    training_uri: str
    validation_uri: str
    version: str
    combined_training_uri: str = ""
    delta_examples: int | None = None
    delta_plays: int | None = None


@dataclass(frozen=True)
class Price:
    """The price per million training tokens, and whether it is only the default assumption."""

    per_million_tokens: float
    assumed: bool


def card_estimate(instance: DagsterInstance, dataset_asset: AssetKey) -> dict[str, Any]:
    """The dataset card's token and cost estimate from the latest combined_dataset metadata."""
    event = instance.get_latest_materialization_event(dataset_asset)
    materialization = event.asset_materialization if event else None
    metadata = materialization.metadata if materialization else {}
    found = {key: getattr(metadata.get(key), "value", None) for key in CARD_ESTIMATE_KEYS}
    return {f"dataset_card_{key}": value for key, value in found.items() if isinstance(value, (int, float))}


def cost_metadata(job: TuningJobStatus, settings: TuningSettings, price: Price) -> dict[str, Any]:
    """Billable tokens and the cost they mean, as numbers the UI plots across materializations."""
    known = job.billable_tokens > 0
    cost = tuning_cost(job.billable_tokens, settings.epochs, price.per_million_tokens) if known else None
    return {
        "billable_tokens": MetadataValue.int(job.billable_tokens) if known else MetadataValue.null(),
        "tuning_cost_usd": MetadataValue.float(round(cost, 4)) if cost is not None else MetadataValue.null(),
        "price_per_million_training_tokens": MetadataValue.float(price.per_million_tokens),
        "tuning_cost_basis": cost_basis(price.per_million_tokens, price.assumed, settings.epochs),
    }


def job_metadata(
    job: TuningJobStatus,
    settings: TuningSettings,
    dataset: DatasetToTune,
    labels: dict[str, str],
    attached: bool,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The materialization's metadata: the job, the model, the dataset, and ``extra`` (cost, estimate)."""
    duration = None
    if job.create_time and job.end_time:
        duration = (datetime.fromisoformat(job.end_time) - datetime.fromisoformat(job.create_time)).total_seconds() / 60
    delta = (
        {"delta_examples": dataset.delta_examples, "delta_plays": dataset.delta_plays}
        if dataset.delta_examples is not None
        else {}
    )
    return {
        "job_name": job.name,
        "job_state": tuning.short_state(job.state),
        "console": MetadataValue.url(tuning.console_url(job.name)),
        "tuned_model": job.tuned_model,
        "endpoint": job.endpoint,
        "base_model": settings.base_model,
        "parent_model": settings.pre_tuned_model,
        "hyperparameters": MetadataValue.json(settings.hyperparameters()),
        "training_dataset_uri": job.training_dataset_uri or dataset.training_uri,
        "validation_dataset_uri": job.validation_dataset_uri or dataset.validation_uri,
        "combined_dataset_data_version": dataset.version,
        **delta,
        "created_at": job.create_time,
        "started_at": job.start_time,
        "ended_at": job.end_time,
        "duration_minutes": MetadataValue.float(round(duration, 2)) if duration is not None else MetadataValue.null(),
        "billable_tokens_in_dataset": job.billable_tokens,
        "dropped_examples": job.dropped.count,
        "attached_to_existing_job": attached,
        "labels": MetadataValue.json(labels),
        **extra,
        **({"job_error": job.error} if job.error else {}),
    }


def registry_record(
    job: TuningJobStatus, settings: TuningSettings, dataset: DatasetToTune, price: Price
) -> TunedModelRecord:
    """The job's row in the tuned-model registry."""
    known = job.billable_tokens > 0
    return TunedModelRecord(
        job_name=job.name,
        model_name=job.tuned_model,
        endpoint_name=job.endpoint,
        base_model=settings.base_model,
        parent_model=settings.pre_tuned_model,
        dataset_version=dataset.version,
        training_uri=dataset.combined_training_uri or dataset.training_uri,
        validation_uri=dataset.validation_uri,
        hyperparameters=settings.hyperparameters(),
        billable_tokens=job.billable_tokens if known else None,
        cost_usd=round(tuning_cost(job.billable_tokens, settings.epochs, price.per_million_tokens), 4)
        if known
        else None,
        created_at=job.create_time,
    )


def record_in_registry(context: AssetExecutionContext, registry: ModelRegistry, record: TunedModelRecord) -> None:
    """Write the job's row; a failure says that materializing again attaches to the job (no new cost)."""
    try:
        registry.record_model(record)
    except Exception as error:
        raise Failure(
            f"tuning job {record.job_name} succeeded, but its row could not be written to {registry.describe()} "
            f"({type(error).__name__}: {error}). Fix the registry (see the README's registry section) and "
            "materialize tuned_model again: it attaches to this job, pays nothing more, and writes the row",
            allow_retries=False,
        ) from error
    context.log.info(f"recorded {record.model_name} in {registry.describe()}")
