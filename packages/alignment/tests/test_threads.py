"""Thread count resolution, and that the thread count never changes clustalo's output."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pavi_alignment.threads import THREADS_ENV, available_cpus, cgroup_cpu_quota, resolve_threads
from pavi_contracts.harness import JobError

RunAlignment = Callable[..., Any]


def test_option_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "3")
    assert resolve_threads(5) == 5
    assert resolve_threads(None) == 3


def test_default_is_available_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert resolve_threads(None) == available_cpus()
    assert 1 <= available_cpus() <= len(os.sched_getaffinity(0))


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_invalid_environment_value(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(THREADS_ENV, value)
    with pytest.raises(JobError, match=THREADS_ENV) as caught:
        resolve_threads(None)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("files", "quota"),
    [
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu.max": "150000 100000\n"}, 2),
        ({"cpu.max": "400000 100000\n"}, 4),
        ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
)
def test_cgroup_quota(tmp_path: Path, files: dict[str, str], quota: int | None) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cgroup_cpu_quota(tmp_path) == quota
    expected = len(os.sched_getaffinity(0)) if quota is None else quota
    assert available_cpus(tmp_path) == min(len(os.sched_getaffinity(0)), expected)


def test_env_threads_reach_clustalo(
    testdata: Path,
    require_clustalo: str,
    work_results: tuple[Path, Path],
    run_alignment: RunAlignment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = testdata / "cases" / "syn-no-variants" / "expected"
    work, results = work_results
    for fasta in expected.glob("*-protein.fa"):
        shutil.copy(fasta, work / fasta.name)
    for threads in ("1", "2", "4"):
        monkeypatch.setenv(THREADS_ENV, threads)
        result = run_alignment(str(work), str(results))
        assert result.code == 0, result.lines
        start = next(e for e in result.log_events() if e["event"] == "start")
        assert start["threads"] == int(threads)
        assert (results / "alignment-output.aln").read_bytes() == (
            expected / "alignment-output.aln"
        ).read_bytes()
