"""Training examples (spec, "Training examples"): one JSON object per line, per clip."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basketball_assets.core.examples import (
    CLIP_MIME_TYPE,
    PROMPT,
    build_example,
    example_description,
    example_file_uri,
    example_line,
    example_parts,
    example_problems,
)

#: The contract, where the spec's example shape and one literal line are written out.
CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract.md"

#: The example exactly as the contract (``docs/contract.md``, "Training examples") writes
#: it, placeholders and all; a test below checks that the contract still shows it.
SPEC_EXAMPLE = """{"contents": [
  {"role": "user", "parts": [
    {"fileData": {"fileUri": "gs://uball-training-data/games/{game_id}/clips/{play_id}_{angle}.mp4", "mimeType": "video/mp4"}},
    {"text": "Analyze this basketball play."}]},
  {"role": "model", "parts": [{"text": "{description}"}]}]}"""  # noqa: E501 - the contract's text, verbatim

GAME = "6f1c2d3e-0000-4000-8000-000000000001"
PLAY = "9a8b7c6d-0000-4000-8000-000000000002"
URI = f"gs://uball-training-data/games/{GAME}/clips/{PLAY}_broadcast.mp4"
DESCRIPTION = "Pick and roll at the top of the key; the roller finishes with a layup."


def spec_line(game_id: str, play_id: str, angle: str, description: str) -> str:
    """The spec's example on one line: line breaks after commas become the JSON separator."""
    one_line = re.sub(r",\n\s*", ", ", SPEC_EXAMPLE)
    one_line = re.sub(r"\n\s*", "", one_line)
    return (
        one_line.replace("{game_id}", game_id)
        .replace("{play_id}", play_id)
        .replace("{angle}", angle)
        .replace("{description}", description)
    )


def test_an_example_line_is_the_specs_example_byte_for_byte():
    assert example_line(URI, DESCRIPTION) == spec_line(GAME, PLAY, "broadcast", DESCRIPTION)


def test_the_contract_shows_this_example_shape():
    assert f"```json\n{SPEC_EXAMPLE}\n```" in CONTRACT.read_text(encoding="utf-8")


def test_the_contracts_literal_line_is_what_the_pipeline_writes():
    lines = [line for line in CONTRACT.read_text(encoding="utf-8").splitlines() if line.startswith('{"contents": [{')]

    assert lines == [example_line(URI, DESCRIPTION)]


def test_an_example_parses_to_the_specs_example_with_keys_in_the_same_order():
    parsed = json.loads(example_line(URI, DESCRIPTION))
    expected = json.loads(spec_line(GAME, PLAY, "broadcast", DESCRIPTION))

    assert parsed == expected
    assert json.dumps(parsed) == json.dumps(expected)  # same key order throughout


def test_an_example_line_is_one_line_without_a_trailing_newline():
    line = example_line(URI, "First line.\nSecond line.")

    assert "\n" not in line
    assert json.loads(line)["contents"][1]["parts"][0]["text"] == "First line.\nSecond line."


def test_the_prompt_is_the_specs():
    assert PROMPT == "Analyze this basketball play."
    assert build_example(URI, DESCRIPTION)["contents"][0]["parts"][1] == {"text": PROMPT}


def test_the_clip_is_sent_as_mp4_video():
    assert CLIP_MIME_TYPE == "video/mp4"


def test_a_local_file_uri_is_used_as_given():
    uri = f"file:///data/uball-training-data/games/{GAME}/clips/{PLAY}_tactical.mp4"

    assert example_file_uri(json.loads(example_line(uri, DESCRIPTION))) == uri


def test_non_ascii_descriptions_are_written_as_utf8_text_not_escapes():
    line = example_line(URI, "Passe décisive de Léa — 3 points")

    assert "Passe décisive de Léa — 3 points" in line


@settings(deadline=None)
@given(description=st.text(min_size=1).filter(str.strip), uri=st.text(min_size=1))
def test_any_description_and_uri_round_trip_through_a_line(description, uri):
    parsed = json.loads(example_line(uri, description))

    assert parsed == build_example(uri, description)
    assert example_problems(parsed) == []


# Checking a parsed example's shape (used by the game's asset check)


def valid() -> dict:
    return build_example(URI, DESCRIPTION)


def test_a_built_example_has_no_problems():
    assert example_problems(valid()) == []


def broken(change) -> dict:
    example = copy.deepcopy(valid())
    change(example)
    return example


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda e: e["contents"][0]["parts"][0]["fileData"].update(fileUri=""),
            "fileData.fileUri must be a non-empty string",
        ),
        (
            lambda e: e["contents"][0]["parts"][0]["fileData"].update(fileUri=7),
            "fileData.fileUri must be a non-empty string",
        ),
        (
            lambda e: e["contents"][0]["parts"][0]["fileData"].update(mimeType="video/webm"),
            "fileData.mimeType must be video/mp4",
        ),
        (lambda e: e["contents"][0]["parts"][1].update(text=""), "the user's second part must be the prompt text"),
        (lambda e: e["contents"][1]["parts"][0].update(text="  "), "the model's answer must be a non-empty text"),
        (lambda e: e.update(extra=1), "unexpected top-level keys ['extra']"),
    ],
    ids=["empty-uri", "uri-not-text", "wrong-mime", "no-prompt", "blank-answer", "extra-key"],
)
def test_a_wrong_field_is_named(change, problem):
    assert example_problems(broken(change)) == [problem]


def test_swapped_roles_are_a_problem():
    example = broken(lambda e: e["contents"].reverse())

    assert example_problems(example) == ["roles must be user then model"]


@pytest.mark.parametrize(
    "example",
    [
        None,
        [],
        "text",
        {},
        {"contents": []},
        {"contents": [{"role": "user", "parts": []}, {"role": "model", "parts": []}]},
        {"contents": [{"role": "user"}, {"role": "model"}]},
    ],
    ids=["null", "list", "string", "empty", "no-turns", "no-parts", "parts-missing"],
)
def test_something_else_entirely_is_not_the_specs_shape(example):
    (problem,) = example_problems(example)

    assert problem.startswith("not the spec's example shape")


def test_two_model_answers_are_not_the_specs_shape():
    example = broken(lambda e: e["contents"][1]["parts"].append({"text": "More."}))

    assert example_problems(example)[0].startswith("not the spec's example shape")


def test_example_file_uri_reads_the_clip_uri():
    assert example_file_uri(valid()) == URI


def test_example_description_reads_the_models_answer():
    assert example_description(valid()) == DESCRIPTION


def test_example_parts_are_the_clip_uri_and_the_description():
    assert example_parts(example_line("gs://b/games/g/clips/p_broadcast.mp4", "A layup.")) == (
        "gs://b/games/g/clips/p_broadcast.mp4",
        "A layup.",
    )


def test_one_wrong_role_is_a_problem_too():
    def assistant(example):
        example["contents"][1]["role"] = "assistant"

    assert example_problems(broken(assistant)) == ["roles must be user then model"]
