"""Object storage for videos (read) and training data (written): a local folder or GCS.

Both implementations mirror the spec's bucket layout and make every write atomic: an
object appears whole, under its final name, or not at all.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, Failure
from dagster_gcp import GCSResource
from google.api_core import exceptions as gcs_exceptions
from google.api_core.retry import Retry
from google.cloud import storage as gcs_storage
from google.cloud.storage.retry import DEFAULT_RETRY as GCS_DEFAULT_RETRY
from pydantic import Field, PrivateAttr

from basketball_assets.core.video_cache import CachedVideo, cached_video_name, is_generation_of, videos_to_evict

DEFAULT_DATA_DIR = "data"
VIDEOS_BUCKET = "uball-videos-production"
TRAINING_BUCKET = "uball-training-data"


class VideoNotFound(FileNotFoundError):
    """A game video the plays need is not in the videos bucket."""


@dataclass(frozen=True)
class SourceVideo:
    """A video available as a local file, with an identity that changes when its bytes do."""

    key: str
    path: Path
    identity: str


class Storage(ConfigurableResource, ABC):
    """Where videos are read from and clips and JSONL are written to.

    Keys are object names inside a bucket, exactly as in the spec's layout.
    """

    videos_bucket: str = Field(default=VIDEOS_BUCKET, description="Bucket holding Games/{game_id}/*.mp4.")
    training_bucket: str = Field(default=TRAINING_BUCKET, description="Bucket receiving clips and JSONL.")

    # --- videos bucket -------------------------------------------------------------
    @abstractmethod
    def fetch_video(self, key: str) -> SourceVideo:
        """A local path to the video ``key`` of the videos bucket; raises :class:`VideoNotFound`."""

    @abstractmethod
    def put_video(self, key: str, path: Path) -> None:
        """Store a local file as video ``key`` (demo data and tests)."""

    # --- training bucket -----------------------------------------------------------
    @abstractmethod
    def put_file(self, key: str, path: Path, metadata: Mapping[str, str] | None = None) -> None:
        """Store a local file as ``key``, whole or not at all, with optional custom metadata.

        ``path`` may be moved rather than copied: callers pass files from :meth:`scratch_dir`.
        """

    @abstractmethod
    def metadata(self, key: str) -> dict[str, str] | None:
        """The custom metadata of ``key``; ``None`` when the object does not exist."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int:
        """Size of object ``key`` in bytes."""

    @abstractmethod
    def iter_lines(self, key: str) -> Iterator[str]:
        """Stream the lines of a text object without reading it whole."""

    @abstractmethod
    def read_text(self, key: str) -> str | None:
        """The text of ``key``, or ``None`` when it does not exist."""

    @abstractmethod
    def list_keys(self, prefix: str) -> Iterator[str]:
        """The keys of the whole objects under the folder ``prefix`` (ending in ``/``), never a
        temporary one."""

    @abstractmethod
    def uri(self, key: str) -> str:
        """The URI of ``key`` as the spec writes it in ``fileUri`` (``gs://`` or ``file://``)."""

    @abstractmethod
    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A local file with the object's bytes, for probing (may be the object itself)."""

    @contextmanager
    def scratch_dir(self) -> Iterator[Path]:
        """A private temporary folder for files about to be stored; removed afterwards."""
        with tempfile.TemporaryDirectory(prefix="basketball-") as folder:
            yield Path(folder)

    # --- shared helpers ------------------------------------------------------------
    def put_text(self, key: str, text: str) -> None:
        with self.scratch_dir() as folder:
            path = folder / Path(key).name
            path.write_text(text, encoding="utf-8")
            self.put_file(key, path)

    def put_json(self, key: str, value: Any) -> None:
        self.put_text(key, json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n")

    def read_json(self, key: str) -> Any | None:
        text = self.read_text(key)
        return None if text is None else json.loads(text)

    def describe(self) -> str:
        """Where the buckets are, for logs and the README's "where are my outputs"."""
        return f"videos {self.uri_of_bucket(self.videos_bucket)}, training data {self.uri('')}"

    def uri_of_bucket(self, bucket: str) -> str:
        return bucket

    def video_uri(self, key: str) -> str:
        """The URI of video ``key``, for messages that tell users which file to check."""
        return f"{self.uri_of_bucket(self.videos_bucket)}/{key}"


class LocalStorage(Storage):
    """Buckets as folders under one data directory: ``{data_dir}/{bucket}/{key}``.

    Custom metadata (clip fingerprints) is kept beside the bucket, in
    ``{data_dir}/.object-metadata/{bucket}/{key}.json``, so the bucket folders hold
    exactly the spec's layout.
    """

    data_dir: str = Field(
        default=DEFAULT_DATA_DIR,
        description="Folder holding one sub-folder per bucket (env BASKETBALL_DATA_DIR).",
    )

    @property
    def root(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    def _path(self, bucket: str, key: str) -> Path:
        path = (self.root / bucket / key).resolve()
        if self.root / bucket not in path.parents and path != self.root / bucket:
            raise ValueError(f"object key {key!r} escapes bucket folder {self.root / bucket}")
        return path

    def _metadata_path(self, bucket: str, key: str) -> Path:
        return self.root / ".object-metadata" / bucket / f"{key}.json"

    def uri_of_bucket(self, bucket: str) -> str:
        return (self.root / bucket).as_uri()

    # videos
    def fetch_video(self, key: str) -> SourceVideo:
        path = self._path(self.videos_bucket, key)
        if not path.is_file():
            raise VideoNotFound(f"video {path} does not exist")
        stat = path.stat()
        # Size and mtime stand in for GCS's generation: cheap, and any rewrite changes them.
        return SourceVideo(key=key, path=path, identity=f"local:{stat.st_size}:{stat.st_mtime_ns}")

    def put_video(self, key: str, path: Path) -> None:
        self._place(path, self._path(self.videos_bucket, key))

    # training data
    def put_file(self, key: str, path: Path, metadata: Mapping[str, str] | None = None) -> None:
        target = self._path(self.training_bucket, key)
        meta_path = self._metadata_path(self.training_bucket, key)
        # Old metadata goes first: a crash between the steps leaves an object without a
        # fingerprint (re-cut next time), never a new fingerprint on old bytes.
        meta_path.unlink(missing_ok=True)
        self._place(path, target)
        if metadata:
            meta_path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write_text(meta_path, json.dumps(dict(metadata), sort_keys=True))

    def _place(self, source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Copy to a hidden temporary name in the target folder, then rename: readers of the
        # folder never see a partial file, even when source is on another file system.
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.close(fd)
        try:
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def metadata(self, key: str) -> dict[str, str] | None:
        if not self._path(self.training_bucket, key).is_file():
            return None
        meta_path = self._metadata_path(self.training_bucket, key)
        try:
            return json.loads(meta_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def exists(self, key: str) -> bool:
        return self._path(self.training_bucket, key).is_file()

    def size(self, key: str) -> int:
        return self._path(self.training_bucket, key).stat().st_size

    def iter_lines(self, key: str) -> Iterator[str]:
        with self._path(self.training_bucket, key).open(encoding="utf-8") as handle:
            yield from handle

    def read_text(self, key: str) -> str | None:
        try:
            return self._path(self.training_bucket, key).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def list_keys(self, prefix: str) -> Iterator[str]:
        bucket = self.root / self.training_bucket
        folder = self._path(self.training_bucket, prefix)
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            # Hidden names are the temporary files of writes in progress.
            if path.is_file() and not path.name.startswith("."):
                yield path.relative_to(bucket).as_posix()

    def uri(self, key: str) -> str:
        return (self.root / self.training_bucket / key).as_uri() if key else self.uri_of_bucket(self.training_bucket)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        yield self._path(self.training_bucket, key)

    @contextmanager
    def scratch_dir(self) -> Iterator[Path]:
        # Inside the data directory, so the final copy stays on one file system.
        base = self.root / ".scratch"
        base.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=base) as folder:
            yield Path(folder)


def _atomic_write_text(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- Google Cloud Storage ------------------------------------------------------------

#: Where fetched videos are cached when ``cache_dir`` is not set (env BASKETBALL_VIDEO_CACHE_DIR).
VIDEO_CACHE_VARIABLE = "BASKETBALL_VIDEO_CACHE_DIR"

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


def default_video_cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """``$BASKETBALL_VIDEO_CACHE_DIR``, else ``$XDG_CACHE_HOME/basketball-assets/videos``
    (``~/.cache/basketball-assets/videos``)."""
    if environ.get(VIDEO_CACHE_VARIABLE):
        return Path(environ[VIDEO_CACHE_VARIABLE]).expanduser()
    cache_home = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser()
    return cache_home / "basketball-assets" / "videos"


class GCSStorage(Storage):
    """Buckets on Google Cloud Storage, through dagster-gcp's ``GCSResource``.

    * Videos are downloaded on demand into a local cache (``cache_dir``), one file per
      object generation, written under a temporary name and renamed when complete and
      checksum-verified; a re-run with unchanged videos downloads nothing.
    * Clips and JSONL are uploaded whole (a GCS object appears only when its upload
      completes), with the clip fingerprint as the object's custom metadata in the same
      request, so skip logic works from the bucket alone, on any machine.
    * Transient errors (429, 5xx, connection resets) are retried with exponential
      backoff for up to ``retry_timeout_s``; permanent ones raise errors naming the
      ``gs://`` object and what to check.

    Credentials are Google's application default credentials
    (``GOOGLE_APPLICATION_CREDENTIALS`` or the machine's service account); with
    ``STORAGE_EMULATOR_HOST`` set the client talks to that emulator instead.
    """

    gcs: GCSResource = Field(description="The GCS client's settings (project, env BASKETBALL_GCP_PROJECT).")
    cache_dir: str = Field(
        default="",
        description=(
            "Folder caching downloaded videos, one file per object generation (env "
            "BASKETBALL_VIDEO_CACHE_DIR; empty: ~/.cache/basketball-assets/videos)."
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

    _client: Any = PrivateAttr(default=None)

    # --- plumbing --------------------------------------------------------------------
    @property
    def client(self) -> "gcs_storage.Client":
        # One client per resource instance: building it reads credentials, which is slow.
        if self._client is None:
            self._client = self.gcs.get_client()
        return self._client

    @property
    def retry(self) -> Retry:
        return GCS_DEFAULT_RETRY.with_delay(initial=self.retry_first_delay_s, maximum=60.0).with_timeout(self.retry_timeout_s)

    def _blob(self, bucket: str, key: str) -> "gcs_storage.Blob":
        return self.client.bucket(bucket).blob(key)

    def _get_blob(self, bucket: str, key: str) -> "gcs_storage.Blob | None":
        """The object with its metadata (size, generation, md5, custom metadata), or ``None``."""
        with self._errors(bucket, key, "read"):
            return self.client.bucket(bucket).get_blob(key, retry=self.retry)

    @property
    def video_cache(self) -> Path:
        return Path(self.cache_dir).expanduser() if self.cache_dir else default_video_cache_dir()

    def uri_of_bucket(self, bucket: str) -> str:
        return f"gs://{bucket}"

    def uri(self, key: str) -> str:
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
        blob = self._get_blob(self.videos_bucket, key)
        if blob is None:
            raise VideoNotFound(
                f"video {self.video_uri(key)} does not exist: check the game id and that the half "
                f"was uploaded there (bucket {self.videos_bucket}, env BASKETBALL_VIDEOS_BUCKET)"
            )
        path = self.video_cache / self.videos_bucket / Path(key).parent / cached_video_name(key, blob.generation)
        if path.is_file() and path.stat().st_size == blob.size:
            _mark_used(path)
        else:
            self._download(blob, path)
            self._trim_cache(path, key)
        # The md5 (absent on composite objects) survives re-uploads of the same bytes.
        version = f"md5:{blob.md5_hash}" if blob.md5_hash else f"generation:{blob.generation}"
        return SourceVideo(key=key, path=path, identity=f"{self.video_uri(key)}#{version}")

    def _download(self, blob: "gcs_storage.Blob", path: Path) -> None:
        """Download one generation to ``path`` via a temporary name, checksum-verified."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        os.close(fd)
        try:
            with self._errors(blob.bucket.name, blob.name, "read"):
                # if_generation_match: bytes of a newer upload never land under this generation's name.
                blob.download_to_filename(temporary, if_generation_match=blob.generation, checksum="auto", retry=self.retry)
            os.replace(temporary, path)
        except gcs_exceptions.NotFound as error:
            raise VideoNotFound(f"video {self.video_uri(blob.name)} was deleted while downloading") from error
        except gcs_exceptions.PreconditionFailed as error:
            raise StorageUnavailable(
                f"video {self.video_uri(blob.name)} was replaced while downloading; run again to use the new upload"
            ) from error
        finally:
            Path(temporary).unlink(missing_ok=True)

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
        self._upload(self.videos_bucket, key, path, metadata=None)

    # --- training bucket -------------------------------------------------------------
    def put_file(self, key: str, path: Path, metadata: Mapping[str, str] | None = None) -> None:
        self._upload(self.training_bucket, key, path, metadata)

    def _upload(self, bucket: str, key: str, path: Path, metadata: Mapping[str, str] | None) -> None:
        blob = self._blob(bucket, key)
        # Bytes and custom metadata go in one request: a new fingerprint never sits on old bytes.
        blob.metadata = dict(metadata) if metadata else None
        with self._errors(bucket, key, "write"):
            blob.upload_from_filename(
                str(path), content_type=CONTENT_TYPES.get(Path(key).suffix, "application/octet-stream"), retry=self.retry
            )

    def metadata(self, key: str) -> dict[str, str] | None:
        blob = self._get_blob(self.training_bucket, key)
        return None if blob is None else dict(blob.metadata or {})

    def exists(self, key: str) -> bool:
        with self._errors(self.training_bucket, key, "read"):
            return self._blob(self.training_bucket, key).exists(retry=self.retry)

    def size(self, key: str) -> int:
        blob = self._get_blob(self.training_bucket, key)
        if blob is None:
            raise FileNotFoundError(f"{self.uri(key)} does not exist")
        return int(blob.size)

    def iter_lines(self, key: str) -> Iterator[str]:
        blob = self._get_blob(self.training_bucket, key)
        if blob is None:
            raise FileNotFoundError(f"{self.uri(key)} does not exist")
        # Ranged reads of read_chunk_mb each, pinned to the generation just looked up.
        with self._errors(self.training_bucket, key, "read"):
            with blob.open("rt", encoding="utf-8", chunk_size=self.read_chunk_mb * 1024 * 1024, retry=self.retry) as handle:
                yield from handle

    def read_text(self, key: str) -> str | None:
        try:
            with self._errors(self.training_bucket, key, "read"):
                return self._blob(self.training_bucket, key).download_as_text(encoding="utf-8", retry=self.retry)
        except gcs_exceptions.NotFound:
            return None

    def list_keys(self, prefix: str) -> Iterator[str]:
        with self._errors(self.training_bucket, prefix, "list"):
            # Uploads are whole objects: a listed object is never half written.
            for blob in self.client.list_blobs(self.training_bucket, prefix=prefix, retry=self.retry):
                yield blob.name

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
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
