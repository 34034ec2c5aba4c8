"""`pavi` commands that need no job package: asl, schema, bad requests, the executors."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pavi_workflow.cli import main
from pavi_workflow.commands import alignment_command, merge_command, retrieval_command
from pavi_workflow.executors import (
    ContainerExecutor,
    ExecutorError,
    LocalExecutor,
    find_engine,
    local_mounts,
    resolve_script,
)
from pavi_workflow.run_folder import claimed
from pavi_workflow.runner import _last_line

PAVI = str(Path(sys.executable).parent / "pavi")


def test_asl_prints_the_definition_with_the_given_settings() -> None:
    result = CliRunner().invoke(main, ["asl", "--bucket", "my-bucket", "--max-concurrency", "5"])
    assert result.exit_code == 0, result.output
    definition = json.loads(result.output)
    assert definition["States"]["RetrieveSequences"]["MaxConcurrency"] == 5
    assert "s3://my-bucket/executions/" in result.output


def test_asl_takes_job_definitions_by_step() -> None:
    arn = "arn:aws:batch:eu-west-1:111122223333:job-definition/mine:3"
    result = CliRunner().invoke(main, ["asl", "--job-definition", f"alignment={arn}"])
    assert result.exit_code == 0, result.output
    definition = json.loads(result.output)
    assert definition["States"]["AlignSequences"]["Parameters"]["JobDefinition"] == arn
    assert definition["States"]["MergeSeqInfo"]["Parameters"]["JobDefinition"].endswith(
        ":job-definition/pavi-seqinfo-align"
    )


@pytest.mark.parametrize("item", ["alignment", "align=arn:x"])
def test_asl_refuses_a_bad_job_definition(item: str) -> None:
    result = CliRunner().invoke(main, ["asl", "--job-definition", item])
    assert result.exit_code == 2
    assert "--job-definition" in result.output
    assert "retrieval, alignment, merge" in result.output


def test_schema_is_json_schema() -> None:
    result = CliRunner().invoke(main, ["schema", "--max-entries", "7"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["$defs"]["Entries"]["maxItems"] == 7
    assert schema["$defs"]["Entries"]["type"] == "array"
    assert schema["anyOf"][1]["properties"]["seq_type"]["enum"] == ["protein", "transcript"]


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
    argv = LocalExecutor().argv(alignment_command("/w/", "/r/"))
    assert argv[0] == str(Path(sys.executable).parent / "pavi-alignment")
    assert argv[1:] == ["--work-prefix", "/w/", "--results-prefix", "/r/"]
    with pytest.raises(ExecutorError, match="not installed"):
        resolve_script("pavi-no-such-script")


def test_container_executor_builds_the_engine_command(tmp_path: Path) -> None:
    environ = {"AWS_REGION": "eu-west-1", "AWS_SECRET_ACCESS_KEY": "secret-value", "HOME": "/x"}
    genome = tmp_path / "genomes" / "g.fa.gz"
    entries: list[dict[str, Any]] = [
        {"unique_entry_id": "a", "fasta_file_url": f"file://{genome}"},
        {"unique_entry_id": "b", "fasta_file_url": "https://example.org/x.fa.gz"},
    ]
    variants = tmp_path / "v.json"
    mounts = local_mounts(entries, str(variants))
    assert mounts == sorted([genome.parent, variants])
    run_dir = tmp_path / "run"
    executor = ContainerExecutor("/usr/bin/docker", run_dir, tuple(mounts), environ=environ)
    command = retrieval_command(
        f"{run_dir}/work/request.json", [0, 1], f"{run_dir}/work/", str(variants)
    )
    assert command.argv[0] == "pavi-seq-retrieval"
    argv = executor.argv(command)
    assert argv[:3] == ["/usr/bin/docker", "run", "--rm"]
    assert "--ulimit" not in argv  # podman-only defaults
    volumes = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--volume"]
    assert volumes == [
        f"{run_dir}/work:{run_dir}/work:rw",
        f"{run_dir}/results:{run_dir}/results:rw",
        f"{genome.parent}:{genome.parent}:ro",
        f"{variants}:{variants}:ro",
    ]
    assert "--user" not in argv  # the image's own non-root user
    assert [argv[i + 1] for i, arg in enumerate(argv) if arg == "--env"] == [
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
    ]
    assert "secret-value" not in " ".join(argv)
    image_at = argv.index(f"pavi-seq-retrieval:{version('pavi-seq-retrieval')}")
    # The image's ENTRYPOINT is the script: only the arguments follow the image.
    assert argv[image_at + 1 :] == list(command.args)
    assert argv[image_at + 1 : image_at + 5] == [
        "--request",
        f"{run_dir}/work/request.json",
        "--entries",
        "[0,1]",
    ]
    tagged = ContainerExecutor("docker", run_dir, image_tag="dev", environ=environ).argv(
        merge_command("/w/", "/r/", "/w/request.json")
    )
    assert tagged[-7:] == [
        "pavi-seqinfo-align:dev",
        "--work-prefix",
        "/w/",
        "--results-prefix",
        "/r/",
        "--request",
        "/w/request.json",
    ]


def test_podman_gets_explicit_ulimits_without_a_containers_conf(tmp_path: Path) -> None:
    command = alignment_command("/w/", "/r/")
    bare = ContainerExecutor("/usr/bin/podman", tmp_path, environ={}).argv(command)
    assert bare[:7] == [
        "/usr/bin/podman",
        "run",
        "--rm",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
    ]
    configured = ContainerExecutor(
        "/usr/bin/podman", tmp_path, environ={"CONTAINERS_CONF": "/etc/c.conf"}
    ).argv(command)
    assert "--ulimit" not in configured


def test_container_executor_opens_the_job_folders_to_the_image_user(tmp_path: Path) -> None:
    with claimed(tmp_path / "out") as run_folder:
        run_dir = run_folder.begin()
    folders = [run_dir / "work", run_dir / "results"]
    for folder in folders:
        folder.chmod(0o700)
    ContainerExecutor("podman", run_dir).prepare(folders)
    assert [stat.S_IMODE(f.stat().st_mode) for f in folders] == [0o1777, 0o1777]
    assert stat.S_IMODE((run_dir / "logs").stat().st_mode) != 0o1777
    mine = tmp_path / "mine"
    ContainerExecutor("podman", run_dir, user="1000:1000").prepare([mine])
    assert mine.is_dir()
    assert stat.S_IMODE(mine.stat().st_mode) != 0o1777


def _fake_engine(folder: Path, name: str, info_exit: int) -> Path:
    path = folder / name
    path.write_text(f'#!/bin/sh\n[ "$1" = info ] && exit {info_exit}\nexit 0\n')
    path.chmod(0o755)
    return path


def test_find_engine_takes_docker_only_when_its_daemon_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ExecutorError, match="no container engine works") as err:
        find_engine()
    assert "\n" not in str(err.value)
    docker = _fake_engine(tmp_path, "docker", info_exit=1)
    with pytest.raises(ExecutorError, match="docker is installed but its daemon does not answer"):
        find_engine()
    podman = _fake_engine(tmp_path, "podman", info_exit=0)
    assert find_engine() == str(podman)
    with pytest.raises(ExecutorError, match=r"--engine: docker does not answer"):
        find_engine("docker")
    assert find_engine("podman") == str(podman)
    docker.unlink()
    docker = _fake_engine(tmp_path, "docker", info_exit=0)
    assert find_engine() == str(docker)
    assert find_engine("docker") == str(docker)
    with pytest.raises(ExecutorError, match="--engine: nerdctl is not on PATH"):
        find_engine("nerdctl")


def test_run_without_a_working_engine_is_one_line(
    tmp_path: Path, case_request: Callable[[str], list[dict[str, Any]]]
) -> None:
    _fake_engine(tmp_path, "docker", info_exit=1)
    request = tmp_path / "request.json"
    request.write_text(json.dumps(case_request("syn-no-variants")), encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(
        [PAVI, "run", str(request), "--out", str(out), "--executor", "container"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": str(tmp_path)},
    )
    assert done.returncode == 2
    assert done.stderr == (
        "pavi: error: no container engine works (docker is installed but its daemon does not "
        "answer, no podman on PATH): start a Docker daemon or install podman\n"
    )
    assert not out.exists()


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
