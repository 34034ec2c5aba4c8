"""The queue-depth Lambda against a real Batch/CloudWatch API server (moto, server mode)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from pavi_infra.lambdas import queue_depth


@pytest.fixture
def job_queue(aws_env: str) -> str:
    """An (empty) Batch job queue on the moto server; returns its ARN."""
    iam = boto3.client("iam", endpoint_url=aws_env)
    role = iam.create_role(RoleName="batch-service", AssumeRolePolicyDocument=json.dumps({}))
    batch = boto3.client("batch", endpoint_url=aws_env)
    compute = batch.create_compute_environment(
        computeEnvironmentName="pavi-test-compute",
        type="UNMANAGED",
        serviceRole=role["Role"]["Arn"],
    )
    queue = batch.create_job_queue(
        jobQueueName="pavi-test-queue",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[
            {"order": 1, "computeEnvironment": compute["computeEnvironmentArn"]}
        ],
    )
    return queue["jobQueueArn"]


def test_metric_records_carry_environment_and_queue() -> None:
    counts = {"SUBMITTED": 1, "PENDING": 2, "RUNNABLE": 4, "STARTING": 8, "RUNNING": 16}
    queue = "arn:aws:batch:us-east-1:123456789012:job-queue/pavi-prod-queue"
    records = queue_depth.metric_data("prod", queue, counts)
    depth = records[0]
    assert depth["MetricName"] == "QueueDepth"
    assert depth["Value"] == 7.0  # waiting jobs only: SUBMITTED + PENDING + RUNNABLE
    assert depth["Dimensions"] == [
        {"Name": "Environment", "Value": "prod"},
        {"Name": "JobQueue", "Value": "pavi-prod-queue"},
    ]
    by_status = {r["Dimensions"][2]["Value"]: r["Value"] for r in records[1:]}
    assert by_status == {status: float(n) for status, n in counts.items()}
    assert all(r["Unit"] == "Count" for r in records)


def test_handler_publishes_a_sample(
    job_queue: str, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOB_QUEUE", job_queue)
    monkeypatch.setenv("PAVI_ENVIRONMENT", "test")
    monkeypatch.setenv("METRIC_NAMESPACE", "PAVI/Test")
    assert queue_depth.handler({}, None) == {"queue_depth": 0}
    cloudwatch = boto3.client("cloudwatch", endpoint_url=aws_env)
    metrics: list[Any] = cloudwatch.list_metrics(Namespace="PAVI/Test")["Metrics"]
    names = sorted({m["MetricName"] for m in metrics})
    assert names == ["Jobs", "QueueDepth"]
    (depth,) = [m for m in metrics if m["MetricName"] == "QueueDepth"]
    assert sorted((d["Name"], d["Value"]) for d in depth["Dimensions"]) == [
        ("Environment", "test"),
        ("JobQueue", "pavi-test-queue"),
    ]
    statuses = sorted(
        d["Value"]
        for m in metrics
        if m["MetricName"] == "Jobs"
        for d in m["Dimensions"]
        if d["Name"] == "Status"
    )
    assert statuses == sorted(queue_depth.ACTIVE)
