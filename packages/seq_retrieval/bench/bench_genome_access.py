"""Benchmark: remote genome access, old htslib path vs the BGZF reader (prints tables).

A ≥100 MB bgzipped genome (cached between runs) is served from 127.0.0.1 by a Range-capable
server (a child process sending with ``os.sendfile``) that counts the bytes it delivers and
logs every request, on a simulated S3 link (100 MB/s per stream, 10 ms first-byte latency: an
EC2 instance reading S3); a 300 MB genome adds a setting (real genomes are ~1-3 GB).
For the same 10 entries, each run as a fresh job, side by side per entry:
- htslib (0.1.0): pysam reads the FASTA over HTTP itself (``htslib_genome.py``, bench only);
- BGZF reader (0.2.0): what the package ships (closed ranges through pavi_common_s3);
- and, as a reference, the original's whole-file download.
Then a local file read by pysam (shipped) vs by the reader, and the CLI's cold import time.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit
import requests
from htslib_genome import HtslibGenome
from pavi_seq_retrieval import genome as genome_module
from pavi_seq_retrieval.cli import main as cli_main
from pavi_seq_retrieval.genome import close_genomes
from pavi_seq_retrieval.remote_genome import RemoteGenome

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


@dataclass
class Sample:
    """One entry's job under one approach."""

    entry: str
    requests: int
    bytes: int
    seconds: float


@contextlib.contextmanager
def genome_reader(name: str) -> Iterator[None]:
    """Make ``open_genome`` use the 0.1.0 htslib path (``htslib``), the reader for every URL,
    local files included (``reader-everywhere``), or leave it as shipped (``shipped``)."""
    original = genome_module._new_genome
    if name == "htslib":
        genome_module._new_genome = HtslibGenome
    elif name == "reader-everywhere":
        genome_module._new_genome = RemoteGenome
    try:
        yield
    finally:
        genome_module._new_genome = original


APPROACHES = {
    "htslib (0.1.0)": "htslib",
    "BGZF reader (0.2.0)": "shipped",
}
DOWNLOAD = "download whole file"


def measure(genome: Path, options: dict[str, float]) -> tuple[dict[str, list[Sample]], bool]:
    """Run every approach on one simulated link; per entry: requests, bytes, seconds."""
    work = Path(tempfile.mkdtemp(prefix="pavi-bench-"))
    results: dict[str, list[Sample]] = {}
    try:
        with benchkit.RangeServer(genome.parent, **options) as server:
            url = server.url + genome.name
            entries = benchkit.make_entries(genome, ENTRIES, seed=11, fasta_file_url=url)
            for label, reader in APPROACHES.items():
                with genome_reader(reader):
                    run_job(entries[0], work / "warm-up")  # imports once, outside the timings
                    samples = []
                    for entry in entries:
                        server.reset()
                        begin = time.perf_counter()
                        run_job(entry, work / reader)
                        seconds = time.perf_counter() - begin
                        samples.append(
                            Sample(
                                entry["unique_entry_id"],
                                len(server.requests),
                                server.bytes_sent,
                                seconds,
                            )
                        )
                results[label] = samples
            samples = []
            for entry in entries:
                server.reset()
                begin = time.perf_counter()
                local = work / "download"
                local.mkdir(exist_ok=True)
                for suffix in ("", ".fai", ".gzi"):
                    download(url + suffix, local / (genome.name + suffix))
                run_job({**entry, "fasta_file_url": (local / genome.name).as_uri()}, work / "whole")
                seconds = time.perf_counter() - begin
                shutil.rmtree(local)
                samples.append(
                    Sample(
                        entry["unique_entry_id"], len(server.requests), server.bytes_sent, seconds
                    )
                )
            results[DOWNLOAD] = samples
        same = all(same_folders(work / "whole", work / r) for r in APPROACHES.values())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results, same


def same_folders(left: Path, right: Path) -> bool:
    """Both folders hold the same files, byte for byte (two per entry)."""
    names = sorted(p.name for p in left.iterdir())
    return (
        names == sorted(p.name for p in right.iterdir())
        and len(names) == 2 * ENTRIES
        and all((left / n).read_bytes() == (right / n).read_bytes() for n in names)
    )


def print_entries(results: dict[str, list[Sample]]) -> None:
    """Per entry: requests, bytes and seconds of the old and the new path, side by side."""
    old, new = (results[label] for label in APPROACHES)
    header = (
        f"{'entry':<24} {'old req':>7} {'old bytes':>11} {'old s':>7}   "
        f"{'new req':>7} {'new bytes':>11} {'new s':>7}"
    )
    print(header)
    print("-" * len(header))
    for a, b in zip(old, new, strict=True):
        print(
            f"{a.entry[:24]:<24} {a.requests:>7} {a.bytes:>11,} {a.seconds:>7.3f}   "
            f"{b.requests:>7} {b.bytes:>11,} {b.seconds:>7.3f}"
        )


def print_summary(link: str, results: dict[str, list[Sample]], same: bool) -> None:
    """Means per approach, and the ratios to the whole-file download."""
    print(f"\n{link}")
    print_entries(results)
    header = f"{'approach':<24} {'req/entry':>9} {'bytes/entry':>13} {'s/entry':>9} {'bytes x':>8}"
    print(header)
    print("-" * len(header))
    whole = results[DOWNLOAD]
    for label, samples in results.items():
        ratio = sum(s.bytes for s in whole) / max(1, sum(s.bytes for s in samples))
        print(
            f"{label:<24} {statistics.mean(s.requests for s in samples):>9.1f} "
            f"{statistics.mean(s.bytes for s in samples):>13,.0f} "
            f"{statistics.mean(s.seconds for s in samples):>9.3f} {ratio:>7.0f}x"
        )
    print(f"outputs identical across approaches: {same}")


def local_comparison(genome: Path) -> None:
    """A local genome: pysam (shipped) vs the BGZF reader on the same file, per fresh job."""
    work = Path(tempfile.mkdtemp(prefix="pavi-bench-local-"))
    entries = benchkit.make_entries(genome, ENTRIES, seed=11)
    timings: dict[str, list[float]] = {}
    try:
        for reader in ("shipped", "reader-everywhere"):
            with genome_reader(reader):
                run_job(entries[0], work / "warm-up")
                times = []
                for entry in entries:
                    begin = time.perf_counter()
                    run_job(entry, work / reader)
                    times.append(time.perf_counter() - begin)
                timings[reader] = times
        same = same_folders(work / "shipped", work / "reader-everywhere")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nlocal file {genome.name}: seconds per entry (fresh job each)")
    for reader, label in (("shipped", "pysam/htslib"), ("reader-everywhere", "BGZF reader")):
        times = timings[reader]
        print(f"{label:<14} mean {statistics.mean(times):.4f}  best {min(times):.4f}")
    print(f"outputs identical: {same}")


def main() -> None:
    """Build (or reuse) the genomes, run both approaches per setting, print the tables."""
    started = time.perf_counter()
    cache = benchkit.default_cache_dir()
    genomes = {size: benchkit.make_genome(cache, size_mb=size) for size in (SIZE_MB, LARGE_MB)}
    prepared = time.perf_counter() - started
    s3 = f"simulated S3 link ({LINK_RATE / 1e6:.0f} MB/s, {LINK_LATENCY * 1000:.0f} ms)"
    s3_link = {"rate": LINK_RATE, "latency": LINK_LATENCY}
    settings: list[tuple[int, str, dict[str, float]]] = [
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
        print_summary(link, results, same)
    local_comparison(genomes[SIZE_MB])
    print(
        f"cold import of pavi_seq_retrieval.cli: {imported:.3f} s best of 7 "
        f"(bare interpreter: {baseline:.3f} s; target <=0.3 s: "
        f"{'MET' if imported <= 0.3 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
