"""The local cache of videos fetched from a bucket: file names and what to evict.

One file per video, named by the object's generation, so a cache hit is a plain file
check and a new upload can never be taken for the cached one. The cache is kept under a
size limit by evicting the least recently used videos, except those used very recently
(another run may be cutting clips from them right now).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath


def cached_video_name(key: str, generation: int) -> str:
    """The cache file of one generation of a video: ``.../BroadcastHalf1.mp4`` -> ``BroadcastHalf1.g123.mp4``."""
    name = PurePosixPath(_safe_segment(key.rsplit("/", 1)[-1]))
    return f"{name.stem}.g{generation}{name.suffix}"


def cached_video_path(key: str, generation: int) -> str:
    """Where :func:`cached_video_name` lives below the cache's bucket folder: the key's folders,
    then the name. Whatever the key, the path stays below that folder: a segment that could
    leave it (empty, ``.``, ``..``, with a backslash or NUL, hidden) becomes a hash of itself."""
    folders = [_safe_segment(segment) for segment in key.split("/")[:-1]]
    return "/".join([*folders, cached_video_name(key, generation)])


def _safe_segment(segment: str) -> str:
    """``segment`` when it is a plain file name, else ``~`` and a hash of it (a plain name)."""
    if segment and not segment.startswith(".") and not any(character in segment for character in "\\\0"):
        return segment
    return "~" + hashlib.sha256(segment.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def is_generation_of(file_name: str, key: str) -> bool:
    """Whether ``file_name`` is :func:`cached_video_name` of ``key`` for some generation."""
    name = PurePosixPath(_safe_segment(key.rsplit("/", 1)[-1]))
    head, tail = f"{name.stem}.g", name.suffix
    if not (file_name.startswith(head) and file_name.endswith(tail)):
        return False
    generation = file_name[len(head) : len(file_name) - len(tail)]
    return generation.isdigit()


@dataclass(frozen=True)
class CachedVideo:
    """A file in the cache: its path, size in bytes and when it was last used (epoch seconds)."""

    path: str
    size: int
    last_used: float


def videos_to_evict(videos: Iterable[CachedVideo], limit_bytes: int, now: float, recently_used_s: float) -> list[str]:
    """Paths to delete so the cache fits in ``limit_bytes``, least recently used first.

    Videos used within ``recently_used_s`` of ``now`` are never evicted, so the cache
    may stay above the limit while every video in it is in use.
    """
    videos = sorted(videos, key=lambda video: (video.last_used, video.path))
    total = sum(video.size for video in videos)
    evicted: list[str] = []
    for video in videos:
        if total <= limit_bytes:
            break
        if now - video.last_used < recently_used_s:
            break  # sorted by last use: every later one is recent too
        evicted.append(video.path)
        total -= video.size
    return evicted
