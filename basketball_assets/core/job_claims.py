"""Claims on a tuning job: at most one job per dataset version and hyper-parameters, whatever the timing.

Listing the jobs and then creating one leaves a window in which two runs both find none and
both create one (and both are billed). A claim closes it. Before creating, a run creates claim
number ``n`` of the job's identity (its dataset and tuning labels) in storage, atomically and
only if no such object exists yet; exactly one run can win claim ``n``. The winner creates the
job and writes the job's name into its claim (only the owner ever writes to a claim). Every
other run reads the latest claim and follows its job, or waits for the job's name to appear.

A claim is *over*, and the next number may be taken, when:

- its job can no longer succeed (failed, cancelled, expired) or is gone (not found, or not
  carrying the identity labels): a new job is due, as a failed job is never reused;
- it names no job yet and the run that took it has ended (finished, failed or cancelled on
  this Dagster instance), or it is older than :data:`CLAIM_TIMEOUT_S` (the run is unknown to
  this instance, or died without its status being updated). Creating a job answers within
  two minutes, so such a claim belongs to a run that died before or while creating; callers
  list the jobs before asking, so a job that did appear is followed, not duplicated.

Taking over is winning claim ``n + 1``, which again only one run can do: no claim is ever
deleted or rewritten by anyone but its owner, so no compare-and-swap is needed on any backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from basketball_assets.core.tuning import DATASET_LABEL, TUNING_LABEL, is_reusable

#: A claim naming no job yet is over after this long (creating a job answers within 2 minutes).
CLAIM_TIMEOUT_S = 15 * 60

CLAIM_NAME = re.compile(r"claim-(?P<number>\d{6})\.json$")


@dataclass(frozen=True)
class JobClaim:
    """One run's claim to create the job of an identity: its number, the run, when, and the job once created."""

    number: int
    run_id: str
    claimed_at: str
    job_name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobClaim:
        return cls(
            number=int(data["number"]),
            run_id=str(data["run_id"]),
            claimed_at=str(data["claimed_at"]),
            job_name=str(data.get("job_name") or ""),
        )

    def age_s(self, now: datetime) -> float:
        return (now - datetime.fromisoformat(self.claimed_at)).total_seconds()


class ClaimState(Enum):
    """What a run does about the latest claim of the job it wants."""

    FOLLOW = "follow"  # its job is running or succeeded: attach to it
    WAIT = "wait"  # its run is creating the job: wait for the name
    OVER = "over"  # take the next claim and create a job


def claim_state(claim: JobClaim, job_state: str | None, run_ended: bool | None, now: datetime) -> ClaimState:
    """The state of ``claim``. ``job_state`` is its job's state (``None``: gone or not ours);
    ``run_ended`` whether its run has ended (``None``: unknown to this instance)."""
    if claim.job_name:
        return ClaimState.FOLLOW if job_state is not None and is_reusable(job_state) else ClaimState.OVER
    if run_ended or claim.age_s(now) > CLAIM_TIMEOUT_S:
        return ClaimState.OVER
    return ClaimState.WAIT


def claims_folder(parent: str, identity: Mapping[str, str]) -> str:
    """The folder (a key prefix) of one job identity's claims, under the Vertex AI project and region
    (``parent`` is ``projects/P/locations/L``): one bucket may serve several projects."""
    return f"{parent}/{identity[DATASET_LABEL]}-{identity[TUNING_LABEL]}/"


def claim_name(number: int) -> str:
    return f"claim-{number:06d}.json"


def latest_claim_number(keys: Iterable[str]) -> int | None:
    """The highest claim number among the keys of a claims folder; ``None`` when there is none."""
    numbers = [int(match["number"]) for key in keys if (match := CLAIM_NAME.search(key))]
    return max(numbers, default=None)


def utc_now() -> datetime:
    return datetime.now(UTC)
