"""How the local runner starts a job: as a local process, or inside the job's image.

Both take a :class:`~pavi_workflow.commands.JobCommand` and return the argument list to
execute (never through a shell): the local executor runs ``[script, *args]``; the container
executor runs ``<engine> run … IMAGE *args``, the image's ``ENTRYPOINT`` being the script, as
on Batch.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol

from pavi_common_s3.errors import StorageError
from pavi_common_s3.uri import parse
from pavi_contracts.jobs import job

from pavi_workflow.commands import JobCommand

ENGINES = ("docker", "podman")
#: Environment variables handed to containers by name (docker/podman read the values).
PASSED_ENV_PREFIXES = ("AWS_", "PAVI_")
#: Seconds `docker info` may take to prove a daemon answers.
DOCKER_INFO_TIMEOUT = 10
#: podman without a containers.conf of the user's (CONTAINERS_CONF unset): explicit ulimits,
#: as images/containers.conf sets; on hosts where the runtime may not raise limits to the
#: inherited ones, runc otherwise refuses to start ("error setting rlimits").
PODMAN_DEFAULT_FLAGS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")
#: Mode of the folders the jobs write in a container run (world-writable, sticky).
SHARED_FOLDER_MODE = 0o1777


class ExecutorError(Exception):
    """The executor cannot run here (missing script, engine or image version)."""


class Executor(Protocol):
    """Turns a job command into the argument list that runs it."""

    name: str

    def prepare(self, output_folders: Sequence[Path]) -> None:
        """Make the run's output folders usable by the jobs before the first one starts."""
        ...

    def argv(self, command: JobCommand) -> list[str]:
        """The full argument list that runs ``command``."""
        ...


@dataclass
class LocalExecutor:
    """Runs the console scripts installed beside this Python (the workspace venv), else PATH."""

    name: str = "local"

    def prepare(self, output_folders: Sequence[Path]) -> None:
        """Nothing to do: the jobs run as this user."""
        del output_folders

    def argv(self, command: JobCommand) -> list[str]:
        """The script resolved to an absolute path, then the arguments."""
        return [resolve_script(command.script), *command.args]


def resolve_script(script: str) -> str:
    """Absolute path of a console script: next to ``sys.executable`` first, then PATH."""
    beside = Path(sys.executable).parent / script
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(script)
    if found is None:
        raise ExecutorError(
            f"{script} is not installed: run `uv sync --all-packages` at the repository root "
            "(or use --executor container)"
        )
    return found


@dataclass
class ContainerExecutor:
    """Runs each job in its image (``pavi-<job>:<version>``) with docker or podman.

    The jobs run as the image's own non-root user (uid 10001), as on Batch, not as the caller
    (root here). Only ``DIR/work`` and ``DIR/results`` are mounted read-write, at the same
    paths so the prefixes in the arguments mean the same inside; :meth:`prepare` makes them
    world-writable with the sticky bit, because the image's user is "other" to the host's
    folders whoever runs pavi (root, a user with rootful docker, rootless podman's mapped
    uids), and chown would need root and the engine's uid mapping. Files the jobs write keep
    the umask's read bits, and the folders' owner can still delete them on a rerun. Local
    genome folders and the variants file are mounted read-only (they must be readable by
    others). ``user`` overrides the image's user (``--user``).
    """

    engine: str
    run_dir: Path
    read_only: tuple[Path, ...] = ()
    image_tag: str | None = None
    name: str = "container"
    user: str | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def image(self, step: str) -> str:
        """``pavi-seq-retrieval:<version>`` etc.; the version is the installed package's."""
        row = job(step)
        tag = self.image_tag
        if tag is None:
            try:
                tag = version(row.distribution)
            except PackageNotFoundError as err:
                raise ExecutorError(
                    f"{row.distribution} is not installed here, so its image version is "
                    "unknown: pass --image-tag"
                ) from err
        return f"{row.image}:{tag}"

    def prepare(self, output_folders: Sequence[Path]) -> None:
        """Let the image's user write the output folders (see the class docstring)."""
        for folder in output_folders:
            folder.mkdir(parents=True, exist_ok=True)
            if self.user is None:
                folder.chmod(SHARED_FOLDER_MODE)

    def argv(self, command: JobCommand) -> list[str]:
        """``<engine> run --rm`` with the mounts, the passed-through env, image and arguments."""
        args = [self.engine, "run", "--rm"]
        if is_podman(self.engine) and "CONTAINERS_CONF" not in self.environ:
            args += PODMAN_DEFAULT_FLAGS
        for name in ("work", "results"):
            folder = self.run_dir / name
            args += ["--volume", f"{folder}:{folder}:rw"]
        for path in self.read_only:
            args += ["--volume", f"{path}:{path}:ro"]
        if self.user:
            args += ["--user", self.user]
        for name in sorted(passed_env(self.environ)):
            args += ["--env", name]
        return [*args, self.image(command.step), *command.args]


def passed_env(environ: Iterable[str]) -> list[str]:
    """Names of the variables the containers receive (AWS configuration, PAVI settings)."""
    return [name for name in environ if name.startswith(PASSED_ENV_PREFIXES)]


def is_podman(engine: str) -> bool:
    """Whether the engine (a name or a path) is podman."""
    return Path(engine).name.startswith("podman")


def docker_answers(path: str) -> bool:
    """True when ``docker info`` exits 0 (a daemon answers), quietly, within a short timeout."""
    try:
        done = subprocess.run(
            [path, "info"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=DOCKER_INFO_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def find_engine(requested: str | None = None) -> str:
    """The engine's path: ``requested`` if given, else docker if its daemon answers, else podman.

    A docker client is often installed without a daemon, so docker counts only when
    ``docker info`` succeeds; podman needs no daemon.
    """
    if requested:
        path = shutil.which(requested)
        if path is None:
            raise ExecutorError(f"--engine: {requested} is not on PATH")
        if Path(path).name.startswith("docker") and not docker_answers(path):
            raise ExecutorError(
                f"--engine: {requested} does not answer (`docker info` failed): "
                "start its daemon or use --engine podman"
            )
        return path
    docker = shutil.which("docker")
    if docker and docker_answers(docker):
        return docker
    podman = shutil.which("podman")
    if podman:
        return podman
    found = "docker is installed but its daemon does not answer" if docker else "no docker"
    raise ExecutorError(
        f"no container engine works ({found}, no podman on PATH): "
        "start a Docker daemon or install podman"
    )


def local_mounts(entries: Iterable[dict[str, object]], variants_file: str | None) -> list[Path]:
    """Folders of local genomes and the local variants file, for read-only mounts."""
    paths: set[Path] = set()
    for entry in entries:
        url = entry.get("fasta_file_url")
        local = _local_path(url) if isinstance(url, str) else None
        if local is not None:
            paths.add(local.parent)
    if variants_file:
        local = _local_path(variants_file)
        if local is not None:
            paths.add(local)
    return sorted(paths)


def _local_path(uri: str) -> Path | None:
    """The local file a URI names (paths and ``file://``), else None."""
    try:
        loc = parse(uri)
    except StorageError:
        return None
    return Path(loc.path).resolve() if loc.kind == "local" else None
