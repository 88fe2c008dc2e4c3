"""The tuned-model registry's row shape (core/registry.py): which columns a tuning run owns,
and rows read back from SQLite (JSON as text, 0/1 booleans) and PostgREST (decoded JSON)."""

from basketball_assets.core.registry import EVALUATION_COLUMNS, MODEL_COLUMNS, TunedModelRecord, from_row

JOB = "projects/p/locations/us-central1/tuningJobs/1"
RECORD = TunedModelRecord(
    job_name=JOB,
    model_name="projects/p/locations/us-central1/models/1@1",
    endpoint_name="projects/p/locations/us-central1/endpoints/1",
    base_model="gemini-2.5-pro",
    parent_model="projects/p/locations/us-central1/models/0@1",
    dataset_version="v1",
    training_uri="gs://b/t.jsonl",
    validation_uri="gs://b/v.jsonl",
    hyperparameters={"epochs": 5},
    billable_tokens=1234,
    cost_usd=0.5,
    created_at="2026-11-30T10:00:00+00:00",
)


def test_a_tuning_run_owns_every_column_but_the_evaluations():
    row = RECORD.evaluated({"rouge_l": 0.4}, champion=True).as_row()
    assert set(row) == {*MODEL_COLUMNS, *EVALUATION_COLUMNS}
    assert RECORD.model_row() == {column: row[column] for column in MODEL_COLUMNS}
    assert (row["evaluation"], row["champion"]) == ({"rouge_l": 0.4}, True)
    assert RECORD.model_row()["hyperparameters"] == {"epochs": 5}


def test_evaluating_copies_the_scores_and_leaves_the_record_as_it_was():
    scores = {"rouge_l": 0.4}
    evaluated = RECORD.evaluated(scores, champion=True)
    scores["rouge_l"] = 0.9
    assert (evaluated.evaluation, evaluated.champion) == ({"rouge_l": 0.4}, True)
    assert (RECORD.evaluation, RECORD.champion) == ({}, False)
    assert RECORD.evaluated({}, champion=False) == RECORD


def test_a_sqlite_row_reads_back_with_its_json_text_and_integer_flag():
    row = {**RECORD.as_row(), "hyperparameters": '{"epochs": 5}', "evaluation": '{"rouge_l": 0.4}', "champion": 1}
    assert from_row(row) == RECORD.evaluated({"rouge_l": 0.4}, champion=True)
    assert from_row({**row, "champion": 0}).champion is False


def test_a_postgrest_row_reads_back_with_its_decoded_json():
    assert from_row(RECORD.evaluated({"rouge_l": 0.4}, True).as_row()) == RECORD.evaluated({"rouge_l": 0.4}, True)


def test_null_and_empty_columns_read_as_the_defaults_and_other_columns_are_ignored():
    row = {"job_name": JOB, "model_name": None, "evaluation": "", "hyperparameters": None, "id": 7, "champion": None}
    assert from_row(row) == TunedModelRecord(job_name=JOB)


def test_columns_after_a_null_one_are_still_read():
    row = {"job_name": JOB, "model_name": None, "base_model": "gemini-2.5-pro", "champion": 1}
    assert from_row(row) == TunedModelRecord(job_name=JOB, base_model="gemini-2.5-pro", champion=True)
