"""Thread count resolution and policy, and that the thread count never changes the output."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pavi_alignment.threads import (
    MAX_THREADS_ENV,
    MULTI_THREAD_FROM,
    REFERENCE_LENGTH,
    THREADS_ENV,
    available_cpus,
    cgroup_cpu_quota,
    policy_threads,
    resolve_threads,
)
from pavi_contracts.harness import JobError

RunAlignment = Callable[..., Any]


BIG = MULTI_THREAD_FROM * REFERENCE_LENGTH


def test_option_wins_over_environment_and_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "3")
    monkeypatch.setenv(MAX_THREADS_ENV, "1")
    assert (resolve_threads(5, 2, 10).count, resolve_threads(5, 2, 10).source) == (5, "option")
    assert resolve_threads(None, 2, 10) == resolve_threads(None, MULTI_THREAD_FROM, BIG)
    assert (resolve_threads(None, 2, 10).count, resolve_threads(None, 2, 10).source) == (
        3,
        "environment",
    )


def test_default_follows_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    monkeypatch.delenv(MAX_THREADS_ENV, raising=False)
    small = resolve_threads(None, 40, 40 * REFERENCE_LENGTH)
    assert (small.count, small.source) == (1, "policy")
    assert resolve_threads(None, MULTI_THREAD_FROM, BIG).count == available_cpus()
    assert 1 <= available_cpus() <= len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("sequences", "mean_length", "threads"),
    [
        (2, 450, 1),
        (1_000, 450, 1),
        (MULTI_THREAD_FROM - 1, REFERENCE_LENGTH, 1),
        (MULTI_THREAD_FROM, REFERENCE_LENGTH, 4),
        (MULTI_THREAD_FROM, 100, 4),  # shorter sequences never lower the count of sequences
        (MULTI_THREAD_FROM // 2, 2 * REFERENCE_LENGTH, 4),  # twice as long counts twice
        (MULTI_THREAD_FROM // 2, REFERENCE_LENGTH, 1),
    ],
)
def test_policy_table(sequences: int, mean_length: int, threads: int) -> None:
    assert policy_threads(sequences, sequences * mean_length, cpus=4) == threads
    assert policy_threads(sequences, sequences * mean_length, cpus=4, cap=2) == min(threads, 2)


def test_policy_cap_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    monkeypatch.setenv(MAX_THREADS_ENV, "1")
    assert resolve_threads(None, MULTI_THREAD_FROM, BIG).count == 1
    monkeypatch.setenv(MAX_THREADS_ENV, "64")
    assert resolve_threads(None, MULTI_THREAD_FROM, BIG).count == available_cpus()


@pytest.mark.parametrize("name", [THREADS_ENV, MAX_THREADS_ENV])
@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_invalid_environment_value(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(JobError, match=name) as caught:
        resolve_threads(None, 2, 10)
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
        assert (start["threads"], start["threads_from"]) == (int(threads), "environment")
        assert (results / "alignment-output.aln").read_bytes() == (
            expected / "alignment-output.aln"
        ).read_bytes()


def test_policy_threads_reach_clustalo(
    testdata: Path,
    require_clustalo: str,
    work_results: tuple[Path, Path],
    run_alignment: RunAlignment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    expected = testdata / "cases" / "syn-no-variants" / "expected"
    work, results = work_results
    for fasta in expected.glob("*-protein.fa"):
        shutil.copy(fasta, work / fasta.name)
    result = run_alignment(str(work), str(results))
    assert result.code == 0, result.lines
    start = next(e for e in result.log_events() if e["event"] == "start")
    assert (start["threads"], start["threads_from"]) == (1, "policy")
    assert start["residues"] > start["sequences"] > 1


def test_invalid_cap_fails_before_any_work(
    work_results: tuple[Path, Path], run_alignment: RunAlignment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_THREADS_ENV, "none")
    work, results = work_results
    result = run_alignment(str(work), str(results))
    assert result.code == 2, result.lines
    assert result.last == (
        f"pavi-alignment: error: {MAX_THREADS_ENV}: must be a positive integer, not 'none'"
    )
