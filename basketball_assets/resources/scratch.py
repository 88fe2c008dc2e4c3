"""Finding and removing the leftovers of runs that ended badly, on the local disk.

Storage (:meth:`basketball_assets.resources.storage.Storage.remove_stale_temporaries`) calls
this with its scratch folder and the folders where its writes leave ``.part`` files; which
leftovers go is decided in :mod:`basketball_assets.core.scratch`.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from basketball_assets.core.scratch import Leftover, Removed, is_partial_write, same_host, scratch_owner, stale


def remove_stale(scratch_root: Path, partial_roots: Sequence[Path], max_age_s: float, now: float) -> Removed:
    """Remove the scratch folders under ``scratch_root`` and the ``.part`` files under
    ``partial_roots`` that are older than ``max_age_s`` and of no live process; what went."""
    leftovers = [*scratch_leftovers(scratch_root, now), *partial_files(partial_roots, scratch_root, now)]
    removed = stale(leftovers, max_age_s)
    for leftover in removed:
        path = Path(leftover.path)
        # Another run may be removing the same leftover at the same moment: gone is fine.
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return Removed.of(removed)


def scratch_leftovers(scratch_root: Path, now: float) -> Iterator[Leftover]:
    """Every scratch folder (and stray file) directly under ``scratch_root``, measured."""
    if not scratch_root.is_dir():
        return
    host = socket.gethostname()
    for entry in scratch_root.iterdir():
        owner = scratch_owner(entry.name)
        alive = pid_alive(owner.pid) if owner is not None and same_host(owner, host) else None
        try:
            files, size, newest = measure(entry)
        except FileNotFoundError:  # removed meanwhile (its run ended, or another clean-up)
            continue
        yield Leftover(str(entry), now - newest, files, size, owner_alive=alive)


def partial_files(roots: Iterable[Path], skip: Path, now: float) -> Iterator[Leftover]:
    """The hidden ``.part`` files under ``roots`` (not under ``skip``), measured."""
    for root in roots:
        for folder, folders, names in os.walk(root):
            folders[:] = [name for name in folders if Path(folder, name) != skip]
            for name in names:
                if is_partial_write(name):
                    path = Path(folder, name)
                    try:
                        stat = path.lstat()
                    except FileNotFoundError:  # renamed by its writer meanwhile: not a leftover
                        continue
                    yield Leftover(str(path), now - stat.st_mtime, 1, stat.st_size)


def measure(path: Path) -> tuple[int, int, float]:
    """Files, bytes and the newest modification time (of the folder itself too) under ``path``."""
    files, size, newest = 0, 0, path.lstat().st_mtime
    for item in path.rglob("*") if path.is_dir() else [path]:
        try:
            stat = item.lstat()
        except FileNotFoundError:
            continue
        newest = max(newest, stat.st_mtime)
        if not item.is_dir():
            files, size = files + 1, size + stat.st_size
    return files, size, newest


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True
