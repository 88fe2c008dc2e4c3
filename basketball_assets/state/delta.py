"""Incremental tuning's delta file: ``cumulative-execution-{timestamp}/delta_training_from_{parent}.jsonl``.

Beside the combined JSONL it is cut from: the training examples of plays the parent model was
not tuned on (:mod:`basketball_assets.core.delta`). Its name holds a hash of the parent model, so
each parent gets its own file; the content follows from the combined file and the parent's files,
which never change under their names, so a file already there is the right one and is kept.
Written whole or not at all (``Storage.put_file``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from basketball_assets.core.delta import Play, new_examples, plays_in
from basketball_assets.core.fingerprint import stable_hash
from basketball_assets.resources.storage import Storage


def delta_training_key(combined_training_key: str, parent_model: str) -> str:
    """Where the delta for ``parent_model`` of a combined training file is kept: in its folder."""
    folder = combined_training_key.rsplit("/", 1)[0] + "/" if "/" in combined_training_key else ""
    return f"{folder}delta_training_from_{stable_hash(parent_model)[:16]}.jsonl"


def key_of_uri(storage: Storage, uri: str) -> str | None:
    """The key of ``uri`` in ``storage``'s training bucket, or ``None`` when it is elsewhere."""
    root = storage.uri("k")[:-1]  # the bucket's URI with its trailing "/", whatever the storage
    return uri[len(root) :] if uri.startswith(root) and len(uri) > len(root) else None


@dataclass(frozen=True)
class DeltaDataset:
    """The delta file and what it holds."""

    key: str
    examples: int
    plays: int


def lines_of(storage: Storage, keys: list[str]) -> Iterator[str]:
    for key in keys:
        yield from storage.iter_lines(key)


def write_delta(storage: Storage, key: str, training_key: str, known: set[Play]) -> DeltaDataset:
    """Store the examples of ``training_key`` whose plays are not ``known`` as ``key`` (kept if there)."""
    lines = [line.rstrip("\n") for line in new_examples(storage.iter_lines(training_key), known)]
    delta = DeltaDataset(key=key, examples=len(lines), plays=len(plays_in(lines)))
    if lines and not storage.exists(key):
        with storage.scratch_dir() as folder:
            path = folder / "delta_training.jsonl"
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            storage.put_file(key, path)
    return delta
