"""Bounded retries, with backoff, of reads whose body breaks off mid-transfer.

botocore and urllib3 retry a request until its answer starts; a connection that drops while
the body is being read (``IncompleteRead``, a reset, a read timeout) surfaces afterwards, so
the whole request is sent again here, as for any other transient error.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pavi_common_s3.errors import StorageError

BACKOFF_BASE = 0.2  # seconds before the 2nd attempt; doubled each time
BACKOFF_CAP = 5.0  # seconds: no wait is longer


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): 0.2, 0.4, 0.8 … ≤ 5."""
    return float(min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_CAP))


def read_with_retries(
    read_once: Callable[[], bytes],
    uri: str,
    attempts: int,
    transient: tuple[type[BaseException], ...],
) -> bytes:
    """``read_once()``, sent again (at most ``attempts`` times in all) on a ``transient`` error."""
    for attempt in range(1, attempts + 1):
        try:
            return read_once()
        except transient as err:
            if attempt >= attempts:
                raise StorageError(
                    uri,
                    f"the body broke off mid-transfer ({type(err).__name__}: {err}); "
                    f"gave up after {attempts} attempts",
                ) from err
            time.sleep(backoff(attempt))
    raise StorageError(uri, "no read attempt was made")  # attempts < 1
