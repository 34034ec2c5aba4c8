"""Benchmark: wall time of the alignment job vs bare clustalo on the same input.

The job runs as a subprocess (console script ``pavi-alignment`` on local folders, as in a local
run), so its time includes interpreter start-up, imports, listing and concatenating the input
files, ``clustalo --version``, and writing both outputs. Inputs are related protein sequences
(~700 residues) derived from one random ancestor with a fixed seed. Both runs use the same
thread count and OpenMP wait policy. Wall and CPU (user + system of the whole process tree)
times are each the best of n interleaved runs: on a shared machine the CPU time is the steadier
measure of the job's own cost. The table also checks that the job's output equals bare
clustalo's, and that 1, 2 and 4 threads give byte-identical alignments.

Run with ``nox -s bench -- alignment``, or
``uv run python packages/alignment/bench/bench_overhead.py``.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
SIZES = (10, 40, 100)
LENGTH = 700
REPEATS = {10: 5, 40: 5, 100: 3}
SEED = 20240601


def related_proteins(count: int, length: int, seed: int) -> list[str]:
    """``count`` proteins mutated from one random ancestor (substitutions and short indels)."""
    rng = random.Random(seed)  # noqa: S311 (test data, not cryptography)
    ancestor = [rng.choice(AMINO_ACIDS) for _ in range(length)]
    proteins = []
    for _ in range(count):
        seq = list(ancestor)
        for _ in range(length // 5):  # ~20% substitutions
            seq[rng.randrange(len(seq))] = rng.choice(AMINO_ACIDS)
        for _ in range(rng.randint(1, 6)):  # a few short insertions or deletions
            at = rng.randrange(len(seq))
            if rng.random() < 0.5:
                del seq[at : at + rng.randint(1, 8)]
            else:
                seq[at:at] = [rng.choice(AMINO_ACIDS) for _ in range(rng.randint(1, 8))]
        proteins.append("M" + "".join(seq[1:]))
    return proteins


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, children included) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    """Print the table."""
    clustalo = shutil.which("clustalo")
    job = shutil.which("pavi-alignment") or str(Path(sys.executable).parent / "pavi-alignment")
    if clustalo is None or not Path(job).exists():
        sys.exit("needs clustalo (`apt-get install clustalo`) and pavi-alignment on PATH")
    threads = len(os.sched_getaffinity(0))
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PAVI_ALIGNMENT_THREADS": str(threads)}
    print(f"clustalo {clustalo}, {threads} threads; job run as a subprocess; best of n runs")
    print("wall: elapsed seconds; cpu: user + system seconds of the process tree")
    header = (
        f"{'sequences':>9} | {'n':>2} | {'job wall':>8} | {'bare wall':>9} | {'overhead':>8} | "
        f"{'job cpu':>7} | {'bare cpu':>8} | {'overhead':>8} | {'same output':>11} | "
        f"{'threads 1/2/4 identical':>23}"
    )
    print(header)
    print("-" * len(header))
    for count in SIZES:
        with tempfile.TemporaryDirectory(prefix="pavi-bench-") as tmp:
            root = Path(tmp)
            work, results, bare = root / "work", root / "results", root / "bare"
            for folder in (work, results, bare):
                folder.mkdir()
            fasta = ""
            for index, protein in enumerate(related_proteins(count, LENGTH, SEED + count)):
                record = f">seq{index:03d}\n{protein}\n"
                (work / f"{index:03d}_seq{index:03d}-protein.fa").write_text(record)
                fasta += record
            (bare / "in.fa").write_text(fasta)
            base = [clustalo, "-i", "in.fa", "--outfmt=clustal", "--resno", "--force"]
            bare_cmd = [*base, "-o", "out.aln", "--threads", str(threads)]
            job_cmd = [job, "--work-prefix", str(work), "--results-prefix", str(results)]
            job_runs, bare_runs = [], []
            for _ in range(REPEATS[count]):
                bare_runs.append(timed(bare_cmd, env, bare))
                job_runs.append(timed(job_cmd, env, root))
            job_s, bare_s = min(w for w, _ in job_runs), min(w for w, _ in bare_runs)
            job_cpu, bare_cpu = min(c for _, c in job_runs), min(c for _, c in bare_runs)
            same = (results / "alignment-output.aln").read_bytes() == (
                bare / "out.aln"
            ).read_bytes()
            outputs = set()
            for n in (1, 2, 4):
                subprocess.run(
                    [*base, "-o", f"t{n}.aln", "--threads", str(n)],
                    cwd=bare,
                    env=env,
                    check=True,
                    capture_output=True,
                )
                outputs.add((bare / f"t{n}.aln").read_bytes())
            wall_overhead = 100 * (job_s - bare_s) / bare_s
            cpu_overhead = 100 * (job_cpu - bare_cpu) / bare_cpu
            print(
                f"{count:>9} | {REPEATS[count]:>2} | {job_s:>8.2f} | {bare_s:>9.2f} | "
                f"{wall_overhead:>7.1f}% | {job_cpu:>7.2f} | {bare_cpu:>8.2f} | "
                f"{cpu_overhead:>7.1f}% | {'yes' if same else 'NO':>11} | "
                f"{'yes' if len(outputs) == 1 else 'NO':>23}"
            )


if __name__ == "__main__":
    main()
