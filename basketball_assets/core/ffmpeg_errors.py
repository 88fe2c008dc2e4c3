"""Why ffmpeg or PyAV failed: the source (reject the play) or the machine (fail the step).

A play whose video cannot be decoded is rejected with a reason, and cutting it again will
fail the same way. A disk that is full, memory that ran out or a process that was killed
says nothing about the play: rejecting it would drop it from the dataset until the plays
change, so such a failure fails the step instead, and the step's retry policy (and then a
person) tries again. Which one it was is read from ffmpeg's exit status and error output,
or from the ``errno`` of an ``OSError`` (PyAV raises ``OSError`` subclasses with one).
"""

from __future__ import annotations

import errno
import os
import re
import signal
from dataclasses import dataclass

#: errno values that mean the machine failed, with what to say and what to do next.
MACHINE_ERRNOS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on device", "free space and re-run"),
    errno.EDQUOT: ("disk quota exceeded", "free space or raise the quota, and re-run"),
    errno.EFBIG: ("file too large (file system or file size limit)", "raise the limit or use another disk, and re-run"),
    errno.ENOMEM: ("out of memory", "free memory (run fewer steps at once) and re-run"),
    errno.EAGAIN: ("resource temporarily unavailable (threads or memory)", "re-run when the machine is less busy"),
    errno.EMFILE: ("too many open files", "raise the open-file limit or run fewer steps at once, and re-run"),
    errno.ENFILE: ("too many open files on the machine", "run fewer steps at once and re-run"),
    errno.EIO: ("input/output error", "check the disk, then re-run"),
}

#: Signals that kill a process from outside (a person, the OOM killer, a limit, a crash):
#: a shell between us and ffmpeg reports them as exit status 128 + the signal's number.
KILL_SIGNALS = frozenset(
    {
        signal.SIGHUP,
        signal.SIGINT,
        signal.SIGQUIT,
        signal.SIGABRT,
        signal.SIGBUS,
        signal.SIGKILL,
        signal.SIGSEGV,
        signal.SIGTERM,
        signal.SIGXCPU,
        signal.SIGXFSZ,
    }
)

#: What ffmpeg prints when it stops on a signal it caught (it then exits with status 255).
_RECEIVED_SIGNAL = re.compile(r"received signal (\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class FailureCause:
    """Why a cut failed: ``machine`` or not (the source), what happened, what to do, and the evidence."""

    machine: bool
    what: str
    advice: str
    detail: str

    def describe(self, task: str) -> str:
        """One line: "the machine: <what> while <task>; <advice> (<detail>)", or "the source: ..."."""
        if self.machine:
            return f"the machine: {self.what} while {task}; {self.advice} ({self.detail})"
        return f"the source: {self.what} while {task}: {self.detail}"


class MachineFailure(RuntimeError):
    """The machine failed while cutting (not the source): the step fails and is retried; no play is rejected."""

    def __init__(self, cause: FailureCause, task: str):
        super().__init__(cause.describe(task))
        self.cause = cause
        self.task = task


def signal_name(number: int) -> str:
    """``9`` -> ``"SIGKILL"``; a number without a name stays a number."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def killed(number: int, detail: str) -> FailureCause:
    """A process killed by signal ``number``."""
    advice = "re-run; if it happens again, check memory (the OOM killer) and the process limits"
    return FailureCause(True, f"ffmpeg was killed by {signal_name(number)}", advice, detail)


def machine_errno(stderr: str, returncode: int | None = None) -> int | None:
    """The machine errno ffmpeg's error output names (its ``strerror`` text), else the one its
    exit status encodes (ffmpeg exits with ``AVERROR(e) & 0xff``, i.e. 256 - errno)."""
    lowered = stderr.lower()
    for number in MACHINE_ERRNOS:
        if _strerror(number).lower() in lowered:
            return number
    if returncode is not None and 0 < returncode < 256 and (256 - returncode) in MACHINE_ERRNOS:
        return 256 - returncode
    return None


def ffmpeg_failure(returncode: int, stderr: str) -> FailureCause:
    """Why an ffmpeg process that exited with ``returncode`` failed, from its exit status and
    error output: the machine (signal, a machine errno) or else the source."""
    detail = evidence(stderr)
    if returncode < 0:  # subprocess's way of saying "killed by signal -returncode"
        return killed(-returncode, detail or f"exit status {returncode}")
    number = machine_errno(stderr, returncode)
    if number is not None:
        what, advice = MACHINE_ERRNOS[number]
        return FailureCause(True, what, advice, evidence(stderr, _strerror(number)) or f"exit status {returncode}")
    received = _RECEIVED_SIGNAL.search(stderr)
    if received:
        return killed(int(received.group(1)), detail)
    if returncode - 128 in KILL_SIGNALS:  # through a shell: 128 + the signal's number
        return killed(returncode - 128, detail or f"exit status {returncode}")
    return FailureCause(False, "ffmpeg failed", "", detail or f"exit status {returncode}")


def os_error_failure(number: int | None, message: str) -> FailureCause:
    """Why an ``OSError`` with errno ``number`` (PyAV's, or writing a file) stopped a cut."""
    if number in MACHINE_ERRNOS:
        what, advice = MACHINE_ERRNOS[number]
        return FailureCause(True, what, advice, message)
    return FailureCause(False, "PyAV failed", "", message)


def evidence(stderr: str, containing: str = "") -> str:
    """The line of ffmpeg's error output that says what happened (the first one ``containing``
    the given text), else its last three lines, on one line."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    if containing:
        for line in lines:
            if containing.lower() in line.lower():
                return line
    return " / ".join(lines[-3:])


def _strerror(number: int) -> str:
    """The C library's text for ``number`` (what ffmpeg prints), e.g. "No space left on device"."""
    return os.strerror(number)
