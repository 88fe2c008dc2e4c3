"""Object storage for videos (read) and training data (written): the interface, and a local folder.

Both implementations (``LocalStorage`` here, ``GCSStorage`` in ``gcs_storage.py``) mirror
the spec's bucket layout and make every write atomic: an object appears whole, under its
final name, or not at all.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

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
    def create_text(self, key: str, text: str) -> bool:
        """Store ``text`` as ``key`` only if no object has that name: ``True`` if this call created
        it, ``False`` if one existed. Atomic, so of runs racing for one key exactly one wins (claims)."""

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
            with atomic_write_path(meta_path) as temporary:
                temporary.write_text(json.dumps(dict(metadata), sort_keys=True), encoding="utf-8")

    def create_text(self, key: str, text: str) -> bool:
        target = self._path(self.training_bucket, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a hidden name, then hard-linked to the final name: link() fails if
        # the name exists, so creation is exclusive (as O_CREAT|O_EXCL) and never shows a partial file.
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.link(temporary, target)
            return True
        except FileExistsError:
            return False
        finally:
            Path(temporary).unlink(missing_ok=True)

    def _place(self, source: Path, target: Path) -> None:
        # A copy, not a move: source may be on another file system.
        with atomic_write_path(target) as temporary:
            shutil.copyfile(source, temporary)

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


@contextmanager
def atomic_write_path(target: Path) -> Iterator[Path]:
    """A hidden temporary path beside ``target`` for the caller to write; renamed to ``target``
    when the block ends without error, removed otherwise.

    Beside the target, so the rename stays on one file system and is atomic: readers of the
    folder see the old file or the whole new one, never a partial one (and ``list_keys``
    skips the hidden name).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        yield Path(temporary)
        os.replace(temporary, target)
    finally:
        # Gone already after the rename; left only by an error.
        Path(temporary).unlink(missing_ok=True)
