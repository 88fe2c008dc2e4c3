"""The dataset card's pure parts: streaming statistics, rejection reasons, the cost estimate."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basketball_assets.core.dataset_card import (
    CostAssumptions,
    DatasetCard,
    Distribution,
    dataset_card_key,
    example_tokens,
    rejection_kind,
    size_text,
)
from basketball_assets.core.examples import PROMPT
from basketball_assets.core.plays import Rejection
from basketball_assets.core.timeline import SpanRejected, locate
from basketball_assets.core.validation import row_problem

ASSUMED = CostAssumptions(
    epochs=5,
    price_per_million_tokens=10.0,
    tokens_per_clip_second=300.0,
    characters_per_token=4.0,
    base_model="gemini-2.5-pro",
)


def test_the_card_sits_next_to_the_combined_jsonl():
    assert dataset_card_key("20261126T140000Z") == "cumulative-execution-20261126T140000Z/dataset_card.md"


def row(**changes):
    return {
        "id": "p",
        "game_id": "g",
        "start_time": 1.0,
        "end_time": 2.0,
        "angle": "both",
        "description": "x",
    } | changes


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ({"start_time": -1.0}, "negative time"),
        ({"end_time": 0.5}, "ends before it starts"),
        ({"angle": "sideline"}, "unknown angle"),
        ({"description": "  "}, "empty description"),
        ({"start_time": "soon"}, "times are not numbers"),
        ({"half": 3}, "invalid half"),
    ],
)
def test_row_problems_group_by_what_went_wrong(changes, kind):
    assert rejection_kind(row_problem(row(**changes))) == kind


def test_span_problems_group_by_what_went_wrong():
    with pytest.raises(SpanRejected) as crossing:
        locate(10.0, 13.0, None, {1: 11.0, 2: 10.0})
    with pytest.raises(SpanRejected) as past:
        locate(19.0, 25.0, None, {1: 11.0, 2: 10.0})
    assert rejection_kind(str(crossing.value)) == "span crosses the end of half 1"
    assert rejection_kind(str(past.value)) == "ends after the video"
    assert (
        rejection_kind("tactical half 2 video file:///x.mp4 cannot be read: missing") == "video missing or unreadable"
    )
    assert rejection_kind("something new: details") == "other: something new"


def test_distribution_counts_values_into_fixed_bins():
    sizes = Distribution((10, 100))
    for value in (1, 10, 50, 100, 1000):
        sizes.add(value)
    assert sizes.bins == [1, 2, 2] and sizes.count == 5
    assert (sizes.low, sizes.high, sizes.mean) == (1, 1000, 1161 / 5)
    assert sizes.rows(lambda edge: f"{edge}") == [("< 10", 1), ("10 – 100", 2), ("≥ 100", 2)]


# Logic, not speed: Hypothesis' 200 ms per-example deadline fails at random on a busy 2-core machine.
@settings(deadline=None)
@given(st.lists(st.floats(0, 1e9), max_size=50))
def test_distribution_keeps_every_value_in_exactly_one_bin(values):
    spread = Distribution((1, 10, 1000))
    for value in values:
        spread.add(value)
    assert sum(spread.bins) == len(values) == spread.count


def test_example_tokens_are_clip_seconds_plus_text():
    assert example_tokens(2.0, "abcd" * 10, ASSUMED) == 2.0 * 300 + (len(PROMPT) + 40) / 4


def card_with_examples() -> DatasetCard:
    card = DatasetCard(ASSUMED, games=2)
    card.add_example("training", "broadcast", "d" * 120, 4.0, 2 * 1024**2)
    card.add_example("training", "tactical", "d" * 120, 4.0, 3 * 1024**2)
    card.add_example("validation", "broadcast", "d" * 20, 2.0, 100 * 1024)
    for split in ("training", "validation"):
        card.add_play(split)
    return card


def test_cost_is_training_tokens_times_epochs_times_price():
    estimate = card_with_examples().estimate()
    per_example = 4.0 * 300 + (len(PROMPT) + 120) / 4
    assert estimate.training_examples == 2
    assert estimate.tokens_per_epoch == round(2 * per_example)
    assert estimate.training_tokens == 5 * round(2 * per_example)
    assert estimate.cost == pytest.approx(estimate.training_tokens / 1e6 * 10.0)


def test_rejections_count_plays_once_and_clips_per_angle():
    card = DatasetCard(ASSUMED)
    card.add_game_rejections(
        [
            Rejection("p1", "broadcast", "span 10-13 s crosses the end of half 1 at 12 s"),
            Rejection("p1", "tactical", "span 10-13 s crosses the end of half 1 at 11 s"),
            Rejection("p2", "all", "empty description: there is nothing for the model to learn"),
        ]
    )
    assert card.rejected_play_counts == {"span crosses the end of half 1": 1, "empty description": 1}
    assert card.rejected_clips == {"span crosses the end of half 1": 2, "empty description": 1}


def test_the_markdown_card_has_every_section_and_the_figures():
    card = card_with_examples()
    card.add_game_rejections([Rejection("p9", "all", "negative time (start -1 s, end 2 s)")])
    text = card.markdown("Dataset card: run", ("training", "validation"), {"training": "gs://b/t.jsonl"})
    for heading in (
        "## Examples per split and angle",
        "## Clips",
        "## Descriptions",
        "## Rejected plays",
        "## Tuning cost estimate",
    ):
        assert heading in text
    assert "3 examples from 2 games: 2 training (1 plays), 1 validation (1 plays)." in text
    assert "| training | 1 | 1 | 2 |" in text
    assert "10.0 s of video in 3 clips" in text
    assert "| negative time | 1 | 1 |" in text
    assert "2 training examples x 5 epochs" in text and "Assumed, not quoted" in text
    summary = card.summary(("training", "validation"))
    assert summary["training_examples"] == 2 and summary["validation_broadcast_examples"] == 1
    assert summary["estimated_tuning_cost_usd"] == round(card.estimate().cost, 2)


def test_examples_whose_clip_is_unknown_are_counted_and_said():
    card = DatasetCard(ASSUMED)
    card.add_example("training", "broadcast", "text", None, None)
    assert card.without_clip_facts == 1 and card.clip_seconds.count == 0
    assert "1 examples point at clips the games' clip lists do not have" in card.markdown("c", ("training",), {})


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (1024**2, "1 MB"),
        (1234567, "1.18 MB"),
        (5 * 1024**3, "5 GB"),
    ],
)
def test_size_text_uses_the_largest_unit_reached_with_three_figures(size, text):
    assert size_text(size) == text


def full_card() -> DatasetCard:
    """Two games: 5 examples (one without clip facts), 3 plays, rejections of two kinds over both games."""
    card = DatasetCard(ASSUMED, games=2)
    card.add_example("training", "broadcast", "d" * 120, 4.0, 2 * 1024**2)
    card.add_example("training", "tactical", "d" * 120, 4.0, 3 * 1024**2)
    card.add_example("training", "broadcast", "d" * 60, 12.5, 300 * 1024)
    card.add_example("validation", "broadcast", "d" * 20, 2.0, 100 * 1024)
    card.add_example("validation", "tactical", "d" * 20, None, None)
    for split in ("training", "training", "validation"):
        card.add_play(split)
    crossing = "span 1-3 s crosses the end of half 1 at 2 s"
    card.add_game_rejections(
        [
            Rejection("p1", "broadcast", crossing),
            Rejection("p1", "tactical", crossing),
            Rejection("p2", "all", crossing),
        ]
    )
    card.add_game_rejections([Rejection("p7", "all", "empty description: nothing"), Rejection("p8", "all", crossing)])
    return card


def test_the_summary_in_full():
    # Training tokens: 2 x (4 s x 300 + (29 + 120) / 4) + 12.5 s x 300 + (29 + 60) / 4 = 6,246.75 -> 6,247 x 5 epochs.
    assert full_card().summary(("training", "validation")) == {
        "training_examples": 3,
        "validation_examples": 2,
        "training_broadcast_examples": 2,
        "training_tactical_examples": 1,
        "validation_broadcast_examples": 1,
        "validation_tactical_examples": 1,
        "clip_seconds_total": 22.5,
        "clip_seconds_mean": 5.62,
        "clip_bytes_total": 5_652_480,
        "description_chars_mean": 68.0,
        "rejected_plays": 4,
        "estimated_training_tokens": 31_235,
        "estimated_tuning_cost_usd": 0.31,
    }


FULL_CARD = """\
# Dataset card: run

5 examples from 2 games: 3 training (2 plays), 2 validation (1 plays).

Files: training `gs://b/t.jsonl`, validation `gs://b/v.jsonl`

## Examples per split and angle

| split | broadcast | tactical | total |
|---|---|---|---|
| training | 2 | 1 | 3 |
| validation | 1 | 1 | 2 |

## Clips

22.5 s of video in 4 clips, 5.62 s on average (shortest 2.00 s, longest 12.50 s); 5.39 MB in all, 1.35 MB on average.

1 examples point at clips the games' clip lists do not have.

| clip length | clips |
|---|---|
| < 2 s | 0 |
| 2 s – 5 s | 3 |
| 5 s – 10 s | 0 |
| 10 s – 20 s | 1 |
| 20 s – 60 s | 0 |
| ≥ 60 s | 0 |

| clip size | clips |
|---|---|
| < 256 KB | 1 |
| 256 KB – 1 MB | 1 |
| 1 MB – 4 MB | 2 |
| 4 MB – 16 MB | 0 |
| 16 MB – 64 MB | 0 |
| ≥ 64 MB | 0 |

## Descriptions

68 characters on average (shortest 20, longest 120).

| description length | examples |
|---|---|
| < 50 chars | 2 |
| 50 chars – 100 chars | 1 |
| 100 chars – 200 chars | 2 |
| 200 chars – 400 chars | 0 |
| 400 chars – 800 chars | 0 |
| ≥ 800 chars | 0 |

## Rejected plays

| reason | plays | clips not cut |
|---|---|---|
| span crosses the end of half 1 | 3 | 4 |
| empty description | 1 | 1 |

Each game's reasons in full: the `no_rejected_plays` check of `game_clips`.

## Tuning cost estimate

3 training examples x 5 epochs x 2,082 tokens per example on average = **31,235 training tokens**, \
at 10 USD per million tokens = **0.31 USD** for gemini-2.5-pro.

Assumed, not quoted: 300 tokens per second of clip, 4 characters per text token, and the price per million \
training tokens. Each is a config value of `combined_dataset` (`epochs`, `price_per_million_training_tokens`, \
`tokens_per_clip_second`, `characters_per_token`): check Vertex AI's current pricing for the base model and set \
them in the launchpad. Validation examples are not billed as training tokens and are not counted.
"""


def test_the_markdown_card_in_full():
    files = {"training": "gs://b/t.jsonl", "validation": "gs://b/v.jsonl"}
    assert full_card().markdown("Dataset card: run", ("training", "validation"), files) == FULL_CARD


def test_an_empty_card_says_zero_everywhere_and_no_rejection():
    card = DatasetCard(ASSUMED)
    text = card.markdown("t", ("training",), {})
    for line in (
        "0 examples from 0 games: 0 training (0 plays).",
        "0.0 s of video in 0 clips, 0.00 s on average (shortest 0.00 s, longest 0.00 s); 0 B in all, 0 B on average.",
        "0 characters on average (shortest 0, longest 0).",
        "None: every play of every included game got its clips.",
        "0 training examples x 5 epochs x 0 tokens per example on average = **0 training tokens**, at 10 USD per "
        "million tokens = **0.00 USD** for gemini-2.5-pro.",
    ):
        assert f"\n{line}\n" in text
    assert "point at clips" not in text and "Each game's reasons" not in text
    assert card.summary(("training",)) == {
        "training_examples": 0,
        "training_broadcast_examples": 0,
        "training_tactical_examples": 0,
        "clip_seconds_total": 0.0,
        "clip_seconds_mean": 0.0,
        "clip_bytes_total": 0,
        "description_chars_mean": 0.0,
        "rejected_plays": 0,
        "estimated_training_tokens": 0,
        "estimated_tuning_cost_usd": 0.0,
    }
    assert card.estimate().tokens_per_example == 0.0


def test_an_unknown_reason_is_other_with_its_first_60_characters_before_a_colon():
    assert rejection_kind("x" * 70 + ": details") == "other: " + "x" * 60


def test_an_example_missing_either_clip_fact_counts_only_its_text_tokens():
    card = DatasetCard(ASSUMED)
    card.add_example("training", "broadcast", "abcd", 3.0, None)
    card.add_example("training", "tactical", "abcd", None, 1000)
    assert card.without_clip_facts == 2 and card.clip_seconds.count == 0 and card.clip_bytes.count == 0
    assert card.tokens["training"] == 2 * (len(PROMPT) + 4) / 4


def test_summary_rounds_seconds_to_hundredths_and_description_lengths_to_tenths():
    card = DatasetCard(ASSUMED)
    for description, seconds in (("a", 1.0011), ("b", 1.0), ("cc", 1.0)):
        card.add_example("training", "broadcast", description, seconds, 1000)
    summary = card.summary(("training",))
    assert (summary["clip_seconds_total"], summary["clip_seconds_mean"]) == (3.0, 1.0)
    assert summary["description_chars_mean"] == 1.3
