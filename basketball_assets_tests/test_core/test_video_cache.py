"""The video cache's naming and eviction rules (pure)."""

import pytest

from basketball_assets.core.video_cache import (
    CachedVideo,
    cached_video_name,
    cached_video_path,
    is_generation_of,
    videos_to_evict,
)

HOUR = 3600.0
NOW = 1_000_000.0


def video(path: str, size: int, hours_ago: float) -> CachedVideo:
    return CachedVideo(path=path, size=size, last_used=NOW - hours_ago * HOUR)


def test_cached_name_carries_the_generation_and_keeps_the_suffix() -> None:
    assert cached_video_name("Games/g1/BroadcastHalf1.mp4", 1700000000123456) == "BroadcastHalf1.g1700000000123456.mp4"


def test_generation_files_are_recognised_and_nothing_else() -> None:
    key = "Games/g1/BroadcastHalf1.mp4"
    assert is_generation_of("BroadcastHalf1.g42.mp4", key)
    assert not is_generation_of("BroadcastHalf1.gX.mp4", key)
    assert not is_generation_of("BroadcastHalf1.g42.mp4.part", key)
    assert not is_generation_of(".BroadcastHalf1.g42.mp4.abc.part", key)
    assert not is_generation_of("BroadcastHalf2.g42.mp4", key)


def test_nothing_is_evicted_under_the_limit() -> None:
    assert (
        videos_to_evict([video("a", 40, 10), video("b", 50, 20)], limit_bytes=100, now=NOW, recently_used_s=HOUR) == []
    )


def test_least_recently_used_go_first_until_the_rest_fits() -> None:
    videos = [video("new", 40, 2), video("oldest", 40, 30), video("old", 40, 10)]
    assert videos_to_evict(videos, limit_bytes=50, now=NOW, recently_used_s=HOUR) == ["oldest", "old"]


def test_videos_in_use_are_kept_even_above_the_limit() -> None:
    videos = [video("in-use", 80, 0.1), video("old", 40, 5), video("also-in-use", 80, 0.5)]
    assert videos_to_evict(videos, limit_bytes=50, now=NOW, recently_used_s=HOUR) == ["old"]


@pytest.mark.parametrize(
    "key",
    [
        "Games/g1/BroadcastHalf1.mp4",
        "../../../etc/BroadcastHalf1.mp4",
        "/abs/olute.mp4",
        "Games/../../..",
        "Games/g1/..",
        "a\\..\\..\\b.mp4",
        "a//b/./c.mp4",
        "Games/.hidden/.BroadcastHalf1.mp4.part",
        "",
    ],
)
def test_the_cache_path_stays_below_the_cache_folder_whatever_the_key(key, tmp_path) -> None:
    folder = tmp_path / "cache" / "bucket"
    path = (folder / cached_video_path(key, 7)).resolve()
    assert folder.resolve() in path.parents
    assert not path.name.startswith(".")  # hidden names are a download in progress
    assert is_generation_of(path.name, key)


def test_the_cache_path_of_a_layout_key_keeps_its_folders() -> None:
    assert cached_video_path("Games/g1/BroadcastHalf1.mp4", 7) == "Games/g1/BroadcastHalf1.g7.mp4"
