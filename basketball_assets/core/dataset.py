"""Building JSONL datasets: a game's examples, the combined files of all games, and their versions.

A dataset's version covers its lines *and* the fingerprint of each line's clip (what the clip
was cut from and how): a re-cut clip changes no line (same URI, same description) but is
other training data, so it must give another version, and so another tuning job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
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
    #: The fingerprint of each line's clip, line for line.
    fingerprints: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in SPLITS})

    def count(self, split: str) -> int:
        return len(self.lines[split])

    def version(self) -> str:
        """The game's data version: its lines and their clips' fingerprints."""
        digest = DatasetDigest()
        for split in SPLITS:
            for line, fingerprint in zip(self.lines[split], self.fingerprints[split], strict=True):
                digest.add(line, fingerprint)
            digest.end_split()
        return digest.version()


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
        examples.fingerprints[split].append(clip.fingerprint)
        examples.plays[split].add(clip.play_id)
    return examples


class DatasetDigest:
    """The data version of JSONL files, fed one line at a time (so it streams).

    Each line is hashed with its clip's fingerprint (``""`` when the clip is unknown), and
    each split ends with a separator, so moving a line to the other split changes it too.
    Equal lines and fingerprints in equal order give an equal version, run after run.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, line: str, clip_fingerprint: str) -> None:
        self._hash.update(line.encode("utf-8") + b"\n" + clip_fingerprint.encode("utf-8") + b"\n")

    def end_split(self) -> None:
        self._hash.update(b"--split--")

    def version(self) -> str:
        """32 hex characters, as the other data versions of the pipeline."""
        return self._hash.hexdigest()[:32]


def clips_changed(recorded: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """The clips (keys, sorted) whose current fingerprint differs from the one recorded with
    a dataset; a clip no longer listed counts as changed (``""`` means unknown both times)."""
    return sorted(key for key, fingerprint in recorded.items() if current.get(key, "") != fingerprint)


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
