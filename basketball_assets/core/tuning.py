"""Tuning decisions that need no I/O: settings validation, the labels that make a job
findable again, job states and polling backoff (the dataset limits: :mod:`.tuning_limits`).

Vertex AI's figures quoted here (adapter sizes per model) come from the "About supervised
fine-tuning for Gemini models" page of the Vertex AI documentation; check them there when
Google changes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from basketball_assets.core.fingerprint import stable_hash

# --- settings ------------------------------------------------------------------------

#: The spec's defaults for the tuning step.
DEFAULT_BASE_MODEL = "gemini-2.5-pro"
DEFAULT_EPOCHS = 5
DEFAULT_LEARNING_RATE_MULTIPLIER = 1.0
DEFAULT_ADAPTER_SIZE = "ADAPTER_SIZE_ONE"
#: Assumed price (USD) of one million training tokens when none is configured: the dataset card's
#: estimate and tuned_model's cost use the same figure. Check Vertex AI's pricing page for today's.
DEFAULT_PRICE_PER_MILLION_TRAINING_TOKENS = 25.0

#: Adapter size names of the API and the size each stands for.
ADAPTER_SIZES = {
    "ADAPTER_SIZE_ONE": 1,
    "ADAPTER_SIZE_TWO": 2,
    "ADAPTER_SIZE_FOUR": 4,
    "ADAPTER_SIZE_EIGHT": 8,
    "ADAPTER_SIZE_SIXTEEN": 16,
    "ADAPTER_SIZE_THIRTY_TWO": 32,
}

#: Adapter sizes Vertex AI documents for each base model. A model not listed here is
#: passed through unchecked (Vertex AI itself rejects an unsupported size).
ADAPTER_SIZES_BY_MODEL: dict[str, tuple[int, ...]] = {
    "gemini-2.5-pro": (1, 2, 4, 8),
    "gemini-2.5-flash": (1, 2, 4, 8, 16),
    "gemini-2.5-flash-lite": (1, 2, 4, 8, 16),
}

#: Google Cloud label rules: keys start with a lowercase letter; keys and values use
#: lowercase letters, digits, ``_`` and ``-``, at most 63 characters; 64 labels at most.
LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
MAX_LABELS = 64

#: Labels this pipeline puts on every job; the pair identifies "the same tuning".
DATASET_LABEL = "basketball_dataset"
TUNING_LABEL = "basketball_tuning"
#: On a job that continues a tuned model: that model's id, for people reading the console (the
#: parent's full name is in the tuning hash, which is what identifies the job).
PARENT_LABEL = "basketball_parent"
PIPELINE_LABELS = (DATASET_LABEL, TUNING_LABEL, PARENT_LABEL)

#: A tuned model's resource name, as ``continue_from`` and ``pre_tuned_model`` take it (version optional).
TUNED_MODEL_NAME = re.compile(r"^projects/[^/]+/locations/[^/]+/models/[^/@]+(@[^/@]+)?$")

#: Vertex AI limits the tuned model's display name to 128 characters.
MAX_DISPLAY_NAME = 128


@dataclass(frozen=True)
class TuningSettings:
    """What a tuning job is asked to do: the base model and its hyper-parameters."""

    base_model: str = DEFAULT_BASE_MODEL
    epochs: int = DEFAULT_EPOCHS
    learning_rate_multiplier: float = DEFAULT_LEARNING_RATE_MULTIPLIER
    adapter_size: str = DEFAULT_ADAPTER_SIZE
    display_name: str = ""
    service_account: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    #: The tuned model the job continues from (``pre_tuned_model``); empty: tune ``base_model`` itself.
    pre_tuned_model: str = ""

    def hyperparameters(self) -> dict[str, Any]:
        """The settings that change the tuned model (and so its cost and result).

        The parent model is among them only when there is one, so a job tuned from the base
        model keeps the hash (and so the identity) it had before continuing existed.
        """
        chosen: dict[str, Any] = {
            "base_model": self.base_model,
            "epochs": self.epochs,
            "learning_rate_multiplier": self.learning_rate_multiplier,
            "adapter_size": self.adapter_size,
        }
        if self.pre_tuned_model:
            chosen["pre_tuned_model"] = self.pre_tuned_model
        return chosen


def settings_problems(settings: TuningSettings, dataset_uris: Iterable[str]) -> list[str]:
    """Everything wrong with a tuning request, found before any call to Vertex AI."""
    problems: list[str] = []
    if not settings.base_model.strip():
        problems.append("base_model is empty: name a tunable Gemini model, e.g. gemini-2.5-pro")
    if settings.epochs < 1:
        problems.append(f"epochs must be a positive whole number, not {settings.epochs}")
    if not settings.learning_rate_multiplier > 0:
        problems.append(f"learning_rate_multiplier must be positive, not {settings.learning_rate_multiplier}")
    problems += adapter_size_problems(settings.base_model, settings.adapter_size)
    if len(settings.display_name) > MAX_DISPLAY_NAME:
        problems.append(
            f"display_name has {len(settings.display_name)} characters; Vertex AI allows {MAX_DISPLAY_NAME}"
        )
    problems += label_problems(settings.labels)
    if settings.pre_tuned_model and not TUNED_MODEL_NAME.match(settings.pre_tuned_model):
        problems.append(
            f"the model to continue from, {settings.pre_tuned_model!r}, is not a tuned model's resource name "
            "(projects/P/locations/L/models/M, optionally @version)"
        )
    problems += dataset_uri_problems(dataset_uris)
    return problems


def adapter_size_problems(base_model: str, adapter_size: str) -> list[str]:
    if adapter_size not in ADAPTER_SIZES:
        return [f"adapter_size {adapter_size!r} is not one of {', '.join(ADAPTER_SIZES)}"]
    allowed = ADAPTER_SIZES_BY_MODEL.get(base_model)
    if allowed is not None and ADAPTER_SIZES[adapter_size] not in allowed:
        names = ", ".join(name for name, size in ADAPTER_SIZES.items() if size in allowed)
        return [f"adapter_size {adapter_size} is not supported for {base_model}; choose one of {names}"]
    return []


def label_problems(labels: Mapping[str, str]) -> list[str]:
    problems = []
    for key, value in labels.items():
        if key in PIPELINE_LABELS:
            problems.append(f"label {key!r} is set by the pipeline itself; choose another key")
        elif not LABEL_KEY.match(key):
            problems.append(
                f"label key {key!r} must start with a lowercase letter and use only a-z, 0-9, _ and - (63 at most)"
            )
        if not LABEL_VALUE.match(value):
            problems.append(f"label {key!r} value {value!r} must use only a-z, 0-9, _ and - (63 at most)")
    if len(labels) + len(PIPELINE_LABELS) > MAX_LABELS:
        problems.append(
            f"{len(labels)} labels given; with the pipeline's {len(PIPELINE_LABELS)} at most {MAX_LABELS} are allowed"
        )
    return problems


def dataset_uri_problems(uris: Iterable[str]) -> list[str]:
    problems = []
    for uri in uris:
        if uri.startswith("file://"):
            problems.append(
                f"the dataset {uri} is on the local default storage: Vertex AI can only tune on "
                "gs:// files, so this dataset cannot be tuned. Run the pipeline with GCS storage "
                "(set BASKETBALL_GCP_PROJECT) and materialize combined_dataset again"
            )
        elif not uri.startswith("gs://"):
            problems.append(
                f"the dataset {uri} is not a gs:// URI; Vertex AI reads tuning datasets from Cloud Storage only"
            )
    return problems


# --- finding the same job again ------------------------------------------------------


def tuning_hash(settings: TuningSettings) -> str:
    """A short hash of the hyper-parameters: equal settings, equal hash."""
    return stable_hash(settings.hyperparameters())[:16]


def job_labels(settings: TuningSettings, dataset_version: str) -> dict[str, str]:
    """The job's labels: the user's, plus the dataset version and hyper-parameter hash that
    let a later run find this job instead of paying for another."""
    labels = {
        **dict(settings.labels),
        DATASET_LABEL: label_value(dataset_version),
        TUNING_LABEL: tuning_hash(settings),
    }
    if settings.pre_tuned_model:
        labels[PARENT_LABEL] = label_value(settings.pre_tuned_model.rsplit("/", 1)[-1])
    return labels


def label_value(text: str) -> str:
    """``text`` made into a valid label value (data versions are hex, so usually unchanged)."""
    return re.sub(r"[^a-z0-9_-]", "-", text.lower())[:63]


def identity_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """The two labels that say "same dataset, same hyper-parameters" (the parent model included,
    through the tuning hash: the same delta from the same parent is the same job)."""
    return {key: labels[key] for key in (DATASET_LABEL, TUNING_LABEL)}


def list_filter(labels: Mapping[str, str]) -> str:
    """The tuningJobs list filter for jobs carrying all ``labels``."""
    return " AND ".join(f'labels.{key}="{value}"' for key, value in sorted(labels.items()))


def has_labels(job_labels_: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(job_labels_.get(key) == value for key, value in wanted.items())


def default_display_name(dataset_version: str) -> str:
    return f"basketball-plays-{dataset_version[:12]}"


# --- job states ----------------------------------------------------------------------

SUCCEEDED = "JOB_STATE_SUCCEEDED"
#: States after which a job will never succeed.
FAILED_STATES = frozenset(
    {"JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED", "JOB_STATE_PARTIALLY_SUCCEEDED"}
)
#: States of a job that is still working (or about to): attaching to it costs nothing more.
ACTIVE_STATES = frozenset(
    {"JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_UPDATING", "JOB_STATE_PAUSED"}
)


def is_finished(state: str) -> bool:
    return state == SUCCEEDED or state in FAILED_STATES


def is_reusable(state: str) -> bool:
    """Whether an existing job can stand in for a new one: running, or done well."""
    return state == SUCCEEDED or state in ACTIVE_STATES


def pick_existing(jobs: Iterable[tuple[str, str, str]]) -> tuple[str, str] | None:
    """Among ``(name, state, create_time)`` of matching jobs, the one to attach to:
    a succeeded job first (nothing more to pay), else the newest active one."""
    reusable = [job for job in jobs if is_reusable(job[1])]
    if not reusable:
        return None
    best = max(reusable, key=lambda job: (job[1] == SUCCEEDED, job[2]))
    return best[0], best[1]


def short_state(state: str) -> str:
    """``JOB_STATE_RUNNING`` -> ``RUNNING``, for logs."""
    return state.removeprefix("JOB_STATE_")


@dataclass(frozen=True)
class PollSchedule:
    """Backoff between status polls: quick at first, then every ``maximum_s`` seconds."""

    initial_s: float = 30.0
    maximum_s: float = 600.0
    factor: float = 1.5

    def delays(self) -> Iterator[float]:
        delay = self.initial_s
        while True:
            yield delay
            delay = min(delay * self.factor, self.maximum_s)


def console_url(job_name: str) -> str:
    """The Cloud console page of a tuning job ``projects/P/locations/L/tuningJobs/ID``."""
    parts = job_name.split("/")
    project, location, job_id = parts[1], parts[3], parts[5]
    return (
        f"https://console.cloud.google.com/vertex-ai/generative/language/locations/{location}"
        f"/tuning/tuningJob/{job_id}?project={project}"
    )


def cancel_command(job_name: str) -> str:
    """The REST call that cancels a tuning job, for logs that tell a person how."""
    location = job_name.split("/")[3]
    return (
        'curl -X POST -H "Authorization: Bearer $(gcloud auth print-access-token)" '
        f"https://{location}-aiplatform.googleapis.com/v1/{job_name}:cancel"
    )


def format_elapsed(seconds: float) -> str:
    """``3725`` -> ``1h 02m 05s``."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"
