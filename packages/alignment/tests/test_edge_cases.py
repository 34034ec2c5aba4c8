"""Edge cases of the alignment job: each ends in one clear line and writes no result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

JobResult = Any  # see conftest.py
RunAlignment = Callable[..., JobResult]
TWO = b">a\nMKVLAAGIVALLLA\n>b\nMKVLSAGIVALLA\n"


def _assert_failed(result: JobResult, results: Path, *words: str) -> None:
    assert result.code == 1, result.lines
    assert result.last.startswith("pavi-alignment: error: ")
    for word in words:
        assert word in result.last
    assert not any("Traceback" in line for line in result.lines)
    assert list(results.iterdir()) == []


def test_no_input_files(work_results: tuple[Path, Path], run_alignment: RunAlignment) -> None:
    work, results = work_results
    (work / "000_a-seqinfo.json").write_text("{}")
    result = run_alignment(str(work), str(results))
    _assert_failed(result, results, "no *-protein.fa files", str(work), "nothing to align")
    assert sorted(p.name for p in work.iterdir()) == ["000_a-seqinfo.json"]


def test_exactly_one_sequence(work_results: tuple[Path, Path], run_alignment: RunAlignment) -> None:
    work, results = work_results
    (work / "000_a-protein.fa").write_bytes(b">a\nMKV\n")
    result = run_alignment(str(work), str(results))
    _assert_failed(result, results, "1 sequence in 1 *-protein.fa file", "at least 2 sequences")
    assert sorted(p.name for p in work.iterdir()) == ["000_a-protein.fa"]


def test_only_empty_files(work_results: tuple[Path, Path], run_alignment: RunAlignment) -> None:
    work, results = work_results
    (work / "000_a-protein.fa").write_bytes(b"")
    (work / "001_b-protein.fa").write_bytes(b"")
    result = run_alignment(str(work), str(results))
    _assert_failed(result, results, "0 sequences in 2 *-protein.fa files")


def test_zero_byte_file_adds_nothing(
    work_results: tuple[Path, Path],
    run_alignment: RunAlignment,
    clustal_bare: Callable[..., bytes],
) -> None:
    work, results = work_results
    (work / "000_a-protein.fa").write_bytes(b">a\nMKVLAAGIVALLLA\n")
    (work / "001_err-protein.fa").write_bytes(b"")
    (work / "002_b-protein.fa").write_bytes(b">b\nMKVLSAGIVALLA\n")
    result = run_alignment(str(work), str(results))
    assert result.code == 0, result.lines
    assert (work / "alignment-input.fa").read_bytes() == TWO
    assert (results / "alignment-output.aln").read_bytes() == clustal_bare(TWO)
    empty = [e for e in result.log_events() if e["event"] == "empty_input_file"]
    assert [Path(e["uri"]).name for e in empty] == ["001_err-protein.fa"]


def test_files_concatenated_in_code_point_order(
    work_results: tuple[Path, Path], run_alignment: RunAlignment
) -> None:
    work, results = work_results
    names = ["a-protein.fa", "a-b-protein.fa", "B-protein.fa", "0-protein.fa"]
    for name in names:
        (work / name).write_bytes(f">{name[:-11]}\nMKVLAAGIV\n".encode())
    result = run_alignment(str(work), str(results), "--threads", "1")
    assert result.code == 0, result.lines
    headers = (work / "alignment-input.fa").read_text().split()[::2]
    assert headers == [">0", ">B", ">a-b", ">a"]


def test_empty_protein_record_fails_with_clustalo_message(
    work_results: tuple[Path, Path], run_alignment: RunAlignment, require_clustalo: str
) -> None:
    work, results = work_results
    (work / "000_a-protein.fa").write_bytes(b">a_ref\n\n>a_alt\nMKV\n")
    (work / "001_b-protein.fa").write_bytes(b">b\nMKVL\n")
    result = run_alignment(str(work), str(results))
    _assert_failed(
        result,
        results,
        "clustalo failed (exit 1)",
        "ERROR: Sequence 'a_ref' has 0 residues",
        "FATAL: Reading sequence file 'alignment-input.fa' failed",
    )


def test_clustalo_missing_from_path(
    work_results: tuple[Path, Path],
    run_alignment: RunAlignment,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    work, results = work_results
    (work / "000_a-protein.fa").write_bytes(TWO)
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    result = run_alignment(str(work), str(results))
    _assert_failed(result, results, "clustalo", "not on PATH", "apt-get install clustalo")
    assert sorted(p.name for p in work.iterdir()) == ["000_a-protein.fa"]


def test_clustalo_version_is_logged(
    work_results: tuple[Path, Path], run_alignment: RunAlignment, require_clustalo: str
) -> None:
    work, results = work_results
    (work / "000_a-protein.fa").write_bytes(TWO)
    result = run_alignment(str(work), str(results), "--threads", "1")
    assert result.code == 0, result.lines
    start = next(e for e in result.log_events() if e["event"] == "start")
    assert start["clustalo_version"] == "1.2.4"
    assert (start["threads"], start["files"], start["sequences"]) == (1, 1, 2)


def test_dna_aligns_transcript_files(
    work_results: tuple[Path, Path],
    run_alignment: RunAlignment,
    clustal_bare: Callable[..., bytes],
) -> None:
    work, results = work_results
    first = b">t1\nATGGCCAAGGGTCCATTTGAAACCTGGCAATAA\n"
    second = b">t2\nATGGACAAGGGTCCATTTGAGACCTGGCAGTAA\n"
    (work / "000_t1-transcript.fa").write_bytes(first)
    (work / "001_t2-transcript.fa").write_bytes(second)
    (work / "002_p-protein.fa").write_bytes(b">p\nMKV\n")
    result = run_alignment(str(work), str(results), "--seq-type", "dna")
    assert result.code == 0, result.lines
    assert (work / "alignment-input.fa").read_bytes() == first + second
    produced = (results / "alignment-output.aln").read_bytes()
    assert produced == clustal_bare(first + second, "--seqtype=DNA")
    assert b"t1 " in produced
    assert b"p " not in produced


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--work-prefix", "w"], "Missing option '--results-prefix'"),
        (["--work-prefix", "w", "--results-prefix", "r", "--seq-type", "rna"], "'rna' is not"),
        (["--work-prefix", "w", "--results-prefix", "r", "--threads", "0"], "--threads"),
    ],
)
def test_usage_errors(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from pavi_alignment.cli import main

    with pytest.raises(SystemExit) as caught:
        main(args)
    lines = capsys.readouterr().err.splitlines()
    assert caught.value.code == 2
    assert len(lines) == 1
    assert lines[0].startswith("pavi-alignment: error: ")
    assert message in lines[0]
