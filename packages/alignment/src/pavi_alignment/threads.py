"""How many threads clustalo gets: an explicit value, else a measured policy.

The policy comes from the thread table in the package README (``bench/bench_threads.py``):
with Clustal Omega 1.2.4, 2 threads were slower than 1 at every measured size of a ~450 aa
protein family (10 to 1,000 sequences), so the job uses 1 thread below
``MULTI_THREAD_FROM`` 450-aa-equivalent sequences and the CPUs it may use from there on.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from pavi_contracts.exits import EXIT_USAGE
from pavi_contracts.harness import JobError

THREADS_ENV = "PAVI_ALIGNMENT_THREADS"
#: Caps the policy's count (not an explicit one): e.g. a Batch job's vCPUs on EC2, where they
#: are CPU shares that no quota enforces.
MAX_THREADS_ENV = "PAVI_ALIGNMENT_MAX_THREADS"
CGROUP_ROOT = Path("/sys/fs/cgroup")
#: Residues of the sequences the table was measured on; longer ones count for more.
REFERENCE_LENGTH = 450
#: 450-aa-equivalent sequences from which more than one thread is used (above the table).
MULTI_THREAD_FROM = 2_000


@dataclass(frozen=True)
class Threads:
    """The thread count and where it came from (``option``, ``environment`` or ``policy``)."""

    count: int
    source: str


def explicit_threads(option: int | None) -> Threads | None:
    """``--threads``, else ``$PAVI_ALIGNMENT_THREADS`` (checked), else None."""
    if option is not None:
        return Threads(option, "option")
    value = _env_count(THREADS_ENV)
    return None if value is None else Threads(value, "environment")


def max_threads() -> int | None:
    """``$PAVI_ALIGNMENT_MAX_THREADS`` (checked), the policy's upper bound, or None."""
    return _env_count(MAX_THREADS_ENV)


def _env_count(name: str) -> int | None:
    """A positive integer from the environment variable ``name``, None if unset or blank."""
    env = os.environ.get(name)
    if env is None or not env.strip():
        return None
    try:
        value = int(env)
    except ValueError:
        value = 0
    if value < 1:
        raise JobError(f"{name}: must be a positive integer, not {env!r}", EXIT_USAGE)
    return value


def policy_threads(
    sequences: int, residues: int, cpus: int | None = None, cap: int | None = None
) -> int:
    """Threads for ``sequences`` holding ``residues`` in all, on ``cpus`` (default: available).

    1 below ``MULTI_THREAD_FROM`` sequences of ``REFERENCE_LENGTH`` residues (a longer mean
    length scales the count up), else every CPU the job may use, at most ``cap``.
    """
    mean = residues / sequences if sequences else 0.0
    equivalent = sequences * max(1.0, mean / REFERENCE_LENGTH)
    if equivalent < MULTI_THREAD_FROM:
        return 1
    count = available_cpus() if cpus is None else max(1, cpus)
    return count if cap is None else min(count, cap)


def resolve_threads(option: int | None, sequences: int, residues: int) -> Threads:
    """The explicit count if there is one, else the policy's for this input (capped)."""
    explicit = explicit_threads(option)
    cap = max_threads()
    return explicit or Threads(policy_threads(sequences, residues, cap=cap), "policy")


def available_cpus(cgroup_root: Path = CGROUP_ROOT) -> int:
    """CPUs in the affinity mask, capped by a cgroup CPU quota when one is set (≥ 1)."""
    cpus = len(os.sched_getaffinity(0))
    quota = cgroup_cpu_quota(cgroup_root)
    if quota is not None:
        cpus = min(cpus, quota)
    return max(1, cpus)


def cgroup_cpu_quota(cgroup_root: Path = CGROUP_ROOT) -> int | None:
    """The cgroup CPU limit rounded up to whole CPUs (v2 ``cpu.max`` or v1 CFS), or None."""
    try:
        quota, period = (cgroup_root / "cpu.max").read_text().split()[:2]
        if quota != "max":
            return math.ceil(int(quota) / int(period))
        return None
    except (OSError, ValueError):
        pass
    try:
        v1 = cgroup_root / "cpu"
        quota_us = int((v1 / "cpu.cfs_quota_us").read_text())
        period_us = int((v1 / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return math.ceil(quota_us / period_us) if quota_us > 0 and period_us > 0 else None
