"""What a job image is made of: its package, the workspace packages it needs, and the lock.

The image tag is derived from these sources alone (not from the wheels, whose bytes differ
from one build to the next), so the same sources always name the same tag.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any, Final

#: Folders that never reach an image.
EXCLUDED: Final = frozenset({"tests", "bench", "wheelhouse", "__pycache__", "node_modules"})
#: Files outside the packages that decide a wheelhouse's content.
SHARED_INPUTS: Final = ("uv.lock", "images/pavi_images/wheelhouse.py")


def _toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def workspace_members(root: Path) -> dict[str, Path]:
    """Distribution name -> folder of every workspace member with a pyproject."""
    members: dict[str, Path] = {}
    for pattern in _toml(root / "pyproject.toml")["tool"]["uv"]["workspace"]["members"]:
        for folder in sorted(root.glob(pattern)):
            if (folder / "pyproject.toml").is_file():
                members[_normalize(_toml(folder / "pyproject.toml")["project"]["name"])] = folder
    return members


def package_folders(root: Path, folder: str) -> list[Path]:
    """`packages/<folder>` and, transitively, every workspace member it depends on."""
    members = workspace_members(root)
    todo, seen = [root / "packages" / folder], []
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        for requirement in _toml(current / "pyproject.toml")["project"].get("dependencies", []):
            match = re.match(r"[A-Za-z0-9._-]+", requirement)
            if match and _normalize(match.group()) in members:
                todo.append(members[_normalize(match.group())])
    return sorted(seen)


def version(root: Path, folder: str) -> str:
    """The job package's version."""
    return str(_toml(root / "packages" / folder / "pyproject.toml")["project"]["version"])


def source_digest(root: Path, folder: str) -> str:
    """SHA-256 over the relative path and bytes of every source file the image depends on."""
    files = [root / name for name in SHARED_INPUTS if (root / name).is_file()]
    for package in package_folders(root, folder):
        files += [
            path
            for path in package.rglob("*")
            if path.is_file() and not any(_skipped(p) for p in path.relative_to(package).parts)
        ]
    digest = hashlib.sha256()
    for path in sorted(set(files)):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def image_tag(root: Path, folder: str) -> str:
    """`<package version>-<12 hex digits of the source digest>`."""
    return f"{version(root, folder)}-{source_digest(root, folder)[:12]}"


def wheelhouse_ready(root: Path, folder: str) -> bool:
    """Whether this checkout already holds the package's wheelhouse."""
    house = root / "packages" / folder / "wheelhouse"
    return (house / "requirements.txt").is_file() and any(house.glob("*.whl"))


def _skipped(part: str) -> bool:
    return part in EXCLUDED or (part.startswith(".") and part != ".dockerignore")
