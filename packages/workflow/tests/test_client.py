"""The client (start, status, results, logs) and its CLI against moto."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pavi_workflow import batch, client
from pavi_workflow.cli import main
from pavi_workflow.request import RequestError, validate_request

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
LOG_GROUP = "/aws/batch/pavi-test"  # the pipeline fixture's job definitions log here


GENOMES_BUCKET = "pavi-test-genomes"


@pytest.fixture
def cloud_request(
    pipeline: Any, case_request: Callable[[str], list[dict[str, Any]]], testdata: Path
) -> list[dict[str, Any]]:
    """A case request whose genome is on S3 (the cloud rules), in a bucket of its own."""
    pipeline.s3.create_bucket(Bucket=GENOMES_BUCKET)
    for path in (testdata / "genomes").glob("synthetic.fa.gz*"):
        pipeline.s3.put_object(Bucket=GENOMES_BUCKET, Key=path.name, Body=path.read_bytes())
    return [
        {**e, "fasta_file_url": f"s3://{GENOMES_BUCKET}/synthetic.fa.gz"}
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


@pytest.mark.parametrize("how", ["option", "object form"])
def test_start_sends_a_transcript_request_in_the_object_form(
    how: str, pipeline: Any, cloud_request: list[dict[str, Any]]
) -> None:
    if how == "option":
        arn = client.start(
            cloud_request, state_machine_arn=pipeline.arn, sfn=pipeline.sfn, seq_type="transcript"
        )
    else:
        request = {"entries": cloud_request, "seq_type": "transcript"}
        arn = client.start(request, state_machine_arn=pipeline.arn, sfn=pipeline.sfn)
    described = _finish(pipeline, arn)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["input"]) == {"entries": cloud_request, "seq_type": "transcript"}
    assert json.loads(described["output"])["seq_type"] == "transcript"
    commands = pipeline.submitted_commands(arn)
    assert commands[-2][0] == "pavi-alignment"
    assert commands[-2][-2:] == ["--seq-type", "dna"]
    # A validated protein Request with the option becomes a transcript run too.
    checked = validate_request(cloud_request, target="cloud")
    arn = client.start(
        checked, state_machine_arn=pipeline.arn, sfn=pipeline.sfn, seq_type="transcript"
    )
    assert json.loads(_finish(pipeline, arn)["input"])["seq_type"] == "transcript"


def test_start_refuses_bad_requests_before_anything_runs(
    pipeline: Any, cloud_request: list[dict[str, Any]]
) -> None:
    local = [{**cloud_request[0], "fasta_file_url": "file:///g.fa.gz"}]
    with pytest.raises(RequestError, match="fasta_file_url: scheme file://"):
        client.start(local, state_machine_arn=pipeline.arn, sfn=pipeline.sfn)
    assert pipeline.sfn.list_executions(stateMachineArn=pipeline.arn)["executions"] == []


def test_start_refuses_a_request_its_genome_cannot_serve(
    pipeline: Any, cloud_request: list[dict[str, Any]]
) -> None:
    bad = [{**cloud_request[0], "seq_id": "chrUn"}, *cloud_request[1:]]
    bad[2] = {**bad[2], "exon_seq_regions": ["1..999999"], "cds_seq_regions": []}
    with pytest.raises(RequestError) as info:
        client.start(bad, state_machine_arn=pipeline.arn, sfn=pipeline.sfn)
    assert [p.split(":", 1)[0] for p in info.value.problems] == [
        f"entry 0 ({bad[0]['unique_entry_id']})",
        f"entry 2 ({bad[2]['unique_entry_id']})",
    ]
    assert 'seq_id: "chrUn" is not in the genome' in info.value.problems[0]
    assert pipeline.sfn.list_executions(stateMachineArn=pipeline.arn)["executions"] == []
    assert pipeline.s3.list_objects_v2(Bucket=pipeline.bucket).get("KeyCount") == 0
    # Without the checks (a machine that cannot read the genomes) the execution starts.
    arn = client.start(bad, state_machine_arn=pipeline.arn, sfn=pipeline.sfn, preflight=False)
    assert pipeline.sfn.describe_execution(executionArn=arn)["status"] in ("RUNNING", "FAILED")
    _finish(pipeline, arn)


def test_submit_cli_refuses_in_one_line_per_problem(
    pipeline: Any, cloud_request: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps([{**cloud_request[0], "seq_id": "chrUn"}]))
    result = CliRunner().invoke(main, ["submit", str(path), "--state-machine-arn", pipeline.arn])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f'pavi: error: entry 0 ({cloud_request[0]["unique_entry_id"]}): seq_id: "chrUn" is not '
        f"in the genome's index (s3://{GENOMES_BUCKET}/synthetic.fa.gz.fai lists 3 sequences: "
        "chr1, chr2, chr3)"
    ]
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


def _selects(command: list[str], index: int) -> bool:
    """Whether a retrieval command's ``--entries`` SPEC holds ``index``."""
    return "--entries" in command and index in json.loads(command[command.index("--entries") + 1])


def test_failed_execution_status_names_the_step_and_entries(
    pipeline: Any,
    cloud_request: list[dict[str, Any]],
    batch_failures: list[Callable[[list[str]], bool]],
) -> None:
    ids = [entry["unique_entry_id"] for entry in cloud_request]
    target = ids[3]  # chunks of 2: the job of entries 2 and 3 fails
    batch_failures.append(lambda c: _selects(c, 3))
    arn = client.start(cloud_request, state_machine_arn=pipeline.arn, sfn=pipeline.sfn)
    _finish(pipeline, arn)
    # What the job's last line says (moto runs no container): one of its two entries failed.
    (failed,) = batch.describe(
        batch.failed_jobs(client.history(arn, sfn=pipeline.sfn)), pipeline.batch
    )
    assert failed.entry_ids == (ids[2], target)
    assert failed.log_stream
    pipeline.logs.create_log_group(logGroupName=LOG_GROUP)
    last = f"pavi-seq-retrieval: error: entries failed (1 of 2): {target} (entry {target}: x)"
    _write_logs(pipeline.logs, LOG_GROUP, failed.log_stream, '{"event": "start"}', last)

    found = client.status(
        arn, sfn=pipeline.sfn, batch_client=pipeline.batch, logs_client=pipeline.logs
    )
    assert found.state == "FAILED"
    assert found.error == "RetrievalFailed"
    assert found.cause is not None
    assert found.cause.startswith(f'retrieval of entries ["{ids[2]}","{target}"] failed: ')
    assert "job " in found.cause  # the DescribeJobs JSON is summarised
    assert found.failed_entries == (target,)
    with pytest.raises(client.ClientError, match="is FAILED, it has no results"):
        client.results(arn, sfn=pipeline.sfn)
    result = CliRunner().invoke(main, ["status", arn])
    assert result.exit_code == 1
    assert f"failed entries: {target}\n" in result.output
    assert f'RetrievalFailed: retrieval of entries ["{ids[2]}","{target}"] failed' in result.output


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
    pipeline.s3.put_object(Bucket=pipeline.bucket, Key=prefix + "report.html", Body=b"<html>")
    assert found.report == f"s3://{pipeline.bucket}/{prefix}report.html"
    assert found.read_alignment() == "CLUSTAL"
    assert found.read_seq_info() == {"a": {}}
    paths = found.download(tmp_path / "dl")
    assert [p.name for p in paths] == [
        "alignment-output.aln",
        "aligned_seq_info.json",
        "report.html",
    ]
    assert (tmp_path / "dl" / "alignment-output.aln").read_bytes() == b"CLUSTAL"
    result = CliRunner().invoke(main, ["results", arn])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["seq_info"] == found.seq_info


def _write_logs(logs_client: Any, group: str, stream: str, *messages: str) -> None:
    """What the awslogs driver would have written for one attempt."""
    logs_client.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs_client.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)],
    )


def _retried(job_id: str, first_stream: str) -> None:
    """Give a moto job a first, failed attempt before the one it ran (moto runs each once)."""
    from moto.batch.models import batch_backends

    job = batch_backends[ACCOUNT][REGION]._jobs[job_id]
    job.attempts = [
        {"container": {"logStreamName": first_stream, "exitCode": 137}, "statusReason": "Host EC2"},
        *job.attempts,
    ]


def test_logs_read_every_attempt_of_every_job_in_the_jobs_log_group(
    pipeline: Any, cloud_request: list[dict[str, Any]]
) -> None:
    arn = client.start(cloud_request[:4], state_machine_arn=pipeline.arn, sfn=pipeline.sfn)
    _finish(pipeline, arn)
    jobs = client.batch_jobs(client.history(arn, sfn=pipeline.sfn))
    assert sorted(j.step for j in jobs) == ["alignment", "merge", "retrieval", "retrieval"]
    ids = tuple(e["unique_entry_id"] for e in cloud_request[:4])
    assert {j.entry_ids for j in jobs if j.step == "retrieval"} == {ids[:2], ids[2:]}
    retried = next(j for j in jobs if j.step == "retrieval")
    assert retried.log_stream
    first_stream = f"{retried.log_stream}-first-attempt"
    _retried(retried.job_id, first_stream)
    described = batch.describe(jobs, pipeline.batch)
    assert {j.log_group for j in described} == {LOG_GROUP}  # from the job definitions
    (twice,) = [j for j in described if j.job_id == retried.job_id]
    assert twice.log_streams == (first_stream, retried.log_stream)
    # The stack's group only: nothing is written to (or read from) Batch's default group.
    pipeline.logs.create_log_group(logGroupName=LOG_GROUP)
    _write_logs(pipeline.logs, LOG_GROUP, first_stream, "killed with the host")
    for job in jobs:
        assert job.log_stream
        _write_logs(pipeline.logs, LOG_GROUP, job.log_stream, f"hello from {job.job_id}")
    lines = client.logs(
        arn, sfn=pipeline.sfn, logs_client=pipeline.logs, batch_client=pipeline.batch
    )
    assert sorted(line.message for line in lines) == sorted(
        ["killed with the host", *(f"hello from {j.job_id}" for j in jobs)]
    )
    assert [(line.attempt, line.message) for line in lines if line.job_id == retried.job_id] == [
        (1, "killed with the host"),
        (2, f"hello from {retried.job_id}"),
    ]
    assert pipeline.logs.describe_log_groups(logGroupNamePrefix="/aws/batch/job")["logGroups"] == []
    result = CliRunner().invoke(main, ["logs", arn])
    assert result.exit_code == 0, result.output
    where = f"retrieval {','.join(retried.entry_ids)}"
    assert f"[{where} attempt 1] killed with the host" in result.output
    assert f"[{where} attempt 2] hello from {retried.job_id}" in result.output
    other = next(j for j in jobs if j.step == "alignment")
    assert f"[alignment] hello from {other.job_id}" in result.output


def test_the_log_group_option_overrides_the_jobs_group(
    pipeline: Any, cloud_request: list[dict[str, Any]]
) -> None:
    arn = client.start(cloud_request[:1], state_machine_arn=pipeline.arn, sfn=pipeline.sfn)
    _finish(pipeline, arn)
    jobs = client.batch_jobs(client.history(arn, sfn=pipeline.sfn))
    pipeline.logs.create_log_group(logGroupName="/elsewhere")
    for job in jobs:
        assert job.log_stream
        _write_logs(pipeline.logs, "/elsewhere", job.log_stream, f"moved {job.job_id}")
    result = CliRunner().invoke(main, ["logs", arn, "--log-group", "/elsewhere"])
    assert result.exit_code == 0, result.output
    assert sorted(result.output.strip().splitlines()) == sorted(
        f"[{j.step}{' ' + ','.join(j.entry_ids) if j.entry_ids else ''}] moved {j.job_id}"
        for j in jobs
    )


class EmptyPagesFirst:
    """A real Logs client behind two empty pages, as GetLogEvents may answer before the data
    (the only part not from the server: moto answers an empty page at the end only)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.pages: list[tuple[int, str | None]] = []

    def get_log_events(self, **kwargs: Any) -> dict[str, Any]:
        token = kwargs.get("nextToken")
        if token is None:
            page: dict[str, Any] = {"events": [], "nextForwardToken": "gap-1"}
        elif token == "gap-1":
            page = {"events": [], "nextForwardToken": "gap-2"}
        else:
            forwarded = {k: v for k, v in kwargs.items() if k != "nextToken"}
            if token != "gap-2":
                forwarded["nextToken"] = token
            page = self.real.get_log_events(**forwarded)
        self.pages.append((len(page["events"]), page.get("nextForwardToken")))
        return page


def test_paging_reads_to_the_true_end_of_a_stream(aws_env: str) -> None:
    import boto3

    real = boto3.client("logs")
    real.create_log_group(logGroupName="/aws/batch/pavi-paging")
    messages = [f"line {i}" for i in range(5)]
    _write_logs(real, "/aws/batch/pavi-paging", "job/default/1", *messages)
    read = [
        e["message"]
        for e in batch.stream_events(real, "/aws/batch/pavi-paging", "job/default/1", limit=2)
    ]
    assert read == messages
    wrapped = EmptyPagesFirst(real)
    events = batch.stream_events(wrapped, "/aws/batch/pavi-paging", "job/default/1", limit=2)
    assert [e["message"] for e in events] == messages
    assert wrapped.pages[:2] == [(0, "gap-1"), (0, "gap-2")]
    # The last page repeats the token it was sent: that, not emptiness, is the end.
    assert wrapped.pages[-1][0] == 0
    assert wrapped.pages[-1][1] == wrapped.pages[-2][1]
    assert sum(count for count, _ in wrapped.pages) == 5


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


def test_submit_cli_takes_the_seq_type(
    pipeline: Any, cloud_request: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(cloud_request))
    args = ["submit", str(path), "--state-machine-arn", pipeline.arn, "--seq-type", "transcript"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    described = _finish(pipeline, result.output.strip())
    assert json.loads(described["input"]) == {"entries": cloud_request, "seq_type": "transcript"}
    bad = CliRunner().invoke(main, [*args[:-1], "rna"])
    assert bad.exit_code == 2
    assert "'rna' is not one of 'protein', 'transcript'" in bad.output


def test_cli_reports_aws_errors_in_one_line(pipeline: Any) -> None:
    missing = pipeline.arn.replace(":stateMachine:", ":execution:") + ":nope"
    result = CliRunner().invoke(main, ["status", missing])
    assert result.exit_code == 1
    assert result.output.startswith("pavi: error: ")
    assert len(result.output.strip().splitlines()) == 1
