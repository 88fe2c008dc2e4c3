"""Where everything lives in the buckets (the spec's "Videos" and "Outputs")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from basketball_assets.core.plays import CAMERA_ANGLES

#: File name of each angle's half in ``Games/{game_id}/``.
VIDEO_FILE_NAMES = {
    ("broadcast", 1): "BroadcastHalf1.mp4",
    ("broadcast", 2): "BroadcastHalf2.mp4",
    ("tactical", 1): "TacticalHalf1.mp4",
    ("tactical", 2): "TacticalHalf2.mp4",
}

#: Pipeline bookkeeping (plays snapshot, clip and JSONL manifests, contact sheets), kept
#: apart from the spec's output layout so readers of ``games/`` see only clips and JSONL.
#: Its files are :mod:`basketball_assets.state`'s (the contact sheets: core/contact_sheet.py).
STATE_PREFIX = "pipeline-state"


def utc_timestamp(now: datetime | None = None) -> str:
    """The spec's ``{timestamp}``: UTC ``YYYYMMDDTHHMMSSZ``; a naive ``now`` is taken as UTC."""
    now = now or datetime.now(UTC)
    # astimezone() would read a naive time as the machine's local time.
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def video_key(game_id: str, angle: str, half: int) -> str:
    return f"Games/{game_id}/{VIDEO_FILE_NAMES[(angle, half)]}"


def clips_prefix(game_id: str) -> str:
    return f"games/{game_id}/clips/"


def clip_key(game_id: str, play_id: str, angle: str) -> str:
    return f"{clips_prefix(game_id)}{play_id}_{angle}.mp4"


#: A clip's key at the end of a key or URI; the inverse of :func:`clip_key`.
CLIP_KEY_PATTERN = re.compile(
    rf"(?:^|/)games/(?P<game>[^/]+)/clips/(?P<play>[^/]+)_(?P<angle>{'|'.join(CAMERA_ANGLES)})\.mp4$"
)


class ClipName(NamedTuple):
    """What a clip's key names: its game, play and angle."""

    game_id: str
    play_id: str
    angle: str

    @property
    def key(self) -> str:
        """The clip's key in the training bucket."""
        return clip_key(self.game_id, self.play_id, self.angle)


def clip_of_uri(uri: str) -> ClipName | None:
    """The game, play and angle of a clip key or URI in the spec's layout, else ``None``."""
    match = CLIP_KEY_PATTERN.search(uri)
    return ClipName(match["game"], match["play"], match["angle"]) if match else None


def game_jsonl_key(game_id: str, split: str, timestamp: str) -> str:
    return f"games/{game_id}/video_{split}_{timestamp}.jsonl"


def combined_folder(timestamp: str) -> str:
    """The folder of one ``combined_dataset`` run: ``cumulative-execution-{timestamp}/``."""
    return f"cumulative-execution-{timestamp}/"


def combined_jsonl_key(split: str, timestamp: str) -> str:
    return f"{combined_folder(timestamp)}combined_{split}.jsonl"


def utc_timestamps_from(now: datetime, count: int) -> list[str]:
    """The timestamps of ``now`` and the ``count - 1`` seconds after it, in order."""
    return [utc_timestamp(now + timedelta(seconds=offset)) for offset in range(count)]
