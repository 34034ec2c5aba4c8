"""Parity of the `retrieve` API with the original's outputs for every shared case entry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pavi_seq_retrieval.model import Genome
from pavi_seq_retrieval.retrieval import RetrievalInput, retrieve


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per request entry of testdata/cases/*/request.json."""
    if "core_case_entry" not in metafunc.fixturenames:
        return
    cases = metafunc.config.rootpath / "testdata" / "cases"
    params: list[tuple[str, str]] = []
    for folder in sorted(cases.iterdir()):
        request = folder / "request.json"
        if request.is_file():
            params.extend(
                (folder.name, e["unique_entry_id"]) for e in json.loads(request.read_text())
            )
    assert params, f"no cases found under {cases}"
    metafunc.parametrize("core_case_entry", params, ids=[f"{c}/{e}" for c, e in params])


def test_core_parity_with_original(
    core_case_entry: tuple[str, str],
    testdata: Path,
    core_to_input: Callable[[dict[str, Any], dict[str, Any]], RetrievalInput],
    core_genome_for: Callable[[str], Genome],
) -> None:
    case, entry_id = core_case_entry
    folder = testdata / "cases" / case
    entries = json.loads((folder / "request.json").read_text().replace("{data}", str(testdata)))
    entry = next(e for e in entries if e["unique_entry_id"] == entry_id)
    status = json.loads((folder / "expected" / "status.json").read_text())
    assert status["exit_codes"]["sequence_retrieval"][entry_id] == 0
    responses = json.loads((folder / "variants.json").read_text())

    out = retrieve(core_to_input(entry, responses), core_genome_for(entry["fasta_file_url"]))

    fasta = folder / "expected" / f"{entry_id}-protein.fa"
    if fasta.exists():
        assert out.fasta == fasta.read_text()
    else:
        assert out.fasta is None
    seqinfo = (folder / "expected" / f"{entry_id}-seqinfo.json").read_text()
    assert json.loads(out.seqinfo) == json.loads(seqinfo)
    assert out.seqinfo == seqinfo
    expected_errors = {
        key: value["error"]
        for key, value in json.loads(seqinfo).items()
        if isinstance(value, dict) and "error" in value
    }
    assert dict(out.errors) == expected_errors
