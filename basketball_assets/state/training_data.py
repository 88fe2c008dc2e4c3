"""``training_data.json``: the latest JSONL files ``game_training_data`` wrote for a game."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from basketball_assets.resources.storage import Storage
from basketball_assets.state.files import game_state_key


def training_manifest_key(game_id: str) -> str:
    """Where the game's training data manifest is kept."""
    return game_state_key(game_id, "training_data.json")


@dataclass(frozen=True)
class TrainingDataManifest:
    """The file's shape: the game's latest JSONL file per split and its examples per split."""

    game_id: str
    timestamp: str
    files: dict[str, str]
    counts: dict[str, int]
    #: ``None`` in files that do not record it.
    validation_fraction: float | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object stored."""
        return {
            "game_id": self.game_id,
            "timestamp": self.timestamp,
            "files": dict(self.files),
            "counts": dict(self.counts),
            "validation_fraction": self.validation_fraction,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingDataManifest:
        """Read a stored manifest; only ``files`` is required (the one field its readers always needed)."""
        return cls(
            game_id=data.get("game_id", ""),
            timestamp=data.get("timestamp", ""),
            files=dict(data["files"]),
            counts=dict(data.get("counts", {})),
            validation_fraction=data.get("validation_fraction"),
        )


def write_training_data(storage: Storage, manifest: TrainingDataManifest) -> None:
    """Store the manifest, naming the game's latest files."""
    storage.put_json(training_manifest_key(manifest.game_id), manifest.to_dict())


def read_game_training_data(storage: Storage, game_id: str) -> TrainingDataManifest | None:
    """The game's latest JSONL files, or ``None`` while it has no training data."""
    data = storage.read_json(training_manifest_key(game_id))
    return None if data is None else TrainingDataManifest.from_dict(data)
