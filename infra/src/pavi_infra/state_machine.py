"""The STANDARD state machine (ASL from `pavi_workflow.asl`), its role and its log group."""

from __future__ import annotations

import json
from typing import Final

import pulumi
import pulumi_aws as aws
from pavi_contracts.jobs import JOBS
from pavi_workflow.asl import (
    WORKFLOW_TYPE,
    StateMachineSettings,
    build_definition,
    check_workflow_type,
)

from pavi_infra import policies
from pavi_infra.base import Component, partition
from pavi_infra.config import StackConfig

#: The managed rule Step Functions creates for `batch:submitJob.sync`.
BATCH_EVENTS_RULE: Final = "StepFunctionsGetEventsForBatchJobsRule"
LOG_DELIVERY_ACTIONS: Final = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
TRACING_ACTIONS: Final = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
)


def every_revision(job_definition_arn: pulumi.Output[str]) -> list[pulumi.Output[str]]:
    """`job-definition/NAME` and `job-definition/NAME:*`: every revision of one definition."""
    unversioned = job_definition_arn.apply(lambda arn: arn.rsplit(":", 1)[0])
    return [unversioned, pulumi.Output.concat(unversioned, ":*")]


def pipeline_version(image_uris: dict[str, str]) -> str:
    """The three job images (``repository@sha256:…``) in job-table order, joined by ``+``."""
    return "+".join(image_uris[job.config_key] for job in JOBS)


def definition_json(
    config: StackConfig,
    *,
    queue_arn: str,
    job_definition_arns: dict[str, str],
    bucket: str,
    image_uris: dict[str, str],
) -> str:
    """The state machine definition for these resources (the workflow package builds it).

    ``job_definition_arns`` and ``image_uris`` are keyed by the jobs' stack-config keys; the
    images (pinned by digest) are the pipeline version the request cache is keyed by.
    """
    settings = StateMachineSettings(
        job_queue=queue_arn,
        job_definitions={job.step: job_definition_arns[job.config_key] for job in JOBS},
        bucket=bucket,
        max_concurrency=config.max_concurrency,
        entries_per_job=config.entries_per_job,
        timeout_seconds=config.execution_timeout_seconds,
        cache=config.cache_ttl_days > 0,
        pipeline_version=pipeline_version(image_uris),
    )
    definition = build_definition(settings)
    check_workflow_type(definition, WORKFLOW_TYPE)
    return json.dumps(definition, indent=2)


class StateMachine(Component):
    """The pipeline's state machine; its role may only run this pipeline's jobs."""

    def __init__(
        self,
        name: str,
        config: StackConfig,
        *,
        queue_arn: pulumi.Input[str],
        job_definition_arns: dict[str, pulumi.Output[str]],
        image_uris: dict[str, pulumi.Output[str]],
        bucket_name: pulumi.Output[str],
        bucket_arn: pulumi.Output[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("StateMachine", name, config.tags, opts)
        account = self.account()
        machine_name = f"{config.prefix}-pipeline"
        machine_arn = pulumi.Output.concat(
            f"arn:{partition(config.region)}:states:{config.region}:",
            account,
            f":stateMachine:{machine_name}",
        )
        events_rule = pulumi.Output.concat(
            f"arn:{partition(config.region)}:events:{config.region}:",
            account,
            f":rule/{BATCH_EVENTS_RULE}",
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/vendedlogs/states/{config.prefix}-pipeline",
            retention_in_days=config.log_retention_days,
            tags=self.tags,
            opts=self.named(),
        )
        revisions = [arn for jd in job_definition_arns.values() for arn in every_revision(jd)]
        statements = [
            policies.allow("SubmitPipelineJobs", ["batch:SubmitJob"], [queue_arn, *revisions]),
            policies.allow("TrackJobs", ["batch:DescribeJobs", "batch:TerminateJob"], ["*"]),
            policies.allow(
                "BatchSyncEventsRule",
                ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                [events_rule],
            ),
            policies.allow(
                "StoreRequest",
                ["s3:PutObject"],
                [pulumi.Output.concat(bucket_arn, "/", policies.EXECUTIONS)],
            ),
            policies.allow("LogDelivery", LOG_DELIVERY_ACTIONS, ["*"]),
        ]
        if config.cache_ttl_days > 0:
            # HeadObject is authorised by s3:GetObject; CopyObject needs GetObject on its
            # source and PutObject on its target (tags are not copied).
            cache = pulumi.Output.concat(bucket_arn, "/", policies.CACHE)
            results = pulumi.Output.concat(bucket_arn, "/", policies.RESULTS)
            statements.append(
                policies.allow("RequestCache", ["s3:GetObject", "s3:PutObject"], [cache, results])
            )
        if config.tracing:
            statements.append(policies.allow("Tracing", TRACING_ACTIONS, ["*"]))
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=policies.assume_role(
                "states.amazonaws.com",
                account,
                [machine_arn, pulumi.Output.concat(machine_arn, ":*")],
            ),
            tags=self.tags,
            opts=self.child(),
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=policies.document(*statements),
            opts=self.child(),
        )
        arns = pulumi.Output.all(*job_definition_arns.values())
        images = pulumi.Output.all(*image_uris.values())
        definition = pulumi.Output.all(queue_arn, arns, bucket_name, images).apply(
            lambda args: definition_json(
                config,
                queue_arn=args[0],
                job_definition_arns=dict(zip(job_definition_arns, args[1], strict=True)),
                bucket=args[2],
                image_uris=dict(zip(image_uris, args[3], strict=True)),
            )
        )
        self.state_machine = aws.sfn.StateMachine(
            f"{name}-pipeline",
            name=machine_name,
            type=WORKFLOW_TYPE,
            definition=definition,
            role_arn=self.role.arn,
            publish=True,
            logging_configuration={
                "log_destination": pulumi.Output.concat(self.log_group.arn, ":*"),
                "level": config.state_machine_log_level,
                "include_execution_data": config.include_execution_data,
            },
            tracing_configuration={"enabled": config.tracing},
            tags=self.tags,
            opts=self.named(depends_on=[role_policy]),
        )
        self.arn: pulumi.Output[str] = self.state_machine.arn
        self.register_outputs({"arn": self.arn})
