"""Vertex AI's dataset limits (core/tuning_limits.py): where each problem is reported, the exact
bounds (a limit is reached, not broken, at its value) and the messages' figures."""

from dataclasses import replace

from basketball_assets.core import tuning_limits
from basketball_assets.core.examples import PROMPT, example_line
from basketball_assets.core.tuning_limits import ClipFacts, TuningLimits

CLIP = "gs://b/games/g/clips/p1_tactical.mp4"
ONE = TuningLimits(min_training_examples=1)


def small_clip(_uri: str) -> ClipFacts:
    return ClipFacts(True, 1000, 4.0)


def problems(facts: ClipFacts, limits: TuningLimits = ONE, uri: str = CLIP, description: str = "A pick and roll."):
    report = tuning_limits.check_limits({"training": [example_line(uri, description)]}, lambda _: facts, limits)
    return [problem.problem for problem in report.problems]


def test_a_blank_line_is_skipped_and_the_lines_after_it_are_still_checked():
    lines = [example_line(CLIP, "first"), "", "  ", example_line(CLIP, "second"), "{not json"]
    report = tuning_limits.check_limits({"training": lines}, lambda _: ClipFacts(True, 1000, 4.0), ONE)
    assert report.examples == {"training": 3}
    assert [problem.line for problem in report.problems] == [5]


def test_a_bad_line_is_reported_in_its_split_and_names_no_clip():
    lines = {"training": [example_line(CLIP, "x")], "validation": ["{not json", '{"contents": []}']}
    report = tuning_limits.check_limits(lines, lambda _: ClipFacts(True, 1000, 4.0), ONE)
    assert [(p.split, p.line, p.clip) for p in report.problems] == [("validation", 1, ""), ("validation", 2, "")]
    assert report.summary().startswith(
        "2 problems with the dataset (1 training, 2 validation examples): validation line 1: not JSON"
    )


def test_a_clip_missing_from_storage_says_what_to_do():
    assert problems(ClipFacts(False)) == ["clip does not exist in storage; materialize game_clips for its game again"]


def test_a_clip_of_exactly_100_mb_and_5_minutes_is_accepted():
    assert problems(ClipFacts(True, 100_000_000, 300.0)) == []


def test_a_clip_over_the_limits_is_reported_in_decimal_megabytes_and_seconds():
    assert problems(ClipFacts(True, 100_150_001, 300.01)) == [
        "clip is 100.2 MB; Vertex AI accepts at most 100 MB",
        "clip is 300.0 s long; Vertex AI accepts at most 300 s",
    ]


def test_a_clip_of_unknown_size_is_checked_for_its_duration_only():
    assert problems(ClipFacts(True, None, 4.0)) == []
    assert problems(ClipFacts(True, 1000, None)) == [
        "clip duration unknown: it is not listed in its game's clips manifest"
    ]


def test_an_example_of_exactly_the_token_limit_is_accepted():
    # 10 s at 100 tokens/s, and the prompt and description at 4 characters per token.
    description = "x" * (-len(PROMPT) % 4 + 40)
    tokens = 1000 + (len(PROMPT) + len(description)) // 4
    limits = TuningLimits(min_training_examples=1, tokens_per_clip_second=100.0, max_example_tokens=tokens)
    facts = ClipFacts(True, 1000, 10.0)
    assert problems(facts, limits, description=description) == []
    assert problems(facts, replace(limits, max_example_tokens=tokens - 1), description=description)


def test_an_example_over_the_token_limit_names_the_model_and_a_clip_outside_the_layout():
    limits = TuningLimits(min_training_examples=1, max_example_tokens=10, base_model="gemini-2.5-flash")
    characters = len(PROMPT) + len("A pick and roll.")
    # An unknown duration is a problem of its own, and counts as no seconds of clip in the estimate.
    unknown, problem = problems(ClipFacts(True, 1000, None), limits, uri="gs://b/elsewhere/clip.mp4")
    assert unknown.startswith("clip duration unknown")
    assert problem == (
        f"this example is about {characters / 4:,.0f} tokens (0.0 s of clip at 295 tokens/s, {characters:,} "
        "characters of text at 4 per token); Vertex AI accepts at most 10 per example for gemini-2.5-flash: "
        "shorten the play's description or clip"
    )
    (unnamed,) = problems(ClipFacts(True, 1000, 4.0), replace(limits, base_model=""))
    assert unnamed.startswith("play p1 (tactical, game g) is about ")
    assert unnamed.endswith("accepts at most 10 per example: shorten the play's description or clip")


def test_split_sizes_are_limits_reached_at_their_value_and_broken_above_it():
    limits = TuningLimits(min_training_examples=2, max_training_examples=3, max_validation_examples=1)
    sized = {"training": 1_000_000_000}
    ok = {"training": [example_line(CLIP, str(n)) for n in range(3)], "validation": [example_line(CLIP, "v")]}
    assert tuning_limits.check_limits(ok, small_clip, limits, sized).passed
    over = {split: [*lines, example_line(CLIP, "more")] for split, lines in ok.items()}
    report = tuning_limits.check_limits(over, small_clip, limits, {"training": 1_005_000_001})
    assert [(p.split, p.line, p.clip, p.problem) for p in report.problems] == [
        ("training", None, "", "4 examples; Vertex AI accepts at most 3"),
        ("validation", None, "", "2 examples; Vertex AI accepts at most 1"),
        ("training", None, "", "JSONL is 1.01 GB; Vertex AI accepts at most 1 GB"),
    ]
    assert not report.only_too_small


def test_a_dataset_without_a_training_split_has_zero_training_examples():
    report = tuning_limits.check_limits(
        {"validation": []}, lambda _: ClipFacts(True), TuningLimits(max_validation_examples=0)
    )
    assert [(p.split, p.line, p.clip, p.problem) for p in report.problems] == [
        ("training", None, "", "0 examples; at least 16 are needed (min_training_examples)")
    ]
    assert report.summary() == (
        "1 problem with the dataset (0 validation examples): "
        "training: 0 examples; at least 16 are needed (min_training_examples)"
    )


def test_a_dataset_without_a_validation_split_has_zero_validation_examples():
    lines = {"training": [example_line(CLIP, "x")]}
    assert tuning_limits.check_limits(
        lines, small_clip, TuningLimits(min_training_examples=1, max_validation_examples=0)
    ).passed


def test_the_summary_lists_the_first_ten_problems_and_counts_the_rest():
    def summary(bad_lines: int) -> str:
        lines = ["{not json"] * bad_lines
        return tuning_limits.check_limits({"training": lines}, lambda _: ClipFacts(True), ONE).summary()

    assert summary(10).endswith(
        "training line 10: not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    )
    eleven = summary(11)
    assert eleven.startswith("11 problems with the dataset (11 training examples): training line 1: not JSON")
    assert "; training line 2: not JSON" in eleven and "training line 11" not in eleven
    assert eleven.endswith("(char 1); and 1 more")


def test_the_summary_names_each_problems_line_and_clip():
    report = tuning_limits.check_limits({"training": [example_line(CLIP, "x")]}, lambda _: ClipFacts(False), ONE)
    assert report.summary() == (
        f"1 problem with the dataset (1 training examples): training line 1 ({CLIP}): "
        "clip does not exist in storage; materialize game_clips for its game again"
    )


def test_the_report_as_metadata_keeps_every_figure_and_problem():
    report = tuning_limits.check_limits({"training": [example_line(CLIP, "x")]}, lambda _: ClipFacts(False), ONE)
    assert report.to_dict() == {
        "examples": {"training": 1},
        "clips_checked": 1,
        "problems": [
            {
                "split": "training",
                "line": 1,
                "clip": CLIP,
                "problem": "clip does not exist in storage; materialize game_clips for its game again",
                "too_small": False,
            }
        ],
    }
