"""A Batch compute environment and job queue, for stacks that do not reuse existing ones."""

from __future__ import annotations

from typing import Any, Final

import pulumi
import pulumi_aws as aws

from pavi_infra import policies
from pavi_infra.base import Component, partition
from pavi_infra.config import ComputeSettings, StackConfig

#: The AWS-managed policy an ECS container instance needs (EC2 compute environments only).
ECS_INSTANCE_POLICY: Final = "service-role/AmazonEC2ContainerServiceforEC2Role"


class JobQueue(Component):
    """A managed compute environment (EC2, SPOT, FARGATE or FARGATE_SPOT) and its queue."""

    def __init__(
        self,
        name: str,
        config: StackConfig,
        compute: ComputeSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("JobQueue", name, config.tags, opts)
        subnets: Any = list(compute.subnets)
        groups: Any = list(compute.security_group_ids)
        if compute.default_vpc:
            subnets, groups = self._default_network(name)
        resources: dict[str, Any] = {
            "type": compute.type,
            "max_vcpus": compute.max_vcpus,
            "subnets": subnets,
            "security_group_ids": groups,
        }
        if compute.platform == "EC2":
            resources |= {
                "min_vcpus": 0,
                "instance_types": list(compute.instance_types),
                "instance_role": self._instance_profile(name, config).arn,
                "allocation_strategy": (
                    "SPOT_PRICE_CAPACITY_OPTIMIZED"
                    if compute.type == "SPOT"
                    else "BEST_FIT_PROGRESSIVE"
                ),
                "tags": self.tags,
            }
        self.compute_environment = aws.batch.ComputeEnvironment(
            f"{name}-compute",
            name=f"{config.prefix}-compute",
            type="MANAGED",
            compute_resources=aws.batch.ComputeEnvironmentComputeResourcesArgs(**resources),
            tags=self.tags,
            opts=self.named(),
        )
        self.queue = aws.batch.JobQueue(
            f"{name}-queue",
            name=f"{config.prefix}-queue",
            state="ENABLED",
            priority=1,
            compute_environment_orders=[
                {"order": 1, "compute_environment": self.compute_environment.arn}
            ],
            tags=self.tags,
            opts=self.named(),
        )
        self.arn: pulumi.Output[str] = self.queue.arn
        self.register_outputs({"arn": self.arn})

    def _default_network(
        self, name: str
    ) -> tuple[pulumi.Output[list[str]], list[pulumi.Input[str]]]:
        """The default VPC's default subnets and an egress-only security group in it."""
        vpc = aws.ec2.get_vpc_output(default=True, opts=self.invoke())
        subnets = aws.ec2.get_subnets_output(
            filters=vpc.id.apply(
                lambda vpc_id: [
                    aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc_id]),
                    aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"]),
                ]
            ),
            opts=self.invoke(),
        )
        group = aws.ec2.SecurityGroup(
            f"{name}-egress",
            description="PAVI Batch jobs: no inbound, all outbound (ECR, S3, CloudWatch Logs)",
            vpc_id=vpc.id,
            egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
            tags=self.tags,
            opts=self.child(),
        )
        return subnets.ids, [group.id]

    def _instance_profile(self, name: str, config: StackConfig) -> aws.iam.InstanceProfile:
        role = aws.iam.Role(
            f"{name}-instance-role",
            # No aws:SourceAccount here: EC2 does not document it for instance-profile roles.
            assume_role_policy=policies.assume_role("ec2.amazonaws.com"),
            tags=self.tags,
            opts=self.child(),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-instance-role-ecs",
            role=role.name,
            policy_arn=f"arn:{partition(config.region)}:iam::aws:policy/{ECS_INSTANCE_POLICY}",
            opts=self.child(),
        )
        return aws.iam.InstanceProfile(
            f"{name}-instance-profile", role=role.name, tags=self.tags, opts=self.child()
        )
