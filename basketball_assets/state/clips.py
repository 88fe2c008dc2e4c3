"""``clips.json``: the clips and rejections ``game_clips`` recorded for a game, and the clip
facts later steps read from it (durations, sizes) instead of probing each clip again."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from basketball_assets.core.clips import PlannedClip
from basketball_assets.core.plays import Rejection
from basketball_assets.core.tuning_limits import ClipFacts
from basketball_assets.resources.storage import Storage
from basketball_assets.state.files import game_state_key, read_game_state


def clips_manifest_key(game_id: str) -> str:
    """Where the game's clips manifest is kept."""
    return game_state_key(game_id, "clips.json")


@dataclass(frozen=True)
class ClipsManifest:
    """The file's shape: the game's clips (what each was cut from), its rejected plays, and the
    encoding settings the clips were cut with."""

    game_id: str
    encoding: dict[str, Any]
    clips: list[PlannedClip]
    rejections: list[Rejection]
    #: Bytes of each clip by key, so the dataset card needs no per-clip size look-ups;
    #: ``None`` in manifests written before sizes were recorded.
    clip_bytes: dict[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object stored (and hashed into ``game_clips``' data version)."""
        data = {
            "game_id": self.game_id,
            "encoding": self.encoding,
            "clips": [clip.to_dict() for clip in self.clips],
            "rejections": [rejection.to_dict() for rejection in self.rejections],
        }
        if self.clip_bytes is not None:
            data["clip_bytes"] = dict(self.clip_bytes)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClipsManifest:
        """Read a stored manifest; ``clip_bytes`` may be absent (older manifests)."""
        sizes = data.get("clip_bytes")
        return cls(
            game_id=data.get("game_id", ""),
            encoding=dict(data.get("encoding") or {}),
            clips=[PlannedClip.from_dict(clip) for clip in data["clips"]],
            rejections=[Rejection.from_dict(rejection) for rejection in data["rejections"]],
            clip_bytes=dict(sizes) if sizes is not None else None,
        )

    def seconds_by_key(self) -> dict[str, float]:
        """Each clip's duration by key, as planned (the cut is checked to be within a frame)."""
        return {clip.key: clip.duration for clip in self.clips}

    def fingerprints_by_key(self) -> dict[str, str]:
        """Each clip's fingerprint by key: what it was cut from and how."""
        return {clip.key: clip.fingerprint for clip in self.clips}


def write_game_clips(storage: Storage, manifest: ClipsManifest) -> None:
    """Store the manifest of the game's clips."""
    storage.put_json(clips_manifest_key(manifest.game_id), manifest.to_dict())


def read_clips_manifest(storage: Storage, game_id: str) -> ClipsManifest | None:
    """The game's clips manifest, or ``None`` while ``game_clips`` has not run for it."""
    data = storage.read_json(clips_manifest_key(game_id))
    return None if data is None else ClipsManifest.from_dict(data)


def read_game_clips(storage: Storage, game_id: str) -> ClipsManifest:
    """The clips and rejections ``game_clips`` recorded for this game; fails when there are none."""
    return ClipsManifest.from_dict(read_game_state(storage, clips_manifest_key(game_id), game_id, "game_clips"))


def game_rejections(storage: Storage, game_id: str) -> list[Rejection]:
    """The game's rejected plays (per angle) as ``game_clips`` recorded them; none without a manifest."""
    manifest = read_clips_manifest(storage, game_id)
    return manifest.rejections if manifest else []


class GameClipFacts:
    """Seconds and bytes of one game's clips at a time, from its clips manifest (for the dataset card).

    Lines arrive game by game, so holding the current game's clips is enough.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.game_id: str | None = None
        self.facts: dict[str, tuple[float, int | None]] = {}
        self.fingerprints: dict[str, str] = {}

    def of(self, game_id: str, key: str) -> tuple[float, int | None] | None:
        """``(seconds, bytes)`` of the clip ``key`` of ``game_id``; ``None`` when the manifest lacks it."""
        self._switch_to(game_id)
        return self.facts.get(key)

    def fingerprint(self, game_id: str, key: str) -> str:
        """The fingerprint the manifest records for the clip ``key`` of ``game_id``; ``""`` when it lacks it."""
        self._switch_to(game_id)
        return self.fingerprints.get(key, "")

    def _switch_to(self, game_id: str) -> None:
        if game_id != self.game_id:
            manifest = read_clips_manifest(self.storage, game_id)
            self.game_id, self.facts = game_id, self.load(manifest)
            self.fingerprints = manifest.fingerprints_by_key() if manifest else {}

    def load(self, manifest: ClipsManifest | None) -> dict[str, tuple[float, int | None]]:
        """The game's clips by key; bytes from the manifest, else (older manifests) from storage."""
        if manifest is None:
            return {}
        sizes = manifest.clip_bytes or {}
        facts = {}
        for key, seconds in manifest.seconds_by_key().items():
            size = sizes.get(key)
            # Manifests written before sizes were recorded: ask storage once.
            if size is None and self.storage.exists(key):
                size = self.storage.size(key)
            facts[key] = (seconds, size)
        return facts


def current_fingerprints(storage: Storage, games: Iterable[str]) -> dict[str, dict[str, str]]:
    """Per game, the fingerprint of each clip its clips manifest lists now (none without a manifest)."""
    fingerprints = {}
    for game_id in games:
        manifest = read_clips_manifest(storage, game_id)
        fingerprints[game_id] = manifest.fingerprints_by_key() if manifest else {}
    return fingerprints


def clip_facts_in(storage: Storage, games: Iterable[str]) -> Callable[[str], ClipFacts]:
    """Answers "does this clip URI exist, how big, how long" from storage and the games' clips
    manifests (for the tuning limits check)."""
    seconds: dict[str, float] = {}
    for game_id in games:
        manifest = read_clips_manifest(storage, game_id)
        # No manifest: its clips are reported as of unknown duration.
        if manifest is not None:
            seconds.update(manifest.seconds_by_key())

    def facts(uri: str) -> ClipFacts:
        key = key_in_training_bucket(storage, uri)
        if key is None or not storage.exists(key):
            return ClipFacts(exists=False)
        return ClipFacts(exists=True, size_bytes=storage.size(key), seconds=seconds.get(key))

    return facts


def key_in_training_bucket(storage: Storage, uri: str) -> str | None:
    """The key of a URI inside the storage's training bucket (the inverse of ``storage.uri``), else ``None``."""
    bucket = storage.uri("").rstrip("/") + "/"
    return uri[len(bucket) :] if uri.startswith(bucket) else None
