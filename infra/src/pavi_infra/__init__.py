"""Pulumi program deploying the PAVI pipeline (S3, ECR, Batch, Step Functions, monitoring)."""

from importlib.metadata import version

__version__ = version("pavi-infra")
