"""Building JSONL datasets: a game's examples, and the combined files of all games."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.examples import example_line
from basketball_assets.core.plays import CAMERA_ANGLES, Play
from basketball_assets.core.split import split_of

SPLITS = ("training", "validation")


@dataclass
class GameExamples:
    """A game's JSONL lines per split, in play id then angle order."""

    lines: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    plays: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in SPLITS})

    def count(self, split: str) -> int:
        return len(self.lines[split])


def game_examples(
    plays: Iterable[Play],
    clips: Iterable[PlannedClip],
    uri_of: Callable[[str], str],
    validation_fraction: float,
) -> GameExamples:
    """One example per clip; a play's clips all go to the play's split."""
    description = {play.id: play.description for play in plays}
    ordered = sorted(
        (clip for clip in clips if clip.play_id in description),
        key=lambda clip: (clip.play_id, CAMERA_ANGLES.index(clip.angle)),
    )
    examples = GameExamples()
    for clip in ordered:
        split = split_of(clip.play_id, validation_fraction)
        examples.lines[split].append(example_line(uri_of(clip.key), description[clip.play_id]))
        examples.plays[split].add(clip.play_id)
    return examples


def line_digest(line: str) -> bytes:
    """A 16-byte digest of one JSONL line: what is remembered to spot a repeated line."""
    return hashlib.blake2b(line.encode("utf-8"), digest_size=16).digest()


def unique_lines(lines: Iterable[str], seen: set[bytes] | None = None) -> Iterator[str]:
    """Lines in order, each once. Remembers 16-byte digests, not lines, so it streams."""
    seen = set() if seen is None else seen
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        digest = line_digest(line)
        if digest not in seen:
            seen.add(digest)
            yield line
