"""SupabaseModelRegistry: deploy/supabase/tuned_models.sql applied to the real PostgreSQL, and the
rows written and read through the real PostgREST with the real supabase-py client, as the service
role (the only role its row-level security admits)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from basketball_assets.core.registry import TunedModelRecord
from basketball_assets.resources import build_registry
from basketball_assets.resources.registry import RegistryError, SupabaseModelRegistry
from basketball_assets.settings import Settings
from basketball_assets_tests.services.postgrest import signed_jwt
from basketball_assets_tests.services.supabase import SupabaseServer

pytestmark = pytest.mark.services

SQL = Path(__file__).resolve().parents[2] / "deploy" / "supabase" / "tuned_models.sql"
#: Supabase's other two API roles, which the stand-in's database lacks until this module adds them.
ROLES = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
END $$;
GRANT service_role TO authenticator;
GRANT authenticated TO authenticator;
GRANT USAGE ON SCHEMA public TO service_role, authenticated;
"""


def key_for(server: SupabaseServer, role: str) -> str:
    now = int(time.time())
    return signed_jwt({"iss": "supabase", "role": role, "iat": now, "exp": now + 3600}, server.postgrest.jwt_secret)


@pytest.fixture(scope="module")
def applied(supabase_server: SupabaseServer) -> SupabaseServer:
    # service_role here has no BYPASSRLS (Supabase's has), so the file's policies are what let it in.
    supabase_server.sql(ROLES)
    supabase_server.sql(SQL.read_text())
    supabase_server.sql(SQL.read_text())  # applying it again is harmless
    wait_for_the_table(SupabaseModelRegistry(url=supabase_server.url, key=key_for(supabase_server, "service_role")))
    return supabase_server


def wait_for_the_table(registry: SupabaseModelRegistry, timeout_s: float = 20.0) -> None:
    """Until PostgREST's schema cache has the table (it reloads on the file's NOTIFY); the anon
    key the stand-in's own wait uses is refused here, by design."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            registry.models()
            return
        except RegistryError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def registry(applied: SupabaseServer) -> SupabaseModelRegistry:
    applied.sql("DELETE FROM tuned_models")
    return SupabaseModelRegistry(url=applied.url, key=key_for(applied, "service_role"))


def record(number: str, **fields) -> TunedModelRecord:
    return replace(
        TunedModelRecord(
            job_name=f"projects/p/locations/us-central1/tuningJobs/{number}",
            model_name=f"projects/p/locations/us-central1/models/tuned-{number}@1",
            endpoint_name=f"projects/p/locations/us-central1/endpoints/{number}",
            base_model="gemini-2.5-pro",
            dataset_version="abc123",
            training_uri="gs://b/cumulative-execution-1/combined_training.jsonl",
            validation_uri="gs://b/cumulative-execution-1/combined_validation.jsonl",
            hyperparameters={"epochs": 5, "adapter_size": "ADAPTER_SIZE_ONE"},
            billable_tokens=123_456,
            cost_usd=15.432,
            created_at=f"2026-11-0{number}T12:00:00+00:00",
        ),
        **fields,
    )


def test_a_row_lands_in_postgresql_and_reads_back_as_written(registry, applied):
    written = record("1", parent_model="projects/p/locations/us-central1/models/tuned-0@1")
    registry.record_model(written)
    assert registry.get(written.job_name) == written
    (row,) = applied.sql("SELECT billable_tokens, hyperparameters->>'epochs', champion FROM tuned_models")
    assert row == (123_456, "5", False)
    assert registry.get("projects/p/locations/us-central1/tuningJobs/none") is None


def test_a_rerun_updates_its_own_row_and_keeps_the_evaluation(registry):
    registry.record_model(record("1"))
    registry.record_evaluation(record("1").job_name, {"rouge_l": 0.41}, champion=True)
    registry.record_model(record("1", cost_usd=6.17))
    (row,) = registry.models()
    assert row.cost_usd == 6.17 and row.evaluation == {"rouge_l": 0.41} and row.champion


def test_one_champion_at_a_time(registry, applied):
    for number in ("1", "2", "3"):
        registry.record_model(record(number))
    registry.record_evaluation(record("1").job_name, {"rouge_l": 0.3}, champion=True)
    registry.record_evaluation(record("2").job_name, {"rouge_l": 0.4}, champion=True)
    registry.record_evaluation(record("3").job_name, {"rouge_l": 0.2}, champion=False)
    assert [row.champion for row in registry.models()] == [False, True, False]
    assert registry.champion().job_name == record("2").job_name
    with pytest.raises(Exception, match="tuned_models_one_champion"):
        applied.sql("UPDATE tuned_models SET champion = true")  # the table itself refuses a second


def test_an_unknown_job_cannot_be_evaluated(registry):
    with pytest.raises(KeyError, match="no tuned model with job"):
        registry.record_evaluation("projects/p/locations/l/tuningJobs/404", {}, champion=True)


def test_the_anon_key_can_neither_write_nor_read_the_table(registry, applied):
    registry.record_model(record("1"))
    anon = SupabaseModelRegistry(url=applied.url, key=applied.key)
    with pytest.raises(RegistryError, match="service-role key") as refused:
        anon.record_model(record("2"))
    assert applied.key not in str(refused.value)
    with pytest.raises(RegistryError):
        anon.models()
    assert [row.job_name for row in registry.models()] == [record("1").job_name]


def test_supabase_settings_choose_the_supabase_registry():
    assert isinstance(build_registry(Settings(use_supabase=True)), SupabaseModelRegistry)
