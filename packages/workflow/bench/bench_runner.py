"""Benchmark: `pavi run` against the original's way of running the same 40-entry request.

The original ran one retrieval process per entry, one after another, each first downloading
the whole genome over HTTP, then the alignment, then the merge. `pavi run` runs the
retrievals concurrently and reads only the genome blocks it needs (HTTP Range requests).
Both runs use the same job commands and must give the same results. Prints a table.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "packages" / "seq_retrieval" / "bench"))

from benchkit import (  # type: ignore[import-not-found]  # noqa: E402
    RangeServer,
    default_cache_dir,
    make_entries,
    make_genome,
)
from pavi_workflow.commands import alignment_command, merge_command, retrieval_command  # noqa: E402
from pavi_workflow.executors import LocalExecutor  # noqa: E402

ENTRIES = 40
GENOME_MB = 100
BIN = Path(sys.executable).parent


def run_pavi(request: Path, out: Path) -> float:
    """Wall time of `pavi run` (default concurrency)."""
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "pavi"), "run", str(request), "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def run_original_style(entries: list[dict[str, object]], base_url: str, out: Path) -> float:
    """Wall time of the sequential, download-the-whole-genome-per-entry run."""
    executor = LocalExecutor()
    work, results = f"{out}/work/", f"{out}/results/"
    for folder in ("work", "results"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for entry in entries:
        with tempfile.TemporaryDirectory(dir=out) as task_dir:
            name = str(entry["fasta_file_url"]).rsplit("/", 1)[-1]
            for suffix in ("", ".fai", ".gzi"):
                url = base_url + name + suffix
                target = Path(task_dir) / (name + suffix)
                with urllib.request.urlopen(url) as response, target.open("wb") as local:  # noqa: S310
                    shutil.copyfileobj(response, local, 1 << 20)
            local_entry = {**entry, "fasta_file_url": f"file://{task_dir}/{name}"}
            command = retrieval_command(local_entry, work)
            subprocess.run(executor.argv(command), check=True, capture_output=True)
    for command in (alignment_command(work, results), merge_command(work, results)):
        subprocess.run(executor.argv(command), check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    """Build the genome (cached), serve it, run both ways, print the table."""
    genome = make_genome(default_cache_dir(), GENOME_MB)
    console = Console()
    with (
        tempfile.TemporaryDirectory(prefix="pavi-bench-") as tmp,
        RangeServer(genome.parent) as server,
    ):
        root = Path(tmp)
        entries = make_entries(genome, ENTRIES, fasta_file_url=server.url + genome.name)
        request = root / "request.json"
        request.write_text(json.dumps(entries))

        server.reset()
        pavi_seconds = run_pavi(request, root / "pavi")
        pavi_bytes = server.bytes_sent
        server.reset()
        original_seconds = run_original_style(entries, server.url, root / "original")
        original_bytes = server.bytes_sent

        same = all(
            (root / "pavi" / "results" / f).read_bytes()
            == (root / "original" / "results" / f).read_bytes()
            for f in ("alignment-output.aln", "aligned_seq_info.json")
        )
    table = Table(
        title=f"pavi run vs original-style run: {ENTRIES} entries, "
        f"{genome.stat().st_size / 1e6:.0f} MB genome over HTTP, {os.cpu_count()} CPUs"
    )
    for column in ("run", "wall seconds", "MB transferred"):
        table.add_column(column, justify="right" if column != "run" else "left")
    table.add_row(
        "original style (sequential, whole genome per entry)",
        f"{original_seconds:.1f}",
        f"{original_bytes / 1e6:.1f}",
    )
    table.add_row(
        "pavi run (concurrent, Range reads)", f"{pavi_seconds:.1f}", f"{pavi_bytes / 1e6:.1f}"
    )
    table.add_row("speed-up", f"{original_seconds / pavi_seconds:.1f}x", "")
    table.caption = f"identical results: {'yes' if same else 'NO'} (target speed-up >= 5x)"
    console.print(table)
    if not same:
        raise SystemExit("the two runs gave different results")


if __name__ == "__main__":
    main()
