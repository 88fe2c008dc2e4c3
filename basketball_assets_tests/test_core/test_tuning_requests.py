"""A tuning request as Vertex AI gets it (core/tuning.py): the hyper-parameters that make its
identity, the exact reasons a request is refused, and the names and commands logs show."""

from basketball_assets.core import tuning
from basketball_assets.core.tuning import TuningSettings

PARENT = "projects/p/locations/us-central1/models/tuned-7@1"
JOB = "projects/my-proj/locations/europe-west4/tuningJobs/123"


def problems_of(**fields) -> list[str]:
    return tuning.settings_problems(TuningSettings(**fields), ["gs://b/t.jsonl"])


def test_a_continued_job_names_its_parent_among_the_hyperparameters():
    assert TuningSettings(pre_tuned_model=PARENT).hyperparameters() == {
        "base_model": "gemini-2.5-pro",
        "epochs": 5,
        "learning_rate_multiplier": 1.0,
        "adapter_size": "ADAPTER_SIZE_ONE",
        "pre_tuned_model": PARENT,
    }


def test_one_epoch_is_enough():
    assert problems_of(epochs=1) == []


def test_the_reasons_a_request_is_refused_read_in_full():
    assert problems_of(base_model=" ") == ["base_model is empty: name a tunable Gemini model, e.g. gemini-2.5-pro"]
    assert problems_of(adapter_size="8") == [
        "adapter_size '8' is not one of ADAPTER_SIZE_ONE, ADAPTER_SIZE_TWO, ADAPTER_SIZE_FOUR, ADAPTER_SIZE_EIGHT, "
        "ADAPTER_SIZE_SIXTEEN, ADAPTER_SIZE_THIRTY_TWO"
    ]
    assert problems_of(pre_tuned_model="models/x") == [
        "the model to continue from, 'models/x', is not a tuned model's resource name "
        "(projects/P/locations/L/models/M, optionally @version)"
    ]


def test_logs_show_a_short_state_the_cancel_command_and_a_default_name():
    assert tuning.short_state("JOB_STATE_RUNNING") == "RUNNING"
    assert tuning.cancel_command(JOB) == (
        'curl -X POST -H "Authorization: Bearer $(gcloud auth print-access-token)" '
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4/tuningJobs/123:cancel"
    )
    assert tuning.default_display_name("0123456789abcdef") == "basketball-plays-0123456789ab"


def test_61_labels_of_ones_own_fit_beside_the_pipelines_three_and_62_do_not():
    assert problems_of(labels={f"l{n}": "v" for n in range(61)}) == []
    assert problems_of(labels={f"l{n}": "v" for n in range(62)}) == [
        "62 labels given; with the pipeline's 3 at most 64 are allowed"
    ]


def test_a_local_dataset_is_refused_saying_what_to_do():
    assert tuning.dataset_uri_problems(["file:///data/t.jsonl"]) == [
        "the dataset file:///data/t.jsonl is on the local default storage: Vertex AI can only tune on gs:// files, "
        "so this dataset cannot be tuned. Run the pipeline with GCS storage (set BASKETBALL_GCP_PROJECT) and "
        "materialize combined_dataset again"
    ]
