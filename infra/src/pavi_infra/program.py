"""The whole deployment: wires the components and returns the stack outputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from pavi_infra import config as stack_config
from pavi_infra.access import ClientAccess
from pavi_infra.batch import JobDefinitions
from pavi_infra.batch_metrics import BatchMetrics
from pavi_infra.config import StackConfig
from pavi_infra.images import Images
from pavi_infra.monitoring import Monitoring
from pavi_infra.queue import JobQueue
from pavi_infra.state_machine import StateMachine
from pavi_infra.storage import Storage


@dataclass(frozen=True)
class Outputs:
    """The stack outputs."""

    bucket_name: pulumi.Output[str]
    state_machine_arn: pulumi.Output[str]
    dashboard_url: str
    image_uris: dict[str, pulumi.Output[str]]
    job_queue_arn: pulumi.Output[str]
    job_log_group: pulumi.Output[str]
    client_policy_arn: pulumi.Output[str]

    def export(self) -> None:
        """Publish them as `pulumi stack output` values."""
        pulumi.export("bucketName", self.bucket_name)
        pulumi.export("stateMachineArn", self.state_machine_arn)
        pulumi.export("dashboardUrl", self.dashboard_url)
        pulumi.export("imageUris", self.image_uris)
        pulumi.export("jobQueueArn", self.job_queue_arn)
        pulumi.export("jobLogGroup", self.job_log_group)
        pulumi.export("clientPolicyArn", self.client_policy_arn)


def provider(config: StackConfig) -> aws.Provider:
    """The AWS provider of every resource: the stack's region, its tags on everything."""
    return aws.Provider(
        "aws",
        region=config.region,
        default_tags={"tags": config.tags},
    )


def deploy(config: StackConfig, project_dir: Path) -> Outputs:
    """Create every resource of the stack described by `config`."""
    opts = pulumi.ResourceOptions(providers={"aws": provider(config)})
    name = config.prefix
    storage = Storage(f"{name}-storage", config, opts)
    images = Images(f"{name}-images", config, project_dir, opts)
    if config.compute_environment is not None:
        queue_arn: pulumi.Output[str] = JobQueue(
            f"{name}-batch", config, config.compute_environment, opts
        ).arn
    else:
        assert config.job_queue_arn is not None  # guaranteed by the config validation
        queue_arn = pulumi.Output.from_input(config.job_queue_arn)
    jobs = JobDefinitions(
        f"{name}-jobs",
        config,
        bucket_arn=storage.bucket_arn,
        image_uris=images.image_uris,
        repository_arns=[repo.arn for repo in images.repositories.values()],
        opts=opts,
    )
    state_machine = StateMachine(
        f"{name}-workflow",
        config,
        queue_arn=queue_arn,
        job_definition_arns=jobs.arns,
        image_uris=images.image_uris,
        bucket_name=storage.bucket_name,
        bucket_arn=storage.bucket_arn,
        opts=opts,
    )
    access = ClientAccess(
        f"{name}-client",
        config,
        state_machine_arn=state_machine.arn,
        bucket_arn=storage.bucket_arn,
        job_log_group_arn=jobs.log_group.arn,
        opts=opts,
    )
    batch_metrics = BatchMetrics(f"{name}-batch-metrics", config, queue_arn=queue_arn, opts=opts)
    monitoring = Monitoring(
        f"{name}-monitoring",
        config,
        state_machine_arn=state_machine.arn,
        batch_metrics=batch_metrics,
        opts=opts,
    )
    return Outputs(
        bucket_name=storage.bucket_name,
        state_machine_arn=state_machine.arn,
        dashboard_url=monitoring.dashboard_url,
        image_uris=images.image_uris,
        job_queue_arn=queue_arn,
        job_log_group=jobs.log_group_name,
        client_policy_arn=access.arn,
    )


def main(project_dir: Path | None = None) -> Outputs:
    """Entry point of `infra/__main__.py`: load the stack config, deploy, export."""
    outputs = deploy(stack_config.load(), project_dir or Path.cwd())
    outputs.export()
    return outputs
