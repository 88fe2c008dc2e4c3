"""``VertexPrediction`` for real: the real ``PredictionServiceClient`` (REST, anonymous
credentials) against the local stand-in's ``generateContent``."""

from collections.abc import Iterator

import pytest
from google.api_core import exceptions as api_exceptions

from basketball_assets.resources.prediction import RetryPolicy, VertexPrediction
from basketball_assets_tests.services.vertex_standin import VertexStandin, running_vertex_standin

pytestmark = pytest.mark.services

CLIP = "gs://bucket/games/g1/clips/p1_broadcast.mp4"
DESCRIPTION = "Curry dribbles left off a high screen and pulls up for a deep three pointer"
ENDPOINT = "projects/basketball-test/locations/us-central1/endpoints/endpoint-7"
#: Quick backoff: the stand-in's 429s need no real waiting.
QUICK = RetryPolicy(initial_s=0.01, maximum_s=0.05, deadline_s=30, timeout_s=30)


@pytest.fixture(scope="module")
def standin() -> Iterator[VertexStandin]:
    with running_vertex_standin() as running:
        running.answers.descriptions[CLIP] = DESCRIPTION
        yield running


@pytest.fixture
def prediction(standin) -> VertexPrediction:
    standin.answers.answered.clear()
    standin.requests.clear()
    return VertexPrediction(project="basketball-test", location="us-central1", api_endpoint=standin.endpoint)


def test_a_base_model_is_called_through_its_publisher_model_name(standin, prediction):
    model = prediction.publisher_model("gemini-2.5-pro")
    standin.answers.styles[model] = "exact"

    answer = prediction.generate(model, CLIP, "Analyze this basketball play.", QUICK)

    (request,) = standin.requests
    assert request.path == (
        "/v1/projects/basketball-test/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent"
    )
    (content,) = request.body["contents"]
    assert content["role"] == "user"
    assert content["parts"] == [
        {"fileData": {"fileUri": CLIP, "mimeType": "video/mp4"}},
        {"text": "Analyze this basketball play."},
    ]
    assert answer.text == DESCRIPTION
    assert (answer.prompt_tokens, answer.output_tokens) == (standin.answers.prompt_tokens, len(DESCRIPTION.split()))
    assert answer.finish_reason == "STOP"


def test_a_tuned_model_is_called_through_its_endpoint(standin, prediction):
    answer = prediction.generate(ENDPOINT, CLIP, "Analyze this basketball play.", QUICK)

    assert [r.path for r in standin.requests] == [f"/v1/{ENDPOINT}:generateContent"]
    assert standin.answers.answered == [(ENDPOINT, CLIP)]
    assert answer.text == " ".join(DESCRIPTION.split()[: len(DESCRIPTION.split()) // 2])


def test_quota_errors_are_waited_out_with_backoff(standin, prediction):
    standin.answers.too_many_requests = 3
    retried = []

    answer = prediction.generate(ENDPOINT, CLIP, "Analyze this basketball play.", QUICK, on_retry=retried.append)

    assert answer.text
    assert len(standin.requests) == 4
    assert [type(error) for error in retried] == [api_exceptions.TooManyRequests] * 3
    assert standin.answers.answered == [(ENDPOINT, CLIP)]


def test_an_error_that_waiting_cannot_fix_is_raised_at_once(standin, prediction):
    standin.answers.fail_after = 0
    try:
        with pytest.raises(api_exceptions.BadRequest):
            prediction.generate(ENDPOINT, CLIP, "Analyze this basketball play.", QUICK)
    finally:
        standin.answers.fail_after = None

    assert len(standin.requests) == 1
