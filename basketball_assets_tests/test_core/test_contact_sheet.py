"""The contact sheet's pure parts: rows, frames, pages, filter graphs and the UI Markdown."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.contact_sheet import (
    SheetLayout,
    fewer_rows,
    frame_numbers,
    header_filter,
    paged,
    preview_markdown,
    row_filter,
    sheet_fingerprint,
    sheet_key,
    sheet_rows,
    texts_of_row,
)
from basketball_assets.core.plays import Rejection


def clip(play_id: str, angle: str, half: int, start: float, end: float) -> PlannedClip:
    return PlannedClip(
        play_id,
        angle,
        f"games/g/clips/{play_id}_{angle}.mp4",
        half,
        f"Games/g/{angle}{half}.mp4",
        start,
        end,
        f"fp-{play_id}-{angle}",
    )


def test_rows_follow_the_game_and_plays_without_clips_come_last():
    clips = [
        clip("p2", "broadcast", 2, 1.0, 3.0),
        clip("p1", "tactical", 1, 9.0, 12.0),
        clip("p3", "broadcast", 1, 2.0, 4.0),
    ]
    rows = sheet_rows(clips, [Rejection("p0", "all", "empty description: there is nothing for the model to learn")])
    assert [row.play_id for row in rows] == ["p3", "p1", "p2", "p0"]


def test_a_row_has_a_cell_per_angle_with_the_clip_or_the_reason_it_has_none():
    clips = [clip("p1", "broadcast", 1, 1.5, 4.25)]
    rejections = [Rejection("p1", "tactical", "span 10-13 s crosses the end of half 1 at 11 s")]
    (row,) = sheet_rows(clips, rejections, {"p1": "Pick and roll at the top of the key; the roll man finishes."})
    broadcast, tactical = row.cells
    assert broadcast.clip_key == "games/g/clips/p1_broadcast.mp4" and broadcast.caption == "H1 1.50-4.25 s"
    assert tactical.clip_key is None and tactical.note == "rejected: span crosses the end of half 1"
    assert row.label[0] == "play p1" and row.label[1] == "2.75 s"
    assert row.label[2].endswith("…") and len(row.label[2]) == 30


def test_an_angle_the_play_does_not_ask_for_says_so():
    (row,) = sheet_rows([clip("p1", "tactical", 1, 0.0, 2.0)], [])
    assert row.cells[0].note == "no clip for this angle"


def test_frames_run_from_the_first_to_the_last_frame_of_the_clip():
    assert frame_numbers(2.0, 25.0, 4) == [0, 16, 33, 49]
    assert frame_numbers(0.08, 25.0, 4) == [0, 1]  # a two-frame clip shows both, once each
    assert frame_numbers(0.01, 25.0, 4) == [0]


# Logic, not speed: Hypothesis' 200 ms per-example deadline fails at random on a busy 2-core machine.
@settings(deadline=None)
@given(st.floats(0.04, 600), st.sampled_from([24.0, 25.0, 29.97, 50.0, 60.0]), st.integers(1, 8))
def test_frame_numbers_are_distinct_in_order_and_inside_the_clip(duration, rate, count):
    frames = frame_numbers(duration, rate, count)
    assert frames == sorted(set(frames)) and 1 <= len(frames) <= count
    assert frames[0] >= 0 and frames[-1] < max(1, round(duration * rate))


def test_pages_hold_at_most_the_rows_per_page_and_keys_name_them():
    rows = sheet_rows([clip(f"p{i:03d}", "broadcast", 1, i, i + 1.0) for i in range(250)], [])
    pages = paged(rows, 100)
    assert [len(page) for page in pages] == [100, 100, 50]
    assert sheet_key("g", 1) == "pipeline-state/games/g/contact_sheet.jpg"
    assert sheet_key("g", 3) == "pipeline-state/games/g/contact_sheet-3.jpg"
    assert paged([], 100) == [[]]


def test_the_fingerprint_changes_with_a_clip_a_label_or_the_layout():
    clips = [clip("p1", "broadcast", 1, 0.0, 2.0)]
    rows = sheet_rows(clips, [], {"p1": "a"})
    fingerprints = {"games/g/clips/p1_broadcast.mp4": "x"}
    base = sheet_fingerprint(rows, fingerprints, SheetLayout())
    assert base == sheet_fingerprint(sheet_rows(clips, [], {"p1": "a"}), fingerprints, SheetLayout())
    assert base != sheet_fingerprint(rows, {"games/g/clips/p1_broadcast.mp4": "y"}, SheetLayout())
    assert base != sheet_fingerprint(sheet_rows(clips, [], {"p1": "b"}), fingerprints, SheetLayout())
    assert base != sheet_fingerprint(rows, fingerprints, SheetLayout(frames_per_clip=5))


def test_row_filter_reads_one_input_per_clip_and_draws_every_text_from_its_file():
    rows = sheet_rows([clip("p1", "tactical", 1, 0.0, 2.0)], [])
    graph = row_filter(rows[0], 7, {"tactical": [0, 25, 49]}, SheetLayout())
    assert "[0:v]select='eq(n,0)+eq(n,25)+eq(n,49)'" in graph and "[1:v]" not in graph
    assert "tile=3x1" in graph and graph.endswith("[row]")
    for name in texts_of_row(rows[0], 7):
        assert f"textfile={name}:" in graph
    assert ":text=" not in graph and "drawtext=text=" not in graph  # no inline text, nothing to escape


def test_header_and_rows_are_as_wide_as_the_layout():
    layout = replace(SheetLayout(), frames_per_clip=3, thumb_width=100, label_width=150, gap=4)
    assert layout.strip_width == 3 * 100 + 2 * 4
    assert layout.width == 150 + 2 * (4 + 308)
    assert f"s={layout.width}x{layout.header_height}" in header_filter(layout)


def test_preview_markdown_inlines_the_image_and_names_the_whole_sheet():
    # Whole texts, not fragments: the UI shows exactly this (mutation testing found fragments let
    # dropped blank lines, separators and words through).
    text = preview_markdown("data:image/jpeg;base64,AAAA", 8, 23, ["file:///d/p1.jpg", "file:///d/p2.jpg"])
    assert text == (
        "![contact sheet: first 8 of 23 plays](data:image/jpeg;base64,AAAA)\n"
        "\n"
        "Contact sheet, first 8 of 23 plays shown; one row per play, each angle's frames run from the clip's "
        "first frame to its last.\n"
        "\n"
        "Whole sheet: `file:///d/p1.jpg`, `file:///d/p2.jpg`"
    )
    assert preview_markdown("data:x", 5, 5, []) == (
        "![contact sheet: first 5 of 5 plays](data:x)\n\nContact sheet, all 5 plays shown; one row per play, "
        "each angle's frames run from the clip's first frame to its last."
    )


def test_preview_markdown_says_why_there_is_no_sheet():
    assert preview_markdown(None, 0, 4, ["u"], problem="ffmpeg failed") == (
        "**No contact sheet:** ffmpeg failed\n\nWhole sheet: `u`"
    )
    assert preview_markdown("data:x", 3, 4, [], problem="too big") == "**No contact sheet:** too big"
    assert preview_markdown(None, 0, 0, []) == "No plays, so no contact sheet."


def test_an_inline_preview_over_budget_halves_its_rows_down_to_one():
    shown, tried = 6, []
    while shown:
        tried.append(shown)
        shown = fewer_rows(shown)
    assert tried == [6, 3, 1]


@pytest.mark.parametrize("rows", [1, 8, 100])
def test_page_height_is_the_header_plus_the_rows(rows):
    layout = SheetLayout()
    assert layout.page_height(rows) == layout.header_height + rows * (layout.thumb_height + layout.gap)
