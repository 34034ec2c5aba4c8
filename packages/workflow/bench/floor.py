"""The pipeline's floor, measured in one warm process per step (run by ``bench_runner.py``).

``python floor.py retrieval REQUEST.json WORK``: every entry of the request retrieved in this
one process by the retrieval job's own ``run_request`` (the code a chunk job runs), after the
imports and one untimed entry. ``python floor.py merge WORK RESULTS``: the merge job's ``run``
(with ``report.html``) in this process, after its imports. Each prints one JSON line of seconds.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def retrieval(request: str, work: str) -> dict[str, float]:
    """Every entry of ``request`` in this warm process (imports, genome index already read)."""
    from pavi_seq_retrieval.job import RetrievalOptions, run_request  # noqa: PLC0415

    count = len(json.loads(Path(request).read_text()))
    warm = str(Path(work).parent / "floor-warm-up") + "/"
    run_request(request, "0", RetrievalOptions(output_prefix=warm))
    started = time.perf_counter()
    run_request(request, f"0-{count - 1}", RetrievalOptions(output_prefix=work))
    return {"seconds": time.perf_counter() - started}


def merge(work: str, results: str) -> dict[str, float]:
    """The merge job's ``run`` in this process, after its imports."""
    from pavi_seqinfo_align.job import MergeOptions, run  # noqa: PLC0415

    started = time.perf_counter()
    run(MergeOptions(work_prefix=work, results_prefix=results))
    return {"seconds": time.perf_counter() - started}


if __name__ == "__main__":
    step, first, second = sys.argv[1:4]
    result = retrieval(first, second) if step == "retrieval" else merge(first, second)
    print(json.dumps(result))
