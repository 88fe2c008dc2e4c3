"""The evaluation's pure part: sampling, answers kept as JSONL, metrics, the paired bootstrap,
the verdict and the report (no Vertex AI, no Dagster)."""

import json

import pytest

from basketball_assets.core.evaluation import (
    BASE,
    CHAMPION,
    NEW,
    Answer,
    ExamplesInvalid,
    Prices,
    answer_key,
    answers_from_lines,
    estimated_call_tokens,
    gains_and_losses,
    model_slug,
    paired_bootstrap,
    parse_examples,
    predictions_text,
    sample_examples,
    score_all,
    score_answer,
    verdict,
)
from basketball_assets.core.evaluation_report import Usage, report_markdown
from basketball_assets.core.examples import example_line
from basketball_assets.core.ids import object_key_problem

DESCRIPTIONS = [
    "Curry dribbles left off a high screen and pulls up for a deep three pointer",
    "Green sets a back screen and Thompson cuts to the rim for an easy layup",
    "James drives baseline, draws two defenders and kicks out to the corner shooter",
    "Davis posts up on the left block, spins middle and finishes with a hook shot",
    "A fast break after a steal ends with a two handed dunk by Antetokounmpo",
    "Jokic hits a cutting Murray from the high post with a bounce pass for two",
]


def lines(count=len(DESCRIPTIONS)):
    return [
        example_line(f"gs://bucket/games/g1/clips/p{index}_broadcast.mp4", DESCRIPTIONS[index % len(DESCRIPTIONS)])
        for index in range(count)
    ]


def half(text):
    words = text.split()
    return " ".join(words[: len(words) // 2])


def test_examples_are_parsed_with_their_clip_prompt_and_description():
    (example,) = parse_examples(lines(1), "validation.jsonl")

    assert example.clip_uri == "gs://bucket/games/g1/clips/p0_broadcast.mp4"
    assert example.prompt == "Analyze this basketball play."
    assert example.reference == DESCRIPTIONS[0]


def test_a_line_of_another_shape_names_the_file_and_line():
    with pytest.raises(ExamplesInvalid, match=r"validation.jsonl line 2 .*not a tuning example"):
        parse_examples([lines(1)[0], json.dumps({"contents": []})], "validation.jsonl")


def test_the_sample_is_the_same_whatever_the_file_order_and_grows_stably():
    examples = parse_examples(lines(40), "v")
    first = sample_examples(examples, 10)

    assert len(first) == 10
    assert sample_examples(list(reversed(examples)), 10) == first
    # A grown dataset keeps the sample's earlier examples that still rank first.
    more = parse_examples([*lines(40), example_line("gs://bucket/x.mp4", "New play description here")], "v")
    assert len(set(sample_examples(more, 10)) & set(first)) >= 9
    assert sample_examples(examples, 100) == sample_examples(examples, 40)


def test_answer_keys_are_safe_object_keys_whatever_the_model_name():
    key = answer_key("evaluations/", "projects/p/locations/l/publishers/google/models/gemini-2.5-pro", "abc")
    other = answer_key("evaluations/", "projects/p/locations/l/endpoints/42", "abc")

    assert object_key_problem(key) is None
    assert key.startswith("evaluations/answers/") and key.endswith("/abc.json")
    assert key.rsplit("/", 2)[1] != other.rsplit("/", 2)[1]


def test_predictions_jsonl_reads_back_and_skips_a_damaged_line():
    answers = [Answer("m1", "e1", "gs://c1", "text one", 10, 2), Answer("m2", "e1", "gs://c1", "text two", 11, 3)]
    text = predictions_text(answers) + '{"model": "m3", "example_id"\n'

    read = answers_from_lines(text.splitlines())

    assert read == {("m1", "e1"): answers[0], ("m2", "e1"): answers[1]}


def test_metrics_come_from_the_libraries_on_a_0_to_100_scale():
    exact = score_answer(DESCRIPTIONS[0], DESCRIPTIONS[0])
    partial = score_answer(half(DESCRIPTIONS[0]), DESCRIPTIONS[0])
    unrelated = score_answer("The crowd cheers at halftime", DESCRIPTIONS[0])

    assert exact == pytest.approx({"rougeL": 100.0, "bleu": 100.0, "chrf": 100.0})
    for metric in exact:
        assert unrelated[metric] < partial[metric] < exact[metric]


def test_the_bootstrap_interval_is_reproducible_and_brackets_the_mean():
    new, old = [0.5, 0.7, 0.2, 0.9, 0.4, 0.6], [0.4, 0.8, 0.1, 0.5, 0.5, 0.3]

    interval = paired_bootstrap(new, old)

    assert interval == paired_bootstrap(new, old)
    assert interval.low <= interval.mean <= interval.high
    assert interval.mean == pytest.approx(sum(new) / 6 - sum(old) / 6)
    assert not interval.better  # mixed differences: zero is inside the interval
    assert paired_bootstrap([1.0, 2.0, 3.0], [0.0, 1.5, 2.0]).better
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [])


def scored_with(new_style, base_style, champion_style=None):
    examples = parse_examples(lines(), "v")
    styles = {NEW: new_style, BASE: base_style, **({CHAMPION: champion_style} if champion_style else {})}
    models = {role: f"model-{role}" for role in styles}
    answers = {
        (models[role], example.example_id): Answer(models[role], example.example_id, example.clip_uri, style(example))
        for role, style in styles.items()
        for example in examples
    }
    return score_all(examples, models, answers)


def exact(example):
    return example.reference


def partial(example):
    return half(example.reference)


def wrong(example):
    return "A player dribbles near the sideline"


def test_a_model_better_everywhere_beats_the_base_and_with_no_champion_becomes_champion():
    decided = verdict(scored_with(exact, partial))

    assert decided.beats_base and decided.beats_champion is None and decided.champion


def test_a_model_worse_than_the_base_neither_passes_nor_becomes_champion():
    decided = verdict(scored_with(wrong, partial))

    assert not decided.beats_base and not decided.champion


def test_beating_the_base_but_not_the_champion_keeps_the_champion():
    decided = verdict(scored_with(partial, wrong, champion_style=exact))

    assert decided.beats_base and decided.beats_champion is False and not decided.champion


def test_gains_and_losses_pick_the_largest_differences_only_where_they_are_real():
    scored = scored_with(lambda e: e.reference if "screen" in e.reference else "nothing", partial)

    gained, lost = gains_and_losses(scored, count=5)

    assert {scored.examples[i].reference for i in gained} == {d for d in DESCRIPTIONS if "screen" in d}
    assert len(lost) == len(DESCRIPTIONS) - len(gained)


def test_the_report_names_models_verdict_intervals_clips_and_cost():
    scored = scored_with(exact, partial)
    usage = Usage(paid_calls=12, reused_answers=0, prompt_tokens=24_000, output_tokens=120, cost_usd=0.0312,
                  estimated_cost_usd=0.04)  # fmt: skip

    report = report_markdown("projects/p/locations/l/tuningJobs/7", scored, verdict(scored), usage, "scores.png")

    assert "model-new" in report and "model-base" in report
    assert "beats the base model" in report and "it becomes the champion" in report
    assert "![scores per model](scores.png)" in report
    assert "gs://bucket/games/g1/clips/p0_broadcast.mp4" in report
    assert "12 paid calls" in report and "0.0312 USD" in report
    assert "new − base" in report


def test_the_cost_estimate_counts_clip_seconds_and_text_as_the_dataset_card_does():
    (example,) = parse_examples(lines(1), "v")

    prompt_tokens, output_tokens = estimated_call_tokens(example, clip_seconds=10, tokens_per_clip_second=300)

    assert prompt_tokens == pytest.approx(3000 + len(example.prompt) / 4)
    assert output_tokens == pytest.approx(len(example.reference) / 4)
    assert Prices(1.0, 10.0).cost(1_000_000, 100_000) == pytest.approx(2.0)


# Pinned: what is kept and compared across runs must not change between processes or releases


def test_an_answer_is_kept_as_one_sorted_readable_json_line():
    line = Answer("m", "e", "c", "Tir à trois", 3, 4).line()
    assert line == (
        '{"clip_uri": "c", "example_id": "e", "model": "m", "output_tokens": 4, "prompt_tokens": 3, '
        '"text": "Tir à trois"}'
    )


def test_an_answer_missing_optional_fields_reads_with_empty_text_and_no_tokens():
    (answer,) = answers_from_lines(['{"model": "m", "example_id": "e", "prompt_tokens": null}']).values()
    assert answer == Answer("m", "e", "", "", 0, 0)


def test_a_damaged_line_in_the_middle_does_not_hide_the_answers_after_it():
    good = [Answer("m", f"e{n}", "c", "t").line() for n in range(2)]
    assert sorted(answers_from_lines([good[0], "{damaged", good[1]])) == [("m", "e0"), ("m", "e1")]


def test_a_blank_line_in_the_middle_does_not_hide_the_examples_after_it():
    assert len(parse_examples([lines(1)[0], "", lines(2)[1]], "v")) == 2
    with pytest.raises(
        ExamplesInvalid, match=r"^v line 2 is not JSON \(Expecting value: line 1 column 1 \(char 0\)\)$"
    ):
        parse_examples([lines(1)[0], "nope"], "v")


def test_the_sample_and_the_model_slug_are_pinned():
    examples = parse_examples(
        [example_line(f"gs://b/games/g/clips/p{i}_broadcast.mp4", f"play {i}") for i in range(6)], "v"
    )
    assert [e.example_id for e in sample_examples(examples, 3)] == [
        "5cc7c615c7b8794a",
        "850ad2d9a4513c81",
        "be79effe6ba69348",
    ]
    assert sample_examples(examples, 0) == []
    assert model_slug("projects/p/locations/us-central1/endpoints/42") == "5f4f3704063fb0b0"


def test_a_calls_cost_is_its_tokens_at_the_prices_per_million():
    assert Prices(2.0, 8.0).cost(1000, 500) == pytest.approx(0.006, rel=1e-12)


def test_the_bootstrap_interval_is_pinned():
    # 30 paired scores; numpy's seeded generator makes the interval the same in every process.
    new, old = [((i * 37) % 101) / 10 for i in range(30)], [((i * 53) % 89) / 10 for i in range(30)]
    interval = paired_bootstrap(new, old)
    assert (interval.mean, interval.low, interval.high) == pytest.approx(
        (0.37, -0.8834166666666666, 1.7066666666666668)
    )
    assert interval.text() == "+0.37 [-0.88, +1.71]"
    with pytest.raises(ValueError, match=r"^paired scores must be two non-empty lists of one length \(1, 0\)$"):
        paired_bootstrap([1.0], [])


def test_gains_and_losses_are_five_by_default_and_only_strict_ones():
    examples = parse_examples(lines(), "v")
    scores = [0.5, 0.0, -0.5, 2.0, 3.0, 4.0]  # new - base per example; 0.0 is neither
    scored = scored_with(exact, exact)
    scored.scores[NEW]["rougeL"][:] = [50.0 + s for s in scores]
    scored.scores[BASE]["rougeL"][:] = [50.0] * len(examples)
    assert gains_and_losses(scored) == ([5, 4, 3, 0], [2])
    scored.scores[NEW]["rougeL"][:] = [60.0 + n for n in range(6)]
    assert gains_and_losses(scored) == ([5, 4, 3, 2, 1], [])


def test_the_registry_keeps_the_means_to_four_places_and_every_interval():
    scored = scored_with(exact, partial)
    summary = scored.summary()
    assert {key: summary[key] for key in ("examples", "primary_metric", "models")} == {
        "examples": 6,
        "primary_metric": "rougeL",
        "models": {NEW: "model-new", BASE: "model-base"},
    }
    assert summary["means"] == {
        role: {metric: round(scored.mean(role, metric), 4) for metric in ("rougeL", "bleu", "chrf")}
        for role in (NEW, BASE)
    }
    assert summary["means"][NEW] == {"rougeL": 100.0, "bleu": 100.0, "chrf": 100.0}
    assert summary["new_minus"] == {
        BASE: {m: {"mean": i.mean, "low": i.low, "high": i.high} for m, i in scored.intervals[BASE].items()}
    }


def test_every_problem_of_a_line_of_another_shape_is_named():
    empty = {"role": "user", "parts": [{"fileData": {"fileUri": ""}}, {"text": ""}]}
    line = json.dumps({"contents": [empty, {"role": "model", "parts": [{"text": ""}]}]})
    with pytest.raises(ExamplesInvalid) as raised:
        parse_examples([line], "v")
    assert str(raised.value) == (
        "v line 1 is not a tuning example: fileData.fileUri must be a non-empty string; fileData.mimeType must be "
        "video/mp4; the user's second part must be the prompt text; the model's answer must be a non-empty text"
    )
