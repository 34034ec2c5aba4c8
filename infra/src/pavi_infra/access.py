"""The managed IAM policy of the PAVI API: start and follow executions, read results and logs."""

from __future__ import annotations

from typing import Final

import pulumi
import pulumi_aws as aws

from pavi_infra import policies
from pavi_infra.base import Component
from pavi_infra.config import StackConfig

#: Result objects of every execution (`executions/{name}/results/…`).
RESULTS: Final = "executions/*/results/*"


def client_statements(
    *,
    state_machine_arn: pulumi.Input[str],
    bucket_arn: pulumi.Input[str],
    job_log_group_arn: pulumi.Input[str],
) -> list[policies.Statement]:
    """What `pavi submit|status|results|logs` (and the API behind them) call, nothing more."""
    machine = pulumi.Output.from_input(state_machine_arn)
    executions = machine.apply(lambda arn: arn.replace(":stateMachine:", ":execution:") + ":*")
    return [
        # The state machine and its published versions (`…:pipeline:3`, for a rollback).
        policies.allow(
            "StartExecutions",
            ["states:StartExecution"],
            [machine, pulumi.Output.concat(machine, ":*")],
        ),
        policies.allow(
            "FollowExecutions",
            ["states:DescribeExecution", "states:GetExecutionHistory", "states:StopExecution"],
            [executions],
        ),
        policies.allow(
            "ReadResults", ["s3:GetObject"], [pulumi.Output.concat(bucket_arn, "/", RESULTS)]
        ),
        policies.allow(
            "ReadJobLogs",
            ["logs:GetLogEvents"],
            [pulumi.Output.concat(job_log_group_arn, ":log-stream:*")],
        ),
        # `pavi logs` reads each job's attempts and log group (Batch allows only `*` here).
        policies.allow(
            "DescribeJobs", ["batch:DescribeJobs", "batch:DescribeJobDefinitions"], ["*"]
        ),
    ]


class ClientAccess(Component):
    """A managed policy to attach to the role or user the PAVI API runs as."""

    def __init__(
        self,
        name: str,
        config: StackConfig,
        *,
        state_machine_arn: pulumi.Output[str],
        bucket_arn: pulumi.Output[str],
        job_log_group_arn: pulumi.Output[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ClientAccess", name, config.tags, opts)
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            description=f"PAVI API caller of {config.prefix}: run executions, read results/logs",
            policy=policies.document(
                *client_statements(
                    state_machine_arn=state_machine_arn,
                    bucket_arn=bucket_arn,
                    job_log_group_arn=job_log_group_arn,
                )
            ),
            tags=self.tags,
            opts=self.child(),
        )
        self.arn: pulumi.Output[str] = self.policy.arn
        self.register_outputs({"arn": self.arn})
