"""What makes the first `pulumi up` work on a fresh account and the next ones keep working."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pavi_infra import sources
from pavi_infra.config import ConfigError
from pavi_infra.images import wheelhouse_command

ACCOUNT = "123456789012"
JOBS = ("seq-retrieval", "alignment", "seqinfo-align")
FOLDERS = ("seq_retrieval", "alignment", "seqinfo_align")
ROOT = Path(__file__).resolve().parents[2]
JOB_DEFINITION = "aws:batch/jobDefinition:JobDefinition"
COMMAND = "command:local:Command"
IMAGE = "docker-build:index:Image"


def trust(deployment: Any, name_suffix: str) -> dict[str, Any]:
    (role,) = [r for r in deployment.of_type("aws:iam/role:Role") if r.name.endswith(name_suffix)]
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    return dict(statement)


# --- a fresh account: dev as committed ------------------------------------------------------


def test_dev_uses_the_default_vpc_with_an_egress_only_group(
    deployments: Callable[[str], Any],
) -> None:
    dev = deployments("dev")
    vpc_calls = [a for t, a in dev.call_args if t == "aws:ec2/getVpc:getVpc"]
    assert vpc_calls == [{"default": True}]
    (subnet_call,) = [a for t, a in dev.call_args if t == "aws:ec2/getSubnets:getSubnets"]
    assert {"name": "vpc-id", "values": ["vpc-0d1e2f3a4b5c6d7e8"]} in subnet_call["filters"]
    group = dev.one("aws:ec2/securityGroup:SecurityGroup")
    assert group.inputs["vpcId"] == "vpc-0d1e2f3a4b5c6d7e8"
    assert not group.inputs.get("ingress")
    assert group.inputs["egress"] == [
        {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}
    ]
    resources = dev.one("aws:batch/computeEnvironment:ComputeEnvironment").inputs[
        "computeResources"
    ]
    assert resources["subnets"] == ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"]
    assert resources["securityGroupIds"] == [group.name]  # the mocks use it as the id
    for job in JOBS:
        container = json.loads(dev.one(JOB_DEFINITION, f"jobs-{job}").inputs["containerProperties"])
        assert container["networkConfiguration"] == {"assignPublicIp": "ENABLED"}


def test_the_committed_dev_stack_holds_no_network_placeholder() -> None:
    text = (ROOT / "infra" / "Pulumi.dev.yaml").read_text()
    assert "subnet-" not in text
    assert "sg-" not in text
    assert "CHANGE-ME" not in text


def test_configured_subnets_need_no_lookup(
    stack_config: Callable[[str], dict[str, str]], program_run: Callable[..., Any]
) -> None:
    config = stack_config("dev")
    config["pavi:computeEnvironment"] = json.dumps(
        {"type": "FARGATE", "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]}
    )
    run = program_run("dev", config)
    assert "aws:ec2/getVpc:getVpc" not in run.calls
    assert run.of_type("aws:ec2/securityGroup:SecurityGroup") == []
    container = json.loads(run.one(JOB_DEFINITION, "jobs-alignment").inputs["containerProperties"])
    assert container["networkConfiguration"] == {"assignPublicIp": "DISABLED"}


def test_the_program_fills_each_wheelhouse_before_its_image(
    deployments: Callable[[str], Any],
) -> None:
    dev = deployments("dev")
    for job, folder in zip(JOBS, FOLDERS, strict=True):
        command = dev.one(COMMAND, f"{job}-wheelhouse")
        assert command.inputs["create"] == (
            f"uv run --frozen --group images python -m pavi_images wheelhouse {folder}"
        )
        assert command.inputs["create"] == wheelhouse_command(folder)
        assert command.inputs["dir"] == ".."
        assert command.inputs["environment"] == {"PYTHONPATH": "images"}
        tag = sources.image_tag(ROOT, folder)
        assert command.inputs["triggers"] == [tag, sources.wheelhouse_ready(ROOT, folder)]
        image = dev.one(IMAGE, f"{job}-image")
        (image_tag,) = image.inputs["tags"]
        assert image_tag.endswith(f":{tag}")
        assert dev.options[image.name].depends_on == (command.name,)


# --- redeploys --------------------------------------------------------------------------------


def test_a_tag_already_in_the_repository_is_neither_built_nor_pushed(
    stack_config: Callable[[str], dict[str, str]],
    program_run: Callable[..., Any],
    image_digest: Callable[[str], str],
) -> None:
    tag = sources.image_tag(ROOT, "alignment")
    ecr = {"pavi-dev/pavi-alignment": {tag: image_digest("alignment"), "0.0.9-old": "sha256:0"}}
    run = program_run("dev", stack_config("dev"), ecr)
    images = {r.name for r in run.of_type(IMAGE)}
    commands = {r.name for r in run.of_type(COMMAND)}
    assert images == {"pavi-dev-images-seq-retrieval-image", "pavi-dev-images-seqinfo-align-image"}
    assert commands == {
        "pavi-dev-images-seq-retrieval-wheelhouse",
        "pavi-dev-images-seqinfo-align-wheelhouse",
    }
    container = json.loads(run.one(JOB_DEFINITION, "jobs-alignment").inputs["containerProperties"])
    assert container["image"] == (
        f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/pavi-dev/pavi-alignment@"
        f"{image_digest('alignment')}"
    )


def test_built_images_outlive_their_resource(deployments: Callable[[str], Any]) -> None:
    dev = deployments("dev")
    for image in dev.of_type(IMAGE):
        assert dev.options[image.name].retain_on_delete


def test_tags_follow_the_sources_not_the_wheels(
    source_factory: Callable[[Path], Path], tmp_path: Path
) -> None:
    root = source_factory(tmp_path)
    before = {folder: sources.image_tag(root, folder) for folder in FOLDERS}
    house = root / "packages" / "alignment" / "wheelhouse"
    house.mkdir()
    (house / "pavi_alignment-0.1.0-py3-none-any.whl").write_bytes(b"rebuilt, other bytes")
    (root / "packages" / "alignment" / "tests").mkdir()
    (root / "packages" / "alignment" / "tests" / "test_x.py").write_text("assert True\n")
    assert {folder: sources.image_tag(root, folder) for folder in FOLDERS} == before
    (root / "packages" / "alignment" / "src" / "job.py").write_text("NAME = 'changed'\n")
    changed = {folder: sources.image_tag(root, folder) for folder in FOLDERS}
    assert changed["alignment"] != before["alignment"]
    assert changed["seq_retrieval"] == before["seq_retrieval"]
    (root / "packages" / "common_s3" / "src" / "lib.py").write_text("VALUE = 2\n")
    shared = {folder: sources.image_tag(root, folder) for folder in FOLDERS}
    assert all(shared[f] != changed[f] for f in FOLDERS)  # every job needs the library


def test_tags_follow_the_jobs_own_pins_only(
    source_factory: Callable[[Path], Path], lock_factory: Callable[..., str], tmp_path: Path
) -> None:
    root = source_factory(tmp_path)
    before = {folder: sources.image_tag(root, folder) for folder in FOLDERS}
    (root / "uv.lock").write_text(lock_factory(boto3="1.35.0", numpy="2.2.0"))
    assert {folder: sources.image_tag(root, folder) for folder in FOLDERS} == before
    (root / "uv.lock").write_text(lock_factory(boto3="1.36.0", numpy="2.2.0"))
    after = {folder: sources.image_tag(root, folder) for folder in FOLDERS}
    assert all(after[f] != before[f] for f in FOLDERS)


def test_tags_are_the_same_in_another_checkout(
    source_factory: Callable[[Path], Path], tmp_path: Path
) -> None:
    first = source_factory(tmp_path / "a")
    second = tmp_path / "elsewhere" / "b"
    shutil.copytree(first, second)
    assert sources.image_tag(first, "alignment") == sources.image_tag(second, "alignment")
    assert sources.image_tag(first, "alignment").startswith("0.1.0-")


def test_job_definitions_keep_their_old_revisions(deployment: Any) -> None:
    for job in JOBS:
        definition = deployment.one(JOB_DEFINITION, f"jobs-{job}")
        assert definition.inputs["deregisterOnNewRevision"] is False


def test_fixed_physical_names_are_replaced_delete_first(deployment: Any, stack: str) -> None:
    named_types = {
        "aws:batch/computeEnvironment:ComputeEnvironment",
        "aws:batch/jobQueue:JobQueue",
        JOB_DEFINITION,
        "aws:sfn/stateMachine:StateMachine",
        "aws:ecr/repository:Repository",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/dashboard:Dashboard",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "aws:lambda/function:Function",
        "aws:sns/topic:Topic",
    }
    named = [r for r in deployment.resources if r.type in named_types]
    assert len(named) >= 20
    for resource in named:
        assert deployment.options[resource.name].delete_before_replace, resource.name
    # Auto-named resources keep Pulumi's create-first replacement (no outage).
    for role in deployment.of_type("aws:iam/role:Role"):
        assert "name" not in role.inputs
        assert not deployment.options[role.name].delete_before_replace
    assert not deployment.options[deployment.one("aws:s3/bucket:Bucket").name].delete_before_replace


# --- access -----------------------------------------------------------------------------------


def test_client_policy_lets_the_api_run_and_follow_executions(deployment: Any, stack: str) -> None:
    policy = deployment.one("aws:iam/policy:Policy")
    document = json.loads(policy.inputs["policy"])
    sids = {s["Sid"]: s for s in document["Statement"]}
    machine = deployment.outputs["stateMachineArn"]
    executions = machine.replace(":stateMachine:", ":execution:") + ":*"
    bucket = deployment.one("aws:s3/bucket:Bucket").state["arn"]
    log_group = deployment.one("aws:cloudwatch/logGroup:LogGroup", "jobs-logs").state["arn"]
    assert sids["StartExecutions"]["Action"] == ["states:StartExecution"]
    assert sids["StartExecutions"]["Resource"] == [machine, f"{machine}:*"]
    assert sids["FollowExecutions"]["Action"] == [
        "states:DescribeExecution",
        "states:GetExecutionHistory",
        "states:StopExecution",
    ]
    assert sids["FollowExecutions"]["Resource"] == [executions]
    assert sids["ReadResults"] == {
        "Sid": "ReadResults",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": [f"{bucket}/executions/*/results/*"],
    }
    assert sids["ReadJobLogs"]["Action"] == ["logs:GetLogEvents"]
    assert sids["ReadJobLogs"]["Resource"] == [f"{log_group}:log-stream:*"]
    assert sids["DescribeJobs"]["Action"] == [
        "batch:DescribeJobDefinitions",
        "batch:DescribeJobs",
    ]
    assert sids["DescribeJobs"]["Resource"] == ["*"]
    assert set(sids) == {
        "StartExecutions",
        "FollowExecutions",
        "ReadResults",
        "ReadJobLogs",
        "DescribeJobs",
    }
    assert deployment.outputs["clientPolicyArn"] == policy.state["arn"]


def test_service_roles_trust_only_this_account(deployment: Any, stack: str) -> None:
    workflow = trust(deployment, "-workflow-role")
    machine = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:pavi-{stack}-pipeline"
    assert workflow["Principal"] == {"Service": "states.amazonaws.com"}
    assert workflow["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": [machine, f"{machine}:*"]},
    }
    for job in (*JOBS, "execution"):
        statement = trust(deployment, f"jobs-{job}-role")
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": [f"arn:aws:ecs:us-east-1:{ACCOUNT}:*"]},
        }
    publisher = trust(deployment, "publisher-role")
    assert publisher["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


# --- prod: values a user must supply -------------------------------------------------------------


def test_prod_placeholders_stop_the_program_before_any_resource(
    stack_file: Callable[[str], dict[str, str]], program_run: Callable[..., Any], recorder: Any
) -> None:
    with pytest.raises(ConfigError) as caught:
        program_run("prod", stack_file("prod"), deployment=recorder)
    message = str(caught.value)
    assert message.startswith("pavi:imageTags.alignment, ")
    assert "pavi:jobQueueArn, pavi:notificationEmail: placeholder value left" in message
    assert recorder.resources == []
    assert recorder.calls == []


def test_a_prod_tag_missing_from_ecr_stops_before_the_job_definitions(
    stack_config: Callable[[str], dict[str, str]], program_run: Callable[..., Any], recorder: Any
) -> None:
    config = stack_config("prod")
    config["pavi:imageTags"] = json.dumps(
        {"seqRetrieval": "0.1.0", "alignment": "0.9.9", "seqinfoAlign": "0.1.0"}
    )
    ecr = {f"pavi-prod/pavi-{job}": {"0.1.0": "sha256:1"} for job in JOBS}
    with pytest.raises(Exception, match=r"no image pavi-prod/pavi-alignment:0\.9\.9 in ECR"):
        program_run("prod", config, ecr, deployment=recorder)
    assert [r for r in recorder.resources if r.name.endswith("jobs-alignment")] == []
    assert len(recorder.of_type("aws:ecr/repository:Repository")) == 3
