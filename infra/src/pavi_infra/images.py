"""ECR repositories and the job images (built and pushed, or already-pushed tags)."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_command as command
import pulumi_docker_build as docker_build
from pavi_contracts.jobs import JOBS, Job

from pavi_infra import sources
from pavi_infra.base import Component
from pavi_infra.config import ConfigError, StackConfig


def short_name(job: Job) -> str:
    """The job's name in resource names (`seq-retrieval`)."""
    return job.image.removeprefix("pavi-")


def lifecycle_policy(keep: int) -> str:
    """ECR lifecycle policy keeping the last `keep` images."""
    rule = {
        "rulePriority": 1,
        "description": f"keep the last {keep} images",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
        "action": {"type": "expire"},
    }
    return json.dumps({"rules": [rule]})


def wheelhouse_command(folder: str) -> str:
    """The command filling one job's wheelhouse: the same code as `nox -s wheelhouse`."""
    return f"uv run --frozen --group images python -m pavi_images wheelhouse {folder}"


class Images(Component):
    """One repository per job package and the image each job definition runs.

    Built images: the tag is derived from the sources (`sources.image_tag`); a tag already in
    the repository is used as it is (pinned by its digest) and nothing is built or pushed.
    Otherwise a local command fills the wheelhouse and pulumi-docker-build builds and pushes.
    Pushed tags (`buildImages: false`): each is looked up in ECR before a job definition
    references it, and pinned by its digest.
    """

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
        self.tags_built: dict[str, str] = {}
        root = config.source_path(project_dir)
        existing: set[str] = set()
        if config.build_images:
            existing = set(aws.ecr.get_repositories(region=config.region).names)
        for package in JOBS:
            repo_name = _name(config, package)
            repo = aws.ecr.Repository(
                f"{name}-{short_name(package)}",
                name=repo_name,
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configurations=[{"encryption_type": "AES256"}],
                force_delete=config.force_destroy,
                tags=self.tags,
                opts=self.named(),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{short_name(package)}-lifecycle",
                repository=repo.name,
                policy=lifecycle_policy(config.image_keep_count),
                opts=self.child(),
            )
            self.repositories[package.config_key] = repo
            if config.build_images:
                pushed = existing_tags(config, package) if repo_name in existing else {}
                self.image_uris[package.config_key] = self._built(
                    name, package, repo, config=config, root=root, pushed=pushed
                )
            else:
                assert config.image_tags is not None  # guaranteed by the config validation
                tag = getattr(config.image_tags, package.folder)
                found = aws.ecr.get_image_output(
                    repository_name=repo.name, image_tag=tag, opts=self.invoke()
                )
                self.image_uris[package.config_key] = pulumi.Output.concat(
                    repo.repository_url, "@", found.image_digest
                )
        self.register_outputs({"image_uris": self.image_uris})

    def _built(
        self,
        name: str,
        package: Job,
        repo: aws.ecr.Repository,
        *,
        config: StackConfig,
        root: Path,
        pushed: dict[str, str],
    ) -> pulumi.Output[str]:
        if not (root / "packages" / package.folder / "Dockerfile").is_file():
            raise ConfigError(
                f"pavi:sourceRoot: {root / 'packages' / package.folder / 'Dockerfile'} is missing"
            )
        tag = sources.image_tag(root, package.folder)
        self.tags_built[package.config_key] = tag
        if tag in pushed:
            return pulumi.Output.concat(repo.repository_url, "@", pushed[tag])
        wheelhouse = command.local.Command(
            f"{name}-{short_name(package)}-wheelhouse",
            create=wheelhouse_command(package.folder),
            dir=config.source_root,
            environment={"PYTHONPATH": "images"},
            # Rerun for new sources, or when this checkout's wheelhouse appeared or went away.
            triggers=[tag, sources.wheelhouse_ready(root, package.folder)],
            opts=self.child(),
        )
        context = posixpath.join(config.source_root, "packages", package.folder)
        token = aws.ecr.get_authorization_token_output(
            registry_id=repo.registry_id, opts=self.invoke()
        )
        image = docker_build.Image(
            f"{name}-{short_name(package)}-image",
            context=docker_build.BuildContextArgs(location=context),
            dockerfile=docker_build.DockerfileArgs(location=posixpath.join(context, "Dockerfile")),
            build_args={"VERSION": sources.version(root, package.folder)},
            platforms=[docker_build.Platform.LINUX_AMD64],
            push=True,
            # The wheelhouse exists only once the command has run, never during a preview.
            build_on_preview=False,
            tags=[pulumi.Output.concat(repo.repository_url, ":", tag)],
            registries=[
                docker_build.RegistryArgs(
                    address=repo.repository_url.apply(lambda url: url.split("/", 1)[0]),
                    username=token.user_name,
                    password=token.password,
                )
            ],
            # Dropped from the program once its tag is in the repository: keep the image.
            opts=self.child(depends_on=[wheelhouse], retain_on_delete=True),
        )
        return pulumi.Output.concat(repo.repository_url, "@", image.digest)


def _name(config: StackConfig, package: Job) -> str:
    return f"{config.prefix}/{package.image}"


def existing_tags(config: StackConfig, package: Job) -> dict[str, str]:
    """Tag -> digest of the images already in the package's repository."""
    found = aws.ecr.get_images(repository_name=_name(config, package), region=config.region)
    return {i.image_tag: i.image_digest for i in found.image_ids if i.image_tag}
