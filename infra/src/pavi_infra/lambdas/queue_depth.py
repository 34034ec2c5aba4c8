"""Lambda: publish how many jobs wait in the Batch job queue (AWS Batch publishes no level).

Runs every minute. `QueueDepth` counts SUBMITTED + PENDING + RUNNABLE jobs; `Jobs` counts each
active status. Both carry the `Environment` and `JobQueue` dimensions.
"""

from __future__ import annotations

import os
from typing import Any, Final

import boto3

WAITING: Final = ("SUBMITTED", "PENDING", "RUNNABLE")
ACTIVE: Final = (*WAITING, "STARTING", "RUNNING")


def count_jobs(batch: Any, queue: str, status: str) -> int:
    """Number of jobs of `queue` in `status` (all pages of ListJobs)."""
    paginator = batch.get_paginator("list_jobs")
    pages = paginator.paginate(jobQueue=queue, jobStatus=status)
    return sum(len(page["jobSummaryList"]) for page in pages)


def metric_data(environment: str, queue: str, counts: dict[str, int]) -> list[dict[str, Any]]:
    """The PutMetricData records for one sample of `counts` (status -> jobs)."""
    dimensions = [
        {"Name": "Environment", "Value": environment},
        {"Name": "JobQueue", "Value": queue.rsplit("/", 1)[-1]},
    ]
    records: list[dict[str, Any]] = [
        {
            "MetricName": "QueueDepth",
            "Dimensions": dimensions,
            "Value": float(sum(counts[status] for status in WAITING)),
            "Unit": "Count",
        }
    ]
    records += [
        {
            "MetricName": "Jobs",
            "Dimensions": [*dimensions, {"Name": "Status", "Value": status}],
            "Value": float(counts[status]),
            "Unit": "Count",
        }
        for status in ACTIVE
    ]
    return records


def publish(batch: Any, cloudwatch: Any, namespace: str, environment: str, queue: str) -> int:
    """Count the queue's jobs and publish the sample; returns the queue depth."""
    counts = {status: count_jobs(batch, queue, status) for status in ACTIVE}
    cloudwatch.put_metric_data(
        Namespace=namespace, MetricData=metric_data(environment, queue, counts)
    )
    return sum(counts[status] for status in WAITING)


def handler(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    """Lambda entry point (scheduled event; configuration from the environment)."""
    depth = publish(
        boto3.client("batch"),
        boto3.client("cloudwatch"),
        os.environ["METRIC_NAMESPACE"],
        os.environ["PAVI_ENVIRONMENT"],
        os.environ["JOB_QUEUE"],
    )
    return {"queue_depth": depth}
