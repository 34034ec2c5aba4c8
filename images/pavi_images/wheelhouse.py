"""Fill `packages/<pkg>/wheelhouse/`: the package's wheel, its workspace dependencies' wheels
(uv build), and every third-party wheel pinned by uv.lock for manylinux x86_64 / CPython 3.11.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

from packaging.requirements import Requirement

from pavi_images import JOBS, ROOT

#: The containers' interpreter: Debian bookworm's CPython 3.11 (glibc 2.36) on x86_64.
TARGET_ENV: Final = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.2",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_system": "Linux",
    "python_full_version": "3.11.2",
    "python_version": "3.11",
    "sys_platform": "linux",
}
PLATFORMS: Final = ("manylinux_2_28_x86_64", "manylinux2014_x86_64")


class WheelhouseError(RuntimeError):
    """A step of filling a wheelhouse failed."""


def _run(args: list[str]) -> str:
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        raise WheelhouseError(f"{Path(args[0]).name} {args[1]} failed: {' | '.join(tail)}")
    return proc.stdout


def _uv() -> str:
    path = shutil.which("uv")
    if path is None:
        raise WheelhouseError("uv is not on PATH: `python3 -m pip install uv`")
    return path


def export(distribution: str) -> tuple[list[Path], list[str]]:
    """(workspace member folders, pinned third-party requirements) of a package, from uv.lock."""
    text = _run(
        [
            _uv(),
            "export",
            "--frozen",
            "--package",
            distribution,
            "--no-dev",
            "--no-hashes",
            "--no-header",
            "--no-annotate",
        ]
    )
    members: list[Path] = []
    pins: list[str] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("-e "):
            members.append(ROOT / line[3:].strip())
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(TARGET_ENV):
            req.marker = None
            pins.append(str(req))
    return members, pins


def fill(folder: str) -> Path:
    """Rebuild one job package's wheelhouse from scratch; returns its path."""
    distribution, _ = JOBS[folder]
    house = ROOT / "packages" / folder / "wheelhouse"
    shutil.rmtree(house, ignore_errors=True)
    house.mkdir(parents=True)
    members, pins = export(distribution)
    for member in members:
        _run([_uv(), "build", "--quiet", "--wheel", str(member), "--out-dir", str(house)])
    requirements = house / "requirements.txt"
    requirements.write_text("".join(f"{pin}\n" for pin in pins))
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            *platforms,
            "--implementation",
            "cp",
            "--python-version",
            "3.11",
            "--dest",
            str(house),
            "--requirement",
            str(requirements),
        ]
    )
    return house
