"""Everything the workflow knows about AWS Batch: the task that runs a job, and reading jobs back.

The ASL builder asks :func:`job_task` for "a task running this step's command"; the client
reads the job records a ``.sync`` task leaves in the history, the attempts and log
configuration Batch keeps, and CloudWatch Logs paging (callers pass the AWS clients). Moving the
jobs to another executor means replacing this module (and the infra that creates the job
definitions).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Final

from pavi_contracts.jobs import JOBS, RETRIEVAL

SUBMIT_JOB_SYNC: Final = "arn:aws:states:::batch:submitJob.sync"
#: Batch API faults worth retrying (Step Functions names them ``Batch.<error code>``).
TRANSIENT_ERRORS: Final = (
    "Batch.ServerException",
    "Batch.AWSBatchException",
    "Batch.TooManyRequestsException",
    "Batch.ThrottlingException",
)
#: Where Batch's awslogs driver writes when a job definition names no group.
DEFAULT_LOG_GROUP: Final = "/aws/batch/job"
#: DescribeJobs takes at most this many job ids per call.
DESCRIBE_BATCH: Final = 100
#: How many of a stream's last events are searched for the job's error line.
ERROR_LINE_WINDOW: Final = 20


@dataclass(frozen=True)
class BatchJob:
    """A Batch job an execution ran: its step, entry, log group and one stream per attempt."""

    step: str
    entry_ids: tuple[str, ...]  # the entries a retrieval job covers
    job_id: str
    log_stream: str | None  # the last attempt's
    log_group: str | None = None
    log_streams: tuple[str, ...] = field(default=())  # every attempt's, oldest first


@dataclass(frozen=True)
class LogLine:
    """One CloudWatch Logs event of one attempt of one Batch job of the execution."""

    step: str
    entry_ids: tuple[str, ...]
    job_id: str
    log_stream: str
    timestamp: int
    message: str
    attempt: int = 1


def job_task(
    *,
    job_queue: str,
    job_definition: str,
    job_name: str,
    command: str,
    retry: dict[str, Any],
    catch: dict[str, Any],
    result_path: str,
) -> dict[str, Any]:
    """A Task state that submits one Batch job and waits for it (``.sync``).

    ``job_name`` and ``command`` are ASL intrinsic expressions; ``retry`` should cover
    :data:`TRANSIENT_ERRORS`. The result keeps only the job id and log stream (a whole
    DescribeJobs record would grow the state).
    """
    return {
        "Type": "Task",
        "Resource": SUBMIT_JOB_SYNC,
        "Parameters": {
            "JobName.$": job_name,
            "JobQueue": job_queue,
            "JobDefinition": job_definition,
            "ContainerOverrides": {"Command.$": command},
        },
        "ResultSelector": {"job_id.$": "$.JobId", "log_stream.$": "$.Container.LogStreamName"},
        "ResultPath": result_path,
        "Retry": [retry],
        "Catch": [catch],
    }


def step_of_job_name(job_name: str) -> str:
    """The pipeline step a Batch job name belongs to (``unknown`` if none)."""
    # Longest prefix first: one job's prefix may start another's.
    for job in sorted(JOBS, key=lambda j: -len(j.job_name_prefix)):
        if job_name.startswith(job.job_name_prefix):
            return job.step
    return "unknown"


def get(mapping: Any, key: str) -> Any:
    """``key`` in PascalCase (Step Functions) or camelCase (the Batch API)."""
    if not isinstance(mapping, dict):
        return None
    return mapping.get(key, mapping.get(key[0].lower() + key[1:]))


def batch_jobs(events: list[dict[str, Any]]) -> list[BatchJob]:
    """The Batch jobs of an execution, in history order: those that ended (their DescribeJobs
    record) and those only submitted so far (running, or stopped with the execution)."""
    by_id = {event["id"]: event for event in events}
    jobs: dict[str, BatchJob] = {}
    for event in events:
        details, payload = _task_payload(event)
        if details.get("resourceType") != "batch":
            continue
        job = job_record(payload)
        if job is None:
            continue
        known = jobs.get(job["job_id"])
        if known is None or not known.log_streams:  # an end's record beats the submission's
            jobs[job["job_id"]] = BatchJob(*_scheduled_step(event, by_id), **job)
    return list(jobs.values())


def job_record(payload: str) -> dict[str, Any] | None:
    """Job id, log group and attempt streams from a task's output or cause (a DescribeJobs
    record, or SubmitJob's answer that carries the id only)."""
    try:
        job = json.loads(payload)
    except (json.JSONDecodeError, TypeError):
        return None
    job_id = get(job, "JobId")
    if not job_id:
        return None
    return {"job_id": str(job_id), **_logs_of(job)}


def describe(jobs: list[BatchJob], batch: Any) -> list[BatchJob]:
    """The jobs completed from DescribeJobs (every attempt's stream, the log group); a job Batch
    no longer knows keeps what the history said. The group comes from the job's container, else
    from its job definition."""
    described: dict[str, dict[str, Any]] = {}
    ids = [job.job_id for job in jobs]
    for start in range(0, len(ids), DESCRIBE_BATCH):
        for record in batch.describe_jobs(jobs=ids[start : start + DESCRIBE_BATCH])["jobs"]:
            described[record["jobId"]] = record
    groups = _definition_groups(batch, described.values())
    found = []
    for job in jobs:
        record = described.get(job.job_id)
        if record is None:
            found.append(job)
            continue
        logs = _logs_of(record)
        group = logs["log_group"] or groups.get(record.get("jobDefinition", "")) or job.log_group
        found.append(
            replace(
                job,
                log_group=group,
                log_streams=logs["log_streams"] or job.log_streams,
                log_stream=logs["log_stream"] or job.log_stream,
            )
        )
    return found


def stream_events(logs_client: Any, group: str, stream: str, **kwargs: Any) -> Iterator[Any]:
    """Every event of one stream, oldest first. GetLogEvents may answer empty pages before the
    end: the end is the page whose nextForwardToken is the token that was sent."""
    token: str | None = None
    while True:
        request: dict[str, Any] = {
            "logGroupName": group,
            "logStreamName": stream,
            "startFromHead": True,
            **kwargs,
        }
        if token is not None:
            request["nextToken"] = token
        page = logs_client.get_log_events(**request)
        yield from page["events"]
        following = page.get("nextForwardToken")
        if following is None or following == token:
            return
        token = following


def failed_jobs(events: list[dict[str, Any]]) -> list[BatchJob]:
    """The Batch jobs whose task failed (a TaskFailed event names them), in history order."""
    failed = {
        record["job_id"]
        for event in events
        if event["type"] == "TaskFailed"
        and _task_payload(event)[0].get("resourceType") == "batch"
        and (record := job_record(_task_payload(event)[1])) is not None
    }
    return [job for job in batch_jobs(events) if job.job_id in failed]


def last_error_line(logs_client: Any, job: BatchJob, *, log_group: str | None = None) -> str:
    """The job's one-line error (its last attempt's last ``…: error: …`` line), or ``""``."""
    if not job.log_stream:
        return ""
    page = logs_client.get_log_events(
        logGroupName=log_group or job.log_group or DEFAULT_LOG_GROUP,
        logStreamName=job.log_stream,
        startFromHead=False,
        limit=ERROR_LINE_WINDOW,
    )
    lines = [str(event["message"]) for event in page["events"]]
    return next((line for line in reversed(lines) if ": error: " in line), "")


def job_logs(
    jobs: list[BatchJob], logs_client: Any, *, log_group: str | None = None
) -> list[LogLine]:
    """The log lines of every attempt of every job, job by job; `log_group` overrides the
    jobs' own group (else Batch's default group)."""
    lines: list[LogLine] = []
    for job in jobs:
        group = log_group or job.log_group or DEFAULT_LOG_GROUP
        streams = job.log_streams or ((job.log_stream,) if job.log_stream else ())
        for attempt, stream in enumerate(streams, start=1):
            lines += [
                LogLine(
                    job.step,
                    job.entry_ids,
                    job.job_id,
                    stream,
                    event["timestamp"],
                    event["message"],
                    attempt,
                )
                for event in stream_events(logs_client, group, stream)
            ]
    return lines


def _group_of(job: Any) -> str | None:
    """The awslogs group a DescribeJobs record's container names, if any."""
    options = get(get(get(job, "Container"), "LogConfiguration"), "Options")
    group = options.get("awslogs-group") if isinstance(options, dict) else None
    return str(group) if group else None


def _logs_of(job: Any) -> dict[str, Any]:
    """Log group, attempt streams and last stream of one DescribeJobs record (either case)."""
    container = get(job, "Container") or {}
    group = _group_of(job)
    streams = [
        str(stream)
        for attempt in get(job, "Attempts") or []
        if (stream := get(get(attempt, "Container"), "LogStreamName"))
    ]
    last = get(container, "LogStreamName")
    if last and str(last) not in streams:
        streams.append(str(last))
    return {
        "log_group": group,
        "log_streams": tuple(dict.fromkeys(streams)),
        "log_stream": streams[-1] if streams else None,
    }


def _definition_groups(batch: Any, records: Any) -> dict[str, str]:
    """Job definition ARN -> its awslogs group, for the records whose container names none."""
    wanted = sorted(
        {r["jobDefinition"] for r in records if r.get("jobDefinition") and not _group_of(r)}
    )
    if not wanted:
        return {}
    groups = {}
    for definition in batch.describe_job_definitions(jobDefinitions=wanted)["jobDefinitions"]:
        options = get(get(definition.get("containerProperties"), "LogConfiguration"), "Options")
        if isinstance(options, dict) and options.get("awslogs-group"):
            groups[definition["jobDefinitionArn"]] = str(options["awslogs-group"])
    return groups


def _task_payload(event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(details, JSON payload) of a task event that may name a Batch job, else ({}, "")."""
    kind = event["type"]
    if kind == "TaskSucceeded":
        details = event.get("taskSucceededEventDetails", {})
        return details, details.get("output", "")
    if kind == "TaskFailed":
        details = event.get("taskFailedEventDetails", {})
        return details, details.get("cause", "")
    if kind == "TaskSubmitted":
        details = event.get("taskSubmittedEventDetails", {})
        return details, details.get("output", "")
    return {}, ""


def _scheduled_step(event: dict[str, Any], by_id: dict[int, Any]) -> tuple[str, tuple[str, ...]]:
    """Walk back to the task's TaskScheduled event (the step, from the job name), then to its
    TaskStateEntered event (the entry ids a retrieval chunk covers, from its input ``ids``)."""
    current: dict[str, Any] | None = event
    while current is not None and current["type"] != "TaskScheduled":
        current = by_id.get(current.get("previousEventId", -1))
    if current is None:
        return "unknown", ()
    try:
        params = json.loads(current["taskScheduledEventDetails"]["parameters"])
        step = step_of_job_name(str(params["JobName"]))
    except (KeyError, TypeError, json.JSONDecodeError):
        return "unknown", ()
    if step != RETRIEVAL.step:
        return step, ()
    while current is not None and current["type"] != "TaskStateEntered":
        current = by_id.get(current.get("previousEventId", -1))
    if current is None:
        return step, ()
    try:
        ids = json.loads(current["stateEnteredEventDetails"]["input"])["ids"]
    except (KeyError, TypeError, json.JSONDecodeError):
        return step, ()
    return step, tuple(str(i) for i in ids) if isinstance(ids, list) else ()


__all__ = [
    "DEFAULT_LOG_GROUP",
    "SUBMIT_JOB_SYNC",
    "TRANSIENT_ERRORS",
    "BatchJob",
    "LogLine",
    "batch_jobs",
    "describe",
    "failed_jobs",
    "job_logs",
    "job_record",
    "job_task",
    "last_error_line",
    "step_of_job_name",
    "stream_events",
]
