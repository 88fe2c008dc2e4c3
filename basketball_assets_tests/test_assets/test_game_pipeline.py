"""A game partition materialized for real: ffmpeg on generated video, files read back."""

import json
import math
import sqlite3
from pathlib import Path

import av
import numpy as np
import pytest

from basketball_assets.core.examples import PROMPT, example_file_uri, example_problems
from basketball_assets.core.layout import clip_key, video_key
from basketball_assets.core.split import split_of
from basketball_assets.resources.video import probe_video
from basketball_assets_tests.games import FRAME, HALF_SECONDS, good_plays, new_game_id, place_game, play_row
from basketball_assets_tests.test_assets.pipeline import check_of, clips_of, examples_of, materialize_game, metadata_of

pytestmark = pytest.mark.ffmpeg


@pytest.fixture
def game(storage, plays_db, test_videos):
    return place_game(storage, plays_db, test_videos, "game-one")


@pytest.fixture
def materialized(game, instance, resources):
    return materialize_game(instance, resources, game.game_id)


def expected_clips(plays):
    """(play id, angle, start in its half video, end) for plays that all cut cleanly."""
    spans = []
    for play in plays:
        angles = ("broadcast", "tactical") if play["angle"] == "both" else (play["angle"],)
        for angle in angles:
            offset = 0.0
            if play.get("half") is None and play["start_time"] >= HALF_SECONDS[(angle, 1)]:
                offset = HALF_SECONDS[(angle, 1)]
            spans.append((play["id"], angle, play["start_time"] - offset, play["end_time"] - offset))
    return spans


def test_every_play_gets_one_clip_per_angle_with_the_plays_duration(game, storage, materialized):
    expected = expected_clips(game.plays)
    for play_id, angle, start, end in expected:
        path = Path(storage.uri(clip_key(game.game_id, play_id, angle)).removeprefix("file://"))
        probe = probe_video(path)
        assert abs(probe.duration - (end - start)) <= FRAME + 1e-6, (play_id, angle, probe.duration, end - start)
        assert probe.video_codec == "h264" and probe.has_audio
    assert metadata_of(materialized, "game_clips")["clips"] == len(expected) == 8
    assert check_of(materialized, "no_rejected_plays").passed


def test_clips_are_mp4_with_faststart(game, storage, materialized):
    path = Path(storage.uri(clip_key(game.game_id, game.plays[0]["id"], "broadcast")).removeprefix("file://"))
    head = path.read_bytes()[:4096]
    # +faststart puts the index (moov) before the media data (mdat).
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="gray").astype(float)


def frame_at(path: Path, seconds: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time >= seconds - 1e-6:
                return frame.to_ndarray(format="gray").astype(float)
    raise AssertionError(f"no frame at {seconds} s in {path}")


def test_each_clip_starts_on_the_exact_frame_of_its_own_angles_video(game, storage, test_videos, materialized):
    # Play "a" starts at 1.37 s, between keyframes (every 2 s): stream copy would start at 0 s.
    # The angles' videos differ only in their burned-in label ("broadcast H1", "tactical H1"):
    # a clip cut from the other angle's video matches that one best (issue 16).
    for name, angle, other in (("a", "broadcast", "tactical"), ("c", "tactical", "broadcast")):
        play = game.play(name)
        clip = Path(storage.uri(clip_key(game.game_id, play["id"], angle)).removeprefix("file://"))
        # The clip starts on the first frame at or after the play's start.
        start_frame = math.ceil(play["start_time"] * 25 - 1e-9) / 25
        differences = {
            (source, offset): np.abs(
                first_frame(clip) - frame_at(test_videos[(source, 1)], start_frame + offset * FRAME)
            ).mean()
            for source, offset in ((angle, -1), (angle, 0), (angle, 1), (other, 0))
        }
        assert min(differences, key=differences.get) == (angle, 0), (name, angle, differences)


def test_half_two_plays_are_cut_at_start_minus_half_one(game, storage, materialized):
    clips, _ = clips_of(storage, game.game_id)
    by_play = {(clip.play_id, clip.angle): clip for clip in clips}
    d = by_play[(game.play("d")["id"], "broadcast")]
    assert (d.half, round(d.video_start, 6), round(d.video_end, 6)) == (2, 1.2, 3.6)
    f = by_play[(game.play("f")["id"], "tactical")]  # the half column: times are half-relative
    assert (f.half, f.video_start, f.video_end) == (2, 2.0, 4.5)


def test_jsonl_has_one_spec_example_per_clip_in_the_plays_split(game, storage, materialized):
    examples = examples_of(storage, game.game_id)
    descriptions = {row["id"]: row["description"] for row in game.plays}
    seen = []
    for split, lines in examples.items():
        for example in lines:
            assert example_problems(example) == []
            uri = example_file_uri(example)
            assert uri.startswith("file:///") and Path(uri.removeprefix("file://")).is_file()
            play_id = uri.rsplit("/", 1)[1].rsplit("_", 1)[0]
            assert split_of(play_id) == split
            assert example["contents"][0]["parts"][1] == {"text": PROMPT}
            assert example["contents"][1]["parts"][0]["text"] == descriptions[play_id]
            seen.append((play_id, uri))
    assert len(seen) == 8
    for split in examples:  # play id order, then broadcast before tactical
        uris = [example_file_uri(e) for e in examples[split]]
        assert uris == sorted(uris)


def test_jsonl_file_names_follow_the_layout(game, storage, materialized):
    files = sorted(p.name for p in Path(storage.uri(f"games/{game.game_id}/").removeprefix("file://")).glob("*.jsonl"))
    assert len(files) == 2
    assert files[0].startswith("video_training_") and files[1].startswith("video_validation_")
    stamp = files[0].removeprefix("video_training_").removesuffix(".jsonl")
    assert len(stamp) == 16 and stamp[8] == "T" and stamp.endswith("Z")
    assert check_of(materialized, "examples_match_clips").passed


def test_second_materialization_cuts_nothing(game, instance, resources, materialized):
    again = materialize_game(instance, resources, game.game_id)
    clips = metadata_of(again, "game_clips")
    assert (clips["cut"], clips["skipped_unchanged"]) == (0, 8)


def test_edited_play_recuts_only_its_own_clips(game, instance, resources, plays_db, materialized):
    edited = dict(game.play("c"), end_time=8.2, updated_at="2026-11-02T00:00:00+00:00")
    plays_db.upsert_rows([edited])
    again = materialize_game(instance, resources, game.game_id)
    clips = metadata_of(again, "game_clips")
    assert (clips["cut"], clips["skipped_unchanged"]) == (2, 6)  # "c" is a both-angle play
    stored, _ = clips_of(resources["storage"], game.game_id)
    c = next(clip for clip in stored if clip.play_id == edited["id"])
    assert (
        abs(probe_video(Path(resources["storage"].uri(c.key).removeprefix("file://"))).duration - 1.6) <= FRAME + 1e-6
    )


def test_clips_of_a_deleted_play_are_named_and_left_out_of_the_jsonl(game, instance, resources, plays_db, materialized):
    assert metadata_of(materialized, "game_clips")["clips_of_no_play"] == 0
    gone = game.play("c")  # a both-angle play: two clip files
    assert plays_db.delete_rows([gone["id"]]) == 1
    again = materialize_game(instance, resources, game.game_id)
    clips = metadata_of(again, "game_clips")
    assert (clips["clips"], clips["cut"], clips["clips_of_no_play"]) == (6, 0, 2)
    storage = resources["storage"]
    for angle in ("broadcast", "tactical"):
        key = clip_key(game.game_id, gone["id"], angle)
        assert storage.exists(key) and storage.uri(key) in clips["clips_of_no_play_list"]
    lines = [json.dumps(example) for examples in examples_of(storage, game.game_id).values() for example in examples]
    assert len(lines) == 6 and not any(gone["id"] in line for line in lines)


def test_changed_encoding_settings_recut_every_clip(game, instance, resources, materialized):
    from basketball_assets.resources.video import ClipEncoder

    again = materialize_game(instance, {**resources, "video": ClipEncoder(crf=30)}, game.game_id)
    assert metadata_of(again, "game_clips")["cut"] == 8


def test_the_metadata_says_how_each_clip_was_cut(game, instance, resources, materialized):
    # Smart cut is the default: the test game's short plays mostly hold no whole GOP, so
    # each clip is either smart-cut or re-encoded with the reason named.
    first = metadata_of(materialized, "game_clips")
    assert first["smart_cuts"] + first["reencoded_cuts"] == first["cut"] == 8
    assert (first["smart_cut_fallbacks"] == "none") == (first["reencoded_cuts"] == 0)
    assert first["smart_cuts"] >= 1

    again = metadata_of(materialize_game(instance, resources, game.game_id), "game_clips")
    assert (again["smart_cuts"], again["reencoded_cuts"]) == (0, 0)


def test_reencode_mode_recuts_every_clip_and_makes_no_smart_cut(game, instance, resources, materialized):
    from basketball_assets.resources.video import ClipEncoder

    again = materialize_game(instance, {**resources, "video": ClipEncoder(mode="reencode")}, game.game_id)
    clips = metadata_of(again, "game_clips")
    assert (clips["cut"], clips["smart_cuts"], clips["reencoded_cuts"], clips["smart_cut_fallbacks"]) == (
        8,
        0,
        8,
        "none",
    )


def test_plays_data_version_changes_only_when_plays_change(game, instance, resources, plays_db, materialized):
    def plays_version(result):
        (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["game_plays"]]
        return event.materialization.tags["dagster/data_version"]

    same = materialize_game(instance, resources, game.game_id)
    assert plays_version(same) == plays_version(materialized)
    plays_db.upsert_rows([dict(game.play("a"), description="A new description.")])
    assert plays_version(materialize_game(instance, resources, game.game_id)) != plays_version(materialized)


# --- bad input: rejected with a reason, everything else goes on ------------------------


def rejections(result):
    evaluation = check_of(result, "no_rejected_plays")
    return evaluation.passed, evaluation.metadata["rejections"].value


@pytest.mark.parametrize(
    "bad, reason",
    [
        ({"start_time": 11.0, "end_time": 12.5, "angle": "broadcast"}, "crosses the end of half 1 at 12 s"),
        ({"start_time": 20.0, "end_time": 23.0, "angle": "broadcast"}, "after the end of the last video (22 s"),
        ({"start_time": 5.0, "end_time": 4.0, "angle": "tactical"}, "end_time 4 s is not after start_time 5 s"),
        ({"start_time": -1.0, "end_time": 2.0, "angle": "tactical"}, "negative time"),
        ({"start_time": 1.0, "end_time": 2.0, "angle": "sideline"}, "unknown angle 'sideline'"),
        ({"start_time": 1.0, "end_time": 2.0, "angle": "broadcast", "description": "  "}, "empty description"),
        ({"start_time": 3.0, "end_time": 5.0, "angle": "broadcast", "half": 2}, None),
    ],
    ids=[
        "crosses-half",
        "past-end",
        "end-before-start",
        "negative",
        "unknown-angle",
        "empty-description",
        "half-relative-ok",
    ],
)
def test_a_bad_play_is_rejected_with_its_reason_and_the_rest_go_on(
    bad, reason, storage, plays_db, test_videos, instance, resources
):
    game_id = new_game_id("bad-play")
    bad = dict(bad)
    row = play_row(game_id, "bad", bad.pop("start_time"), bad.pop("end_time"), bad.pop("angle"), **bad)
    rows = [*good_plays(game_id), row]
    place_game(storage, plays_db, test_videos, "bad-play", rows)
    result = materialize_game(instance, resources, game_id)
    passed, table = rejections(result)
    if reason is None:
        assert passed
        return
    assert not passed and reason in table, table
    assert metadata_of(result, "game_clips")["clips"] == 8
    bad_id = rows[-1]["id"]
    assert not any(bad_id in example_file_uri(e) for lines in examples_of(storage, game_id).values() for e in lines)


def test_a_span_crossing_one_angles_boundary_rejects_only_that_angle(
    storage, plays_db, test_videos, instance, resources
):
    # Tactical half 1 ends at 11 s, broadcast's at 12 s: 10.5-11.5 s fits broadcast only.
    game_id = new_game_id("one-angle")
    rows = [*good_plays(game_id), play_row(game_id, "edge", 10.5, 11.5, "both")]
    place_game(storage, plays_db, test_videos, "one-angle", rows)
    result = materialize_game(instance, resources, game_id)
    clips, rejected = clips_of(storage, game_id)
    assert {c.angle for c in clips if c.play_id == rows[-1]["id"]} == {"broadcast"}
    assert [(r.angle, "crosses the end of half 1 at 11 s" in r.reason) for r in rejected] == [("tactical", True)]
    assert metadata_of(result, "game_clips")["clips"] == 9


def test_duplicate_ids_keep_the_row_written_last_and_are_reported(storage, test_videos, instance, resources, tmp_path):
    # Supabase's id is a primary key, but a source can still hand back a row twice; a
    # plays table without the key lets the real pipeline see duplicates.
    plays_db = resources["plays_source"]
    with sqlite3.connect(plays_db.path) as db:
        db.execute("DROP TABLE plays")
        db.execute(
            "CREATE TABLE plays (id TEXT, game_id TEXT, start_time NUMERIC, end_time NUMERIC, angle TEXT, "
            "description TEXT, created_at TEXT, half INTEGER, updated_at TEXT)"
        )
    game_id = new_game_id("duplicates")
    rows = good_plays(game_id)
    newer = dict(rows[0], description="The newer text wins.", created_at="2026-11-01T11:00:00+00:00")
    place_game(storage, plays_db, test_videos, "duplicates", [*rows, newer])
    result = materialize_game(instance, resources, game_id)
    assert metadata_of(result, "game_plays")["duplicate_ids"] == 1
    answers = [e["contents"][1]["parts"][0]["text"] for lines in examples_of(storage, game_id).values() for e in lines]
    assert "The newer text wins." in answers and rows[0]["description"] not in answers
    assert metadata_of(result, "game_clips")["clips"] == 8


def test_a_missing_video_rejects_only_the_plays_that_need_it(storage, plays_db, test_videos, instance, resources):
    game = place_game(storage, plays_db, test_videos, "missing", missing=[("tactical", 2)])
    result = materialize_game(instance, resources, game.game_id)
    clips, rejected = clips_of(storage, game.game_id)
    assert {(r.play_id, r.angle) for r in rejected} == {
        (game.play("e")["id"], "tactical"),
        (game.play("f")["id"], "tactical"),
    }
    assert all("TacticalHalf2.mp4" in r.reason and "does not exist" in r.reason for r in rejected)
    assert len(clips) == 6 and not check_of(result, "no_rejected_plays").passed
    assert check_of(result, "examples_match_clips").passed


def test_a_corrupt_video_rejects_its_plays_with_ffmpegs_reason(
    storage, plays_db, test_videos, instance, resources, tmp_path
):
    game = place_game(storage, plays_db, test_videos, "corrupt", missing=[("broadcast", 1)])
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)
    storage.put_video(video_key(game.game_id, "broadcast", 1), garbage)
    result = materialize_game(instance, resources, game.game_id)
    clips, rejected = clips_of(storage, game.game_id)
    broadcast_plays = {r["id"] for r in game.plays if r["angle"] in ("broadcast", "both") and r.get("half") != 2}
    assert {r.play_id for r in rejected if r.angle == "broadcast"} == broadcast_plays
    assert all("BroadcastHalf1.mp4 cannot be read" in r.reason for r in rejected)
    assert {c.angle for c in clips} == {"broadcast", "tactical"}  # half-2 broadcast plays still cut
    assert result.success


def test_a_truncated_video_rejects_the_plays_past_the_cut(
    storage, plays_db, test_videos, instance, resources, tmp_path
):
    game = place_game(storage, plays_db, test_videos, "truncated", missing=[("tactical", 1)])
    source = test_videos[("tactical", 1)].read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(source[: len(source) // 3])  # faststart: the index survives, media does not
    storage.put_video(video_key(game.game_id, "tactical", 1), truncated)
    result = materialize_game(instance, resources, game.game_id)
    _, rejected = clips_of(storage, game.game_id)
    # A third of the bytes holds about the first 3.7 s: plays b (4.0 s) and c (6.6 s) of tactical
    # half 1 are past the cut; a (broadcast) and the half-2 plays are untouched.
    assert sorted((r.play_id, r.angle) for r in rejected) == sorted(
        (game.play(name)["id"], "tactical") for name in ("b", "c")
    )
    for rejection in rejected:
        assert f"ffmpeg wrote an unreadable clip from Games/{game.game_id}/TacticalHalf1.mp4" in rejection.reason
    assert result.success and metadata_of(result, "game_clips")["clips"] == 8 - 2


def test_nothing_half_written_is_left_in_storage(storage, plays_db, test_videos, instance, resources, tmp_path):
    game = place_game(storage, plays_db, test_videos, "tidy", missing=[("broadcast", 1)])
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video")
    storage.put_video(video_key(game.game_id, "broadcast", 1), garbage)
    materialize_game(instance, resources, game.game_id)
    root = Path(storage.data_dir)
    leftovers = [p for p in root.rglob("*") if p.name.endswith(".part") or (p.parent.name == ".scratch")]
    assert leftovers == []
    for clip in (root / "uball-training-data" / "games" / game.game_id / "clips").iterdir():
        probe_video(clip)  # every stored clip is whole and readable


def test_a_game_without_plays_fails_with_a_clear_message(instance, resources):
    result = materialize_game(instance, resources, new_game_id("empty"), raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "has no plays" in str(failure.event_specific_data.error.message)
