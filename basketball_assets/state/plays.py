"""``plays.json``: a game's validated plays, as ``game_plays`` stored them for the later steps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from basketball_assets.core.plays import Play, Rejection
from basketball_assets.core.validation import PlaysReview
from basketball_assets.resources.storage import Storage
from basketball_assets.state.files import game_state_key, read_game_state


def plays_snapshot_key(game_id: str) -> str:
    """Where the game's plays snapshot is kept."""
    return game_state_key(game_id, "plays.json")


@dataclass(frozen=True)
class PlaysSnapshot:
    """The file's shape: the game and the outcome of validating its rows."""

    game_id: str
    review: PlaysReview

    def to_dict(self) -> dict[str, Any]:
        """The JSON object stored (and hashed into ``game_plays``' data version)."""
        return {
            "game_id": self.game_id,
            "plays": [play.to_dict() for play in self.review.plays],
            "rejections": [rejection.to_dict() for rejection in self.review.rejections],
            "duplicates": list(self.review.duplicates),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlaysSnapshot:
        """Read a stored snapshot; ``duplicates`` may be absent."""
        review = PlaysReview(
            plays=[Play.from_dict(play) for play in data["plays"]],
            rejections=[Rejection.from_dict(rejection) for rejection in data["rejections"]],
            duplicates=list(data.get("duplicates", [])),
        )
        return cls(game_id=data.get("game_id", ""), review=review)


def write_game_plays(storage: Storage, snapshot: PlaysSnapshot) -> str:
    """Store the snapshot; returns its key."""
    key = plays_snapshot_key(snapshot.game_id)
    storage.put_json(key, snapshot.to_dict())
    return key


def read_game_plays(storage: Storage, game_id: str) -> PlaysReview:
    """The plays snapshot ``game_plays`` stored for this game; fails when there is none."""
    data = read_game_state(storage, plays_snapshot_key(game_id), game_id, "game_plays")
    return PlaysSnapshot.from_dict(data).review
