"""What the bookkeeping files share: where a game's files live, and reading one that must exist."""

from typing import Any

from dagster import Failure

from basketball_assets.core.layout import STATE_PREFIX
from basketball_assets.resources.storage import Storage


def state_key(name: str) -> str:
    """The key of the bookkeeping file ``name``, e.g. ``combined_dataset.json``."""
    return f"{STATE_PREFIX}/{name}"


def game_state_key(game_id: str, name: str) -> str:
    """The key of the game's bookkeeping file ``name``, e.g. ``clips.json``."""
    return state_key(f"games/{game_id}/{name}")


def read_game_state(storage: Storage, key: str, game_id: str, written_by: str) -> Any:
    """A game's bookkeeping file that the step ``written_by`` stores; fails clearly when absent."""
    state = storage.read_json(key)
    if state is None:
        raise Failure(
            f"game {game_id}: nothing at {storage.uri(key)}; materialize {written_by} for this game first",
            allow_retries=False,
        )
    return state
