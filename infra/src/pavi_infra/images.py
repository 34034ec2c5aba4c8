"""ECR repositories and the job images (built and pushed, or already-pushed tags)."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from pavi_infra.base import Component
from pavi_infra.config import ConfigError, StackConfig


@dataclass(frozen=True)
class JobPackage:
    """One job: its config name, its package folder and its image/repository name."""

    key: str  # config name (camelCase), e.g. seqRetrieval
    folder: str  # packages/<folder>, also the field name in Jobs and ImageTags
    image: str  # pavi-<job>

    @property
    def job(self) -> str:
        """The job's short name (`seq-retrieval`)."""
        return self.image.removeprefix("pavi-")


JOB_PACKAGES: Final = (
    JobPackage("seqRetrieval", "seq_retrieval", "pavi-seq-retrieval"),
    JobPackage("alignment", "alignment", "pavi-alignment"),
    JobPackage("seqinfoAlign", "seqinfo_align", "pavi-seqinfo-align"),
)


def lifecycle_policy(keep: int) -> str:
    """ECR lifecycle policy keeping the last `keep` images."""
    rule = {
        "rulePriority": 1,
        "description": f"keep the last {keep} images",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
        "action": {"type": "expire"},
    }
    return json.dumps({"rules": [rule]})


def build_context(root: Path, package: JobPackage) -> tuple[Path, str]:
    """The package's build context and its image tag (`<version>-<content digest>`).

    The digest covers every file of the context (caches aside), so a changed wheel or Dockerfile
    gets a new tag (the repositories' tags are immutable). ConfigError when it is not ready.
    """
    context = root / "packages" / package.folder
    dockerfile = context / "Dockerfile"
    if not dockerfile.is_file():
        raise ConfigError(f"pavi:sourceRoot: {dockerfile} is missing (set pavi:sourceRoot)")
    wheels = sorted((context / "wheelhouse").glob("*.whl"))
    if not wheels:
        raise ConfigError(
            f"{context / 'wheelhouse'} has no wheels: run `nox -s wheelhouse` before "
            "`pulumi up` (or set pavi:buildImages false and pavi:imageTags)"
        )
    with (context / "pyproject.toml").open("rb") as handle:
        version = str(tomllib.load(handle)["project"]["version"])
    digest = hashlib.sha256()
    for path in sorted(context.rglob("*")):
        relative = path.relative_to(context)
        if path.is_file() and not any(_is_cache(part) for part in relative.parts):
            digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes())
    return context, f"{version}-{digest.hexdigest()[:12]}"


class Images(Component):
    """One repository per job package and the image each job definition runs."""

    def __init__(
        self,
        name: str,
        config: StackConfig,
        project_dir: Path,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("Images", name, config.tags, opts)
        self.repositories: dict[str, aws.ecr.Repository] = {}
        self.image_uris: dict[str, pulumi.Output[str]] = {}
        root = config.source_path(project_dir)
        for package in JOB_PACKAGES:
            repo = aws.ecr.Repository(
                f"{name}-{package.job}",
                name=f"{config.prefix}/{package.image}",
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configurations=[{"encryption_type": "AES256"}],
                force_delete=config.force_destroy,
                tags=self.tags,
                opts=self.child(),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{package.job}-lifecycle",
                repository=repo.name,
                policy=lifecycle_policy(config.image_keep_count),
                opts=self.child(),
            )
            self.repositories[package.key] = repo
            if config.build_images:
                self.image_uris[package.key] = self._build(name, root, package, repo)
            else:
                assert config.image_tags is not None  # guaranteed by the config validation
                tag = getattr(config.image_tags, package.folder)
                self.image_uris[package.key] = pulumi.Output.concat(repo.repository_url, ":", tag)
        self.register_outputs({"image_uris": self.image_uris})

    def _build(
        self, name: str, root: Path, package: JobPackage, repo: aws.ecr.Repository
    ) -> pulumi.Output[str]:
        context, tag = build_context(root, package)
        token = aws.ecr.get_authorization_token_output(
            registry_id=repo.registry_id, opts=self.invoke()
        )
        image = docker_build.Image(
            f"{name}-{package.job}-image",
            context=docker_build.BuildContextArgs(location=str(context)),
            dockerfile=docker_build.DockerfileArgs(location=str(context / "Dockerfile")),
            platforms=[docker_build.Platform.LINUX_AMD64],
            push=True,
            tags=[pulumi.Output.concat(repo.repository_url, ":", tag)],
            registries=[
                docker_build.RegistryArgs(
                    address=repo.repository_url.apply(lambda url: url.split("/", 1)[0]),
                    username=token.user_name,
                    password=token.password,
                )
            ],
            opts=self.child(),
        )
        return pulumi.Output.concat(repo.repository_url, "@", image.digest)


def _is_cache(part: str) -> bool:
    return part == "__pycache__" or (part.startswith(".") and part != ".dockerignore")
