"""Several entries of a stored request in one job: `--request URI --entries SPEC`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

Run = Callable[[list[str]], Any]


def write_request(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def request_args(request: Path, spec: str, out: Path, *extra: str) -> list[str]:
    return ["--request", str(request), "--entries", spec, "--output-prefix", str(out), *extra]


@pytest.mark.parametrize("spec", ["0-99", "all-json"])
def test_every_case_in_one_job_matches_the_original(
    spec: str,
    run_cli: Run,
    tmp_path: Path,
    case_requests: list[tuple[str, list[dict[str, Any]], Path]],
) -> None:
    """Each case's entries in one process: each entry's files exactly as the original's."""
    for case, entries, folder in case_requests:
        out = tmp_path / case
        request = write_request(tmp_path, entries)
        chosen = (
            json.dumps(list(range(len(entries)))) if spec == "all-json" else f"0-{len(entries) - 1}"
        )
        result = run_cli(
            request_args(request, chosen, out, "--variants-file", str(folder / "variants.json"))
        )
        expected = folder / "expected"
        failed = [
            entry["unique_entry_id"]
            for entry in entries
            if not (expected / f"{entry['unique_entry_id']}-protein.fa").exists()
        ]
        assert result.exit_code == (1 if failed else 0), result.stderr
        for entry in entries:
            entry_id = entry["unique_entry_id"]
            fasta = expected / f"{entry_id}-protein.fa"
            if fasta.exists():
                assert (out / fasta.name).read_bytes() == fasta.read_bytes(), (case, entry_id)
            info = expected / f"{entry_id}-seqinfo.json"
            assert json.loads((out / info.name).read_text()) == json.loads(info.read_text())
        if failed:
            (line,) = result.plain_lines
            assert line.startswith(
                f"pavi-seq-retrieval: error: entries failed ({len(failed)} of {len(entries)}): "
                f"{', '.join(failed)} (entry {failed[0]}: "
            ), line


@pytest.mark.parametrize(
    ("spec", "chosen"),
    [("2", [2]), ("0-2", [0, 1, 2]), ("0,3", [0, 3]), ("[3,1]", [3, 1]), (" 1 - 2 ", [1, 2])],
)
def test_the_spec_selects_entries(
    spec: str,
    chosen: list[int],
    run_cli: Run,
    tmp_path: Path,
    case_requests: list[tuple[str, list[dict[str, Any]], Path]],
) -> None:
    _, entries, folder = next(row for row in case_requests if row[0] == "syn-substitutions")
    out = tmp_path / "out"
    args = request_args(write_request(tmp_path, entries), spec, out)
    result = run_cli([*args, "--variants-file", str(folder / "variants.json")])
    assert result.exit_code == 0, result.stderr
    written = sorted(path.name for path in out.iterdir())
    ids = [entries[i]["unique_entry_id"] for i in chosen]
    assert written == sorted(f"{i}-{kind}" for i in ids for kind in ("protein.fa", "seqinfo.json"))
    started = [
        json.loads(line)["entry"] for line in result.stderr.splitlines() if '"start"' in line
    ]
    assert started == ids  # in the SPEC's order


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        (["--entries", "0"], ["--request and --entries go together"]),
        (["--request", "{request}"], ["--request and --entries go together"]),
        (["--request", "{request}", "--entries", "9"], ["--entries: '9': index 9 is out of range"]),
        (["--request", "{request}", "--entries", "0,0"], ["index 0 is selected twice"]),
        (["--request", "{request}", "--entries", "x"], ["'x' is not an index or a range"]),
        (["--request", "{request}", "--entries", "3-1"], ["range 3-1 ends before it starts"]),
        (["--request", "{request}", "--entries", "[true]"], ["whole numbers from 0 up"]),
        (["--request", "{missing}", "--entries", "0"], ["--request: ", "missing.json"]),
        (["--request", "{bad}", "--entries", "0"], ["--request: ", "not a JSON request"]),
        (["--request", "{invalid}", "--entries", "0"], ["entry 0 (a): base_seq_name: is required"]),
        (
            ["--request", "{request}", "--entries", "0", "--entry", "{}"],
            ["--request cannot be combined with --entry"],
        ),
        (
            ["--request", "{request}", "--entries", "0", "--seq_id", "chr1"],
            ["--request cannot be combined with --seq_id"],
        ),
    ],
)
def test_bad_request_mode_input_is_one_line_and_exit_2(
    args: list[str],
    parts: list[str],
    run_cli: Run,
    tmp_path: Path,
    synthetic_entry: dict[str, Any],
) -> None:
    paths = {
        "request": write_request(tmp_path, [synthetic_entry]),
        "missing": tmp_path / "missing.json",
        "bad": tmp_path / "bad.json",
        "invalid": tmp_path / "invalid.json",
    }
    paths["bad"].write_text("[{", encoding="utf-8")
    paths["invalid"].write_text(json.dumps([{"unique_entry_id": "a"}]), encoding="utf-8")
    filled = [str(paths[arg[1:-1]]) if arg[1:-1] in paths else arg for arg in args]
    out = tmp_path / "out"
    result = run_cli([*filled, "--output-prefix", str(out)])
    assert result.exit_code == 2, result.stderr
    (line,) = result.plain_lines
    assert line.startswith("pavi-seq-retrieval: error: ")
    for part in parts:
        assert part in line, line
    assert not out.exists()


def test_each_variant_id_is_looked_up_once_per_job(
    run_cli: Run,
    tmp_path: Path,
    httpserver: HTTPServer,
    case_requests: list[tuple[str, list[dict[str, Any]], Path]],
) -> None:
    """Entries sharing variant ids: one API request per distinct id, whatever the entries."""
    _, entries, folder = next(row for row in case_requests if row[0] == "syn-multi-variant")
    responses = json.loads((folder / "variants.json").read_text())
    shared = [  # copies need their own record names (one request's names are unique)
        {
            **entry,
            "unique_entry_id": f"{entry['unique_entry_id']}-{n}",
            "base_seq_name": entry["base_seq_name"] + ("" if n == 1 else "-copy"),
        }
        for n in (1, 2)
        for entry in entries
    ]
    ids = {vid for entry in shared for vid in entry["variant_ids"]}
    assert len(ids) < sum(len(entry["variant_ids"]) for entry in shared)  # ids are shared
    for vid in ids:
        httpserver.expect_request(f"/api/variant/{vid}").respond_with_json(responses[vid])
    out = tmp_path / "out"
    api = httpserver.url_for("/api/variant/")
    request = write_request(tmp_path, shared)
    result = run_cli(request_args(request, f"0-{len(shared) - 1}", out, "--variant-api-url", api))
    assert result.exit_code == 0, result.stderr
    asked = sorted(entry.path.rsplit("/", 1)[-1] for entry, _ in httpserver.log)
    assert asked == sorted(ids)
    for entry in entries:  # the copies' files equal the original's
        for kind in ("protein.fa",):
            expected = (folder / "expected" / f"{entry['unique_entry_id']}-{kind}").read_bytes()
            assert (out / f"{entry['unique_entry_id']}-1-{kind}").read_bytes() == expected


def test_a_failed_variant_fails_only_its_entries(
    run_cli: Run,
    tmp_path: Path,
    httpserver: HTTPServer,
    case_requests: list[tuple[str, list[dict[str, Any]], Path]],
) -> None:
    _, entries, folder = next(row for row in case_requests if row[0] == "syn-substitutions")
    responses = json.loads((folder / "variants.json").read_text())
    with_variants = [e for e in entries if e["variant_ids"]][:2]
    broken = with_variants[0]["variant_ids"][0]
    for vid in {v for e in with_variants for v in e["variant_ids"]}:
        if vid == broken:
            httpserver.expect_request(f"/api/variant/{vid}").respond_with_data("no", status=404)
        else:
            httpserver.expect_request(f"/api/variant/{vid}").respond_with_json(responses[vid])
    out = tmp_path / "out"
    api = httpserver.url_for("/api/variant/")
    result = run_cli(
        request_args(write_request(tmp_path, with_variants), "0-1", out, "--variant-api-url", api)
    )
    assert result.exit_code == 1
    first, second = (e["unique_entry_id"] for e in with_variants)
    (line,) = result.plain_lines
    assert f"entries failed (1 of 2): {first} (entry {first}: " in line
    assert broken in line
    assert (out / f"{second}-protein.fa").exists()
    assert not (out / f"{first}-protein.fa").exists()


@pytest.mark.parametrize("output_type", ["protein", "transcript"])
def test_the_object_form_of_a_stored_request_is_read_like_the_array(
    output_type: str,
    run_cli: Run,
    tmp_path: Path,
    case_requests: list[tuple[str, list[dict[str, Any]], Path]],
) -> None:
    """A request stored as {"entries": [...], "seq_type": ...} (the state machine stores the
    execution input as given): the same files as one `--entry` job per entry."""
    _, entries, folder = next(row for row in case_requests if row[0] == "syn-multi-variant")
    variants = ["--variants-file", str(folder / "variants.json"), "--output-type", output_type]
    stored = tmp_path / "request.json"
    stored.write_text(json.dumps({"entries": entries, "seq_type": output_type}))
    out = tmp_path / "out"
    result = run_cli(request_args(stored, f"0-{len(entries) - 1}", out, *variants))
    assert result.exit_code == 0, result.stderr
    for entry in entries:
        one = tmp_path / entry["unique_entry_id"]
        single = run_cli(["--entry", json.dumps(entry), "--output-prefix", str(one), *variants])
        assert single.exit_code == 0, single.stderr
        names = sorted(path.name for path in one.iterdir())
        assert names == sorted(
            f"{entry['unique_entry_id']}-{kind}" for kind in (f"{output_type}.fa", "seqinfo.json")
        )
        for name in names:
            assert (out / name).read_bytes() == (one / name).read_bytes(), name
    written = sorted(path.name for path in out.iterdir())
    assert len(written) == 2 * len(entries)


def test_a_bad_object_form_is_one_line_and_exit_2(
    run_cli: Run, tmp_path: Path, synthetic_entry: dict[str, Any]
) -> None:
    stored = tmp_path / "request.json"
    stored.write_text(json.dumps({"entries": [synthetic_entry], "seq_type": "rna"}))
    out = tmp_path / "out"
    result = run_cli(request_args(stored, "0", out))
    assert result.exit_code == 2, result.stderr
    (line,) = result.plain_lines
    assert line == (
        f"pavi-seq-retrieval: error: --request: {stored}: request: seq_type: must be one of "
        'protein, transcript, got "rna"'
    )
    assert not out.exists()
