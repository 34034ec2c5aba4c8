"""Fixtures of the workflow tests: request cases, and the state machine on moto.

The moto shim
-------------
moto 5.x runs ASL for real (its ``stepfunctions.parser`` is LocalStack's interpreter), but
its service-integration layer ships with an empty parameter/response normaliser: Step
Functions' PascalCase parameters (``JobName``, ``ContainerOverrides.Command``) reach boto3
unconverted (boto3 wants ``jobName``), and camelCase responses (``jobId``) are not turned
back into ``JobId``. The real service does both conversions. ``sfn_shim`` fills in the two
normaliser hooks with moto's own converters (``_to_boto_request`` / ``_from_boto_response``)
driven by botocore's service model, as AWS does; nothing in the production definition
changes. moto's ``describe_jobs`` iterates its job dict while the Map's concurrent iterations
submit jobs into it, which sometimes fails a ``.sync`` poll with "dictionary changed size
during iteration"; the shim iterates a snapshot instead (AWS has no such race).

``batch_failures`` makes chosen jobs of moto's Docker-free Batch backend end FAILED
(that backend otherwise marks every job SUCCEEDED, or every job FAILED with
``MOTO_SIMPLE_BATCH_FAIL_AFTER``), so one entry's or one step's failure can be tested.

What a Batch job runs is its image's ``ENTRYPOINT`` followed by the job's ``Command``; moto runs
no containers, so the tests read each image's entrypoint from its Dockerfile (the image smoke
tests check the built images carry it) and put it in front of the submitted command.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from pavi_contracts.jobs import JOBS
from pavi_workflow.asl import StateMachineSettings, build_definition

REPO = Path(__file__).resolve().parents[3]
NODE_BIN = REPO / "node_modules" / ".bin"
REGION = "us-east-1"
JOB_FOLDERS = ("seq_retrieval", "alignment", "seqinfo_align")
#: Chunk size of the moto pipeline: small, so that the cases' 4-8 entries make several chunks
#: and a short last one.
ENTRIES_PER_JOB = 2
#: The job definitions' log group (what the stack names it, not Batch's default).
LOG_GROUP = "/aws/batch/pavi-test"
MOTO_CONFIG: Any = {
    "stepfunctions": {"execute_state_machine": True},
    "batch": {"use_docker": False},
}


@pytest.fixture
def case_request(testdata: Path) -> Callable[[str], list[dict[str, Any]]]:
    """A case's request with ``{data}`` replaced by the test data folder."""

    def load(case: str) -> list[dict[str, Any]]:
        text = (testdata / "cases" / case / "request.json").read_text(encoding="utf-8")
        data: list[dict[str, Any]] = json.loads(text.replace("{data}", str(testdata)))
        return data

    return load


@pytest.fixture
def case_status(testdata: Path) -> Callable[[str], dict[str, Any]]:
    """A case's expected/status.json."""

    def load(case: str) -> dict[str, Any]:
        path = testdata / "cases" / case / "expected" / "status.json"
        status: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return status

    return load


@pytest.fixture(scope="session")
def node_tool() -> Callable[[str], str]:
    """Path of a tool from the repository's node_modules; fails with how to install it."""

    def find(name: str) -> str:
        path = NODE_BIN / name
        if not path.exists() or shutil.which("node") is None:
            pytest.fail(f"{name} is missing: run `npm ci` at the repository root ({REPO})")
        return str(path)

    return find


def dockerfile_entrypoints() -> dict[str, list[str]]:
    """Image title (= repository) -> ENTRYPOINT, read from each job package's Dockerfile."""
    found: dict[str, list[str]] = {}
    for folder in JOB_FOLDERS:
        text = (REPO / "packages" / folder / "Dockerfile").read_text(encoding="utf-8")
        title = re.search(r'org\.opencontainers\.image\.title="([^"]+)"', text)
        entrypoints = re.findall(r"^ENTRYPOINT (.+)$", text, flags=re.MULTILINE)
        assert title, f"{folder}/Dockerfile has no title label"
        assert len(entrypoints) == 1, f"{folder}/Dockerfile needs one exec-form ENTRYPOINT"
        found[title.group(1)] = json.loads(entrypoints[0])
    return found


ENTRYPOINTS = dockerfile_entrypoints()


def run_command(image: str, command: list[str]) -> list[str]:
    """What a container of ``image`` runs for Batch's ``command``: entrypoint, then command."""
    return [*ENTRYPOINTS[image.rsplit(":", 1)[0]], *command]


@pytest.fixture
def sfn_shim(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give moto's service integrations the parameter/response normalisation AWS performs."""
    from botocore.session import get_session
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service as sts,
    )

    session = get_session()

    def operation(task: Any, service: str | None, action: str | None) -> Any:
        name = action or task.resource.api_action
        pascal = "".join(part[:1].upper() + part[1:] for part in name.split("_"))
        model = session.get_service_model(task._get_boto_service_name(service))
        return model.operation_model(pascal)

    def normalise_parameters(
        self: Any,
        parameters: dict[str, Any],
        boto_service_name: Any = None,
        service_action_name: Any = None,
    ) -> None:
        shape = operation(self, boto_service_name, service_action_name).input_shape
        self._to_boto_request(parameters, shape)

    def normalise_response(
        self: Any, response: Any, boto_service_name: Any = None, service_action_name: Any = None
    ) -> None:
        shape = operation(self, boto_service_name, service_action_name).output_shape
        if shape is not None:
            self._from_boto_response(response, shape)

    from moto.batch.models import BatchBackend
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback,
    )

    def describe_jobs(self: Any, jobs: list[str] | None) -> list[dict[str, Any]]:
        wanted = set(jobs or ())
        return [
            job.describe()
            for key, job in list(self._jobs.items())
            if not wanted or key in wanted or job.arn in wanted
        ]

    monkeypatch.setattr(BatchBackend, "describe_jobs", describe_jobs)
    # moto polls a .sync job's status every 0.5 s; poll faster (speed only, same results).
    monkeypatch.setattr(callback, "_DELAY_SECONDS_SYNC_CONDITION_CHECK", 0.02)
    monkeypatch.setattr(sts.StateTaskService, "_normalise_parameters", normalise_parameters)
    monkeypatch.setattr(sts.StateTaskService, "_normalise_response", normalise_response)


@pytest.fixture
def batch_failures(monkeypatch: pytest.MonkeyPatch) -> list[Callable[[list[str]], bool]]:
    """Predicates on what a job runs (entrypoint + command); a matching job ends FAILED."""
    from moto.batch_simple.models import BatchSimpleBackend

    predicates: list[Callable[[list[str]], bool]] = []
    original = BatchSimpleBackend._mark_job_as_finished

    def finish(self: Any, include_start_attempt: bool, job: Any) -> None:
        original(self, include_start_attempt=include_start_attempt, job=job)
        command = job._get_container_property("command", [])
        image = job.job_definition.container_properties["image"]
        if any(p(run_command(image, command)) for p in predicates):
            job.job_stopped = False
            job._mark_stopped(success=False)

    monkeypatch.setattr(BatchSimpleBackend, "_mark_job_as_finished", finish)
    return predicates


@pytest.fixture
def merge_outputs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make each merge job of moto's Batch write the three result files at its
    ``--results-prefix`` (moto runs no container), each holding a fresh random token, so a
    file can only equal another by being a copy of it. Returns the prefixes written."""
    import uuid

    from moto.batch_simple.models import BatchSimpleBackend
    from pavi_contracts.files import ALIGNED_SEQINFO, ALIGNMENT_OUTPUT, REPORT

    written: list[str] = []
    original = BatchSimpleBackend._mark_job_as_finished

    def finish(self: Any, include_start_attempt: bool, job: Any) -> None:
        original(self, include_start_attempt=include_start_attempt, job=job)
        command = job._get_container_property("command", [])
        image = job.job_definition.container_properties["image"]
        argv = run_command(image, command)
        if argv[0] != "pavi-seqinfo-align":
            return
        prefix = argv[argv.index("--results-prefix") + 1]
        bucket, _, key = prefix.removeprefix("s3://").partition("/")
        s3 = boto3.client("s3")
        for name in (ALIGNMENT_OUTPUT, ALIGNED_SEQINFO, REPORT):
            body = f"{name} of {job.job_name}: {uuid.uuid4().hex}\n".encode()
            s3.put_object(Bucket=bucket, Key=f"{key}{name}", Body=body)
        written.append(prefix)

    monkeypatch.setattr(BatchSimpleBackend, "_mark_job_as_finished", finish)
    return written


@dataclass
class Pipeline:
    """The state machine deployed on moto with a Batch queue and job definitions."""

    sfn: Any
    batch: Any
    s3: Any
    logs: Any
    arn: str
    bucket: str
    definition: dict[str, Any]
    settings: StateMachineSettings
    role: str
    executions: list[str] = field(default_factory=list)
    entries_per_job: int = ENTRIES_PER_JOB

    def deploy(self, name: str, **changes: Any) -> str:
        """Another state machine on the same queue, jobs and bucket, with changed settings;
        this pipeline executes it from now on. Returns its ARN."""
        settings = replace(self.settings, **changes)
        self.definition = build_definition(settings)
        self.arn = self.sfn.create_state_machine(
            name=name, definition=json.dumps(self.definition), roleArn=self.role, type="STANDARD"
        )["stateMachineArn"]
        return self.arn

    def execute(self, request: Any, name: str) -> dict[str, Any]:
        """Start an execution and wait for its end; return describe_execution."""
        arn = self.sfn.start_execution(
            stateMachineArn=self.arn, name=name, input=json.dumps(request)
        )["executionArn"]
        return self.wait(arn)

    def wait(self, arn: str) -> dict[str, Any]:
        """Poll until the execution is no longer RUNNING (moto runs it in a thread)."""
        for _ in range(600):
            described: dict[str, Any] = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.05)
        pytest.fail(f"execution {arn} did not finish")

    def submitted_commands(self, arn: str) -> list[list[str]]:
        """What the execution's Batch jobs run (image entrypoint + Command), in submission order."""
        from pavi_workflow.client import batch_jobs, history

        jobs = batch_jobs(history(arn, sfn=self.sfn))
        described = self.batch.describe_jobs(jobs=[j.job_id for j in jobs])["jobs"]
        by_id = {job["jobId"]: job for job in described}
        ordered = sorted(jobs, key=lambda j: by_id[j.job_id]["createdAt"])
        images = {
            d["jobDefinitionArn"]: d["containerProperties"]["image"]
            for d in self.batch.describe_job_definitions()["jobDefinitions"]
        }
        return [
            run_command(
                images[by_id[j.job_id]["jobDefinition"]], by_id[j.job_id]["container"]["command"]
            )
            for j in ordered
        ]


@pytest.fixture
def pipeline(sfn_shim: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    """moto (in process) with the state machine, an S3 bucket, Batch and CloudWatch Logs."""
    from moto import mock_aws

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws(config=MOTO_CONFIG):
        import pavi_common_s3

        pavi_common_s3.reset_client()
        iam, batch = boto3.client("iam"), boto3.client("batch")
        role = iam.create_role(RoleName="pavi-sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        bucket = "pavi-test-bucket"
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=bucket)
        env = batch.create_compute_environment(
            computeEnvironmentName="pavi-ce", type="UNMANAGED", serviceRole=role
        )["computeEnvironmentArn"]
        queue = batch.create_job_queue(
            jobQueueName="pavi-queue",
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}],
        )["jobQueueArn"]
        definitions = {
            name: batch.register_job_definition(
                jobDefinitionName=name,
                type="container",
                containerProperties={
                    "image": f"{name}:0.1.0",
                    "vcpus": 1,
                    "memory": 512,
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {"awslogs-group": LOG_GROUP, "awslogs-region": REGION},
                    },
                },
            )["jobDefinitionArn"]
            for name in (job.script for job in JOBS)
        }
        settings = StateMachineSettings(
            job_queue=queue,
            job_definitions={job.step: definitions[job.script] for job in JOBS},
            bucket=bucket,
            entries_per_job=ENTRIES_PER_JOB,
        )
        definition = build_definition(settings)
        sfn = boto3.client("stepfunctions")
        arn = sfn.create_state_machine(
            name="pavi", definition=json.dumps(definition), roleArn=role, type="STANDARD"
        )["stateMachineArn"]
        yield Pipeline(
            sfn, batch, s3, boto3.client("logs"), arn, bucket, definition, settings, role
        )
        pavi_common_s3.reset_client()
