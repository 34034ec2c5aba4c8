"""Upload/download throughput of pavi_common_s3: local moto S3 server vs local file system.

Run by ``nox -s bench`` (never by the tests). Starts its own moto server on localhost and
prints one table: MB/s for 1 MB and 100 MB objects, best and median of a few repetitions.
"""

from __future__ import annotations

import logging
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import boto3
import pavi_common_s3 as storage
from moto.server import ThreadedMotoServer

MB = 1024 * 1024
SIZES = {"1 MB": (1 * MB, 10), "100 MB": (100 * MB, 3)}  # size, repetitions


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rates(size: int, reps: int, run: Callable[[int], None]) -> tuple[float, float]:
    """Best and median MB/s over ``reps`` runs of ``run(i)``."""
    rates = []
    for i in range(reps):
        start = time.perf_counter()
        run(i)
        rates.append(size / MB / (time.perf_counter() - start))
    return max(rates), statistics.median(rates)


def _measure(base: str, source: Path, scratch: Path, size: int, reps: int) -> list[str]:
    up = _rates(size, reps, lambda i: storage.upload_file(source, f"{base}/obj-{i}.bin"))
    down = _rates(size, reps, lambda i: storage.download_file(f"{base}/obj-{i}.bin", scratch / "d"))
    return [f"{up[0]:8.0f} / {up[1]:<6.0f}", f"{down[0]:8.0f} / {down[1]:<6.0f}"]


def main() -> None:
    """Start moto, run the measurements, print the table."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 (moto accepts any credentials)
        AWS_DEFAULT_REGION="us-east-1",
    )
    rows = []
    try:
        boto3.client("s3").create_bucket(Bucket="bench-transfer")
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp)
            for label, (size, reps) in SIZES.items():
                source = scratch / f"source-{label}.bin"
                source.write_bytes(os.urandom(size))
                s3 = _measure(f"s3://bench-transfer/{size}", source, scratch, size, reps)
                fs = _measure(str(scratch / f"fs-{size}"), source, scratch, size, reps)
                rows.append([label, str(reps), *s3, *fs])
    finally:
        server.stop()
    header = ["object", "reps", "S3 up", "S3 down", "file up", "file down"]
    widths = [8, 5, 17, 17, 17, 17]
    print("pavi_common_s3 transfer throughput, MB/s (best / median); S3 = local moto server")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
