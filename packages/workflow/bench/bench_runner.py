"""Benchmark: `pavi run` against the original's way of running the same 40-entry request.

The original ran one retrieval process per entry, one after another, each first downloading
the whole genome (FASTA + .fai + .gzi) and then reading the local copy; then the alignment, then
the merge. `pavi run` (default concurrency: the CPU count) runs the retrievals concurrently and
reads only the genome blocks it needs (HTTP Range requests). Both runs fetch the genome from
the same server (a child process, `benchkit.RangeServer`) over the same link model, run the
same job commands with the same compiled bytecode (as in the job images) and must give the
same results. The headline link is a simulated S3 link (100 MB/s per stream, 10 ms first-byte
latency: an EC2 instance reading S3); the loopback row is shown for comparison. Prints, per
run, the wall time split into the retrieval phase and the alignment + merge phase (the same
jobs on the same 40 proteins in both runs).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "packages" / "seq_retrieval" / "bench"))

from benchkit import (  # type: ignore[import-not-found, unused-ignore]  # noqa: E402
    RangeServer,
    default_cache_dir,
    make_entries,
    make_genome,
)
from pavi_contracts.jobs import RETRIEVAL  # noqa: E402
from pavi_workflow.commands import alignment_command, merge_command  # noqa: E402
from pavi_workflow.executors import LocalExecutor  # noqa: E402

ENTRIES = 40
BIN = Path(sys.executable).parent
S3_LINK = {"rate": 100e6, "latency": 0.01}  # bytes/s per stream, first-byte seconds
S3 = "simulated S3 link (100 MB/s per stream, 10 ms first byte)"
LOOPBACK = "loopback, no limit (a whole-genome download costs almost nothing here)"
#: (genome MB, link name, link model); the first is the headline (the issue's 100 MB genome).
SETTINGS: list[tuple[int, str, dict[str, float]]] = [
    (100, S3, S3_LINK),
    (300, S3, S3_LINK),  # still small: real genomes are ~1 GB (human) to 2.8 GB (mouse)
    (100, LOOPBACK, {}),
]
RESULTS = ("alignment-output.aln", "aligned_seq_info.json")


@dataclass
class Timing:
    """One run: wall seconds, split into phases; what crossed the link."""

    wall: float
    retrieval: float
    download: float | None
    align_merge: float
    megabytes: float = 0.0
    server_cpu: float = 0.0


def job_env(pycache: Path) -> dict[str, str]:
    """The jobs' environment: a private bytecode cache, as the images ship compiled .pyc."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(pycache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_pavi(request: Path, out: Path, env: dict[str, str]) -> Timing:
    """`pavi run` at its default concurrency; phases from its run.json step times."""
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "pavi"), "run", str(request), "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    wall = time.perf_counter() - started
    steps = json.loads((out / "run.json").read_text())["steps"]
    align_merge = sum(s["seconds"] for s in steps if s["step"] in ("alignment", "merge"))
    return Timing(wall, wall - align_merge, None, align_merge)


def run_original_style(
    entries: list[dict[str, Any]], base_url: str, out: Path, env: dict[str, str]
) -> Timing:
    """One entry after another: download the genome and its indexes, retrieve; then align."""
    executor = LocalExecutor()
    work, results = f"{out}/work/", f"{out}/results/"
    for folder in ("work", "results"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    (out / "request.json").write_text(json.dumps(entries))
    downloading = 0.0
    started = time.perf_counter()
    for entry in entries:
        with tempfile.TemporaryDirectory(dir=out) as task_dir:
            name = str(entry["fasta_file_url"]).rsplit("/", 1)[-1]
            began = time.perf_counter()
            for suffix in ("", ".fai", ".gzi"):
                url = base_url + name + suffix
                target = Path(task_dir) / (name + suffix)
                with urllib.request.urlopen(url) as response, target.open("wb") as local:  # noqa: S310
                    shutil.copyfileobj(response, local, 1 << 20)
            downloading += time.perf_counter() - began
            local_entry = {**entry, "fasta_file_url": f"file://{task_dir}/{name}"}
            argv = [str(BIN / RETRIEVAL.script), "--entry", json.dumps(local_entry)]
            argv += ["--output-type", "protein", "--output-prefix", work]
            subprocess.run(argv, check=True, capture_output=True, env=env)
    retrieval = time.perf_counter() - started
    merge = merge_command(work, results, str(out / "request.json"))
    for command in (alignment_command(work, results), merge):
        subprocess.run(executor.argv(command), check=True, capture_output=True, env=env)
    wall = time.perf_counter() - started
    return Timing(wall, retrieval, downloading, wall - retrieval)


def protein_lengths(work: Path) -> list[int]:
    """Residues of each retrieved protein (the alignment's input)."""
    lengths = []
    for path in sorted(work.glob("*-protein.fa")):
        for record in path.read_text().split(">")[1:]:
            lengths.append(sum(len(line) for line in record.splitlines()[1:]))
    return lengths


def same_results(first: Path, second: Path) -> bool:
    """Both runs wrote byte-identical result files."""
    return all(
        (first / "results" / f).read_bytes() == (second / "results" / f).read_bytes()
        for f in RESULTS
    )


def measure(
    genome: Path, link: dict[str, float], root: Path, env: dict[str, str]
) -> tuple[Timing, Timing, bool, list[int]]:
    """Both runs through one server with the given link model."""
    with RangeServer(genome.parent, **link) as server:
        entries = make_entries(genome, ENTRIES, fasta_file_url=server.url + genome.name)
        request = root / "request.json"
        request.write_text(json.dumps(entries))
        timings = []
        for name in ("pavi", "original"):
            server.reset()
            cpu = server.cpu_seconds
            if name == "pavi":
                timing = run_pavi(request, root / name, env)
            else:
                timing = run_original_style(entries, server.url, root / name, env)
            timing.megabytes = server.bytes_sent / 1e6
            timing.server_cpu = server.cpu_seconds - cpu
            timings.append(timing)
    lengths = protein_lengths(root / "pavi" / "work")
    same = same_results(root / "pavi", root / "original")
    return timings[0], timings[1], same, lengths


def warm_up(genome: Path, root: Path, env: dict[str, str]) -> None:
    """Fill the jobs' bytecode cache and the page cache (untimed two-entry run)."""
    with RangeServer(genome.parent) as server:
        entries = make_entries(genome, 2, seed=99, fasta_file_url=server.url + genome.name)
        request = root / "warm-up.json"
        request.write_text(json.dumps(entries))
        run_pavi(request, root / "warm-up", env)


def table_for(title: str, pavi: Timing, original: Timing, same: bool) -> Table:
    """Rows: the two runs and the ratios, phase by phase."""
    table = Table(title=title, title_justify="left")
    for column in (
        "run",
        "wall s",
        "retrievals s",
        "of which downloads s",
        "align + merge s",
        "MB over the link",
        "server CPU s",
    ):
        table.add_column(column, justify="left" if column == "run" else "right")
    for label, timing in (("original style", original), ("pavi run", pavi)):
        table.add_row(
            label,
            f"{timing.wall:.1f}",
            f"{timing.retrieval:.1f}",
            "-" if timing.download is None else f"{timing.download:.1f}",
            f"{timing.align_merge:.1f}",
            f"{timing.megabytes:,.1f}",
            f"{timing.server_cpu:.1f}",
        )
    table.add_row(
        "speed-up",
        f"{original.wall / pavi.wall:.1f}x",
        f"{original.retrieval / pavi.retrieval:.1f}x",
        "",
        "",
        f"{original.megabytes / max(pavi.megabytes, 1e-9):,.0f}x",
        "",
    )
    table.caption = f"identical results: {'yes' if same else 'NO'}"
    return table


def main() -> None:
    """Build the genomes (cached), warm up, run both ways in each setting, print the tables."""
    console = Console(width=120)
    genomes = {size: make_genome(default_cache_dir(), size) for size, _, _ in SETTINGS}
    rows = []
    with tempfile.TemporaryDirectory(prefix="pavi-bench-") as tmp:
        root = Path(tmp)
        env = job_env(root / "pycache")
        warm_up(genomes[SETTINGS[0][0]], root, env)
        for index, (size, _name, model) in enumerate(SETTINGS):
            folder = root / f"setting{index}"
            folder.mkdir()
            rows.append(measure(genomes[size], model, folder, env))
    lengths = rows[0][3]
    cpus = os.cpu_count()
    console.print(
        f"\n{ENTRIES} entries, genome over HTTP, {cpus} CPUs. original style: one retrieval "
        "process per entry, one after another, each after downloading the whole genome and its "
        f"indexes; pavi run: retrievals at its default concurrency ({cpus}), Range reads.\n"
        f"Alignment input: {len(lengths)} homologous proteins of {min(lengths)}-{max(lengths)} "
        f"aa (median {statistics.median(lengths):.0f}); alignment and merge are the same jobs "
        "on the same input in both runs."
    )
    for (size, link, _model), (pavi, original, same, _lengths) in zip(SETTINGS, rows, strict=True):
        megabytes = genomes[size].stat().st_size / 1e6
        console.print(table_for(f"{megabytes:.0f} MB genome, {link}", pavi, original, same))
    pavi, original, _, _ = rows[0]
    ratio = original.wall / pavi.wall
    console.print(
        f"headline ({SETTINGS[0][0]} MB genome, {SETTINGS[0][1]}): {ratio:.1f}x end to end, "
        f"target >= 5x {'MET' if ratio >= 5 else 'MISSED'}; retrieval phase "
        f"{original.retrieval / pavi.retrieval:.1f}x"
    )
    if not all(row[2] for row in rows):
        raise SystemExit("the two runs gave different results")


if __name__ == "__main__":
    main()
