"""Client for the PAVI API: start an execution, follow it, collect its results and logs.

AWS configuration is the standard chain (``AWS_ENDPOINT_URL`` points it at another server).
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, Literal

import pavi_common_s3
from pavi_contracts.failures import parse_failed_entries
from pavi_contracts.files import OutputType
from pavi_contracts.jobs import RETRIEVAL

from pavi_workflow import batch
from pavi_workflow.batch import DEFAULT_LOG_GROUP, BatchJob, LogLine, batch_jobs, get
from pavi_workflow.preflight import check_genomes
from pavi_workflow.request import DEFAULT_MAX_ENTRIES, Request, validate_request

STATE_MACHINE_ENV: Final = "PAVI_STATE_MACHINE_ARN"
LOG_GROUP_ENV: Final = "PAVI_LOG_GROUP"

JobState = Literal["PENDING", "RUNNING", "FAILED", "COMPLETED"]
#: Step Functions execution status -> the PAVI API's job state.
STATUS_MAP: Final[dict[str, JobState]] = {
    "RUNNING": "RUNNING",
    "PENDING_REDRIVE": "PENDING",
    "SUCCEEDED": "COMPLETED",
    "FAILED": "FAILED",
    "TIMED_OUT": "FAILED",
    "ABORTED": "FAILED",
}


class ClientError(Exception):
    """A client operation that cannot be done (no ARN, execution not finished, …)."""


@dataclass(frozen=True)
class ExecutionStatus:
    """An execution's state as the PAVI API reports it, with the failure cause if it failed."""

    state: JobState
    sfn_status: str
    error: str | None = None
    cause: str | None = None
    #: For a failed retrieval: the entries its jobs' last log lines name.
    failed_entries: tuple[str, ...] = ()
    #: For a completed execution: answered from the request cache (no job ran).
    cached: bool = False
    #: The cache entry of a completed execution of a state machine with the cache on.
    cache: str | None = None


@dataclass(frozen=True)
class ExecutionResults:
    """The result URIs of a succeeded execution and how to read them."""

    alignment: str
    seq_info: str
    report: str | None = None

    def read_alignment(self) -> str:
        """The ``.aln`` text."""
        return pavi_common_s3.read_text(self.alignment)

    def read_seq_info(self) -> Any:
        """``aligned_seq_info.json``, parsed."""
        return pavi_common_s3.read_json(self.seq_info)

    def download(self, folder: Path) -> list[Path]:
        """Copy the result files (and the report, if any) into ``folder``; return their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for uri in (self.alignment, self.seq_info, *([self.report] if self.report else [])):
            target = folder / uri.rsplit("/", 1)[-1]
            pavi_common_s3.download_file(uri, target)
            paths.append(target)
        return paths


def start(
    request: Any,
    *,
    state_machine_arn: str | None = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    sfn: Any = None,
    seq_type: OutputType | None = None,
    preflight: bool = True,
) -> str:
    """Validate ``request`` (cloud rules) and, unless ``preflight`` is false, check its genomes
    (RequestError lists the problems); start an execution named with a fresh UUID and return
    its ARN.

    ``request`` is the entries array, the object form ``{"entries": [...], "seq_type": ...}``
    or a validated Request; ``seq_type`` (``protein`` or ``transcript``), when given, overrides
    the request's own. A transcript request starts with the object form as its input.
    """
    checked: Request = (
        request
        if isinstance(request, Request)
        else validate_request(request, target="cloud", max_entries=max_entries, seq_type=seq_type)
    )
    if seq_type is not None and checked.seq_type != seq_type:
        checked = replace(checked, seq_type=seq_type)
    arn = state_machine_arn or os.environ.get(STATE_MACHINE_ENV)
    if not arn:
        raise ClientError(f"no state machine: pass its ARN or set {STATE_MACHINE_ENV}")
    if preflight:
        check_genomes(checked)
    sfn = sfn or _aws("stepfunctions")
    response = sfn.start_execution(
        stateMachineArn=arn, name=str(uuid.uuid4()), input=checked.to_json()
    )
    return str(response["executionArn"])


def status(
    arn: str, *, sfn: Any = None, batch_client: Any = None, logs_client: Any = None
) -> ExecutionStatus:
    """The execution's PAVI job state; ``cause`` says which step (and entries) failed, and for
    a failed retrieval ``failed_entries`` names the entries, read from the failed jobs' logs.
    A completed execution says whether it was answered from the request cache (``cached``)."""
    sfn = sfn or _aws("stepfunctions")
    described = sfn.describe_execution(executionArn=arn)
    sfn_status = str(described["status"])
    state = STATUS_MAP.get(sfn_status, "RUNNING")
    if state == "COMPLETED":
        output = json.loads(described.get("output") or "{}")
        return ExecutionStatus(
            state, sfn_status, cached=output.get("cached") is True, cache=output.get("cache")
        )
    if state != "FAILED":
        return ExecutionStatus(state, sfn_status)
    error = described.get("error") or sfn_status
    cause = described.get("cause") or {
        "TIMED_OUT": "the execution timed out",
        "ABORTED": "the execution was aborted",
    }.get(sfn_status, "")
    failed: tuple[str, ...] = ()
    if error == RETRIEVAL.failed_state:
        failed = failed_entries(
            arn, sfn=sfn, batch_client=batch_client or _aws("batch"), logs_client=logs_client
        )
    return ExecutionStatus(state, sfn_status, str(error), summarize_cause(str(cause)), failed)


def failed_entries(
    arn: str, *, sfn: Any = None, batch_client: Any = None, logs_client: Any = None
) -> tuple[str, ...]:
    """The entries the failed retrieval jobs of an execution name in their last log lines."""
    jobs = batch.failed_jobs(history(arn, sfn=sfn))
    jobs = [job for job in jobs if job.step == RETRIEVAL.step]
    if not jobs:
        return ()
    jobs = batch.describe(jobs, batch_client or _aws("batch"))
    logs_client = logs_client or _aws("logs")
    found: list[str] = []
    for job in jobs:
        found += parse_failed_entries(batch.last_error_line(logs_client, job))
    return tuple(dict.fromkeys(found))


def results(arn: str, *, sfn: Any = None) -> ExecutionResults:
    """The result URIs of a succeeded execution (ClientError otherwise)."""
    sfn = sfn or _aws("stepfunctions")
    described = sfn.describe_execution(executionArn=arn)
    if described["status"] != "SUCCEEDED":
        raise ClientError(f"{arn}: execution is {described['status']}, it has no results")
    output = json.loads(described.get("output") or "{}")
    return ExecutionResults(
        alignment=output["alignment"], seq_info=output["seq_info"], report=output.get("report")
    )


def history(arn: str, *, sfn: Any = None) -> list[dict[str, Any]]:
    """Every event of the execution's history, oldest first."""
    sfn = sfn or _aws("stepfunctions")
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        events += page["events"]
    return events


def logs(
    arn: str,
    *,
    log_group: str | None = None,
    sfn: Any = None,
    logs_client: Any = None,
    batch_client: Any = None,
) -> list[LogLine]:
    """The log lines of every attempt of every Batch job of the execution, job by job.

    The log group is ``log_group`` or ``$PAVI_LOG_GROUP`` when given, else each job's own (its
    container's or its job definition's awslogs group, from DescribeJobs).
    """
    jobs = batch.describe(batch_jobs(history(arn, sfn=sfn)), batch_client or _aws("batch"))
    group = log_group or os.environ.get(LOG_GROUP_ENV)
    return batch.job_logs(jobs, logs_client or _aws("logs"), log_group=group)


def summarize_cause(cause: str) -> str:
    """Shorten a Batch DescribeJobs JSON inside a cause to its status reason and exit code."""
    head, sep, tail = cause.partition(": {")
    if not sep:
        return cause
    try:
        job = json.loads("{" + tail)
    except json.JSONDecodeError:
        return cause
    if not isinstance(job, dict):
        return cause
    container = get(job, "Container") or {}
    parts = [
        str(p)
        for p in (
            get(job, "StatusReason"),
            f"exit code {get(container, 'ExitCode')}" if get(container, "ExitCode") else None,
            f"job {get(job, 'JobId')}" if get(job, "JobId") else None,
        )
        if p
    ]
    return f"{head}: {'; '.join(parts) or 'job failed'}"


def _aws(service: str) -> Any:
    """A boto3 client from the standard configuration (boto3 is imported on first use)."""
    import boto3  # noqa: PLC0415 (keeps `pavi run` and `pavi asl` quick to start)

    return boto3.client(service)  # type: ignore[call-overload]


__all__ = [
    "DEFAULT_LOG_GROUP",
    "BatchJob",
    "ClientError",
    "ExecutionResults",
    "ExecutionStatus",
    "LogLine",
    "batch_jobs",
    "history",
    "logs",
    "results",
    "start",
    "status",
]
