"""Incremental tuning's delta dataset: the training examples of plays a parent model has not seen.

A play is ``(game id, play id)`` from its clip's URI (every angle of a play goes together), so a
play the parent was tuned on never comes back in the delta, whatever angle or description it has
now. Pure: the lines come from and go to storage elsewhere (``tuning_parent.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from basketball_assets.core.examples import example_file_uri
from basketball_assets.core.layout import clip_of_uri

#: A play: ``(game id, play id)``; a line whose URI names no clip stands for itself, by URI.
Play = tuple[str, str]


def play_of_line(line: str) -> Play:
    """The play a JSONL example line belongs to."""
    uri = example_file_uri(json.loads(line))
    clip = clip_of_uri(uri)
    return (clip.game_id, clip.play_id) if clip else ("", uri)


def plays_in(lines: Iterable[str]) -> set[Play]:
    """Every play the lines hold (blank lines skipped)."""
    return {play_of_line(line) for line in lines if line.strip()}


def new_examples(lines: Iterable[str], known: set[Play]) -> Iterator[str]:
    """The lines of plays not in ``known``, in their order."""
    for line in lines:
        if line.strip() and play_of_line(line) not in known:
            yield line
