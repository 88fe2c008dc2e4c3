"""What a tuning job reports about its dataset, and what it means: dropped examples, billable
tokens and the cost they stand for. Pure; the figures come from the job's ``tuning_data_stats``
(``SupervisedTuningDataStats`` of the v1 API).

Vertex AI bills supervised tuning per training token and epoch: the job's billable token count
covers one pass over the training set, so the cost is that count times the epochs times the price
per million tokens (the dataset card estimates the same product before any job exists).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from basketball_assets.core.examples import example_file_uri
from basketball_assets.core.layout import clip_of_uri

#: Dropped examples named one by one in a message before the rest are only counted.
SHOWN_DROPPED = 20


@dataclass(frozen=True)
class DroppedExamples:
    """Examples Vertex AI left out of (or cut in) the training set, as the job reports them.

    ``count`` is ``total_truncated_example_count`` (documented as the examples dropped: too many
    tokens, an unreadable clip, ...); ``indices`` (1-based lines of the training file) and
    ``reasons`` are a partial sample of them, one reason per index.
    """

    count: int = 0
    indices: tuple[int, ...] = ()
    reasons: tuple[str, ...] = field(default=())

    @property
    def any(self) -> bool:
        return self.count > 0 or bool(self.indices) or bool(self.reasons)


def example_name(line: str | None) -> str:
    """Who a training line is, for a person: ``game G, play P, angle A`` or its clip URI."""
    if line is None:
        return "a line the training file does not have"
    try:
        uri = example_file_uri(json.loads(line))
    except (ValueError, KeyError, TypeError, AttributeError):
        return "an unreadable line"
    clip = clip_of_uri(uri)
    return f"game {clip.game_id}, play {clip.play_id}, angle {clip.angle}" if clip else uri


def dropped_message(dropped: DroppedExamples, training_uri: str, lines: Mapping[int, str]) -> str:
    """Why the check fails: how many examples were dropped, and each sampled one named by its
    play (``lines``: the training file's lines at the reported indices) with Vertex AI's reason."""
    sample = []
    for position, index in enumerate(dropped.indices[:SHOWN_DROPPED]):
        reason = dropped.reasons[position] if position < len(dropped.reasons) else "no reason given"
        sample.append(f"line {index} of {training_uri} ({example_name(lines.get(index))}): {reason}")
    extra_reasons = dropped.reasons[len(dropped.indices) :]
    sample += [f"(no line given): {reason}" for reason in extra_reasons[:SHOWN_DROPPED]]
    more = dropped.count - len(sample) if sample else 0  # nothing sampled: "no sample of them" says it all
    listed = "; ".join(sample) if sample else "Vertex AI gave no sample of them"
    total = max(dropped.count, len(sample))
    return (
        f"Vertex AI dropped or truncated {total} training example{'' if total == 1 else 's'} of {training_uri}: "
        f"{listed}" + (f"; and {more} more" if more > 0 else "") + ". The tuned model never learned from them: fix "
        "those plays (shorter clips or descriptions, readable videos), materialize combined_dataset and tune again"
    )


def tuning_cost(billable_tokens: int, epochs: int, price_per_million_tokens: float) -> float:
    """What a job costs: its billable tokens (one epoch) x epochs x the price per million tokens."""
    return billable_tokens * epochs * price_per_million_tokens / 1_000_000


def cost_basis(price_per_million_tokens: float, assumed: bool, epochs: int) -> str:
    """How ``tuning_cost_usd`` was computed, saying so when the price is only the default assumption."""
    basis = f"billable tokens x {epochs} epochs x {price_per_million_tokens:g} USD per million training tokens"
    if assumed:
        return (
            basis + " (an assumed price, the default: set tuned_model's price_per_million_training_tokens to the "
            "current Vertex AI price for the base model)"
        )
    return basis + " (the configured price)"
