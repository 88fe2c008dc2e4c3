"""Telling the machine's failures from the source's, on the error output of real ffmpeg runs.

Each stderr below was printed by the ffmpeg that imageio-ffmpeg ships (7.x), with the exit
status it returned, in the situation named: writing to ``/dev/full`` (ENOSPC), under
``ulimit -f`` with SIGXFSZ ignored (EFBIG), under ``ulimit -v`` (ENOMEM, EAGAIN), on a file
of random bytes and on a truncated mp4 (the source), and stopped with SIGTERM.
"""

import errno
import signal

import pytest

from basketball_assets.core.ffmpeg_errors import (
    FailureCause,
    MachineFailure,
    evidence,
    ffmpeg_failure,
    machine_errno,
    os_error_failure,
)

NO_SPACE = """\
[out#0/mp4 @ 0x5625bbd9fec0] Could not write header (incorrect codec parameters ?): No space left on device
[vf#0:0 @ 0x5625bbd93740] Error sending frames to consumers: No space left on device
[vf#0:0 @ 0x5625bbd93740] Task finished with error code: -28 (No space left on device)
[vf#0:0 @ 0x5625bbd93740] Terminating thread with return code -28 (No space left on device)
[out#0/mp4 @ 0x5625bbd9fec0] Nothing was written into output file, because at least one of its streams received no packets.
"""  # noqa: E501  (ffmpeg's own lines)
FILE_TOO_LARGE = """\
[out#0/mp4 @ 0x55e87871c900] Error writing trailer: File too large
[out#0/mp4 @ 0x55e87871c900] Error closing file: File too large
"""
# The reason is on the first line only: the last ones blame the encoder that got no frames.
OUT_OF_MEMORY = """\
[vf#0:0 @ 0x55afb58ea840] Error while filtering: Cannot allocate memory
[vf#0:0 @ 0x55afb58ea840] Task finished with error code: -12 (Cannot allocate memory)
[vf#0:0 @ 0x55afb58ea840] Terminating thread with return code -12 (Cannot allocate memory)
[vost#0:0/libx264 @ 0x55afb58e7b40] [enc:libx264 @ 0x55afb58e85c0] Could not open encoder before EOF
[vost#0:0/libx264 @ 0x55afb58e7b40] Task finished with error code: -22 (Invalid argument)
[vost#0:0/libx264 @ 0x55afb58e7b40] Terminating thread with return code -22 (Invalid argument)
[out#0/mp4 @ 0x55afb58e6dc0] Nothing was written into output file, because at least one of its streams received no packets.
"""  # noqa: E501  (ffmpeg's own lines)
# Also out of memory, but ffmpeg printed only the encoder's complaint: the exit status says ENOMEM.
OUT_OF_MEMORY_QUIET = """\
[vost#0:0/libx264 @ 0x5599bca7fb40] [enc:libx264 @ 0x5599bca805c0] Could not open encoder before EOF
[vost#0:0/libx264 @ 0x5599bca7fb40] Task finished with error code: -22 (Invalid argument)
"""
NO_THREADS = "[vost#0:0/libx264 @ 0x5645dbeae380] pthread_create() failed: Resource temporarily unavailable\n"
GARBAGE = """\
[in#0 @ 0x55c1c083f100] moov atom not found
[in#0 @ 0x55c1c083ed80] Error opening input: Invalid data found when processing input
Error opening input file garbage.mp4.
Error opening input files: Invalid data found when processing input
"""
STOPPED = "Exiting normally, received signal 15.\n"


@pytest.mark.parametrize(
    ("returncode", "stderr", "what", "line"),
    [
        (228, NO_SPACE, "no space left on device", "Could not write header"),
        (229, FILE_TOO_LARGE, "file too large", "Error writing trailer: File too large"),
        (244, OUT_OF_MEMORY, "out of memory", "Error while filtering: Cannot allocate memory"),
        (244, OUT_OF_MEMORY_QUIET, "out of memory", "Could not open encoder"),
        (245, NO_THREADS, "resource temporarily unavailable", "pthread_create() failed"),
    ],
    ids=["ENOSPC", "EFBIG", "ENOMEM", "ENOMEM-by-exit-status", "EAGAIN"],
)
def test_a_machine_errno_is_the_machine_with_the_line_that_says_so(returncode, stderr, what, line):
    cause = ffmpeg_failure(returncode, stderr)

    assert cause.machine and cause.what.startswith(what)
    assert line in cause.detail


@pytest.mark.parametrize("returncode", [-signal.SIGKILL, 128 + signal.SIGKILL, -signal.SIGXFSZ, 128 + signal.SIGTERM])
def test_a_process_killed_by_a_signal_is_the_machine(returncode):
    cause = ffmpeg_failure(returncode, "")

    assert cause.machine and signal.Signals(abs(returncode) % 128).name in cause.what
    assert cause.detail == f"exit status {returncode}"


def test_ffmpeg_stopped_by_a_signal_it_caught_is_the_machine():
    cause = ffmpeg_failure(255, STOPPED)

    assert cause.machine and "SIGTERM" in cause.what


@pytest.mark.parametrize(
    ("returncode", "stderr"),
    [(183, GARBAGE), (1, "[h264 @ 0x1] Invalid NAL unit size (1389 > 512).\n"), (187, "")],
    ids=["invalid-data", "decode-error", "no-output"],
)
def test_anything_else_is_the_source(returncode, stderr):
    cause = ffmpeg_failure(returncode, stderr)

    assert not cause.machine
    assert cause.detail == (" / ".join(stderr.strip().splitlines()[-3:]) or f"exit status {returncode}")


def test_the_source_says_so_and_gives_ffmpegs_reason():
    message = ffmpeg_failure(183, GARBAGE).describe("cutting 1.000-3.000 s of Games/g/BroadcastHalf1.mp4")

    assert message.startswith("the source: ffmpeg failed while cutting 1.000-3.000 s of Games/g/BroadcastHalf1.mp4: ")
    assert message.endswith("Error opening input files: Invalid data found when processing input")


def test_a_machine_failure_says_what_happened_and_what_to_do():
    error = MachineFailure(ffmpeg_failure(228, NO_SPACE), "cutting play p of game g")

    assert str(error).startswith(
        "the machine: no space left on device while cutting play p of game g; free space and re-run ("
    )
    assert error.cause.machine and error.task == "cutting play p of game g"


def test_the_errno_named_in_the_output_wins_over_the_exit_status():
    assert machine_errno(NO_SPACE, 1) == errno.ENOSPC
    assert machine_errno("", 256 - errno.ENOMEM) == errno.ENOMEM
    assert machine_errno(GARBAGE, 183) is None


@pytest.mark.parametrize("number", [errno.ENOSPC, errno.ENOMEM, errno.EAGAIN, errno.EDQUOT])
def test_an_os_error_with_a_machine_errno_is_the_machine(number):
    cause = os_error_failure(number, "[Errno 28] No space left on device: '/data/.scratch/x/p_broadcast.mp4'")

    assert cause.machine and cause.detail.endswith("p_broadcast.mp4'")


@pytest.mark.parametrize("number", [errno.EINVAL, None])
def test_an_os_error_without_a_machine_errno_is_the_source(number):
    assert os_error_failure(number, "Invalid argument") == FailureCause(False, "PyAV failed", "", "Invalid argument")


def test_a_killed_process_says_which_signal_and_what_to_do():
    message = ffmpeg_failure(-signal.SIGKILL, "").describe("cutting play p")

    assert message == (
        "the machine: ffmpeg was killed by SIGKILL while cutting play p; re-run; if it happens again, check "
        "memory (the OOM killer) and the process limits (exit status -9)"
    )


def test_a_caught_signal_keeps_ffmpegs_line_as_the_evidence():
    assert ffmpeg_failure(255, STOPPED).detail == "Exiting normally, received signal 15."


def test_exit_status_0_with_an_error_is_the_source_not_a_signal():
    assert ffmpeg_failure(0, "[mp4 @ 0x1] error\n") == FailureCause(False, "ffmpeg failed", "", "[mp4 @ 0x1] error")


def test_an_os_error_with_a_machine_errno_says_what_happened_and_what_to_do():
    assert os_error_failure(errno.ENOSPC, "[Errno 28]") == FailureCause(
        True, "no space left on device", "free space and re-run", "[Errno 28]"
    )


def test_evidence_is_the_last_three_lines_without_a_text_to_look_for():
    assert evidence("one\nXXXX two\n\nthree\nfour\n") == "XXXX two / three / four"
    assert evidence("a\n b \nc\nd", containing="B") == "b"
