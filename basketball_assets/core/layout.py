"""Where everything lives in the buckets (the spec's "Videos" and "Outputs")."""

from __future__ import annotations

from datetime import datetime, timezone

#: File name of each angle's half in ``Games/{game_id}/``.
VIDEO_FILE_NAMES = {
    ("broadcast", 1): "BroadcastHalf1.mp4",
    ("broadcast", 2): "BroadcastHalf2.mp4",
    ("tactical", 1): "TacticalHalf1.mp4",
    ("tactical", 2): "TacticalHalf2.mp4",
}

#: Pipeline bookkeeping (plays snapshot, clip and JSONL manifests), kept apart from the
#: spec's output layout so readers of ``games/`` see only clips and JSONL.
STATE_PREFIX = "pipeline-state"


def utc_timestamp(now: datetime | None = None) -> str:
    """The spec's ``{timestamp}``: UTC ``YYYYMMDDTHHMMSSZ``; a naive ``now`` is taken as UTC."""
    now = now or datetime.now(timezone.utc)
    # astimezone() would read a naive time as the machine's local time.
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def video_key(game_id: str, angle: str, half: int) -> str:
    return f"Games/{game_id}/{VIDEO_FILE_NAMES[(angle, half)]}"


def clips_prefix(game_id: str) -> str:
    return f"games/{game_id}/clips/"


def clip_key(game_id: str, play_id: str, angle: str) -> str:
    return f"{clips_prefix(game_id)}{play_id}_{angle}.mp4"


def game_jsonl_key(game_id: str, split: str, timestamp: str) -> str:
    return f"games/{game_id}/video_{split}_{timestamp}.jsonl"


def combined_jsonl_key(split: str, timestamp: str) -> str:
    return f"cumulative-execution-{timestamp}/combined_{split}.jsonl"


def plays_snapshot_key(game_id: str) -> str:
    return f"{STATE_PREFIX}/games/{game_id}/plays.json"


def clips_manifest_key(game_id: str) -> str:
    return f"{STATE_PREFIX}/games/{game_id}/clips.json"


def training_manifest_key(game_id: str) -> str:
    return f"{STATE_PREFIX}/games/{game_id}/training_data.json"


def combined_manifest_key() -> str:
    return f"{STATE_PREFIX}/combined_dataset.json"
