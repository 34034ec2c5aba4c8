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
ROOT = INFRA.parent
ACCOUNT = "123456789012"
REGION = "us-east-1"
JOB_FOLDERS = ("seq_retrieval", "alignment", "seqinfo_align")
JOBS = ("seq-retrieval", "alignment", "seqinfo-align")
DEFAULT_VPC = "vpc-0d1e2f3a4b5c6d7e8"
DEFAULT_SUBNETS = ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"]
#: What the committed prod stack's CHANGE-ME placeholders become in the tests.
PROD_VALUES = {
    "pavi:jobQueueArn": "arn:aws:batch:us-east-1:210987654321:job-queue/pavi-pipeline",
    "pavi:notificationEmail": "pavi-ops@alliancegenome.org",
    "pavi:imageTags": json.dumps(
        {"seqRetrieval": "0.1.0", "alignment": "0.1.0", "seqinfoAlign": "0.1.0"}
    ),
}


def digest_of(text: str) -> str:
    """A fake image digest."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Registered:
    """One resource the program registered (inputs as the engine received them)."""

    type: str
    name: str
    inputs: dict[str, Any]
    provider: str
    state: dict[str, Any]


@dataclass(frozen=True)
class Options:
    """The resource options one resource was registered with (seen by a stack transformation)."""

    delete_before_replace: bool
    retain_on_delete: bool
    depends_on: tuple[str, ...]


@dataclass
class Deployment:
    """Everything one program run registered, plus its resolved stack outputs."""

    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    call_args: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    options: dict[str, Options] = field(default_factory=dict)

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

    def __init__(self, deployment: Deployment, ecr: dict[str, dict[str, str]]) -> None:
        self.deployment = deployment
        self.ecr = ecr  # repository name -> {tag: digest} already pushed

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
        self.deployment.call_args.append((args.token, dict(args.args)))
        answer = self._lookup(args.token, dict(args.args))
        if answer is not None:
            return answer, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "id": ACCOUNT,
                    "userId": "AIDA"}, []  # fmt: skip
        if args.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return {"userName": "AWS", "password": "mock-token", "authorizationToken": "x",
                    "proxyEndpoint": f"https://{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com",
                    "expiresAt": "2030-01-01T00:00:00Z", "id": ACCOUNT}, []  # fmt: skip
        return {}, []

    def _lookup(self, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """The network and ECR data sources."""
        if token == "aws:ec2/getVpc:getVpc":
            return {"id": DEFAULT_VPC, "default": True, "cidrBlock": "172.31.0.0/16"}
        if token == "aws:ec2/getSubnets:getSubnets":
            return {"id": REGION, "ids": DEFAULT_SUBNETS}
        if token == "aws:ecr/getRepositories:getRepositories":
            return {"id": REGION, "names": sorted(self.ecr)}
        if token == "aws:ecr/getImages:getImages":
            images = self.ecr[args["repositoryName"]]
            ids = [{"imageTag": tag, "imageDigest": digest} for tag, digest in images.items()]
            return {"id": args["repositoryName"], "imageIds": ids}
        if token == "aws:ecr/getImage:getImage":
            name, tag = args["repositoryName"], args["imageTag"]
            digest = self.ecr.get(name, {}).get(tag)
            if digest is None:  # what the provider answers: the deployment stops here
                raise LookupError(f"no image {name}:{tag} in ECR")
            return {"id": digest, "imageDigest": digest, "imageTag": tag, "imageTags": [tag]}
        return None


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


def lock_file(*, boto3: str, numpy: str) -> str:
    """A uv.lock: the job packages on the shared library and boto3; numpy needed by none."""
    entries = [
        ("pavi-common-s3", "0.1.0", ["boto3"]),
        ("boto3", boto3, []),
        ("numpy", numpy, []),
        *((folder, "0.1.0", ["pavi-common-s3", "boto3"]) for folder in JOB_FOLDERS),
    ]
    text = "version = 1\n"
    for name, version, dependencies in entries:
        deps = ", ".join(f'{{ name = "{d}" }}' for d in dependencies)
        text += f'\n[[package]]\nname = "{name}"\nversion = "{version}"\ndependencies = [{deps}]\n'
    return text


def make_source_tree(root: Path) -> Path:
    """A repository-shaped tree: a workspace of the three job packages and a shared library."""
    root.mkdir(parents=True, exist_ok=True)
    members = [f"packages/{folder}" for folder in (*JOB_FOLDERS, "common_s3")]
    (root / "pyproject.toml").write_text(f"[tool.uv.workspace]\nmembers = {json.dumps(members)}\n")
    (root / "uv.lock").write_text(lock_file(boto3="1.35.0", numpy="2.1.0"))
    library = root / "packages" / "common_s3"
    (library / "src").mkdir(parents=True, exist_ok=True)
    (library / "pyproject.toml").write_text(
        '[project]\nname = "pavi-common-s3"\nversion = "0.1.0"\n'
    )
    (library / "src" / "lib.py").write_text("VALUE = 1\n")
    for folder in JOB_FOLDERS:
        package = root / "packages" / folder
        (package / "src").mkdir(parents=True, exist_ok=True)
        (package / "Dockerfile").write_text(f"FROM python:3.11-slim\n# {folder}\n")
        (package / "pyproject.toml").write_text(
            f'[project]\nname = "{folder}"\nversion = "0.1.0"\n'
            'dependencies = ["pavi-common-s3>=0.1,<0.2", "boto3>=1.35"]\n'
        )
        (package / "src" / "job.py").write_text(f"NAME = {folder!r}\n")
    return root


def prod_images() -> dict[str, dict[str, str]]:
    """The prod repositories holding the tags of `PROD_VALUES`."""
    return {f"pavi-prod/pavi-{job}": {"0.1.0": digest_of(job)} for job in JOBS}


def run_program(
    stack: str,
    config: dict[str, str],
    ecr: dict[str, dict[str, str]] | None = None,
    deployment: Deployment | None = None,
) -> Deployment:
    """Run the whole program (`pavi_infra.program.main`) under mocks with `config`; `ecr`
    holds the images already pushed (repository name -> {tag: digest}); what is registered
    goes into `deployment` (a new one by default)."""
    from pavi_infra import program

    deployment = deployment if deployment is not None else Deployment()
    mocks = RecordingMocks(deployment, dict(ecr or {}))
    pulumi.runtime.set_mocks(mocks, project="pavi", stack=stack, preview=False)
    pulumi.runtime.set_all_config(config)

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        depends = args.opts.depends_on
        listed = depends if isinstance(depends, list) else [depends] if depends else []
        deployment.options[args.name] = Options(
            bool(args.opts.delete_before_replace),
            bool(args.opts.retain_on_delete),
            tuple(str(getattr(r, "_name", "")) for r in listed),
        )

    @pulumi.runtime.test  # type: ignore[untyped-decorator,unused-ignore]
    def run() -> pulumi.Output[Any]:
        pulumi.runtime.register_stack_transformation(record)
        outputs = program.main(INFRA)
        resolved = pulumi.Output.all(
            bucketName=outputs.bucket_name,
            stateMachineArn=outputs.state_machine_arn,
            dashboardUrl=outputs.dashboard_url,
            imageUris=outputs.image_uris,
            jobQueueArn=outputs.job_queue_arn,
            jobLogGroup=outputs.job_log_group,
            clientPolicyArn=outputs.client_policy_arn,
        )
        return resolved.apply(deployment.outputs.update)

    run()
    return deployment


def committed_config(stack: str) -> dict[str, str]:
    """The stack file as committed; prod with its placeholders replaced by real values."""
    config = stack_file_config(stack)
    return config | PROD_VALUES if stack == "prod" else config


@pytest.fixture(scope="session")
def deployments() -> Callable[[str], Deployment]:
    """`deployments("dev")` / `("prod")`: the program run once per stack, cached.

    Dev runs on this repository as it is (no wheelhouse needed) with empty repositories; prod
    with its pushed tags in ECR.
    """
    cache: dict[str, Deployment] = {}

    def get(stack: str) -> Deployment:
        if stack not in cache:
            ecr = prod_images() if stack == "prod" else {}
            cache[stack] = run_program(stack, committed_config(stack), ecr)
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
    """`stack_config("dev")`: a committed stack's config (prod's placeholders filled in)."""
    return committed_config


@pytest.fixture(scope="session")
def program_run() -> Callable[..., Deployment]:
    """`program_run(stack, config, ecr=None)`: run the whole program under mocks."""
    return run_program


@pytest.fixture
def recorder() -> Deployment:
    """An empty record to pass to `program_run(..., deployment=recorder)`."""
    return Deployment()


@pytest.fixture(scope="session")
def stack_file() -> Callable[[str], dict[str, str]]:
    """`stack_file("prod")`: a committed stack file exactly as written (placeholders too)."""
    return stack_file_config


@pytest.fixture(scope="session")
def image_digest() -> Callable[[str], str]:
    """`image_digest(job)`: the digest the mocked prod repository holds for the job's tag."""
    return digest_of


@pytest.fixture(scope="session")
def lock_factory() -> Callable[..., str]:
    """`lock_factory(boto3=..., numpy=...)`: the text of the source tree's uv.lock."""
    return lock_file


@pytest.fixture
def source_factory() -> Callable[[Path], Path]:
    """`source_factory(root)`: write a repository-shaped build tree under root."""
    return make_source_tree


def pytest_configure(config: pytest.Config) -> None:
    """pulumi_aws warns about its own deprecated aliases while resolving resources: not ours."""
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:pulumi_aws")
