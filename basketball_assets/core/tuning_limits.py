"""Vertex AI's documented limits on a tuning dataset, checked before any money is spent.

The figures come from the "Video tuning" and "About supervised fine-tuning for Gemini models"
pages of the Vertex AI documentation (per example: 131,072 input and output tokens for the
Gemini 2.5 models); check them there when Google changes them. An example's tokens are
estimated with the dataset card's assumptions (tokens per second of clip, characters per
text token), so the check and the cost estimate never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from basketball_assets.core.dataset_card import (
    DEFAULT_CHARACTERS_PER_TOKEN,
    DEFAULT_TOKENS_PER_CLIP_SECOND,
    estimated_tokens,
)
from basketball_assets.core.examples import example_file_uri, example_problems
from basketball_assets.core.layout import clip_of_uri

#: Vertex AI's maximum input plus output tokens of one training example, per base model.
MAX_EXAMPLE_TOKENS_BY_MODEL: dict[str, int] = {
    "gemini-2.5-pro": 131_072,
    "gemini-2.5-flash": 131_072,
    "gemini-2.5-flash-lite": 131_072,
}
#: The same limit for a model not listed above (the figure of every current Gemini tuning model).
DEFAULT_MAX_EXAMPLE_TOKENS = 131_072


def max_example_tokens(base_model: str) -> int:
    """The most tokens one training example may have when tuning ``base_model``."""
    return MAX_EXAMPLE_TOKENS_BY_MODEL.get(base_model, DEFAULT_MAX_EXAMPLE_TOKENS)


@dataclass(frozen=True)
class TuningLimits:
    """Vertex AI's documented limits for video tuning that can be checked from here, and the
    assumptions that turn an example into an estimate of its tokens."""

    max_clip_bytes: int = 100 * 1000 * 1000  # "100MB"; the decimal reading is the stricter one
    max_clip_seconds: float = 300.0  # 5 minutes at the default (medium) media resolution
    max_validation_examples: int = 5000
    max_training_examples: int = 300_000  # multimodal examples
    max_training_file_bytes: int = 1000 * 1000 * 1000  # 1 GB of JSONL
    min_training_examples: int = 16
    max_example_tokens: int = DEFAULT_MAX_EXAMPLE_TOKENS  # input and output together
    base_model: str = ""  # named in messages only
    tokens_per_clip_second: float = DEFAULT_TOKENS_PER_CLIP_SECOND
    characters_per_token: float = DEFAULT_CHARACTERS_PER_TOKEN


@dataclass(frozen=True)
class ClipFacts:
    """What storage knows of one clip: whether it exists, its size and its duration."""

    exists: bool
    size_bytes: int | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class LimitProblem:
    """One broken limit: where (split and line, or the whole split) and what."""

    split: str
    line: int | None
    clip: str
    problem: str
    #: Only "too few training examples": the dataset is sound, just small (a warning).
    too_small: bool = False


@dataclass
class LimitsReport:
    """The outcome of checking a dataset against :class:`TuningLimits`."""

    examples: dict[str, int] = field(default_factory=dict)
    clips_checked: int = 0
    problems: list[LimitProblem] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def only_too_small(self) -> bool:
        """Every problem is the minimum of training examples: sound, but not yet big enough."""
        return bool(self.problems) and all(problem.too_small for problem in self.problems)

    def summary(self, shown: int = 10) -> str:
        """One paragraph for errors and logs, listing the first ``shown`` problems."""
        counts = ", ".join(f"{count} {split}" for split, count in self.examples.items())
        if self.passed:
            return f"dataset within Vertex AI's tuning limits ({counts} examples, {self.clips_checked} clips)"
        lines = [describe_problem(problem) for problem in self.problems[:shown]]
        more = f"; and {len(self.problems) - shown} more" if len(self.problems) > shown else ""
        problems = f"{len(self.problems)} problem{'' if len(self.problems) == 1 else 's'}"
        return f"{problems} with the dataset ({counts} examples): " + "; ".join(lines) + more

    def to_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "clips_checked": self.clips_checked,
            "problems": [asdict(p) for p in self.problems],
        }


def describe_problem(problem: LimitProblem) -> str:
    where = f"{problem.split} line {problem.line}" if problem.line else problem.split
    clip = f" ({problem.clip})" if problem.clip else ""
    return f"{where}{clip}: {problem.problem}"


def check_limits(
    lines_by_split: Mapping[str, Iterable[str]],
    clip_facts: Callable[[str], ClipFacts],
    limits: TuningLimits,
    file_sizes: Mapping[str, int] | None = None,
) -> LimitsReport:
    """Check every example's shape and clip, then the split sizes.

    ``clip_facts`` answers for a clip URI (the caller looks it up in storage); each URI is
    asked about once. ``file_sizes`` are the JSONL files' sizes in bytes, per split.
    """
    report = LimitsReport()
    seen: dict[str, ClipFacts] = {}
    for split, lines in lines_by_split.items():
        report.examples[split] = 0
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            report.examples[split] += 1
            report.problems += example_line_problems(split, number, line, seen, clip_facts, limits)
    report.clips_checked = len(seen)
    report.problems += split_size_problems(report.examples, limits, file_sizes or {})
    return report


def example_line_problems(
    split: str,
    number: int,
    line: str,
    seen: dict[str, ClipFacts],
    clip_facts: Callable[[str], ClipFacts],
    limits: TuningLimits,
) -> list[LimitProblem]:
    try:
        example = json.loads(line)
    except json.JSONDecodeError as error:
        return [LimitProblem(split, number, "", f"not JSON: {error}")]
    shape = example_problems(example)
    if shape:
        return [LimitProblem(split, number, "", problem) for problem in shape]
    uri = example_file_uri(example)
    if uri not in seen:
        seen[uri] = clip_facts(uri)
    problems = clip_problems(seen[uri], limits) + token_problems(example, uri, seen[uri], limits)
    return [LimitProblem(split, number, uri, problem) for problem in problems]


def text_characters(example: Mapping[str, Any]) -> int:
    """Characters of text in an example of the spec's shape: the prompt and the answer."""
    return sum(len(part.get("text", "")) for content in example["contents"] for part in content["parts"])


def token_problems(example: Mapping[str, Any], uri: str, facts: ClipFacts, limits: TuningLimits) -> list[str]:
    """The example's estimated tokens (clip seconds and text) over the per-example maximum, naming its play."""
    seconds, characters = facts.seconds or 0.0, text_characters(example)
    tokens = estimated_tokens(seconds, characters, limits.tokens_per_clip_second, limits.characters_per_token)
    if tokens <= limits.max_example_tokens:
        return []
    clip = clip_of_uri(uri)
    who = f"play {clip.play_id} ({clip.angle}, game {clip.game_id})" if clip else "this example"
    model = f" for {limits.base_model}" if limits.base_model else ""
    return [
        f"{who} is about {tokens:,.0f} tokens ({seconds:.1f} s of clip at {limits.tokens_per_clip_second:g} "
        f"tokens/s, {characters:,} characters of text at {limits.characters_per_token:g} per token); Vertex AI "
        f"accepts at most {limits.max_example_tokens:,} per example{model}: shorten the play's description or clip"
    ]


def clip_problems(facts: ClipFacts, limits: TuningLimits) -> list[str]:
    if not facts.exists:
        return ["clip does not exist in storage; materialize game_clips for its game again"]
    problems = []
    if facts.size_bytes is not None and facts.size_bytes > limits.max_clip_bytes:
        problems.append(
            f"clip is {facts.size_bytes / 1e6:.1f} MB; Vertex AI accepts at most {limits.max_clip_bytes / 1e6:.0f} MB"
        )
    if facts.seconds is None:
        problems.append("clip duration unknown: it is not listed in its game's clips manifest")
    elif facts.seconds > limits.max_clip_seconds:
        problems.append(
            f"clip is {facts.seconds:.1f} s long; Vertex AI accepts at most {limits.max_clip_seconds:.0f} s"
        )
    return problems


def split_size_problems(
    examples: Mapping[str, int], limits: TuningLimits, file_sizes: Mapping[str, int]
) -> list[LimitProblem]:
    problems = []
    training, validation = examples.get("training", 0), examples.get("validation", 0)
    if training < limits.min_training_examples:
        problems.append(
            LimitProblem(
                "training",
                None,
                "",
                f"{training} examples; at least {limits.min_training_examples} are needed (min_training_examples)",
                too_small=True,
            )
        )
    if training > limits.max_training_examples:
        problems.append(
            LimitProblem(
                "training", None, "", f"{training} examples; Vertex AI accepts at most {limits.max_training_examples}"
            )
        )
    if validation > limits.max_validation_examples:
        problems.append(
            LimitProblem(
                "validation",
                None,
                "",
                f"{validation} examples; Vertex AI accepts at most {limits.max_validation_examples}",
            )
        )
    size = file_sizes.get("training")
    if size is not None and size > limits.max_training_file_bytes:
        problems.append(
            LimitProblem(
                "training",
                None,
                "",
                f"JSONL is {size / 1e9:.2f} GB; "
                f"Vertex AI accepts at most {limits.max_training_file_bytes / 1e9:.0f} GB",
            )
        )
    return problems
