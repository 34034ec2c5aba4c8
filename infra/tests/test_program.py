"""The whole program under Pulumi's mock runtime, for the dev and the prod stack files."""

from __future__ import annotations

import importlib
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pavi_infra.batch_metrics import NAMESPACE
from pavi_infra.config import ConfigError
from pavi_infra.policies import STAR_ONLY_ACTIONS
from pavi_infra.sizes import Platform, size_problem
from pavi_workflow.asl import StateMachineSettings, build_definition

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
JOBS = ("seq-retrieval", "alignment", "seqinfo-align")
BUCKET = "aws:s3/bucket:Bucket"
JOB_DEFINITION = "aws:batch/jobDefinition:JobDefinition"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
#: The jobs' stack-config keys in job-table order (the order of the pipeline version).
IMAGE_KEYS = ("seqRetrieval", "alignment", "seqinfoAlign")
IMAGE = "docker-build:index:Image"


def bucket_arn(deployment: Any) -> str:
    return str(deployment.one(BUCKET).state["arn"])


def queue_arn(deployment: Any) -> str:
    return str(deployment.outputs["jobQueueArn"])


def job_definition_arns(deployment: Any) -> list[str]:
    return [str(r.state["arn"]) for r in deployment.of_type(JOB_DEFINITION)]


def policy_documents(deployment: Any) -> dict[str, dict[str, Any]]:
    """Every IAM-style document the program writes, parsed, by resource name."""
    docs = {r.name: json.loads(r.inputs["policy"]) for r in deployment.of_type(ROLE_POLICY)}
    docs |= {
        r.name: json.loads(r.inputs["assumeRolePolicy"])
        for r in deployment.of_type("aws:iam/role:Role")
    }
    docs |= {
        r.name: json.loads(r.inputs["policy"])
        for r in deployment.of_type("aws:s3/bucketPolicy:BucketPolicy")
    }
    docs |= {
        r.name: json.loads(r.inputs["policyDocument"])
        for r in deployment.of_type("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    }
    return docs


def statements(deployment: Any, name_part: str) -> dict[str, dict[str, Any]]:
    """The Sid -> statement map of the one role policy whose name contains `name_part`."""
    document = json.loads(deployment.one(ROLE_POLICY, name_part).inputs["policy"])
    return {s["Sid"]: s for s in document["Statement"]}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- expected resources --------------------------------------------------------------------


def test_expected_resources_exist(deployment: Any, stack: str) -> None:
    counts = {
        BUCKET: 1,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
        "aws:s3/bucketPolicy:BucketPolicy": 1,
        "aws:ecr/repository:Repository": 3,
        "aws:ecr/lifecyclePolicy:LifecyclePolicy": 3,
        JOB_DEFINITION: 3,
        STATE_MACHINE: 1,
        "aws:sns/topic:Topic": 1,
        ALARM: 4,
        "aws:cloudwatch/dashboard:Dashboard": 1,
        "aws:lambda/function:Function": 1,
        IMAGE: 3 if stack == "dev" else 0,
        "aws:batch/jobQueue:JobQueue": 1 if stack == "dev" else 0,
        "aws:batch/computeEnvironment:ComputeEnvironment": 1 if stack == "dev" else 0,
        "aws:sns/topicSubscription:TopicSubscription": 0 if stack == "dev" else 1,
        "aws:ec2/securityGroup:SecurityGroup": 1 if stack == "dev" else 0,
        "command:local:Command": 3 if stack == "dev" else 0,
        "aws:iam/policy:Policy": 1,
    }
    found = {type_: len(deployment.of_type(type_)) for type_ in counts}
    assert found == counts


def test_stack_outputs(deployment: Any, stack: str) -> None:
    outputs = deployment.outputs
    assert outputs["bucketName"] == deployment.one(BUCKET).state["bucket"]
    assert outputs["stateMachineArn"] == deployment.one(STATE_MACHINE).state["arn"]
    assert outputs["dashboardUrl"] == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        f"#dashboards/dashboard/pavi-{stack}-pipeline"
    )
    assert set(outputs["imageUris"]) == {"seqRetrieval", "alignment", "seqinfoAlign"}
    assert outputs["jobLogGroup"] == f"/aws/batch/pavi-{stack}"
    assert (
        outputs["jobLogGroup"]
        == deployment.one("aws:cloudwatch/logGroup:LogGroup", "jobs-logs").inputs["name"]
    )
    assert outputs["clientPolicyArn"] == deployment.one("aws:iam/policy:Policy").state["arn"]


# --- storage -------------------------------------------------------------------------------


def test_work_data_expires_by_tag_and_results_stay(deployment: Any, stack: str) -> None:
    lifecycle = deployment.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    rules = {rule["id"]: rule for rule in lifecycle.inputs["rules"]}
    assert set(rules) == {"expire-work-data", "expire-request-cache", "abort-incomplete-uploads"}
    work = rules["expire-work-data"]
    assert work["status"] == "Enabled"
    assert work["filter"] == {"and": {"prefix": "executions/", "tags": {"pavi:stage": "work"}}}
    assert work["expiration"] == {"days": 7 if stack == "dev" else 30}
    uploads = rules["abort-incomplete-uploads"]
    assert uploads["filter"] == {"prefix": "executions/"}
    assert "expiration" not in uploads
    assert lifecycle.inputs["bucket"] == deployment.one(BUCKET).state["bucket"]


def test_the_request_cache_expires_after_its_lifetime(deployment: Any, stack: str) -> None:
    lifecycle = deployment.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    cache = {rule["id"]: rule for rule in lifecycle.inputs["rules"]}["expire-request-cache"]
    assert cache["status"] == "Enabled"
    assert cache["filter"] == {"prefix": "cache/"}
    assert cache["expiration"] == {"days": 7}  # the default, in both stacks


def test_a_stack_without_the_cache_expires_what_is_left_of_it(
    program_run: Callable[..., Any], stack_config: Callable[[str], dict[str, str]]
) -> None:
    run = program_run("dev", stack_config("dev") | {"pavi:cacheTtlDays": "0"})
    lifecycle = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    cache = {rule["id"]: rule for rule in lifecycle.inputs["rules"]}["expire-request-cache"]
    assert cache["expiration"] == {"days": 1}
    definition = json.loads(run.one(STATE_MACHINE).inputs["definition"])
    assert "LookUpCache" not in definition["States"]
    assert "RequestCache" not in statements(run, "workflow-policy")
    body = json.loads(run.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    (note,) = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    assert "2C + 8 transitions" in note
    assert "request cache" not in note


def test_bucket_is_private_and_encrypted(deployment: Any) -> None:
    block = deployment.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block[flag] is True
    sse = deployment.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    ownership = deployment.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"


def test_bucket_policy_denies_plain_http(deployment: Any) -> None:
    arn = bucket_arn(deployment)
    policy = json.loads(deployment.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(statement["Resource"]) == [arn, f"{arn}/*"]


# --- IAM -----------------------------------------------------------------------------------


def test_no_wildcard_actions_and_star_resources_only_where_aws_requires(deployment: Any) -> None:
    docs = policy_documents(deployment)
    assert len(docs) >= 12
    for name, document in docs.items():
        assert document["Version"] == "2012-10-17", name
        for statement in document["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            actions = as_list(statement["Action"])
            assert all("*" not in action for action in actions), (name, actions)
            resources = as_list(statement.get("Resource", []))
            if "*" in resources:
                assert resources == ["*"], name
                assert set(actions) <= STAR_ONLY_ACTIONS, (name, actions)


def test_jobs_touch_only_the_executions_prefix(deployment: Any) -> None:
    arn = bucket_arn(deployment)
    for job in JOBS:
        sids = statements(deployment, f"jobs-{job}-policy")
        objects = sids["PipelineObjects"]
        assert objects["Resource"] == [f"{arn}/executions/*"]
        assert set(objects["Action"]) == {
            "s3:GetObject",
            "s3:PutObject",
            "s3:PutObjectTagging",
            "s3:AbortMultipartUpload",
        }
        listing = sids["PipelineList"]
        assert listing["Resource"] == [arn]
        assert listing["Condition"] == {"StringLike": {"s3:prefix": ["executions/*"]}}
        for statement in sids.values():
            for resource in as_list(statement["Resource"]):
                assert not resource.startswith(arn) or resource in (arn, f"{arn}/executions/*")


def test_only_retrieval_reads_the_genomes(deployment: Any, stack: str) -> None:
    genomes = "agr-pavi-genomes-dev" if stack == "dev" else "agr-pavi-genomes"
    retrieval = statements(deployment, "jobs-seq-retrieval-policy")
    assert retrieval["ReadGenomes"]["Action"] == ["s3:GetObject"]
    assert retrieval["ReadGenomes"]["Resource"] == [f"arn:aws:s3:::{genomes}/*"]
    assert retrieval["ListGenomes"]["Resource"] == [f"arn:aws:s3:::{genomes}"]
    for job in ("alignment", "seqinfo-align"):
        assert set(statements(deployment, f"jobs-{job}-policy")) == {
            "PipelineObjects",
            "PipelineList",
        }


def test_execution_role_pulls_our_images_and_writes_our_logs(deployment: Any) -> None:
    sids = statements(deployment, "jobs-execution-policy")
    repos = sorted(r.state["arn"] for r in deployment.of_type("aws:ecr/repository:Repository"))
    assert sorted(sids["PullImages"]["Resource"]) == repos
    assert sids["PullToken"]["Resource"] == ["*"]
    log_group = deployment.one("aws:cloudwatch/logGroup:LogGroup", "jobs-logs").state["arn"]
    assert sids["WriteLogs"]["Resource"] == [f"{log_group}:log-stream:*"]


def test_state_machine_role_is_scoped_to_this_pipeline(deployment: Any, stack: str) -> None:
    sids = statements(deployment, "workflow-policy")
    assert sids["SubmitPipelineJobs"]["Action"] == ["batch:SubmitJob"]
    every_revision = [
        arn.rsplit(":", 1)[0] + suffix
        for arn in job_definition_arns(deployment)
        for suffix in ("", ":*")
    ]
    assert sorted(sids["SubmitPipelineJobs"]["Resource"]) == sorted(
        [queue_arn(deployment), *every_revision]
    )
    assert sids["TrackJobs"]["Action"] == ["batch:DescribeJobs", "batch:TerminateJob"]
    assert sids["BatchSyncEventsRule"]["Resource"] == [
        f"arn:aws:events:us-east-1:{ACCOUNT}:rule/StepFunctionsGetEventsForBatchJobsRule"
    ]
    assert sorted(sids["BatchSyncEventsRule"]["Action"]) == [
        "events:DescribeRule",
        "events:PutRule",
        "events:PutTargets",
    ]
    assert sids["StoreRequest"] == {
        "Sid": "StoreRequest",
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": [f"{bucket_arn(deployment)}/executions/*"],
    }
    # The request cache: look up (HeadObject = GetObject) and copy between cache and results.
    assert sids["RequestCache"] == {
        "Sid": "RequestCache",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": [
            f"{bucket_arn(deployment)}/cache/*",
            f"{bucket_arn(deployment)}/executions/*/results/*",
        ],
    }
    assert "logs:CreateLogDelivery" in sids["LogDelivery"]["Action"]
    assert ("Tracing" in sids) is (stack == "dev")


def test_roles_trust_only_their_service(deployment: Any) -> None:
    trusted = {
        r.name: json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]["Principal"]["Service"]
        for r in deployment.of_type("aws:iam/role:Role")
    }
    (workflow,) = [n for n in trusted if n.endswith("-workflow-role")]
    assert trusted[workflow] == "states.amazonaws.com"
    for job in (*JOBS, "execution"):
        (name,) = [n for n in trusted if n.endswith(f"jobs-{job}-role")]
        assert trusted[name] == "ecs-tasks.amazonaws.com"


def test_publisher_may_only_put_its_own_namespace(deployment: Any) -> None:
    sids = statements(deployment, "publisher-policy")
    assert sids["PublishQueueMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": NAMESPACE}
    }
    assert sids["ListQueueJobs"]["Action"] == ["batch:ListJobs"]


# --- images --------------------------------------------------------------------------------


def test_repositories_scan_and_keep_immutable_tags(deployment: Any, stack: str) -> None:
    keep = 5 if stack == "dev" else 20
    for repo in deployment.of_type("aws:ecr/repository:Repository"):
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["name"].startswith(f"pavi-{stack}/pavi-")
    for policy in deployment.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy"):
        (rule,) = json.loads(policy.inputs["policy"])["rules"]
        assert rule["selection"]["countType"] == "imageCountMoreThan"
        assert rule["selection"]["countNumber"] == keep
        assert rule["action"] == {"type": "expire"}


def test_dev_builds_each_package_and_pins_the_digest(deployments: Callable[[str], Any]) -> None:
    dev = deployments("dev")
    images = {r.name: r for r in dev.of_type(IMAGE)}
    for job, folder in zip(JOBS, ("seq_retrieval", "alignment", "seqinfo_align"), strict=True):
        image = images[f"pavi-dev-images-{job}-image"]
        assert image.inputs["push"] is True
        assert image.inputs["buildOnPreview"] is False
        # Relative to the program (Pulumi runs it in infra/): the same in every checkout.
        assert image.inputs["context"]["location"] == f"../packages/{folder}"
        assert image.inputs["dockerfile"]["location"] == f"../packages/{folder}/Dockerfile"
        project = tomllib.loads((REPO / "packages" / folder / "pyproject.toml").read_text())
        assert image.inputs["buildArgs"] == {"VERSION": project["project"]["version"]}
        assert image.inputs["platforms"] == ["linux/amd64"]
        registry = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
        assert image.inputs["registries"][0]["address"] == registry
        (tag,) = image.inputs["tags"]
        version = re.escape(project["project"]["version"])
        assert re.fullmatch(rf"{registry}/pavi-dev/pavi-{job}:{version}-[0-9a-f]{{12}}", tag)
        definition = dev.one(JOB_DEFINITION, f"jobs-{job}")
        container = json.loads(definition.inputs["containerProperties"])
        assert container["image"] == f"{registry}/pavi-dev/pavi-{job}@{image.state['digest']}"


def test_prod_pins_the_pushed_tags_to_their_digests(
    deployments: Callable[[str], Any], image_digest: Callable[[str], str]
) -> None:
    prod = deployments("prod")
    lookups = [args for token, args in prod.call_args if token == "aws:ecr/getImage:getImage"]
    assert sorted((a["repositoryName"], a["imageTag"]) for a in lookups) == sorted(
        (f"pavi-prod/pavi-{job}", "0.1.0") for job in JOBS
    )
    for job in JOBS:
        container = json.loads(
            prod.one(JOB_DEFINITION, f"jobs-{job}").inputs["containerProperties"]
        )
        assert container["image"] == (
            f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/pavi-prod/pavi-{job}@{image_digest(job)}"
        )
    assert prod.of_type(IMAGE) == []


# --- batch ---------------------------------------------------------------------------------


def test_job_definitions_fit_the_platform(deployment: Any, stack: str) -> None:
    platform: Platform = "FARGATE" if stack == "dev" else "EC2"
    for job in JOBS:
        definition = deployment.one(JOB_DEFINITION, f"jobs-{job}").inputs
        assert definition["name"] == f"pavi-{stack}-{job}"
        assert definition["type"] == "container"
        assert definition["platformCapabilities"] == [platform]
        assert definition["propagateTags"] is True
        container = json.loads(definition["containerProperties"])
        sizes = {r["type"]: r["value"] for r in container["resourceRequirements"]}
        assert set(sizes) == {"VCPU", "MEMORY"}
        assert size_problem(platform, float(sizes["VCPU"]), int(sizes["MEMORY"])) is None
        assert ("fargatePlatformConfiguration" in container) is (platform == "FARGATE")
        assert ("networkConfiguration" in container) is (platform == "FARGATE")


def test_sizes_come_from_the_stack_config(deployments: Callable[[str], Any]) -> None:
    def sizes(stack: str, job: str) -> dict[str, str]:
        definition = deployments(stack).one(JOB_DEFINITION, f"jobs-{job}")
        container = json.loads(definition.inputs["containerProperties"])
        return {r["type"]: r["value"] for r in container["resourceRequirements"]}

    assert sizes("dev", "seqinfo-align") == {"VCPU": "0.25", "MEMORY": "512"}
    assert sizes("dev", "seq-retrieval") == {"VCPU": "0.5", "MEMORY": "1024"}
    assert sizes("prod", "seq-retrieval") == {"VCPU": "1", "MEMORY": "500"}
    assert sizes("prod", "alignment") == {"VCPU": "2", "MEMORY": "2048"}


def test_retry_only_infrastructure_failures(deployment: Any) -> None:
    for job in JOBS:
        strategy = deployment.one(JOB_DEFINITION, f"jobs-{job}").inputs["retryStrategy"]
        assert strategy["attempts"] == 3
        rules = strategy["evaluateOnExits"]
        assert len(rules) <= 5  # the Batch limit
        assert rules[-1] == {"onReason": "*", "action": "EXIT"}
        assert all(rule["action"] == "RETRY" for rule in rules[:-1])
        patterns = [v for rule in rules for k, v in rule.items() if k != "action"]
        assert all(re.fullmatch(r"[0-9A-Za-z.: ]*\*?", p) for p in patterns), patterns
        joined = " | ".join(patterns)
        for reason in ("Host EC2", "CannotPullContainerError", "Task failed to start", "Spot"):
            assert reason in joined


def test_timeouts_and_logs(deployment: Any, stack: str) -> None:
    timeouts = {"seq-retrieval": 900, "alignment": 1800, "seqinfo-align": 600}
    log_group = deployment.one("aws:cloudwatch/logGroup:LogGroup", "jobs-logs").inputs
    assert log_group["retentionInDays"] == (14 if stack == "dev" else 90)
    for job, seconds in timeouts.items():
        definition = deployment.one(JOB_DEFINITION, f"jobs-{job}").inputs
        assert definition["timeout"] == {"attemptDurationSeconds": seconds}
        container = json.loads(definition["containerProperties"])
        assert container["logConfiguration"] == {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group["name"],
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": job,
            },
        }
        role = deployment.one("aws:iam/role:Role", f"jobs-{job}-role").state["arn"]
        assert container["jobRoleArn"] == role
        assert container["executionRoleArn"].endswith("jobs-execution-role")
        assert {"name": "PAVI_ENVIRONMENT", "value": stack} in container["environment"]
        threads = [e for e in container["environment"] if e["name"] == "PAVI_ALIGNMENT_THREADS"]
        if job == "alignment":
            vcpu = next(r for r in container["resourceRequirements"] if r["type"] == "VCPU")
            assert threads == [
                {"name": "PAVI_ALIGNMENT_THREADS", "value": str(max(1, int(float(vcpu["value"]))))}
            ]
        else:
            assert threads == []


def test_dev_creates_a_fargate_spot_queue(deployments: Callable[[str], Any]) -> None:
    dev = deployments("dev")
    compute = dev.one("aws:batch/computeEnvironment:ComputeEnvironment")
    assert compute.inputs["type"] == "MANAGED"
    assert compute.inputs["computeResources"]["type"] == "FARGATE_SPOT"
    assert compute.inputs["computeResources"]["maxVcpus"] == 16
    queue = dev.one("aws:batch/jobQueue:JobQueue")
    assert queue.inputs["computeEnvironmentOrders"] == [
        {"order": 1, "computeEnvironment": compute.state["arn"]}
    ]
    assert dev.outputs["jobQueueArn"] == queue.state["arn"]


def test_an_ec2_queue_gets_an_instance_role(
    stack_config: Callable[[str], dict[str, str]],
    program_run: Callable[[str, dict[str, str]], Any],
) -> None:
    config = stack_config("dev")
    config["pavi:computeEnvironment"] = json.dumps(
        {"type": "SPOT", "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"], "maxVcpus": 8}
    )
    config["pavi:jobs"] = json.dumps({"seqRetrieval": {"vcpu": 1, "memory": 500}})
    run = program_run("dev", config)
    resources = run.one("aws:batch/computeEnvironment:ComputeEnvironment").inputs[
        "computeResources"
    ]
    assert resources["type"] == "SPOT"
    assert resources["minVcpus"] == 0
    profile = run.one("aws:iam/instanceProfile:InstanceProfile").state["arn"]
    assert resources["instanceRole"] == profile
    attachment = run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs
    assert attachment["policyArn"] == (
        "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
    )
    definition = run.one(JOB_DEFINITION, "jobs-seq-retrieval").inputs
    assert definition["platformCapabilities"] == ["EC2"]


def test_a_fargate_stack_with_500_mib_fails_clearly(
    stack_config: Callable[[str], dict[str, str]],
    program_run: Callable[[str, dict[str, str]], Any],
) -> None:
    config = stack_config("dev")
    config["pavi:jobs"] = json.dumps({"alignment": {"vcpu": 0.25, "memory": 500}})
    with pytest.raises(ConfigError) as caught:
        program_run("dev", config)
    assert str(caught.value) == (
        "pavi:jobs.alignment: 500 MiB with 0.25 vCPU is not a valid Fargate size; "
        "valid memory for 0.25 vCPU: 512, 1024, 2048 MiB"
    )


# --- state machine -------------------------------------------------------------------------


def test_state_machine_is_standard_and_runs_the_builders_definition(
    deployment: Any, stack: str
) -> None:
    machine = deployment.one(STATE_MACHINE).inputs
    assert machine["type"] == "STANDARD"
    arns = {job: deployment.one(JOB_DEFINITION, f"jobs-{job}").state["arn"] for job in JOBS}
    expected = build_definition(
        StateMachineSettings(
            job_queue=queue_arn(deployment),
            job_definitions={
                "retrieval": arns["seq-retrieval"],
                "alignment": arns["alignment"],
                "merge": arns["seqinfo-align"],
            },
            bucket=deployment.outputs["bucketName"],
            max_concurrency=10 if stack == "dev" else 40,
            entries_per_job=25,
            timeout_seconds=3600,
            cache=True,
            pipeline_version="+".join(deployment.outputs["imageUris"][job] for job in IMAGE_KEYS),
        )
    )
    assert json.loads(machine["definition"]) == expected
    role = deployment.one("aws:iam/role:Role", "workflow-role").state["arn"]
    assert machine["roleArn"] == role


def test_state_machine_logging_and_tracing(deployment: Any, stack: str) -> None:
    machine = deployment.one(STATE_MACHINE).inputs
    log_group = deployment.one("aws:cloudwatch/logGroup:LogGroup", "workflow-logs").state["arn"]
    logging = machine["loggingConfiguration"]
    assert logging["logDestination"] == f"{log_group}:*"
    assert logging["level"] == ("ALL" if stack == "dev" else "ERROR")
    assert logging["includeExecutionData"] is (stack == "dev")
    assert machine["tracingConfiguration"] == {"enabled": stack == "dev"}


# --- monitoring ----------------------------------------------------------------------------


def alarms(deployment: Any) -> dict[str, Any]:
    return {r.inputs["name"].split("-", 2)[2]: r.inputs for r in deployment.of_type(ALARM)}


def test_alarms_notify_the_topic(deployment: Any, stack: str) -> None:
    topic = deployment.one("aws:sns/topic:Topic").state["arn"]
    found = alarms(deployment)
    assert set(found) == {"failures", "duration", "queue-depth", "queue-depth-publisher"}
    for alarm in found.values():
        assert alarm["alarmActions"] == [topic]
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        assert alarm["tags"]["Environment"] == stack


def test_failure_alarm_counts_failures_whenever_the_executions_started(
    deployment: Any,
) -> None:
    alarm = alarms(deployment)["failures"]
    assert alarm["threshold"] == 0
    assert alarm["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm["treatMissingData"] == "notBreaching"
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    assert set(queries) == {"failed", "timed_out", "failures"}
    arn = deployment.outputs["stateMachineArn"]
    for query_id, metric in (("failed", "ExecutionsFailed"), ("timed_out", "ExecutionsTimedOut")):
        stat = queries[query_id]["metric"]
        assert stat["namespace"] == "AWS/States"
        assert stat["metricName"] == metric
        assert stat["dimensions"] == {"StateMachineArn": arn}
        assert stat["stat"] == "Sum"
        assert stat["period"] == 300
        assert not queries[query_id].get("returnData")
    expression = queries["failures"]
    assert expression["returnData"] is True
    # A sum of the filled counts: no division by ExecutionsStarted (empty in most periods).
    assert expression["expression"] == "FILL(failed, 0) + FILL(timed_out, 0)"
    assert "started" not in json.dumps(alarm["metricQueries"]).lower()


def test_duration_alarm_is_ten_minutes_in_milliseconds(deployment: Any) -> None:
    alarm = alarms(deployment)["duration"]
    assert alarm["namespace"] == "AWS/States"
    assert alarm["metricName"] == "ExecutionTime"
    assert alarm["statistic"] == "Average"
    assert alarm["threshold"] == 600_000
    assert alarm["dimensions"] == {"StateMachineArn": deployment.outputs["stateMachineArn"]}


def test_queue_depth_alarm_reads_the_published_metric(deployment: Any, stack: str) -> None:
    alarm = alarms(deployment)["queue-depth"]
    queue_name = queue_arn(deployment).rsplit("/", 1)[-1]
    assert alarm["namespace"] == NAMESPACE
    assert alarm["metricName"] == "QueueDepth"
    assert alarm["dimensions"] == {"Environment": stack, "JobQueue": queue_name}
    assert alarm["threshold"] == 20
    function = deployment.one("aws:lambda/function:Function").inputs
    assert function["environment"]["variables"] == {
        "JOB_QUEUE": queue_arn(deployment),
        "PAVI_ENVIRONMENT": stack,
        "METRIC_NAMESPACE": NAMESPACE,
    }
    assert function["handler"] == "queue_depth.handler"
    schedule = deployment.one("aws:cloudwatch/eventRule:EventRule", "publisher-schedule").inputs
    assert schedule["scheduleExpression"] == "rate(1 minute)"
    target = deployment.one("aws:cloudwatch/eventTarget:EventTarget", "publisher-target").inputs
    assert target["arn"] == deployment.one("aws:lambda/function:Function").state["arn"]


def test_job_state_changes_are_logged_for_the_dashboard(deployment: Any) -> None:
    rule = deployment.one("aws:cloudwatch/eventRule:EventRule", "job-events").inputs
    assert json.loads(rule["eventPattern"]) == {
        "source": ["aws.batch"],
        "detail-type": ["Batch Job State Change"],
        "detail": {"jobQueue": [queue_arn(deployment)]},
    }
    log_group = deployment.one("aws:cloudwatch/logGroup:LogGroup", "job-events")
    assert log_group.inputs["name"].startswith("/aws/events/")
    target = deployment.one("aws:cloudwatch/eventTarget:EventTarget", "job-events-target").inputs
    assert target["arn"] == log_group.state["arn"]


def test_dashboard_is_valid_json_on_the_right_resources(deployment: Any, stack: str) -> None:
    dashboard = deployment.one("aws:cloudwatch/dashboard:Dashboard").inputs
    assert dashboard["dashboardName"] == f"pavi-{stack}-pipeline"
    body = json.loads(dashboard["dashboardBody"])
    widgets = body["widgets"]
    text = json.dumps(body)
    assert deployment.outputs["stateMachineArn"] in text
    titles = " | ".join(w["properties"].get("title", "") for w in widgets)
    for title in ("throughput", "percentiles", "Batch jobs by state", "durations", "cost"):
        assert title in titles
    metric_rows = [
        row for w in widgets if w["type"] == "metric" for row in w["properties"]["metrics"]
    ]
    published = [row for row in metric_rows if row[0] == NAMESPACE]
    assert published
    assert all(row[2:4] == ["Environment", stack] for row in published)
    events_log = deployment.one("aws:cloudwatch/logGroup:LogGroup", "job-events").inputs["name"]
    queries = [w["properties"]["query"] for w in widgets if w["type"] == "log"]
    assert queries
    assert all(q.startswith(f"SOURCE '{events_log}' | ") for q in queries)
    assert any("by detail.jobDefinition" in q for q in queries)
    (note,) = [w["properties"]["markdown"] for w in widgets if w["type"] == "text"]
    assert "$0.025 per 1,000" in note
    assert "2C + 13" in note  # 2C + 8, and 5 for a miss of the request cache (on by default)
    assert "from the request cache makes 10 transitions ($0.00025)" in note
    (cost,) = [w for w in widgets if "cost" in w["properties"].get("title", "")]
    expression = cost["properties"]["metrics"][1][0]["expression"]
    assert expression == "runs * 15 * 0.000025"  # 2C + 13 transitions: N = 10 is one chunk of 25
    for widget in widgets:
        assert {"x", "y", "width", "height", "properties"} <= set(widget)


# --- tags ----------------------------------------------------------------------------------


def args_class(token: str) -> type:
    """The pulumi_aws `<Name>Args` class of a type token (`aws:s3/bucket:Bucket`)."""
    module, name = token.split(":")[1].split("/", maxsplit=1)[0], token.rsplit(":", 1)[1]
    python_module = f"{module}_" if module in ("lambda",) else module
    found: type = getattr(importlib.import_module(f"pulumi_aws.{python_module}"), f"{name}Args")
    return found


def test_every_taggable_resource_is_tagged(deployment: Any, stack: str) -> None:
    taggable = [
        r
        for r in deployment.resources
        if r.type.startswith("aws:") and hasattr(args_class(r.type), "tags")
    ]
    assert len(taggable) >= 20
    for resource in taggable:
        assert resource.inputs.get("tags", {}).get("Environment") == stack, resource.name


def test_every_aws_resource_uses_the_tagging_provider(deployment: Any, stack: str) -> None:
    (provider,) = deployment.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    assert json.loads(provider.inputs["defaultTags"])["tags"]["Environment"] == stack
    urn = f"urn:pulumi:{stack}::pavi::pulumi:pulumi:Stack$pulumi:providers:aws::aws::"
    aws_resources = [r for r in deployment.resources if r.type.startswith("aws:")]
    assert aws_resources
    for resource in aws_resources:
        assert resource.provider.startswith(urn), resource.name
