"""Batch container sizes: which vCPU/memory pairs each platform accepts."""

from __future__ import annotations

from typing import Final, Literal

Platform = Literal["EC2", "FARGATE"]

#: Fargate's valid memory (MiB) for each vCPU value (AWS Batch resourceRequirements).
FARGATE_MEMORY: Final[dict[float, tuple[int, ...]]] = {
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4096 + 1, 1024)),
    1.0: tuple(range(2048, 8192 + 1, 1024)),
    2.0: tuple(range(4096, 16384 + 1, 1024)),
    4.0: tuple(range(8192, 30720 + 1, 1024)),
    8.0: tuple(range(16384, 61440 + 1, 4096)),
    16.0: tuple(range(32768, 122880 + 1, 8192)),
}
#: The smallest memory an EC2 container may have (MiB).
EC2_MIN_MEMORY: Final = 4


def format_vcpu(vcpu: float) -> str:
    """The VCPU value as Batch expects it ("0.25", "1", "2")."""
    return f"{vcpu:g}"


def size_problem(platform: Platform, vcpu: float, memory: int) -> str | None:
    """Why `vcpu`/`memory` is not a valid size on `platform`, or None when it is."""
    if platform == "FARGATE":
        return _fargate_problem(vcpu, memory)
    if vcpu < 1 or vcpu != int(vcpu):
        return f"{format_vcpu(vcpu)} vCPU is not valid on EC2: use a whole number of 1 or more"
    if memory < EC2_MIN_MEMORY:
        return f"{memory} MiB is below the EC2 minimum of {EC2_MIN_MEMORY} MiB"
    return None


def _fargate_problem(vcpu: float, memory: int) -> str | None:
    allowed = FARGATE_MEMORY.get(float(vcpu))
    if allowed is None:
        choices = ", ".join(format_vcpu(v) for v in FARGATE_MEMORY)
        return f"{format_vcpu(vcpu)} vCPU is not a Fargate size; valid vCPU values: {choices}"
    if memory not in allowed:
        return (
            f"{memory} MiB with {format_vcpu(vcpu)} vCPU is not a valid Fargate size; "
            f"valid memory for {format_vcpu(vcpu)} vCPU: {_describe(allowed)} MiB"
        )
    return None


def _describe(values: tuple[int, ...]) -> str:
    if len(values) <= 4:
        return ", ".join(str(v) for v in values)
    step = values[1] - values[0]
    return f"{values[0]} to {values[-1]} in steps of {step}"
