"""Object storage for videos (read) and training data (written): the interface, and a local folder.

Both implementations (``LocalStorage`` here, ``GCSStorage`` in ``gcs_storage.py``) mirror
the spec's bucket layout and make every write atomic: an object appears whole, under its
final name, or not at all.

Temporary files (scratch folders, hidden ``.part`` files of writes in progress) that a killed
run left behind are removed when a run next sets up storage, once older than
``stale_after_hours`` and of no live process (:meth:`Storage.remove_stale_temporaries`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from dagster import ConfigurableResource, InitResourceContext, get_dagster_logger
from pydantic import Field

from basketball_assets.core.ids import object_key_problem
from basketball_assets.core.scratch import Removed, scratch_prefix
from basketball_assets.resources.local_files import ObjectBytes, atomic_write_path, copy_hashing
from basketball_assets.resources.scratch import remove_stale

DEFAULT_DATA_DIR = "data"
VIDEOS_BUCKET = "uball-videos-production"
TRAINING_BUCKET = "uball-training-data"
#: Bytes read at a time when copying into storage.


class VideoNotFound(FileNotFoundError):
    """A game video the plays need is not in the videos bucket."""


class UnsafeKey(ValueError):
    """An object key that could leave its folder or nest objects differently (``..``, ``//``,
    a leading ``/``, a backslash, NUL): refused before anything is read or written."""


def check_key(bucket: str, key: str, folder: bool = False) -> str:
    """``key`` when it may name an object of ``bucket`` (a folder prefix with ``folder``); else
    raises :class:`UnsafeKey`. Defence in depth: ids are checked before they make keys."""
    problem = object_key_problem(key, folder=folder)
    if problem is not None:
        raise UnsafeKey(
            f"refused object key {key!r} in bucket {bucket}: it {problem}. Nothing was read or written; keys "
            "come from game and play ids, so check the ids in the plays table"
        )
    return key


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
    stale_after_hours: float = Field(
        default=6.0,
        gt=0,
        description=(
            "Scratch folders and partial (.part) files left by runs that ended are removed when a run sets up "
            "storage, once untouched this many hours; a live run's never are."
        ),
    )

    min_free_gb: float = Field(
        default=1.0,
        ge=0,
        description=(
            "Space kept free on the disk of the scratch folder (the data folder when local): a game whose clips "
            "would eat into it is refused before cutting, with the figures."
        ),
    )

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
        """The custom metadata written with the object's current bytes; ``None`` when the object
        does not exist, empty when it has none (or none written with these bytes)."""

    @abstractmethod
    def put_text_if_absent(self, key: str, text: str) -> bool:
        """Store ``text`` as ``key`` only if no object has that key, in one atomic step; whether
        this call stored it. Two callers racing for one key: exactly one gets ``True``."""

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

    @property
    def scratch_root(self) -> Path:
        """The folder holding every run's scratch folders (the system's temporary folder by default)."""
        return Path(tempfile.gettempdir()) / "basketball-assets-scratch"

    def partial_write_folders(self) -> list[Path]:
        """Local folders where writes leave hidden ``.part`` files until renamed (none by default)."""
        return []

    @contextmanager
    def scratch_dir(self) -> Iterator[Path]:
        """A private temporary folder for files about to be stored; removed afterwards.

        Its name carries this host and process id, so a clean-up never takes a live run's.
        """
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        prefix = scratch_prefix(socket.gethostname(), os.getpid())
        with tempfile.TemporaryDirectory(dir=self.scratch_root, prefix=prefix) as folder:
            yield Path(folder)

    def remove_stale_temporaries(self) -> Removed:
        """Remove the scratch folders and ``.part`` files of runs that ended (killed, crashed): those
        untouched for ``stale_after_hours`` whose owner is not a live process here; what went."""
        max_age_s = self.stale_after_hours * 3600
        return remove_stale(self.scratch_root, self.partial_write_folders(), max_age_s, time.time())

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Before a run uses storage: remove what killed runs left (:meth:`remove_stale_temporaries`)."""
        log = context.log or get_dagster_logger()
        where = ", ".join(str(path) for path in [self.scratch_root, *self.partial_write_folders()])
        try:
            removed = self.remove_stale_temporaries()
        except OSError as error:  # a clean-up problem must not stop the run
            log.warning(f"could not remove old temporary files from {where}: {error}")
            return
        if removed.items:
            log.info(removed.describe(where, self.stale_after_hours * 3600))

    # --- room on disk --------------------------------------------------------------
    def free_bytes(self) -> int:
        """Free bytes on the disk that holds the scratch folder (every clip is written there first)."""
        folder = self.scratch_root
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return shutil.disk_usage(folder).free

    def bucket_bytes(self) -> int | None:
        """The training bucket's total size in bytes, where storage is billed by it (GCS); else ``None``."""
        return None

    # --- shared helpers ------------------------------------------------------------
    def put_text(self, key: str, text: str) -> None:
        check_key(self.training_bucket, key)  # before its name makes a scratch file's
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

    An object and its metadata file are two renames, so they cannot be written in one atomic
    step as on GCS; two runs writing one key can interleave (A's bytes, B's bytes and metadata,
    A's metadata). So the metadata file also records the size and SHA-256 of the bytes it was
    written with, and :meth:`metadata` trusts it only while the object holds exactly those
    bytes: otherwise the object has no metadata (a clip is cut again), never someone else's.
    A content hash rather than (inode, mtime, size): file systems reuse inodes and tick
    timestamps coarsely, and local storage is for single machines, where reading a game's
    clips once per run is cheap.
    """

    data_dir: str = Field(
        default=DEFAULT_DATA_DIR,
        description="Folder holding one sub-folder per bucket (env BASKETBALL_DATA_DIR).",
    )

    @property
    def root(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    def _path(self, bucket: str, key: str, folder: bool = False) -> Path:
        # Every public method maps its key here first, so this is where keys are checked.
        check_key(bucket, key, folder)
        path = (self.root / bucket / key).resolve()
        if self.root / bucket not in path.parents and path != self.root / bucket:
            raise UnsafeKey(f"object key {key!r} resolves outside bucket folder {self.root / bucket} (a symlink?)")
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
        placed = self._place(path, target)
        if metadata:
            sidecar = {"object": placed.to_dict(), "metadata": dict(metadata)}
            with atomic_write_path(meta_path) as temporary:
                temporary.write_text(json.dumps(sidecar, sort_keys=True), encoding="utf-8")

    def _place(self, source: Path, target: Path) -> ObjectBytes:
        """Copy ``source`` to ``target`` atomically; the size and hash of the bytes copied."""
        # A copy, not a move: source may be on another file system.
        with atomic_write_path(target) as temporary:
            return copy_hashing(source, temporary)

    def metadata(self, key: str) -> dict[str, str] | None:
        try:
            # The open file pins the bytes checked, whatever is renamed over the key meanwhile.
            with self._path(self.training_bucket, key).open("rb") as handle:
                return self._metadata_of(handle, self._metadata_path(self.training_bucket, key))
        except (FileNotFoundError, IsADirectoryError):
            return None

    @staticmethod
    def _metadata_of(handle: BinaryIO, meta_path: Path) -> dict[str, str]:
        """The metadata recorded for the bytes of ``handle``; empty when none was, or for other bytes."""
        try:
            sidecar = json.loads(meta_path.read_text(encoding="utf-8"))
            described, metadata = ObjectBytes.from_dict(sidecar["object"]), dict(sidecar["metadata"])
        except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError, ValueError):
            # Missing, damaged, or written before metadata recorded its bytes: nothing to trust.
            return {}
        if os.fstat(handle.fileno()).st_size != described.size:
            return {}
        if hashlib.file_digest(handle, "sha256").hexdigest() != described.sha256:
            return {}
        return metadata

    def put_text_if_absent(self, key: str, text: str) -> bool:
        target = self._path(self.training_bucket, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            # A hard link fails when the name exists, and shows the whole file at once.
            os.link(temporary, target)
        except FileExistsError:
            return False
        finally:
            os.unlink(temporary)
        return True

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
        folder = self._path(self.training_bucket, prefix, folder=True)
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            # Hidden names are the temporary files of writes in progress.
            if path.is_file() and not path.name.startswith("."):
                yield path.relative_to(bucket).as_posix()

    def uri(self, key: str) -> str:
        check_key(self.training_bucket, key, folder=True)
        return (self.root / self.training_bucket / key).as_uri() if key else self.uri_of_bucket(self.training_bucket)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        yield self._path(self.training_bucket, key)

    @property
    def scratch_root(self) -> Path:
        # Inside the data directory, so the final copy stays on one file system.
        return self.root / ".scratch"

    def partial_write_folders(self) -> list[Path]:
        # The buckets and .object-metadata: atomic_write_path writes beside each target.
        return [self.root]
