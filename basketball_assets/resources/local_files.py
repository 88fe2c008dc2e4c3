"""Local files written whole: a temporary name beside the target, then one rename.

Both storage backends use it: LocalStorage for every object it stores, GCSStorage for
the videos it caches.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Bytes read at a time when copying a file.
COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ObjectBytes:
    """What identifies an object's bytes: their size and SHA-256."""

    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObjectBytes:
        return cls(size=int(data["size"]), sha256=str(data["sha256"]))


def copy_hashing(source: Path, target: Path) -> ObjectBytes:
    """Copy ``source`` to ``target``, hashing the bytes on the way (one read for both)."""
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(COPY_CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return ObjectBytes(size, digest.hexdigest())


@contextmanager
def atomic_write_path(target: Path) -> Iterator[Path]:
    """A hidden temporary path beside ``target`` for the caller to write; renamed to ``target``
    when the block ends without error, removed otherwise.

    Beside the target, so the rename stays on one file system and is atomic: readers of the
    folder see the old file or the whole new one, never a partial one (and ``list_keys``
    skips the hidden name).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        yield Path(temporary)
        os.replace(temporary, target)
    finally:
        # Gone already after the rename; left only by an error.
        Path(temporary).unlink(missing_ok=True)
