"""The request model: whole-request checks, every problem at once, schemes per target."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pavi_workflow.request import RequestError, load_request, request_schema, validate_request


def _problems(data: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(RequestError) as caught:
        validate_request(data, **{"target": "local", **kwargs})
    return caught.value.problems


@pytest.fixture
def entries(case_request: Callable[[str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return case_request("syn-no-variants")


def test_every_case_request_is_valid(
    case_request: Callable[[str], list[dict[str, Any]]], testdata: Path
) -> None:
    for case in sorted(p.name for p in (testdata / "cases").iterdir() if p.is_dir()):
        request = validate_request(case_request(case), target="local")
        assert request.entry_ids == [e["unique_entry_id"] for e in case_request(case)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"entries": {"a": 1}}, "request: entries: must be a JSON array of entries, not an object"),
        (
            "x",
            "request: must be a JSON array of entries or an object "
            '{"entries": [...], "seq_type": ...}, not a string',
        ),
        ([], "request: must hold at least one entry"),
        ({"entries": []}, "request: must hold at least one entry"),
    ],
)
def test_request_must_be_a_non_empty_array(data: Any, expected: str) -> None:
    assert _problems(data) == [expected]


def test_an_object_without_entries_names_every_problem() -> None:
    assert _problems({"a": 1}) == [
        "request: unknown field a (the object form holds entries, seq_type)",
        "request: entries: required (the request's array of entries)",
    ]


@pytest.mark.parametrize("target", ["local", "cloud"])
def test_the_object_form_carries_the_seq_type(
    target: str, entries: list[dict[str, Any]], tmp_path: Path
) -> None:
    if target == "cloud":
        entries = [{**e, "fasta_file_url": "https://example.org/g.fa.gz"} for e in entries]
    data = {"entries": entries, "seq_type": "transcript"}
    request = validate_request(data, target=target)  # type: ignore[arg-type]
    assert request.seq_type == "transcript"
    assert request.entry_ids == [e["unique_entry_id"] for e in entries]
    assert json.loads(request.to_json())["seq_type"] == "transcript"
    assert validate_request(entries, target=target).seq_type == "protein"  # type: ignore[arg-type]
    overridden = validate_request(entries, target=target, seq_type="transcript")  # type: ignore[arg-type]
    assert overridden.seq_type == "transcript"
    assert _problems({"entries": entries, "seq_type": "DNA"}) == [
        'request: seq_type: must be one of protein, transcript, got "DNA"'
    ]


def test_local_paths_of_the_object_form_resolve_against_the_request_file(
    entries: list[dict[str, Any]], tmp_path: Path
) -> None:
    folder = tmp_path / "req"
    folder.mkdir()
    path = folder / "request.json"
    data = {
        "entries": [{**entries[0], "fasta_file_url": "genomes/g.fa.gz"}],
        "seq_type": "transcript",
    }
    path.write_text(json.dumps(data))
    request = load_request(path, target="local")
    assert request.seq_type == "transcript"
    assert request.entries[0]["fasta_file_url"] == f"file://{folder}/genomes/g.fa.gz"
    assert load_request(path, target="local", seq_type="protein").seq_type == "protein"


def test_entry_count_is_bounded(entries: list[dict[str, Any]]) -> None:
    problems = _problems(entries, max_entries=3)
    assert problems == [f"request: holds {len(entries)} entries, at most 3 are allowed"]


def test_all_problems_are_reported_with_index_id_and_field(entries: list[dict[str, Any]]) -> None:
    bad = [dict(e) for e in entries]
    bad[2]["seq_strand"] = "plus"
    bad[4]["unique_entry_id"] = bad[1]["unique_entry_id"]
    del bad[5]["seq_id"]
    bad.append(7)  # type: ignore[arg-type]
    problems = _problems(bad)
    joined = "\n".join(problems)
    assert any(
        p.startswith(f"entry 2 ({bad[2]['unique_entry_id']}): seq_strand: ") for p in problems
    ), joined
    assert f"entry 4 ({bad[1]['unique_entry_id']}): unique_entry_id: duplicate of entry 1" in joined
    assert any(p.startswith(f"entry 5 ({bad[5]['unique_entry_id']}): seq_id") for p in problems)
    assert f"entry {len(bad) - 1}: must be a JSON object, not a number" in problems


@pytest.mark.parametrize("entry_id", ["../x", "a b", ".hidden", "a/b", "x" * 300, "é"])
def test_unsafe_entry_ids_are_refused(entries: list[dict[str, Any]], entry_id: str) -> None:
    bad = [{**entries[0], "unique_entry_id": entry_id}]
    problems = _problems(bad)
    assert any("unique_entry_id" in p for p in problems), problems


def test_schemes_depend_on_the_target(entries: list[dict[str, Any]]) -> None:
    local = [{**entries[0], "fasta_file_url": "file:///data/genome.fa.gz"}]
    assert validate_request(local, target="local").entries[0]["fasta_file_url"].startswith("file")
    problems = _problems(local, target="cloud")
    assert problems == [
        f"entry 0 ({entries[0]['unique_entry_id']}): fasta_file_url: scheme file:// is not "
        "allowed in a cloud run (use https://, s3://)"
    ]
    for url in ("https://example.org/g.fa.gz", "s3://bucket/g.fa.gz"):
        ok = [{**entries[0], "fasta_file_url": url}]
        assert validate_request(ok, target="cloud").entries[0]["fasta_file_url"] == url
    http = [{**entries[0], "fasta_file_url": "http://example.org/g.fa.gz"}]
    assert any("http://" in p for p in _problems(http, target="cloud"))
    ftp = [{**entries[0], "fasta_file_url": "ftp://example.org/g.fa.gz"}]
    assert any("fasta_file_url" in p for p in _problems(ftp, target="local"))


def test_relative_paths_resolve_against_the_request_folder(
    tmp_path: Path, entries: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "req"
    folder.mkdir()
    path = folder / "request.json"
    path.write_text(json.dumps([{**entries[0], "fasta_file_url": "genomes/g.fa.gz"}]))
    monkeypatch.chdir(tmp_path)
    request = load_request(path, target="local")
    assert request.entries[0]["fasta_file_url"] == f"file://{folder}/genomes/g.fa.gz"
    with pytest.raises(RequestError, match="local path is not allowed in a cloud run"):
        load_request(path, target="cloud")


def test_unreadable_or_invalid_files_are_one_problem(tmp_path: Path) -> None:
    with pytest.raises(RequestError, match="cannot read"):
        load_request(tmp_path / "missing.json", target="local")
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    with pytest.raises(RequestError, match="is not valid JSON"):
        load_request(broken, target="local")


def test_schema_describes_valid_requests(entries: list[dict[str, Any]]) -> None:
    schema = request_schema(max_entries=10)
    array = schema["$defs"]["Entries"]
    assert array["type"] == "array"
    assert array["minItems"] == 1
    assert array["maxItems"] == 10
    jsonschema.validate(entries, schema)
    jsonschema.validate({"entries": entries, "seq_type": "transcript"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([], schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"unique_entry_id": "x"}], schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"entries": entries, "seq_type": "rna"}, schema)


def test_cloud_requests_must_fit_the_payload_limit(entries: list[dict[str, Any]]) -> None:
    big = [
        {
            **entries[0],
            "unique_entry_id": f"{i:03d}_x",
            "base_seq_name": f"x{i}",
            "fasta_file_url": "https://example.org/g.fa.gz",
            "variant_ids": [f"v{j}" * 20 for j in range(60)],
        }
        for i in range(80)
    ]
    assert len(validate_request(big, target="local").entries) == 80
    problems = _problems(big, target="cloud")
    assert len(problems) == 1
    assert problems[0].startswith("request: ")
    assert "fit in an execution" in problems[0]
