"""Benchmark: byte-range genome access vs the original's whole-file download (prints a table).

A ≥100 MB bgzipped genome (cached between runs) is served from 127.0.0.1 by a Range-capable
server (a child process sending with ``os.sendfile``) that counts the bytes it delivers, on
loopback and on a simulated S3 link (100 MB/s per stream, 10 ms first-byte latency: an EC2
instance reading S3); a 300 MB genome adds a row on that link (real genomes are ~1-3 GB).
For the same 10 entries, each run as a fresh job:
(a) this package (htslib reads the index files and the BGZF blocks it needs over HTTP);
(b) the original's approach (download the FASTA and its indexes, then read the local copy).
Also prints the cold import time of the CLI module. Targets: ≥100x fewer bytes, ≥20x less time,
import ≤0.3 s.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit
import requests
from pavi_seq_retrieval.cli import main as cli_main
from pavi_seq_retrieval.genome import close_genomes

ENTRIES = 10
SIZE_MB = 100  # the genome: at least 100 MB
LARGE_MB = 300  # a second row, still well below real genomes
LINK_RATE = 100e6  # bytes/s: roughly one S3 GET stream into an EC2 instance
LINK_LATENCY = 0.01  # s: S3 first-byte latency is typically 10-20 ms


def run_job(entry: dict[str, Any], out: Path) -> None:
    """One retrieval job in this process, with a cold genome cache (like a fresh container).

    The genome is closed afterwards, as the job's process would exit: its connections end, so
    the server's counters are final without waiting.
    """
    close_genomes()
    args = ["--entry", json.dumps(entry), "--output-prefix", str(out)]
    with contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            cli_main(args)
        except SystemExit as exit_:
            if exit_.code:
                raise RuntimeError(f"job failed: {err.getvalue()}") from None
        finally:
            close_genomes()


def download(url: str, target: Path) -> None:
    """The original's data mover: stream the whole URL into a local file."""
    with requests.get(url, stream=True, timeout=60) as response:
        response.raise_for_status()
        with target.open("wb") as handle:
            for chunk in response.iter_content(chunk_size=1 << 20):
                handle.write(chunk)


def cold_import_seconds(repeats: int = 7) -> tuple[float, float]:
    """Best wall time of `import pavi_seq_retrieval.cli` and of `pass` in fresh interpreters.

    Bytecode is cached in a private folder first (an installed image has compiled .pyc files).
    """
    cache = tempfile.mkdtemp(prefix="pavi-pycache-")
    env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        best = {}
        for code in ("import pavi_seq_retrieval.cli", "pass"):
            subprocess.run([sys.executable, "-c", code], env=env, check=True)  # warm the cache
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-c", code], env=env, check=True)
                times.append(time.perf_counter() - started)
            best[code] = min(times)
        return best["import pavi_seq_retrieval.cli"], best["pass"]
    finally:
        shutil.rmtree(cache, ignore_errors=True)


Samples = tuple[list[int], list[float], list[int]]  # bytes, seconds, HTTP requests per entry


def measure(genome: Path, options: dict[str, float]) -> tuple[dict[str, Samples], bool]:
    """Run both approaches on one simulated link; return their byte counts, times, requests."""
    work = Path(tempfile.mkdtemp(prefix="pavi-bench-"))
    results: dict[str, Samples] = {}
    try:
        with benchkit.RangeServer(genome.parent, **options) as server:
            url = server.url + genome.name
            entries = benchkit.make_entries(genome, ENTRIES, seed=11, fasta_file_url=url)
            run_job(entries[0], work / "warm-up")  # imports happen once, outside the timings
            byte_counts, seconds, request_counts = [], [], []
            for entry in entries:
                server.reset()
                begin = time.perf_counter()
                run_job(entry, work / "ranges")
                seconds.append(time.perf_counter() - begin)
                byte_counts.append(server.bytes_sent)
                request_counts.append(len(server.requests))
            results["(a) byte ranges (htslib)"] = (byte_counts, seconds, request_counts)
            byte_counts, seconds, request_counts = [], [], []
            for entry in entries:
                server.reset()
                begin = time.perf_counter()
                local = work / "download"
                local.mkdir(exist_ok=True)
                for suffix in ("", ".fai", ".gzi"):
                    download(url + suffix, local / (genome.name + suffix))
                run_job({**entry, "fasta_file_url": (local / genome.name).as_uri()}, work / "whole")
                seconds.append(time.perf_counter() - begin)
                shutil.rmtree(local)
                byte_counts.append(server.bytes_sent)
                request_counts.append(len(server.requests))
            results["(b) download whole file"] = (byte_counts, seconds, request_counts)
        same = (
            all(
                (work / "ranges" / p.name).read_bytes() == p.read_bytes()
                for p in (work / "whole").iterdir()
            )
            and len(list((work / "ranges").iterdir())) == 2 * ENTRIES
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results, same


def print_table(link: str, results: dict[str, Samples], same: bool) -> None:
    """One table: bytes, HTTP requests and wall time per approach, and the ratios."""
    print(f"\n{link}")
    header = (
        f"{'approach':<28} {'bytes/entry':>14} {'total MB':>10} {'req/entry':>9} "
        f"{'s/entry':>9} {'total s':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, (counts, times, request_counts) in results.items():
        print(
            f"{name:<28} {statistics.mean(counts):>14,.0f} {sum(counts) / 1e6:>10.2f} "
            f"{statistics.mean(request_counts):>9.1f} {statistics.mean(times):>9.3f} "
            f"{sum(times):>9.2f}"
        )
    print("-" * len(header))
    (a_bytes, a_time, _), (b_bytes, b_time, _) = results.values()
    byte_ratio = sum(b_bytes) / sum(a_bytes)
    time_ratio = sum(b_time) / sum(a_time)
    print(f"{'ratio (b)/(a)':<28} {byte_ratio:>13.0f}x {'':>10} {'':>9} {time_ratio:>8.1f}x")
    print(
        f"targets: bytes >=100x {'MET' if byte_ratio >= 100 else 'MISSED'}, "
        f"time >=20x {'MET' if time_ratio >= 20 else 'MISSED'}; outputs identical: {same}"
    )


def main() -> None:
    """Build (or reuse) the genomes, run both approaches per setting, print the tables."""
    started = time.perf_counter()
    cache = benchkit.default_cache_dir()
    genomes = {size: benchkit.make_genome(cache, size_mb=size) for size in (SIZE_MB, LARGE_MB)}
    prepared = time.perf_counter() - started
    s3 = f"simulated S3 link ({LINK_RATE / 1e6:.0f} MB/s, {LINK_LATENCY * 1000:.0f} ms)"
    s3_link = {"rate": LINK_RATE, "latency": LINK_LATENCY}
    settings: list[tuple[int, str, dict[str, float]]] = [
        (SIZE_MB, "loopback (no limit)", {}),
        (SIZE_MB, s3, s3_link),
        (LARGE_MB, s3, s3_link),  # real genomes: ~1 GB (human), 2.8 GB (mouse)
    ]
    tables = [
        (f"{genomes[size].stat().st_size / 1e6:.0f} MB genome, {link}", *measure(genomes[size], o))
        for size, link, o in settings
    ]
    imported, baseline = cold_import_seconds()
    names = ", ".join(g.name for g in genomes.values())
    print(f"\ngenomes: {names}  (prepared in {prepared:.1f} s)")
    print(f"entries: {ENTRIES} (fresh genome cache per entry, like one Batch job each)")
    for link, results, same in tables:
        print_table(link, results, same)
    print(
        f"cold import of pavi_seq_retrieval.cli: {imported:.3f} s best of 7 "
        f"(bare interpreter: {baseline:.3f} s; target <=0.3 s: "
        f"{'MET' if imported <= 0.3 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
