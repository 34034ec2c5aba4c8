"""Writing ``report.html`` into a results prefix (after the merge, or from existing results)."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pavi_common_s3 as storage
from pavi_common_s3.uri import parse
from pavi_contracts.exits import EXIT_USAGE
from pavi_contracts.files import REPORT
from pavi_contracts.harness import JobError

from pavi_seqinfo_align.report import Provenance

#: Distributions whose versions the report names (those this job runs with).
DISTRIBUTIONS = ("pavi-seqinfo-align", "pavi-contracts", "pavi-common-s3")


def provenance(request_uri: str | None, results_prefix: str | None = None) -> Provenance:
    """Versions, the request's sha256 (read from ``request_uri`` when given) and now (UTC).

    A local request is named relative to the results folder (``../work/request.json``), which
    stays true when a local run's folders are moved into place after it succeeds.
    """
    digest = None
    if request_uri is not None:
        try:
            digest = hashlib.sha256(storage.read_bytes(request_uri)).hexdigest()
        except storage.ObjectNotFound:
            raise JobError(f"{request_uri}: request file not found", EXIT_USAGE) from None
    versions = {}
    for dist in DISTRIBUTIONS:
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = "not installed"
    return Provenance(
        versions=versions,
        generated=datetime.now(UTC).replace(microsecond=0),
        request_sha256=digest,
        request=_shown(request_uri, results_prefix),
    )


def _shown(request_uri: str | None, results_prefix: str | None) -> str | None:
    """How the report names the request: its URI, or a local one relative to the results."""
    if request_uri is None or results_prefix is None:
        return request_uri
    request, results = parse(request_uri), parse(results_prefix)
    if request.kind != "local" or results.kind != "local":
        return request_uri
    return os.path.relpath(Path(request.path).resolve(), Path(results.path).resolve())


def write_report(results_prefix: str, html: str) -> str:
    """Write ``RESULTS/report.html`` (atomically, locally and on S3); return its URI."""
    uri = storage.join(results_prefix, REPORT)
    storage.write_text(uri, html)
    return uri
