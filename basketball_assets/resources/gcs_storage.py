"""Object storage on Google Cloud Storage: ``GCSStorage``, its video cache and its retries."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import Failure
from dagster_gcp import GCSResource
from google.api_core import exceptions as gcs_exceptions
from google.api_core.retry import Retry
from google.cloud import storage as gcs_storage
from google.cloud.storage.retry import DEFAULT_RETRY as GCS_DEFAULT_RETRY
from pydantic import Field, PrivateAttr

from basketball_assets.core.video_cache import CachedVideo, cached_video_path, is_generation_of, videos_to_evict
from basketball_assets.resources.local_files import atomic_write_path
from basketball_assets.resources.storage import (
    SourceVideo,
    Storage,
    UnsafeKey,
    VideoNotFound,
    check_key,
)

#: Default size limit of the video cache, in GiB (env BASKETBALL_VIDEO_CACHE_GB).
DEFAULT_VIDEO_CACHE_GB = 100.0

#: Videos used this recently are never evicted from the cache: a run may be cutting from them.
RECENTLY_USED_S = 3600.0

#: Content types of the objects this pipeline writes, by file suffix.
CONTENT_TYPES = {".mp4": "video/mp4", ".jsonl": "application/jsonl", ".json": "application/json"}


class StorageAccessDenied(Failure, PermissionError):
    """The credentials in use may not read or write an object (HTTP 401/403).

    A ``Failure`` that forbids retries: the assets' retry policy is for transient errors,
    and retrying a permission problem only delays the message.
    """

    def __init__(self, message: str):
        super().__init__(description=message, allow_retries=False)


class StorageUnavailable(ConnectionError):
    """GCS kept failing with transient errors (429, 5xx, resets) until the retry deadline."""


class GCSStorage(Storage):
    """Buckets on Google Cloud Storage, through dagster-gcp's ``GCSResource``.

    * Videos are downloaded on demand into a local cache (``cache_dir``), one file per
      object generation, written under a temporary name and renamed when complete and
      checksum-verified; a re-run with unchanged videos downloads nothing.
    * Clips and JSONL are uploaded whole (a GCS object appears only when its upload
      completes), with the clip fingerprint as the object's custom metadata in the same
      request, so skip logic works from the bucket alone, on any machine.
    * No temporary objects: an upload is one whole object, so a killed run leaves nothing
      partial in a bucket. Only local folders can hold leftovers (the cache's ``.part``
      downloads, the scratch folders); those of runs that ended are removed when a run
      sets up storage (:meth:`~basketball_assets.resources.storage.Storage.remove_stale_temporaries`).
    * Transient errors (429, 5xx, connection resets) are retried with exponential
      backoff for up to ``retry_timeout_s``; permanent ones raise errors naming the
      ``gs://`` object and what to check.

    Credentials are Google's application default credentials
    (``GOOGLE_APPLICATION_CREDENTIALS`` or the machine's service account); with
    ``STORAGE_EMULATOR_HOST`` set the client talks to that emulator instead.
    """

    gcs: GCSResource = Field(description="The GCS client's settings (project, env BASKETBALL_GCP_PROJECT).")
    cache_dir: str = Field(
        description=(
            "Folder caching downloaded videos, one file per object generation (env "
            "BASKETBALL_VIDEO_CACHE_DIR, default ~/.cache/basketball-assets/videos: see Settings.video_cache)."
        ),
    )
    cache_limit_gb: float = Field(
        default=DEFAULT_VIDEO_CACHE_GB,
        gt=0,
        description=(
            "Size the video cache is trimmed to after each download, least recently used videos "
            "first; videos used in the last hour are kept even above it (env BASKETBALL_VIDEO_CACHE_GB)."
        ),
    )
    retry_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="How long transient GCS errors (429, 5xx, resets) are retried with backoff before failing.",
    )
    retry_first_delay_s: float = Field(
        default=1.0, gt=0, description="First backoff delay between retries; each next one doubles, up to 60 s."
    )
    read_chunk_mb: int = Field(default=8, ge=1, description="Bytes fetched per request while streaming text lines.")
    scratch_folder: str = Field(
        default="",
        description="Folder for clips being cut before upload; default: basketball-assets-scratch in the system temp.",
    )

    _client: Any = PrivateAttr(default=None)

    # --- plumbing --------------------------------------------------------------------
    @property
    def client(self) -> gcs_storage.Client:
        # One client per resource instance: building it reads credentials, which is slow.
        if self._client is None:
            self._client = self.gcs.get_client()
        return self._client

    @property
    def retry(self) -> Retry:
        backoff = GCS_DEFAULT_RETRY.with_delay(initial=self.retry_first_delay_s, maximum=60.0)
        return backoff.with_timeout(self.retry_timeout_s)

    def _blob(self, bucket: str, key: str) -> gcs_storage.Blob:
        return self.client.bucket(bucket).blob(key)

    def _get_blob(self, bucket: str, key: str) -> gcs_storage.Blob | None:
        """The object with its metadata (size, generation, md5, custom metadata), or ``None``."""
        with self._errors(bucket, key, "read"):
            return self.client.bucket(bucket).get_blob(key, retry=self.retry)

    @property
    def video_cache(self) -> Path:
        return Path(self.cache_dir).expanduser()

    @property
    def scratch_root(self) -> Path:
        return Path(self.scratch_folder).expanduser() if self.scratch_folder else super().scratch_root

    def partial_write_folders(self) -> list[Path]:
        # Only the cache's interrupted downloads: uploads leave no partial objects.
        return [self.video_cache]

    def uri_of_bucket(self, bucket: str) -> str:
        return f"gs://{bucket}"

    def uri(self, key: str) -> str:
        check_key(self.training_bucket, key, folder=True)
        return f"gs://{self.training_bucket}/{key}" if key else self.uri_of_bucket(self.training_bucket)

    @contextmanager
    def _errors(self, bucket: str, key: str, action: str) -> Iterator[None]:
        """Turn google-api-core errors into ones that name the object and what to check."""
        uri = f"gs://{bucket}/{key}"
        try:
            yield
        except (gcs_exceptions.Forbidden, gcs_exceptions.Unauthorized) as error:
            raise StorageAccessDenied(
                f"cannot {action} {uri}: access denied ({error.code}). Check that the account of "
                f"GOOGLE_APPLICATION_CREDENTIALS (or the default credentials) may {action} objects in "
                f"bucket {bucket} (roles/storage.objectViewer to read, objectAdmin to write)"
            ) from error
        except gcs_exceptions.RetryError as error:
            raise StorageUnavailable(
                f"cannot {action} {uri}: GCS kept failing for {self.retry_timeout_s:.0f} s "
                f"({error.cause}); try again later"
            ) from error
        except gcs_exceptions.GoogleAPICallError as error:
            if isinstance(error, gcs_exceptions.NotFound) and action == "write":
                raise FileNotFoundError(
                    f"cannot write {uri}: bucket {bucket} does not exist; check the bucket name "
                    "(BASKETBALL_TRAINING_BUCKET / BASKETBALL_VIDEOS_BUCKET) and the project"
                ) from error
            if _is_transient(error):
                raise StorageUnavailable(f"cannot {action} {uri}: {error}; try again later") from error
            raise

    # --- videos bucket ---------------------------------------------------------------
    def fetch_video(self, key: str) -> SourceVideo:
        check_key(self.videos_bucket, key)
        blob = self._get_blob(self.videos_bucket, key)
        if blob is None:
            raise VideoNotFound(
                f"video {self.video_uri(key)} does not exist: check the game id and that the half "
                f"was uploaded there (bucket {self.videos_bucket}, env BASKETBALL_VIDEOS_BUCKET)"
            )
        path = self._cache_path(key, blob.generation)
        if path.is_file() and path.stat().st_size == blob.size:
            _mark_used(path)
        else:
            self._download(blob, path)
            self._trim_cache(path, key)
        # The md5 (absent on composite objects) survives re-uploads of the same bytes.
        version = f"md5:{blob.md5_hash}" if blob.md5_hash else f"generation:{blob.generation}"
        return SourceVideo(key=key, path=path, identity=f"{self.video_uri(key)}#{version}")

    def _cache_path(self, key: str, generation: int) -> Path:
        """Where one generation of video ``key`` is cached: always inside :attr:`video_cache`."""
        path = self.video_cache / self.videos_bucket / cached_video_path(key, generation)
        # Checked resolved, returned as built: the cache's trimming compares paths as rglob lists them.
        if self.video_cache.resolve() not in path.resolve().parents:
            raise UnsafeKey(f"video key {key!r} would be cached outside the cache folder {self.video_cache}")
        return path

    def _download(self, blob: gcs_storage.Blob, path: Path) -> None:
        """Download one generation to ``path`` via a temporary name, checksum-verified."""
        try:
            with atomic_write_path(path) as temporary, self._errors(blob.bucket.name, blob.name, "read"):
                # if_generation_match: bytes of a newer upload never land under this generation's name.
                blob.download_to_filename(
                    str(temporary), if_generation_match=blob.generation, checksum="auto", retry=self.retry
                )
        except gcs_exceptions.NotFound as error:
            raise VideoNotFound(f"video {self.video_uri(blob.name)} was deleted while downloading") from error
        except gcs_exceptions.PreconditionFailed as error:
            raise StorageUnavailable(
                f"video {self.video_uri(blob.name)} was replaced while downloading; run again to use the new upload"
            ) from error

    def _trim_cache(self, fetched: Path, key: str) -> None:
        """Drop older generations of the video just fetched, then least recently used
        videos until the cache fits ``cache_limit_gb``."""
        for other in fetched.parent.iterdir():
            if other != fetched and is_generation_of(other.name, key):
                other.unlink(missing_ok=True)
        now = time.time()
        videos = []
        for path in self.video_cache.rglob("*"):
            if path == fetched or not path.is_file():
                continue
            stat = path.stat()
            if path.name.startswith(".") and path.name.endswith(".part"):
                if now - stat.st_mtime > RECENTLY_USED_S:  # left by a killed download
                    path.unlink(missing_ok=True)
                continue
            videos.append(CachedVideo(path=str(path), size=stat.st_size, last_used=stat.st_atime))
        limit = int(self.cache_limit_gb * 1024**3) - fetched.stat().st_size
        for path in videos_to_evict(videos, max(limit, 0), now, RECENTLY_USED_S):
            Path(path).unlink(missing_ok=True)

    def put_video(self, key: str, path: Path) -> None:
        check_key(self.videos_bucket, key)
        self._upload(self.videos_bucket, key, path, metadata=None)

    # --- training bucket -------------------------------------------------------------
    def put_file(self, key: str, path: Path, metadata: Mapping[str, str] | None = None) -> None:
        check_key(self.training_bucket, key)
        self._upload(self.training_bucket, key, path, metadata)

    def _upload(self, bucket: str, key: str, path: Path, metadata: Mapping[str, str] | None) -> None:
        blob = self._blob(bucket, key)
        # Bytes and custom metadata go in one request: a new fingerprint never sits on old bytes.
        blob.metadata = dict(metadata) if metadata else None
        with self._errors(bucket, key, "write"):
            content_type = CONTENT_TYPES.get(Path(key).suffix, "application/octet-stream")
            blob.upload_from_filename(str(path), content_type=content_type, retry=self.retry)

    def metadata(self, key: str) -> dict[str, str] | None:
        check_key(self.training_bucket, key)
        blob = self._get_blob(self.training_bucket, key)
        return None if blob is None else dict(blob.metadata or {})

    def put_text_if_absent(self, key: str, text: str) -> bool:
        check_key(self.training_bucket, key)
        blob = self._blob(self.training_bucket, key)
        try:
            with self._errors(self.training_bucket, key, "write"):
                # Generation 0 means "no live object": GCS refuses the upload (412) if one exists.
                blob.upload_from_string(
                    text.encode("utf-8"),
                    content_type=CONTENT_TYPES.get(Path(key).suffix, "text/plain"),
                    if_generation_match=0,
                    retry=self.retry,
                )
        except gcs_exceptions.PreconditionFailed:
            # Also what a retried upload whose first attempt succeeded sees: callers that must
            # know read the object back (a claim names the run that took it).
            return False
        return True

    def exists(self, key: str) -> bool:
        check_key(self.training_bucket, key)
        with self._errors(self.training_bucket, key, "read"):
            return self._blob(self.training_bucket, key).exists(retry=self.retry)

    def size(self, key: str) -> int:
        check_key(self.training_bucket, key)
        blob = self._get_blob(self.training_bucket, key)
        if blob is None:
            raise FileNotFoundError(f"{self.uri(key)} does not exist")
        return int(blob.size)

    def iter_lines(self, key: str) -> Iterator[str]:
        check_key(self.training_bucket, key)
        blob = self._get_blob(self.training_bucket, key)
        if blob is None:
            raise FileNotFoundError(f"{self.uri(key)} does not exist")
        # Ranged reads of read_chunk_mb each, pinned to the generation just looked up.
        chunk_size = self.read_chunk_mb * 1024 * 1024
        with (
            self._errors(self.training_bucket, key, "read"),
            blob.open("rt", encoding="utf-8", chunk_size=chunk_size, retry=self.retry) as handle,
        ):
            yield from handle

    def read_text(self, key: str) -> str | None:
        check_key(self.training_bucket, key)
        try:
            with self._errors(self.training_bucket, key, "read"):
                return self._blob(self.training_bucket, key).download_as_text(encoding="utf-8", retry=self.retry)
        except gcs_exceptions.NotFound:
            return None

    def list_keys(self, prefix: str) -> Iterator[str]:
        check_key(self.training_bucket, prefix, folder=True)
        with self._errors(self.training_bucket, prefix, "list"):
            # Uploads are whole objects: a listed object is never half written.
            for blob in self.client.list_blobs(self.training_bucket, prefix=prefix, retry=self.retry):
                yield blob.name

    def bucket_bytes(self) -> int:
        """The training bucket's total size: every object's size, listed (a thousand per request)."""
        with self._errors(self.training_bucket, "", "list"):
            return sum(blob.size or 0 for blob in self.client.list_blobs(self.training_bucket, retry=self.retry))

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        check_key(self.training_bucket, key)
        with self.scratch_dir() as folder:
            path = folder / Path(key).name
            try:
                with self._errors(self.training_bucket, key, "read"):
                    self._blob(self.training_bucket, key).download_to_filename(str(path), retry=self.retry)
            except gcs_exceptions.NotFound as error:
                raise FileNotFoundError(f"{self.uri(key)} does not exist") from error
            yield path


def _is_transient(error: gcs_exceptions.GoogleAPICallError) -> bool:
    return error.code in (408, 429) or (error.code is not None and error.code >= 500)


def _mark_used(path: Path) -> None:
    """Record a cache hit in the file's access time (the modification time stays the download's)."""
    os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns))
