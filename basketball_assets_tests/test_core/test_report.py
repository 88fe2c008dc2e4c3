"""Markdown tables for the UI's metadata (rejected plays, clip lists)."""

from __future__ import annotations

from basketball_assets.core.plays import Rejection
from basketball_assets.core.report import markdown_table, rejections_table


def test_a_table_has_a_header_a_rule_and_one_line_per_row():
    table = markdown_table(["play", "seconds"], [("a", 4.5), ("b", 3)])

    assert table == "| play | seconds |\n|---|---|\n| a | 4.5 |\n| b | 3 |"


def test_pipes_and_line_breaks_in_cells_do_not_break_the_table():
    table = markdown_table(["reason"], [("a|b\nc",)])

    assert table.splitlines()[2] == "| a\\|b c |"


def test_a_long_table_is_cut_with_a_note_of_how_many_rows_were_left_out():
    table = markdown_table(["n"], [(n,) for n in range(7)], limit=5)

    assert table.count("\n| ") == 5
    assert table.endswith("… and 2 more rows")


def test_a_table_at_the_limit_has_no_note():
    assert "more rows" not in markdown_table(["n"], [(n,) for n in range(5)], limit=5)


def test_rejections_table_lists_play_angle_and_reason():
    table = rejections_table([Rejection("p-1", "tactical", "half 2 video was not read")])

    assert table.splitlines() == [
        "| play | angle | reason |",
        "|---|---|---|",
        "| p-1 | tactical | half 2 video was not read |",
    ]


def test_a_table_shows_fifty_rows_by_default():
    table = markdown_table(["n"], ([n] for n in range(51)))
    assert "| 49 |" in table and "| 50 |" not in table
    assert table.endswith("\n… and 1 more rows")
