"""The safe-token rule for play and game ids, and the object-key rule of the storage layer (pure)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basketball_assets.core.ids import MAX_ID_LENGTH, id_problem, is_safe_id, object_key_problem, shown_id

TOKEN_CHARACTERS = string.ascii_letters + string.digits + "-_."


@pytest.mark.parametrize(
    "value",
    [
        "5d0f3b2e-8c1a-4f6e-9b7d-2a4c6e8f0a1b",
        "212AB003-F6FE-4031-A478-F49A8608FC2F",
        "play-a",
        "game_7",
        "v1.2",
        "a" * MAX_ID_LENGTH,
        "0",
        42,
    ],
)
def test_uuids_and_plain_tokens_are_safe(value):
    assert id_problem(value) is None and is_safe_id(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "is missing"),
        ("", "is empty"),
        ("a" * 300, "is 300 characters long, more than 128"),
        ("../../game-b/clips/p1", "contains '/'"),
        ("B/clips", "contains '/'"),
        ("a\\b", "contains '\\\\'"),
        ("a\nb", "contains '\\n'"),
        (" ", "contains ' '"),
        ("sp ace", "contains ' '"),
        ("tab\there", "contains '\\t'"),
        ("nul\0", "contains '\\x00'"),
        ("é", "contains 'é'"),
        ("x...y", "contains '..'"),
        ("a..b", "contains '..'"),
        ("..", "starts with '.'"),
        (".hidden", "starts with '.'"),
    ],
)
def test_anything_else_is_refused_with_the_rule_it_breaks(value, reason):
    assert id_problem(value) == reason
    assert not is_safe_id(value)


@settings(deadline=None)
@given(st.text(alphabet=TOKEN_CHARACTERS, min_size=1, max_size=MAX_ID_LENGTH))
def test_a_token_is_safe_exactly_when_it_has_no_leading_dot_and_no_double_dot(text):
    assert is_safe_id(text) == (not text.startswith(".") and ".." not in text)


@settings(deadline=None)
@given(st.text(min_size=0, max_size=200))
def test_a_safe_id_is_one_whole_file_name_in_one_folder(text):
    # What the rule is for: a safe id cannot leave its folder, nest, or break a file name.
    if is_safe_id(text):
        assert "/" not in text and "\\" not in text and text not in ("", ".", "..")
        assert not text.startswith(".") and "..." not in text
        assert object_key_problem(f"games/{text}/clips/{text}_broadcast.mp4") is None
        assert all(character.isprintable() and not character.isspace() for character in text)
    else:
        assert id_problem(text)


def test_an_unsafe_id_is_shown_escaped_and_cut():
    assert shown_id("play-a") == "play-a"
    assert shown_id("a\nb") == "'a\\nb'"
    shown = shown_id("x" * 300)
    assert shown.endswith("… (300 characters)") and len(shown) < 90 and "\n" not in shown


@pytest.mark.parametrize(
    "key",
    ["games/g1/clips/p1_broadcast.mp4", "pipeline-state/games/g1/plays.json", "Games/g1/BroadcastHalf1.mp4"],
)
def test_keys_of_the_layout_are_accepted(key):
    assert object_key_problem(key) is None


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "is empty"),
        ("/etc/passwd", "starts with '/'"),
        ("games/a/clips/../../b/clips/p_broadcast.mp4", "has a '..' segment"),
        ("games/./a", "has a '.' segment"),
        ("games//a", "has an empty segment"),
        ("games/a/", "has an empty segment"),
        ("games\\a", "contains a backslash"),
        ("games/a\0b", "contains the control character '\\x00'"),
        ("games/a\nb", "contains the control character '\\n'"),
        ("games/" + "p" * 300, "has a segment longer than 255 bytes"),
        ("g/" * 600, "is longer than 1024 bytes"),
        (b"games/a", "is not text (got bytes)"),
    ],
)
def test_keys_that_could_leave_their_folder_are_refused(key, reason):
    assert reason in object_key_problem(key)


def test_a_folder_prefix_may_be_empty_or_end_in_a_slash():
    assert object_key_problem("", folder=True) is None
    assert object_key_problem("games/g1/clips/", folder=True) is None
    assert "'..'" in object_key_problem("games/../", folder=True)


# Found by mutation testing: values that are not text, and the exact words shown.


def test_a_value_that_is_not_text_is_judged_by_its_text():
    assert id_problem(1.5e200) == "contains '+'"  # "1.5e+200"
    assert id_problem(42) is None


def test_at_most_five_bad_characters_are_named_each_once():
    assert id_problem("a b!c?d$e%f&g b") == "contains ' ', '!', '?', '$', '%'"


def test_shown_id_writes_none_and_non_text_values_as_python_would():
    assert shown_id(None) == "None"
    assert shown_id(["a"]) == "\"['a']\""  # the repr of its text, never of the object
    assert shown_id("a b") == "'a b'"


def test_shown_id_cuts_only_what_is_longer_than_the_limit():
    exactly = "\u00e9" * 58  # its repr, quotes included, is exactly 60 characters
    assert shown_id(exactly) == repr(exactly)
    assert shown_id(exactly + "\u00e9") == f"{repr(exactly + chr(0xE9))[:60]}\u2026 (59 characters)"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "is empty"),
        ("/a", "starts with '/'"),
        ("a\\b", "contains a backslash"),
        ("a\x7fb", "contains the control character '\\x7f'"),
        ("a//b", "has an empty segment ('//' or a trailing '/')"),
        ("a/" + "x" * 256, "has a segment longer than 255 bytes"),
        (("x" * 200 + "/") * 5 + "x" * 20, "is longer than 1024 bytes"),
        # At the limits, and the characters just past the control ones: accepted.
        ("a b", None),
        ("a\x80b", None),
        ("a/" + "x" * 255, None),
        (("x" * 200 + "/") * 5 + "x" * 19, None),
    ],
    ids=[
        "empty",
        "slash",
        "backslash",
        "del",
        "double-slash",
        "long-segment",
        "long-key",
        "space",
        "x80",
        "255",
        "1024",
    ],
)
def test_object_key_problems_word_for_word_and_at_their_limits(key, problem):
    assert object_key_problem(key) == problem
