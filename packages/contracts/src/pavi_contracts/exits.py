"""Exit codes every PAVI console script uses (one policy for every job and for ``pavi``)."""

from __future__ import annotations

from typing import Final

EXIT_OK: Final = 0
#: Any failure that is not the caller's input: storage, network, a tool, a recorded error.
EXIT_FAILURE: Final = 1
#: Bad input: usage errors, a request or file that fails validation.
EXIT_USAGE: Final = 2
#: Stopped by SIGINT (128 + 2), as shells report it.
EXIT_INTERRUPTED: Final = 130
#: Stopped by SIGTERM (128 + 15), how Batch and ``docker stop`` end a container.
EXIT_TERMINATED: Final = 143
