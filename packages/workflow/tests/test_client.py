"""The client (start, status, results, logs) and its CLI against moto."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pavi_workflow import client
from pavi_workflow.cli import main
from pavi_workflow.request import RequestError


@pytest.fixture
def cloud_request(case_request: Callable[[str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """A case request whose genome URLs are https (the cloud rules)."""
    return [
        {**e, "fasta_file_url": "https://example.org/genomes/synthetic.fa.gz"}
        for e in case_request("syn-substitutions")
    ]


def _finish(pipeline: Any, arn: str) -> dict[str, Any]:
    described: dict[str, Any] = pipeline.wait(arn)
    return described


def test_start_validates_then_names_the_execution_with_a_uuid(
    pipeline: Any, cloud_request: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(client.STATE_MACHINE_ENV, pipeline.arn)
    arn = client.start(cloud_request, sfn=pipeline.sfn)
    name = arn.rsplit(":", 1)[-1]
    assert len(name) == 36
    assert name.count("-") == 4
    described = _finish(pipeline, arn)
    assert json.loads(described["input"]) == cloud_request
    assert client.status(arn, sfn=pipeline.sfn) == client.ExecutionStatus("COMPLETED", "SUCCEEDED")


def test_start_refuses_bad_requests_before_anything_runs(
    pipeline: Any, cloud_request: list[dict[str, Any]]
) -> None:
    local = [{**cloud_request[0], "fasta_file_url": "file:///g.fa.gz"}]
    with pytest.raises(RequestError, match="fasta_file_url: scheme file://"):
        client.start(local, state_machine_arn=pipeline.arn, sfn=pipeline.sfn)
    assert pipeline.sfn.list_executions(stateMachineArn=pipeline.arn)["executions"] == []


def test_start_needs_a_state_machine(
    cloud_request: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(client.STATE_MACHINE_ENV, raising=False)
    with pytest.raises(client.ClientError, match=client.STATE_MACHINE_ENV):
        client.start(cloud_request)


@pytest.mark.parametrize(
    ("sfn_status", "state"),
    [
        ("RUNNING", "RUNNING"),
        ("PENDING_REDRIVE", "PENDING"),
        ("SUCCEEDED", "COMPLETED"),
        ("FAILED", "FAILED"),
        ("TIMED_OUT", "FAILED"),
        ("ABORTED", "FAILED"),
    ],
)
def test_status_mapping(sfn_status: str, state: str) -> None:
    assert client.STATUS_MAP[sfn_status] == state


def test_failed_execution_status_names_the_step_and_entry(
    pipeline: Any,
    cloud_request: list[dict[str, Any]],
    batch_failures: list[Callable[[list[str]], bool]],
) -> None:
    target = cloud_request[3]["unique_entry_id"]
    batch_failures.append(lambda c: f'"unique_entry_id":"{target}"' in " ".join(c))
    arn = client.start(cloud_request, state_machine_arn=pipeline.arn, sfn=pipeline.sfn)
    _finish(pipeline, arn)
    found = client.status(arn, sfn=pipeline.sfn)
    assert found.state == "FAILED"
    assert found.error == "RetrievalFailed"
    assert found.cause is not None
    assert found.cause.startswith(f"retrieval of entry {target} failed: ")
    assert "job " in found.cause  # the DescribeJobs JSON is summarised
    with pytest.raises(client.ClientError, match="is FAILED, it has no results"):
        client.results(arn, sfn=pipeline.sfn)
    result = CliRunner().invoke(main, ["status", arn])
    assert result.exit_code == 1
    assert f"RetrievalFailed: retrieval of entry {target} failed" in result.output


def test_results_are_read_through_common_s3(
    pipeline: Any, cloud_request: list[dict[str, Any]], tmp_path: Path
) -> None:
    arn = client.start(cloud_request, state_machine_arn=pipeline.arn, sfn=pipeline.sfn)
    _finish(pipeline, arn)
    found = client.results(arn, sfn=pipeline.sfn)
    name = arn.rsplit(":", 1)[-1]
    assert (
        found.alignment == f"s3://{pipeline.bucket}/executions/{name}/results/alignment-output.aln"
    )
    # moto's Batch runs no container: put what the merge and alignment jobs would have written.
    prefix = f"executions/{name}/results/"
    pipeline.s3.put_object(
        Bucket=pipeline.bucket, Key=prefix + "alignment-output.aln", Body=b"CLUSTAL"
    )
    pipeline.s3.put_object(
        Bucket=pipeline.bucket, Key=prefix + "aligned_seq_info.json", Body=b'{"a": {}}'
    )
    assert found.read_alignment() == "CLUSTAL"
    assert found.read_seq_info() == {"a": {}}
    paths = found.download(tmp_path / "dl")
    assert [p.name for p in paths] == ["alignment-output.aln", "aligned_seq_info.json"]
    assert (tmp_path / "dl" / "alignment-output.aln").read_bytes() == b"CLUSTAL"
    result = CliRunner().invoke(main, ["results", arn])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["seq_info"] == found.seq_info


def test_logs_come_from_each_batch_job_of_the_execution(
    pipeline: Any, cloud_request: list[dict[str, Any]]
) -> None:
    arn = client.start(cloud_request[:2], state_machine_arn=pipeline.arn, sfn=pipeline.sfn)
    _finish(pipeline, arn)
    jobs = client.batch_jobs(client.history(arn, sfn=pipeline.sfn))
    assert sorted(j.step for j in jobs) == ["alignment", "merge", "retrieval", "retrieval"]
    assert {j.entry_id for j in jobs if j.step == "retrieval"} == {
        e["unique_entry_id"] for e in cloud_request[:2]
    }
    group = "/aws/batch/job"
    pipeline.logs.create_log_group(logGroupName=group)
    for job in jobs:  # what the awslogs driver would have written
        assert job.log_stream
        pipeline.logs.create_log_stream(logGroupName=group, logStreamName=job.log_stream)
        pipeline.logs.put_log_events(
            logGroupName=group,
            logStreamName=job.log_stream,
            logEvents=[
                {"timestamp": int(time.time() * 1000), "message": f"hello from {job.job_id}"}
            ],
        )
    lines = client.logs(arn, sfn=pipeline.sfn, logs_client=pipeline.logs)
    assert sorted(line.message for line in lines) == sorted(f"hello from {j.job_id}" for j in jobs)
    result = CliRunner().invoke(main, ["logs", arn])
    assert result.exit_code == 0, result.output
    assert f"[retrieval {cloud_request[0]['unique_entry_id']}] hello from" in result.output


def test_submit_cli_prints_the_arn(
    pipeline: Any, cloud_request: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(cloud_request))
    result = CliRunner().invoke(main, ["submit", str(path), "--state-machine-arn", pipeline.arn])
    assert result.exit_code == 0, result.output
    arn = result.output.strip()
    assert arn.startswith(pipeline.arn.replace(":stateMachine:", ":execution:"))
    _finish(pipeline, arn)
    assert CliRunner().invoke(main, ["status", arn]).output.strip() == "COMPLETED"


def test_cli_reports_aws_errors_in_one_line(pipeline: Any) -> None:
    missing = pipeline.arn.replace(":stateMachine:", ":execution:") + ":nope"
    result = CliRunner().invoke(main, ["status", missing])
    assert result.exit_code == 1
    assert result.output.startswith("pavi: error: ")
    assert len(result.output.strip().splitlines()) == 1
