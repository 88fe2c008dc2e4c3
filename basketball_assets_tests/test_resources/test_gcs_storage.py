"""GCSStorage against a real GCS-protocol server (gcp-storage-emulator on 127.0.0.1).

Faults (503s, resets, 403s, cut transfers) come from a real proxy between the client and
the emulator (``NetworkFaults``), never from mocks.
"""

import os
import time
import uuid
from pathlib import Path

import pytest

from basketball_assets.core.video_cache import cached_video_name
from basketball_assets.resources import build_storage
from basketball_assets.resources.gcs_storage import GCSStorage, StorageAccessDenied, StorageUnavailable
from basketball_assets.resources.storage import TRAINING_BUCKET, VIDEOS_BUCKET, LocalStorage, VideoNotFound
from basketball_assets.settings import Settings
from basketball_assets_tests.services.gcs_emulator import OBJECT_PATH, GCSEmulator, NetworkFaults

pytestmark = pytest.mark.services

#: Fast backoff, so retry tests take a fraction of a second per retry.
QUICK_RETRY = {"retry_first_delay_s": 0.05, "retry_timeout_s": 20.0}


@pytest.fixture
def gcs(gcs_emulator: GCSEmulator, tmp_path: Path) -> GCSStorage:
    return gcs_emulator.storage(tmp_path / "video-cache", **QUICK_RETRY)


@pytest.fixture
def prefix() -> str:
    """A fresh folder per test: the emulator is shared by the session."""
    return f"tests/{uuid.uuid4().hex[:12]}"


def file_with(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def object_requests(proxy: NetworkFaults) -> list[str]:
    return [request for request in proxy.requests if OBJECT_PATH.search(request)]


def cached_files(storage: GCSStorage) -> list[Path]:
    return sorted(path for path in storage.video_cache.rglob("*") if path.is_file())


# --- training bucket ----------------------------------------------------------------


def test_file_round_trip_keeps_bytes_and_custom_metadata(gcs: GCSStorage, tmp_path: Path, prefix: str) -> None:
    data = bytes(range(256)) * 40
    key = f"{prefix}/clips/p1_broadcast.mp4"
    gcs.put_file(key, file_with(tmp_path, "clip.mp4", data), metadata={"fingerprint": "abc123", "play_id": "p1"})

    assert gcs.exists(key)
    assert gcs.size(key) == len(data)
    assert gcs.metadata(key) == {"fingerprint": "abc123", "play_id": "p1"}
    with gcs.local_copy(key) as copy:
        assert copy.read_bytes() == data
    blob = gcs.client.bucket(TRAINING_BUCKET).get_blob(key)
    assert blob.content_type == "video/mp4"


def test_object_without_custom_metadata_has_empty_metadata(gcs: GCSStorage, prefix: str) -> None:
    gcs.put_text(f"{prefix}/state.json", '{"a": 1}\n')

    assert gcs.metadata(f"{prefix}/state.json") == {}
    assert gcs.read_json(f"{prefix}/state.json") == {"a": 1}


def test_overwrite_replaces_bytes_and_metadata_together(gcs: GCSStorage, tmp_path: Path, prefix: str) -> None:
    key = f"{prefix}/clips/p1_tactical.mp4"
    gcs.put_file(key, file_with(tmp_path, "old.mp4", b"old bytes"), metadata={"fingerprint": "old"})
    first = gcs.client.bucket(TRAINING_BUCKET).get_blob(key).generation

    gcs.put_file(key, file_with(tmp_path, "new.mp4", b"new, longer bytes"), metadata={"fingerprint": "new"})

    blob = gcs.client.bucket(TRAINING_BUCKET).get_blob(key)
    assert blob.generation != first
    assert (blob.metadata, blob.download_as_bytes()) == ({"fingerprint": "new"}, b"new, longer bytes")


@pytest.mark.parametrize("kind", ["gcs", "local"])
def test_listing_a_prefix_gives_whole_objects_only(kind: str, gcs: GCSStorage, tmp_path: Path, prefix: str) -> None:
    storage = gcs if kind == "gcs" else LocalStorage(data_dir=str(tmp_path / "data"))
    for name in ("clips/a_broadcast.mp4", "clips/b_tactical.mp4", "other.jsonl"):
        storage.put_file(f"{prefix}/{name}", file_with(tmp_path, "object", name.encode()))
    if kind == "local":  # a write in progress: a hidden temporary name in the folder
        (Path(storage.uri(f"{prefix}/clips").removeprefix("file://")) / ".c_broadcast.mp4.x.part").write_bytes(b"half")

    assert sorted(storage.list_keys(f"{prefix}/clips/")) == [
        f"{prefix}/clips/a_broadcast.mp4",
        f"{prefix}/clips/b_tactical.mp4",
    ]
    assert len(list(storage.list_keys(f"{prefix}/"))) == 3
    assert list(storage.list_keys(f"{prefix}/nothing-here/")) == []


def test_missing_objects_read_as_absent(gcs: GCSStorage, prefix: str) -> None:
    key = f"{prefix}/nothing.jsonl"

    assert not gcs.exists(key)
    assert gcs.metadata(key) is None
    assert gcs.read_text(key) is None
    with pytest.raises(FileNotFoundError, match=f"gs://{TRAINING_BUCKET}/{key}"):
        gcs.size(key)
    with pytest.raises(FileNotFoundError, match=f"gs://{TRAINING_BUCKET}/{key}"):
        list(gcs.iter_lines(key))


def test_iter_lines_streams_text_in_ranged_chunks(gcs_emulator: GCSEmulator, tmp_path: Path, prefix: str) -> None:
    # 1 MiB reads over a ~2.3 MiB file: lines (with multi-byte characters) span chunk edges.
    storage = gcs_emulator.storage(tmp_path / "cache", read_chunk_mb=1)
    lines = [f'{{"line": {n}, "text": "rebond é {"x" * (n % 97)}"}}\n' for n in range(30_000)]
    key = f"{prefix}/video_training.jsonl"
    storage.put_text(key, "".join(lines))
    assert storage.size(key) > 2 * 1024 * 1024

    assert list(storage.iter_lines(key)) == lines


def test_uris_are_gs_uris_of_the_buckets(gcs: GCSStorage) -> None:
    assert gcs.uri("games/g1/clips/p_broadcast.mp4") == f"gs://{TRAINING_BUCKET}/games/g1/clips/p_broadcast.mp4"
    assert gcs.uri("") == f"gs://{TRAINING_BUCKET}"
    assert gcs.video_uri("Games/g1/BroadcastHalf1.mp4") == f"gs://{VIDEOS_BUCKET}/Games/g1/BroadcastHalf1.mp4"


# --- videos and the cache -------------------------------------------------------------


def test_second_fetch_of_a_video_uses_the_cache(
    network_faults: NetworkFaults, gcs_emulator: GCSEmulator, tmp_path: Path, prefix: str
) -> None:
    storage = gcs_emulator.storage(tmp_path / "cache", **QUICK_RETRY)
    key = f"Games/{prefix}/BroadcastHalf1.mp4"
    storage.put_video(key, file_with(tmp_path, "half.mp4", b"video bytes" * 1000))

    first = storage.fetch_video(key)
    stat = first.path.stat()
    second = gcs_emulator.storage(tmp_path / "cache", **QUICK_RETRY).fetch_video(key)  # as a re-run would

    assert network_faults.media_downloads == 1
    assert second == first
    assert (second.path.stat().st_ino, second.path.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert first.path.read_bytes() == b"video bytes" * 1000
    assert first.identity.startswith(f"gs://{VIDEOS_BUCKET}/{key}#md5:")


def test_new_upload_of_a_video_is_fetched_again_and_replaces_the_cached_one(
    gcs: GCSStorage, tmp_path: Path, prefix: str
) -> None:
    key = f"Games/{prefix}/TacticalHalf2.mp4"
    gcs.put_video(key, file_with(tmp_path, "v1.mp4", b"first cut of the video"))
    old = gcs.fetch_video(key)

    gcs.put_video(key, file_with(tmp_path, "v2.mp4", b"re-encoded video"))
    new = gcs.fetch_video(key)

    assert new.identity != old.identity
    assert new.path.read_bytes() == b"re-encoded video"
    assert cached_files(gcs) == [new.path]
    generation = gcs.client.bucket(VIDEOS_BUCKET).get_blob(key).generation
    assert new.path.name == cached_video_name(key, generation)


def test_cache_over_its_limit_evicts_least_recently_used_videos_not_in_use(
    gcs_emulator: GCSEmulator, tmp_path: Path, prefix: str
) -> None:
    storage = gcs_emulator.storage(tmp_path / "cache", cache_limit_gb=40_000 / 1024**3)  # room for one 25 kB video
    keys = [f"Games/{prefix}/{name}" for name in ("BroadcastHalf1.mp4", "BroadcastHalf2.mp4", "TacticalHalf1.mp4")]
    for key in keys:
        storage.put_video(key, file_with(tmp_path, "half.mp4", os.urandom(25_000)))
    first = storage.fetch_video(keys[0]).path
    second = storage.fetch_video(keys[1]).path
    assert cached_files(storage) == sorted([first, second])  # over the limit, but the first was just used

    two_hours_ago = time.time_ns() - 2 * 3600 * 10**9
    os.utime(first, ns=(two_hours_ago, two_hours_ago))  # last used two hours ago
    third = storage.fetch_video(keys[2]).path

    assert cached_files(storage) == sorted([second, third])  # the second is still in use


def test_missing_video_raises_video_not_found_naming_the_gs_uri(gcs: GCSStorage, prefix: str) -> None:
    key = f"Games/{prefix}/TacticalHalf1.mp4"

    with pytest.raises(VideoNotFound, match=f"gs://{VIDEOS_BUCKET}/{key} does not exist"):
        gcs.fetch_video(key)
    assert cached_files(gcs) == []


def test_interrupted_download_leaves_no_cached_video(
    network_faults: NetworkFaults, gcs_emulator: GCSEmulator, tmp_path: Path, prefix: str
) -> None:
    storage = gcs_emulator.storage(tmp_path / "cache", retry_first_delay_s=0.05, retry_timeout_s=1.0)
    key = f"Games/{prefix}/BroadcastHalf2.mp4"
    storage.put_video(key, file_with(tmp_path, "half.mp4", b"0123456789" * 5000))
    network_faults.cut_downloads = True

    with pytest.raises(StorageUnavailable, match=f"gs://{VIDEOS_BUCKET}/{key}"):
        storage.fetch_video(key)
    assert network_faults.faults_sent >= 1
    assert cached_files(storage) == []

    network_faults.cut_downloads = False
    assert storage.fetch_video(key).path.read_bytes() == b"0123456789" * 5000


def test_put_text_if_absent_creates_the_object(gcs: GCSStorage, prefix: str) -> None:
    key = f"{prefix}/claims/one.json"
    assert gcs.put_text_if_absent(key, '{"run_id": "r1"}\n')
    assert gcs.read_text(key) == '{"run_id": "r1"}\n'
    # That a second call gets False rests on GCS's ifGenerationMatch=0, which the emulator ignores.


# --- errors ---------------------------------------------------------------------------


def test_transient_errors_and_resets_are_retried(
    network_faults: NetworkFaults, gcs_emulator: GCSEmulator, tmp_path: Path, prefix: str
) -> None:
    storage = gcs_emulator.storage(tmp_path / "cache", **QUICK_RETRY)
    key = f"{prefix}/clips/p2_broadcast.mp4"
    network_faults.statuses.extend([503, 429, 500])
    storage.put_file(key, file_with(tmp_path, "clip.mp4", b"clip"), metadata={"fingerprint": "f"})
    network_faults.resets = 2

    assert storage.metadata(key) == {"fingerprint": "f"}
    assert network_faults.faults_sent == 5
    video = f"Games/{prefix}/BroadcastHalf1.mp4"
    storage.put_video(video, file_with(tmp_path, "half.mp4", b"half"))
    network_faults.statuses.extend([502, 503])
    assert storage.fetch_video(video).path.read_bytes() == b"half"


def test_errors_that_persist_past_the_retry_deadline_say_so(
    network_faults: NetworkFaults, gcs_emulator: GCSEmulator, tmp_path: Path, prefix: str
) -> None:
    storage = gcs_emulator.storage(tmp_path / "cache", retry_first_delay_s=0.05, retry_timeout_s=0.5)
    network_faults.statuses.extend([503] * 1000)

    with pytest.raises(StorageUnavailable, match=f"gs://{TRAINING_BUCKET}/{prefix}/x.json.*try again later"):
        storage.metadata(f"{prefix}/x.json")


def test_access_denied_names_the_object_and_the_credentials(
    network_faults: NetworkFaults, gcs_emulator: GCSEmulator, tmp_path: Path, prefix: str
) -> None:
    storage = gcs_emulator.storage(tmp_path / "cache", **QUICK_RETRY)
    network_faults.deny = True
    key = f"Games/{prefix}/BroadcastHalf1.mp4"

    with pytest.raises(
        StorageAccessDenied, match=f"gs://{VIDEOS_BUCKET}/{key}.*403.*GOOGLE_APPLICATION_CREDENTIALS"
    ) as denied:
        storage.fetch_video(key)
    # Nor does the assets' retry policy retry it: it is a Failure that forbids retries.
    assert denied.value.allow_retries is False
    with pytest.raises(StorageAccessDenied, match=f"cannot write gs://{TRAINING_BUCKET}/{prefix}/a.json"):
        storage.put_text(f"{prefix}/a.json", "{}")
    # A 403 is not retried: one request per object (the client also looks up bucket metadata).
    assert len(object_requests(network_faults)) == 2, network_faults.requests


def test_interrupted_upload_keeps_the_previous_object_whole(
    network_faults: NetworkFaults, gcs_emulator: GCSEmulator, tmp_path: Path, prefix: str
) -> None:
    storage = gcs_emulator.storage(tmp_path / "cache", retry_first_delay_s=0.05, retry_timeout_s=1.0)
    key = f"{prefix}/clips/p3_both.mp4"
    storage.put_file(key, file_with(tmp_path, "old.mp4", b"old clip"), metadata={"fingerprint": "old"})
    network_faults.cut_uploads = True

    with pytest.raises(StorageUnavailable, match=f"cannot write gs://{TRAINING_BUCKET}/{key}"):
        storage.put_file(key, file_with(tmp_path, "new.mp4", b"new clip " * 1000), metadata={"fingerprint": "new"})
    with pytest.raises(StorageUnavailable):
        storage.put_file(f"{prefix}/clips/never.mp4", file_with(tmp_path, "n.mp4", b"n"), metadata={"fingerprint": "n"})

    network_faults.cut_uploads = False
    assert storage.metadata(key) == {"fingerprint": "old"}
    with storage.local_copy(key) as copy:
        assert copy.read_bytes() == b"old clip"
    assert not storage.exists(f"{prefix}/clips/never.mp4")


def test_writing_to_a_missing_bucket_names_the_bucket_setting(gcs_emulator: GCSEmulator, tmp_path: Path) -> None:
    storage = gcs_emulator.storage(tmp_path / "cache", training_bucket="no-such-bucket-here", **QUICK_RETRY)

    with pytest.raises(
        FileNotFoundError, match=r"bucket no-such-bucket-here does not exist.*BASKETBALL_TRAINING_BUCKET"
    ):
        storage.put_text("a.json", "{}")


# --- configuration --------------------------------------------------------------------


def test_gcp_project_selects_gcs_with_bucket_and_cache_overrides(tmp_path: Path) -> None:
    storage = build_storage(
        Settings.from_environ(
            {
                "BASKETBALL_GCP_PROJECT": "uball-prod",
                "BASKETBALL_TRAINING_BUCKET": "my-training",
                "BASKETBALL_VIDEO_CACHE_DIR": str(tmp_path / "cache"),
            }
        )
    )

    assert isinstance(storage, GCSStorage)
    assert (storage.gcs.project, storage.videos_bucket, storage.training_bucket) == (
        "uball-prod",
        VIDEOS_BUCKET,
        "my-training",
    )
    assert storage.video_cache == tmp_path / "cache"


def test_no_gcp_project_means_local_storage(tmp_path: Path) -> None:
    assert isinstance(build_storage(Settings.from_environ({"BASKETBALL_DATA_DIR": str(tmp_path)})), LocalStorage)


def test_bucket_bytes_is_the_training_buckets_total_size(gcs: GCSStorage, tmp_path: Path, prefix: str) -> None:
    before = gcs.bucket_bytes()
    gcs.put_file(f"{prefix}a.bin", file_with(tmp_path, "a.bin", b"x" * 1000))
    gcs.put_file(f"{prefix}b.bin", file_with(tmp_path, "b.bin", b"y" * 234))
    assert gcs.bucket_bytes() == before + 1234
    assert LocalStorage(data_dir=str(tmp_path / "data")).bucket_bytes() is None  # local storage bills nothing
