"""The delta dataset's selection (core/delta.py): a play is its game and play id, whatever its
angle or description, so a play the parent model was tuned on never comes back."""

from basketball_assets.core.delta import new_examples, play_of_line, plays_in
from basketball_assets.core.examples import example_line


def line(game: str, play: str, angle: str = "broadcast", description: str = "A pick and roll.") -> str:
    return example_line(f"gs://b/games/{game}/clips/{play}_{angle}.mp4", description)


def test_a_play_is_its_game_and_play_id_and_a_uri_outside_the_layout_stands_for_itself():
    assert play_of_line(line("g1", "p1", "tactical")) == ("g1", "p1")
    assert play_of_line(example_line("gs://b/other/clip.mp4", "x")) == ("", "gs://b/other/clip.mp4")


def test_the_plays_of_a_file_skip_its_blank_lines():
    assert plays_in([line("g1", "p1"), "", "  \n", line("g1", "p1", "tactical"), line("g2", "p1")]) == {
        ("g1", "p1"),
        ("g2", "p1"),
    }


def test_only_plays_the_parent_has_not_seen_come_back_in_their_order():
    known = plays_in([line("g1", "p1")])
    lines = [line("g1", "p2"), line("g1", "p1", "tactical", "Edited."), "", line("g2", "p1"), line("g1", "p3")]
    assert list(new_examples(lines, known)) == [lines[0], lines[3], lines[4]]
