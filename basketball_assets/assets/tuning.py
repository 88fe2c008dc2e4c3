"""``tuned_model``: a Gemini model tuned on the combined dataset by a Vertex AI tuning job.

A tuning job costs real money and runs for hours, so this step validates everything it
can before the first call, never starts a second job for the same dataset version and
hyper-parameters (it attaches to the one that exists, or to the one another run is starting:
see tuning_jobs.py), logs the job's progress, and cancels the job if its Dagster run is
terminated and this run created it.
"""

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

from dagster import (
    AssetCheckKey,
    AssetExecutionContext,
    AssetKey,
    Config,
    DagsterExecutionInterruptedError,
    DagsterInstance,
    DataVersion,
    Failure,
    MaterializeResult,
    asset,
)
from pydantic import Field

from basketball_assets.core import tuning
from basketball_assets.core.dataset import SPLITS, clips_changed
from basketball_assets.core.fingerprint import stable_hash
from basketball_assets.core.tuning import DEFAULT_PRICE_PER_MILLION_TRAINING_TOKENS, PollSchedule, TuningSettings
from basketball_assets.policies import DATASET_GROUP
from basketball_assets.resources.registry import ModelRegistry
from basketball_assets.resources.storage import Storage
from basketball_assets.resources.vertex import TRANSIENT_ERRORS, TuningJobStatus, VertexTuning
from basketball_assets.state.clips import current_fingerprints
from basketball_assets.state.combined import CombinedManifest, read_combined_dataset
from basketball_assets.tuning_jobs import ChosenJob, JobRequest, existing_or_new_job
from basketball_assets.tuning_parent import Parent, delta_dataset, parent_problems, resolve_parent
from basketball_assets.tuning_results import (
    DatasetToTune,
    Price,
    card_estimate,
    cost_metadata,
    job_metadata,
    record_in_registry,
    registry_record,
)

#: The asset tuned on (named, not imported: asset modules do not import each other).
COMBINED_DATASET = AssetKey("combined_dataset")
#: Where Dagster keeps a materialization's data version among its tags.
DATA_VERSION_TAG = "dagster/data_version"
#: The asset check on combined_dataset that must have passed before money is spent.
LIMITS_CHECK_NAME = "within_tuning_limits"
#: Consecutive failed status polls (network, 5xx) tolerated before giving up on following a job.
MAX_POLL_ERRORS = 10
#: Changed clips named in a refusal before the rest are only counted.
SHOWN_CLIPS = 10
#: While a job's state does not change, a "still running" line this often (seconds).
HEARTBEAT_S = 30 * 60


class TuningConfig(Config):
    """The tuning step's settings; the defaults are the spec's."""

    base_model: str = Field(default=tuning.DEFAULT_BASE_MODEL, description="Gemini model to tune, e.g. gemini-2.5-pro.")
    epochs: int = Field(default=tuning.DEFAULT_EPOCHS, description="Passes over the training set (positive).")
    learning_rate_multiplier: float = Field(
        default=tuning.DEFAULT_LEARNING_RATE_MULTIPLIER,
        description="Scales Vertex AI's default learning rate (positive).",
    )
    adapter_size: str = Field(
        default=tuning.DEFAULT_ADAPTER_SIZE,
        description="LoRA adapter size: ADAPTER_SIZE_ONE, _TWO, _FOUR, _EIGHT (Gemini 2.5 Pro), _SIXTEEN (Flash).",
    )
    display_name: str = Field(
        default="", description="Tuned model's display name; empty means basketball-plays-{dataset version}."
    )
    service_account: str | None = Field(
        default=None, description="Service account the job runs as; unset means Vertex AI's default."
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Extra labels on the job (lowercase keys and values)."
    )
    poll_initial_seconds: float = Field(
        default=30.0, description="First wait between status polls; grows by half each time."
    )
    poll_max_seconds: float = Field(default=600.0, description="Longest wait between status polls.")
    continue_from: str = Field(
        default="",
        description="Tuned model to continue (Vertex AI continuous tuning) on the plays it has not seen: empty tunes "
        "base_model on the whole dataset; 'champion' is the registry's champion; or a tuned model's resource name "
        "(projects/P/locations/L/models/M@version) from the registry.",
    )
    price_per_million_training_tokens: float | None = Field(
        default=None,
        ge=0,
        description="Price (USD) of one million training tokens, for tuning_cost_usd; unset assumes "
        f"{DEFAULT_PRICE_PER_MILLION_TRAINING_TOKENS:g} (the dataset card's default): check Vertex AI's pricing page.",
    )

    def price(self) -> Price:
        if self.price_per_million_training_tokens is None:
            return Price(DEFAULT_PRICE_PER_MILLION_TRAINING_TOKENS, assumed=True)
        return Price(self.price_per_million_training_tokens, assumed=False)

    def settings(self) -> TuningSettings:
        return TuningSettings(
            base_model=self.base_model,
            epochs=self.epochs,
            learning_rate_multiplier=self.learning_rate_multiplier,
            adapter_size=self.adapter_size,
            display_name=self.display_name,
            service_account=self.service_account,
            labels=dict(self.labels),
        )

    def schedule(self) -> PollSchedule:
        return PollSchedule(
            initial_s=self.poll_initial_seconds, maximum_s=max(self.poll_max_seconds, self.poll_initial_seconds)
        )


# The pool lets an operator queue tuning steps one at a time in the UI (`dagster instance concurrency
# set vertex_tuning 1`); it is not the guard against two jobs: the claim in tuning_jobs.py is, in any
# deployment (a pool limit lives only in the instance database, and in-process runs skip the run queue).
@asset(deps=[COMBINED_DATASET], group_name=DATASET_GROUP, kinds={"vertexai", "gemini"}, pool="vertex_tuning")
def tuned_model(
    context: AssetExecutionContext,
    config: TuningConfig,
    vertex: VertexTuning,
    storage: Storage,
    registry: ModelRegistry,
) -> MaterializeResult:
    """A Gemini model tuned on the latest combined dataset by a Vertex AI supervised tuning job.

    Materialized only on request: a tuning job costs money and hours. Before any call it
    checks the settings, that the dataset is on Cloud Storage (gs://) and that the
    `within_tuning_limits` check passed on it. A job already running or succeeded for the
    same dataset version and hyper-parameters is followed instead of starting another, also
    when runs start together. Terminating the run cancels the job if this run started it.
    Records the job, the tuned model and endpoint, the hyper-parameters, the dataset
    version it was trained on, and the billable tokens and cost beside the dataset card's
    estimate; a succeeded job's row goes to the `tuned_models` registry. With `continue_from`,
    the job continues that tuned model on a delta file of the plays it has not seen.
    """
    parent = resolve_parent(config.continue_from, registry)
    settings = config.settings()
    if parent is not None:
        settings = replace(settings, pre_tuned_model=parent.model_name)
    dataset = dataset_to_tune(context.instance, vertex, storage, settings, parent)
    labels = tuning.job_labels(settings, dataset.version)
    request = JobRequest(settings, dataset.training_uri, dataset.validation_uri, dataset.version, labels)
    schedule = config.schedule()
    chosen = existing_or_new_job(
        context.log, context.instance, context.run_id, vertex, storage, request, schedule.initial_s
    )
    attached = not chosen.created
    job = follow_job(context, vertex, chosen, schedule)
    extra = {**cost_metadata(job, settings, config.price()), **card_estimate(context.instance, COMBINED_DATASET)}
    if job.state != tuning.SUCCEEDED:
        raise Failure(
            description=(
                f"tuning job {job.name} ended {tuning.short_state(job.state)}: "
                f"{job.error or 'Vertex AI gave no error message'}. "
                f"See {tuning.console_url(job.name)}; fix the cause and materialize tuned_model again "
                "(a job that did not succeed is never reused: a new one will start)."
            ),
            metadata=job_metadata(job, settings, dataset, labels, attached, extra),
            allow_retries=False,
        )
    context.log.info(f"tuned model {job.tuned_model} is ready behind endpoint {job.endpoint}")
    record_in_registry(context, registry, registry_record(job, settings, dataset, config.price()))
    return MaterializeResult(
        metadata=job_metadata(job, settings, dataset, labels, attached, extra),
        data_version=DataVersion(stable_hash({"job": job.name, "model": job.tuned_model})),
    )


# --- before any call: what is tuned, and may it be -------------------------------------


def dataset_to_tune(
    instance: DagsterInstance, vertex: VertexTuning, storage: Storage, settings: TuningSettings, parent: Parent | None
) -> DatasetToTune:
    """The dataset to tune on, after every check that needs no call to Vertex AI (with a parent: the
    delta of plays it has not seen, written beside the combined training file)."""
    missing = vertex.missing_settings()
    manifest = read_combined_dataset(storage)
    if manifest is None:
        missing.append("a materialized combined_dataset")
    if missing:
        # Say at once everything a local setup lacks, the gs:// rule included.
        local = tuning.dataset_uri_problems([storage.uri(manifest.files["training"])]) if manifest else []
        raise Failure(
            "tuned_model cannot start a Vertex AI tuning job; it needs: "
            + "; ".join(missing)
            + "".join(f". Also, {p}" for p in local),
            allow_retries=False,
        )
    uris = {split: storage.uri(manifest.files[split]) for split in SPLITS}
    problems = tuning.settings_problems(settings, uris.values())
    if problems:
        raise Failure("tuned_model did not start a tuning job: " + "; ".join(problems), allow_retries=False)
    version, storage_id = latest_dataset_materialization(instance, uris["training"])
    require_limits_check_passed(instance, storage_id)
    require_clips_unchanged(storage, manifest)
    # An empty validation file is not sent: Vertex AI would reject it, and it is optional.
    has_validation = manifest.counts.get("validation", 1) > 0
    dataset = DatasetToTune(
        training_uri=uris["training"],
        validation_uri=uris["validation"] if has_validation else "",
        version=version,
        combined_training_uri=uris["training"],
    )
    if parent is None:
        return dataset
    problems = parent_problems(parent, settings.base_model, version)
    if problems:
        raise Failure("tuned_model did not start a tuning job: " + "; ".join(problems), allow_retries=False)
    delta = delta_dataset(storage, manifest, parent)
    return replace(dataset, training_uri=storage.uri(delta.key), delta_examples=delta.examples, delta_plays=delta.plays)


def latest_dataset_materialization(instance: DagsterInstance, training_uri: str) -> tuple[str, int]:
    """The data version and event id of the combined_dataset materialization that wrote
    the files in storage; fails when the instance has no record of them."""
    records = instance.fetch_materializations(COMBINED_DATASET, limit=1).records
    if not records:
        raise Failure(
            "combined_dataset has no materialization on this Dagster instance, so the dataset version to tune on "
            "is unknown: materialize combined_dataset first",
            allow_retries=False,
        )
    materialization = records[0].asset_materialization
    assert materialization is not None
    recorded = materialization.metadata.get("training_uri")
    recorded_uri = getattr(recorded, "value", recorded)
    if recorded_uri != training_uri:
        raise Failure(
            f"the combined dataset in storage ({training_uri}) is not the one the latest combined_dataset "
            f"materialization recorded ({recorded_uri}): materialize combined_dataset again so the version tuned "
            "on is known",
            allow_retries=False,
        )
    version = materialization.tags.get(DATA_VERSION_TAG) if materialization.tags else None
    if not version:
        raise Failure(
            "the latest combined_dataset materialization has no data version: materialize combined_dataset again",
            allow_retries=False,
        )
    return version, records[0].storage_id


def require_limits_check_passed(instance: DagsterInstance, materialization_id: int) -> None:
    """The limits check must have passed on exactly this materialization."""
    key = AssetCheckKey(COMBINED_DATASET, LIMITS_CHECK_NAME)
    record = instance.get_latest_asset_check_evaluation_record(key)
    evaluation = record.event.asset_check_evaluation if record and record.event else None
    target = evaluation.target_materialization_data if evaluation else None
    if evaluation is None or target is None or target.storage_id != materialization_id:
        raise Failure(
            f"the {LIMITS_CHECK_NAME} check has not run on the latest combined_dataset: run it first "
            "(it runs with every materialization of combined_dataset, or execute the check alone in the UI)",
            allow_retries=False,
        )
    if not evaluation.passed:
        raise Failure(
            f"the {LIMITS_CHECK_NAME} check failed on the latest combined_dataset "
            f"({evaluation.description or 'see its report'}): "
            "fix the dataset and materialize combined_dataset again before tuning",
            allow_retries=False,
        )


def require_clips_unchanged(storage: Storage, manifest: CombinedManifest) -> None:
    """Every clip the dataset references must still be the one it was combined with.

    The dataset's version covers its clips' fingerprints as combined; a clip re-cut since
    (its game re-materialized) is other data under the same URI, which that version and the
    job's labels do not describe. Compared with the games' current clips manifests: one read
    per game, written by game_clips once its clips are stored.
    """
    if manifest.clip_fingerprints is None:
        raise Failure(
            "the combined dataset was written before its clips' fingerprints were recorded, so tuning cannot tell "
            "whether its clips changed since: materialize combined_dataset again",
            allow_retries=False,
        )
    current = current_fingerprints(storage, manifest.clip_fingerprints)
    changed = [
        storage.uri(key)
        for game_id, recorded in sorted(manifest.clip_fingerprints.items())
        for key in clips_changed(recorded, current[game_id])
    ]
    if changed:
        shown = ", ".join(changed[:SHOWN_CLIPS]) + (
            f" and {len(changed) - SHOWN_CLIPS} more" if len(changed) > SHOWN_CLIPS else ""
        )
        raise Failure(
            f"{len(changed)} clips of the combined dataset changed since it was combined (re-cut or removed): {shown}. "
            "Tuning now would train on clips its dataset version does not describe: materialize combined_dataset "
            "again (after game_training_data of their games, if that is stale), then tuned_model",
            allow_retries=False,
        )


# --- the job: find, claim or create (tuning_jobs.py), then follow ----------------------


def follow_job(
    context: AssetExecutionContext, vertex: VertexTuning, chosen: ChosenJob, schedule: PollSchedule
) -> TuningJobStatus:
    """Poll the job with backoff until it finishes, logging each change of state with the
    time elapsed since the job was created. A terminated run cancels the job only if it
    created it; a run that attached stops following and says how to cancel it."""
    log_state(context, chosen.job, changed=True)
    try:
        return poll_until_finished(context, vertex, chosen.job, schedule.delays())
    except (DagsterExecutionInterruptedError, KeyboardInterrupt):
        if chosen.created:
            cancel_on_termination(context, vertex, chosen.job.name)
        else:
            leave_on_termination(context, chosen.job.name)
        raise


def poll_until_finished(
    context: AssetExecutionContext, vertex: VertexTuning, job: TuningJobStatus, delays: Iterator[float]
) -> TuningJobStatus:
    errors, last_log = 0, time.monotonic()
    while not tuning.is_finished(job.state):
        time.sleep(next(delays))
        try:
            latest = vertex.get_job(job.name)
        except TRANSIENT_ERRORS as error:
            errors += 1
            if errors > MAX_POLL_ERRORS:
                raise Failure(
                    f"lost track of tuning job {job.name} after {errors} failed status requests ({error}); the job may "
                    f"still be running: see {tuning.console_url(job.name)}, and materialize tuned_model again to "
                    "attach to it",
                    allow_retries=False,
                ) from error
            context.log.warning(f"status of tuning job {job.name} unavailable ({error}); retrying")
            continue
        errors = 0
        if latest.billable_tokens and not job.billable_tokens:
            context.log.info(
                f"Vertex AI counts {latest.billable_tokens:,} billable tokens in the dataset "
                f"({latest.dataset_examples:,} examples); "
                "training is billed on tokens times epochs: check the Vertex AI pricing page for the price"
            )
        changed = latest.state != job.state
        if changed or time.monotonic() - last_log > HEARTBEAT_S:
            log_state(context, latest, changed)
            last_log = time.monotonic()
        job = latest
    return job


def log_state(context: AssetExecutionContext, job: TuningJobStatus, changed: bool) -> None:
    elapsed = tuning.format_elapsed(seconds_since(job.create_time))
    verb = "is now" if changed else "still"
    context.log.info(f"tuning job {job.name} {verb} {tuning.short_state(job.state)} ({elapsed} since it was created)")


def cancel_on_termination(context: AssetExecutionContext, vertex: VertexTuning, name: str) -> None:
    context.log.warning(
        f"run terminated while following tuning job {name}: cancelling the job so it stops costing money"
    )
    try:
        vertex.cancel_job(name)
    except Exception as error:  # the run is ending anyway: say what to do instead
        context.log.error(
            f"could not cancel tuning job {name} ({error}): cancel it in the console, {tuning.console_url(name)}"
        )
        return
    context.log.info(f"cancellation of tuning job {name} requested")


def leave_on_termination(context: AssetExecutionContext, name: str) -> None:
    # Another run created the job (and may still follow it): stopping to watch cancels nothing.
    context.log.warning(
        f"run terminated while following tuning job {name}, which another run started: the job goes on. "
        f"To stop it (and its cost), cancel it in the console, {tuning.console_url(name)}, or: "
        f"{tuning.cancel_command(name)}"
    )


def seconds_since(iso_time: str) -> float:
    if not iso_time:
        return 0.0
    return max(0.0, (datetime.now(UTC) - datetime.fromisoformat(iso_time)).total_seconds())
