"""``combined_dataset.json``: the latest combined JSONL files and the games they hold."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from basketball_assets.resources.storage import Storage
from basketball_assets.state.files import state_key


def combined_manifest_key() -> str:
    """Where the combined dataset's manifest is kept."""
    return state_key("combined_dataset.json")


def combined_folder_claim_key(timestamp: str) -> str:
    """The claim whose creation gives one run the `cumulative-execution-{timestamp}/` folder."""
    return state_key(f"combined-folders/cumulative-execution-{timestamp}.json")


def claim_combined_folder(storage: Storage, timestamp: str, run_id: str) -> bool:
    """Create the folder's claim for ``run_id`` if no run has it; whether this call did."""
    return storage.put_text_if_absent(combined_folder_claim_key(timestamp), json.dumps({"run_id": run_id}) + "\n")


@dataclass(frozen=True)
class CombinedManifest:
    """The file's shape: the combined file per split, its examples, the games in it and those left out,
    and the fingerprint of every clip its lines reference (what the data version covers)."""

    files: dict[str, str]
    games: list[str]
    timestamp: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    missing_games: list[str] = field(default_factory=list)
    #: Per game, each referenced clip's fingerprint when combined (``""``: not in its clips manifest);
    #: ``None`` in manifests written before fingerprints were recorded.
    clip_fingerprints: dict[str, dict[str, str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object stored."""
        data: dict[str, Any] = {
            "timestamp": self.timestamp,
            "files": dict(self.files),
            "counts": dict(self.counts),
            "games": list(self.games),
            "missing_games": list(self.missing_games),
        }
        if self.clip_fingerprints is not None:
            data["clip_fingerprints"] = {game: dict(clips) for game, clips in self.clip_fingerprints.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CombinedManifest:
        """Read a stored manifest; only ``files`` and ``games`` are required (as its readers always assumed)."""
        fingerprints = data.get("clip_fingerprints")
        return cls(
            files=dict(data["files"]),
            games=list(data["games"]),
            timestamp=data.get("timestamp", ""),
            counts=dict(data.get("counts", {})),
            missing_games=list(data.get("missing_games", [])),
            clip_fingerprints=None if fingerprints is None else {g: dict(c) for g, c in fingerprints.items()},
        )


def write_combined_dataset(storage: Storage, manifest: CombinedManifest) -> None:
    """Store the manifest, naming the latest combined files."""
    storage.put_json(combined_manifest_key(), manifest.to_dict())


def read_combined_dataset(storage: Storage) -> CombinedManifest | None:
    """The latest combined files, or ``None`` before the first ``combined_dataset``."""
    data = storage.read_json(combined_manifest_key())
    return None if data is None else CombinedManifest.from_dict(data)
