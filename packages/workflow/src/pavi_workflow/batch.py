"""Everything the workflow knows about AWS Batch: the task that runs a job, and its names.

Moving the jobs to another executor (ECS tasks, Lambda) means replacing this module and the
infra that creates the job definitions; the ASL builder only asks for "a task that runs this
step's command".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pavi_contracts.jobs import JOBS

SUBMIT_JOB_SYNC: Final = "arn:aws:states:::batch:submitJob.sync"
#: Batch API faults worth retrying (Step Functions names them ``Batch.<error code>``).
TRANSIENT_ERRORS: Final = (
    "Batch.ServerException",
    "Batch.AWSBatchException",
    "Batch.TooManyRequestsException",
    "Batch.ThrottlingException",
)


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


def command_of(parameters: Mapping[str, Any]) -> list[str]:
    """The job's arguments from a submitted task's parameters."""
    command = parameters.get("ContainerOverrides", {}).get("Command", [])
    return [str(arg) for arg in command] if isinstance(command, list) else []
