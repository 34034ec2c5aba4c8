"""The merge fails safely: no silent loss of records, bad input in one line, outputs together
or not at all on S3, seqinfo reads that survive a body broken mid-transfer."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pavi_seqinfo_align.cli import main

CASE = Path(__file__).resolve().parents[3] / "testdata" / "cases" / "syn-indels" / "expected"
JobResult = Any  # see the root conftest.py
RunConsole = Callable[[Callable[..., Any], list[str]], JobResult]


def _stage(work: Path, results: Path) -> None:
    for seqinfo in CASE.glob("*-seqinfo.json"):
        shutil.copy(seqinfo, work / seqinfo.name)
    shutil.copy(CASE / "alignment-output.aln", results / "alignment-output.aln")


def _variant_record() -> str:
    """A record of the case with embedded variants (it is in the alignment)."""
    for seqinfo in sorted(CASE.glob("*-seqinfo.json")):
        for name, value in json.loads(seqinfo.read_text()).items():
            if value.get("embedded_variants"):
                return str(name)
    raise AssertionError("the case has no embedded variant")


def _one_line(result: JobResult, code: int) -> str:
    assert result.code == code, result.lines
    plain = [line for line in result.lines if not line.startswith("{")]
    assert plain == [result.last]
    assert result.last.startswith("pavi-seqinfo-align: error: ")
    return str(result.last)


def test_record_with_variants_missing_from_the_alignment_fails(
    work_results: tuple[Path, Path], run_console: RunConsole
) -> None:
    """A seqinfo record whose row is gone (e.g. a name clustalo cut short) is not dropped
    silently: the merge fails naming it and writes nothing."""
    work, results = work_results
    _stage(work, results)
    name = _variant_record()
    aln = results / "alignment-output.aln"
    lines = aln.read_text().splitlines(keepends=True)
    aln.write_text("".join(line for line in lines if not line.startswith(name + " ")))
    result = run_console(main, ["--work-prefix", str(work), "--results-prefix", str(results)])
    line = _one_line(result, 1)
    assert f"1 record with embedded variants not in the alignment: {name!r}" in line
    assert sorted(p.name for p in results.iterdir()) == ["alignment-output.aln"]


def test_error_records_without_a_row_still_merge(
    work_results: tuple[Path, Path], run_console: RunConsole
) -> None:
    """Parity: a record kept out of the FASTA by its recorded error has no row, and that is
    fine (docs/merge.md, "Which records get alignment columns")."""
    work, results = work_results
    _stage(work, results)
    (work / "zzz_failed-seqinfo.json").write_text(
        json.dumps(
            {"zzz_failed": {"error": "No open reading frames found in transcript sequence."}}
        )
    )
    result = run_console(main, ["--work-prefix", str(work), "--results-prefix", str(results)])
    assert result.code == 0, result.lines
    merged = json.loads((results / "aligned_seq_info.json").read_text())
    assert merged["zzz_failed"] == {"error": "No open reading frames found in transcript sequence."}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'{"x\xff": {}}', "not UTF-8 text"),
        (b'{"x": ' + b'"' + b"A" * 20_000_000 + b'"}', "record 'x'"),
    ],
    ids=["deeply-nested", "invalid-utf8", "huge"],
)
def test_pathological_seqinfo_is_one_line(
    work_results: tuple[Path, Path], run_console: RunConsole, content: bytes, problem: str
) -> None:
    work, results = work_results
    _stage(work, results)
    (work / "000_pavA-1.1-seqinfo.json").write_bytes(content)
    result = run_console(main, ["--work-prefix", str(work), "--results-prefix", str(results)])
    line = _one_line(result, 1)  # the work prefix holds pipeline files: invalid content is 1
    assert "000_pavA-1.1-seqinfo.json" in line
    assert problem in line
    assert len(line) < 1000
    assert sorted(p.name for p in results.iterdir()) == ["alignment-output.aln"]


@pytest.mark.parametrize(
    "args",
    [["--bogus"], ["--work-prefix", "w"], ["--work-prefix", "w", "--results-prefix", "r", "x"]],
    ids=["unknown-option", "missing-option", "extra-argument"],
)
def test_bad_usage_is_exit_2(args: list[str], run_console: RunConsole) -> None:
    assert "--help" in _one_line(run_console(main, args), 2)


def _upload(s3: Any, bucket: str, prefix: str) -> None:
    for seqinfo in CASE.glob("*-seqinfo.json"):
        s3.put_object(Bucket=bucket, Key=f"{prefix}/work/{seqinfo.name}", Body=seqinfo.read_bytes())
    aln = (CASE / "alignment-output.aln").read_bytes()
    s3.put_object(Bucket=bucket, Key=f"{prefix}/results/alignment-output.aln", Body=aln)


def _keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return sorted(o["Key"].removeprefix(prefix) for o in listed)


def test_s3_reads_survive_bodies_broken_mid_transfer(
    fault_proxy: Any, s3_bucket: str, s3: Any, run_console: RunConsole
) -> None:
    """Every seqinfo GET and the alignment GET break off once; the merge still succeeds."""
    _upload(s3, s3_bucket, "e")
    fault_proxy.cut("GET", r"/e/work/[^?]*-seqinfo\.json", times=8)
    fault_proxy.cut("GET", r"/e/results/alignment-output\.aln", times=1)
    base = f"s3://{s3_bucket}/e"
    result = run_console(
        main, ["--work-prefix", f"{base}/work/", "--results-prefix", f"{base}/results/"]
    )
    assert result.code == 0, result.lines
    assert fault_proxy.count("GET", r"-seqinfo\.json") == 16  # each file: cut, then whole
    assert fault_proxy.count("GET", r"alignment-output\.aln") == 2
    produced = s3.get_object(Bucket=s3_bucket, Key="e/results/aligned_seq_info.json")
    assert json.loads(produced["Body"].read()) == json.loads(
        (CASE / "aligned_seq_info.json").read_bytes()
    )


def test_s3_failed_seqinfo_write_removes_the_report(
    fault_proxy: Any, s3_bucket: str, s3: Any, run_console: RunConsole
) -> None:
    _upload(s3, s3_bucket, "e")
    fault_proxy.fail("PUT", r"/e/results/aligned_seq_info\.json", 403, "AccessDenied")
    base = f"s3://{s3_bucket}/e"
    result = run_console(
        main, ["--work-prefix", f"{base}/work/", "--results-prefix", f"{base}/results/"]
    )
    line = _one_line(result, 1)
    assert "aligned_seq_info.json: access denied" in line
    assert fault_proxy.count("PUT", r"/e/results/report\.html") == 1  # written, then removed
    assert fault_proxy.count("DELETE", r"/e/results/report\.html") == 1
    assert [k for k in _keys(s3, s3_bucket, "e/") if k.startswith("results/")] == [
        "results/alignment-output.aln"
    ]
