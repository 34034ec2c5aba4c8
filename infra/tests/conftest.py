"""Run the Pulumi program under Pulumi's mock runtime and record what it registers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]

INFRA = Path(__file__).resolve().parents[1]
ACCOUNT = "123456789012"
REGION = "us-east-1"
JOB_FOLDERS = ("seq_retrieval", "alignment", "seqinfo_align")


@dataclass(frozen=True)
class Registered:
    """One resource the program registered (inputs as the engine received them)."""

    type: str
    name: str
    inputs: dict[str, Any]
    provider: str
    state: dict[str, Any]


@dataclass
class Deployment:
    """Everything one program run registered, plus its resolved stack outputs."""

    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Registered]:
        """Resources of one type token."""
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name_part: str = "") -> Registered:
        """The single resource of `type_` whose name contains `name_part`."""
        found = [r for r in self.of_type(type_) if name_part in r.name]
        assert len(found) == 1, f"{type_} {name_part!r}: {[r.name for r in found]}"
        return found[0]


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that answer like AWS would (ARNs, URLs, digests) and record every resource."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        physical = str(state.get("name") or args.name)
        token = args.typ
        if token == "aws:s3/bucket:Bucket":
            physical = str(state.get("bucket") or f"{args.name}-a1b2c3d4")
            state |= {"bucket": physical, "arn": f"arn:aws:s3:::{physical}"}
        elif token == "aws:ecr/repository:Repository":
            state |= {
                "registryId": ACCOUNT,
                "repositoryUrl": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{physical}",
                "arn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{physical}",
            }
        elif token == "aws:batch/jobDefinition:JobDefinition":
            state |= {
                "arn": f"arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/{physical}:1",
                "revision": 1,
            }
        elif token == "docker-build:index:Image":
            digest = "sha256:" + hashlib.sha256(args.name.encode()).hexdigest()
            state |= {"digest": digest, "ref": f"{state['tags'][0]}@{digest}"}
        state.setdefault("arn", _arn(token, physical))
        state.setdefault("name", physical)
        self.deployment.resources.append(
            Registered(token, args.name, dict(args.inputs), args.provider or "", state)
        )
        return physical, state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.deployment.calls.append(args.token)
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "id": ACCOUNT,
                    "userId": "AIDA"}, []  # fmt: skip
        if args.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return {"userName": "AWS", "password": "mock-token", "authorizationToken": "x",
                    "proxyEndpoint": f"https://{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com",
                    "expiresAt": "2030-01-01T00:00:00Z", "id": ACCOUNT}, []  # fmt: skip
        return {}, []


def _arn(token: str, physical: str) -> str:
    service = {
        "aws:iam/role:Role": f"arn:aws:iam::{ACCOUNT}:role/{physical}",
        "aws:iam/instanceProfile:InstanceProfile": (
            f"arn:aws:iam::{ACCOUNT}:instance-profile/{physical}"
        ),
        "aws:cloudwatch/logGroup:LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical}",
        "aws:sfn/stateMachine:StateMachine": (
            f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{physical}"
        ),
        "aws:sns/topic:Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{physical}",
        "aws:lambda/function:Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}",
        "aws:cloudwatch/eventRule:EventRule": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{physical}",
        "aws:batch/jobQueue:JobQueue": f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/{physical}",
        "aws:batch/computeEnvironment:ComputeEnvironment": (
            f"arn:aws:batch:{REGION}:{ACCOUNT}:compute-environment/{physical}"
        ),
    }
    return service.get(token, f"arn:aws:mock:{REGION}:{ACCOUNT}:{token}/{physical}")


def stack_file_config(stack: str) -> dict[str, str]:
    """Pulumi.<stack>.yaml as the engine hands config to a program (objects as JSON text)."""
    data = yaml.safe_load((INFRA / f"Pulumi.{stack}.yaml").read_text())
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in data["config"].items()
    }


def make_source_tree(root: Path, *, wheels: bool = True) -> Path:
    """A repository-shaped tree with each job package's Dockerfile, version and wheelhouse."""
    for folder in JOB_FOLDERS:
        package = root / "packages" / folder
        (package / "wheelhouse").mkdir(parents=True, exist_ok=True)
        (package / "Dockerfile").write_text(f"FROM python:3.11-slim\n# {folder}\n")
        (package / "pyproject.toml").write_text(
            f'[project]\nname = "{folder}"\nversion = "0.1.0"\n'
        )
        if wheels:
            (package / "wheelhouse" / f"{folder}-0.1.0-py3-none-any.whl").write_bytes(b"wheel")
    return root


def run_program(stack: str, config: dict[str, str]) -> Deployment:
    """Run the whole program (`pavi_infra.program.main`) under mocks with `config`."""
    from pavi_infra import program

    deployment = Deployment()
    pulumi.runtime.set_mocks(RecordingMocks(deployment), project="pavi", stack=stack, preview=False)
    pulumi.runtime.set_all_config(config)

    @pulumi.runtime.test  # type: ignore[untyped-decorator,unused-ignore]
    def run() -> pulumi.Output[Any]:
        outputs = program.main(INFRA)
        resolved = pulumi.Output.all(
            bucketName=outputs.bucket_name,
            stateMachineArn=outputs.state_machine_arn,
            dashboardUrl=outputs.dashboard_url,
            imageUris=outputs.image_uris,
            jobQueueArn=outputs.job_queue_arn,
        )
        return resolved.apply(deployment.outputs.update)

    run()
    return deployment


@pytest.fixture(scope="session")
def source_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A source tree ready for image builds (Dockerfiles and wheelhouses)."""
    return make_source_tree(tmp_path_factory.mktemp("source"))


@pytest.fixture(scope="session")
def deployments(source_tree: Path) -> Callable[[str], Deployment]:
    """`deployments("dev")` / `("prod")`: the program run once per stack file, cached."""
    cache: dict[str, Deployment] = {}

    def get(stack: str) -> Deployment:
        if stack not in cache:
            config = stack_file_config(stack)
            config["pavi:sourceRoot"] = str(source_tree)
            cache[stack] = run_program(stack, config)
        return cache[stack]

    return get


@pytest.fixture(params=["dev", "prod"])
def stack(request: pytest.FixtureRequest) -> str:
    """Each committed stack configuration."""
    return str(request.param)


@pytest.fixture
def deployment(stack: str, deployments: Callable[[str], Deployment]) -> Deployment:
    """The program run for the current stack."""
    return deployments(stack)


@pytest.fixture(scope="session")
def stack_config() -> Callable[[str], dict[str, str]]:
    """`stack_config("dev")`: a committed stack file's config as the engine passes it."""
    return stack_file_config


@pytest.fixture(scope="session")
def program_run() -> Callable[[str, dict[str, str]], Deployment]:
    """`program_run(stack, config)`: run the whole program under mocks with `config`."""
    return run_program


@pytest.fixture
def source_factory() -> Callable[..., Path]:
    """`source_factory(root, wheels=...)`: write a repository-shaped build tree under root."""
    return make_source_tree


def pytest_configure(config: pytest.Config) -> None:
    """pulumi_aws warns about its own deprecated aliases while resolving resources: not ours."""
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:pulumi_aws")
