"""Stopping a run: every job in its own process group, all of them ended on SIGINT/SIGTERM.

Each job starts in a new session (``start_new_session=True``), so its process group holds the
job and whatever it starts (clustalo, a container engine's children). :meth:`JobGroups.stop`
sends SIGTERM to every running job's group; groups still alive :data:`GRACE_SECONDS` later (or
at a second signal) get SIGKILL. The runner waits for every job before it returns, so nothing
of a stopped run writes into the run folder after ``pavi run`` has exited.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence
from typing import IO

from pavi_contracts.exits import EXIT_INTERRUPTED, EXIT_TERMINATED

#: Seconds between SIGTERM and SIGKILL for jobs that do not end.
GRACE_SECONDS = 10.0
#: The signals that stop a run, and ``pavi run``'s exit code for each.
STOP_SIGNALS = {signal.SIGINT: EXIT_INTERRUPTED, signal.SIGTERM: EXIT_TERMINATED}


class JobGroups:
    """The running jobs (one process group each) of a run; ``stop`` ends them all."""

    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self.grace = grace
        self.signum: int | None = None
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def stopping(self) -> bool:
        """True once a stop signal arrived: no new job starts."""
        return self.signum is not None

    def start(
        self, argv: Sequence[str], log: IO[bytes], pass_fds: Sequence[int] = ()
    ) -> subprocess.Popen[bytes] | None:
        """Start a job in its own process group (None when the run is stopping)."""
        with self._lock:
            if self.stopping():
                return None
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=tuple(pass_fds),
            )
            self._procs[proc.pid] = proc
        if self.stopping():  # a stop that came while it was starting
            _kill_group(proc, signal.SIGTERM)
        return proc

    def wait(self, proc: subprocess.Popen[bytes]) -> int:
        """Wait for a job; after a stop, kill what is left of its group; return its code."""
        code = proc.wait()
        if self.stopping():
            _kill_group(proc, signal.SIGKILL, reaped=True)
        with self._lock:
            self._procs.pop(proc.pid, None)
        return code

    def stop(self, signum: int) -> None:
        """SIGTERM every job's group (SIGKILL at a second stop or after the grace time)."""
        first = self.signum is None
        if first:
            self.signum = signum
        for proc in list(self._procs.values()):
            _kill_group(proc, signal.SIGTERM if first else signal.SIGKILL)
        if first:
            self._timer = threading.Timer(self.grace, self.kill)
            self._timer.daemon = True
            self._timer.start()

    def kill(self) -> None:
        """SIGKILL every running job's group."""
        for proc in list(self._procs.values()):
            _kill_group(proc, signal.SIGKILL)

    def close(self) -> None:
        """Cancel the pending SIGKILL (every job has ended)."""
        if self._timer is not None:
            self._timer.cancel()


def _kill_group(proc: subprocess.Popen[bytes], sig: int, *, reaped: bool = False) -> None:
    """Signal the job's process group (its pid: it leads a new session); gone is fine.

    ``reaped``: the leader was just waited for; its group may still hold processes it started.
    """
    if proc.returncode is not None and not reaped:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


@contextlib.contextmanager
def stop_on_signals(groups: JobGroups) -> Iterator[None]:
    """While the body runs, SIGINT and SIGTERM stop the run's jobs (main thread only).

    A signal ignored when pavi started (SIGINT of a background job in a script) stays ignored.
    """

    def handler(signum: int, frame: object) -> None:
        del frame
        groups.stop(signum)

    previous = {
        sig: signal.signal(sig, handler)
        for sig in STOP_SIGNALS
        if signal.getsignal(sig) is not signal.SIG_IGN
    }
    try:
        yield
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)
        groups.close()


def exit_code(signum: int) -> int:
    """130 for SIGINT, 143 for SIGTERM."""
    return STOP_SIGNALS.get(signal.Signals(signum), 128 + signum)
