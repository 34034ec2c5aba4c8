"""The pipeline bucket: private, encrypted, TLS-only, work data expiring by tag."""

from __future__ import annotations

from typing import Final

import pulumi
import pulumi_aws as aws
from pavi_contracts.tags import WORK_TAGS
from pavi_workflow.asl import CACHE_PREFIX

from pavi_infra import policies
from pavi_infra.base import Component
from pavi_infra.config import StackConfig

#: Days after which an unfinished multipart upload under `executions/` is aborted.
ABORT_MULTIPART_DAYS: Final = 1
#: With the cache off (`cacheTtlDays: 0`), entries left from when it was on expire after this.
CACHE_OFF_EXPIRY_DAYS: Final = 1


def cache_expiry_days(config: StackConfig) -> int:
    """Days after which a request-cache entry expires (its lifetime, or 1 with the cache off)."""
    return config.cache_ttl_days or CACHE_OFF_EXPIRY_DAYS


class Storage(Component):
    """The bucket holding `executions/{name}/request.json`, `…/work/` and `…/results/`, and
    the request cache `cache/{key}/` (expired after `cacheTtlDays`)."""

    def __init__(
        self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("Storage", name, config.tags, opts)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=config.bucket_name,
            force_destroy=config.force_destroy,
            tags=self.tags,
            opts=self.named() if config.bucket_name else self.child(),
        )
        bucket_id = self.bucket.id
        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=self.child(),
        )
        self.public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self.child(),
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=self.child(),
        )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket_id,
            policy=policies.tls_only(self.bucket.arn),
            opts=self.child(depends_on=[self.public_access]),
        )
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-work-data",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(
                        and_=aws.s3.BucketLifecycleConfigurationRuleFilterAndArgs(
                            prefix="executions/", tags=dict(WORK_TAGS)
                        )
                    ),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=config.work_retention_days
                    ),
                ),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-request-cache",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=CACHE_PREFIX),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=cache_expiry_days(config)
                    ),
                ),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="abort-incomplete-uploads",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="executions/"),
                    abort_incomplete_multipart_upload=(
                        aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                            days_after_initiation=ABORT_MULTIPART_DAYS
                        )
                    ),
                ),
            ],
            opts=self.child(),
        )
        self.bucket_name: pulumi.Output[str] = self.bucket.bucket
        self.bucket_arn: pulumi.Output[str] = self.bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn})
