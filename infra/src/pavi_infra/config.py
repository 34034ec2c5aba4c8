"""Stack configuration: typed, defaulted and validated (keys under the `pavi:` namespace)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import field, fields
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import pulumi
from pavi_workflow.commands import DEFAULT_ENTRIES_PER_JOB
from pulumi.runtime.config import CONFIG, get_config_env
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic.dataclasses import dataclass

from pavi_infra.sizes import Platform, size_problem

NAMESPACE: Final = "pavi"
#: Retention values CloudWatch Logs accepts (days).
LOG_RETENTION_DAYS: Final = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip

_STRICT = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)
ComputeType = Literal["EC2", "SPOT", "FARGATE", "FARGATE_SPOT"]
Positive = Annotated[int, Field(ge=1)]
ImageTag = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
#: Values that only stand in for one the user must supply (the committed stack files use
#: `CHANGE-ME`; the rest are the documentation account and domains).
PLACEHOLDER: Final = re.compile(r"CHANGE-ME|\b123456789012\b|@example\.(org|com|net)$", re.I)


class ConfigError(pulumi.RunError):
    """A stack configuration problem; Pulumi prints its one-line message without a traceback."""


@dataclass(frozen=True, config=_STRICT)
class JobSettings:
    """Size, timeout and attempts of one Batch job definition."""

    vcpu: Annotated[float, Field(gt=0)] = 1
    memory: Annotated[int, Field(gt=0, description="MiB")] = 2048
    timeout_seconds: Annotated[int, Field(ge=60)] = 900
    attempts: Annotated[int, Field(ge=1, le=10)] = 3


@dataclass(frozen=True, config=_STRICT)
class Jobs:
    """The three job definitions (config `pavi:jobs`: seqRetrieval, alignment, seqinfoAlign)."""

    seq_retrieval: JobSettings = field(default_factory=lambda: JobSettings(1, 2048, 900))
    alignment: JobSettings = field(default_factory=lambda: JobSettings(2, 4096, 1800))
    seqinfo_align: JobSettings = field(default_factory=lambda: JobSettings(1, 2048, 600))

    def items(self) -> list[tuple[str, JobSettings]]:
        """(config name, settings) of each job."""
        return [(to_camel(f.name), getattr(self, f.name)) for f in fields(self)]


@dataclass(frozen=True, config=_STRICT)
class ComputeSettings:
    """A compute environment and job queue to create when no existing queue is given."""

    type: ComputeType
    #: Empty (with no security groups): the account's default VPC, its default subnets and an
    #: egress-only security group created here.
    subnets: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    max_vcpus: Positive = 16
    instance_types: Annotated[tuple[str, ...], Field(min_length=1)] = ("optimal",)

    @model_validator(mode="after")
    def _check(self) -> ComputeSettings:
        if bool(self.subnets) != bool(self.security_group_ids):
            raise ValueError(
                "pavi:computeEnvironment: give both subnets and securityGroupIds, or neither "
                "(the default VPC)"
            )
        return self

    @property
    def default_vpc(self) -> bool:
        """True when the account's default VPC is used (no subnets configured)."""
        return not self.subnets

    @property
    def platform(self) -> Platform:
        """The job definitions' platform this compute environment runs."""
        return "FARGATE" if self.type.startswith("FARGATE") else "EC2"


@dataclass(frozen=True, config=_STRICT)
class Alarms:
    """Alarm thresholds (config `pavi:alarms`)."""

    failed_executions: Annotated[int, Field(ge=0)] = 0
    average_duration_minutes: Annotated[float, Field(gt=0)] = 10
    queue_depth: Positive = 20
    period_seconds: Annotated[int, Field(ge=60, multiple_of=60)] = 300
    evaluation_periods: Positive = 1


@dataclass(frozen=True, config=_STRICT)
class ImageTags:
    """Already-pushed image tags (config `pavi:imageTags`) used when `pavi:buildImages` is false."""

    seq_retrieval: ImageTag
    alignment: ImageTag
    seqinfo_align: ImageTag


@dataclass(frozen=True, config=_STRICT)
class StackConfig:
    """Everything the program reads from the stack configuration."""

    environment: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")]
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
    job_queue_arn: Annotated[str | None, Field(pattern=r"^arn:aws[a-z-]*:batch:")] = None
    compute_environment: ComputeSettings | None = None
    platform: Platform | None = None
    assign_public_ip: bool | None = None
    jobs: Jobs = field(default_factory=Jobs)
    max_concurrency: Annotated[int, Field(ge=1, le=40)] = 40
    entries_per_job: Annotated[int, Field(ge=1, le=1000)] = DEFAULT_ENTRIES_PER_JOB
    execution_timeout_seconds: Annotated[int, Field(ge=60, le=31_536_000)] = 3600
    work_retention_days: Positive = 30
    #: Days a request-cache entry answers repeats of its request; 0 turns the cache off.
    cache_ttl_days: Annotated[int, Field(ge=0, le=3650)] = 7
    log_retention_days: int = 30
    state_machine_log_level: Literal["ALL", "ERROR", "FATAL", "OFF"] = "ERROR"
    include_execution_data: bool = False
    tracing: bool = False
    alarms: Alarms = field(default_factory=Alarms)
    notification_email: Annotated[str | None, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] = None
    genome_buckets: tuple[str, ...] = ()
    build_images: bool = True
    image_tags: ImageTags | None = None
    image_keep_count: Annotated[int, Field(ge=1, le=1000)] = 10
    source_root: str = ".."
    bucket_name: Annotated[str | None, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")] = None
    force_destroy: bool = False
    cost_assumed_entries: Positive = 10

    @model_validator(mode="after")
    def _check(self) -> StackConfig:
        if (self.job_queue_arn is None) == (self.compute_environment is None):
            raise ValueError(
                "pavi:jobQueueArn, pavi:computeEnvironment: give exactly one "
                "(an existing Batch job queue, or the compute environment to create)"
            )
        if self.compute_environment is not None and self.platform not in (
            None,
            self.compute_environment.platform,
        ):
            raise ValueError(
                f"pavi:platform: {self.platform} does not match "
                f"pavi:computeEnvironment.type {self.compute_environment.type}"
            )
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
            raise ValueError(f"pavi:logRetentionDays: must be one of {allowed}")
        if not self.build_images and self.image_tags is None:
            raise ValueError("pavi:imageTags: required when pavi:buildImages is false")
        for bucket in self.genome_buckets:
            if not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^*?]+)?$", bucket):
                raise ValueError(
                    f"pavi:genomeBuckets: {bucket!r} is not `bucket` or `bucket/prefix`"
                )
        for name, job in self.jobs.items():
            problem = size_problem(self.job_platform, job.vcpu, job.memory)
            if problem:
                raise ValueError(f"pavi:jobs.{name}: {problem}")
        return self

    @property
    def job_platform(self) -> Platform:
        """The platform the job definitions target (EC2 unless Fargate is chosen)."""
        if self.compute_environment is not None:
            return self.compute_environment.platform
        return self.platform or "EC2"

    @property
    def public_ip(self) -> bool:
        """Fargate tasks get a public IP: as configured, else when the default VPC is used
        (its subnets have no NAT, and a task without one cannot pull from ECR)."""
        if self.assign_public_ip is not None:
            return self.assign_public_ip
        return self.compute_environment is not None and self.compute_environment.default_vpc

    @property
    def prefix(self) -> str:
        """The name prefix of every resource of this stack (`pavi-<environment>`)."""
        return f"pavi-{self.environment}"

    @property
    def tags(self) -> dict[str, str]:
        """Tags every taggable resource carries."""
        return {"Environment": self.environment, "Project": "pavi", "ManagedBy": "pulumi"}

    def source_path(self, project_dir: Path) -> Path:
        """The repository root (holding `packages/`), resolved against the Pulumi project."""
        return (project_dir / self.source_root).resolve()


def placeholders(raw: Mapping[str, Any], path: str = "pavi:") -> list[str]:
    """The keys (`pavi:imageTags.alignment`) whose value is still a placeholder."""
    found: list[str] = []
    for key, value in raw.items():
        name = f"{path}{key}"
        if isinstance(value, Mapping):
            found += placeholders(value, f"{name}.")
        elif isinstance(value, list | tuple):
            found += [name for item in value if isinstance(item, str) and PLACEHOLDER.search(item)]
        elif isinstance(value, str) and PLACEHOLDER.search(value):
            found.append(name)
    return sorted(set(found))


def parse(raw: Mapping[str, Any]) -> StackConfig:
    """Validate a mapping of camelCase config keys; ConfigError with a one-line message.

    A placeholder left in the stack file is refused first, before anything is created.
    """
    left = placeholders({k: v for k, v in raw.items() if k not in ("environment", "region")})
    if left:
        raise ConfigError(
            f"{', '.join(left)}: placeholder value left in the stack file; set the real value "
            "(infra/README.md, Deploying)"
        )
    try:
        return TypeAdapter(StackConfig).validate_python(dict(raw))
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def load(config_map: Mapping[str, str] | None = None) -> StackConfig:
    """Read the stack's `pavi:*` keys (and `aws:region`) from Pulumi and validate them."""
    values = dict(config_map) if config_map is not None else _pulumi_config()
    raw: dict[str, Any] = {"environment": pulumi.get_stack()}
    known = {to_camel(f.name) for f in fields(StackConfig)} - {"region"}
    for key, value in values.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE:
            continue
        if name not in known:
            raise ConfigError(f"pavi:{name}: unknown configuration key")
        raw[name] = _decode(value)
    region = values.get("aws:region")
    if region is None:
        raise ConfigError("aws:region: required (pulumi config set aws:region us-east-1)")
    raw["region"] = region
    return parse(raw)


def _pulumi_config() -> dict[str, str]:
    merged = {**get_config_env(), **CONFIG.get()}
    return {key: str(value) for key, value in merged.items()}


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _one_line(exc: ValidationError) -> str:
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    location = ".".join(str(part) for part in error["loc"])
    if message.startswith("pavi:") or not location:
        return message
    return f"pavi:{location}: {message}"
