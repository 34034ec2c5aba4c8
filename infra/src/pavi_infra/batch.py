"""The three Batch job definitions, their roles and their log group."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, Final

import pulumi
import pulumi_aws as aws
from pavi_contracts.jobs import ALIGNMENT, JOBS, Job

from pavi_infra import policies
from pavi_infra.base import Component, partition
from pavi_infra.config import JobSettings, StackConfig
from pavi_infra.images import short_name
from pavi_infra.sizes import format_vcpu

#: Retry infrastructure failures inside Batch; exit on everything else (application errors
#: fail the same way every time). Batch takes at most 5 rules; patterns may only end in `*`.
EVALUATE_ON_EXIT: Final = (
    {"on_status_reason": "Host EC2*", "action": "RETRY"},
    {"on_reason": "CannotPullContainerError*", "action": "RETRY"},
    {"on_status_reason": "Task failed to start*", "action": "RETRY"},
    {"on_status_reason": "Your Spot Task was interrupted*", "action": "RETRY"},
    {"on_reason": "*", "action": "EXIT"},
)


def container_properties(
    config: StackConfig,
    package: Job,
    job: JobSettings,
    *,
    image: str,
    job_role_arn: str,
    execution_role_arn: str,
    log_group: str,
) -> dict[str, Any]:
    """The job definition's containerProperties for the stack's platform."""
    properties: dict[str, Any] = {
        "image": image,
        "resourceRequirements": [
            {"type": "VCPU", "value": format_vcpu(job.vcpu)},
            {"type": "MEMORY", "value": str(job.memory)},
        ],
        "jobRoleArn": job_role_arn,
        "executionRoleArn": execution_role_arn,
        "environment": [
            {"name": "AWS_DEFAULT_REGION", "value": config.region},
            {"name": "PAVI_ENVIRONMENT", "value": config.environment},
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": config.region,
                "awslogs-stream-prefix": short_name(package),
            },
        },
    }
    if package is ALIGNMENT:
        # On EC2, vCPUs are CPU shares, not a limit: tell clustalo how many threads it was given.
        threads = str(max(1, math.floor(job.vcpu)))
        properties["environment"].append({"name": "PAVI_ALIGNMENT_THREADS", "value": threads})
    if config.job_platform == "FARGATE":
        properties |= {
            "fargatePlatformConfiguration": {"platformVersion": "LATEST"},
            "networkConfiguration": {
                "assignPublicIp": "ENABLED" if config.public_ip else "DISABLED"
            },
            "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        }
    return properties


class JobDefinitions(Component):
    """Job definitions pinned to the images, one least-privilege job role each."""

    def __init__(
        self,
        name: str,
        config: StackConfig,
        *,
        bucket_arn: pulumi.Output[str],
        image_uris: dict[str, pulumi.Output[str]],
        repository_arns: list[pulumi.Output[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("JobDefinitions", name, config.tags, opts)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/batch/{config.prefix}",
            retention_in_days=config.log_retention_days,
            tags=self.tags,
            opts=self.named(),
        )
        self.account_id = self.account()
        self.region = config.region
        execution_role = self._role(
            f"{name}-execution",
            policies.allow("PullToken", ["ecr:GetAuthorizationToken"], ["*"]),
            policies.allow(
                "PullImages",
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                repository_arns,
            ),
            policies.allow(
                "WriteLogs",
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [pulumi.Output.concat(self.log_group.arn, ":log-stream:*")],
            ),
        )
        self.definitions: dict[str, aws.batch.JobDefinition] = {}
        for package in JOBS:
            job: JobSettings = getattr(config.jobs, package.folder)
            statements = policies.pipeline_objects("Pipeline", bucket_arn)
            if package.reads_genomes:
                statements += policies.genome_read(partition(config.region), config.genome_buckets)
            job_role = self._role(f"{name}-{short_name(package)}", *statements)
            properties = pulumi.Output.all(
                image_uris[package.config_key],
                job_role.arn,
                execution_role.arn,
                self.log_group.name,
            ).apply(_container_json(config, package, job))
            self.definitions[package.config_key] = aws.batch.JobDefinition(
                f"{name}-{short_name(package)}",
                name=f"{config.prefix}-{short_name(package)}",
                type="container",
                platform_capabilities=[config.job_platform],
                container_properties=properties,
                retry_strategy=aws.batch.JobDefinitionRetryStrategyArgs(
                    attempts=job.attempts,
                    evaluate_on_exits=[
                        aws.batch.JobDefinitionRetryStrategyEvaluateOnExitArgs(**rule)
                        for rule in EVALUATE_ON_EXIT
                    ],
                ),
                timeout=aws.batch.JobDefinitionTimeoutArgs(
                    attempt_duration_seconds=job.timeout_seconds
                ),
                propagate_tags=True,
                # A new image or size registers a new revision; the old ones stay ACTIVE, so
                # executions in flight and earlier state machine versions can still submit.
                deregister_on_new_revision=False,
                tags=self.tags,
                opts=self.named(),
            )
        self.arns: dict[str, pulumi.Output[str]] = {
            key: definition.arn for key, definition in self.definitions.items()
        }
        self.log_group_name: pulumi.Output[str] = self.log_group.name
        self.register_outputs({"arns": self.arns, "log_group": self.log_group_name})

    def _role(self, name: str, *statements: policies.Statement) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=policies.assume_role(
                "ecs-tasks.amazonaws.com",
                self.account_id,
                [
                    pulumi.Output.concat(
                        f"arn:{partition(self.region)}:ecs:{self.region}:", self.account_id, ":*"
                    )
                ],
            ),
            tags=self.tags,
            opts=self.child(),
        )
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=policies.document(*statements),
            opts=self.child(),
        )
        return role


def _container_json(
    config: StackConfig, package: Job, job: JobSettings
) -> Callable[[list[Any]], str]:
    """Render containerProperties once image, roles and log group are known."""

    def render(args: list[Any]) -> str:
        image, job_role_arn, execution_role_arn, log_group = (str(a) for a in args)
        return json.dumps(
            container_properties(
                config,
                package,
                job,
                image=image,
                job_role_arn=job_role_arn,
                execution_role_arn=execution_role_arn,
                log_group=log_group,
            )
        )

    return render
