"""What every console script's ``main()`` uses: JSON log lines and one way to end.

Log records are one JSON object per line on stderr (CloudWatch Logs Insights can query them).
However a script ends, a failure is exactly one plain last line ``<script>: error: <message>``
on stderr and an exit code from :mod:`pavi_contracts.exits`, never a traceback
(``PAVI_DEBUG=1`` shows the traceback of an unexpected error). SIGTERM is handled like SIGINT:
the script stops (child processes started with :mod:`subprocess` are killed on the way out)
and exits 143.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, NoReturn

from pavi_contracts.exits import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
)


class JobError(Exception):
    """A failure reported as one line; ``exit_code`` 2 for bad input, 1 otherwise."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class Terminated(BaseException):
    """SIGTERM arrived (a BaseException, like KeyboardInterrupt, so nothing swallows it)."""


def log(job: str, event: str, **fields: Any) -> None:
    """Write one JSON log record to stderr."""
    record = {"ts": round(time.time(), 3), "job": job, "event": event, **fields}
    sys.stderr.write(json.dumps(record, default=str) + "\n")


def fail(job: str, message: str, exit_code: int = EXIT_FAILURE) -> NoReturn:
    """Print the one-line error (whitespace folded) and exit with ``exit_code``."""
    sys.stderr.write(f"{job}: error: {' '.join(message.split())}\n")
    sys.stderr.flush()
    raise SystemExit(exit_code)


def run_main(
    job: str,
    call: Callable[[], object],
    *,
    reported: tuple[type[Exception], ...] = (),
) -> None:
    """Run a script's body; turn every failure into the one line and its exit code.

    ``call`` is typically ``lambda: cli.main(args=argv, prog_name=job, standalone_mode=False)``:
    click's usage errors (anything with ``format_message()`` and ``exit_code``) become the one
    line with their exit code, an int result becomes the exit code. Exceptions in
    ``reported`` are expected failures: their text is the message, exit 1.
    """
    with _sigterm_raises():
        try:
            result = call()
        except JobError as err:
            fail(job, err.message, err.exit_code)
        except KeyboardInterrupt:
            fail(job, "interrupted", EXIT_INTERRUPTED)
        except Terminated:
            fail(job, "terminated", EXIT_TERMINATED)
        except reported as err:
            fail(job, str(err), EXIT_FAILURE)
        except Exception as err:  # noqa: BLE001 (the script's last line of defence)
            _unexpected(job, err)
    if isinstance(result, int) and result:
        raise SystemExit(result)


def _unexpected(job: str, err: Exception) -> NoReturn:
    if isinstance(err.__cause__, KeyboardInterrupt):  # click's Abort
        fail(job, "interrupted", EXIT_INTERRUPTED)
    message, code = getattr(err, "format_message", None), getattr(err, "exit_code", None)
    if callable(message) and isinstance(code, int):  # click's ClickException family
        text = str(message()).rstrip(".")
        if code == EXIT_USAGE:
            text += f" (see `{job} --help`)"
        fail(job, text, code)
    if isinstance(err, RecursionError):
        fail(job, "input nested too deeply to read", EXIT_USAGE)
    if os.environ.get("PAVI_DEBUG"):
        traceback.print_exception(err)
    fail(job, f"unexpected {type(err).__name__}: {err}", EXIT_FAILURE)


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While the body runs, SIGTERM raises :class:`Terminated` in the main thread."""

    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
