"""Every asset check of ``combined_dataset`` (checks.py), shown passing and failing on crafted data.

The checks read only the combined manifest, the JSONL files, the games' clips manifests and
the clips in storage, so the data is written straight to a LocalStorage: no ffmpeg, no run.
Issue 16: `splits_are_disjoint` made to always pass survived the suite (only clean data was checked).
"""

from dagster import AssetCheckSeverity, AssetMaterialization, build_asset_check_context
from dagster._core.definitions.data_version import DATA_VERSION_TAG

from basketball_assets import checks
from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.examples import example_line
from basketball_assets.core.layout import clip_key, combined_jsonl_key
from basketball_assets.core.tuning_limits import LimitProblem, TuningLimits
from basketball_assets.state.clips import ClipsManifest, write_game_clips
from basketball_assets.state.combined import CombinedManifest, write_combined_dataset

GAME = "00000000-0000-0000-0000-0000000000a1"
OTHER_GAME = "00000000-0000-0000-0000-0000000000b2"
STAMP = "20260101T000000Z"


def line(storage, play_id: str, angle: str = "broadcast", description: str = "A pick and roll.") -> str:
    return example_line(storage.uri(clip_key(GAME, play_id, angle)), description)


def write_combined(storage, training: list[str], validation: list[str], games=(GAME,)) -> None:
    """A combined dataset holding exactly these lines, as combined_dataset would record it."""
    files = {split: combined_jsonl_key(split, STAMP) for split in ("training", "validation")}
    for split, lines in (("training", training), ("validation", validation)):
        storage.put_text(files[split], "".join(text + "\n" for text in lines))
    write_combined_dataset(storage, CombinedManifest(files, list(games), STAMP))


def write_clips(storage, plays: list[str], seconds: float = 4.0, game_id: str = GAME) -> None:
    """Each play's broadcast clip in storage (a few bytes) and listed in the game's clips manifest."""
    planned = []
    for play_id in plays:
        key = clip_key(game_id, play_id, "broadcast")
        storage.put_text(key, "not really a video")
        planned.append(PlannedClip(play_id, "broadcast", key, 1, "v", 10.0, 10.0 + seconds, "fp"))
    write_game_clips(storage, ClipsManifest(game_id, {}, planned, []))


# splits_are_disjoint


def test_splits_are_disjoint_passes_when_no_play_is_in_both_splits(storage):
    write_combined(storage, [line(storage, "p1"), line(storage, "p1", "tactical")], [line(storage, "p2")])
    result = checks.splits_are_disjoint(storage=storage)
    assert result.passed
    assert result.metadata["training_plays"].value == 1
    assert result.metadata["validation_plays"].value == 1
    assert result.metadata["plays_in_both"].value == []


def test_splits_are_disjoint_fails_naming_a_play_with_examples_in_both_splits(storage):
    # Another angle of the same play in validation: the model would be validated on what it trained on.
    training = [line(storage, "p1"), line(storage, "p3")]
    write_combined(storage, training, [line(storage, "p1", "tactical"), line(storage, "p2")])
    result = checks.splits_are_disjoint(storage=storage)
    assert not result.passed
    assert result.metadata["plays_in_both"].value == ["p1"]


# no_duplicate_examples


def test_no_duplicate_examples_passes_and_counts_the_examples_per_split(storage):
    write_combined(storage, [line(storage, "p1"), line(storage, "p3")], [line(storage, "p2")])
    result = checks.no_duplicate_examples(storage=storage)
    assert result.passed
    assert (result.metadata["training_examples"].value, result.metadata["validation_examples"].value) == (2, 1)
    assert result.metadata["duplicate_lines"].value == 0


def test_no_duplicate_examples_fails_on_a_line_twice_in_one_split(storage):
    write_combined(storage, [line(storage, "p1"), line(storage, "p3"), line(storage, "p1")], [line(storage, "p2")])
    result = checks.no_duplicate_examples(storage=storage)
    assert not result.passed
    assert result.metadata["duplicate_lines"].value == 1


def test_no_duplicate_examples_fails_on_a_duplicate_in_validation_too(storage):
    write_combined(storage, [line(storage, "p1")], [line(storage, "p2"), line(storage, "p2")])
    result = checks.no_duplicate_examples(storage=storage)
    assert not result.passed
    assert result.metadata["duplicate_lines"].value == 1


def test_no_duplicate_examples_fails_without_training_examples(storage):
    write_combined(storage, [], [line(storage, "p2")])
    assert not checks.no_duplicate_examples(storage=storage).passed


# every_game_present


def test_every_game_present_passes_when_every_partition_is_in_the_dataset(storage, instance):
    instance.add_dynamic_partitions("games", [GAME, OTHER_GAME])
    write_combined(storage, [line(storage, "p1")], [], games=(GAME, OTHER_GAME))
    result = checks.every_game_present(build_asset_check_context(instance=instance), storage=storage)
    assert result.passed
    assert result.metadata["games_absent"].value == []


def test_every_game_present_fails_naming_the_game_left_out(storage, instance):
    instance.add_dynamic_partitions("games", [GAME, OTHER_GAME])
    write_combined(storage, [line(storage, "p1")], [], games=(GAME,))
    result = checks.every_game_present(build_asset_check_context(instance=instance), storage=storage)
    assert not result.passed
    assert result.metadata["games_absent"].value == [OTHER_GAME]
    assert (result.metadata["games"].value, result.metadata["games_included"].value) == (2, 1)


# within_tuning_limits

ONE_EXAMPLE = checks.TuningLimitsConfig(min_training_examples=1)


def test_within_tuning_limits_passes_on_a_small_sound_dataset(storage):
    write_clips(storage, ["p1", "p2"])
    write_combined(storage, [line(storage, "p1")], [line(storage, "p2")])
    result = checks.within_tuning_limits(config=ONE_EXAMPLE, storage=storage)
    assert result.passed, result.description
    assert result.metadata["clips_checked"].value == 2
    assert result.metadata["problems"].value == 0


def test_within_tuning_limits_fails_as_an_error_on_a_missing_clip(storage):
    write_clips(storage, ["p1"])
    write_combined(storage, [line(storage, "p1")], [line(storage, "p2")])
    result = checks.within_tuning_limits(config=ONE_EXAMPLE, storage=storage)
    assert not result.passed
    assert result.severity == AssetCheckSeverity.ERROR
    assert "p2_broadcast.mp4" in result.metadata["report"].value
    assert "clip does not exist in storage" in result.metadata["report"].value


def test_within_tuning_limits_fails_on_a_clip_over_five_minutes(storage):
    write_clips(storage, ["p1"], seconds=301.0)
    write_combined(storage, [line(storage, "p1")], [])
    result = checks.within_tuning_limits(config=ONE_EXAMPLE, storage=storage)
    assert not result.passed
    assert "clip is 301.0 s long" in result.metadata["report"].value


def test_within_tuning_limits_warns_only_when_too_few_examples(storage):
    write_clips(storage, ["p1"])
    write_combined(storage, [line(storage, "p1")], [])
    result = checks.within_tuning_limits(config=checks.TuningLimitsConfig(min_training_examples=2), storage=storage)
    assert not result.passed
    assert result.severity == AssetCheckSeverity.WARN


def test_within_tuning_limits_fails_before_any_combined_dataset(storage):
    result = checks.within_tuning_limits(config=ONE_EXAMPLE, storage=storage)
    assert not result.passed
    assert "materialize combined_dataset" in result.metadata["report"].value


# Helpers of the tuned_model checks (the checks themselves need a tuning job: test_assets/)


def test_the_tuned_models_ledger_sums_the_datasets_estimates_and_the_jobs_actual_cost():
    dataset = {
        "ledger_compute_usd_estimate": 0.25,
        "ledger_storage_usd_per_month_estimate": 0.125,
        "estimated_tuning_cost_usd": 10,
    }
    tuned = {"billable_tokens": 1_000_000, "tuning_cost_usd": 12.5}
    assert checks.tuned_model_ledger(tuned, dataset) == {
        "dataset_compute_usd_estimate": 0.25,
        "dataset_storage_usd_per_month_estimate": 0.125,
        "tuning_billable_tokens": 1_000_000.0,
        "tuning_cost_usd": 12.5,
        "estimated_tuning_cost_usd": 10.0,
        "ledger_total_usd": 12.875,
    }


def test_a_missing_or_non_numeric_figure_counts_as_zero_in_the_ledger():
    ledger = checks.tuned_model_ledger({"tuning_cost_usd": True, "billable_tokens": "many"}, {})
    assert set(ledger.values()) == {0.0}


def test_a_dropped_lines_play_is_named_by_its_clip_uri():
    assert checks.play_of_uri("gs://b/games/g1/clips/p7_tactical.mp4") == "p7"
    assert checks.play_of_uri("gs://b/elsewhere.mp4") == "gs://b/elsewhere.mp4"


def test_the_training_lines_at_some_indices_are_read_from_the_training_file(storage):
    key = combined_jsonl_key("training", STAMP)
    storage.put_text(key, "one\ntwo\nthree\nfour\n")
    # As storage yields them, newline included (each is parsed as JSON).
    assert checks.training_lines_at(storage, storage.uri(key), {1, 3}) == {1: "one\n", 3: "three\n"}
    assert checks.training_lines_at(storage, storage.uri(key), {4, 9}) == {4: "four\n"}
    assert checks.training_lines_at(storage, storage.uri(key), set()) == {}
    assert checks.training_lines_at(storage, "gs://elsewhere/t.jsonl", {1}) == {}
    assert checks.training_lines_at(storage, storage.uri("missing.jsonl"), {1}) == {}


def test_the_checks_limits_are_its_config_and_the_models_token_maximum():
    config = checks.TuningLimitsConfig(
        min_training_examples=3, base_model="gemini-2.5-flash", tokens_per_clip_second=100.0, characters_per_token=3.0
    )
    assert config.limits() == TuningLimits(
        min_training_examples=3,
        max_example_tokens=131_072,
        base_model="gemini-2.5-flash",
        tokens_per_clip_second=100.0,
        characters_per_token=3.0,
    )


def test_the_limits_report_says_when_there_is_no_dataset_and_weighs_the_training_file(storage):
    assert checks.dataset_limits_report(storage, TuningLimits()).problems == [
        LimitProblem("training", None, "", "no combined dataset yet: materialize combined_dataset")
    ]
    write_clips(storage, ["p1"])
    write_combined(storage, [line(storage, "p1")], [])
    limits = TuningLimits(min_training_examples=1, max_training_file_bytes=10)
    (problem,) = checks.dataset_limits_report(storage, limits).problems
    assert problem.problem.startswith("JSONL is 0.00 GB")


def test_the_ledgers_total_is_rounded_to_six_places():
    assert checks.tuned_model_ledger({"tuning_cost_usd": 1.23456789}, {})["ledger_total_usd"] == 1.234568


def test_the_latest_metadata_and_a_data_versions_dataset_metadata_are_read_from_the_instance(instance):
    assert checks.latest_metadata(instance, combined_dataset.key) == {}
    assert checks.dataset_metadata(instance, "v1") == {}
    for version, cost in (("v1", 1.5), ("v2", 2.5), ("v1", 3.5)):
        instance.report_runless_asset_event(
            AssetMaterialization(combined_dataset.key, metadata={"cost": cost}, tags={DATA_VERSION_TAG: version})
        )
    assert checks.latest_metadata(instance, combined_dataset.key) == {"cost": 3.5}
    assert checks.dataset_metadata(instance, "v2") == {"cost": 2.5}
    assert checks.dataset_metadata(instance, "v1") == {"cost": 3.5}
    assert checks.dataset_metadata(instance, "v3") == {}
