"""Fixtures for the image smoke tests: the engine, the built images, container and host runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pavi_images import JOBS, ROOT
from pavi_images.build import image_ref
from pavi_images.engine import Engine, EngineError, detect
from pavi_images.rangeserver import RequestLog, serve

EXAMPLE = ROOT / "examples"
Mount = tuple[Path, str]  # (host path, "ro" | "rw"), mounted at the same path inside


@dataclass(frozen=True)
class Example:
    """The bundled example's entries (genome paths made absolute) and its variants file."""

    entries: list[dict[str, Any]]
    variants: Path
    genome_dir: Path


@pytest.fixture(scope="session")
def engine() -> Engine:
    """docker (daemon answering) or podman; fails with how to install one."""
    try:
        return detect()
    except EngineError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def images(engine: Engine) -> dict[str, str]:
    """Job folder -> image reference; fails if an image is not built."""
    refs = {folder: image_ref(folder) for folder in JOBS}
    missing = [ref for ref in refs.values() if not engine.image_exists(ref)]
    if missing:
        pytest.fail(f"images not built: {missing}; run `uv run nox -s images`")
    return refs


RunContainer = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def run_container(engine: Engine) -> RunContainer:
    """Run an image as its own (non-root) user, with same-path bind mounts.

    ``args`` follow the image's entrypoint (its console script), as Batch's Command does;
    ``entrypoint`` replaces it to run another program of the image.
    """

    def run(
        ref: str,
        args: Sequence[str] = (),
        mounts: Sequence[Mount] = (),
        *,
        entrypoint: str | None = None,
        host_network: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        options = ["run", "--rm", "--network", "host" if host_network else "none"]
        for path, mode in mounts:
            options += ["--volume", f"{path}:{path}:{mode}"]
        if entrypoint is not None:
            options += ["--entrypoint", entrypoint]
        return engine.run(*options, ref, *args, check=False)

    return run


HostRun = Callable[[str, Sequence[str]], subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def run_host() -> HostRun:
    """Run a console script installed beside this Python (the venv) with the same arguments."""

    def run(script: str, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        path = Path(sys.executable).parent / script
        if not path.is_file():
            pytest.fail(f"{path} is missing: `uv sync --all-packages --group dev`")
        return subprocess.run([str(path), *args], capture_output=True, text=True, check=False)

    return run


@pytest.fixture(scope="session")
def example() -> Example:
    """The bundled example (examples/): entries with absolute genome paths, variants file."""
    entries = json.loads((EXAMPLE / "request.json").read_text())
    for entry in entries:
        url = entry["fasta_file_url"]
        if "://" not in url and not url.startswith("/"):
            entry["fasta_file_url"] = str((EXAMPLE / url).resolve())
    genome_dir = Path(entries[0]["fasta_file_url"]).parent
    return Example(entries=entries, variants=EXAMPLE / "variants.json", genome_dir=genome_dir)


@pytest.fixture
def writable_dir(tmp_path: Path) -> Callable[[str], Path]:
    """A fresh folder the image's non-root user can write to (world-writable, sticky)."""

    def make(name: str) -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True)
        folder.chmod(0o1777)
        return folder

    return make


@pytest.fixture(scope="session")
def http_genome(example: Example) -> Iterator[tuple[str, RequestLog]]:
    """The example genome folder served over HTTP (with Range support) on 127.0.0.1."""
    with serve(example.genome_dir) as served:
        yield served


def read_tree(folder: Path) -> dict[str, bytes]:
    """File name -> bytes for every file directly in a folder (report.html without its time)."""
    return {p.name: untimed(p) for p in sorted(folder.iterdir()) if p.is_file()}


def untimed(path: Path) -> bytes:
    """A file's bytes; for report.html, with the time it was written blanked out."""
    data = path.read_bytes()
    if path.name == "report.html":
        data = re.sub(rb"<time [^>]*>[^<]*</time>", b"<time></time>", data)
    return data


@pytest.fixture(scope="session")
def tree() -> Callable[[Path], dict[str, bytes]]:
    """read_tree as a fixture (tests cannot import this module)."""
    return read_tree
