"""How the local runner starts a job command: as a local process, or inside the job's image.

Both take the command exactly as the state machine submits it to Batch (script name first)
and return the argument list to execute (never through a shell).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol

from pavi_workflow.commands import STEP_PACKAGES

ENGINES = ("docker", "podman")
#: Environment variables handed to containers by name (docker/podman read the values).
PASSED_ENV_PREFIXES = ("AWS_", "PAVI_")


class ExecutorError(Exception):
    """The executor cannot run here (missing script, engine or image version)."""


class Executor(Protocol):
    """Turns a job command into the argument list that runs it."""

    name: str

    def argv(self, step: str, command: Sequence[str]) -> list[str]:
        """The full argument list for ``command`` of ``step`` (retrieval/alignment/merge)."""
        ...


@dataclass
class LocalExecutor:
    """Runs the console scripts installed beside this Python (the workspace venv), else PATH."""

    name: str = "local"

    def argv(self, step: str, command: Sequence[str]) -> list[str]:
        """The command with its script resolved to an absolute path."""
        del step
        return [resolve_script(command[0]), *command[1:]]


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
    """Runs each command in its image (``pavi-<job>:<version>``) with docker or podman.

    The run folder is mounted read-write at the same path, so the prefixes in the command
    mean the same inside; local genome folders and the variants file are mounted read-only.
    """

    engine: str
    run_dir: Path
    read_only: tuple[Path, ...] = ()
    image_tag: str | None = None
    name: str = "container"
    user: str | None = field(default_factory=lambda: f"{os.getuid()}:{os.getgid()}")

    def image(self, step: str) -> str:
        """``pavi-seq-retrieval:<version>`` etc.; the version is the installed package's."""
        script, dist = STEP_PACKAGES[step]
        tag = self.image_tag
        if tag is None:
            try:
                tag = version(dist)
            except PackageNotFoundError as err:
                raise ExecutorError(
                    f"{dist} is not installed here, so its image version is unknown: "
                    "pass --image-tag"
                ) from err
        return f"{script}:{tag}"

    def argv(self, step: str, command: Sequence[str]) -> list[str]:
        """``<engine> run --rm`` with the mounts, the passed-through env and the command."""
        run_dir = str(self.run_dir)
        args = [self.engine, "run", "--rm", "--volume", f"{run_dir}:{run_dir}:rw"]
        for path in self.read_only:
            args += ["--volume", f"{path}:{path}:ro"]
        if self.user:
            args += ["--user", self.user]
        for name in sorted(passed_env(os.environ)):
            args += ["--env", name]
        return [*args, self.image(step), *command]


def passed_env(environ: Iterable[str]) -> list[str]:
    """Names of the variables the containers receive (AWS configuration, PAVI settings)."""
    return [name for name in environ if name.startswith(PASSED_ENV_PREFIXES)]


def find_engine(requested: str | None = None) -> str:
    """The container engine: ``requested`` if given, else docker, else podman."""
    candidates = [requested] if requested else list(ENGINES)
    for engine in candidates:
        path = shutil.which(engine)
        if path:
            return path
    wanted = requested or " or ".join(ENGINES)
    raise ExecutorError(f"no container engine found ({wanted} is not on PATH): install one")


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
    if uri.startswith("file://"):
        return Path(uri.removeprefix("file://")).resolve()
    if "://" in uri:
        return None
    return Path(uri).resolve()
