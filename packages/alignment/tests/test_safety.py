"""The alignment job fails safely: its two outputs appear together or not at all (locally and
on S3), its S3 reads survive bodies broken mid-transfer, bad usage is one line and exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pavi_alignment.cli import main

RunAlignment = Callable[..., Any]
CASE = Path(__file__).resolve().parents[3] / "testdata" / "cases" / "syn-multi-variant"


def _stage(work: Path) -> None:
    for fasta in (CASE / "expected").glob("*-protein.fa"):
        (work / fasta.name).write_bytes(fasta.read_bytes())


def _one_line(result: Any, code: int) -> str:
    assert result.code == code, result.lines
    assert [line for line in result.lines if not line.startswith("{")] == [result.last]
    assert result.last.startswith("pavi-alignment: error: ")
    return str(result.last)


def test_clustalo_failure_leaves_no_alignment_input(
    work_results: tuple[Path, Path], run_alignment: RunAlignment, require_clustalo: str
) -> None:
    work, results = work_results
    (work / "000_a-protein.fa").write_bytes(b">a_ref\n\n>a_alt\nMKV\n")
    (work / "001_b-protein.fa").write_bytes(b">b\nMKVL\n")
    assert "clustalo failed" in _one_line(run_alignment(str(work), str(results)), 1)
    assert sorted(p.name for p in work.iterdir()) == ["000_a-protein.fa", "001_b-protein.fa"]
    assert list(results.iterdir()) == []


def test_failed_output_write_removes_the_input_copy(
    work_results: tuple[Path, Path], run_alignment: RunAlignment, require_clustalo: str
) -> None:
    work, results = work_results
    _stage(work)
    (results / "alignment-output.aln").mkdir()  # the second write cannot happen
    line = _one_line(run_alignment(str(work), str(results)), 1)
    assert "alignment-output.aln: is a folder" in line
    assert not (work / "alignment-input.fa").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],
        ["--work-prefix", "w", "--results-prefix", "r", "--threads", "0"],
        ["--work-prefix", "w", "--results-prefix", "r", "--seq-type", "rna"],
        ["--work-prefix", "w"],
    ],
    ids=["unknown-option", "zero-threads", "bad-seq-type", "missing-option"],
)
def test_bad_usage_is_exit_2(args: list[str], run_console: Any) -> None:
    assert "--help" in _one_line(run_console(main, args), 2)


def _upload(s3: Any, bucket: str) -> list[str]:
    names = []
    for fasta in (CASE / "expected").glob("*-protein.fa"):
        s3.put_object(Bucket=bucket, Key=f"e/work/{fasta.name}", Body=fasta.read_bytes())
        names.append(fasta.name)
    return names


def test_s3_reads_survive_bodies_broken_mid_transfer(
    fault_proxy: Any, s3_bucket: str, s3: Any, run_alignment: RunAlignment, require_clustalo: str
) -> None:
    names = _upload(s3, s3_bucket)
    fault_proxy.cut("GET", r"/e/work/[^?]*-protein\.fa", times=len(names))
    result = run_alignment(f"s3://{s3_bucket}/e/work/", f"s3://{s3_bucket}/e/results/")
    assert result.code == 0, result.lines
    assert fault_proxy.count("GET", r"-protein\.fa") == 2 * len(names)
    aln = s3.get_object(Bucket=s3_bucket, Key="e/results/alignment-output.aln")["Body"].read()
    assert aln == (CASE / "expected" / "alignment-output.aln").read_bytes()


def test_s3_failed_output_write_removes_the_input_copy(
    fault_proxy: Any, s3_bucket: str, s3: Any, run_alignment: RunAlignment, require_clustalo: str
) -> None:
    names = _upload(s3, s3_bucket)
    fault_proxy.fail("PUT", r"/e/results/alignment-output\.aln", 403, "AccessDenied")
    result = run_alignment(f"s3://{s3_bucket}/e/work/", f"s3://{s3_bucket}/e/results/")
    assert "alignment-output.aln: access denied" in _one_line(result, 1)
    assert fault_proxy.count("DELETE", r"/e/work/alignment-input\.fa") == 1
    listed = s3.list_objects_v2(Bucket=s3_bucket).get("Contents", [])
    assert sorted(o["Key"] for o in listed) == sorted(f"e/work/{n}" for n in names)
