"""The plays sensor's decisions: which rows are new, the next cursor, which games changed."""

from datetime import UTC, datetime, timedelta

from basketball_assets.core.changes import (
    PlaysCursor,
    changed_versions,
    detect_changes,
    full_scan_due,
    poll_since,
    read_whole_table,
    rows_by_game,
)

T0 = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
OVERLAP = timedelta(minutes=5)


def row(play: str, game: str = "game-a", at: datetime = T0, updated: datetime | None = None, **values):
    return {
        "id": play,
        "game_id": game,
        "start_time": 1.0,
        "end_time": 4.0,
        "angle": "broadcast",
        "description": "Corner three.",
        "created_at": at.isoformat(),
        "half": None,
        "updated_at": updated.isoformat() if updated else None,
        **values,
    }


def test_first_poll_reads_the_whole_table_and_every_row_is_new():
    rows = [row("p1"), row("p2", game="game-b", at=T0 + timedelta(seconds=3))]
    assert poll_since(PlaysCursor(), OVERLAP) is None
    changes = detect_changes(rows, PlaysCursor(), OVERLAP)
    assert changes.games == ["game-a", "game-b"]
    assert changes.cursor.high_water == T0 + timedelta(seconds=3)


def test_rows_read_again_in_the_overlap_window_are_not_new():
    rows = [row("p1"), row("p2", at=T0 + timedelta(seconds=3))]
    first = detect_changes(rows, PlaysCursor(), OVERLAP)
    again = detect_changes(rows, first.cursor, OVERLAP)
    assert again.new_rows == []
    assert again.cursor == first.cursor


def test_a_row_with_the_same_timestamp_as_the_high_water_mark_is_caught():
    first = detect_changes([row("p1")], PlaysCursor(), OVERLAP)
    later = detect_changes([row("p1"), row("p2", game="game-b")], first.cursor, OVERLAP)
    assert [r["id"] for r in later.new_rows] == ["p2"]


def test_a_row_committed_late_with_an_earlier_timestamp_is_caught_inside_the_window():
    first = detect_changes([row("p1", at=T0)], PlaysCursor(), OVERLAP)
    late = row("p0", game="game-c", at=T0 - timedelta(minutes=2))
    changes = detect_changes([late, row("p1", at=T0)], first.cursor, OVERLAP)
    assert changes.games == ["game-c"]
    assert changes.cursor.high_water == T0


def test_an_edit_is_new_through_its_updated_at():
    first = detect_changes([row("p1")], PlaysCursor(), OVERLAP)
    edited = row("p1", updated=T0 + timedelta(hours=1), description="Edited.")
    changes = detect_changes([edited], first.cursor, OVERLAP)
    assert changes.games == ["game-a"]
    assert changes.cursor.high_water == T0 + timedelta(hours=1)


def test_an_edit_without_updated_at_is_caught_while_in_the_window():
    first = detect_changes([row("p1")], PlaysCursor(), OVERLAP)
    changes = detect_changes([row("p1", description="Edited in place.")], first.cursor, OVERLAP)
    assert changes.games == ["game-a"]


def test_the_seen_marks_keep_only_the_window():
    rows = [row(f"p{n}", at=T0 + timedelta(minutes=n)) for n in range(20)]
    changes = detect_changes(rows, PlaysCursor(), OVERLAP)
    # High-water is minute 19: minutes 14..19 are in its five-minute window.
    assert len(changes.cursor.seen) == 6


def test_poll_since_rounds_down_to_the_second_in_a_text_comparable_form():
    cursor = PlaysCursor(high_water=datetime(2026, 11, 26, 12, 5, 7, 250000, tzinfo=UTC))
    since = poll_since(cursor, OVERLAP)
    assert since == "2026-11-26T12:00:07+00:00"
    # As text it sorts at or before every timestamp of that second, with or without fractions.
    assert since <= "2026-11-26T12:00:07+00:00" < "2026-11-26T12:00:07.5+00:00"


def test_cursor_survives_json_and_a_broken_cursor_starts_over():
    cursor = detect_changes([row("p1"), row("p2")], PlaysCursor(), OVERLAP).cursor
    assert PlaysCursor.from_json(cursor.to_json()) == cursor
    assert PlaysCursor.from_json("not json") == PlaysCursor()
    assert PlaysCursor.from_json(None) == PlaysCursor()


def test_rows_without_a_game_or_a_readable_time_are_reported_and_skipped():
    rows = [row("p1"), row("p2", game=""), row("p3", at=T0, created_at="yesterday")]
    changes = detect_changes(rows, PlaysCursor(), OVERLAP)
    assert [r["id"] for r in changes.new_rows] == ["p1"]
    assert len(changes.bad_rows) == 2 and "p2" in changes.bad_rows[0] and "yesterday" in changes.bad_rows[1]


def test_rows_whose_game_id_cannot_be_a_partition_key_are_reported_and_skipped():
    rows = [row("p1"), row("p2", game="a\nb"), row("p3", game="x...y"), row("p4", game="B/clips")]
    changes = detect_changes(rows, PlaysCursor(), OVERLAP)
    assert changes.games == ["game-a"] and [r["id"] for r in changes.new_rows] == ["p1"]
    assert changes.bad_rows == [
        "play p2: game_id 'a\\nb' contains '\\n', so it cannot be a game partition (an id must be a UUID or 1 to "
        "128 letters, digits, '-', '_' or '.', not starting with '.' and without '..')",
        "play p3: game_id 'x...y' contains '..', so it cannot be a game partition (an id must be a UUID or 1 to "
        "128 letters, digits, '-', '_' or '.', not starting with '.' and without '..')",
        "play p4: game_id 'B/clips' contains '/', so it cannot be a game partition (an id must be a UUID or 1 to "
        "128 letters, digits, '-', '_' or '.', not starting with '.' and without '..')",
    ]
    assert changes.rows_read == 4


def test_thousands_of_rows_in_one_second_are_each_counted_once():
    rows = [row(f"p{n:05d}", game=f"game-{n % 700:03d}") for n in range(5000)]
    first = detect_changes(rows, PlaysCursor(), OVERLAP)
    assert len(first.new_rows) == 5000 and len(first.games) == 700
    extra = row("p-extra", game="game-new")
    again = detect_changes([*rows, extra], first.cursor, OVERLAP)
    assert again.new_rows == [extra]
    assert len(PlaysCursor.from_json(again.cursor.to_json()).seen) == 5001


def test_only_games_whose_version_differs_are_changed():
    current = {"game-a": "v2", "game-b": "v1", "game-c": "v1"}
    assert changed_versions(current, {"game-a": "v1", "game-b": "v1"}) == {"game-a": "v2", "game-c": "v1"}


def test_whole_table_read_for_many_changed_games():
    assert not read_whole_table(3)
    assert not read_whole_table(50)
    assert read_whole_table(51)


def test_a_full_scan_on_a_fresh_cursor_and_then_once_per_period():
    hour = timedelta(hours=1)
    assert full_scan_due(PlaysCursor(), T0, hour)
    assert full_scan_due(PlaysCursor(), T0, None)  # a fresh cursor reads every row anyway
    polled = PlaysCursor(high_water=T0)
    assert full_scan_due(polled, T0, hour)  # polled, never scanned: a cursor from before full scans
    scanned = PlaysCursor(high_water=T0, last_full_scan=T0)
    assert not full_scan_due(scanned, T0 + hour - timedelta(seconds=1), hour)
    assert full_scan_due(scanned, T0 + hour, hour)
    assert not full_scan_due(scanned, T0 + 10 * hour, timedelta(0))  # zero: scans off
    assert not full_scan_due(polled, T0, None)


def test_the_poll_keeps_the_time_of_the_last_full_scan():
    cursor = PlaysCursor(high_water=T0, last_full_scan=T0 - timedelta(minutes=20))
    changes = detect_changes([row("p2", at=T0 + timedelta(minutes=1))], cursor, OVERLAP)
    assert changes.cursor.last_full_scan == cursor.last_full_scan
    assert PlaysCursor.from_json(changes.cursor.to_json()) == changes.cursor


def test_rows_by_game_groups_the_rows_themselves():
    rows = [row("p1"), row("p2"), row("p3", game="b")]
    assert rows_by_game(rows) == {"game-a": rows[:2], "b": rows[2:]}


def test_a_row_written_exactly_at_the_window_start_and_not_seen_is_new():
    first = detect_changes([row("p1")], PlaysCursor(), OVERLAP)
    late = row("p0", game="game-c", at=T0 - OVERLAP)
    assert detect_changes([late, row("p1")], first.cursor, OVERLAP).games == ["game-c"]


def test_a_row_the_rounded_since_brings_back_from_before_the_window_is_not_new():
    # poll_since rounds the window start down to the second: a row just before it was counted earlier.
    cursor = PlaysCursor(high_water=T0 + timedelta(microseconds=500_000))
    older = row("p0", at=T0 - OVERLAP + timedelta(microseconds=100_000))
    assert detect_changes([older], cursor, OVERLAP).new_rows == []


def test_the_high_water_mark_never_moves_back():
    cursor = detect_changes([row("p1", at=T0)], PlaysCursor(), OVERLAP).cursor
    late = row("p0", at=T0 - timedelta(minutes=1))
    assert detect_changes([late], cursor, OVERLAP).cursor.high_water == T0


def test_an_empty_table_leaves_a_fresh_cursor_fresh():
    changes = detect_changes([], PlaysCursor(), OVERLAP)
    assert (changes.new_rows, changes.cursor, changes.rows_read, changes.bad_rows) == ([], PlaysCursor(), 0, [])


def test_a_table_of_only_bad_rows_counts_them_as_read_and_keeps_the_cursor():
    cursor = PlaysCursor(last_full_scan=T0)
    changes = detect_changes([row("p1", game=""), row("p2", created_at="yesterday")], cursor, OVERLAP)
    assert (changes.new_rows, changes.cursor, changes.rows_read) == ([], cursor, 2)
    assert len(changes.bad_rows) == 2


def test_the_cursor_is_stored_as_compact_json_and_every_form_reads_back():
    cursor = PlaysCursor(high_water=T0, seen=frozenset({"b", "a"}), last_full_scan=T0 - timedelta(hours=1))
    assert cursor.to_json() == (
        '{"high_water":"2026-11-26T12:00:00+00:00","seen":["a","b"],"last_full_scan":"2026-11-26T11:00:00+00:00"}'
    )
    for stored in (cursor, PlaysCursor(), PlaysCursor(seen=frozenset({"a"}), last_full_scan=T0)):
        assert PlaysCursor.from_json(stored.to_json()) == stored


def test_a_cursor_stored_without_seen_marks_keeps_its_high_water_mark():
    assert PlaysCursor.from_json('{"high_water":"2026-11-26T12:00:00+00:00"}') == PlaysCursor(high_water=T0)
