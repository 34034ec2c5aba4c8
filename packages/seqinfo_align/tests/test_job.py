"""The merge job end to end on local folders: parity with the original and bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CASES = Path(__file__).resolve().parents[3] / "testdata" / "cases"
SUCCESS_CASES = sorted(
    case.name
    for case in CASES.iterdir()
    if (case / "expected" / "status.json").is_file()
    and json.loads((case / "expected" / "status.json").read_text())["pipeline_status"] == "success"
)
# Fixture types live in conftest.py, which tests cannot import: see it for their members.
JobResult = Any
Validators = Any
RunMerge = Callable[[str, str], JobResult]
MakeVariant = Callable[..., dict[str, Any]]


def _stage_case(expected: Path, work: Path, results: Path) -> None:
    for seqinfo in expected.glob("*-seqinfo.json"):
        shutil.copy(seqinfo, work / seqinfo.name)
    shutil.copy(expected / "alignment-output.aln", results / "alignment-output.aln")


def test_there_are_success_cases() -> None:
    assert len(SUCCESS_CASES) >= 6


@pytest.mark.parametrize("case", SUCCESS_CASES)
def test_parity_with_original(
    case: str,
    testdata: Path,
    work_results: tuple[Path, Path],
    run_merge: RunMerge,
    validators: Validators,
) -> None:
    expected = testdata / "cases" / case / "expected"
    work, results = work_results
    _stage_case(expected, work, results)
    for seqinfo in work.iterdir():
        validators.seqinfo.validate(json.loads(seqinfo.read_bytes()))

    result = run_merge(str(work), str(results))

    assert result.code == 0, result.lines
    produced = (results / "aligned_seq_info.json").read_bytes()
    wanted = (expected / "aligned_seq_info.json").read_bytes()
    assert json.loads(produced) == json.loads(wanted)
    assert produced == wanted
    validators.aligned.validate(json.loads(produced))
    assert [e["event"] for e in result.log_events()] == ["start", "done"]


def test_parity_with_reference_run_fixture(
    testdata: Path,
    work_results: tuple[Path, Path],
    run_merge: RunMerge,
    validators: Validators,
) -> None:
    """The original's successful reference run (docs/cases.md, case M1), split back into
    entry files."""
    fixtures = testdata / "reference-fixtures"
    wanted = (fixtures / "submit-workflow-success-aligned_seq_info.json").read_bytes()
    aligned = json.loads(wanted)
    work, results = work_results
    for entry in json.loads((fixtures / "submit-workflow-success-API-payload.json").read_text()):
        base = entry["base_seq_name"]
        names = [base]
        if entry["variant_ids"]:
            names = [f"{base}_ref", base + (entry["alt_seq_name_suffix"] or "_alt")]
        seqinfo = {name: _without_alignment(aligned[name]) for name in names}
        validators.seqinfo.validate(seqinfo)
        (work / f"{entry['unique_entry_id']}-seqinfo.json").write_text(json.dumps(seqinfo))
    shutil.copy(fixtures / "submit-workflow-success-output.aln", results / "alignment-output.aln")

    result = run_merge(str(work), str(results))

    assert result.code == 0, result.lines
    assert (results / "aligned_seq_info.json").read_bytes() == wanted


def _without_alignment(value: dict[str, Any]) -> dict[str, Any]:
    if "embedded_variants" not in value:
        return value
    variants = [
        {k: v for k, v in variant.items() if not k.startswith("alignment_")}
        for variant in value["embedded_variants"]
    ]
    return {**value, "embedded_variants": variants}


def _write(path: Path, content: Any) -> None:
    path.write_text(content if isinstance(content, str) else json.dumps(content))


ALN = (
    "CLUSTAL O(1.2.4) multiple sequence alignment\n\n\n"
    "x_ref         MKV-\t3\n"
    "x_alt         MK-L\t3\n"
    "stranger      MKVL\t4\n"
    "              **  \n"
)


def _assert_failed(result: JobResult, results: Path, code: int, *words: str) -> None:
    assert result.code == code, result.lines
    assert result.last.startswith("pavi-seqinfo-align: error: ")
    for word in words:
        assert word in result.last
    assert not any("Traceback" in line for line in result.lines)
    assert not (results / "aligned_seq_info.json").exists()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", ["not valid JSON"]),
        ("", ["not valid JSON"]),
        ('["x_ref"]', ["must hold a JSON object"]),
        ({"x_ref": None}, ["record 'x_ref'", "not null"]),
        ({"x_alt": {"embedded_variants": [{"variant_id": "v"}]}}, ["genomic_seq_id: Field"]),
        ({"x_alt": {"embedded_variants": "none"}}, ["embedded_variants: must be an array"]),
        ({"x_alt": {"error": 5}}, ["error: must be a string"]),
    ],
)
def test_malformed_seqinfo_file(
    content: Any,
    words: list[str],
    work_results: tuple[Path, Path],
    run_merge: RunMerge,
) -> None:
    work, results = work_results
    _write(work / "000_x-seqinfo.json", {"x_ref": {}})
    _write(work / "001_bad-seqinfo.json", content)
    _write(results / "alignment-output.aln", ALN)
    result = run_merge(str(work), str(results))
    _assert_failed(result, results, 1, "001_bad-seqinfo.json", *words)


def test_wrong_variant_type_is_reported(
    work_results: tuple[Path, Path], run_merge: RunMerge, make_variant: MakeVariant
) -> None:
    work, results = work_results
    bad = {"x_alt": {"embedded_variants": [make_variant(seq_start_pos="2")]}}
    _write(work / "000_x-seqinfo.json", bad)
    _write(results / "alignment-output.aln", ALN)
    result = run_merge(str(work), str(results))
    _assert_failed(
        result, results, 1, "000_x-seqinfo.json", "record 'x_alt'", "seq_start_pos", "integer"
    )


def test_non_utf8_seqinfo(work_results: tuple[Path, Path], run_merge: RunMerge) -> None:
    work, results = work_results
    (work / "000_x-seqinfo.json").write_bytes(b'{"x\xff": {}}')
    _write(results / "alignment-output.aln", ALN)
    _assert_failed(run_merge(str(work), str(results)), results, 1, "not UTF-8")


@pytest.mark.parametrize(
    ("alignment", "words"),
    [
        ("", ["not a Clustal alignment"]),
        ("hello\n\nx_ref MKV\n", ["not a Clustal alignment"]),
        ("CLUSTAL O(1.2.4) multiple sequence alignment\n\n\n", ["not a Clustal alignment"]),
        (">x_ref\nMKV\n>x_alt\nMKL\n", ["not a Clustal alignment"]),
    ],
)
def test_alignment_that_is_not_clustal(
    alignment: str, words: list[str], work_results: tuple[Path, Path], run_merge: RunMerge
) -> None:
    work, results = work_results
    _write(work / "000_x-seqinfo.json", {"x_ref": {}})
    _write(results / "alignment-output.aln", alignment)
    result = run_merge(str(work), str(results))
    _assert_failed(result, results, 1, "alignment-output.aln", *words)


def test_missing_alignment_file(work_results: tuple[Path, Path], run_merge: RunMerge) -> None:
    work, results = work_results
    _write(work / "000_x-seqinfo.json", {"x_ref": {}})
    result = run_merge(str(work), str(results))
    _assert_failed(result, results, 2, "alignment-output.aln", "not found")


def test_no_seqinfo_files(work_results: tuple[Path, Path], run_merge: RunMerge) -> None:
    work, results = work_results
    _write(results / "alignment-output.aln", ALN)
    _write(work / "000_x-protein.fa", ">x\nMKV\n")
    result = run_merge(str(work), str(results))
    _assert_failed(result, results, 2, "no *-seqinfo.json files", str(work))


@pytest.mark.parametrize(("start", "end", "words"), [(0, 1, "before"), (2, 5, "after")])
def test_position_out_of_range(
    start: int,
    end: int,
    words: str,
    work_results: tuple[Path, Path],
    run_merge: RunMerge,
    make_variant: MakeVariant,
) -> None:
    work, results = work_results
    doc = {"x_alt": {"embedded_variants": [make_variant(seq_start_pos=start, seq_end_pos=end)]}}
    _write(work / "000_x-seqinfo.json", doc)
    _write(results / "alignment-output.aln", ALN)
    result = run_merge(str(work), str(results))
    _assert_failed(result, results, 1, "alignment-output.aln", "'x_alt'", "'v1'", words)


def test_position_just_past_the_end_is_accepted(
    work_results: tuple[Path, Path],
    run_merge: RunMerge,
    make_variant: MakeVariant,
    validators: Validators,
) -> None:
    work, results = work_results
    doc = {
        "x_ref": {},
        "x_alt": {"embedded_variants": [make_variant(seq_start_pos=3, seq_end_pos=4)]},
        "y_alt": {"error": "Unexpected error occured during translation."},
    }
    validators.seqinfo.validate(doc)
    _write(work / "000_x-seqinfo.json", doc)
    _write(results / "alignment-output.aln", ALN)
    result = run_merge(str(work), str(results))
    assert result.code == 0, result.lines
    out = json.loads((results / "aligned_seq_info.json").read_bytes())
    validators.aligned.validate(out)
    variant = out["x_alt"]["embedded_variants"][0]
    assert (variant["alignment_start_pos"], variant["alignment_end_pos"]) == (4, 4)
    assert out["y_alt"] == doc["y_alt"]
    assert list(out) == ["x_ref", "x_alt", "y_alt"]


def test_output_is_one_line_without_newline(
    testdata: Path, work_results: tuple[Path, Path], run_merge: RunMerge
) -> None:
    work, results = work_results
    _stage_case(testdata / "cases" / "syn-indels" / "expected", work, results)
    assert run_merge(str(work), str(results)).code == 0
    text = (results / "aligned_seq_info.json").read_bytes()
    assert b"\n" not in text
    assert text.isascii()


def test_usage_error_is_one_line_exit_2(run_merge: RunMerge, capsys: Any) -> None:
    from pavi_seqinfo_align.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["--work-prefix", "x"])
    err = capsys.readouterr().err.splitlines()
    assert caught.value.code == 2
    assert err == [
        "pavi-seqinfo-align: error: Missing option '--results-prefix' "
        "(see `pavi-seqinfo-align --help`)"
    ]
