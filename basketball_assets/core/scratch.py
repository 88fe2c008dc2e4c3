"""Leftovers of runs that ended badly: which scratch folders and partial files to remove.

A run cuts each clip in a scratch folder of its own and writes every stored file under a
hidden temporary name (``.{name}.{random}.part``) first. A run killed with ``kill -9`` (or a
lost machine) leaves them behind, and nothing else ever removes them. They go when they
are older than a bound (hours: no live write leaves a file untouched that long) and their
owner is not a live process on this machine: a scratch folder's name carries the host and
process id of the run that made it (:func:`scratch_prefix`), ``.part`` files carry no owner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Characters a host name keeps in a scratch folder's name; others (dots included) become ``-``.
_UNSAFE_HOST = re.compile(r"[^A-Za-z0-9-]")


@dataclass(frozen=True)
class Owner:
    """The process that made a scratch folder: its host and process id."""

    host: str
    pid: int


def scratch_prefix(host: str, pid: int) -> str:
    """The start of a scratch folder's name for process ``pid`` on ``host`` (a random part follows)."""
    return f"{_UNSAFE_HOST.sub('-', host)[:64] or 'host'}.{pid}."


def scratch_owner(folder_name: str) -> Owner | None:
    """Who made the scratch folder named ``folder_name`` (:func:`scratch_prefix`); ``None`` when the
    name does not say (folders from before owners were recorded)."""
    parts = folder_name.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1].isdigit():
        return None
    return Owner(parts[0], int(parts[1]))


def same_host(owner: Owner, host: str) -> bool:
    """Whether ``owner`` ran on ``host`` (compared the way :func:`scratch_prefix` wrote it)."""
    return owner.host == scratch_prefix(host, 0).split(".")[0]


def is_partial_write(file_name: str) -> bool:
    """Whether ``file_name`` is the temporary name of a write in progress (or of one that died)."""
    return file_name.startswith(".") and file_name.endswith(".part")


@dataclass(frozen=True)
class Leftover:
    """A scratch folder or partial file: its path, seconds since anything in it was last written,
    its files and bytes, and whether its owner is alive (``None``: unknown, e.g. another host)."""

    path: str
    age_s: float
    files: int
    size: int
    owner_alive: bool | None = None


def stale(leftovers: Iterable[Leftover], max_age_s: float) -> list[Leftover]:
    """The leftovers to remove: older than ``max_age_s`` and not owned by a live process."""
    return [item for item in leftovers if item.age_s > max_age_s and item.owner_alive is not True]


@dataclass(frozen=True)
class Removed:
    """What a clean-up removed: how many scratch folders and partial files, their files and bytes."""

    items: int = 0
    files: int = 0
    size: int = 0

    @classmethod
    def of(cls, leftovers: Iterable[Leftover]) -> Removed:
        leftovers = list(leftovers)
        return cls(len(leftovers), sum(item.files for item in leftovers), sum(item.size for item in leftovers))

    def describe(self, where: str, max_age_s: float) -> str:
        """One log line: what was removed, from where, and why it was safe to."""
        return (
            f"removed {self.items} scratch folders and partial files ({self.files} files, {self.size:,} bytes) "
            f"older than {max_age_s / 3600:g} h, left by runs that ended, from {where}"
        )
