"""Job logging and failure reporting shared by the pipeline's console scripts.

Log records are one JSON object per line on stderr (CloudWatch Logs Insights can query them).
A failing job ends with exactly one plain line ``<job>: error: <message>`` on stderr and a
non-zero exit code, never a traceback (``PAVI_DEBUG=1`` shows the traceback of an unexpected
error).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

EXIT_FAILURE = 1
EXIT_USAGE = 2


class JobError(Exception):
    """A failure the job reports as one line; ``exit_code`` 2 for bad input, 1 otherwise."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def log(job: str, event: str, **fields: Any) -> None:
    """Write one JSON log record to stderr."""
    record = {"ts": round(time.time(), 3), "job": job, "event": event, **fields}
    sys.stderr.write(json.dumps(record, default=str) + "\n")


def fail(job: str, message: str, exit_code: int = EXIT_FAILURE) -> NoReturn:
    """Print the one-line error and exit."""
    sys.stderr.write(f"{job}: error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(exit_code)


def run_job(job: str, body: Callable[[], None]) -> None:
    """Run ``body``; turn any failure into the one-line error and its exit code."""
    from pavi_common_s3.errors import StorageError  # noqa: PLC0415 (keep import time low)

    try:
        body()
    except JobError as err:
        fail(job, err.message, err.exit_code)
    except StorageError as err:
        fail(job, str(err), EXIT_FAILURE)
    except KeyboardInterrupt:
        fail(job, "interrupted", 130)
    except Exception as err:  # noqa: BLE001 (the job's last line of defence)
        if os.environ.get("PAVI_DEBUG"):
            traceback.print_exc()
        fail(job, f"unexpected {type(err).__name__}: {err}", EXIT_FAILURE)
