"""The stack configuration loader: defaults, the committed stacks, and clear refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pavi_infra.config import LOG_RETENTION_DAYS, ConfigError, JobSettings, load, parse
from pavi_infra.sizes import FARGATE_MEMORY, format_vcpu, size_problem
from pavi_infra.state_machine import definition_json
from pavi_workflow.commands import DEFAULT_ENTRIES_PER_JOB

QUEUE = "arn:aws:batch:us-east-1:210987654321:job-queue/existing"
FARGATE = {"type": "FARGATE", "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]}


def config(**raw: Any) -> dict[str, Any]:
    return {"environment": "test", "region": "us-east-1", "jobQueueArn": QUEUE, **raw}


def refusal(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(raw)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_defaults() -> None:
    cfg = parse(config())
    assert cfg.job_platform == "EC2"
    assert cfg.jobs.seq_retrieval == JobSettings(1, 2048, 900, 3)
    assert cfg.jobs.alignment == JobSettings(2, 4096, 1800, 3)
    assert cfg.max_concurrency == 40
    assert cfg.entries_per_job == DEFAULT_ENTRIES_PER_JOB
    assert cfg.execution_timeout_seconds == 3600
    assert cfg.work_retention_days == 30
    assert cfg.state_machine_log_level == "ERROR"
    assert cfg.alarms.failed_executions == 0
    assert cfg.alarms.average_duration_minutes == 10
    assert cfg.alarms.queue_depth == 20
    assert cfg.build_images is True
    assert cfg.tags == {"Environment": "test", "Project": "pavi", "ManagedBy": "pulumi"}


@pytest.mark.parametrize(
    ("stack", "platform", "build"), [("dev", "FARGATE", True), ("prod", "EC2", False)]
)
def test_committed_stacks_load(
    stack_config: Callable[[str], dict[str, str]], stack: str, platform: str, build: bool
) -> None:
    cfg = load(stack_config(stack))
    assert cfg.environment == stack
    assert cfg.job_platform == platform
    assert cfg.build_images is build
    assert cfg.region == "us-east-1"


def test_prod_keeps_the_original_500_mib_on_ec2(
    stack_config: Callable[[str], dict[str, str]],
) -> None:
    cfg = load(stack_config("prod"))
    assert cfg.jobs.seq_retrieval.memory == 500
    assert cfg.image_tags is not None
    assert cfg.image_tags.alignment == "0.1.0"


def test_fargate_500_mib_names_the_job_and_the_valid_values() -> None:
    message = refusal(
        config(
            jobQueueArn=None,
            computeEnvironment=FARGATE,
            jobs={"seqRetrieval": {"vcpu": 0.25, "memory": 500}},
        )
    )
    assert message == (
        "pavi:jobs.seqRetrieval: 500 MiB with 0.25 vCPU is not a valid Fargate size; "
        "valid memory for 0.25 vCPU: 512, 1024, 2048 MiB"
    )


def test_fargate_on_an_existing_queue_is_checked_too() -> None:
    message = refusal(config(platform="FARGATE", jobs={"alignment": {"vcpu": 1, "memory": 500}}))
    assert message.startswith("pavi:jobs.alignment: 500 MiB with 1 vCPU")
    assert "2048 to 8192 in steps of 1024" in message


def test_fargate_vcpu_outside_the_table() -> None:
    message = refusal(config(platform="FARGATE", jobs={"seqinfoAlign": {"vcpu": 3}}))
    assert message.startswith("pavi:jobs.seqinfoAlign: 3 vCPU is not a Fargate size")
    assert "0.25, 0.5, 1, 2, 4, 8, 16" in message


def test_ec2_needs_whole_vcpus() -> None:
    message = refusal(config(jobs={"alignment": {"vcpu": 0.5, "memory": 1024}}))
    assert message.startswith("pavi:jobs.alignment: 0.5 vCPU is not valid on EC2")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (config(jobQueueArn=None), "give exactly one"),
        (config(computeEnvironment=FARGATE), "give exactly one"),
        (config(bogus=1), "pavi:bogus: Unexpected keyword argument"),
        (config(jobs={"alignment": {"memroy": 1}}), "pavi:jobs.alignment.memroy"),
        (config(logRetentionDays=2), "pavi:logRetentionDays: must be one of 1, 3, 5"),
        (config(maxConcurrency=41), "pavi:maxConcurrency: Input should be less than or equal"),
        (config(buildImages=False), "pavi:imageTags: required when pavi:buildImages is false"),
        (config(genomeBuckets=["s3://x"]), "pavi:genomeBuckets: 's3://x' is not"),
        (config(environment="Prod!"), "pavi:environment: String should match pattern"),
        (config(notificationEmail="nobody"), "pavi:notificationEmail: String should match"),
        (config(stateMachineLogLevel="DEBUG"), "pavi:stateMachineLogLevel: Input should be"),
        (config(alarms={"periodSeconds": 90}), "pavi:alarms.periodSeconds"),
        (
            config(jobQueueArn=None, platform="EC2", computeEnvironment=FARGATE),
            "pavi:platform: EC2 does not match pavi:computeEnvironment.type FARGATE",
        ),
        (
            config(jobQueueArn=None, computeEnvironment={**FARGATE, "subnets": []}),
            "pavi:computeEnvironment: give both subnets and securityGroupIds, or neither",
        ),
    ],
)
def test_refusals_are_one_line_and_name_the_key(raw: dict[str, Any], expected: str) -> None:
    assert expected in refusal(raw)


def test_entries_per_job_sizes_the_state_machine_chunks() -> None:
    cfg = parse(config(entriesPerJob=7))
    arns = {
        key: f"arn:aws:batch:us-east-1:210987654321:job-definition/{key}"
        for key in ("seqRetrieval", "alignment", "seqinfoAlign")
    }
    definition = json.loads(
        definition_json(
            cfg, queue_arn=QUEUE, job_definition_arns=arns, bucket="pavi-test", image_uris=IMAGES
        )
    )
    prepare = definition["States"]["Prepare"]["Parameters"]["plan"]["chunks.$"]
    assert prepare.endswith(", 7)")
    assert "entriesPerJob" in refusal(config(entriesPerJob=0))


#: Image URIs pinned by digest, as the program passes them.
IMAGES = {
    key: f"210987654321.dkr.ecr.us-east-1.amazonaws.com/pavi-prod/{key}@sha256:{n * 64}"
    for key, n in (("seqRetrieval", "1"), ("alignment", "2"), ("seqinfoAlign", "3"))
}
ARNS = {
    key: f"arn:aws:batch:us-east-1:210987654321:job-definition/{key}"
    for key in ("seqRetrieval", "alignment", "seqinfoAlign")
}


def _states(**raw: Any) -> dict[str, Any]:
    definition = definition_json(
        parse(config(**raw)),
        queue_arn=QUEUE,
        job_definition_arns=ARNS,
        bucket="pavi-test",
        image_uris=IMAGES,
    )
    states: dict[str, Any] = json.loads(definition)["States"]
    return states


def test_cache_ttl_days_turns_the_request_cache_on_and_off() -> None:
    assert parse(config()).cache_ttl_days == 7
    assert parse(config(cacheTtlDays=0)).cache_ttl_days == 0
    assert "pavi:cacheTtlDays" in refusal(config(cacheTtlDays=-1))
    on = _states()
    key = on["CacheKey"]["Parameters"]["prefix.$"]
    # The cache key holds the three images' digests, in job-table order.
    assert "+".join(IMAGES.values()) in key
    assert "LookUpCache" in on
    assert on["StoreRequest"]["Next"] == "CacheKey"
    off = _states(cacheTtlDays=0)
    assert not [name for name in off if "Cache" in name]
    assert off["StoreRequest"]["Next"] == "RetrieveSequences"
    # Another image digest is another cache key.
    other = {**IMAGES, "alignment": IMAGES["alignment"].replace("2" * 64, "4" * 64)}
    changed = definition_json(
        parse(config()),
        queue_arn=QUEUE,
        job_definition_arns=ARNS,
        bucket="pavi-test",
        image_uris=other,
    )
    assert json.loads(changed)["States"]["CacheKey"]["Parameters"]["prefix.$"] != key


def test_load_refuses_unknown_keys_and_needs_a_region() -> None:
    with pytest.raises(ConfigError, match=r"^pavi:jobQueue: unknown configuration key$"):
        load({"aws:region": "us-east-1", "pavi:jobQueue": QUEUE})
    with pytest.raises(ConfigError, match=r"^aws:region: required"):
        load({"pavi:jobQueueArn": QUEUE})


def test_config_error_is_a_clean_pulumi_run_error() -> None:
    assert issubclass(ConfigError, pulumi.RunError)


def test_log_retention_values_are_cloudwatch_values() -> None:
    assert parse(config(logRetentionDays=3653)).log_retention_days == 3653
    assert 30 in LOG_RETENTION_DAYS


@pytest.mark.parametrize("vcpu", sorted(FARGATE_MEMORY))
def test_every_fargate_pair_is_accepted_and_neighbours_are_not(vcpu: float) -> None:
    allowed = FARGATE_MEMORY[vcpu]
    for memory in allowed:
        assert size_problem("FARGATE", vcpu, memory) is None
    assert size_problem("FARGATE", vcpu, allowed[0] - 1) is not None
    assert size_problem("FARGATE", vcpu, allowed[-1] + 1024) is not None


def test_fargate_table_matches_the_documented_ranges() -> None:
    assert FARGATE_MEMORY[0.25] == (512, 1024, 2048)
    assert FARGATE_MEMORY[0.5] == (1024, 2048, 3072, 4096)
    assert FARGATE_MEMORY[1.0] == tuple(range(2048, 8193, 1024))
    assert FARGATE_MEMORY[2.0] == tuple(range(4096, 16385, 1024))
    assert FARGATE_MEMORY[4.0][0] == 8192
    assert FARGATE_MEMORY[4.0][-1] == 30720
    assert format_vcpu(0.25) == "0.25"
    assert format_vcpu(2.0) == "2"


def test_the_committed_prod_stack_names_every_placeholder_left(
    stack_file: Callable[[str], dict[str, str]],
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(stack_file("prod"))
    assert str(caught.value) == (
        "pavi:imageTags.alignment, pavi:imageTags.seqRetrieval, pavi:imageTags.seqinfoAlign, "
        "pavi:jobQueueArn, pavi:notificationEmail: placeholder value left in the stack file; "
        "set the real value (infra/README.md, Deploying)"
    )


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (config(jobQueueArn="arn:aws:batch:us-east-1:123456789012:job-queue/q"), "jobQueueArn"),
        (config(notificationEmail="ops@example.org"), "notificationEmail"),
        (
            config(
                jobQueueArn=None,
                computeEnvironment={**FARGATE, "subnets": ["subnet-CHANGE-ME"]},
            ),
            "computeEnvironment.subnets",
        ),
    ],
)
def test_placeholders_are_refused_before_anything_else(raw: dict[str, Any], key: str) -> None:
    assert refusal(raw).startswith(f"pavi:{key}: placeholder value left")


def test_the_dev_stack_needs_no_edit(stack_config: Callable[[str], dict[str, str]]) -> None:
    cfg = load(stack_config("dev"))
    assert cfg.compute_environment is not None
    assert cfg.compute_environment.default_vpc
    assert cfg.compute_environment.subnets == ()
    assert cfg.public_ip is True  # default subnets have no NAT
    assert parse(config(jobQueueArn=None, computeEnvironment=FARGATE)).public_ip is False
