"""A write to LocalStorage killed half-way never shows under the object's final name.

A forked child process stores a file whose bytes come from a pipe this test feeds, so the write is
stopped mid-way deterministically (no timing): more than one copy chunk is fed, the test waits
until that much is on disk, and the child is killed with SIGKILL (no ``finally`` runs). All the
while, and after, a reader of the final name sees the old object whole. Issue 16: copying
straight to the final name survived the suite, whose test only looked for ``.part`` leftovers
after a run that finished.
"""

import contextlib
import os
import signal
import time
from pathlib import Path

from basketball_assets.resources.local_files import COPY_CHUNK
from basketball_assets.resources.storage import LocalStorage

KEY = "games/g/clips/p_broadcast.mp4"
OLD = b"old whole clip " * 1000
#: Fed before the kill: two chunks and a bit, so the copy has written at least one chunk.
FED = 2 * COPY_CHUNK + 1234
#: Seconds allowed for the child to start and copy (a hang is a failure, not a figure).
HANG_S = 60


def start_writer(storage: LocalStorage, source: Path) -> int:
    """A child process (forked: nothing to import again) storing ``source`` under KEY; its pid."""
    pid = os.fork()
    if pid == 0:  # the child: write, then leave without running the parent's pytest machinery
        code = 1
        try:
            storage.put_file(KEY, source)
            code = 0
        finally:
            os._exit(code)
    return pid


def running(pid: int) -> bool:
    return os.waitpid(pid, os.WNOHANG) == (0, 0)


def open_pipe_for_writing(fifo: Path, writer: int) -> int:
    """The pipe's write end, once the child has opened its read end."""
    deadline = time.monotonic() + HANG_S
    while True:
        try:
            descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: no reader yet
            assert running(writer), "the writer exited before reading"
            assert time.monotonic() < deadline, "the writer never opened the pipe"
            time.sleep(0.05)
            continue
        os.set_blocking(descriptor, True)
        return descriptor


def bytes_in_progress(folder: Path, final: Path) -> int:
    """Bytes written so far by a write to ``final``, under whatever name it writes them."""
    sizes = [path.stat().st_size for path in folder.iterdir() if path.is_file() and path != final]
    return max(sizes, default=0)


def test_a_write_killed_half_way_leaves_the_old_object_whole_under_its_name(tmp_path: Path) -> None:
    storage = LocalStorage(data_dir=str(tmp_path / "data"))
    old = tmp_path / "old.mp4"
    old.write_bytes(OLD)
    storage.put_file(KEY, old)
    with storage.local_copy(KEY) as final:
        pass
    fifo = tmp_path / "new.mp4"
    os.mkfifo(fifo)

    writer = start_writer(storage, fifo)
    try:
        pipe = open_pipe_for_writing(fifo, writer)
        assert final.read_bytes() == OLD  # the write has begun (the pipe is open): still the old object
        os.write(pipe, b"n" * FED)
        deadline = time.monotonic() + HANG_S
        while bytes_in_progress(final.parent, final) < COPY_CHUNK:
            assert final.read_bytes() == OLD, "the final name shows a partial write"
            assert running(writer) and time.monotonic() < deadline, "the writer never wrote a chunk"
            time.sleep(0.01)
        assert final.read_bytes() == OLD
        os.kill(writer, signal.SIGKILL)
        _, status = os.waitpid(writer, 0)
        writer = None
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        os.close(pipe)
    finally:
        if writer is not None:  # an assertion failed first: do not leave the child behind
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(writer, signal.SIGKILL)
                os.waitpid(writer, 0)

    assert final.read_bytes() == OLD
    assert stored_keys(storage) == [KEY]  # the half-written temporary is hidden from readers


def stored_keys(storage: LocalStorage) -> list[str]:
    return list(storage.list_keys("games/"))
