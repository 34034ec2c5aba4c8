"""`pavi run` end to end with the real job packages: parity with the original's outputs."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
CASES = sorted(p.name for p in (REPO / "testdata" / "cases").iterdir() if p.is_dir())
PAVI = str(Path(sys.executable).parent / "pavi")


@pytest.fixture
def write_case(
    tmp_path: Path, case_request: Callable[[str], list[dict[str, Any]]]
) -> Callable[[str], Path]:
    """Write a case's request (``{data}`` substituted) to a file; return its path."""

    def write(case: str) -> Path:
        path = tmp_path / f"{case}.json"
        path.write_text(json.dumps(case_request(case)), encoding="utf-8")
        return path

    return write


def pavi_run(
    request: Path, out: Path, variants: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """Run the `pavi run` console script."""
    return subprocess.run(
        [PAVI, "run", str(request), "--out", str(out), "--variants-file", str(variants), *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def assert_matches_expected(out: Path, expected: Path) -> None:
    """Every entry's FASTA and the .aln byte-identical, the JSON files equal, to the original's."""
    for path in expected.glob("*-protein.fa"):
        assert (out / "work" / path.name).read_bytes() == path.read_bytes(), path.name
    for path in expected.glob("*-seqinfo.json"):
        got_info = json.loads((out / "work" / path.name).read_text())
        assert got_info == json.loads(path.read_text()), path.name
    aln = (out / "results" / "alignment-output.aln").read_bytes()
    assert aln == (expected / "alignment-output.aln").read_bytes()
    got = json.loads((out / "results" / "aligned_seq_info.json").read_text())
    assert got == json.loads((expected / "aligned_seq_info.json").read_text())


@pytest.mark.parametrize("entries_per_job", [1, 3, 10])
@pytest.mark.parametrize("case", CASES)
def test_case_through_pavi_run(
    case: str,
    entries_per_job: int,
    tmp_path: Path,
    testdata: Path,
    write_case: Callable[[str], Path],
    case_status: Callable[[str], dict[str, Any]],
    require_clustalo: str,
) -> None:
    folder = testdata / "cases" / case
    out = tmp_path / "out"
    request = write_case(case)
    size = str(entries_per_job)
    status = case_status(case)
    # The checks before the run refuse the failing case up front (test_preflight.py); without
    # them the run fails where the original's did.
    succeeded = status["pipeline_status"] == "success"
    unchecked = () if succeeded else ("--no-preflight",)
    done = pavi_run(
        request,
        out,
        folder / "variants.json",
        "--concurrency",
        "2",
        "--entries-per-job",
        size,
        *unchecked,
    )
    manifest = json.loads((out / ("run.json" if succeeded else "staging/run.json")).read_text())
    ids = [entry["unique_entry_id"] for entry in json.loads(request.read_text())]
    if succeeded:
        assert done.returncode == 0, done.stderr
        assert not (out / "staging").exists()
        assert_matches_expected(out, folder / "expected")
        assert manifest["status"] == "succeeded"
        retrievals = manifest["steps"][:-2]
        assert [s["step"] for s in manifest["steps"][-2:]] == ["alignment", "merge"]
        assert [s["entries"] for s in retrievals] == [
            ids[i : i + entries_per_job] for i in range(0, len(ids), entries_per_job)
        ]
        assert all(s["exit_code"] == 0 for s in manifest["steps"])
        return
    failed = [
        t["unique_entry_id"]
        for t in status["steps"]["sequence_retrieval"]["tasks"]
        if t["status"] == "failed"
    ]
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("pavi: error: retrieval of entr"), last
    assert "entries failed (1 of " in last
    assert f"): {failed[0]} (entry {failed[0]}: " in last
    assert manifest["status"] == "failed"
    assert {s["step"] for s in manifest["steps"]} == {"retrieval"}
    assert not (out / "results").exists()
    assert not (out / "staging" / "results" / "alignment-output.aln").exists()
    assert (out / "staging" / "logs").is_dir()


def test_manifest_records_checksums_versions_and_commands(
    tmp_path: Path, testdata: Path, write_case: Callable[[str], Path], require_clustalo: str
) -> None:
    import hashlib

    request = write_case("syn-no-variants")
    out = tmp_path / "out"
    done = pavi_run(request, out, testdata / "cases" / "syn-no-variants" / "variants.json")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["request"]["sha256"] == hashlib.sha256(request.read_bytes()).hexdigest()
    assert manifest["versions"]["pavi-workflow"] == version("pavi-workflow")
    assert set(manifest["versions"]) >= {
        "pavi-seq-retrieval",
        "pavi-alignment",
        "pavi-seqinfo-align",
    }
    aln = out / "results" / "alignment-output.aln"
    alignment = next(s for s in manifest["steps"] if s["step"] == "alignment")
    assert alignment["command"][:2] == ["pavi-alignment", "--work-prefix"]
    joined = out / "work" / "alignment-input.fa"  # the job table declares both outputs
    assert alignment["outputs"] == {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest() for path in (joined, aln)
    }
    assert alignment["seconds"] >= 0


def test_rerun_into_the_same_folder_gives_the_same_results(
    tmp_path: Path, testdata: Path, write_case: Callable[[str], Path], require_clustalo: str
) -> None:
    variants = testdata / "cases" / "syn-substitutions" / "variants.json"
    out = tmp_path / "out"
    assert pavi_run(write_case("syn-substitutions"), out, variants).returncode == 0
    (out / "work" / "zzz_stale-protein.fa").write_text(">stale\nMAAA\n")
    keep = out / "notes.txt"
    keep.write_text("mine")
    done = pavi_run(write_case("syn-substitutions"), out, variants)
    assert done.returncode == 0, done.stderr
    assert not (out / "work" / "zzz_stale-protein.fa").exists()
    assert keep.read_text() == "mine"
    assert_matches_expected(out, testdata / "cases" / "syn-substitutions" / "expected")


def test_two_runs_at_once_do_not_interfere(
    tmp_path: Path, testdata: Path, write_case: Callable[[str], Path], require_clustalo: str
) -> None:
    cases = ["syn-indels", "syn-multi-variant"]
    results: dict[str, subprocess.CompletedProcess[str]] = {}

    def go(case: str) -> None:
        folder = testdata / "cases" / case
        results[case] = pavi_run(write_case(case), tmp_path / case, folder / "variants.json")

    threads = [threading.Thread(target=go, args=(c,)) for c in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for case in cases:
        assert results[case].returncode == 0, results[case].stderr
        assert_matches_expected(tmp_path / case, testdata / "cases" / case / "expected")


def test_bundled_example_runs_from_another_folder(tmp_path: Path, require_clustalo: str) -> None:
    examples = REPO / "examples"
    done = subprocess.run(
        [
            PAVI,
            "run",
            str(examples / "request.json"),
            "--out",
            "results",
            "--variants-file",
            str(examples / "variants.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    aln = (tmp_path / "results" / "results" / "alignment-output.aln").read_text()
    assert aln.startswith("CLUSTAL O(1.2.4) multiple sequence alignment")
    request = json.loads((examples / "request.json").read_text())
    info = json.loads((tmp_path / "results" / "results" / "aligned_seq_info.json").read_text())
    assert len(info) >= len(request)
    assert all(not e["fasta_file_url"].startswith(("/", "file:")) for e in request)
