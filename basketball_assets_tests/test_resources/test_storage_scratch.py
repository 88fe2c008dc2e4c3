"""Leftovers of killed runs (scratch folders, ``.part`` files) are removed; a live run's are kept.

Leftovers are made the way a ``kill -9`` leaves them (a scratch folder with a half-cut clip,
hidden ``.part`` files beside their targets) and aged with ``os.utime``.
"""

import os
import socket
import time
from pathlib import Path

import pytest
from dagster import build_init_resource_context
from dagster_gcp import GCSResource

from basketball_assets.core.layout import clip_key
from basketball_assets.core.scratch import scratch_owner, scratch_prefix
from basketball_assets.resources.gcs_storage import GCSStorage
from basketball_assets.resources.storage import TRAINING_BUCKET, LocalStorage
from basketball_assets_tests.games import place_game
from basketball_assets_tests.test_assets.pipeline import materialize_game

HOUR = 3600


def leftover_file(path: Path, size: int, hours_old: float) -> Path:
    """A file of ``size`` bytes last written ``hours_old`` hours ago (its folder too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    then = time.time() - hours_old * HOUR
    os.utime(path, (then, then))
    os.utime(path.parent, (then, then))
    return path


@pytest.mark.ffmpeg
def test_leftovers_of_a_killed_run_are_removed_at_the_next_game_run_and_the_log_says_how_much(
    storage, plays_db, test_videos, instance, resources
):
    game = place_game(storage, plays_db, test_videos, "leftovers")
    root, clip = Path(storage.data_dir), clip_key(game.game_id, game.plays[0]["id"], "broadcast")
    stale = [
        leftover_file(root / ".scratch" / "tmpa1b2c3" / "p_broadcast.mp4", 1000, hours_old=7),  # as before owners
        leftover_file(root / ".scratch" / "gone-host.99.x1" / "p_tactical.mp4", 300, hours_old=7),
        leftover_file(root / TRAINING_BUCKET / Path(clip).with_name(".p_broadcast.mp4.k3j_x.part"), 500, 7),
        leftover_file(root / ".object-metadata" / TRAINING_BUCKET / f".{Path(clip).name}.json.q9.part", 20, 8),
    ]
    this_run = scratch_prefix(socket.gethostname(), os.getpid()) + "live"  # the run is in this process
    kept = [
        leftover_file(root / ".scratch" / this_run / "p_broadcast.mp4", 10, hours_old=7),
        leftover_file(root / ".scratch" / "tmpfresh" / "p_broadcast.mp4", 10, hours_old=0.5),
        leftover_file(root / TRAINING_BUCKET / Path(clip).with_name(".p_tactical.mp4.fresh.part"), 10, 0.5),
    ]

    result = materialize_game(instance, resources, game.game_id)

    assert [path for path in stale if path.exists()] == []
    assert not (root / ".scratch" / "tmpa1b2c3").exists() and not (root / ".scratch" / "gone-host.99.x1").exists()
    assert all(path.exists() for path in kept)
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any(
        "removed 4 scratch folders and partial files (4 files, 1,820 bytes) older than 6 h" in m for m in messages
    ), messages


def test_a_run_cleans_before_it_starts_and_its_scratch_folders_name_their_owner(tmp_path: Path):
    storage = LocalStorage(data_dir=str(tmp_path / "data"), stale_after_hours=1)
    old = leftover_file(tmp_path / "data" / ".scratch" / "tmp_old" / "clip.mp4", 64, hours_old=2)

    with storage.scratch_dir() as folder:
        assert folder.parent == storage.scratch_root
        assert scratch_owner(folder.name).pid == os.getpid()
        storage.setup_for_execution(build_init_resource_context())
        assert folder.is_dir() and not old.parent.exists()


def test_on_gcs_only_local_scratch_and_partial_downloads_are_cleaned(tmp_path: Path):
    storage = GCSStorage(
        gcs=GCSResource(project="p"), cache_dir=str(tmp_path / "cache"), scratch_folder=str(tmp_path / "scratch")
    )
    download = leftover_file(tmp_path / "cache" / "videos" / "Games" / "g" / ".BroadcastHalf1.g1.mp4.ab.part", 99, 7)
    video = leftover_file(tmp_path / "cache" / "videos" / "Games" / "g" / "BroadcastHalf1.g1.mp4", 99, 7)
    scratch = leftover_file(tmp_path / "scratch" / "tmpold" / "clip.mp4", 10, hours_old=7)

    removed = storage.remove_stale_temporaries()

    assert (removed.items, removed.files, removed.size) == (2, 2, 109)
    assert not download.exists() and not scratch.parent.exists()
    assert video.exists()  # cached videos are the cache's business (size limit, least recently used)
