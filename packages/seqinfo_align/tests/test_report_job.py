"""report.html from the merge job and from --report-only, on local folders and on S3."""

from __future__ import annotations

import hashlib
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
ParseReport = Callable[[str], Any]


def _stage(work: Path, results: Path) -> None:
    for seqinfo in CASE.glob("*-seqinfo.json"):
        shutil.copy(seqinfo, work / seqinfo.name)
    shutil.copy(CASE / "alignment-output.aln", results / "alignment-output.aln")


def _assert_one_line_error(result: JobResult, code: int, *words: str) -> None:
    assert result.code == code, result.lines
    assert result.last.startswith("pavi-seqinfo-align: error: ")
    for word in words:
        assert word in result.last
    assert not any("Traceback" in line for line in result.lines)


def test_merge_writes_the_report_beside_its_output(
    work_results: tuple[Path, Path], run_console: RunConsole, parse_report: ParseReport
) -> None:
    work, results = work_results
    _stage(work, results)
    request = work.parent / "request.json"
    request.write_text('[{"unique_entry_id": "x"}]')
    args = ["--work-prefix", str(work), "--results-prefix", str(results)]
    result = run_console(main, [*args, "--request", str(request)])
    assert result.code == 0, result.lines
    assert sorted(p.name for p in results.iterdir()) == [
        "aligned_seq_info.json",
        "alignment-output.aln",
        "report.html",
    ]
    assert (results / "aligned_seq_info.json").read_bytes() == (
        CASE / "aligned_seq_info.json"
    ).read_bytes()
    html = (results / "report.html").read_text()
    assert hashlib.sha256(request.read_bytes()).hexdigest() in html
    # A local request is named from the results folder: still true once a run folder moves.
    assert "<div><dt>request</dt><dd>../request.json</dd></div>" in html
    view = parse_report(html)
    document = json.loads((CASE / "aligned_seq_info.json").read_text())
    for name, value in document.items():
        for variant in value.get("embedded_variants") or []:
            columns = view.variant_columns(variant["variant_id"])[(name, "v")]
            start, end = variant["alignment_start_pos"], variant["alignment_end_pos"]
            assert columns == set(range(start, end + 1))
    assert result.log_events()[-1]["report"] == str(results / "report.html")


def test_no_report_writes_only_the_merge_output(
    work_results: tuple[Path, Path], run_console: RunConsole
) -> None:
    work, results = work_results
    _stage(work, results)
    args = ["--work-prefix", str(work), "--results-prefix", str(results), "--no-report"]
    result = run_console(main, args)
    assert result.code == 0, result.lines
    assert not (results / "report.html").exists()
    assert (results / "aligned_seq_info.json").is_file()
    assert result.log_events()[-1]["report"] is None


def test_missing_request_fails_before_writing_anything(
    work_results: tuple[Path, Path], run_console: RunConsole
) -> None:
    work, results = work_results
    _stage(work, results)
    args = ["--work-prefix", str(work), "--results-prefix", str(results)]
    result = run_console(main, [*args, "--request", str(work / "nope.json")])
    _assert_one_line_error(result, 2, "nope.json", "request file not found")
    assert sorted(p.name for p in results.iterdir()) == ["alignment-output.aln"]


def test_report_only_rebuilds_from_results(
    work_results: tuple[Path, Path], run_console: RunConsole
) -> None:
    work, results = work_results
    _stage(work, results)
    assert (
        run_console(main, ["--work-prefix", str(work), "--results-prefix", str(results)]).code == 0
    )
    first = (results / "report.html").read_text()
    (results / "report.html").unlink()
    result = run_console(main, ["--report-only", "--results-prefix", str(results)])
    assert result.code == 0, result.lines
    again = (results / "report.html").read_text()
    assert _without_time(again) == _without_time(first)
    assert [e["event"] for e in result.log_events()] == ["report"]


def _without_time(html: str) -> str:
    return html[: html.index("<time")] + html[html.index("</time>") :]


@pytest.mark.parametrize(
    ("files", "code", "words"),
    [
        ({}, 2, ["alignment-output.aln", "alignment file not found"]),
        ({"alignment-output.aln": "x"}, 2, ["aligned_seq_info.json", "not found"]),
        (
            {"alignment-output.aln": "hello\n", "aligned_seq_info.json": "{}"},
            1,
            ["alignment-output.aln", "not a Clustal alignment"],
        ),
        (
            {"alignment-output.aln": "CLUSTAL\n\n\na MK\nb MKV\n", "aligned_seq_info.json": "{}"},
            1,
            ["alignment-output.aln", "rows of different lengths"],
        ),
        (
            {"alignment-output.aln": "CLUSTAL\n\n\na MK\n", "aligned_seq_info.json": "[1]"},
            1,
            ["aligned_seq_info.json", "must hold a JSON object"],
        ),
    ],
)
def test_report_only_bad_results(
    files: dict[str, str], code: int, words: list[str], tmp_path: Path, run_console: RunConsole
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = run_console(main, ["--report-only", "--results-prefix", str(tmp_path)])
    _assert_one_line_error(result, code, *words)
    assert not (tmp_path / "report.html").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--results-prefix", "r"], "Missing option '--work-prefix'"),
        (["--report-only", "--results-prefix", "r", "--work-prefix", "w"], "--report-only"),
        (["--report-only", "--results-prefix", "r", "--no-report"], "--report-only"),
    ],
)
def test_usage_errors(args: list[str], words: str, run_console: RunConsole) -> None:
    _assert_one_line_error(run_console(main, args), 2, words, "see `pavi-seqinfo-align --help`")


def _keys(s3: Any, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_report_on_s3(
    s3: Any, s3_bucket: str, run_console: RunConsole, parse_report: ParseReport
) -> None:
    for seqinfo in CASE.glob("*-seqinfo.json"):
        s3.put_object(Bucket=s3_bucket, Key=f"e/work/{seqinfo.name}", Body=seqinfo.read_bytes())
    aln = (CASE / "alignment-output.aln").read_bytes()
    s3.put_object(Bucket=s3_bucket, Key="e/results/alignment-output.aln", Body=aln)
    s3.put_object(Bucket=s3_bucket, Key="e/request.json", Body=b"[]")
    prefix = f"s3://{s3_bucket}/e"
    args = ["--work-prefix", f"{prefix}/work/", "--results-prefix", f"{prefix}/results/"]
    result = run_console(main, [*args, "--request", f"{prefix}/request.json"])
    assert result.code == 0, result.lines
    keys = _keys(s3, s3_bucket)
    assert "e/results/report.html" in keys
    assert "e/results/aligned_seq_info.json" in keys
    html = s3.get_object(Bucket=s3_bucket, Key="e/results/report.html")["Body"].read().decode()
    assert hashlib.sha256(b"[]").hexdigest() in html
    assert parse_report(html).variant_ids

    s3.delete_object(Bucket=s3_bucket, Key="e/results/report.html")
    again = run_console(main, ["--report-only", "--results-prefix", f"{prefix}/results/"])
    assert again.code == 0, again.lines
    rebuilt = s3.get_object(Bucket=s3_bucket, Key="e/results/report.html")["Body"].read().decode()
    assert _without_time(rebuilt).replace("not given", hashlib.sha256(b"[]").hexdigest()) == (
        _without_time(html).replace(
            f"<div><dt>request</dt><dd>{prefix}/request.json</dd></div>", ""
        )
    )
    assert _keys(s3, s3_bucket) == keys


def test_report_only_on_s3_without_results(
    s3: Any, s3_bucket: str, run_console: RunConsole
) -> None:
    result = run_console(main, ["--report-only", "--results-prefix", f"s3://{s3_bucket}/none/"])
    _assert_one_line_error(result, 2, f"s3://{s3_bucket}/none/alignment-output.aln", "not found")
    assert _keys(s3, s3_bucket) == []


def test_report_write_failure_leaves_no_partial_file(
    work_results: tuple[Path, Path], run_console: RunConsole
) -> None:
    work, results = work_results
    _stage(work, results)
    (results / "report.html").mkdir()  # the rename onto it fails
    args = ["--work-prefix", str(work), "--results-prefix", str(results)]
    result = run_console(main, args)
    assert result.code == 1
    assert result.last.startswith("pavi-seqinfo-align: error: ")
    assert "report.html" in result.last
    names = sorted(p.name for p in results.iterdir())
    assert names == ["alignment-output.aln", "report.html"]  # no aligned_seq_info.json alone
    assert list((results / "report.html").iterdir()) == []


def test_seqinfo_write_failure_removes_the_report(
    work_results: tuple[Path, Path], run_console: RunConsole
) -> None:
    """The two outputs appear together or not at all: the report written first goes again."""
    work, results = work_results
    _stage(work, results)
    (results / "aligned_seq_info.json").mkdir()
    args = ["--work-prefix", str(work), "--results-prefix", str(results)]
    result = run_console(main, args)
    assert result.code == 1
    assert result.last.startswith("pavi-seqinfo-align: error: ")
    assert "aligned_seq_info.json: is a folder" in result.last
    names = sorted(p.name for p in results.iterdir())
    assert names == ["aligned_seq_info.json", "alignment-output.aln"]  # report.html removed


@pytest.mark.parametrize(
    ("seq_type", "alphabet"), [(None, "protein"), ("protein", "protein"), ("dna", "nucleotide")]
)
def test_seq_type_sets_the_report_alphabet_and_nothing_else(
    seq_type: str | None, alphabet: str, work_results: tuple[Path, Path], run_console: RunConsole
) -> None:
    work, results = work_results
    _stage(work, results)
    args = ["--work-prefix", str(work), "--results-prefix", str(results)]
    result = run_console(main, [*args, *(["--seq-type", seq_type] if seq_type else [])])
    assert result.code == 0, result.lines
    assert (results / "aligned_seq_info.json").read_bytes() == (
        CASE / "aligned_seq_info.json"
    ).read_bytes()
    html = (results / "report.html").read_text()
    assert f"failed · {alphabet}" in html
