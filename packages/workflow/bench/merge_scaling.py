"""Merge time by alignment size: Biopython's row access (the previous parser) vs the linear parse.

For 63, 252 and 1,008 rows (a ~450 aa protein family aligned by clustalo with one thread,
cached under ``default_cache_dir()``), one seqinfo file per row with two embedded variants:
prints the parse time of both parsers (best of n, checking they give the same rows) and the
wall time of the whole ``pavi-seqinfo-align`` job as a process. Run with
``uv run python packages/workflow/bench/merge_scaling.py [ROWS ...]``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "packages" / "alignment" / "bench"))
sys.path.insert(0, str(REPO / "packages" / "seq_retrieval" / "bench"))

from bench_threads import fasta, protein_family  # type: ignore[import-not-found, unused-ignore]  # noqa: E402
from benchkit import default_cache_dir  # type: ignore[import-not-found, unused-ignore]  # noqa: E402
from pavi_seqinfo_align.clustal import read_clustal_rows  # noqa: E402

ROWS = (63, 252, 1008)
BIN = Path(sys.executable).parent


def alignment(rows: int) -> Path:
    """A cached clustalo alignment of ``rows`` family members (ids ``seq0000``…)."""
    folder = Path(default_cache_dir()) / "merge-scaling"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"family-{rows}.aln"
    if not path.exists():
        source = folder / f"family-{rows}.fa"
        source.write_bytes(fasta(protein_family(rows)))
        partial = folder / f".family-{rows}.aln"
        command = ["clustalo", "-i", str(source), "--outfmt=clustal", "--resno", "--force"]
        subprocess.run([*command, "--threads", "1", "-o", str(partial)], check=True)
        partial.replace(path)
    return path


def biopython_rows(text: str) -> list[tuple[str, str]]:
    """The previous parser: Biopython's Clustal reader and its row access."""
    from Bio import Align  # noqa: PLC0415 (only here: the job no longer depends on it)

    alignments: Any = Align.parse(io.StringIO(text), "clustal")  # type: ignore[no-untyped-call]
    parsed = next(iter(alignments))
    return [(record.id, parsed[i]) for i, record in enumerate(parsed.sequences)]


def variant(index: int, position: int) -> dict[str, Any]:
    """A substitution at protein ``position``."""
    return {
        "variant_id": f"v{index}-{position}",
        "genomic_seq_id": "chr1",
        "genomic_start_pos": 1000 + position,
        "genomic_end_pos": 1000 + position,
        "genomic_ref_seq": "C",
        "genomic_alt_seq": "A",
        "seq_start_pos": position,
        "seq_end_pos": position,
        "embedded_ref_seq_len": 1,
        "embedded_alt_seq_len": 1,
    }


def stage(aln: Path, root: Path) -> tuple[Path, Path]:
    """Work folder with one seqinfo file per row, results folder with the alignment."""
    work, results = root / "work", root / "results"
    work.mkdir(parents=True)
    results.mkdir()
    text = aln.read_text()
    for index, (seqid, row) in enumerate(read_clustal_rows(text)):
        sequence = row.replace("-", "")
        info = {"sequence": sequence, "embedded_variants": [variant(index, 5), variant(index, 50)]}
        (work / f"{index:04d}_{seqid}-seqinfo.json").write_text(json.dumps({seqid: info}))
    (results / "alignment-output.aln").write_text(text)
    return work, results


def best(function: Any, repeats: int) -> float:
    """Best wall seconds of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    """Print the markdown table."""
    counts = [int(a) for a in sys.argv[1:]] or list(ROWS)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    print(f"{os.cpu_count()} CPUs, best of n wall seconds")
    print("| rows | Biopython parse + row access s | linear parse s | merge job (process) s |")
    print("|---:|---:|---:|---:|")
    for rows in counts:
        text = alignment(rows).read_text()
        assert biopython_rows(text) == read_clustal_rows(text)
        old = best(lambda text=text: biopython_rows(text), 1 if rows > 500 else 3)
        new = best(lambda text=text: read_clustal_rows(text), 5)
        with tempfile.TemporaryDirectory(prefix="pavi-merge-") as tmp:
            work, results = stage(alignment(rows), Path(tmp))
            command = [str(BIN / "pavi-seqinfo-align"), "--work-prefix", str(work)]
            command += ["--results-prefix", str(results)]
            job = best(
                lambda command=command: subprocess.run(
                    command, check=True, capture_output=True, env=env
                ),
                3,
            )
        print(f"| {rows:,} | {old:.3f} | {new:.4f} | {job:.3f} |", flush=True)


if __name__ == "__main__":
    main()
