"""Benchmark: ``pavi run --resume`` on the 40-entry case, beside the first run.

The 40 entries of ``bench_chunks.py`` (a related protein family on a 100 MB local bgzipped
genome, benchkit's data) run through ``pavi run`` (default chunks of 25, 2 jobs at once):

* the first run into a new folder,
* ``--resume`` of the same request (every step reused: no job runs),
* ``--resume`` after one entry changed (its retrieval, the alignment and the merge run),

each against a fresh run's results (the alignment byte for byte, the seqinfo JSON equal).
Prints one table: wall seconds, jobs that ran, entries retrieved, steps reused, same results.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "packages" / "seq_retrieval" / "bench"))

from benchkit import default_cache_dir, make_entries, make_genome  # type: ignore[import-not-found, unused-ignore]  # noqa: E402

ENTRIES = 40
CONCURRENCY = 2
REPEATS = 3
PAVI = str(Path(sys.executable).parent / "pavi")


def pavi_run(request: Path, out: Path, env: dict[str, str], *extra: str) -> float:
    """Wall seconds of one ``pavi run``."""
    argv = [PAVI, "run", str(request), "--out", str(out), "--concurrency", str(CONCURRENCY)]
    started = time.perf_counter()
    done = subprocess.run([*argv, *extra], capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pavi run failed: {done.stderr[-500:]}")
    return seconds


def steps(out: Path) -> tuple[int, int, int]:
    """(jobs that ran, entries retrieved, steps reused) from the run's run.json."""
    manifest: dict[str, Any] = json.loads((out / "run.json").read_text())
    ran = [s for s in manifest["steps"] if not s["cached"]]
    retrieved = sum(len(s["entries"]) for s in ran if s["step"] == "retrieval")
    return len(ran), retrieved, len(manifest["steps"]) - len(ran)


def same_results(first: Path, second: Path) -> bool:
    """The alignment byte for byte and the aligned seqinfo JSON-equal."""
    aln = "results/alignment-output.aln"
    info = "results/aligned_seq_info.json"
    return (first / aln).read_bytes() == (second / aln).read_bytes() and json.loads(
        (first / info).read_text()
    ) == json.loads((second / info).read_text())


def main() -> None:
    genome = make_genome(default_cache_dir(), 100)
    entries = make_entries(genome, ENTRIES)
    changed = [dict(e) for e in entries]
    changed[17]["base_seq_name"] = f"{changed[17]['base_seq_name']}-renamed"
    env = {**os.environ}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    rows: dict[str, list[tuple[float, int, int, int, bool]]] = {}
    with tempfile.TemporaryDirectory(prefix="pavi-bench-resume-") as tmp:
        root = Path(tmp)
        request = root / "request.json"
        other = root / "changed.json"
        request.write_text(json.dumps(entries))
        other.write_text(json.dumps(changed))
        fresh, fresh_changed = root / "fresh", root / "fresh-changed"
        pavi_run(request, fresh, env)  # also warms the bytecode and page caches
        pavi_run(other, fresh_changed, env)
        for repeat in range(REPEATS):
            out = root / f"run-{repeat}"
            arms = [
                ("first run", request, (), fresh),
                ("--resume, unchanged", request, ("--resume",), fresh),
                ("--resume, one entry changed", other, ("--resume",), fresh_changed),
            ]
            for label, req, extra, reference in arms:
                seconds = pavi_run(req, out, env, *extra)
                rows.setdefault(label, []).append(
                    (seconds, *steps(out), same_results(out, reference))
                )
            shutil.rmtree(out)
    table = Table(
        title=f"pavi run of {ENTRIES} entries, local 100 MB genome, {CONCURRENCY} jobs at once "
        f"(best of {REPEATS})",
        title_justify="left",
    )
    columns = ("run", "wall s", "jobs run", "entries retrieved", "steps reused", "vs first run")
    for column in (*columns, "same results"):
        table.add_column(column)
    first = min(r[0] for r in rows["first run"])
    for label, runs in rows.items():
        seconds, ran, retrieved, reused, _ = min(runs)
        same = all(r[4] for r in runs)
        counts = (str(ran), str(retrieved), str(reused))
        table.add_row(label, f"{seconds:.2f}", *counts, f"{first / seconds:.1f}x", str(same))
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
