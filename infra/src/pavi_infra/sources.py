"""What a job image is made of: its package, the workspace packages it needs, and their pins.

The image tag is derived from these sources alone (not from the wheels, whose bytes differ
from one build to the next), so the same sources always name the same tag, and a change to
another package or to a pin the job does not use leaves it alone.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any, Final

#: Folders that never reach an image.
EXCLUDED: Final = frozenset({"tests", "bench", "wheelhouse", "__pycache__", "node_modules"})
#: Files outside the packages that decide how a wheelhouse is filled.
SHARED_INPUTS: Final = ("images/pavi_images/wheelhouse.py",)


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


def locked(root: Path, folder: str) -> list[Any]:
    """The uv.lock entries of the job's distribution and everything it depends on."""
    lock = root / "uv.lock"
    entries: dict[str, list[Any]] = {}
    for entry in _toml(lock).get("package", []) if lock.is_file() else []:
        entries.setdefault(_normalize(entry["name"]), []).append(entry)
    name = _toml(root / "packages" / folder / "pyproject.toml")["project"]["name"]
    todo, seen = [_normalize(name)], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for entry in entries.get(current, []):
            todo += [_normalize(d["name"]) for d in entry.get("dependencies", [])]
    return [entry for key in sorted(seen) for entry in entries.get(key, [])]


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
    digest = hashlib.sha256(json.dumps(locked(root, folder), sort_keys=True).encode())
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
