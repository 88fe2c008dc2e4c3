"""Finding, claiming or creating ``tuned_model``'s Vertex AI tuning job: at most one job per dataset
version and hyper-parameters, however many runs ask at once.

A run attaches to a running or succeeded job with the same identity labels; otherwise it must
win a claim in storage before creating one (:mod:`basketball_assets.core.job_claims` has the
protocol and when a claim may be taken over). This holds whatever the deployment: runs launched
in-process or outside the run queue included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dagster import DagsterInstance, DagsterRunStatus
from google.api_core import exceptions as api_exceptions

from basketball_assets.core import tuning
from basketball_assets.core.job_claims import ClaimState, JobClaim, claim_state, utc_now
from basketball_assets.core.tuning import TuningSettings
from basketball_assets.resources.storage import Storage
from basketball_assets.resources.vertex import TuningJobStatus, VertexTuning
from basketball_assets.state.tuning_claims import TuningClaims

#: Run statuses after which a run will never create a job.
ENDED_RUN_STATUSES = frozenset({DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED})
#: Longest wait between looks at a claim whose run is creating its job.
CLAIM_POLL_MAX_S = 5.0


@dataclass(frozen=True)
class JobRequest:
    """What the job is to tune: the settings, the dataset's files and version, and the job's labels."""

    settings: TuningSettings
    training_uri: str
    validation_uri: str
    version: str
    labels: dict[str, str]


@dataclass(frozen=True)
class ChosenJob:
    """The job a run follows, and whether this run created it (only then may it cancel it)."""

    job: TuningJobStatus
    created: bool


def existing_or_new_job(
    log,
    instance: DagsterInstance,
    run_id: str,
    vertex: VertexTuning,
    storage: Storage,
    request: JobRequest,
    wait_s: float,
) -> ChosenJob:
    """A running or succeeded job of this identity (attached: nothing more is spent), the job
    another run is creating (once it has a name), or a new job if this run wins the claim."""
    identity = tuning.identity_labels(request.labels)
    claims = TuningClaims(storage, vertex.parent, identity)
    waiting_for = None
    while True:
        existing = reusable_job(vertex, identity)
        if existing is not None:
            log.info(attach_message(existing, request))
            return ChosenJob(existing, created=False)
        latest = claims.latest()
        state, job = look_at(latest, instance, vertex, identity)
        if state is ClaimState.FOLLOW:
            log.info(attach_message(job, request))
            return ChosenJob(job, created=False)
        if state is ClaimState.WAIT:
            if waiting_for != latest.number:
                waiting_for = latest.number
                log.info(
                    f"run {latest.run_id} is starting the job of dataset version {request.version}; waiting for it"
                )
            time.sleep(min(wait_s, CLAIM_POLL_MAX_S))
            continue
        claim = claims.take(0 if latest is None else latest.number + 1, run_id, utc_now())
        if claim is not None:
            return ChosenJob(create(log, vertex, claims, claim, request), created=True)
        # Another run won that claim: look again (follow its job, or wait for it).


def reusable_job(vertex: VertexTuning, identity: dict[str, str]) -> TuningJobStatus | None:
    jobs = vertex.find_jobs(identity)
    chosen = tuning.pick_existing((job.name, job.state, job.create_time) for job in jobs)
    return None if chosen is None else next(job for job in jobs if job.name == chosen[0])


def look_at(
    claim: JobClaim | None, instance: DagsterInstance, vertex: VertexTuning, identity: dict[str, str]
) -> tuple[ClaimState, TuningJobStatus | None]:
    """The state of the latest claim, and its job when it is to be followed."""
    if claim is None:
        return ClaimState.OVER, None
    job = None
    if claim.job_name:
        try:
            job = vertex.get_job(claim.job_name)
        except api_exceptions.NotFound:
            job = None
        if job is not None and not tuning.has_labels(job.labels, identity):
            job = None  # a name reused by another job, e.g. a stand-in restarted: not ours
    run = instance.get_run_by_id(claim.run_id)
    run_ended = None if run is None else run.status in ENDED_RUN_STATUSES
    state = claim_state(claim, job.state if job else None, run_ended, utc_now())
    return state, job


def create(log, vertex: VertexTuning, claims: TuningClaims, claim: JobClaim, request: JobRequest) -> TuningJobStatus:
    """Create the job under a won claim, and record its name in the claim for the other runs."""
    settings = request.settings
    display_name = settings.display_name or tuning.default_display_name(request.version)
    job = vertex.create_job(settings, request.training_uri, request.validation_uri, request.labels, display_name)
    claims.record_job(claim, job.name)
    log.info(
        f"started tuning job {job.name}: {settings.base_model}, {settings.epochs} epochs, "
        f"learning rate x{settings.learning_rate_multiplier}, {settings.adapter_size}, on {request.training_uri} "
        f"(dataset version {request.version}). {tuning.console_url(job.name)}"
    )
    return job


def attach_message(job: TuningJobStatus, request: JobRequest) -> str:
    return (
        f"attaching to tuning job {job.name} ({tuning.short_state(job.state)}), which already tunes dataset "
        f"version {request.version} with the same hyper-parameters; no new job is started. "
        f"{tuning.console_url(job.name)}"
    )
