"""How many threads clustalo gets: an explicit value, else the job's vCPUs."""

from __future__ import annotations

import math
import os
from pathlib import Path

from pavi_contracts.exits import EXIT_USAGE
from pavi_contracts.harness import JobError

THREADS_ENV = "PAVI_ALIGNMENT_THREADS"
CGROUP_ROOT = Path("/sys/fs/cgroup")


def resolve_threads(option: int | None) -> int:
    """``--threads``, else ``$PAVI_ALIGNMENT_THREADS``, else the CPUs this process may use."""
    if option is not None:
        return option
    env = os.environ.get(THREADS_ENV)
    if env is not None and env.strip():
        try:
            value = int(env)
        except ValueError:
            value = 0
        if value < 1:
            raise JobError(f"{THREADS_ENV}: must be a positive integer, not {env!r}", EXIT_USAGE)
        return value
    return available_cpus()


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
