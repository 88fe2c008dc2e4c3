"""``model_evaluation`` for real: the real ``PredictionServiceClient`` (REST, anonymous credentials)
against the local stand-in's ``generateContent``, on a small validation JSONL in a local folder
named with gs:// URIs (the stand-in never fetches a clip, so no video pipeline runs here).

The tuned models are recorded as ``tuned_model`` materializations with the metadata keys a
tuning job writes; each test has its own storage and registry, the stand-in is shared."""

import signal
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetCheckSeverity,
    AssetMaterialization,
    DagsterInstance,
    ExecuteInProcessResult,
    Failure,
    MaterializeResult,
    build_asset_context,
    materialize,
)

from basketball_assets.assets.evaluation import EvaluationConfig, model_evaluation
from basketball_assets.core.examples import example_line
from basketball_assets.core.registry import TunedModelRecord
from basketball_assets.resources import LocalModelRegistry, LocalStorage
from basketball_assets.resources.prediction import VertexPrediction
from basketball_assets.resources.storage import check_key
from basketball_assets_tests.services.vertex_standin import VertexStandin, running_vertex_standin

pytestmark = pytest.mark.services

PROJECT, LOCATION = "basketball-test", "us-central1"
BASE_MODEL = "gemini-2.5-pro"
BASE = f"projects/{PROJECT}/locations/{LOCATION}/publishers/google/models/{BASE_MODEL}"
VALIDATION_KEY = "cumulative-execution-20260101T000000Z/combined_validation.jsonl"
DESCRIPTIONS = [
    "Curry dribbles left off a high screen and pulls up for a deep three pointer",
    "Green sets a back screen and Thompson cuts to the rim for an easy layup",
    "James drives baseline, draws two defenders and kicks out to the corner shooter",
    "Davis posts up on the left block, spins middle and finishes with a hook shot",
    "A fast break after a steal ends with a two handed dunk by Antetokounmpo",
    "Jokic hits a cutting Murray from the high post with a bounce pass for two",
]
#: Quick backoff, one call at a time or a few.
QUICK = {"retry_initial_seconds": 0.01, "retry_max_seconds": 0.05, "save_every": 4}


class GsNamedStorage(LocalStorage):
    """Local bucket folders whose objects are named by gs:// URIs, as on Cloud Storage."""

    def uri_of_bucket(self, bucket: str) -> str:
        return f"gs://{bucket}"

    def uri(self, key: str) -> str:
        check_key(self.training_bucket, key, folder=True)
        return f"gs://{self.training_bucket}/{key}" if key else self.uri_of_bucket(self.training_bucket)


@pytest.fixture(scope="module")
def standin() -> Iterator[VertexStandin]:
    with running_vertex_standin() as running:
        yield running


@pytest.fixture(scope="module")
def instance() -> DagsterInstance:
    # In memory: these tests read back only materializations, check results and run logs.
    return DagsterInstance.ephemeral()


@pytest.fixture
def storage(tmp_path, standin) -> GsNamedStorage:
    built = GsNamedStorage(data_dir=str(tmp_path / "data"))
    lines = []
    for index, description in enumerate(DESCRIPTIONS):
        clip = built.uri(f"games/g{index % 2}/clips/p{index}_broadcast.mp4")
        standin.answers.descriptions[clip] = description
        lines.append(example_line(clip, description))
    built.put_text(VALIDATION_KEY, "\n".join(lines) + "\n")
    return built


@pytest.fixture
def resources(tmp_path, storage, standin) -> dict[str, Any]:
    standin.answers.answered.clear()
    standin.answers.fail_after = None
    standin.answers.on_answer = None
    return {
        "storage": storage,
        "registry": LocalModelRegistry(path=str(tmp_path / "plays.sqlite3")),
        "prediction": VertexPrediction(project=PROJECT, location=LOCATION, api_endpoint=standin.endpoint),
    }


def endpoint(job_id: str) -> str:
    return f"projects/{PROJECT}/locations/{LOCATION}/endpoints/endpoint-{job_id}"


def record_tuned_model(
    instance: DagsterInstance, standin: VertexStandin, job_id: str, style: str, **overrides: Any
) -> str:
    """A tuned_model materialization as a finished tuning job writes it; its endpoint answers in ``style``."""
    job_name = f"projects/{PROJECT}/locations/{LOCATION}/tuningJobs/{job_id}"
    metadata = {
        "job_name": job_name,
        "tuned_model": f"projects/{PROJECT}/locations/{LOCATION}/models/tuned-{job_id}@1",
        "endpoint": endpoint(job_id),
        "base_model": BASE_MODEL,
        "validation_dataset_uri": f"gs://uball-training-data/{VALIDATION_KEY}",
        "training_dataset_uri": "gs://uball-training-data/cumulative-execution-20260101T000000Z/combined_training.jsonl",
        "combined_dataset_data_version": "v1",
        **overrides,
    }
    standin.answers.styles[endpoint(job_id)] = style
    instance.report_runless_asset_event(AssetMaterialization(asset_key="tuned_model", metadata=metadata))
    return job_name


def evaluate(instance: DagsterInstance, resources: dict[str, Any], **config: Any) -> ExecuteInProcessResult:
    return materialize(
        [model_evaluation],
        instance=instance,
        resources=resources,
        run_config={"ops": {"model_evaluation": {"config": {**QUICK, **config}}}},
        raise_on_error=False,
    )


def evaluate_directly(instance: DagsterInstance, resources: dict[str, Any], **config: Any) -> MaterializeResult:
    """The asset's function without a run: for tests about calls and refusals."""
    return model_evaluation(
        build_asset_context(instance=instance), EvaluationConfig(**{**QUICK, **config}), **resources
    )


def checks_of(result: ExecuteInProcessResult) -> dict[str, Any]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def metadata_of(result: ExecuteInProcessResult) -> dict[str, Any]:
    (event,) = result.get_asset_materialization_events()
    return {key: value.value for key, value in event.materialization.metadata.items()}


def folder(storage: LocalStorage, job_id: str) -> Path:
    return Path(storage.root) / storage.training_bucket / "evaluations" / job_id


def test_an_evaluation_end_to_end_scores_reports_and_crowns_a_better_model(instance, standin, resources, storage):
    standin.answers.styles[BASE] = "half"
    job = record_tuned_model(instance, standin, "101", style="exact")

    result = evaluate(instance, resources)

    assert result.success
    checks = checks_of(result)
    assert checks["beats_base"].passed and checks["beats_base"].severity == AssetCheckSeverity.WARN
    assert checks["beats_champion"].passed and checks["beats_champion"].description == "there is no champion yet"
    assert resources["registry"].champion().job_name == job
    row = resources["registry"].get(job)
    assert row.endpoint_name == endpoint("101") and row.evaluation["means"]["new"]["rougeL"] == pytest.approx(100)
    # One paid call per model and example: the endpoint and the publisher model, each clip once.
    assert Counter(model for model, _ in standin.answers.answered) == {endpoint("101"): 6, BASE: 6}
    metadata = metadata_of(result)
    assert metadata["evaluation_paid_calls"] == 12 and metadata["evaluation_reused_answers"] == 0
    assert metadata["evaluation_prompt_tokens"] == 12 * standin.answers.prompt_tokens
    assert metadata["rougeL_new"] == pytest.approx(100) and metadata["rougeL_new_minus_base"] > 0
    assert "data:image/png;base64," in metadata["report"]
    # The report, plot and predictions beside each other in the training bucket.
    report = (folder(storage, "101") / "report.md").read_text()
    assert "![scores per model](scores.png)" in report and storage.uri("games/g0/clips/p0_broadcast.mp4") in report
    assert (folder(storage, "101") / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    predictions = (folder(storage, "101") / "predictions.jsonl").read_text().splitlines()
    assert len(predictions) == 12
    # The count and estimate come before the first paid call; each paid call names its model.
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    estimate = next(i for i, m in enumerate(messages) if "12 paid calls" in m and "estimated" in m)
    calls = [i for i, m in enumerate(messages) if m.startswith("paid call ")]
    assert len(calls) == 12 and estimate < min(calls)
    assert sum(BASE in messages[i] for i in calls) == 6


def test_a_tuned_model_worse_than_the_base_warns_and_does_not_become_champion(instance, standin, resources):
    standin.answers.styles[BASE] = "half"
    champion = record_tuned_model(instance, standin, "201", style="exact")
    resources["registry"].record_model(TunedModelRecord(champion, endpoint_name=endpoint("201"), base_model=BASE_MODEL))
    resources["registry"].record_evaluation(champion, {}, champion=True)
    worse = record_tuned_model(instance, standin, "202", style="wrong")

    result = evaluate_directly(instance, resources)  # no exception: a WARN, not a failure

    checks = {check.check_name: check for check in result.check_results}
    assert not checks["beats_base"].passed and checks["beats_base"].severity == AssetCheckSeverity.WARN
    assert not checks["beats_champion"].passed and checks["beats_champion"].severity == AssetCheckSeverity.WARN
    assert resources["registry"].champion().job_name == champion
    assert resources["registry"].get(worse).champion is False
    assert resources["registry"].get(worse).evaluation["means"]["new"]["rougeL"] < 50
    assert "not better than the base model" in checks["beats_base"].description
    assert Counter(model for model, _ in standin.answers.answered) == {endpoint("201"): 6, endpoint("202"): 6, BASE: 6}


def test_a_cut_short_evaluation_resumes_without_asking_any_answer_twice(instance, standin, resources):
    record_tuned_model(instance, standin, "301", style="exact")
    standin.answers.fail_after = 5

    with pytest.raises(Failure, match=r"calls failed after their retries.*materialize model_evaluation again"):
        evaluate_directly(instance, resources, concurrency=3)
    assert len(standin.answers.answered) == 5
    standin.answers.fail_after = None
    standin.answers.too_many_requests = 3  # and the quota runs out meanwhile: waited out
    resumed = evaluate_directly(instance, resources, concurrency=3)

    asked = Counter(standin.answers.answered)
    assert len(asked) == 12 and set(asked.values()) == {1}
    assert resumed.metadata["evaluation_reused_answers"].value == 5
    assert resumed.metadata["evaluation_paid_calls"].value == 7
    assert resumed.metadata["evaluation_retries"].value == 3


def test_a_terminated_evaluation_keeps_the_answer_in_flight_and_resumes_without_asking_twice(
    instance, standin, resources
):
    record_tuned_model(instance, standin, "351", style="exact")

    main = threading.main_thread().ident

    def terminate_during_the_fourth(answered: int) -> None:
        if answered == 4:  # as Dagster terminates a run: an interrupt in the main thread, mid-call
            signal.pthread_kill(main, signal.SIGINT)

    standin.answers.on_answer = terminate_during_the_fourth
    # Python's own SIGINT handler, whatever an earlier test in this worker process left behind
    # (under SIG_IGN the interrupt never came and the test failed in CI once).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            evaluate_directly(instance, resources, concurrency=1)
    finally:
        signal.signal(signal.SIGINT, previous)
    standin.answers.on_answer = None
    resumed = evaluate_directly(instance, resources)

    asked = Counter(standin.answers.answered)
    assert len(asked) == 12 and set(asked.values()) == {1}
    assert resumed.metadata["evaluation_reused_answers"].value == 4


def test_answers_of_the_base_and_the_champion_are_reused_by_the_next_evaluation(instance, standin, resources):
    record_tuned_model(instance, standin, "401", style="exact")
    evaluate_directly(instance, resources)
    record_tuned_model(instance, standin, "402", style="half")

    result = evaluate_directly(instance, resources)

    # The second evaluation asks only its own model: answers are kept by model and example.
    assert Counter(model for model, _ in standin.answers.answered) == {endpoint("401"): 6, BASE: 6, endpoint("402"): 6}
    assert result.metadata["evaluation_reused_answers"].value == 12
    assert set(result.metadata["models"].value) == {"new", "base", "champion"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"endpoint": ""}, r"has no endpoint, so it cannot answer"),
        ({"validation_dataset_uri": ""}, r"tuned without a validation split"),
        ({"validation_dataset_uri": "file:///data/uball-training-data/v.jsonl"}, r"is local; .*gs://"),
        ({"validation_dataset_uri": "gs://uball-training-data/empty.jsonl"}, r"validation split .* is empty"),
    ],
)
def test_bad_input_fails_before_any_paid_call(instance, standin, resources, storage, overrides, message):
    storage.put_text("empty.jsonl", "")
    record_tuned_model(instance, standin, "601", style="exact", **overrides)
    standin.requests.clear()

    with pytest.raises(Failure, match=message):
        evaluate_directly(instance, resources)

    assert not [r for r in standin.requests if r.path.endswith(":generateContent")]
    assert not list(storage.list_keys("evaluations/"))


def test_no_vertex_project_fails_before_any_paid_call(instance, standin, resources):
    record_tuned_model(instance, standin, "701", style="exact")
    standin.requests.clear()
    resources["prediction"] = VertexPrediction(api_endpoint=standin.endpoint)

    with pytest.raises(Failure, match=r"model_evaluation made no call: VERTEX_PROJECT"):
        evaluate_directly(instance, resources)

    assert not standin.requests
