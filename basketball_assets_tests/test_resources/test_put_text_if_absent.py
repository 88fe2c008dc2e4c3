"""``Storage.put_text_if_absent``: create an object only if none has its name, on both backends.

This is what makes a tuning-job claim exclusive, so it is tested as claims use it: many
writers racing for one key, exactly one wins, and the winner's text is what is stored.
"""

import threading
import uuid
from pathlib import Path

import pytest

from basketball_assets.resources.gcs_storage import GCSStorage
from basketball_assets.resources.storage import LocalStorage, Storage
from basketball_assets_tests.services.gcs_emulator import GCSEmulator

WRITERS = 8


@pytest.fixture(params=["local", pytest.param("gcs", marks=pytest.mark.services)])
def any_storage(request, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(data_dir=str(tmp_path / "data"))
    emulator: GCSEmulator = request.getfixturevalue("gcs_emulator")
    storage: GCSStorage = emulator.storage(tmp_path / "cache", retry_first_delay_s=0.05, retry_timeout_s=20.0)
    return storage


def fresh_key() -> str:
    return f"tests/{uuid.uuid4().hex[:12]}/claim-000000.json"


def test_the_first_creation_wins_and_a_second_leaves_the_object_alone(any_storage):
    key = fresh_key()
    assert any_storage.put_text_if_absent(key, "first\n") is True
    assert any_storage.put_text_if_absent(key, "second\n") is False
    assert any_storage.read_text(key) == "first\n"


def test_of_writers_racing_for_one_key_exactly_one_wins(any_storage):
    key = fresh_key()
    start = threading.Barrier(WRITERS)
    won: list[int] = []

    def write(number: int) -> None:
        start.wait(timeout=30)
        if any_storage.put_text_if_absent(key, f"writer {number}\n"):
            won.append(number)

    threads = [threading.Thread(target=write, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(won) == 1
    assert any_storage.read_text(key) == f"writer {won[0]}\n"


def test_a_created_object_is_listed_whole_and_nothing_else_is_left(any_storage):
    key = fresh_key()
    any_storage.put_text_if_absent(key, "x" * 100_000)
    any_storage.put_text_if_absent(key, "y")
    folder = key.rsplit("/", 1)[0] + "/"
    assert list(any_storage.list_keys(folder)) == [key]
    assert any_storage.read_text(key) == "x" * 100_000
