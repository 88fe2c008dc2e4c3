"""Claims on a tuning job: when a run follows, waits, or takes the next claim."""

from datetime import UTC, datetime, timedelta

import pytest

from basketball_assets.core.job_claims import (
    CLAIM_TIMEOUT_S,
    ClaimState,
    JobClaim,
    claim_name,
    claim_state,
    claims_folder,
    latest_claim_number,
    utc_now,
)
from basketball_assets.core.tuning import DATASET_LABEL, TUNING_LABEL

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
JOB = "projects/p/locations/us-central1/tuningJobs/1"


def claim(job_name: str = "", age_s: float = 10.0) -> JobClaim:
    return JobClaim(
        number=3, run_id="run-1", claimed_at=(NOW - timedelta(seconds=age_s)).isoformat(), job_name=job_name
    )


@pytest.mark.parametrize("state", ["JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED"])
def test_a_claim_whose_job_runs_or_succeeded_is_followed(state):
    assert claim_state(claim(JOB), state, run_ended=True, now=NOW) is ClaimState.FOLLOW


@pytest.mark.parametrize("state", ["JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED", None])
def test_a_claim_whose_job_failed_or_is_gone_is_over(state):
    assert claim_state(claim(JOB), state, run_ended=False, now=NOW) is ClaimState.OVER


def test_a_claim_without_a_job_is_waited_for_while_its_run_lives():
    assert claim_state(claim(), None, run_ended=False, now=NOW) is ClaimState.WAIT
    assert claim_state(claim(), None, run_ended=None, now=NOW) is ClaimState.WAIT


def test_a_claim_without_a_job_is_over_once_its_run_ended():
    assert claim_state(claim(), None, run_ended=True, now=NOW) is ClaimState.OVER


def test_a_claim_without_a_job_is_over_after_the_timeout_whatever_its_run_says():
    old = claim(age_s=CLAIM_TIMEOUT_S + 1)
    assert claim_state(old, None, run_ended=None, now=NOW) is ClaimState.OVER
    assert claim_state(old, None, run_ended=False, now=NOW) is ClaimState.OVER


def test_a_claim_is_over_only_once_older_than_the_timeout():
    assert claim_state(claim(age_s=CLAIM_TIMEOUT_S), None, run_ended=None, now=NOW) is ClaimState.WAIT
    assert claim_state(claim(age_s=CLAIM_TIMEOUT_S + 0.001), None, run_ended=None, now=NOW) is ClaimState.OVER


def test_a_claim_round_trips_through_its_dict():
    assert JobClaim.from_dict(claim(JOB).to_dict()) == claim(JOB)


@pytest.mark.parametrize("job_name", [None, ""])
def test_a_claim_stored_without_a_job_name_names_no_job_and_is_waited_for(job_name):
    stored = {**claim().to_dict(), "job_name": job_name}
    assert JobClaim.from_dict(stored).job_name == ""
    assert claim_state(JobClaim.from_dict(stored), None, run_ended=False, now=NOW) is ClaimState.WAIT
    del stored["job_name"]
    assert JobClaim.from_dict(stored) == claim()


def test_claims_are_kept_per_project_region_and_identity():
    identity = {DATASET_LABEL: "abc", TUNING_LABEL: "def"}
    assert claims_folder("projects/p/locations/l", identity) == "projects/p/locations/l/abc-def/"


def test_the_latest_claim_is_the_highest_number_among_the_claim_files():
    keys = [f"x/{claim_name(n)}" for n in (0, 2, 10)] + ["x/.claim-000011.json.abc.part", "x/notes.txt"]
    assert latest_claim_number(keys) == 10
    assert latest_claim_number([]) is None


def test_now_is_an_aware_utc_time_that_claim_ages_compare_with():
    now = utc_now()
    assert now.utcoffset() == timedelta(0)
    assert JobClaim(1, "run", now.isoformat()).age_s(now) == 0
