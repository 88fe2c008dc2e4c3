"""``tuning-claims/``: which run creates the tuning job of a dataset version and hyper-parameters.

``pipeline-state/tuning-claims/projects/{project}/locations/{location}/{dataset}-{tuning}/claim-NNNNNN.json``,
one file per claim (see :mod:`basketball_assets.core.job_claims` for the protocol). Written by
``tuned_model``; a claim file is created once, exclusively, and then only its owner adds the job's name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from basketball_assets.core.job_claims import JobClaim, claim_name, claims_folder, latest_claim_number
from basketball_assets.resources.storage import Storage
from basketball_assets.state.files import state_key


class TuningClaims:
    """The claims of one job identity in storage."""

    def __init__(self, storage: Storage, parent: str, identity: Mapping[str, str]) -> None:
        self.storage = storage
        self.folder = state_key("tuning-claims/" + claims_folder(parent, identity))

    def key(self, number: int) -> str:
        return self.folder + claim_name(number)

    def latest(self) -> JobClaim | None:
        """The claim with the highest number, or ``None`` before the first."""
        number = latest_claim_number(self.storage.list_keys(self.folder))
        if number is None:
            return None
        return JobClaim.from_dict(self.storage.read_json(self.key(number)))

    def take(self, number: int, run_id: str, now: datetime) -> JobClaim | None:
        """Claim ``number`` for ``run_id``; ``None`` if another run has it."""
        claim = JobClaim(number=number, run_id=run_id, claimed_at=now.isoformat())
        if self.storage.put_text_if_absent(self.key(number), json.dumps(claim.to_dict(), sort_keys=True) + "\n"):
            return claim
        # A retried creation can find its own first attempt: the claim is ours if it names this run.
        existing = JobClaim.from_dict(self.storage.read_json(self.key(number)))
        return existing if existing.run_id == run_id and not existing.job_name else None

    def record_job(self, claim: JobClaim, job_name: str) -> JobClaim:
        """Write the created job's name into the claim (only its owner calls this)."""
        recorded = JobClaim(claim.number, claim.run_id, claim.claimed_at, job_name)
        self.storage.put_json(self.key(claim.number), recorded.to_dict())
        return recorded
