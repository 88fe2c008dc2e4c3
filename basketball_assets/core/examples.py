"""Training examples in the Gemini supervised tuning JSONL shape (see the spec)."""

from __future__ import annotations

import json
from typing import Any

PROMPT = "Analyze this basketball play."
CLIP_MIME_TYPE = "video/mp4"


def build_example(file_uri: str, description: str, prompt: str = PROMPT) -> dict[str, Any]:
    """One example: the clip and the prompt from the user, the description from the model."""
    return {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"fileData": {"fileUri": file_uri, "mimeType": CLIP_MIME_TYPE}},
                    {"text": prompt},
                ],
            },
            {"role": "model", "parts": [{"text": description}]},
        ]
    }


def example_line(file_uri: str, description: str, prompt: str = PROMPT) -> str:
    """The example as one JSONL line (no trailing newline)."""
    return json.dumps(build_example(file_uri, description, prompt), ensure_ascii=False)


def example_problems(example: Any) -> list[str]:
    """What is wrong with a parsed example's shape; empty when it matches the spec."""
    try:
        user, model = example["contents"]
        if user["role"] != "user" or model["role"] != "model":
            return ["roles must be user then model"]
        file_part, prompt_part = user["parts"]
        file_data = file_part["fileData"]
        problems = []
        if not isinstance(file_data.get("fileUri"), str) or not file_data["fileUri"]:
            problems.append("fileData.fileUri must be a non-empty string")
        if file_data.get("mimeType") != CLIP_MIME_TYPE:
            problems.append(f"fileData.mimeType must be {CLIP_MIME_TYPE}")
        if not isinstance(prompt_part.get("text"), str) or not prompt_part["text"]:
            problems.append("the user's second part must be the prompt text")
        (answer,) = model["parts"]
        if not isinstance(answer.get("text"), str) or not answer["text"].strip():
            problems.append("the model's answer must be a non-empty text")
        if set(example) != {"contents"}:
            problems.append(f"unexpected top-level keys {sorted(set(example) - {'contents'})}")
        return problems
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return [f"not the spec's example shape ({type(error).__name__}: {error})"]


def example_file_uri(example: dict[str, Any]) -> str:
    """The clip URI an example (of the spec's shape) refers to."""
    return example["contents"][0]["parts"][0]["fileData"]["fileUri"]


def example_description(example: dict[str, Any]) -> str:
    """The play's description: the model's answer in an example of the spec's shape."""
    return example["contents"][1]["parts"][0]["text"]


def example_parts(line: str) -> tuple[str, str]:
    """The clip URI and the description (the model's answer) of one JSONL example line."""
    example = json.loads(line)
    return example_file_uri(example), example_description(example)
