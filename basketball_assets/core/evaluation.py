"""Model evaluation, the pure part: which validation examples are asked, how answers are kept
and scored, and whether a new model beats another beyond chance.

No I/O: ``assets/evaluation.py`` reads the examples, calls the models and stores the answers.
Metrics come from well-kept libraries (``rouge-score``, ``sacrebleu``), all on a 0-100 scale;
the paired bootstrap uses numpy with a fixed seed, so the same answers give the same interval.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import numpy as np

from basketball_assets.core.dataset_card import DEFAULT_CHARACTERS_PER_TOKEN, DEFAULT_TOKENS_PER_CLIP_SECOND
from basketball_assets.core.examples import example_problems
from basketball_assets.core.fingerprint import stable_hash

#: The metrics, in report order: ROUGE-L F1, BLEU and chrF, each 0-100.
METRICS = ("rougeL", "bleu", "chrf")
#: The metric that decides ``beats_base`` and ``beats_champion`` (Google's tuning notebooks report it).
PRIMARY_METRIC = "rougeL"
#: Roles of the models compared, in report order.
NEW, BASE, CHAMPION = "new", "base", "champion"
#: Bootstrap resamples; plenty for a 95% interval over at most a few thousand examples.
RESAMPLES = 2000
#: Fixed seed: the same scores always give the same interval (and the same verdict).
SEED = 13


class ExamplesInvalid(ValueError):
    """A validation JSONL line that is not an example of the spec's shape."""


@dataclass(frozen=True)
class EvalExample:
    """One validation example: the clip and prompt asked, and the play's description (the reference)."""

    example_id: str
    clip_uri: str
    prompt: str
    reference: str


@dataclass(frozen=True)
class Answer:
    """One model's answer to one example, with the tokens it was billed for."""

    model: str
    example_id: str
    clip_uri: str
    text: str
    prompt_tokens: int = 0
    output_tokens: int = 0

    def line(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


def parse_examples(lines: Iterable[str], source: str) -> list[EvalExample]:
    """The examples of a validation JSONL; a line of another shape raises :class:`ExamplesInvalid`."""
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            example = json.loads(line)
        except json.JSONDecodeError as error:
            raise ExamplesInvalid(f"{source} line {number} is not JSON ({error})") from error
        problems = example_problems(example)
        if problems:
            raise ExamplesInvalid(f"{source} line {number} is not a tuning example: {'; '.join(problems)}")
        user, model = example["contents"]
        clip_uri = user["parts"][0]["fileData"]["fileUri"]
        prompt, reference = user["parts"][1]["text"], model["parts"][0]["text"]
        example_id = stable_hash({"clip": clip_uri, "prompt": prompt, "reference": reference})[:16]
        examples.append(EvalExample(example_id, clip_uri, prompt, reference))
    return examples


def sample_examples(examples: Sequence[EvalExample], max_examples: int) -> list[EvalExample]:
    """At most ``max_examples`` examples, the same ones every time for the same examples.

    Ordered by a hash of each example's id, not by file order: the choice does not depend on
    how the file was written, and a grown dataset keeps most of its earlier sample.
    """
    unique = {example.example_id: example for example in examples}
    ordered = sorted(unique.values(), key=lambda example: stable_hash(["sample", example.example_id]))
    return ordered[: max(0, max_examples)]


def model_slug(model: str) -> str:
    """A short name for a model's resource name, safe in an object key."""
    return stable_hash(["model", model])[:16]


def answers_folder(prefix: str, model: str) -> str:
    """The folder of one model's kept answers, shared by every evaluation (``prefix`` ends in ``/``)."""
    return f"{prefix}answers/{model_slug(model)}/"


def answer_key(prefix: str, model: str, example_id: str) -> str:
    """Where one answer is kept the moment it arrives: by model and example, so an answer is never
    paid for twice, whichever evaluation asked first (the base and the champion are asked often)."""
    return f"{answers_folder(prefix, model)}{example_id}.json"


def answer_from_json(value: Mapping[str, Any]) -> Answer:
    return Answer(
        model=str(value["model"]),
        example_id=str(value["example_id"]),
        clip_uri=str(value.get("clip_uri", "")),
        text=str(value.get("text", "")),
        prompt_tokens=int(value.get("prompt_tokens") or 0),
        output_tokens=int(value.get("output_tokens") or 0),
    )


def answers_from_lines(lines: Iterable[str]) -> dict[tuple[str, str], Answer]:
    """The answers of a predictions JSONL, by (model, example id); a damaged line is skipped
    (its answer is then read from its own object, or asked again)."""
    answers = {}
    for line in lines:
        try:
            answer = answer_from_json(json.loads(line))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        answers[(answer.model, answer.example_id)] = answer
    return answers


def predictions_text(answers: Iterable[Answer]) -> str:
    """Answers as JSONL, in a stable order."""
    ordered = sorted(answers, key=lambda answer: (answer.model, answer.example_id))
    return "".join(answer.line() + "\n" for answer in ordered)


# --- cost --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prices:
    """Prices (USD) per million tokens of a prediction; tuned endpoints bill as their base model."""

    input_per_million: float
    output_per_million: float

    def cost(self, prompt_tokens: float, output_tokens: float) -> float:
        return (prompt_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1_000_000


def estimated_call_tokens(
    example: EvalExample,
    clip_seconds: float,
    tokens_per_clip_second: float = DEFAULT_TOKENS_PER_CLIP_SECOND,
    characters_per_token: float = DEFAULT_CHARACTERS_PER_TOKEN,
) -> tuple[float, float]:
    """Estimated (prompt, output) tokens of one call, as the dataset card estimates an example:
    the clip's seconds and the prompt in, about the reference's length out."""
    prompt = clip_seconds * tokens_per_clip_second + len(example.prompt) / characters_per_token
    return prompt, len(example.reference) / characters_per_token


# --- scores ------------------------------------------------------------------------------


@cache
def _rouge() -> Any:
    # Imported when first scoring (rouge-score loads nltk): loading the definitions does not pay for it.
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def score_answer(prediction: str, reference: str) -> dict[str, float]:
    """ROUGE-L F1, sentence BLEU and chrF of one answer against the reference, each 0-100."""
    import sacrebleu  # imported when first scoring, as rouge-score

    return {
        "rougeL": 100.0 * _rouge().score(reference, prediction)["rougeL"].fmeasure,
        "bleu": float(sacrebleu.sentence_bleu(prediction, [reference]).score),
        "chrf": float(sacrebleu.sentence_chrf(prediction, [reference]).score),
    }


@dataclass(frozen=True)
class Interval:
    """The mean of paired differences (new - other) and its bootstrap 95% interval."""

    mean: float
    low: float
    high: float

    @property
    def better(self) -> bool:
        """Better beyond the interval: even its low end is above zero."""
        return self.low > 0

    def text(self) -> str:
        return f"{self.mean:+.2f} [{self.low:+.2f}, {self.high:+.2f}]"


def paired_bootstrap(new: Sequence[float], other: Sequence[float], resamples: int = RESAMPLES) -> Interval:
    """Paired bootstrap of mean(new - other): resample examples with replacement, keep the
    2.5th and 97.5th percentiles of the resampled means."""
    if len(new) != len(other) or not new:
        raise ValueError(f"paired scores must be two non-empty lists of one length ({len(new)}, {len(other)})")
    differences = np.asarray(new, dtype=float) - np.asarray(other, dtype=float)
    rng = np.random.default_rng(SEED)
    picks = rng.integers(0, len(differences), size=(resamples, len(differences)))
    means = differences[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Interval(float(differences.mean()), float(low), float(high))


@dataclass(frozen=True)
class Scored:
    """Every model's per-example scores over one sample, and the comparisons of the new model."""

    examples: list[EvalExample]
    models: dict[str, str]
    #: role -> metric -> per-example scores (in ``examples`` order).
    scores: dict[str, dict[str, list[float]]]
    #: other role -> metric -> interval of new - other.
    intervals: dict[str, dict[str, Interval]]
    #: role -> per-example answer text (in ``examples`` order).
    texts: dict[str, list[str]]

    def mean(self, role: str, metric: str) -> float:
        return float(np.mean(self.scores[role][metric]))

    def beats(self, role: str) -> bool | None:
        """Whether the new model beats ``role`` on the primary metric; None without that model."""
        return self.intervals[role][PRIMARY_METRIC].better if role in self.intervals else None

    def summary(self) -> dict[str, Any]:
        """The scores as the registry keeps them: means per role and metric, and the intervals."""
        return {
            "examples": len(self.examples),
            "primary_metric": PRIMARY_METRIC,
            "models": dict(self.models),
            "means": {role: {m: round(self.mean(role, m), 4) for m in METRICS} for role in self.scores},
            "new_minus": {
                role: {m: {"mean": i.mean, "low": i.low, "high": i.high} for m, i in by_metric.items()}
                for role, by_metric in self.intervals.items()
            },
        }


def score_all(
    examples: Sequence[EvalExample], models: Mapping[str, str], answers: Mapping[tuple[str, str], Answer]
) -> Scored:
    """Score every role's answer to every example; compare the new model with each other role."""
    scores: dict[str, dict[str, list[float]]] = {}
    texts: dict[str, list[str]] = {}
    for role, model in models.items():
        texts[role] = [answers[(model, example.example_id)].text for example in examples]
        per_example = [score_answer(text, ex.reference) for text, ex in zip(texts[role], examples, strict=True)]
        scores[role] = {metric: [row[metric] for row in per_example] for metric in METRICS}
    intervals = {
        role: {metric: paired_bootstrap(scores[NEW][metric], scores[role][metric]) for metric in METRICS}
        for role in models
        if role != NEW
    }
    return Scored(list(examples), dict(models), scores, intervals, texts)


@dataclass(frozen=True)
class Verdict:
    """What the evaluation decides: the two checks and whether the new model becomes champion."""

    beats_base: bool
    #: None when there is no champion to beat.
    beats_champion: bool | None
    champion: bool


def verdict(scored: Scored) -> Verdict:
    """A new model becomes champion only when it beats the base and the champion (when there is one)."""
    beats_base = bool(scored.beats(BASE))
    beats_champion = scored.beats(CHAMPION)
    return Verdict(beats_base, beats_champion, beats_base and beats_champion is not False)


def gains_and_losses(scored: Scored, against: str = BASE, count: int = 5) -> tuple[list[int], list[int]]:
    """Indexes of the ``count`` examples where the new model gained most and lost most against
    ``against`` on the primary metric (a loss only where it really scored lower)."""
    new, other = scored.scores[NEW][PRIMARY_METRIC], scored.scores[against][PRIMARY_METRIC]
    differences = [a - b for a, b in zip(new, other, strict=True)]
    order = sorted(range(len(differences)), key=lambda index: (differences[index], index))
    gained = [index for index in reversed(order) if differences[index] > 0][:count]
    lost = [index for index in order if differences[index] < 0][:count]
    return gained, lost
