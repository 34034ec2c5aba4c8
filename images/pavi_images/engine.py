"""The container engine: docker when its daemon answers, else podman with our containers.conf."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

from pavi_images import IMAGES_DIR


class EngineError(RuntimeError):
    """No usable container engine, or an engine command failed."""


@dataclass(frozen=True)
class Engine:
    """One container engine CLI (``docker`` or ``podman``) and the environment it runs with."""

    name: str
    path: str

    @property
    def env(self) -> dict[str, str]:
        """The process environment for the engine (podman reads CONTAINERS_CONF)."""
        env = dict(os.environ)
        if self.name == "podman":
            env.setdefault("CONTAINERS_CONF", str(IMAGES_DIR / "containers.conf"))
        return env

    def run(
        self, *args: str, check: bool = True, capture: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run ``ENGINE args…``; raise EngineError with its stderr when it fails and check."""
        proc = subprocess.run(
            [self.path, *args],
            env=self.env,
            capture_output=capture,
            text=True,
            check=False,
        )
        if check and proc.returncode != 0:
            tail = "\n".join(f"{proc.stdout or ''}{proc.stderr or ''}".strip().splitlines()[-20:])
            raise EngineError(f"{self.name} {args[0]} failed ({proc.returncode}):\n{tail}")
        return proc

    def image_exists(self, ref: str) -> bool:
        """Whether the image is in local storage."""
        return self.run("image", "inspect", ref, check=False).returncode == 0

    def image_size(self, ref: str) -> int:
        """Uncompressed size of the image in bytes."""
        return int(self.run("image", "inspect", "--format", "{{.Size}}", ref).stdout.strip())


def _docker_works(path: str) -> bool:
    try:
        proc = subprocess.run([path, "info"], capture_output=True, check=False, timeout=30)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


@functools.cache
def detect() -> Engine:
    """docker if present and its daemon answers (`docker info`), else podman; else EngineError."""
    forced = os.environ.get("PAVI_CONTAINER_ENGINE")
    candidates = [forced] if forced else ["docker", "podman"]
    for name in candidates:
        path = shutil.which(name)
        if path is None:
            continue
        if name == "docker" and not _docker_works(path):
            continue
        return Engine(name=name, path=path)
    raise EngineError(
        "no container engine: start a Docker daemon, or install podman with "
        "`apt-get install -y podman buildah runc debootstrap`"
    )
