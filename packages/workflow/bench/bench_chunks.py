"""Benchmark: the retrieval step of the 40-entry case, one process per entry against chunks.

The same 40 entries (a related protein family on a 100 MB local bgzipped genome, the workflow
benchmark's data) are retrieved with the same concurrency (2 jobs at once) and the same local
genome, as:

* 40 single-entry processes (``--entry JSON``, what every Batch job ran before chunking),
* chunks of K entries per process (``--request URI --entries SPEC``, planned by the runner's
  ``plan_run``, as the state machine plans them) for K = 5, 10, 25, 40,
* the floor: all 40 entries in this warm process (no interpreter start, no imports).

Every arm must write byte-identical files. Prints one table: processes, wall seconds, the
speed-up against one process per entry.
"""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "packages" / "seq_retrieval" / "bench"))

from benchkit import default_cache_dir, make_entries, make_genome  # type: ignore[import-not-found, unused-ignore]  # noqa: E402
from pavi_contracts.jobs import RETRIEVAL  # noqa: E402
from pavi_workflow.request import validate_request  # noqa: E402
from pavi_workflow.runner import plan_run  # noqa: E402

ENTRIES = 40
CONCURRENCY = 2
CHUNK_SIZES = (5, 10, 25, 40)
REPEATS = 3
BIN = Path(sys.executable).parent


def run_all(commands: list[list[str]], env: dict[str, str]) -> float:
    """Run the commands, CONCURRENCY at a time; wall seconds."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        for done in pool.map(
            lambda argv: subprocess.run(argv, capture_output=True, env=env, check=False), commands
        ):
            if done.returncode != 0:
                raise SystemExit(f"a job failed: {done.stderr.decode()[-500:]}")
    return time.perf_counter() - started


def per_entry(entries: list[dict[str, object]], out: Path) -> list[list[str]]:
    """One ``--entry`` process per entry."""
    script = str(BIN / RETRIEVAL.script)
    return [
        [script, "--entry", json.dumps(e), "--output-type", "protein", "--output-prefix", str(out)]
        for e in entries
    ]


def chunked(
    request: Path, entries: list[dict[str, object]], out: Path, size: int
) -> list[list[str]]:
    """The runner's plan for chunks of ``size``: one ``--request --entries`` process each."""
    plan = plan_run(
        validate_request(entries, target="local"),
        str(request),
        f"{out}/",
        f"{out}-results/",
        entries_per_job=size,
    )
    return [[str(BIN / RETRIEVAL.script), *step.command.args] for step in plan.retrievals]


def in_process(request: Path, count: int, out: Path) -> float:
    """The floor: every entry in this process, imports and genome index already warm."""
    from pavi_seq_retrieval.genome import close_genomes  # noqa: PLC0415 (the floor only)
    from pavi_seq_retrieval.job import RetrievalOptions, run_request  # noqa: PLC0415

    options = RetrievalOptions(output_prefix=str(out))
    warm = RetrievalOptions(output_prefix=str(out.with_name(f"{out.name}-warm")))
    with Path(os.devnull).open("w") as quiet, redirect_stdout(quiet), redirect_stderr(quiet):
        run_request(str(request), "0", warm)
        started = time.perf_counter()
        run_request(str(request), f"0-{count - 1}", options)
        seconds = time.perf_counter() - started
    close_genomes()
    return seconds


def same_files(first: Path, second: Path) -> bool:
    names = sorted(p.name for p in first.iterdir())
    if names != sorted(p.name for p in second.iterdir()):
        return False
    _, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    return not mismatch and not errors


def main() -> None:
    genome = make_genome(default_cache_dir(), 100)
    entries = make_entries(genome, ENTRIES)
    env = {**os.environ}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="pavi-bench-chunks-") as tmp:
        root = Path(tmp)
        request = root / "request.json"
        request.write_text(json.dumps(validate_request(entries, target="local").entries))
        run_all(per_entry(entries[:2], root / "warm-up"), env)  # bytecode and page cache
        rows: list[tuple[str, int, float, Path]] = []
        for repeat in range(REPEATS):
            out = root / f"entry-{repeat}"
            commands = per_entry(entries, out)
            rows.append(
                ("one process per entry (--entry)", len(commands), run_all(commands, env), out)
            )
            for size in CHUNK_SIZES:
                out = root / f"chunk{size}-{repeat}"
                commands = chunked(request, entries, out, size)
                label = f"chunks of {size} (--request --entries)"
                rows.append((label, len(commands), run_all(commands, env), out))
        floor_out = root / "floor"
        floor = min(in_process(request, ENTRIES, floor_out) for _ in range(REPEATS))
        reference = rows[0][3]
        best: dict[str, tuple[int, float, bool]] = {}
        for label, processes, seconds, out in rows:
            same = same_files(out, reference)
            previous = best.get(label)
            if previous is None or seconds < previous[1]:
                best[label] = (processes, seconds, same and (previous is None or previous[2]))
        table = Table(
            title=f"Retrieval of {ENTRIES} entries, {CONCURRENCY} jobs at once, local 100 MB "
            f"genome (best of {REPEATS})",
            title_justify="left",
        )
        for column in ("arm", "processes", "wall s", "vs one per entry", "same files"):
            table.add_column(column)
        baseline = best["one process per entry (--entry)"][1]
        for label, (processes, seconds, same) in best.items():
            table.add_row(
                label, str(processes), f"{seconds:.2f}", f"{baseline / seconds:.1f}x", str(same)
            )
        table.add_row(
            "floor: one warm process, no start-up",
            "0",
            f"{floor:.2f}",
            f"{baseline / floor:.1f}x",
            str(same_files(floor_out, reference)),
        )
        Console(width=120).print(table)


if __name__ == "__main__":
    main()
