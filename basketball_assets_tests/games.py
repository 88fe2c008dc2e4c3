"""Tiny real games for tests: generated videos and plays, small enough for two cores.

Videos are rendered once per session by ffmpeg (test pattern, timestamp, tone) and
copied into each test's storage, so tests stay independent and fast.
"""

import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from basketball_assets.core.layout import video_key
from basketball_assets.demo import DemoVideo, render_half
from basketball_assets.resources.plays import LocalPlaysDatabase
from basketball_assets.resources.storage import Storage

#: Half lengths of the test games, per angle: each angle has its own half boundary.
HALF_SECONDS = {("broadcast", 1): 12.0, ("broadcast", 2): 10.0, ("tactical", 1): 11.0, ("tactical", 2): 10.0}
SHAPE = DemoVideo(width=160, height=90, fps=25)
FRAME = 1 / SHAPE.fps


def render_test_videos(folder: Path) -> dict[tuple[str, int], Path]:
    """The four halves of a test game, rendered into ``folder``."""
    videos = {}
    for (angle, half), seconds in HALF_SECONDS.items():
        path = folder / f"{angle}{half}.mp4"
        render_half(path, f"{angle} H{half}", seconds, SHAPE, 440 if angle == "broadcast" else 660)
        videos[(angle, half)] = path
    return videos


def play_id(game_id: str, name: str) -> str:
    return str(uuid.uuid5(uuid.UUID(game_id), name))


def new_game_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-game/{name}"))


@dataclass
class TestGame:
    """A game placed in storage and the plays database, ready to materialize."""

    game_id: str
    plays: list[dict[str, Any]]

    def play(self, name: str) -> dict[str, Any]:
        return next(row for row in self.plays if row["id"] == play_id(self.game_id, name))


def play_row(
    game_id: str,
    name: str,
    start: float,
    end: float,
    angle: str,
    description: str | None = None,
    minute: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": play_id(game_id, name),
        "game_id": game_id,
        "start_time": start,
        "end_time": end,
        "angle": angle,
        "description": f"Play {name}: a pick and roll." if description is None else description,
        "created_at": f"2026-11-01T10:{minute:02d}:00+00:00",
        **extra,
    }


def good_plays(game_id: str) -> list[dict[str, Any]]:
    """Plays that all cut cleanly: both halves (on the game timeline), all three angles."""
    return [
        play_row(game_id, "a", 1.37, 3.91, "broadcast", minute=1),
        play_row(game_id, "b", 4.0, 6.52, "tactical", minute=2),
        play_row(game_id, "c", 6.6, 9.0, "both", minute=3),
        play_row(game_id, "d", 13.2, 15.6, "broadcast", minute=4),  # broadcast half 2, at 1.2 s
        play_row(game_id, "e", 12.5, 14.0, "tactical", minute=5),  # tactical half 2, at 1.5 s
        play_row(game_id, "f", 2.0, 4.5, "both", minute=6, half=2),  # half-relative times
    ]


def place_game(
    storage: Storage,
    plays_db: LocalPlaysDatabase,
    videos: dict[tuple[str, int], Path],
    name: str,
    plays: Sequence[dict[str, Any]] | None = None,
    missing: Iterable[tuple[str, int]] = (),
) -> TestGame:
    """Store the game's videos (less ``missing``) and load its plays."""
    game_id = new_game_id(name)
    missing = set(missing)
    for (angle, half), path in videos.items():
        if (angle, half) not in missing:
            storage.put_video(video_key(game_id, angle, half), path)
    rows = list(plays) if plays is not None else good_plays(game_id)
    plays_db.upsert_rows(rows)
    return TestGame(game_id, rows)


def copy_of(path: Path, folder: Path, name: str) -> Path:
    target = folder / name
    shutil.copyfile(path, target)
    return target
