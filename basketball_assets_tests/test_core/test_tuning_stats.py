"""What a tuning job reports about its dataset (core/tuning_stats.py): dropped examples named by
their play with Vertex AI's reason, and how the cost was computed."""

from basketball_assets.core.examples import example_line
from basketball_assets.core.tuning_stats import DroppedExamples, cost_basis, dropped_message, example_name

URI = "gs://b/t.jsonl"
LINE = example_line("gs://b/games/g1/clips/p7_tactical.mp4", "A pick and roll.")


def test_any_dropped_example_counts_whether_counted_sampled_or_explained():
    assert not DroppedExamples().any
    assert DroppedExamples(count=1).any and DroppedExamples(indices=(3,)).any and DroppedExamples(reasons=("x",)).any


def test_a_training_line_is_named_by_its_play_or_what_it_is():
    assert example_name(LINE) == "game g1, play p7, angle tactical"
    assert example_name(example_line("gs://b/other.mp4", "x")) == "gs://b/other.mp4"
    assert example_name(None) == "a line the training file does not have"
    assert example_name("{not json") == "an unreadable line"


def test_the_message_names_each_sampled_line_with_its_reason_and_counts_the_rest():
    dropped = DroppedExamples(count=5, indices=(2, 9), reasons=("too long", "unreadable clip", "no clip"))
    assert dropped_message(dropped, URI, {2: LINE}) == (
        "Vertex AI dropped or truncated 5 training examples of gs://b/t.jsonl: line 2 of gs://b/t.jsonl "
        "(game g1, play p7, angle tactical): too long; line 9 of gs://b/t.jsonl (a line the training file does "
        "not have): unreadable clip; (no line given): no clip; and 2 more. The tuned model never learned from "
        "them: fix those plays (shorter clips or descriptions, readable videos), materialize combined_dataset and "
        "tune again"
    )
    assert dropped_message(DroppedExamples(indices=(1,)), URI, {}).startswith(
        "Vertex AI dropped or truncated 1 training example of gs://b/t.jsonl: line 1 of gs://b/t.jsonl "
        "(a line the training file does not have): no reason given. "
    )
    # Nothing sampled: no "and 3 more" after "no sample of them".
    assert dropped_message(DroppedExamples(count=3), URI, {}).startswith(
        "Vertex AI dropped or truncated 3 training examples of gs://b/t.jsonl: Vertex AI gave no sample of them. "
    )


def test_the_cost_basis_says_whether_the_price_was_assumed_or_configured():
    assert cost_basis(25.0, assumed=True, epochs=5) == (
        "billable tokens x 5 epochs x 25 USD per million training tokens (an assumed price, the default: set "
        "tuned_model's price_per_million_training_tokens to the current Vertex AI price for the base model)"
    )
    assert cost_basis(10.5, assumed=False, epochs=1) == (
        "billable tokens x 1 epochs x 10.5 USD per million training tokens (the configured price)"
    )
