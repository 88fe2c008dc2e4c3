"""A failing machine for tests, without privileges: a full disk and a killed ffmpeg, for real.

* **A full disk** is Linux's ``/dev/full``: every write to it fails with ``ENOSPC``, exactly
  what a full file system returns. A clip "written to a full disk" is a symlink to it
  (ffmpeg and PyAV open the path and follow the link), so ffmpeg, PyAV and the kernel all
  run for real; only the disk is small. (A tiny ``tmpfs`` would need ``mount``, which
  needs privileges that CI may not have.)
* **A killed ffmpeg** runs under ``ulimit -f`` (a file size limit of a few blocks): the
  kernel kills it with ``SIGXFSZ`` as soon as its output grows past the limit.

The wrappers are ``ffmpeg_binary`` values for :class:`~basketball_assets.resources.video.ClipEncoder`:
small shell scripts that arrange the fault, then ``exec`` the real ffmpeg with the same
arguments (so the process the encoder started *is* ffmpeg).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from basketball_assets.resources.video import ffmpeg_executable

FULL_DEVICE = Path("/dev/full")

#: The shell lines that find ffmpeg's output file: its last mp4 or m4a argument that follows no ``-i``.
_OUTPUT = (
    'out=""; previous=""\n'
    'for arg in "$@"; do\n'
    '  case "$previous:$arg" in -i:*) ;; *.mp4|*.m4a) out="$arg";; esac; previous="$arg"\n'
    "done\n"
)


def on_full_disk(path: Path) -> Path:
    """``path`` as a file on a full disk: a symlink to ``/dev/full``."""
    path.unlink(missing_ok=True)
    path.symlink_to(FULL_DEVICE)
    return path


def full_disk_ffmpeg(folder: Path, once: bool = False) -> str:
    """An ffmpeg whose output file is on a full disk; with ``once``, only on its first run (space freed)."""
    ffmpeg, marker = shlex.quote(ffmpeg_executable()), shlex.quote(str(folder / "disk-was-full"))
    first_run_only = f'[ -e {marker} ] && exec {ffmpeg} "$@"\ntouch {marker}\n' if once else ""
    full = f'[ -n "$out" ] && rm -f "$out" && ln -s {FULL_DEVICE} "$out"\n'
    return _script(folder / "ffmpeg-full-disk", f'{_OUTPUT}{first_run_only}{full}exec {ffmpeg} "$@"\n')


def killed_ffmpeg(folder: Path) -> str:
    """An ffmpeg the kernel kills with ``SIGXFSZ`` once its output passes a few kilobytes."""
    return _script(folder / "ffmpeg-killed", f'ulimit -f 4\nexec {shlex.quote(ffmpeg_executable())} "$@"\n')


def _script(path: Path, body: str) -> str:
    path.write_text(f"#!/bin/sh\n{body}", encoding="utf-8")
    os.chmod(path, 0o755)
    return str(path)
