"""Batch observability: a queue-depth publisher and a log of every job state change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import pulumi
import pulumi_aws as aws

from pavi_infra import policies
from pavi_infra.base import Component
from pavi_infra.config import StackConfig
from pavi_infra.lambdas import queue_depth

#: Namespace of the metrics this stack publishes (always with the Environment dimension).
NAMESPACE: Final = "PAVI/Batch"
HANDLER_SOURCE: Final = Path(queue_depth.__file__)
SCHEDULE: Final = "rate(1 minute)"


def job_events_pattern(queue_arn: str) -> str:
    """EventBridge pattern: every state change of this queue's jobs."""
    return json.dumps(
        {
            "source": ["aws.batch"],
            "detail-type": ["Batch Job State Change"],
            "detail": {"jobQueue": [queue_arn]},
        }
    )


class BatchMetrics(Component):
    """`PAVI/Batch` QueueDepth/Jobs every minute, and job state changes in a log group."""

    def __init__(
        self,
        name: str,
        config: StackConfig,
        *,
        queue_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("BatchMetrics", name, config.tags, opts)
        queue = pulumi.Output.from_input(queue_arn)
        self.queue_name: pulumi.Output[str] = queue.apply(lambda arn: arn.rsplit("/", 1)[-1])
        function_name = f"{config.prefix}-queue-depth"
        function_logs = aws.cloudwatch.LogGroup(
            f"{name}-publisher-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=config.log_retention_days,
            tags=self.tags,
            opts=self.named(),
        )
        role = aws.iam.Role(
            f"{name}-publisher-role",
            assume_role_policy=policies.assume_role("lambda.amazonaws.com", self.account()),
            tags=self.tags,
            opts=self.child(),
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-publisher-policy",
            role=role.id,
            policy=policies.document(
                policies.allow("ListQueueJobs", ["batch:ListJobs"], ["*"]),
                policies.allow(
                    "PublishQueueMetrics",
                    ["cloudwatch:PutMetricData"],
                    ["*"],
                    {"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
                ),
                policies.allow(
                    "WriteLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [pulumi.Output.concat(function_logs.arn, ":log-stream:*")],
                ),
            ),
            opts=self.child(),
        )
        self.function = aws.lambda_.Function(
            f"{name}-publisher",
            name=function_name,
            runtime="python3.12",
            handler=f"{HANDLER_SOURCE.stem}.handler",
            code=pulumi.AssetArchive({HANDLER_SOURCE.name: pulumi.FileAsset(str(HANDLER_SOURCE))}),
            role=role.arn,
            timeout=50,
            memory_size=128,
            environment={
                "variables": {
                    "JOB_QUEUE": queue,
                    "PAVI_ENVIRONMENT": config.environment,
                    "METRIC_NAMESPACE": NAMESPACE,
                }
            },
            logging_config={"log_format": "JSON", "log_group": function_logs.name},
            tags=self.tags,
            opts=self.named(depends_on=[role_policy]),
        )
        schedule = aws.cloudwatch.EventRule(
            f"{name}-publisher-schedule",
            name=f"{config.prefix}-queue-depth",
            schedule_expression=SCHEDULE,
            tags=self.tags,
            opts=self.named(),
        )
        aws.lambda_.Permission(
            f"{name}-publisher-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="events.amazonaws.com",
            source_arn=schedule.arn,
            opts=self.child(),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-publisher-target",
            rule=schedule.name,
            arn=self.function.arn,
            opts=self.child(),
        )
        self.job_events = self._job_events_log(name, config, queue)
        self.register_outputs(
            {"queue_name": self.queue_name, "job_events_log": self.job_events.name}
        )

    def _job_events_log(
        self, name: str, config: StackConfig, queue: pulumi.Output[str]
    ) -> aws.cloudwatch.LogGroup:
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-job-events",
            name=f"/aws/events/{config.prefix}-batch-jobs",
            retention_in_days=config.log_retention_days,
            tags=self.tags,
            opts=self.named(),
        )
        policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-job-events-delivery",
            policy_name=f"{config.prefix}-batch-job-events",
            policy_document=policies.document(
                {
                    "Sid": "EventBridgeDelivery",
                    "Effect": "Allow",
                    "Principal": {
                        "Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]
                    },
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": [pulumi.Output.concat(log_group.arn, ":*")],
                }
            ),
            opts=self.named(),
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-job-events",
            name=f"{config.prefix}-batch-job-events",
            event_pattern=queue.apply(job_events_pattern),
            tags=self.tags,
            opts=self.named(),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-job-events-target",
            rule=rule.name,
            arn=log_group.arn,
            opts=self.child(depends_on=[policy]),
        )
        return log_group
