"""Tuning decisions without I/O: settings validation, labels that find a job again,
job states, polling backoff and Vertex AI's dataset limits."""

import itertools
import json
from dataclasses import replace

import pytest

from basketball_assets.core import tuning, tuning_limits
from basketball_assets.core.examples import example_line
from basketball_assets.core.fingerprint import stable_hash
from basketball_assets.core.tuning import PollSchedule, TuningSettings
from basketball_assets.core.tuning_limits import ClipFacts, TuningLimits
from basketball_assets.core.tuning_stats import cost_basis, tuning_cost

GS_URIS = ["gs://uball-training-data/cumulative-execution-20261126T000000Z/combined_training.jsonl"]


def problems_of(**fields) -> list[str]:
    return tuning.settings_problems(TuningSettings(**fields), GS_URIS)


# Settings


def test_the_spec_defaults_are_valid():
    settings = TuningSettings()
    assert (settings.base_model, settings.epochs, settings.learning_rate_multiplier, settings.adapter_size) == (
        "gemini-2.5-pro",
        5,
        1.0,
        "ADAPTER_SIZE_ONE",
    )
    assert problems_of() == []


@pytest.mark.parametrize("size", ["ADAPTER_SIZE_ONE", "ADAPTER_SIZE_TWO", "ADAPTER_SIZE_FOUR", "ADAPTER_SIZE_EIGHT"])
def test_gemini_2_5_pro_accepts_adapter_sizes_1_2_4_8(size):
    assert problems_of(adapter_size=size) == []


@pytest.mark.parametrize("size", ["ADAPTER_SIZE_SIXTEEN", "ADAPTER_SIZE_THIRTY_TWO"])
def test_gemini_2_5_pro_rejects_larger_adapters_and_names_the_allowed_ones(size):
    (problem,) = problems_of(adapter_size=size)
    assert "not supported for gemini-2.5-pro" in problem
    assert "ADAPTER_SIZE_ONE, ADAPTER_SIZE_TWO, ADAPTER_SIZE_FOUR, ADAPTER_SIZE_EIGHT" in problem


def test_flash_accepts_adapter_size_16():
    assert problems_of(base_model="gemini-2.5-flash", adapter_size="ADAPTER_SIZE_SIXTEEN") == []


def test_an_unknown_adapter_name_is_rejected():
    (problem,) = problems_of(adapter_size="8")
    assert "'8' is not one of ADAPTER_SIZE_ONE" in problem


@pytest.mark.parametrize("epochs", [0, -3])
def test_epochs_must_be_positive(epochs):
    assert problems_of(epochs=epochs) == [f"epochs must be a positive whole number, not {epochs}"]


@pytest.mark.parametrize("multiplier", [0.0, -1.0, float("nan")])
def test_learning_rate_multiplier_must_be_positive(multiplier):
    (problem,) = problems_of(learning_rate_multiplier=multiplier)
    assert problem.startswith("learning_rate_multiplier must be positive")


def test_a_local_dataset_cannot_be_tuned_and_the_message_says_so_plainly():
    problems = tuning.settings_problems(
        TuningSettings(), ["file:///data/uball-training-data/c/combined_training.jsonl"]
    )
    (problem,) = problems
    assert "local default storage" in problem
    assert "Vertex AI can only tune on gs:// files" in problem
    assert "BASKETBALL_GCP_PROJECT" in problem


def test_other_uri_schemes_are_rejected():
    (problem,) = tuning.settings_problems(TuningSettings(), ["https://example.com/train.jsonl"])
    assert "not a gs:// URI" in problem


def test_every_problem_is_reported_at_once():
    problems = tuning.settings_problems(
        TuningSettings(epochs=0, learning_rate_multiplier=0, adapter_size="ADAPTER_SIZE_SIXTEEN"), ["file:///x.jsonl"]
    )
    assert len(problems) == 4


@pytest.mark.parametrize(
    "labels, fragment",
    [
        ({"Team": "a"}, "must start with a lowercase letter"),
        ({"team": "Blue Devils"}, "must use only a-z"),
        ({"basketball_dataset": "x"}, "set by the pipeline itself"),
    ],
)
def test_labels_follow_google_cloud_label_rules(labels, fragment):
    (problem,) = problems_of(labels=labels)
    assert fragment in problem


def test_display_name_is_limited_to_128_characters():
    assert problems_of(display_name="x" * 128) == []
    (problem,) = problems_of(display_name="x" * 129)
    assert "128" in problem


# Labels that find the same job again


def test_job_labels_carry_the_dataset_version_and_a_hyperparameter_hash():
    labels = tuning.job_labels(TuningSettings(labels={"team": "ml"}), "a1b2c3")
    assert labels["team"] == "ml"
    assert labels[tuning.DATASET_LABEL] == "a1b2c3"
    assert labels[tuning.TUNING_LABEL] == tuning.tuning_hash(TuningSettings())
    assert (
        tuning.label_problems({k: v for k, v in labels.items() if k not in (tuning.DATASET_LABEL, tuning.TUNING_LABEL)})
        == []
    )


def test_the_hyperparameter_hash_ignores_names_and_labels_but_not_hyperparameters():
    base = tuning.tuning_hash(TuningSettings())
    assert (
        tuning.tuning_hash(
            TuningSettings(display_name="other", labels={"a": "b"}, service_account="sa@p.iam.gserviceaccount.com")
        )
        == base
    )
    for changed in (
        TuningSettings(epochs=6),
        TuningSettings(learning_rate_multiplier=0.5),
        TuningSettings(adapter_size="ADAPTER_SIZE_FOUR"),
        TuningSettings(base_model="gemini-2.5-flash"),
    ):
        assert tuning.tuning_hash(changed) != base


def test_label_values_are_made_valid():
    assert tuning.label_value("ABC:def/1") == "abc-def-1"
    assert len(tuning.label_value("x" * 100)) == 63


def test_the_list_filter_asks_for_every_label():
    assert tuning.list_filter({"b": "2", "a": "1"}) == 'labels.a="1" AND labels.b="2"'


def test_has_labels_needs_every_wanted_label():
    assert tuning.has_labels({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "2"})
    assert not tuning.has_labels({"a": "1"}, {"a": "1", "b": "2"})


# Job states


def test_a_succeeded_job_is_preferred_to_a_running_one():
    jobs = [("running", "JOB_STATE_RUNNING", "2026-11-26T12:00"), ("done", "JOB_STATE_SUCCEEDED", "2026-11-25T12:00")]
    assert tuning.pick_existing(jobs) == ("done", "JOB_STATE_SUCCEEDED")


def test_the_newest_active_job_is_picked_and_failed_ones_never():
    jobs = [
        ("old", "JOB_STATE_PENDING", "2026-11-25T12:00"),
        ("new", "JOB_STATE_RUNNING", "2026-11-26T12:00"),
        ("failed", "JOB_STATE_FAILED", "2026-11-27T12:00"),
    ]
    assert tuning.pick_existing(jobs) == ("new", "JOB_STATE_RUNNING")


@pytest.mark.parametrize(
    "state", ["JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED", "JOB_STATE_CANCELLING"]
)
def test_jobs_that_will_not_succeed_are_not_reused(state):
    assert tuning.pick_existing([("j", state, "t")]) is None


def test_finished_states():
    assert tuning.is_finished("JOB_STATE_SUCCEEDED")
    assert all(tuning.is_finished(s) for s in ("JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"))
    assert not any(tuning.is_finished(s) for s in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_CANCELLING"))


def test_polls_back_off_up_to_the_maximum():
    delays = list(itertools.islice(PollSchedule(initial_s=10, maximum_s=40, factor=2).delays(), 5))
    assert delays == [10, 20, 40, 40, 40]


def test_console_url_of_a_job():
    url = tuning.console_url("projects/my-proj/locations/us-central1/tuningJobs/123")
    assert (
        url
        == "https://console.cloud.google.com/vertex-ai/generative/language/locations/us-central1/tuning/tuningJob/123?project=my-proj"
    )


def test_elapsed_time_reads_as_hours_minutes_seconds():
    assert tuning.format_elapsed(65) == "1m 05s"
    assert tuning.format_elapsed(3725) == "1h 02m 05s"


# Dataset limits


def line(uri: str, description: str = "A pick and roll.") -> str:
    return example_line(uri, description)


def uris(count: int, prefix: str = "p") -> list[str]:
    return [f"gs://b/games/g/clips/{prefix}{n}_broadcast.mp4" for n in range(count)]


def facts_of(table: dict[str, ClipFacts], default: ClipFacts = ClipFacts(True, 1_000_000, 4.0)):
    asked: list[str] = []

    def facts(uri: str) -> ClipFacts:
        asked.append(uri)
        return table.get(uri, default)

    return facts, asked


def test_a_clean_dataset_passes():
    facts, _ = facts_of({})
    report = tuning_limits.check_limits(
        {"training": [line(u) for u in uris(16)], "validation": [line(u) for u in uris(4, "v")]}, facts, TuningLimits()
    )
    assert report.passed, report.summary()
    assert report.examples == {"training": 16, "validation": 4}
    assert report.clips_checked == 20


def test_too_few_training_examples_fail_with_the_configured_minimum():
    facts, _ = facts_of({})
    report = tuning_limits.check_limits(
        {"training": [line(u) for u in uris(3)], "validation": []}, facts, TuningLimits(min_training_examples=4)
    )
    (problem,) = report.problems
    assert problem.split == "training" and "3 examples; at least 4 are needed" in problem.problem
    assert report.only_too_small  # a warning, not an error: the dataset is sound, only small


def test_a_small_dataset_with_a_broken_clip_is_more_than_too_small():
    (missing,) = uris(1, "bad")
    facts, _ = facts_of({missing: ClipFacts(False)})
    report = tuning_limits.check_limits(
        {"training": [line(missing)], "validation": []}, facts, TuningLimits(min_training_examples=4)
    )
    assert len(report.problems) == 2 and not report.only_too_small
    assert not tuning_limits.LimitsReport().only_too_small  # no problems: nothing to warn about


def test_more_than_5000_validation_examples_fail():
    facts, _ = facts_of({})
    report = tuning_limits.check_limits(
        {"training": [line(u) for u in uris(16)], "validation": [line(u) for u in uris(5001, "v")]},
        facts,
        TuningLimits(),
    )
    assert [p.problem for p in report.problems] == ["5001 examples; Vertex AI accepts at most 5000"]


def test_each_broken_clip_is_reported_with_its_line():
    missing, big, long = uris(3, "bad")
    facts, _ = facts_of(
        {missing: ClipFacts(False), big: ClipFacts(True, 150_000_000, 4.0), long: ClipFacts(True, 1000, 301.0)}
    )
    report = tuning_limits.check_limits(
        {"training": [line(u) for u in [*uris(16), missing, big, long]]}, facts, TuningLimits()
    )
    by_line = {p.line: p for p in report.problems}
    assert "does not exist" in by_line[17].problem and by_line[17].clip == missing
    assert "150.0 MB" in by_line[18].problem and "at most 100 MB" in by_line[18].problem
    assert "301.0 s" in by_line[19].problem and "at most 300 s" in by_line[19].problem
    assert "training line 17" in report.summary()


def test_a_clip_of_unknown_duration_is_a_problem():
    facts, _ = facts_of({}, default=ClipFacts(True, 1000, None))
    report = tuning_limits.check_limits({"training": [line(u) for u in uris(16)]}, facts, TuningLimits())
    assert len(report.problems) == 16
    assert "duration unknown" in report.problems[0].problem


def test_bad_json_and_bad_shape_are_reported():
    facts, _ = facts_of({})
    lines = [*(line(u) for u in uris(16)), "{not json", json.dumps({"contents": []})]
    report = tuning_limits.check_limits({"training": lines}, facts, TuningLimits())
    assert report.problems[0].line == 17 and report.problems[0].problem.startswith("not JSON")
    assert report.problems[1].line == 18 and "not the spec's example shape" in report.problems[1].problem


def test_each_clip_is_looked_up_once():
    facts, asked = facts_of({})
    (uri,) = uris(1)
    tuning_limits.check_limits(
        {"training": [line(uri, "first"), line(uri, "second")], "validation": [line(uri, "third")]},
        facts,
        TuningLimits(min_training_examples=1),
    )
    assert asked == [uri]


def test_a_training_file_over_1_gb_fails():
    facts, _ = facts_of({})
    report = tuning_limits.check_limits(
        {"training": [line(u) for u in uris(16)]}, facts, TuningLimits(), file_sizes={"training": 1_000_000_001}
    )
    assert [p.problem for p in report.problems] == ["JSONL is 1.00 GB; Vertex AI accepts at most 1 GB"]


def test_an_example_over_the_token_limit_fails_naming_its_play():
    (big, small) = uris(2)
    facts, _ = facts_of({}, ClipFacts(True, 1_000_000, 2.5))
    lines = [line(big, "x" * 3_000_000), line(small)]
    report = tuning_limits.check_limits({"training": lines}, facts, TuningLimits(min_training_examples=1))
    (problem,) = report.problems
    assert (problem.line, problem.clip) == (1, big)
    assert problem.problem.startswith("play p0 (broadcast, game g) is about 750,745 tokens (2.5 s of clip")
    assert "accepts at most 131,072 per example" in problem.problem


def test_the_token_estimate_is_the_dataset_cards():
    facts, _ = facts_of({}, ClipFacts(True, 1_000, 10.0))
    limits = TuningLimits(min_training_examples=1, max_example_tokens=2_950, tokens_per_clip_second=295.0)
    (uri,) = uris(1)
    # 10 s x 295 = 2,950 tokens of clip: any text at all tips it over.
    assert not tuning_limits.check_limits({"training": [line(uri)]}, facts, limits).passed
    assert tuning_limits.check_limits(
        {"training": [line(uri)]}, facts, replace(limits, max_example_tokens=3_000)
    ).passed


def test_every_supported_base_model_allows_131072_tokens_per_example():
    assert {tuning_limits.max_example_tokens(m) for m in ("gemini-2.5-pro", "gemini-2.5-flash", "other")} == {131_072}


# Continuing a tuned model: the parent is part of the identity


def test_a_job_from_the_base_model_keeps_the_hash_it_had_before_continuing_existed():
    settings = TuningSettings()
    assert (
        tuning.tuning_hash(settings)
        == stable_hash(
            {
                "base_model": "gemini-2.5-pro",
                "epochs": 5,
                "learning_rate_multiplier": 1.0,
                "adapter_size": "ADAPTER_SIZE_ONE",
            }
        )[:16]
    )
    assert tuning.PARENT_LABEL not in tuning.job_labels(settings, "abc")


def test_the_parent_model_changes_the_identity_and_is_labelled():
    parent = "projects/p/locations/us-central1/models/tuned-7@1"
    continued = TuningSettings(pre_tuned_model=parent)
    other = TuningSettings(pre_tuned_model="projects/p/locations/us-central1/models/tuned-8@1")
    hashes = {tuning.tuning_hash(s) for s in (TuningSettings(), continued, other)}
    assert len(hashes) == 3
    assert tuning.job_labels(continued, "abc")[tuning.PARENT_LABEL] == "tuned-7-1"
    assert tuning.settings_problems(continued, ["gs://b/t.jsonl"]) == []
    (problem,) = tuning.settings_problems(TuningSettings(pre_tuned_model="models/x"), ["gs://b/t.jsonl"])
    assert "is not a tuned model's resource name" in problem


def test_the_tuning_cost_is_billable_tokens_times_epochs_times_the_price():
    assert tuning_cost(123_456, 5, 25.0) == pytest.approx(15.432)
    assert "assumed price" in cost_basis(25.0, assumed=True, epochs=5)
    assert "configured price" in cost_basis(10.0, assumed=False, epochs=5)
