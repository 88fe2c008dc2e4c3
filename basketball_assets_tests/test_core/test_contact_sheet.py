"""The contact sheet's pure parts: rows, frames, pages, filter graphs and the UI Markdown."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.contact_sheet import (
    SheetCell,
    SheetLayout,
    fewer_rows,
    frame_numbers,
    header_filter,
    inline_rows_shown,
    paged,
    preview_markdown,
    row_filter,
    sheet_fingerprint,
    sheet_key,
    sheet_rows,
    shorten,
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


def test_a_whole_play_rejection_notes_every_angle_and_an_angles_rejection_only_its_own():
    rejections = [
        Rejection("p0123456789", "all", "empty description: nothing to learn"),
        Rejection("p5", "tactical", "span 1-3 s crosses the end of half 1 at 2 s"),
    ]
    whole, own = sheet_rows([], rejections)
    assert whole.label == ("play p0123456", "no clip") and own.label == ("play p5", "no clip")
    assert whole.cells == (
        SheetCell("broadcast", note="rejected: empty description"),
        SheetCell("tactical", note="rejected: empty description"),
    )
    assert own.cells == (
        SheetCell("broadcast", note="no clip for this angle"),
        SheetCell("tactical", note="rejected: span crosses the end of half 1"),
    )


def test_shorten_joins_whitespace_and_cuts_only_past_the_width():
    assert shorten("a  b\n c", 10) == "a b c"
    assert shorten("abcde", 5) == "abcde"
    assert shorten("abc def", 5) == "abc…"
    assert shorten("abc defgh", 6) == "abc d…"


def test_the_inline_preview_shows_at_most_the_layouts_rows():
    assert inline_rows_shown(3, SheetLayout(inline_rows=6)) == 3
    assert inline_rows_shown(10, SheetLayout(inline_rows=6)) == 6


def test_the_fingerprint_is_pinned_so_stored_sheets_stay_valid_across_releases():
    # A changed value re-renders every game's sheet: change it only with the layout or the rows' shape.
    rows = sheet_rows([clip("p1", "tactical", 1, 0.0, 2.0)], [], {"p1": "d"})
    assert sheet_fingerprint(rows, {}, SheetLayout()) == "2f8baf6e166d6e160f5021d5f80b199c"


def test_a_rows_texts_in_full():
    (row,) = sheet_rows([clip("p1", "tactical", 1, 0.0, 2.0)], [], {"p1": "d"})
    assert texts_of_row(row, 7) == {
        "row0007-label.txt": "play p1\n2.00 s\nd",
        "row0007-broadcast.txt": "no clip for this angle",
        "row0007-tactical.txt": "H1 0.00-2.00 s",
    }


# The graphs ffmpeg renders (basketball_assets_tests/test_contact_sheet.py renders them): pinned in full here,
# so a changed position, colour or size fails fast. Widths: label 220, each strip 4 x 128 + 3 x 2 = 518.
ROW_GRAPH = (
    "color=c=0x262c33:s=220x72:r=1:d=1,drawtext=textfile=row0007-label.txt:expansion=none:fontsize=12:"
    "fontcolor=white:line_spacing=3:x=5:y=4[label];"
    "color=c=0x1b1f24:s=518x72:r=1:d=1,drawtext=textfile=row0007-broadcast.txt:expansion=none:fontsize=12:"
    "fontcolor=0xffb454:line_spacing=3:x=5:y=4[broadcast];"
    "[0:v]select='eq(n,0)+eq(n,49)',scale=128:72:force_original_aspect_ratio=decrease,"
    "pad=128:72:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,tile=2x1:padding=2:color=0x1b1f24,"
    "pad=518:72:0:0:color=0x1b1f24,drawtext=textfile=row0007-tactical.txt:expansion=none:fontsize=12:"
    "fontcolor=white:line_spacing=3:x=4:y=h-th-5:box=1:boxcolor=black@0.6:boxborderw=2[tactical];"
    "[label][broadcast][tactical]xstack=inputs=3:layout=0_0|222_0|742_0:fill=0x1b1f24,"
    "pad=1260:74:0:0:color=0x1b1f24[row]"
)


def test_a_rows_filter_graph_in_full():
    (row,) = sheet_rows([clip("p1", "tactical", 1, 0.0, 2.0)], [], {"p1": "d"})
    assert row_filter(row, 7, {"tactical": [0, 49]}, SheetLayout()) == ROW_GRAPH


def test_each_clip_of_a_row_is_the_next_input():
    (row,) = sheet_rows([clip("p1", "broadcast", 1, 0.0, 2.0), clip("p1", "tactical", 1, 0.0, 2.0)], [])
    graph = row_filter(row, 0, {"broadcast": [0], "tactical": [1]}, SheetLayout())
    assert "[0:v]select='eq(n,0)'" in graph and "[1:v]select='eq(n,1)'" in graph


def test_the_header_graph_in_full():
    assert header_filter(SheetLayout()) == (
        "color=c=0x1b1f24:s=1260x24:r=1:d=1,"
        "drawtext=textfile=header-label.txt:expansion=none:fontsize=12:fontcolor=white:x=5:y=(24-th)/2,"
        "drawtext=textfile=header-broadcast.txt:expansion=none:fontsize=12:fontcolor=white:x=227:y=(24-th)/2,"
        "drawtext=textfile=header-tactical.txt:expansion=none:fontsize=12:fontcolor=white:x=747:y=(24-th)/2[row]"
    )


def test_one_frame_is_the_middle_one_and_two_are_the_first_and_the_last():
    assert frame_numbers(2.04, 25.0, 1) == [25]  # 51 frames: a whole frame number, not 25.5
    assert frame_numbers(2.0, 25.0, 2) == [0, 49]


def test_the_first_page_is_the_default():
    assert sheet_key("g") == "pipeline-state/games/g/contact_sheet.jpg"
