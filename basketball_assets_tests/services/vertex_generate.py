"""The Vertex AI stand-in's ``generateContent`` (v1), for ``PredictionServiceClient``: publisher
models and endpoints answer with scripted, deterministic text per model (see :class:`AnswerScript`),
so tests know which model should win. Served by ``vertex_standin.py``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

GENERATE_PATH = re.compile(
    r"^/v1/(?P<model>projects/[^/]+/locations/[^/]+/(?:endpoints/[^/:]+|publishers/[^/]+/models/[^/:]+))"
    r":generateContent$"
)

#: An answer style: what a model says given the play's description (the reference).
ANSWER_STYLES = {
    "exact": lambda description: description,
    "half": lambda description: " ".join(description.split()[: max(1, len(description.split()) // 2)]),
    "wrong": lambda description: "A player dribbles the ball near the sideline while the crowd watches.",
}


@dataclass
class AnswerScript:
    """How ``generateContent`` answers: per model, a style applied to the clip's description, so
    tests know which model should win. Unknown clips get the "wrong" answer."""

    #: Clip URI -> the play's description (what the validation example says).
    descriptions: dict[str, str] = field(default_factory=dict)
    #: Model resource name -> a key of :data:`ANSWER_STYLES`; unlisted models answer "half".
    styles: dict[str, str] = field(default_factory=dict)
    #: The next this many calls answer 429 RESOURCE_EXHAUSTED, as when the quota is used up.
    too_many_requests: int = 0
    #: After this many answered calls, every call fails 400 FAILED_PRECONDITION (an evaluation cut short).
    fail_after: int | None = None
    prompt_tokens: int = 2_000
    #: (model, clip URI) of every call answered (paid for), in order.
    answered: list[tuple[str, str]] = field(default_factory=list)
    #: Called with the number of calls answered so far, before each answer is sent (e.g. to
    #: terminate the test's process while that answer is in flight).
    on_answer: Callable[[int], None] | None = None

    def answer(self, model: str, clip_uri: str) -> str:
        style = ANSWER_STYLES[self.styles.get(model, "half")]
        return style(self.descriptions[clip_uri]) if clip_uri in self.descriptions else ANSWER_STYLES["wrong"]("")


def generate_body_problems(body: Any) -> list[str]:
    """What Vertex AI would reject in the part of a generateContent request this project sends."""
    try:
        (content,) = body["contents"]
        file_part, text_part = content["parts"]
        uri, mime = file_part["fileData"]["fileUri"], file_part["fileData"]["mimeType"]
        prompt = text_part["text"]
    except (KeyError, TypeError, ValueError) as error:
        return [f"contents must be one user turn with a fileData part and a text part ({error!r})"]
    problems = [] if content.get("role") == "user" else ["the turn's role must be user"]
    if not str(uri).startswith("gs://"):
        problems.append(f"fileData.fileUri must be a gs:// URI, got {uri!r}")
    if mime != "video/mp4":
        problems.append(f"fileData.mimeType must be video/mp4, got {mime!r}")
    if not prompt:
        problems.append("the prompt text is empty")
    return problems


def generate_response(script: AnswerScript, model: str, body: dict[str, Any]) -> dict[str, Any]:
    clip_uri = body["contents"][0]["parts"][0]["fileData"]["fileUri"]
    text = script.answer(model, clip_uri)
    script.answered.append((model, clip_uri))
    if script.on_answer is not None:
        script.on_answer(len(script.answered))
    output_tokens = len(text.split())
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
        "usageMetadata": {
            "promptTokenCount": script.prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": script.prompt_tokens + output_tokens,
        },
        "modelVersion": model,
    }
