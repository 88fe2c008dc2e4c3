"""Vertex AI predictions: one prompt and clip to a Gemini model, through the stable v1
``PredictionServiceClient.generate_content`` (REST transport).

A base model is called through its publisher model name
(``projects/P/locations/L/publishers/google/models/M``: the client posts to
``/v1/{model}:generateContent``), a tuned model through its endpoint resource name
(``projects/P/locations/L/endpoints/E``, the same route on the endpoint). Each call is a paid
call; quota errors (429) and server errors (5xx) are waited out with backoff, inside a deadline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import requests
from dagster import ConfigurableResource
from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform_v1
from pydantic import Field, PrivateAttr

from basketball_assets.core.examples import CLIP_MIME_TYPE

#: Answers worth asking again: quota (429), server errors, timeouts, a dropped connection.
RETRYABLE_ERRORS: tuple[type[BaseException], ...] = (
    api_exceptions.TooManyRequests,
    api_exceptions.ResourceExhausted,
    api_exceptions.InternalServerError,
    api_exceptions.BadGateway,
    api_exceptions.ServiceUnavailable,
    api_exceptions.GatewayTimeout,
    api_exceptions.DeadlineExceeded,
    requests.ConnectionError,
    requests.Timeout,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between attempts of one call, the deadline over all its attempts, and each attempt's timeout."""

    initial_s: float = 2.0
    maximum_s: float = 60.0
    deadline_s: float = 600.0
    timeout_s: float = 120.0


@dataclass(frozen=True)
class Generated:
    """A model's answer and the tokens Vertex AI billed for it."""

    text: str
    prompt_tokens: int
    output_tokens: int
    finish_reason: str = ""


class VertexPrediction(ConfigurableResource):
    """Where models answer: a Google Cloud project and Vertex AI region (the tuning jobs' own).

    Unset ``project`` means Vertex AI is not configured. Credentials as for tuning:
    Application Default Credentials, anonymous only for a plain ``http://`` stand-in.
    """

    project: str | None = Field(default=None, description="Google Cloud project (env VERTEX_PROJECT).")
    location: str = Field(default="us-central1", description="Vertex AI region (env VERTEX_LOCATION).")
    api_endpoint: str | None = Field(
        default=None,
        description="Vertex AI API endpoint (env VERTEX_API_ENDPOINT); unset means Google's regional endpoint.",
    )

    _client: aiplatform_v1.PredictionServiceClient | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def missing_settings(self) -> list[str]:
        return [] if self.project else ["VERTEX_PROJECT (Google Cloud project whose models answer)"]

    def publisher_model(self, base_model: str) -> str:
        """The resource name a base model is called through (a full name is kept as it is)."""
        if base_model.startswith("projects/"):
            return base_model
        return f"projects/{self.project}/locations/{self.location}/publishers/google/models/{base_model}"

    @property
    def client(self) -> aiplatform_v1.PredictionServiceClient:
        with self._lock:  # calls come from a thread pool; one client serves them all
            if self._client is None:
                endpoint = self.api_endpoint or f"{self.location}-aiplatform.googleapis.com"
                self._client = aiplatform_v1.PredictionServiceClient(
                    transport="rest",
                    credentials=AnonymousCredentials() if endpoint.startswith("http://") else None,
                    client_options=ClientOptions(api_endpoint=endpoint),
                )
            return self._client

    def generate(
        self,
        model: str,
        clip_uri: str,
        prompt: str,
        policy: RetryPolicy,
        on_retry: Callable[[BaseException], None] | None = None,
    ) -> Generated:
        """Ask ``model`` the prompt about the clip, as a training example asks it. A paid call."""
        request = aiplatform_v1.GenerateContentRequest(
            model=model,
            contents=[
                aiplatform_v1.Content(
                    role="user",
                    parts=[
                        aiplatform_v1.Part(
                            file_data=aiplatform_v1.FileData(file_uri=clip_uri, mime_type=CLIP_MIME_TYPE)
                        ),
                        aiplatform_v1.Part(text=prompt),
                    ],
                )
            ],
            # Temperature 0: the answer the model finds most likely, so runs are comparable.
            generation_config=aiplatform_v1.GenerationConfig(temperature=0.0),
        )
        retry = api_retry.Retry(
            predicate=api_retry.if_exception_type(*RETRYABLE_ERRORS),
            initial=policy.initial_s,
            maximum=policy.maximum_s,
            multiplier=2.0,
            timeout=policy.deadline_s,
            on_error=on_retry,
        )
        response = self.client.generate_content(request=request, retry=retry, timeout=policy.timeout_s)
        return generated(response)


def generated(response: aiplatform_v1.GenerateContentResponse) -> Generated:
    """The first candidate's text (empty when the model gave none, e.g. blocked) and the usage."""
    usage = response.usage_metadata
    text, finish = "", ""
    if response.candidates:
        candidate = response.candidates[0]
        text = "".join(part.text for part in candidate.content.parts if part.text)
        try:
            finish = aiplatform_v1.Candidate.FinishReason(candidate.finish_reason).name
        except ValueError:  # a reason newer than this client: kept as its number
            finish = str(int(candidate.finish_reason))
    return Generated(text, int(usage.prompt_token_count), int(usage.candidates_token_count), finish)
