"""Benchmark: the pipeline against its floor, at 40 and 1,000 entries, on local genome files.

One run, the same inputs for every arm (a bgzipped genome on local disk, no simulated link):

* **original style**: the steps as Nextflow ran them on local files: one retrieval process
  per entry (at the same concurrency as ``pavi run``), then the alignment job, then the merge
  job, each a process;
* **``pavi run``** at that concurrency (chunks of its default size);
* **floor**: each step's work in one warm process: every entry through the retrieval job's
  ``run_request`` (``floor.py``), Clustal Omega alone with 1 thread, the merge job's ``run``
  with the report (``floor.py``).

Prints per step the wall time and peak memory (GNU time's ``%M`` per process: the largest
retrieval process, the alignment and merge processes; for ``pavi run`` its alignment, merge
and first chunk job re-run alone, plus the largest process of the whole run), the ratios, the
time outside Clustal Omega per entry (it should not grow with the request), and the clustalo
thread table (1 vs 2 threads on the same input). Every arm must give byte-identical results.

Jobs use a private bytecode cache, filled by an untimed warm-up, as the images ship compiled
``.pyc``. ``nox -s bench -- workflow`` runs 40 and 1,000 entries (~12 minutes on 2 CPUs);
``--quick`` or ``PAVI_BENCH_QUICK=1`` only 40; ``PAVI_BENCH_ENTRIES=40,200`` other sizes.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "packages" / "seq_retrieval" / "bench"))

from benchkit import default_cache_dir, make_entries, make_genome  # type: ignore[import-not-found, unused-ignore]  # noqa: E402
from pavi_contracts.jobs import RETRIEVAL  # noqa: E402
from pavi_workflow.request import validate_request  # noqa: E402

BIN = Path(sys.executable).parent
FLOOR = HERE / "floor.py"
SIZES = (40, 1000)
CONCURRENCY = os.cpu_count() or 1
RESULTS = ("alignment-output.aln", "aligned_seq_info.json")
GNU_TIME = shutil.which("time", path="/usr/bin:/bin")
CLUSTALO = ["clustalo", "-i", "alignment-input.fa", "--outfmt=clustal", "--resno"]


@dataclass
class Step:
    """One step of one arm: wall seconds, peak RSS in MB, processes started."""

    seconds: float
    peak_mb: float
    processes: int = 1


@dataclass
class Arm:
    """The steps of one arm (``retrieval``, ``alignment``, ``merge``) and its total wall."""

    steps: dict[str, Step] = field(default_factory=dict)
    wall: float = 0.0
    peak_mb: float = 0.0  # whole run (pavi run only)


def job_env(pycache: Path) -> dict[str, str]:
    """The jobs' environment: a private bytecode cache, as the images ship compiled .pyc."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(pycache), "OMP_WAIT_POLICY": "PASSIVE"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_process(
    argv: Sequence[str], env: dict[str, str], cwd: Path | None = None
) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of one process.

    The peak comes from GNU time (``%M``: the largest RSS of the process and its descendants)
    when installed: ``ru_maxrss`` from ``wait4`` would also count the pages the child
    inherited when forked from this (larger) Python process, since Linux keeps it across exec.
    """
    started = time.perf_counter()
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r") as peak_file,
    ):
        timed = [GNU_TIME, "--format=%M", f"--output={peak_file.name}", *argv] if GNU_TIME else argv
        process = subprocess.Popen(timed, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            tail = err.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"{' '.join(argv[:2])} failed ({process.returncode}): {tail}")
        kilobytes = int(peak_file.read().split()[-1]) if GNU_TIME else usage.ru_maxrss
        return seconds, kilobytes / 1024, out.read().decode()


def original_style(entries: list[dict[str, Any]], root: Path, env: dict[str, str]) -> Arm:
    """One retrieval process per entry (``CONCURRENCY`` at a time), then alignment, merge."""
    work, results = root / "work", root / "results"
    work.mkdir(parents=True)
    results.mkdir()
    arm = Arm()

    def retrieval(entry: dict[str, Any]) -> tuple[float, float, str]:
        argv = [str(BIN / "pavi-seq-retrieval"), "--entry", json.dumps(entry)]
        return run_process([*argv, "--output-type", "protein", "--output-prefix", f"{work}/"], env)

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        peaks = [peak for _, peak, _ in pool.map(retrieval, entries)]
    arm.steps["retrieval"] = Step(time.perf_counter() - started, max(peaks), len(entries))
    prefixes = ["--work-prefix", f"{work}/", "--results-prefix", f"{results}/"]
    for step, script in (("alignment", "pavi-alignment"), ("merge", "pavi-seqinfo-align")):
        seconds, peak, _ = run_process([str(BIN / script), *prefixes], env)
        arm.steps[step] = Step(seconds, peak)
    arm.wall = sum(s.seconds for s in arm.steps.values())
    return arm


def pavi_run(request: Path, out: Path, env: dict[str, str], entries: int) -> Arm:
    """``pavi run`` at ``CONCURRENCY``; step times from its run.json, peaks re-measured.

    The runner records no memory: its alignment and merge commands are re-run alone for their
    peaks (same commands, same files), and so is its first retrieval chunk job
    (``DEFAULT_ENTRIES_PER_JOB`` entries).
    """
    argv = [str(BIN / "pavi"), "run", str(request), "--out", str(out)]
    argv += ["--concurrency", str(CONCURRENCY), "--max-entries", str(max(entries, 100))]
    wall, peak, _ = run_process(argv, env)
    manifest = json.loads((out / "run.json").read_text())
    steps = manifest["steps"]
    arm = Arm(wall=wall, peak_mb=peak)
    for name in ("alignment", "merge"):
        seconds = sum(s["seconds"] for s in steps if s["step"] == name)
        command = next(s["command"] for s in steps if s["step"] == name)
        arm.steps[name] = Step(seconds, _peak_again(command, out, env))
    later = arm.steps["alignment"].seconds + arm.steps["merge"].seconds
    chunks = [s for s in steps if s["step"] == RETRIEVAL.step]
    arm.steps["retrieval"] = Step(
        wall - later, _peak_again(chunks[0]["command"], out, env), len(chunks)
    )
    return arm


def _peak_again(command: list[str], out: Path, env: dict[str, str]) -> float:
    """Peak MB of one job command of a finished run, re-run into a copy of its folders."""
    again = out.parent / f"{out.name}-again"
    if not again.exists():
        shutil.copytree(out, again)
    argv = [arg.replace(str(out), str(again)) for arg in command]
    if not Path(argv[0]).is_absolute():
        argv[0] = str(BIN / argv[0])
    return run_process(argv, env)[1]


def floor(request: Path, root: Path, env: dict[str, str]) -> tuple[Arm, Path]:
    """Each step in one warm process; clustalo alone with 1 thread. Also the clustalo input."""
    work, results = root / "work", root / "results"
    results.mkdir(parents=True)
    arm = Arm()
    python = [sys.executable, str(FLOOR)]
    _, peak, out = run_process([*python, "retrieval", str(request), f"{work}/"], env)
    arm.steps["retrieval"] = Step(json.loads(out)["seconds"], peak)
    # The alignment job's input: the protein files concatenated in file-name order.
    clustalo_dir = root / "clustalo"
    clustalo_dir.mkdir()
    proteins = sorted(work.glob("*-protein.fa"), key=lambda p: p.name)
    (clustalo_dir / "alignment-input.fa").write_bytes(b"".join(p.read_bytes() for p in proteins))
    seconds, peak, _ = run_process(
        [*CLUSTALO, "-o", "out-1.aln", "--threads", "1"], env, clustalo_dir
    )
    (results / "alignment-output.aln").write_bytes((clustalo_dir / "out-1.aln").read_bytes())
    arm.steps["alignment"] = Step(seconds, peak)
    _, peak, out = run_process([*python, "merge", f"{work}/", f"{results}/"], env)
    arm.steps["merge"] = Step(json.loads(out)["seconds"], peak)
    arm.wall = sum(s.seconds for s in arm.steps.values())
    return arm, clustalo_dir


def thread_row(clustalo_dir: Path, env: dict[str, str]) -> tuple[float, bool]:
    """clustalo with 2 threads on the floor's input: seconds, output identical to 1 thread's."""
    argv = [*CLUSTALO, "-o", "out-2.aln", "--threads", "2"]
    seconds, _, _ = run_process(argv, env, clustalo_dir)
    same = (clustalo_dir / "out-1.aln").read_bytes() == (clustalo_dir / "out-2.aln").read_bytes()
    return seconds, same


def bench_entries(genome: Path, count: int) -> list[dict[str, Any]]:
    """``count`` entries: ``make_entries``' sample for up to its gene count, else all planted
    genes repeated under new names (one protein family of ~450 aa)."""
    genes = len(json.loads(Path(f"{genome}.annotation.json").read_text()))
    if count <= genes:
        return make_entries(genome, count)  # type: ignore[no-any-return]
    base = make_entries(genome, genes)
    entries = []
    for index in range(count):
        entry = dict(base[index % genes])
        name = f"{entry['base_seq_name']}-r{index // genes}"
        entry.update(unique_entry_id=f"{index:04d}_{name}", base_seq_name=name)
        entries.append(entry)
    return entries


@dataclass
class Measured:
    """All arms of one request size."""

    entries: int
    original: Arm
    pavi: Arm
    floor: Arm
    two_threads: float
    threads_same: bool
    identical: bool
    sequences: int


def measure(genome: Path, count: int, root: Path, env: dict[str, str]) -> Measured:
    """Run the three arms on the same ``count`` entries; compare their results."""
    entries = bench_entries(genome, count)
    request = root / "request.json"
    request.write_text(json.dumps(entries))
    original = original_style(entries, root / "original", env)
    pavi = pavi_run(request, root / "pavi", env, count)
    validated = root / "validated-request.json"
    validated.write_text(
        json.dumps(validate_request(entries, target="local", max_entries=count).entries)
    )
    floor_arm, clustalo_dir = floor(validated, root / "floor", env)
    two, same = thread_row(clustalo_dir, env)
    outputs = [
        tuple((root / arm / "results" / name).read_bytes() for name in RESULTS)
        for arm in ("original", "pavi", "floor")
    ]
    sequences = (clustalo_dir / "alignment-input.fa").read_bytes().count(b">")
    return Measured(count, original, pavi, floor_arm, two, same, len(set(outputs)) == 1, sequences)


def warm_up(genome: Path, root: Path, env: dict[str, str]) -> None:
    """Fill the jobs' bytecode cache and the page cache (untimed two-entry run)."""
    request = root / "warm-up.json"
    request.write_text(json.dumps(make_entries(genome, 2, seed=99)))
    run_process([str(BIN / "pavi"), "run", str(request), "--out", str(root / "warm-up")], env)


def _mb(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"  # NaN: not measured per step


def steps_table(result: Measured) -> Table:
    """Rows: the arms; columns: each step's seconds and peak MB, the total and the ratios."""
    table = Table(
        title=f"{result.entries:,} entries ({result.sequences:,} proteins to align), "
        f"concurrency {CONCURRENCY}",
        box=box.MARKDOWN,
        title_justify="left",
    )
    columns = ["arm", "retrieval s", "alignment s", "merge s", "total s", "x floor"]
    columns += ["peak MB retrieval / alignment / merge", "outside clustalo ms/entry"]
    for column in columns:
        table.add_column(column, justify="left" if column == "arm" else "right")
    floor_wall = result.floor.wall
    for label, arm in (
        ("original style", result.original),
        ("`pavi run`", result.pavi),
        ("floor (in-process)", result.floor),
    ):
        steps = arm.steps
        total = arm.wall
        peaks = " / ".join(_mb(steps[s].peak_mb) for s in ("retrieval", "alignment", "merge"))
        if arm is result.pavi:
            peaks += f" (largest process of the run: {_mb(arm.peak_mb)})"
        outside = (total - steps["alignment"].seconds) / result.entries * 1000
        table.add_row(
            label,
            f"{steps['retrieval'].seconds:.2f}",
            f"{steps['alignment'].seconds:.2f}",
            f"{steps['merge'].seconds:.3f}",
            f"{total:.2f}",
            f"{total / floor_wall:.1f}x",
            peaks,
            f"{outside:.1f}",
        )
    table.caption = (
        f"original / pavi run: {result.original.wall / result.pavi.wall:.2f}x; "
        f"identical results in all arms: {'yes' if result.identical else 'NO'}"
    )
    return table


def threads_table(results: list[Measured]) -> Table:
    """clustalo 1 vs 2 threads on each size's alignment input."""
    table = Table(title="clustalo 1.2.4: 1 vs 2 threads", box=box.MARKDOWN, title_justify="left")
    for column in ("proteins", "1 thread s", "2 threads s", "2 / 1", "identical"):
        table.add_column(column, justify="right")
    for result in results:
        one = result.floor.steps["alignment"].seconds
        table.add_row(
            f"{result.sequences:,}",
            f"{one:.2f}",
            f"{result.two_threads:.2f}",
            f"{result.two_threads / one:.2f}",
            "yes" if result.threads_same else "NO",
        )
    return table


def sizes(argv: list[str]) -> list[int]:
    """Request sizes from ``--quick``, ``PAVI_BENCH_QUICK`` or ``PAVI_BENCH_ENTRIES``."""
    if "--quick" in argv or os.environ.get("PAVI_BENCH_QUICK", "") not in ("", "0"):
        return [SIZES[0]]
    chosen = os.environ.get("PAVI_BENCH_ENTRIES", "")
    return [int(v) for v in chosen.split(",") if v.strip()] or list(SIZES)


def main() -> None:
    """Build the genome (cached), warm up, measure each size, print the tables."""
    console = Console(width=160)
    genome = make_genome(default_cache_dir(), 100)
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="pavi-bench-") as tmp:
        root = Path(tmp)
        env = job_env(root / "pycache")
        warm_up(genome, root, env)
        for count in sizes(sys.argv[1:]):
            folder = root / f"n{count}"
            folder.mkdir()
            results.append(measure(genome, count, folder, env))
            console.print(steps_table(results[-1]))
    console.print(threads_table(results))
    console.print(
        f"{os.cpu_count()} CPUs, genome {genome.stat().st_size / 1e6:.0f} MB on local disk "
        f"(file:// URLs); benchmark wall {time.perf_counter() - started:.0f} s"
    )
    if not all(r.identical and r.threads_same for r in results):
        raise SystemExit("the arms gave different results")


if __name__ == "__main__":
    main()
