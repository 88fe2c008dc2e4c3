"""``tuned_model`` for real: the real Vertex AI client (REST, anonymous credentials) against
the local ``tuningJobs`` stand-in, on a combined dataset the real pipeline wrote to the
GCS emulator (gs:// URIs, real clips)."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    ExecuteInProcessResult,
    JobDefinition,
    define_asset_job,
    execute_job,
    instance_for_test,
    materialize,
    reconstructable,
)
from dagster._core.instance.ref import InstanceRef
from dagster._serdes import deserialize_value, serialize_value
from dagster_gcp import GCSResource

from basketball_assets import checks
from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.assets.tuning import DATA_VERSION_TAG, tuned_model
from basketball_assets.core import tuning
from basketball_assets.core.tuning import TuningSettings
from basketball_assets.resources import ClipEncoder, LocalModelRegistry, LocalPlaysDatabase, LocalStorage
from basketball_assets.resources.gcs_storage import GCSStorage
from basketball_assets.resources.vertex import VertexTuning
from basketball_assets.state.combined import combined_manifest_key, read_combined_dataset
from basketball_assets_tests.games import place_game
from basketball_assets_tests.services.gcs_emulator import TEST_PROJECT
from basketball_assets_tests.services.vertex_standin import Script, VertexStandin, running_vertex_standin
from basketball_assets_tests.test_assets.pipeline import GAME_ASSETS, check_of, materialize_game

pytestmark = [pytest.mark.services, pytest.mark.ffmpeg]

#: Buckets of this module alone, so other tests' objects in the emulator never mix in.
VIDEOS_BUCKET = "tuning-test-videos"
TRAINING_BUCKET = "tuning-test-training"
LOCATION = "us-central1"
#: Quick polls: the stand-in moves one state per poll.
FAST_POLLS = {"poll_initial_seconds": 0.05, "poll_max_seconds": 0.2}
#: One test game has 8 clips, fewer than the check's default minimum of 16 training examples.
SMALL_DATASET_CHECK = {"ops": {"combined_dataset_within_tuning_limits": {"config": {"min_training_examples": 1}}}}


@dataclass
class TuningWorld:
    """One game's clips and a combined dataset in the GCS emulator, recorded on an instance."""

    instance: DagsterInstance
    storage: GCSStorage
    resources: dict[str, Any]
    cache_dir: Path


def gcs_storage(cache_dir: Path) -> GCSStorage:
    return GCSStorage(
        gcs=GCSResource(project=TEST_PROJECT),
        cache_dir=str(cache_dir),
        videos_bucket=VIDEOS_BUCKET,
        training_bucket=TRAINING_BUCKET,
    )


def materialize_combined(
    world: "TuningWorld", run_config: dict | None = None, raise_on_error: bool = True
) -> ExecuteInProcessResult:
    assets = [
        *GAME_ASSETS,
        combined_dataset,
        checks.within_tuning_limits,
        checks.splits_are_disjoint,
        checks.no_duplicate_examples,
    ]
    return materialize(
        assets,
        selection=["combined_dataset"],
        instance=world.instance,
        resources=world.resources,
        run_config=SMALL_DATASET_CHECK if run_config is None else run_config,
        raise_on_error=raise_on_error,
    )


def run_limits_check(world: "TuningWorld", run_config: dict | None = None) -> ExecuteInProcessResult:
    """The within_tuning_limits check alone, on the latest combined_dataset."""
    return materialize(
        [combined_dataset, checks.within_tuning_limits],
        selection=AssetSelection.checks(checks.within_tuning_limits),
        instance=world.instance,
        resources=world.resources,
        run_config=SMALL_DATASET_CHECK if run_config is None else run_config,
        raise_on_error=False,
    )


@pytest.fixture(scope="module")
def world(gcs_emulator, test_videos, tmp_path_factory) -> Iterator[TuningWorld]:
    folder = tmp_path_factory.mktemp("tuning")
    for bucket in (VIDEOS_BUCKET, TRAINING_BUCKET):
        gcs_emulator.create_bucket(bucket)
    storage = gcs_storage(folder / "cache")
    plays_db = LocalPlaysDatabase(path=str(folder / "plays.sqlite3"))
    plays_db.create_table()
    registry = LocalModelRegistry(path=str(folder / "plays.sqlite3"))
    resources = {"storage": storage, "plays_source": plays_db, "video": ClipEncoder(), "registry": registry}
    (folder / "dagster").mkdir()
    with instance_for_test(temp_dir=str(folder / "dagster")) as instance:
        game = place_game(storage, plays_db, test_videos, "tuning")
        materialize_game(instance, resources, game.game_id)
        built = TuningWorld(instance, storage, resources, folder / "cache")
        materialize_combined(built)
        yield built


@pytest.fixture
def standin(world, gcs_emulator) -> Iterator[VertexStandin]:
    # A new stand-in knows no jobs: claims naming an earlier test's jobs go with them.
    for blob in gcs_emulator.client().list_blobs(TRAINING_BUCKET, prefix="pipeline-state/tuning-claims/"):
        blob.delete()
    with running_vertex_standin() as running:
        yield running


def vertex_on(standin: VertexStandin, **fields: Any) -> VertexTuning:
    return VertexTuning(
        **{"project": "basketball-test", "location": LOCATION, "api_endpoint": standin.endpoint, **fields}
    )


def tune(world: TuningWorld, vertex: VertexTuning, storage: Any = None, **config: Any) -> ExecuteInProcessResult:
    resources = {**world.resources, "vertex": vertex, **({"storage": storage} if storage is not None else {})}
    return materialize(
        [combined_dataset, tuned_model],
        selection=["tuned_model"],
        instance=world.instance,
        resources=resources,
        run_config={"ops": {"tuned_model": {"config": {**FAST_POLLS, **config}}}},
        raise_on_error=False,
    )


def tuned_metadata(result: ExecuteInProcessResult) -> dict[str, Any]:
    assert result.success, failure_message(result)
    (event,) = result.get_asset_materialization_events()
    return {key: value.value for key, value in event.materialization.metadata.items()}


def failure_message(result: ExecuteInProcessResult) -> str:
    failures = [event for event in result.all_events if event.is_step_failure]
    return "\n".join(event.step_failure_data.error.message for event in failures)


def run_log(instance: DagsterInstance, run_id: str) -> list[str]:
    return [entry.user_message for entry in instance.all_logs(run_id)]


def dataset_version(world: TuningWorld) -> str:
    event = world.instance.get_latest_materialization_event(AssetKey("combined_dataset"))
    return event.asset_materialization.tags[DATA_VERSION_TAG]


def training_uri(world: TuningWorld) -> str:
    return world.storage.uri(read_combined_dataset(world.storage).files["training"])


# Success


def test_a_succeeding_job_materializes_with_the_job_model_and_dataset_recorded(world, standin):
    result = tune(world, vertex_on(standin))
    metadata = tuned_metadata(result)

    (create,) = standin.creates
    body = create.body
    assert create.path == f"/v1/projects/basketball-test/locations/{LOCATION}/tuningJobs"
    assert body["baseModel"] == "gemini-2.5-pro"
    spec = body["supervisedTuningSpec"]
    assert spec["trainingDatasetUri"] == training_uri(world)
    assert spec["trainingDatasetUri"].startswith(f"gs://{TRAINING_BUCKET}/cumulative-execution-")
    assert spec["validationDatasetUri"].endswith("/combined_validation.jsonl")
    # The wire format: int64 as a string, enums as integers (ADAPTER_SIZE_ONE == 1).
    assert spec["hyperParameters"] == {"epochCount": "5", "learningRateMultiplier": 1.0, "adapterSize": 1}
    assert body["labels"][tuning.DATASET_LABEL] == dataset_version(world)
    assert body["labels"][tuning.TUNING_LABEL] == tuning.tuning_hash(TuningSettings())

    (job_name,) = standin.jobs
    assert metadata["job_name"] == job_name
    assert metadata["job_state"] == "SUCCEEDED"
    assert metadata["tuned_model"].startswith(f"projects/basketball-test/locations/{LOCATION}/models/tuned-")
    assert metadata["endpoint"].startswith(f"projects/basketball-test/locations/{LOCATION}/endpoints/")
    assert metadata["training_dataset_uri"] == training_uri(world)
    assert metadata["combined_dataset_data_version"] == dataset_version(world)
    assert metadata["hyperparameters"] == {
        "base_model": "gemini-2.5-pro",
        "epochs": 5,
        "learning_rate_multiplier": 1.0,
        "adapter_size": "ADAPTER_SIZE_ONE",
    }
    assert metadata["console"] == tuning.console_url(job_name)
    assert metadata["attached_to_existing_job"] is False
    assert metadata["created_at"] and metadata["ended_at"]
    assert metadata["billable_tokens_in_dataset"] == 123_456


def test_the_run_log_shows_each_state_change_with_the_elapsed_time(world, standin):
    result = tune(world, vertex_on(standin))
    assert result.success, failure_message(result)
    log = [line for line in run_log(world.instance, result.run_id) if line.startswith("tuning job ")]
    assert [line.split(" ")[5] for line in log] == ["PENDING", "RUNNING", "SUCCEEDED"]
    assert all("since it was created" in line for line in log)
    assert any(
        line.startswith("Vertex AI counts 123,456 billable tokens") for line in run_log(world.instance, result.run_id)
    )


def test_hyperparameters_from_config_reach_vertex_ai(world, standin):
    result = tune(
        world,
        vertex_on(standin),
        epochs=3,
        learning_rate_multiplier=0.5,
        adapter_size="ADAPTER_SIZE_FOUR",
        display_name="plays-v2",
        labels={"team": "ml"},
        service_account="tuner@basketball-test.iam.gserviceaccount.com",
    )
    assert result.success, failure_message(result)
    body = standin.creates[0].body
    assert body["serviceAccount"] == "tuner@basketball-test.iam.gserviceaccount.com"
    assert body["supervisedTuningSpec"]["hyperParameters"] == {
        "epochCount": "3",
        "learningRateMultiplier": 0.5,
        "adapterSize": 2,
    }
    assert body["tunedModelDisplayName"] == "plays-v2"
    assert body["labels"]["team"] == "ml"


def test_brief_network_trouble_while_polling_is_waited_out(world, standin):
    standin.unavailable_gets = 3
    result = tune(world, vertex_on(standin))
    assert tuned_metadata(result)["job_state"] == "SUCCEEDED"
    assert sum("unavailable" in line for line in run_log(world.instance, result.run_id)) == 3


# Failure


@pytest.mark.parametrize("final", ["JOB_STATE_FAILED", "JOB_STATE_EXPIRED"])
def test_a_job_that_ends_badly_fails_the_run_with_the_jobs_error(world, standin, final):
    standin.next_script = Script(
        states=["JOB_STATE_PENDING", "JOB_STATE_RUNNING", final], error="Quota exceeded for tuning in us-central1."
    )
    result = tune(world, vertex_on(standin))
    assert not result.success
    message = failure_message(result)
    (job_name,) = standin.jobs
    assert (
        f"tuning job {job_name} ended {final.removeprefix('JOB_STATE_')}: Quota exceeded for tuning in us-central1."
        in message
    )
    assert tuning.console_url(job_name) in message


def test_a_job_cancelled_elsewhere_fails_the_run(world, standin):
    standin.next_script = Script(states=["JOB_STATE_RUNNING", "JOB_STATE_CANCELLED"])
    result = tune(world, vertex_on(standin))
    assert "ended CANCELLED" in failure_message(result)


# No double spend


def test_materializing_again_attaches_to_the_succeeded_job_instead_of_paying_twice(world, standin):
    first = tuned_metadata(tune(world, vertex_on(standin)))
    second = tuned_metadata(tune(world, vertex_on(standin)))
    assert len(standin.creates) == 1
    assert second["job_name"] == first["job_name"]
    assert second["tuned_model"] == first["tuned_model"]
    assert second["attached_to_existing_job"] is True
    (listing,) = [r for r in standin.requests if r.method == "GET" and r.path.endswith("/tuningJobs")][1:]
    assert listing.query["filter"] == [
        tuning.list_filter(
            {tuning.DATASET_LABEL: dataset_version(world), tuning.TUNING_LABEL: tuning.tuning_hash(TuningSettings())}
        )
    ]


def test_a_server_that_rejects_label_filters_still_finds_the_job(world, standin):
    standin.reject_filters = True
    first = tuned_metadata(tune(world, vertex_on(standin)))
    second = tuned_metadata(tune(world, vertex_on(standin)))
    assert len(standin.creates) == 1
    assert second["job_name"] == first["job_name"] and second["attached_to_existing_job"] is True


def test_a_job_still_running_from_an_earlier_run_is_followed_not_duplicated(world, standin):
    vertex = vertex_on(standin)
    settings = TuningSettings()
    # As if an earlier run's process died after creating its job.
    earlier = vertex.create_job(
        settings, training_uri(world), None, tuning.job_labels(settings, dataset_version(world)), "earlier"
    )
    metadata = tuned_metadata(tune(world, vertex))
    assert len(standin.creates) == 1
    assert metadata["job_name"] == earlier.name
    assert metadata["attached_to_existing_job"] is True
    assert metadata["job_state"] == "SUCCEEDED"


def test_two_runs_released_together_start_one_job_and_both_follow_it(world, standin, tmp_path):
    """Two real runs, each in its own process (as deployed runs are), both listing the jobs and
    finding none before either creates one: the race of the issue, made certain by the stand-in."""
    standin.hold_lists(2)
    runs = [start_tuning_run(world, standin, tmp_path / f"run-{number}.log") for number in (0, 1)]
    for process, output in runs:
        assert process.wait(timeout=300) == 0, output.read_text()[-3000:]

    assert len(standin.creates) == 1
    (job_name,) = standin.jobs
    metadata = [run_metadata(world.instance, run.run_id) for run in world.instance.get_runs(limit=2)]
    assert [m["job_name"] for m in metadata] == [job_name, job_name]
    assert sorted(m["attached_to_existing_job"] for m in metadata) == [False, True]
    assert all(m["job_state"] == "SUCCEEDED" for m in metadata)


def test_other_hyperparameters_start_their_own_job(world, standin):
    tuned_metadata(tune(world, vertex_on(standin)))
    tuned_metadata(tune(world, vertex_on(standin), epochs=2))
    assert len(standin.creates) == 2


def test_a_failed_job_is_never_reused(world, standin):
    standin.next_script = Script(states=["JOB_STATE_FAILED"])
    assert not tune(world, vertex_on(standin)).success
    standin.next_script = Script()
    metadata = tuned_metadata(tune(world, vertex_on(standin)))
    assert len(standin.creates) == 2
    assert metadata["attached_to_existing_job"] is False


# Validation before any call


@pytest.mark.parametrize(
    "config, expected",
    [
        (
            {"adapter_size": "ADAPTER_SIZE_SIXTEEN"},
            "adapter_size ADAPTER_SIZE_SIXTEEN is not supported for gemini-2.5-pro",
        ),
        ({"epochs": 0}, "epochs must be a positive whole number, not 0"),
        ({"learning_rate_multiplier": -1.0}, "learning_rate_multiplier must be positive"),
        ({"labels": {"Team": "x"}}, "label key 'Team'"),
    ],
)
def test_invalid_config_fails_before_any_call_to_vertex_ai(world, standin, config, expected):
    result = tune(world, vertex_on(standin), **config)
    assert not result.success
    assert expected in failure_message(result)
    assert standin.requests == []


def test_without_vertex_settings_it_fails_at_once_naming_them(world, standin):
    result = tune(world, VertexTuning())
    assert "needs: VERTEX_PROJECT" in failure_message(result)
    assert standin.requests == []


def test_unconfigured_and_local_it_names_everything_missing_at_once(world, standin, tmp_path):
    local = LocalStorage(data_dir=str(tmp_path / "data"))
    local.put_json(
        combined_manifest_key(),
        {"files": {"training": "c/combined_training.jsonl", "validation": "c/combined_validation.jsonl"}, "games": []},
    )
    message = failure_message(tune(world, VertexTuning(), storage=local))
    assert "needs: VERTEX_PROJECT" in message
    assert "Vertex AI can only tune on gs:// files" in message and "BASKETBALL_GCP_PROJECT" in message


def test_a_local_default_dataset_cannot_be_tuned(world, standin, tmp_path):
    local = LocalStorage(data_dir=str(tmp_path / "data"))
    local.put_json(
        combined_manifest_key(),
        {"files": {"training": "c/combined_training.jsonl", "validation": "c/combined_validation.jsonl"}, "games": []},
    )
    result = tune(world, vertex_on(standin), storage=local)
    message = failure_message(result)
    assert "local default storage: Vertex AI can only tune on gs:// files, so this dataset cannot be tuned" in message
    assert standin.requests == []


# The limits check guards the money


def test_a_failed_limits_check_blocks_tuning_until_the_dataset_passes(world, standin):
    try:
        # One game is 8 clips: below the default minimum of 16 training examples.
        result = materialize_combined(world, run_config={}, raise_on_error=False)
        assert result.success  # a small dataset is still a dataset: the check warns, the run stands
        evaluation = check_of(result, "within_tuning_limits")
        assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.WARN
        assert "at least 16 are needed" in evaluation.description
        assert "at least 16 are needed" in evaluation.metadata["report"].value

        refused = tune(world, vertex_on(standin))
        assert "within_tuning_limits check failed on the latest combined_dataset" in failure_message(refused)
        assert standin.requests == []
    finally:
        assert check_of(run_limits_check(world), "within_tuning_limits").passed
    assert tuned_metadata(tune(world, vertex_on(standin)))["job_state"] == "SUCCEEDED"


def test_the_limits_check_reports_a_missing_clip(world, gcs_emulator):
    training = read_combined_dataset(world.storage).files["training"]
    lines = [json.loads(line) for line in world.storage.iter_lines(training)]
    uri = lines[0]["contents"][0]["parts"][0]["fileData"]["fileUri"]
    key = uri.removeprefix(f"gs://{TRAINING_BUCKET}/")
    blob = gcs_emulator.client().bucket(TRAINING_BUCKET).blob(key)
    saved = blob.download_as_bytes()
    blob.delete()
    try:
        evaluation = check_of(run_limits_check(world), "within_tuning_limits")
        assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
        assert f"training line 1 ({uri}): clip does not exist in storage" in evaluation.description
    finally:
        blob.upload_from_string(saved, content_type="video/mp4")
        assert check_of(run_limits_check(world), "within_tuning_limits").passed


# Terminating the run


def test_terminating_the_run_cancels_the_tuning_job(world, standin, tmp_path):
    """The run executes as deployed runs do (its own process, the multiprocess executor,
    the step in a child process); SIGTERM to the run process is what a run worker gets
    when the run is terminated, and Dagster passes it on to the step as an interrupt."""
    standin.next_script = Script(states=["JOB_STATE_PENDING", "JOB_STATE_RUNNING"])  # runs until cancelled
    terminate_when_polling(*start_tuning_run(world, standin, tmp_path / "run.log"), standin)

    (job_name,) = standin.jobs
    assert [r.path for r in standin.cancels] == [f"/v1/{job_name}:cancel"]
    (run,) = world.instance.get_runs(limit=1)
    assert run.status in (DagsterRunStatus.CANCELED, DagsterRunStatus.FAILURE)
    log = run_log(world.instance, run.run_id)
    assert any("run terminated while following tuning job" in line and "cancelling the job" in line for line in log)
    assert f"cancellation of tuning job {job_name} requested" in log
    assert any("received termination signal - forwarding to active child processes" in line for line in log)


def test_terminating_a_run_that_only_attached_leaves_the_job_running(world, standin, tmp_path):
    """Another run started the job; this one only follows it, so terminating it cancels nothing
    and says how to cancel the job if that is what is wanted."""
    standin.next_script = Script(states=["JOB_STATE_PENDING", "JOB_STATE_RUNNING"])  # runs until cancelled
    vertex, settings = vertex_on(standin), TuningSettings()
    labels = tuning.job_labels(settings, dataset_version(world))
    started = vertex.create_job(settings, training_uri(world), None, labels, "started by another run")

    terminate_when_polling(*start_tuning_run(world, standin, tmp_path / "run.log"), standin)

    assert standin.cancels == []
    (run,) = world.instance.get_runs(limit=1)
    log = run_log(world.instance, run.run_id)
    assert any(line.startswith(f"attaching to tuning job {started.name}") for line in log)
    (left,) = [line for line in log if "which another run started: the job goes on" in line]
    assert tuning.console_url(started.name) in left and f"/v1/{started.name}:cancel" in left


def start_tuning_run(world: TuningWorld, standin: VertexStandin, output: Path) -> tuple[subprocess.Popen, Path]:
    """A tuned_model run in its own process, as deployed runs execute: its own run worker, the
    multiprocess executor, the step in a child process."""
    environment = {
        **os.environ,
        RUN_PROCESS_VARIABLE: json.dumps(
            {
                "endpoint": standin.endpoint,
                "cache_dir": str(world.cache_dir),
                "plays_db": world.resources["plays_source"].path,
            }
        ),
    }
    with output.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "basketball_assets_tests.test_assets.test_tuned_model",
                serialize_value(world.instance.get_ref()),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
    return process, output


def terminate_when_polling(process: subprocess.Popen, output: Path, standin: VertexStandin) -> None:
    """SIGTERM to the run process once it polls the job: what a run worker gets when the run is terminated."""
    try:
        wait_for(lambda: standin.most_gets() >= 2, process, output)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def run_metadata(instance: DagsterInstance, run_id: str) -> dict[str, Any]:
    (record,) = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    materialization = record.event_log_entry.dagster_event.event_specific_data.materialization
    return {key: value.value for key, value in materialization.metadata.items()}


def wait_for(condition, process: subprocess.Popen, output: Path, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the tuning run ended early (exit {process.returncode}):\n{output.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"the tuning job was not being polled after {timeout_s:.0f} s:\n{output.read_text()[-3000:]}")
        time.sleep(0.1)


#: Settings a test hands to its run process (and so to the step's child process).
RUN_PROCESS_VARIABLE = "BASKETBALL_TEST_TERMINATION_RUN"


def tuning_job() -> JobDefinition:
    """tuned_model as a job, with resources from the test's settings; rebuilt in each
    process that Dagster's multiprocess executor starts."""
    settings = json.loads(os.environ[RUN_PROCESS_VARIABLE])
    defs = Definitions(
        assets=[combined_dataset, tuned_model],
        jobs=[define_asset_job("tune", selection=["tuned_model"])],
        resources={
            "storage": gcs_storage(Path(settings["cache_dir"])),
            "plays_source": LocalPlaysDatabase(path=settings["plays_db"]),
            "registry": LocalModelRegistry(path=settings["plays_db"]),
            "video": ClipEncoder(),
            "vertex": VertexTuning(project="basketball-test", location=LOCATION, api_endpoint=settings["endpoint"]),
        },
    )
    return defs.resolve_job_def("tune")


def run_tuning_job(instance_ref: str) -> None:
    """A test's run process: the job on the test's instance."""
    with DagsterInstance.from_ref(deserialize_value(instance_ref, InstanceRef)) as instance:
        execute_job(
            reconstructable(tuning_job),
            instance=instance,
            run_config={"ops": {"tuned_model": {"config": {"poll_initial_seconds": 0.2, "poll_max_seconds": 0.5}}}},
            raise_on_error=False,
        )


# Automation


def test_tuned_model_is_never_materialized_by_automation():
    from basketball_assets.definitions import defs

    assets_def = defs.resolve_assets_def("tuned_model")
    assert all(condition is None for condition in assets_def.automation_conditions_by_key.values())


if __name__ == "__main__":
    # Through the importable module, so the child processes find tuning_job by name.
    from basketball_assets_tests.test_assets import test_tuned_model

    test_tuned_model.run_tuning_job(sys.argv[1])
