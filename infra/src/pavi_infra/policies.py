"""IAM policy documents (least privilege), as plain dicts whose values may be Outputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import pulumi

#: The pipeline's objects: every execution's request, work and results.
EXECUTIONS: Final = "executions/*"
#: Every execution's results (what the request cache copies from and into).
RESULTS: Final = "executions/*/results/*"
#: The request cache's entries.
CACHE: Final = "cache/*"
#: The object actions a job needs on its execution's prefix (multipart aborts included).
OBJECT_READ_WRITE: Final = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:AbortMultipartUpload",
)
#: Actions AWS only authorises on resource `*` (no resource-level permissions exist).
STAR_ONLY_ACTIONS: Final = frozenset(
    {
        "batch:DescribeJobs",
        "batch:DescribeJobDefinitions",
        "batch:TerminateJob",
        "batch:ListJobs",
        "ecr:GetAuthorizationToken",
        "cloudwatch:PutMetricData",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
    }
)

Statement = dict[str, Any]


def document(*statements: Statement) -> pulumi.Output[str]:
    """A policy document as JSON (nested Outputs resolved)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[Any],
    condition: dict[str, Any] | None = None,
) -> Statement:
    """An Allow statement; `*` resources are refused unless every action requires it."""
    if "*" in resources and not set(actions) <= STAR_ONLY_ACTIONS:
        raise ValueError(f"{sid}: resource * is only allowed for {sorted(STAR_ONLY_ACTIONS)}")
    statement: Statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": list(resources),
    }
    if condition:
        statement["Condition"] = condition
    return statement


def assume_role(
    service: str,
    account: pulumi.Input[str] | None = None,
    source_arns: Sequence[pulumi.Input[str]] = (),
) -> pulumi.Output[str]:
    """Trust policy letting one AWS service assume the role, on behalf of `account` only
    (`aws:SourceAccount`) and, where the service sets it, of `source_arns` (`aws:SourceArn`)."""
    statement: Statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    condition: dict[str, Any] = {}
    if account is not None:
        condition["StringEquals"] = {"aws:SourceAccount": account}
    if source_arns:
        condition["ArnLike"] = {"aws:SourceArn": list(source_arns)}
    if condition:
        statement["Condition"] = condition
    return document(statement)


def pipeline_objects(sid: str, bucket_arn: pulumi.Input[str]) -> list[Statement]:
    """Get/Put/List on the pipeline bucket's `executions/*` objects, nothing else."""
    objects = pulumi.Output.concat(bucket_arn, "/", EXECUTIONS)
    return [
        allow(f"{sid}Objects", OBJECT_READ_WRITE, [objects]),
        allow(
            f"{sid}List",
            ["s3:ListBucket"],
            [bucket_arn],
            {"StringLike": {"s3:prefix": [EXECUTIONS]}},
        ),
    ]


def genome_read(partition: str, genome_buckets: Sequence[str]) -> list[Statement]:
    """Read access to the genome buckets (`bucket` or `bucket/prefix` each)."""
    if not genome_buckets:
        return []
    objects, buckets, prefixes = [], [], []
    for entry in genome_buckets:
        bucket, _, prefix = entry.partition("/")
        objects.append(f"arn:{partition}:s3:::{bucket}/{prefix}*")
        buckets.append(f"arn:{partition}:s3:::{bucket}")
        prefixes.append(f"{prefix}*")
    statements = [allow("ReadGenomes", ["s3:GetObject"], objects)]
    condition = None if all(p == "*" for p in prefixes) else {"StringLike": {"s3:prefix": prefixes}}
    statements.append(allow("ListGenomes", ["s3:ListBucket"], sorted(set(buckets)), condition))
    return statements


def tls_only(bucket_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """Bucket policy denying every request not made over TLS."""
    return document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
