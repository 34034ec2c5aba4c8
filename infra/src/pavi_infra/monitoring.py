"""Alarms (failure rate, duration, queue depth) notifying an SNS topic, and the dashboard."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from pavi_infra.base import Component
from pavi_infra.batch_metrics import NAMESPACE, BatchMetrics
from pavi_infra.config import StackConfig
from pavi_infra.dashboard import DashboardInputs, dashboard_body

#: Executions that failed or timed out in the period, whenever they started (a period with no
#: data point counts 0; no division by ExecutionsStarted, which is empty in most periods).
FAILURES_EXPRESSION = "FILL(failed, 0) + FILL(timed_out, 0)"


def dashboard_url(region: str, name: str) -> str:
    """The console address of a CloudWatch dashboard."""
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#dashboards/dashboard/{name}"
    )


class Monitoring(Component):
    """SNS topic (+ e-mail), CloudWatch alarms and the pipeline dashboard."""

    def __init__(
        self,
        name: str,
        config: StackConfig,
        *,
        state_machine_arn: pulumi.Output[str],
        batch_metrics: BatchMetrics,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("Monitoring", name, config.tags, opts)
        self.topic = aws.sns.Topic(
            f"{name}-alarms", name=f"{config.prefix}-alarms", tags=self.tags, opts=self.named()
        )
        if config.notification_email:
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=config.notification_email,
                opts=self.child(),
            )
        alarms = config.alarms
        period = alarms.period_seconds
        sm = {"StateMachineArn": state_machine_arn}

        def stat(query_id: str, metric: str, statistic: str = "Sum") -> dict[str, object]:
            return {
                "id": query_id,
                "metric": {
                    "namespace": "AWS/States",
                    "metric_name": metric,
                    "dimensions": sm,
                    "period": period,
                    "stat": statistic,
                },
            }

        self.failures = self._alarm(
            name,
            config,
            "failures",
            f"More than {alarms.failed_executions} executions failed or timed out in a period",
            alarms.failed_executions,
            metric_queries=[
                stat("failed", "ExecutionsFailed"),
                stat("timed_out", "ExecutionsTimedOut"),
                {
                    "id": "failures",
                    "expression": FAILURES_EXPRESSION,
                    "label": "Failed or timed-out executions",
                    "return_data": True,
                },
            ],
        )
        self.duration = self._alarm(
            name,
            config,
            "duration",
            f"Average execution time above {alarms.average_duration_minutes:g} minutes",
            alarms.average_duration_minutes * 60_000,  # ExecutionTime is in milliseconds
            namespace="AWS/States",
            metric_name="ExecutionTime",
            statistic="Average",
            dimensions=sm,
        )
        self.queue_depth = self._alarm(
            name,
            config,
            "queue-depth",
            f"More than {alarms.queue_depth} jobs waiting in the Batch job queue",
            alarms.queue_depth,
            namespace=NAMESPACE,
            metric_name="QueueDepth",
            statistic="Maximum",
            dimensions={"Environment": config.environment, "JobQueue": batch_metrics.queue_name},
        )
        self.publisher_errors = self._alarm(
            name,
            config,
            "queue-depth-publisher",
            "The queue-depth publisher failed (the queue-depth alarm is blind)",
            0,
            namespace="AWS/Lambda",
            metric_name="Errors",
            statistic="Sum",
            dimensions={"FunctionName": batch_metrics.function.name},
        )
        dashboard_name = f"{config.prefix}-pipeline"
        body = pulumi.Output.all(
            state_machine_arn, batch_metrics.queue_name, batch_metrics.job_events.name
        ).apply(
            lambda args: json.dumps(
                dashboard_body(
                    DashboardInputs(
                        region=config.region,
                        environment=config.environment,
                        state_machine_arn=args[0],
                        queue_name=args[1],
                        job_events_log=args[2],
                        metric_namespace=NAMESPACE,
                        assumed_entries=config.cost_assumed_entries,
                        entries_per_job=config.entries_per_job,
                        cache=config.cache_ttl_days > 0,
                    )
                )
            )
        )
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=dashboard_name,
            dashboard_body=body,
            opts=self.named(),
        )
        self.dashboard_url = dashboard_url(config.region, dashboard_name)
        self.register_outputs({"topic": self.topic.arn, "dashboard_url": self.dashboard_url})

    def _alarm(
        self,
        name: str,
        config: StackConfig,
        kind: str,
        description: str,
        threshold: float,
        **metric: Any,
    ) -> aws.cloudwatch.MetricAlarm:
        if "metric_queries" not in metric:
            metric["period"] = config.alarms.period_seconds
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{kind}",
            name=f"{config.prefix}-{kind}",
            alarm_description=description,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold,
            evaluation_periods=config.alarms.evaluation_periods,
            # No data means nothing ran (no failure, no queue); FILL makes the failure count 0.
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags=self.tags,
            opts=self.named(),
            **metric,
        )
