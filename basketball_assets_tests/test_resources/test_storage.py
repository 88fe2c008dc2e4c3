"""LocalStorage: an object and its custom metadata never disagree, whatever the interleaving of writers."""

import hashlib
import os
import threading
from pathlib import Path

import pytest

from basketball_assets.resources.storage import LocalStorage

KEY = "games/g/clips/p_broadcast.mp4"
#: Two payloads of one size: a size check alone cannot tell them apart.
BYTES_A = b"A" * 4096
BYTES_B = b"B" * 4096
#: Seconds a writer waits for the other before the test gives up (a hang is a failure, not a figure).
HANG_S = 30


class PausingStorage(LocalStorage):
    """LocalStorage whose writer of ``BYTES_A`` stops after placing its bytes until told to go on.

    This drives the interleaving of the issue deterministically: run A stores its bytes, run
    B stores bytes and metadata, then run A stores its metadata.
    """

    def _place(self, source: Path, target: Path):
        placed = super()._place(source, target)
        if source.read_bytes() == BYTES_A:
            PAUSE["a_placed"].set()
            assert PAUSE["b_done"].wait(HANG_S), "run B never finished"
        return placed


PAUSE: dict[str, threading.Event] = {}


def file_with(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def stored_bytes(storage: LocalStorage, key: str) -> bytes:
    with storage.local_copy(key) as path:
        return path.read_bytes()


def fingerprint_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_interleaved_writers_of_one_key_never_leave_a_fingerprint_on_other_bytes(tmp_path: Path) -> None:
    storage = PausingStorage(data_dir=str(tmp_path / "data"))
    PAUSE.update(a_placed=threading.Event(), b_done=threading.Event())
    a = file_with(tmp_path, "a.mp4", BYTES_A)
    b = file_with(tmp_path, "b.mp4", BYTES_B)
    errors: list[BaseException] = []

    def run_a() -> None:
        try:
            storage.put_file(KEY, a, metadata={"fingerprint": fingerprint_of(BYTES_A)})
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    writer = threading.Thread(target=run_a)
    writer.start()
    assert PAUSE["a_placed"].wait(HANG_S)
    storage.put_file(KEY, b, metadata={"fingerprint": fingerprint_of(BYTES_B)})
    PAUSE["b_done"].set()
    writer.join(HANG_S)
    assert not errors

    # The bytes are run B's; run A's metadata came last.
    assert stored_bytes(storage, KEY) == BYTES_B
    metadata = storage.metadata(KEY)
    assert metadata is not None
    # Either no fingerprint (the clip is cut again) or B's: never A's on B's bytes.
    assert metadata.get("fingerprint") in (None, fingerprint_of(BYTES_B)), metadata


def test_metadata_of_bytes_replaced_behind_its_back_is_not_trusted(tmp_path: Path) -> None:
    storage = LocalStorage(data_dir=str(tmp_path / "data"))
    storage.put_file(KEY, file_with(tmp_path, "a.mp4", BYTES_A), metadata={"fingerprint": "of-a"})
    assert storage.metadata(KEY) == {"fingerprint": "of-a"}

    # Another writer (or a person) replaces the bytes, same size, without touching the metadata.
    with storage.local_copy(KEY) as path:
        replacement = file_with(tmp_path, "b.mp4", BYTES_B)
        os.replace(replacement, path)

    assert storage.metadata(KEY) == {}


def test_metadata_round_trip_and_absence(tmp_path: Path) -> None:
    storage = LocalStorage(data_dir=str(tmp_path / "data"))
    assert storage.metadata(KEY) is None
    storage.put_file(KEY, file_with(tmp_path, "a.mp4", BYTES_A), metadata={"fingerprint": "f", "angle": "broadcast"})
    assert storage.metadata(KEY) == {"fingerprint": "f", "angle": "broadcast"}
    # A rewrite without metadata leaves none behind.
    storage.put_file(KEY, file_with(tmp_path, "b.mp4", BYTES_B))
    assert storage.metadata(KEY) == {}
    assert stored_bytes(storage, KEY) == BYTES_B


@pytest.mark.parametrize("sidecar", ["{not json", '{"fingerprint": "from an old version"}'])
def test_a_damaged_or_old_sidecar_means_no_metadata(tmp_path: Path, sidecar: str) -> None:
    storage = LocalStorage(data_dir=str(tmp_path / "data"))
    storage.put_file(KEY, file_with(tmp_path, "a.mp4", BYTES_A), metadata={"fingerprint": "f"})
    (storage.root / ".object-metadata" / storage.training_bucket / f"{KEY}.json").write_text(sidecar)

    assert storage.metadata(KEY) == {}


def test_put_text_if_absent_lets_exactly_one_of_many_racing_writers_in(tmp_path: Path) -> None:
    storage = LocalStorage(data_dir=str(tmp_path / "data"))
    key = "pipeline-state/claims/one.json"
    start = threading.Barrier(8)
    won: list[int] = []

    def claim(writer: int) -> None:
        start.wait(HANG_S)
        if storage.put_text_if_absent(key, f"writer {writer}\n"):
            won.append(writer)

    threads = [threading.Thread(target=claim, args=(writer,)) for writer in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_S)

    assert len(won) == 1
    assert storage.read_text(key) == f"writer {won[0]}\n"
    assert not storage.put_text_if_absent(key, "late\n")
    assert storage.read_text(key) == f"writer {won[0]}\n"
    # No temporary file is left beside it.
    assert list(storage.list_keys("pipeline-state/")) == [key]
    assert [path.name for path in (storage.root / storage.training_bucket / "pipeline-state/claims").iterdir()] == [
        "one.json"
    ]
