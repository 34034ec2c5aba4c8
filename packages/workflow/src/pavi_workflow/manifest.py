"""``DIR/run.json``: what a local run did (request checksum, versions, steps, outputs)."""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pavi_contracts.jobs import JOBS, LIBRARIES

#: Every distribution of the pipeline, libraries then jobs.
DISTRIBUTIONS = (*LIBRARIES, *(job.distribution for job in JOBS))


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions() -> dict[str, str | None]:
    """Installed version of each pipeline package (None when not installed here)."""
    found: dict[str, str | None] = {}
    for dist in DISTRIBUTIONS:
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = None
    return found
