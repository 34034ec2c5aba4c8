"""Every shared case, entry by entry, through the CLI: outputs equal the original's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pavi_contracts.schemas import SEQINFO, load_schema

REPO = Path(__file__).resolve().parents[3]


def _expected_exit(folder: Path, entry_id: str) -> tuple[bool, dict[str, bool]]:
    """(entry succeeded in the original, declared outputs present) from status.json."""
    status = json.loads((folder / "expected" / "status.json").read_text())
    for task in status["steps"]["sequence_retrieval"]["tasks"]:
        if task["unique_entry_id"] == entry_id:
            return task["status"] == "success", task["outputs"]
    raise AssertionError(f"{entry_id} not in status.json")


def _check_entry(
    run_cli: Callable[[list[str]], Any], entry: dict[str, Any], folder: Path, out: Path
) -> list[Path]:
    result = run_cli(
        [
            "--entry",
            json.dumps(entry),
            "--output-type",
            "protein",
            "--output-prefix",
            str(out),
            "--variants-file",
            str(folder / "variants.json"),
        ]
    )
    entry_id = entry["unique_entry_id"]
    succeeded, outputs = _expected_exit(folder, entry_id)
    assert "Traceback" not in result.stderr
    if succeeded:
        assert result.exit_code == 0, result.stderr
        assert result.plain_lines == []
    else:
        assert result.exit_code == 1
        assert len(result.plain_lines) == 1
        assert result.plain_lines[0].startswith(f"pavi-seq-retrieval: error: entry {entry_id}: ")
    produced = []
    for name, present in outputs.items():
        ours = out / name
        assert ours.exists() == present, name
        if not present:
            continue
        produced.append(ours)
        expected = folder / "expected" / name
        if name.endswith(".fa"):
            assert ours.read_bytes() == expected.read_bytes(), name
        else:
            assert json.loads(ours.read_text()) == json.loads(expected.read_text()), name
            assert ours.read_bytes() == expected.read_bytes(), name  # json.dumps defaults
    return produced


def test_every_case_matches_the_original(
    run_cli: Callable[[list[str]], Any],
    case_requests: list[tuple[str, list[dict[str, Any]], Path]],
    tmp_path: Path,
) -> None:
    """All entries of all cases: FASTA bytes, seqinfo, success/failure as in the original."""
    checked = 0
    for case, entries, folder in case_requests:
        out = tmp_path / case
        for entry in entries:
            _check_entry(run_cli, entry, folder, out)
            checked += 1
        produced = sorted(p.name for p in out.iterdir())
        expected = sorted(
            p.name
            for p in (folder / "expected").iterdir()
            if p.name.endswith(("-protein.fa", "-seqinfo.json"))
        )
        assert produced == expected, case
    assert checked == sum(len(entries) for _, entries, _ in case_requests) >= 45


def test_seqinfo_files_follow_the_schema(
    run_cli: Callable[[list[str]], Any],
    case_requests: list[tuple[str, list[dict[str, Any]], Path]],
    tmp_path: Path,
) -> None:
    """Every seqinfo this job writes validates against schemas/seqinfo.schema.json."""
    schema = load_schema(SEQINFO)
    validator = jsonschema.Draft202012Validator(schema)
    count = 0
    for case, entries, folder in case_requests:
        for entry in entries:
            for path in _check_entry(run_cli, entry, folder, tmp_path / case):
                if path.name.endswith("-seqinfo.json"):
                    validator.validate(json.loads(path.read_text()))
                    count += 1
    assert count >= 45


def test_console_script_in_a_subprocess(
    case_requests: list[tuple[str, list[dict[str, Any]], Path]], tmp_path: Path
) -> None:
    """The installed `pavi-seq-retrieval` script, as Batch runs it, for a success and a failure."""
    script = Path(sys.executable).with_name("pavi-seq-retrieval")
    assert script.exists(), "run `uv sync --all-packages --group dev` to install the script"
    cases = {case: (entries, folder) for case, entries, folder in case_requests}
    entries, folder = cases["syn-failure-missing-seqid"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAVI_")}
    for entry in entries:
        proc = subprocess.run(
            [
                str(script),
                "--entry",
                json.dumps(entry),
                "--output-type",
                "protein",
                "--output-prefix",
                str(tmp_path),
                "--variants-file",
                str(folder / "variants.json"),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            cwd=tmp_path,
        )
        succeeded, outputs = _expected_exit(folder, entry["unique_entry_id"])
        assert proc.returncode == (0 if succeeded else 1), proc.stderr
        plain = [line for line in proc.stderr.splitlines() if not line.startswith("{")]
        assert plain == ([] if succeeded else [plain[0]])
        if not succeeded:
            assert plain[0] == (
                f"pavi-seq-retrieval: error: entry {entry['unique_entry_id']}: "
                "pavF-3.1_badseqid: Unexpected error occured during coding sequence retrieval. "
                f"(seq_id 'chrUn_missing' not in genome index {entry['fasta_file_url']}.fai)"
            )
        for line in proc.stderr.splitlines():
            if line.startswith("{"):
                assert json.loads(line)["job"] == "pavi-seq-retrieval"
        for name, present in outputs.items():
            assert (tmp_path / name).exists() == present
            if present:
                assert (tmp_path / name).read_bytes() == (folder / "expected" / name).read_bytes()


@pytest.mark.parametrize("spelling", [0, 1])
def test_strand_spellings_give_the_same_output(
    run_cli: Callable[[list[str]], Any],
    synthetic_entry: dict[str, Any],
    testdata: Path,
    tmp_path: Path,
    spelling: int,
) -> None:
    """docs/cases.md, case A9: +1/pos give the same files as +, and -1/neg the same as -."""
    folder = testdata / "cases" / "syn-substitutions"
    others = {"+": ("+1", "pos"), "-": ("-1", "neg")}[synthetic_entry["seq_strand"]]
    entry = {**synthetic_entry, "seq_strand": others[spelling]}
    result = run_cli(
        [
            "--entry",
            json.dumps(entry),
            "--output-prefix",
            str(tmp_path),
            "--variants-file",
            str(folder / "variants.json"),
        ]
    )
    assert result.exit_code == 0, result.stderr
    for suffix in ("-protein.fa", "-seqinfo.json"):
        name = entry["unique_entry_id"] + suffix
        assert (tmp_path / name).read_bytes() == (folder / "expected" / name).read_bytes()
