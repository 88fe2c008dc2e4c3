"""What users see before paying to train: each game's contact sheet and the dataset card."""

import base64
import json
import re

import av
import numpy as np
import pytest
from dagster import materialize

from basketball_assets.assets.dataset import combined_dataset
from basketball_assets.core.contact_sheet import SheetLayout, sheet_key
from basketball_assets.core.dataset_card import dataset_card_key
from basketball_assets.core.examples import PROMPT
from basketball_assets_tests.games import good_plays, new_game_id, place_game, play_row
from basketball_assets_tests.test_assets.pipeline import (
    GAME_ASSETS,
    clips_of,
    combined_examples,
    materialize_combined,
    materialize_game,
    metadata_of,
)

pytestmark = pytest.mark.ffmpeg

LAYOUT = SheetLayout()


def picture(path) -> np.ndarray:
    """The image's pixels, RGB, rows by columns."""
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def sheet_of(storage, game_id, page=1) -> np.ndarray:
    with storage.local_copy(sheet_key(game_id, page)) as path:
        return picture(path)


def inline_picture(markdown: str, tmp_path) -> np.ndarray:
    (encoded,) = re.findall(r"\(data:image/jpeg;base64,([A-Za-z0-9+/=]+)\)", markdown)
    path = tmp_path / "inline.jpg"
    path.write_bytes(base64.b64decode(encoded))
    return picture(path)


def cell(sheet: np.ndarray, row: int, column: int) -> np.ndarray:
    """One row's pixels under the caption: the label (column 0) or one angle's frames (1, 2)."""
    top = LAYOUT.header_height + row * LAYOUT.row_height
    left = 0 if column == 0 else LAYOUT.label_width + LAYOUT.gap + (column - 1) * (LAYOUT.gap + LAYOUT.strip_width)
    width = LAYOUT.label_width if column == 0 else LAYOUT.strip_width
    return sheet[top + 20 : top + LAYOUT.thumb_height - 20, left : left + width].astype(float)


def has_frames(pixels: np.ndarray) -> bool:
    """The test pattern is colourful; an empty cell is one flat background colour."""
    return pixels.std() > 30


def test_game_clips_stores_a_contact_sheet_with_one_row_per_play(
    storage, plays_db, test_videos, instance, resources, tmp_path
):
    game = place_game(storage, plays_db, test_videos, "sheet")
    result = materialize_game(instance, resources, game.game_id)

    sheet = sheet_of(storage, game.game_id)
    assert sheet.shape[:2] == (LAYOUT.page_height(6), LAYOUT.width)
    markdown = metadata_of(result, "game_clips")["contact_sheet"]
    assert "all 6 plays shown" in markdown and storage.uri(sheet_key(game.game_id)) in markdown
    assert inline_picture(markdown, tmp_path).shape[1] == LAYOUT.inline_width


def test_each_row_shows_frames_where_the_play_has_a_clip_and_nothing_where_it_has_none(
    storage, plays_db, test_videos, instance, resources
):
    game = place_game(storage, plays_db, test_videos, "cells")
    materialize_game(instance, resources, game.game_id)

    sheet = sheet_of(storage, game.game_id)
    # Rows in game order: a (broadcast), b (tactical), c (both), d (broadcast H2), e (tactical H2), f (both H2).
    expected = [(True, False), (False, True), (True, True), (True, False), (False, True), (True, True)]
    seen = [(has_frames(cell(sheet, row, 1)), has_frames(cell(sheet, row, 2))) for row in range(6)]
    assert seen == expected


def test_first_frame_of_a_row_is_the_first_frame_of_its_clip(
    storage, plays_db, test_videos, instance, resources, tmp_path
):
    game = place_game(storage, plays_db, test_videos, "first-frame")
    materialize_game(instance, resources, game.game_id)
    (clip,) = [c for c in clips_of(storage, game.game_id)[0] if c.play_id == game.play("a")["id"]]
    with storage.local_copy(clip.key) as path, av.open(str(path)) as container:
        first = (
            next(container.decode(video=0))
            .reformat(width=LAYOUT.thumb_width, height=LAYOUT.thumb_height)
            .to_ndarray(format="rgb24")
        )

    sheet = sheet_of(storage, game.game_id)
    top, left = LAYOUT.header_height, LAYOUT.label_width + LAYOUT.gap
    thumb = sheet[top : top + LAYOUT.thumb_height, left : left + LAYOUT.thumb_width].astype(float)
    # Compare above the caption (bottom left) and allow for JPEG: same picture, small error.
    assert np.abs(thumb[:40] - first[:40].astype(float)).mean() < 20


def test_a_big_game_shows_only_its_first_rows_inline_and_says_how_many(
    storage, plays_db, test_videos, instance, resources, tmp_path
):
    name = "big"
    game_id = new_game_id(name)
    extra = [play_row(game_id, f"x{i}", 7.0 + i * 0.3, 8.0 + i * 0.3, "broadcast", minute=10 + i) for i in range(3)]
    extra.append(play_row(game_id, "bad", 10.0, 13.0, "both", minute=20))  # crosses the end of half 1
    game = place_game(storage, plays_db, test_videos, name, plays=good_plays(game_id) + extra)
    result = materialize_game(instance, resources, game.game_id)

    markdown = metadata_of(result, "game_clips")["contact_sheet"]
    (shown,) = [int(n) for n in re.findall(r"first (\d+) of 10 plays shown", markdown)]
    assert 1 <= shown <= LAYOUT.inline_rows
    inline = inline_picture(markdown, tmp_path)
    assert abs(inline.shape[0] - LAYOUT.page_height(shown) * LAYOUT.inline_width / LAYOUT.width) <= 2
    assert (tmp_path / "inline.jpg").stat().st_size <= LAYOUT.inline_max_bytes
    sheet = sheet_of(storage, game.game_id)
    assert sheet.shape[0] == LAYOUT.page_height(10)
    # The rejected play comes last, without frames for either angle.
    assert not has_frames(cell(sheet, 9, 1)) and not has_frames(cell(sheet, 9, 2))


def test_the_sheet_is_rendered_again_only_when_what_it_shows_changes(
    storage, plays_db, test_videos, instance, resources
):
    game = place_game(storage, plays_db, test_videos, "again")
    materialize_game(instance, resources, game.game_id)
    path = storage.root / storage.training_bucket / sheet_key(game.game_id)
    first = path.stat().st_mtime_ns

    materialize_game(instance, resources, game.game_id)
    assert path.stat().st_mtime_ns == first

    plays_db.upsert_rows(
        [dict(game.play("c"), description="Edited: a give and go.", created_at="2026-11-02T10:00:00+00:00")]
    )
    materialize_game(instance, resources, game.game_id)
    assert path.stat().st_mtime_ns != first


# --- the dataset card -----------------------------------------------------------------------


@pytest.fixture
def two_games(storage, plays_db, test_videos, instance, resources):
    north = place_game(storage, plays_db, test_videos, "card-north")
    south_id = new_game_id("card-south")
    bad = [
        play_row(south_id, "crossing", 10.0, 13.0, "both", minute=30),
        play_row(south_id, "backwards", 5.0, 4.0, "broadcast", minute=31),
    ]
    south = place_game(storage, plays_db, test_videos, "card-south", plays=good_plays(south_id) + bad)
    for game in (north, south):
        materialize_game(instance, resources, game.game_id)
    return north, south


def expected_tokens(storage, games, lines, tokens_per_second=295.0, characters_per_token=4.0):
    seconds = {}
    for game in games:
        for clip in clips_of(storage, game.game_id)[0]:
            seconds[storage.uri(clip.key)] = clip.duration
    total = 0.0
    for line in lines:
        example = json.loads(line)
        uri = example["contents"][0]["parts"][0]["fileData"]["fileUri"]
        description = example["contents"][1]["parts"][0]["text"]
        total += seconds[uri] * tokens_per_second + (len(PROMPT) + len(description)) / characters_per_token
    return total


def test_combined_dataset_writes_a_card_next_to_its_jsonl_with_what_it_holds(two_games, storage, instance, resources):
    result = materialize_combined(instance, resources)
    metadata = metadata_of(result, "combined_dataset")
    combined = combined_examples(storage)

    (timestamp,) = re.findall(r"cumulative-execution-(\w+)/", metadata["training_uri"])
    card = storage.read_text(dataset_card_key(timestamp))
    assert card == metadata["dataset_card"]
    total = len(combined["training"]) + len(combined["validation"])
    assert f"{total} examples from 2 games" in card
    assert metadata["training_examples"] == len(combined["training"])
    assert metadata["training_broadcast_examples"] + metadata["training_tactical_examples"] == len(combined["training"])
    all_seconds = sum(c.duration for game in two_games for c in clips_of(storage, game.game_id)[0])
    assert metadata["clip_seconds_total"] == pytest.approx(all_seconds, abs=0.01)
    assert metadata["clip_bytes_total"] == sum(
        storage.size(c.key) for game in two_games for c in clips_of(storage, game.game_id)[0]
    )
    # Rejected plays by reason: plays, and clips not cut (a "both" play misses two).
    assert "| span crosses the end of half 1 | 1 | 2 |" in card
    assert "| ends before it starts | 1 | 1 |" in card
    assert metadata["rejected_plays"] == 2


def test_the_cost_estimate_is_training_tokens_times_epochs_times_the_configured_price(
    two_games, storage, instance, resources
):
    config = {"ops": {"combined_dataset": {"config": {"epochs": 3, "price_per_million_training_tokens": 2000.0}}}}
    result = materialize(
        [*GAME_ASSETS, combined_dataset],
        selection=["combined_dataset"],
        instance=instance,
        resources=resources,
        run_config=config,
    )
    metadata = metadata_of(result, "combined_dataset")

    tokens = expected_tokens(storage, two_games, combined_examples(storage)["training"])
    assert metadata["estimated_training_tokens"] == pytest.approx(tokens * 3, abs=3)
    assert metadata["estimated_tuning_cost_usd"] == pytest.approx(tokens * 3 / 1e6 * 2000.0, abs=0.01)
    assert "x 3 epochs" in metadata["dataset_card"] and "2000 USD per million tokens" in metadata["dataset_card"]
