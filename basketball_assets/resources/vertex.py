"""Vertex AI: supervised tuning jobs of Gemini, through the stable v1 ``GenAiTuningServiceClient``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from dagster import ConfigurableResource
from google.api_core import exceptions as api_exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform_v1
from pydantic import Field, PrivateAttr

from basketball_assets.core.tuning import TuningSettings, has_labels, list_filter
from basketball_assets.core.tuning_stats import DroppedExamples

#: Errors worth waiting out while following a job for hours: the job itself is unaffected.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    api_exceptions.ServiceUnavailable,
    api_exceptions.InternalServerError,
    api_exceptions.TooManyRequests,
    api_exceptions.DeadlineExceeded,
    api_exceptions.BadGateway,
    api_exceptions.GatewayTimeout,
    requests.ConnectionError,
    requests.Timeout,
)


#: Seconds to wait for one API answer; the client's own default is to wait forever.
REQUEST_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class TuningJobStatus:
    """What Vertex AI says about one tuning job, in plain Python values."""

    name: str
    state: str
    labels: dict[str, str] = field(default_factory=dict)
    error: str = ""
    tuned_model: str = ""
    endpoint: str = ""
    base_model: str = ""
    display_name: str = ""
    training_dataset_uri: str = ""
    validation_dataset_uri: str = ""
    create_time: str = ""
    start_time: str = ""
    end_time: str = ""
    update_time: str = ""
    #: Vertex AI's count of billable tokens in the dataset, once it has read it (0 before).
    billable_tokens: int = 0
    dataset_examples: int = 0
    #: Examples Vertex AI dropped or truncated, with a sample of their lines and its reasons.
    dropped: DroppedExamples = field(default_factory=DroppedExamples)
    #: The tuned model the job continued from; empty for a job tuned from the base model.
    pre_tuned_model: str = ""


class VertexTuning(ConfigurableResource):
    """Where tuning jobs run: a Google Cloud project and Vertex AI region.

    Unset ``project`` means Vertex AI is not configured. Credentials are Application
    Default Credentials (``gcloud auth application-default login`` or a service account),
    except for a plain ``http://`` ``api_endpoint`` (a local stand-in), which gets
    anonymous credentials so real tokens never travel unencrypted.
    """

    project: str | None = Field(default=None, description="Google Cloud project (env VERTEX_PROJECT).")
    location: str = Field(default="us-central1", description="Vertex AI region (env VERTEX_LOCATION).")
    api_endpoint: str | None = Field(
        default=None,
        description="Vertex AI API endpoint (env VERTEX_API_ENDPOINT); unset means Google's regional endpoint.",
    )

    _client: aiplatform_v1.GenAiTuningServiceClient | None = PrivateAttr(default=None)

    def missing_settings(self) -> list[str]:
        return [] if self.project else ["VERTEX_PROJECT (Google Cloud project of the tuning job)"]

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"

    @property
    def client(self) -> aiplatform_v1.GenAiTuningServiceClient:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> aiplatform_v1.GenAiTuningServiceClient:
        endpoint = self.api_endpoint or f"{self.location}-aiplatform.googleapis.com"
        # REST rather than gRPC: the transport the tests exercise, and safe across the
        # process forks of Dagster's multiprocess executor.
        return aiplatform_v1.GenAiTuningServiceClient(
            transport="rest",
            credentials=AnonymousCredentials() if endpoint.startswith("http://") else None,
            client_options=ClientOptions(api_endpoint=endpoint),
        )

    def create_job(
        self,
        settings: TuningSettings,
        training_uri: str,
        validation_uri: str | None,
        labels: Mapping[str, str],
        display_name: str,
    ) -> TuningJobStatus:
        """Start a supervised tuning job. This is the call that costs money.

        With ``settings.pre_tuned_model`` the job continues that tuned model (the v1
        ``TuningJob.pre_tuned_model``, in a oneof with ``base_model``, so no base model is sent).
        """
        hyper_parameters = aiplatform_v1.SupervisedHyperParameters(
            epoch_count=settings.epochs,
            learning_rate_multiplier=settings.learning_rate_multiplier,
            adapter_size=aiplatform_v1.SupervisedHyperParameters.AdapterSize[settings.adapter_size],
        )
        source: dict[str, Any] = (
            {"pre_tuned_model": aiplatform_v1.PreTunedModel(tuned_model_name=settings.pre_tuned_model)}
            if settings.pre_tuned_model
            else {"base_model": settings.base_model}
        )
        job = aiplatform_v1.TuningJob(
            **source,
            tuned_model_display_name=display_name,
            labels=dict(labels),
            supervised_tuning_spec=aiplatform_v1.SupervisedTuningSpec(
                training_dataset_uri=training_uri,
                validation_dataset_uri=validation_uri or "",
                hyper_parameters=hyper_parameters,
            ),
        )
        if settings.service_account:
            job.service_account = settings.service_account
        return job_status(self.client.create_tuning_job(parent=self.parent, tuning_job=job, timeout=REQUEST_TIMEOUT_S))

    def get_job(self, name: str) -> TuningJobStatus:
        return job_status(self.client.get_tuning_job(name=name, timeout=REQUEST_TIMEOUT_S))

    def cancel_job(self, name: str) -> None:
        """Ask Vertex AI to stop a job; it passes through CANCELLING to CANCELLED."""
        self.client.cancel_tuning_job(name=name, timeout=REQUEST_TIMEOUT_S)

    def find_jobs(self, labels: Mapping[str, str]) -> list[TuningJobStatus]:
        """Jobs of this project and region carrying all ``labels``, newest first.

        The filter narrows the listing on the server; the labels are checked again here
        so a server that ignores part of the filter cannot cause a false match, and one
        that rejects the filter gets an unfiltered listing instead.
        """
        try:
            jobs = self._list_jobs(list_filter(labels))
        except api_exceptions.BadRequest:  # 400; over REST, INVALID_ARGUMENT arrives as this
            jobs = self._list_jobs("")
        matching = [job for job in jobs if has_labels(job.labels, labels)]
        return sorted(matching, key=lambda job: job.create_time, reverse=True)

    def _list_jobs(self, filter_text: str) -> list[TuningJobStatus]:
        request = aiplatform_v1.ListTuningJobsRequest(parent=self.parent, filter=filter_text, page_size=100)
        return [job_status(job) for job in self.client.list_tuning_jobs(request=request, timeout=REQUEST_TIMEOUT_S)]


def job_status(job: aiplatform_v1.TuningJob) -> TuningJobStatus:
    spec = job.supervised_tuning_spec
    stats = job.tuning_data_stats.supervised_tuning_data_stats
    return TuningJobStatus(
        name=job.name,
        state=aiplatform_v1.JobState(job.state).name,
        labels=dict(job.labels),
        error=job.error.message if job.error.message else "",
        tuned_model=job.tuned_model.model,
        endpoint=job.tuned_model.endpoint,
        base_model=job.base_model or job.pre_tuned_model.base_model,
        display_name=job.tuned_model_display_name,
        training_dataset_uri=spec.training_dataset_uri,
        validation_dataset_uri=spec.validation_dataset_uri,
        create_time=iso_time(job.create_time),
        start_time=iso_time(job.start_time),
        end_time=iso_time(job.end_time),
        update_time=iso_time(job.update_time),
        billable_tokens=stats.total_billable_token_count,
        dataset_examples=stats.tuning_dataset_example_count,
        dropped=DroppedExamples(
            count=stats.total_truncated_example_count,
            indices=tuple(int(index) for index in stats.truncated_example_indices),
            reasons=tuple(stats.dropped_example_reasons),
        ),
        pre_tuned_model=job.pre_tuned_model.tuned_model_name,
    )


def iso_time(value: Any) -> str:
    """A proto timestamp (a ``datetime`` via proto-plus) as ISO 8601; empty when unset."""
    if not isinstance(value, datetime) or value.timestamp() == 0:
        return ""
    return value.isoformat()
