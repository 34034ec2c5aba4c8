"""`pavi` commands that need no job package: asl, schema, bad requests, the executors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pavi_workflow.cli import main
from pavi_workflow.commands import alignment_command, retrieval_command
from pavi_workflow.executors import (
    ContainerExecutor,
    ExecutorError,
    LocalExecutor,
    find_engine,
    local_mounts,
)
from pavi_workflow.runner import _last_line, prepare_run_dir

PAVI = str(Path(sys.executable).parent / "pavi")


def test_asl_prints_the_definition_with_the_given_settings() -> None:
    result = CliRunner().invoke(main, ["asl", "--bucket", "my-bucket", "--max-concurrency", "5"])
    assert result.exit_code == 0, result.output
    definition = json.loads(result.output)
    assert definition["States"]["RetrieveSequences"]["MaxConcurrency"] == 5
    assert "s3://my-bucket/executions/" in result.output


def test_asl_refuses_express() -> None:
    result = CliRunner().invoke(main, ["asl", "--workflow-type", "EXPRESS"])
    assert result.exit_code == 2
    assert "EXPRESS" in result.output


def test_schema_is_json_schema() -> None:
    result = CliRunner().invoke(main, ["schema", "--max-entries", "7"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["maxItems"] == 7
    assert schema["type"] == "array"


def test_bad_request_lists_every_problem_one_line_each(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps([{"unique_entry_id": "a"}, {"unique_entry_id": "a"}]))
    out = tmp_path / "out"
    done = subprocess.run(
        [PAVI, "run", str(request), "--out", str(out)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert all(line.startswith("pavi: error: entry ") for line in lines), lines
    assert any(
        line.startswith("pavi: error: entry 1 (a): unique_entry_id: duplicate") for line in lines
    )
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_missing_variants_file_is_a_usage_error(tmp_path: Path, testdata: Path) -> None:
    request = testdata / "cases" / "syn-no-variants" / "request.json"
    text = request.read_text().replace("{data}", str(testdata))
    (tmp_path / "r.json").write_text(text)
    done = subprocess.run(
        [
            PAVI,
            "run",
            str(tmp_path / "r.json"),
            "--out",
            str(tmp_path / "o"),
            "--variants-file",
            str(tmp_path / "nope.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"pavi: error: --variants-file: {tmp_path / 'nope.json'} is not a file"
    )


def test_local_executor_runs_the_venv_scripts() -> None:
    argv = LocalExecutor().argv("alignment", alignment_command("/w/", "/r/"))
    assert argv[0] == str(Path(sys.executable).parent / "pavi-alignment")
    assert argv[1:] == ["--work-prefix", "/w/", "--results-prefix", "/r/"]
    with pytest.raises(ExecutorError, match="not installed"):
        LocalExecutor().argv("alignment", ["pavi-no-such-script"])


def test_container_executor_builds_the_engine_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-value")
    genome = tmp_path / "genomes" / "g.fa.gz"
    entries: list[dict[str, Any]] = [
        {"unique_entry_id": "a", "fasta_file_url": f"file://{genome}"},
        {"unique_entry_id": "b", "fasta_file_url": "https://example.org/x.fa.gz"},
    ]
    variants = tmp_path / "v.json"
    mounts = local_mounts(entries, str(variants))
    assert mounts == sorted([genome.parent, variants])
    run_dir = tmp_path / "run"
    executor = ContainerExecutor("/usr/bin/podman", run_dir, tuple(mounts))
    command = retrieval_command(entries[0], f"{run_dir}/work/", str(variants))
    argv = executor.argv("retrieval", command)
    assert argv[:5] == ["/usr/bin/podman", "run", "--rm", "--volume", f"{run_dir}:{run_dir}:rw"]
    assert f"{genome.parent}:{genome.parent}:ro" in argv
    assert f"{variants}:{variants}:ro" in argv
    assert argv[argv.index("--user") + 1] == f"{os.getuid()}:{os.getgid()}"
    assert "AWS_REGION" in argv
    assert "secret-value" not in " ".join(argv)
    image_at = argv.index("pavi-seq-retrieval:0.1.0")
    assert argv[image_at + 1 :] == command
    tagged = ContainerExecutor("docker", run_dir, image_tag="dev").argv(
        "merge", ["pavi-seqinfo-align"]
    )
    assert "pavi-seqinfo-align:dev" in tagged


def test_find_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ExecutorError, match="no container engine found"):
        find_engine()
    podman = tmp_path / "podman"
    podman.write_text("#!/bin/sh\n")
    podman.chmod(0o755)
    assert find_engine() == str(podman)
    with pytest.raises(ExecutorError, match="docker is not on PATH"):
        find_engine("docker")


def test_prepare_clears_only_the_run_folders(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "work").mkdir(parents=True)
    (out / "work" / "old.fa").write_text("x")
    (out / "mine.txt").write_text("keep")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f").write_text("keep")
    (out / "results").symlink_to(outside)
    prepare_run_dir(out)
    assert list((out / "work").iterdir()) == []
    assert (out / "mine.txt").read_text() == "keep"
    assert (outside / "f").read_text() == "keep"
    assert (out / "results").is_dir()
    assert not (out / "results").is_symlink()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            '{"event": "start"}\npavi-seq-retrieval: error: 002_x: seq_id: not found\n',
            "002_x: seq_id: not found",
        ),
        ("FATAL: File 'x' contains 1 sequence\n\n", "FATAL: File 'x' contains 1 sequence"),
        ("", ""),
    ],
)
def test_last_line_is_the_jobs_message(text: str, line: str) -> None:
    assert _last_line(text) == line
