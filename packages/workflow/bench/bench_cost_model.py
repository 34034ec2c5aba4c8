"""Cloud cost and latency model of one execution, by request size and entries per job.

Prints, for N = 1, 6, 40, 100, 1,000 entries and several chunk sizes K: Batch jobs, Fargate
task-seconds billed, state transitions, dollars per execution and the critical path. The
per-entry work and a job's start-up are measured here (the workflow benchmark's 40-entry
protein family, local genome); the rest are the assumptions below, each with its source
(packages/workflow/README.md, "Entries per job", repeats them).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "packages" / "seq_retrieval" / "bench"))

from benchkit import default_cache_dir, make_entries, make_genome  # type: ignore[import-not-found, unused-ignore]  # noqa: E402
from pavi_contracts.jobs import RETRIEVAL  # noqa: E402
from pavi_workflow.commands import DEFAULT_ENTRIES_PER_JOB  # noqa: E402

#: Fargate Linux/x86 in us-east-1, per second (AWS Fargate pricing page: $0.04048 per vCPU-hour,
#: $0.004445 per GB-hour; billed per second with a one-minute minimum per task).
VCPU_SECOND = 0.04048 / 3600
GB_SECOND = 0.004445 / 3600
MINIMUM_BILLED_SECONDS = 60
#: The stack's default job sizes (infra/README.md): 1 vCPU and 2 GB for each job.
JOB_VCPU, JOB_GB = 1.0, 2.0
#: Step Functions Standard: $0.025 per 1,000 state transitions (AWS Step Functions pricing).
TRANSITION = 0.025 / 1000
#: From a Batch submission to the container running on Fargate: image pull, ENI attach, start.
#: AWS publishes no figure; 30-60 s is what Batch-on-Fargate users report. Assumed 45 s.
TASK_START_SECONDS = 45.0
#: The state machine's inline Map runs at most this many chunks at once (its default).
MAX_CONCURRENCY = 40
#: Variant API: seconds per lookup (assumed; the Alliance API answers one id in ~0.2-0.5 s),
#: variants per entry (assumed, typical of PAVI requests) and lookups a job runs at once
#: (pavi_seq_retrieval.variants.MAX_WORKERS).
VARIANT_SECONDS, VARIANTS_PER_ENTRY, VARIANT_WORKERS = 0.3, 2, 8
#: Genome reads from S3 per entry: one ranged GET of ~30 kB (the BGZF reader; 10 ms first byte).
S3_READ_SECONDS = 0.02
#: ReadRequest, Prepare, StoreRequest, the Map, AlignSequences, MergeSeqInfo, Done: 7 transitions
#: + 1 per job (one more, ReadOptions, for a request in the object form); the request cache
#: (on by default, packages/workflow/README.md, "The request cache") adds 5 on a miss: the key,
#: the lookup, saving the three results.
FIXED_TRANSITIONS = 7 + 5
#: A cache hit: ReadRequest, Prepare, StoreRequest, CacheKey, LookUpCache, three copies and the
#: answer (counted on the moto-executed machine, packages/workflow/tests/test_cache.py).
CACHE_HIT_TRANSITIONS = 9
#: S3 requests of a hit: the request's PUT, one HEAD, three copies ($0.005 per 1,000 PUT/COPY,
#: $0.0004 per 1,000 GET/HEAD: Amazon S3 pricing, us-east-1, S3 Standard).
CACHE_HIT_S3_DOLLARS = 4 * 0.005 / 1000 + 0.0004 / 1000
SIZES = (1, 6, 40, 100, 1000)
CHUNKS = (1, 10, 25, 50, 100)
MEASURED_ENTRIES = 40


@dataclass(frozen=True)
class Measured:
    """Measured here: seconds per entry in a warm job, and one job's fixed start-up."""

    per_entry: float
    start_up: float


def measure() -> Measured:
    """Time the retrieval job on the benchmark family: 1 entry and 40 entries in one process."""
    genome = make_genome(default_cache_dir(), 100)
    entries = make_entries(genome, MEASURED_ENTRIES)
    env = {**os.environ}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    script = str(Path(sys.executable).parent / RETRIEVAL.script)
    with tempfile.TemporaryDirectory(prefix="pavi-cost-") as tmp:
        request = Path(tmp) / "request.json"
        request.write_text(json.dumps(entries))

        def job(spec: str, out: str) -> float:
            started = time.perf_counter()
            argv = [script, "--request", str(request), "--entries", spec, "--output-prefix", out]
            subprocess.run(argv, check=True, capture_output=True, env=env)
            return time.perf_counter() - started

        job("0", f"{tmp}/warm")
        one = min(job("0", f"{tmp}/one-{i}") for i in range(3))
        many = min(job(f"0-{MEASURED_ENTRIES - 1}", f"{tmp}/many-{i}") for i in range(3))
    per_entry = (many - one) / (MEASURED_ENTRIES - 1)
    return Measured(per_entry=per_entry, start_up=max(0.0, one - per_entry))


def chunk_seconds(size: int, measured: Measured) -> float:
    """Running time of one retrieval job of ``size`` entries on Fargate, container started."""
    lookups = math.ceil(size * VARIANTS_PER_ENTRY / VARIANT_WORKERS) * VARIANT_SECONDS
    return measured.start_up + size * (measured.per_entry + S3_READ_SECONDS) + lookups


def task_cost(seconds: float) -> float:
    """Dollars for one Fargate task running ``seconds`` (billed from the one-minute minimum)."""
    return max(MINIMUM_BILLED_SECONDS, seconds) * (JOB_VCPU * VCPU_SECOND + JOB_GB * GB_SECOND)


@dataclass(frozen=True)
class Row:
    """The model's answer for N entries in chunks of K."""

    entries: int
    size: int
    jobs: int
    billed: float
    transitions: int
    dollars: float
    critical_path: float


def model(entries: int, size: int, measured: Measured) -> Row:
    """Retrieval jobs plus the alignment and merge jobs (their own work aside: the same for
    every K), Step Functions transitions, and the critical path through the waves of chunks."""
    chunks = [min(size, entries - start) for start in range(0, entries, size)]
    running = [chunk_seconds(c, measured) for c in chunks]
    billed = sum(max(MINIMUM_BILLED_SECONDS, s) for s in running) + 2 * MINIMUM_BILLED_SECONDS
    transitions = FIXED_TRANSITIONS + len(chunks)
    dollars = sum(task_cost(s) for s in running) + 2 * task_cost(0) + transitions * TRANSITION
    waves = math.ceil(len(chunks) / MAX_CONCURRENCY)
    critical = waves * (TASK_START_SECONDS + max(running)) + 2 * TASK_START_SECONDS
    return Row(entries, size, len(chunks) + 2, billed, transitions, dollars, critical)


def main() -> None:
    measured = measure()
    console = Console(width=120)
    console.print(
        f"measured: {measured.per_entry * 1000:.1f} ms per entry in a warm job, "
        f"{measured.start_up:.2f} s job start-up (interpreter, imports, genome index)"
    )
    assumptions = [
        f"task start {TASK_START_SECONDS:.0f} s",
        f"Fargate ${VCPU_SECOND * 3600:.5f}/vCPU-h and ${GB_SECOND * 3600:.6f}/GB-h, "
        f"{MINIMUM_BILLED_SECONDS} s minimum, {JOB_VCPU:g} vCPU {JOB_GB:g} GB per job",
        f"${TRANSITION * 1000:.3f} per 1,000 transitions",
        f"variant API {VARIANT_SECONDS} s per id, {VARIANTS_PER_ENTRY} ids per entry, "
        f"{VARIANT_WORKERS} at once",
        f"{S3_READ_SECONDS * 1000:.0f} ms S3 read per entry",
        f"Map MaxConcurrency {MAX_CONCURRENCY}",
        "alignment and merge: one task each at the minimum (their work is the same for every K)",
    ]
    console.print("assumed: " + "; ".join(assumptions))
    table = Table(title="Cost and latency of one execution", title_justify="left")
    for column in (
        "entries",
        "per job",
        "Batch jobs",
        "task-s billed",
        "transitions",
        "$ / execution",
        "critical path s",
    ):
        table.add_column(column, justify="right")
    for entries in SIZES:
        for size in sorted({*CHUNKS, DEFAULT_ENTRIES_PER_JOB}):
            if size > entries and size != DEFAULT_ENTRIES_PER_JOB and size != CHUNKS[0]:
                continue
            row = model(entries, size, measured)
            mark = " (default)" if size == DEFAULT_ENTRIES_PER_JOB else ""
            table.add_row(
                str(entries),
                f"{size}{mark}",
                str(row.jobs),
                f"{row.billed:,.0f}",
                str(row.transitions),
                f"{row.dollars:.5f}",
                f"{row.critical_path:.0f}",
            )
        table.add_section()
    console.print(table)
    hit = CACHE_HIT_TRANSITIONS * TRANSITION + CACHE_HIT_S3_DOLLARS
    console.print(
        f"cache hit (any size): 0 Batch jobs, {CACHE_HIT_TRANSITIONS} transitions, "
        f"${hit:.6f} per execution (transitions and S3 requests), a few seconds "
        "(state transitions and five S3 calls, no task start)"
    )


if __name__ == "__main__":
    main()
