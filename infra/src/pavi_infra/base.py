"""The base of every component: a typed parent with the stack's tags and child options."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


class Component(pulumi.ComponentResource):
    """A `pavi:infra:<kind>` component whose children inherit its provider and carry its tags."""

    def __init__(
        self, kind: str, name: str, tags: dict[str, str], opts: pulumi.ResourceOptions | None
    ) -> None:
        super().__init__(f"pavi:infra:{kind}", name, None, opts)
        self.tags = dict(tags)

    def child(self, **kwargs: object) -> pulumi.ResourceOptions:
        """Options for a child resource (parented here, so provider and default tags apply)."""
        return pulumi.ResourceOptions(parent=self, **kwargs)  # type: ignore[arg-type]

    def named(self, **kwargs: object) -> pulumi.ResourceOptions:
        """Options for a child with a fixed physical name: a replacement deletes it first
        (create-first would fail with "already exists", or overwrite and then delete it)."""
        return self.child(delete_before_replace=True, **kwargs)

    def account(self) -> pulumi.Output[str]:
        """The deploying account's id (looked up with this component's provider)."""
        return aws.get_caller_identity_output(opts=self.invoke()).account_id

    def invoke(self) -> pulumi.InvokeOutputOptions:
        """Options for a data-source call made with this component's provider."""
        return pulumi.InvokeOutputOptions(parent=self)


def partition(region: str) -> str:
    """The AWS partition of `region` (aws, aws-cn, aws-us-gov)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
