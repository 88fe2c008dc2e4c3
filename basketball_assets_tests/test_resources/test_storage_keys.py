"""Unsafe object keys are refused by both storage backends before anything is read or written.

Defence in depth: ids are checked before they make keys (``core/ids.py``), and the storage
layer checks every key again. GCS runs on the real GCS-protocol emulator, local storage on disk.
"""

import uuid
from pathlib import Path

import pytest

from basketball_assets.resources.gcs_storage import GCSStorage
from basketball_assets.resources.storage import TRAINING_BUCKET, VIDEOS_BUCKET, LocalStorage, Storage, UnsafeKey
from basketball_assets_tests.services.gcs_emulator import GCSEmulator

pytestmark = pytest.mark.services


@pytest.fixture
def prefix() -> str:
    """A fresh folder per test: the emulator is shared by the session."""
    return f"tests/{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["gcs", "local"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(data_dir=str(tmp_path / "data"))
    emulator: GCSEmulator = request.getfixturevalue("gcs_emulator")
    return emulator.storage(tmp_path / "video-cache", retry_first_delay_s=0.05, retry_timeout_s=20.0)


def file_with(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


#: Keys that could leave their folder or nest objects differently; ``{p}`` is the test's prefix.
UNSAFE_KEYS = [
    "{p}/games/game-a/clips/../../game-b/clips/play-1_broadcast.mp4",
    "{p}/games/game-a/clips/..",
    "/{p}/leading-slash.jsonl",
    "{p}//empty-segment.jsonl",
    "{p}/./dot-segment.jsonl",
    "{p}\\backslash.jsonl",
    "{p}/nul\0.jsonl",
    "",
]


def stored_anywhere(storage, prefix: str) -> list[str]:
    """Every object or file the test could have written, whatever its name."""
    if isinstance(storage, GCSStorage):
        names = [blob.name for blob in storage.client.list_blobs(TRAINING_BUCKET)]
        names += [blob.name for blob in storage.client.list_blobs(VIDEOS_BUCKET)]
        return sorted(name for name in names if prefix in name)
    return sorted(str(path) for path in Path(storage.data_dir).rglob("*") if path.is_file())


@pytest.mark.parametrize("template", UNSAFE_KEYS)
def test_an_unsafe_key_is_refused_before_anything_is_read_or_written(
    template: str, storage: Storage, tmp_path: Path, prefix: str
) -> None:
    key = template.format(p=prefix)
    source = file_with(tmp_path, "clip.mp4", b"clip bytes")

    writes = [
        lambda: storage.put_file(key, source, metadata={"fingerprint": "f"}),
        lambda: storage.put_text(key, "text\n"),
        lambda: storage.put_video(key, source),
    ]
    reads = [
        lambda: storage.exists(key),
        lambda: storage.metadata(key),
        lambda: storage.read_text(key),
        lambda: storage.size(key),
        lambda: list(storage.iter_lines(key)),
        lambda: storage.fetch_video(key),
    ]
    for action in [*writes, *reads]:
        with pytest.raises(UnsafeKey, match="refused object key"):
            action()
    with pytest.raises(UnsafeKey), storage.local_copy(key):
        pass
    assert stored_anywhere(storage, prefix) == []


def test_a_clip_key_climbing_out_of_its_game_leaves_the_other_games_clip_alone(
    storage: Storage, tmp_path: Path, prefix: str
) -> None:
    victim = f"{prefix}/games/game-b/clips/play-1_broadcast.mp4"
    storage.put_file(victim, file_with(tmp_path, "b.mp4", b"game b's clip"), metadata={"fingerprint": "b"})

    with pytest.raises(UnsafeKey):
        storage.put_file(
            f"{prefix}/games/game-a/clips/../../game-b/clips/play-1_broadcast.mp4",
            file_with(tmp_path, "a.mp4", b"game a's bytes"),
            metadata={"fingerprint": "a"},
        )

    with storage.local_copy(victim) as copy:
        assert copy.read_bytes() == b"game b's clip"
    assert storage.metadata(victim) == {"fingerprint": "b"}
    assert sorted(storage.list_keys(f"{prefix}/")) == [victim]


def test_folder_prefixes_are_checked_too(storage: Storage, prefix: str) -> None:
    assert list(storage.list_keys(f"{prefix}/games/")) == []
    for folder in (f"{prefix}/games/../", f"/{prefix}/", f"{prefix}//"):
        with pytest.raises(UnsafeKey):
            list(storage.list_keys(folder))
        with pytest.raises(UnsafeKey):
            storage.uri(folder)
