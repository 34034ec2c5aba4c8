"""Benchmark: Clustal Omega 1.2.4 with 1 and 2 threads, by sequence count (the thread table).

Inputs are one synthetic protein family of ~450 aa (an ancestor, 8 clades diverged by ~15%
substitutions and short indels, members diverged by ~15% more: ~50-70% pairwise identity, as a
PAVI request aligns one gene's orthologues and variants). clustalo runs bare, with the job's
flags and ``OMP_WAIT_POLICY=PASSIVE``; 1- and 2-thread runs alternate and each cell is the
best of n wall times. The outputs of both thread counts must be byte-identical.

``pavi_alignment.threads.THREAD_TABLE`` is chosen from this table. Run with
``nox -s bench -- bench_threads`` or ``uv run python packages/alignment/bench/bench_threads.py
[COUNT ...]`` (default counts 10 40 100 250 1000; ``PAVI_BENCH_REPEATS`` overrides n).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
LENGTH = 450
CLADES = 8
SEED = 20251201
COUNTS = (10, 40, 100, 250, 1000)
#: Repeats per cell (best of n), fewer for the long runs: the whole table takes ~6 minutes.
REPEATS = {10: 5, 40: 5, 100: 3, 250: 2, 1000: 1}


def _mutate(rng: random.Random, seq: list[str], share: float) -> list[str]:
    """Substitute ``share`` of the residues and add 0-3 short indels."""
    out = [a if rng.random() > share else rng.choice(AMINO_ACIDS) for a in seq]
    for _ in range(rng.randint(0, 3)):
        at, size = rng.randint(1, len(out) - 1), rng.randint(1, 8)
        if rng.random() < 0.5:
            out[at:at] = [rng.choice(AMINO_ACIDS) for _ in range(size)]
        else:
            del out[at : at + size]
    return out


def protein_family(count: int, length: int = LENGTH, seed: int = SEED) -> list[str]:
    """``count`` related proteins of ~``length`` aa (ancestor → clades → members)."""
    rng = random.Random(seed)  # noqa: S311 (test data, not cryptography)
    ancestor = [rng.choice(AMINO_ACIDS) for _ in range(length)]
    clades = [_mutate(rng, ancestor, 0.15) for _ in range(CLADES)]
    return ["M" + "".join(_mutate(rng, clades[i % CLADES], 0.15)[1:]) for i in range(count)]


def fasta(proteins: list[str], prefix: str = "seq") -> bytes:
    """FASTA records ``>{prefix}{i}``, 60 residues a line."""
    lines = []
    for index, protein in enumerate(proteins):
        lines.append(f">{prefix}{index:04d}")
        lines += [protein[i : i + 60] for i in range(0, len(protein), 60)]
    return ("\n".join(lines) + "\n").encode()


def run_clustalo(folder: Path, threads: int) -> tuple[float, bytes]:
    """Wall seconds and output of clustalo on ``folder/in.fa`` with the job's flags."""
    command = ["clustalo", "-i", "in.fa", "--outfmt=clustal", "--resno", "-o", "out.aln"]
    command += ["--threads", str(threads), "--force"]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    started = time.perf_counter()
    subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True)
    return time.perf_counter() - started, (folder / "out.aln").read_bytes()


def measure(count: int, folder: Path, repeats: int) -> tuple[float, float, bool]:
    """Best-of-``repeats`` seconds with 1 and 2 threads; whether the outputs are identical."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "in.fa").write_bytes(fasta(protein_family(count)))
    best = {1: float("inf"), 2: float("inf")}
    outputs: dict[int, bytes] = {}
    for _ in range(repeats):
        for threads in (1, 2):
            seconds, outputs[threads] = run_clustalo(folder, threads)
            best[threads] = min(best[threads], seconds)
    return best[1], best[2], outputs[1] == outputs[2]


def main() -> None:
    """Print the table (markdown), one row per sequence count."""
    if shutil.which("clustalo") is None:
        raise SystemExit("clustalo is not on PATH")
    counts = [int(a) for a in sys.argv[1:]] or list(COUNTS)
    override = os.environ.get("PAVI_BENCH_REPEATS")
    print(f"clustalo {LENGTH} aa family, {os.cpu_count()} CPUs, best of n wall seconds")
    print("| sequences | n | 1 thread s | 2 threads s | 2 threads / 1 thread | identical |")
    print("|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory(prefix="pavi-threads-") as tmp:
        for count in counts:
            repeats = int(override) if override else REPEATS.get(count, 1)
            one, two, same = measure(count, Path(tmp) / str(count), repeats)
            print(
                f"| {count:,} | {repeats} | {one:.2f} | {two:.2f} | {two / one:.2f} | "
                f"{'yes' if same else 'NO'} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
