"""The local base image `debian:bookworm-slim`, made with debootstrap when no registry is reachable.

The rootfs is slimmed the way Debian's official `-slim` images are (dpkg path excludes for
docs, man pages and locales; no apt lists or cached .debs), its apt sources point at the mirror
the host's apt uses, and it is imported into the engine's local storage under the name the
Dockerfiles' `FROM` uses.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from pavi_images.engine import Engine, EngineError

BASE_IMAGE: Final = "docker.io/library/debian:bookworm-slim"
SUITE: Final = "bookworm"
DEFAULT_MIRROR: Final = "http://deb.debian.org/debian"

_DPKG_SLIM: Final = """\
# Like Debian's official -slim images: no docs (copyrights kept), man pages or locales.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
"""
_APT_CONF: Final = {
    "docker-clean": (
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
        '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
        '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
        'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";\n'
    ),
    "docker-no-languages": 'Acquire::Languages "none";\n',
    "docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
    "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
}
_SLIM_DIRS: Final = ("man", "groff", "info", "lintian", "linda", "locale")


def host_mirrors(apt_dir: Path = Path("/etc/apt")) -> tuple[str, str | None]:
    """(Debian mirror, security mirror or None) that the host's apt uses; the default if none."""
    uris: list[str] = []
    for path in [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*"))]:
        if not path.is_file() or path.suffix not in {"", ".list", ".sources"}:
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            uris += [u for line in text.splitlines() for u in _deb822_uris(line)]
        else:
            uris += re.findall(r"^\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)", text, flags=re.MULTILINE)
    debian = [u.rstrip("/") for u in uris if "debian" in u and u.startswith(("http:", "https:"))]
    security = next((u for u in debian if u.endswith("debian-security")), None)
    main = next((u for u in debian if not u.endswith("debian-security")), DEFAULT_MIRROR)
    return os.environ.get("PAVI_DEBIAN_MIRROR", main), security


def _deb822_uris(line: str) -> list[str]:
    match = re.match(r"^URIs:\s*(.+)$", line.strip())
    return match.group(1).split() if match else []


def _sources(mirror: str, security: str | None) -> str:
    stanzas = [
        f"Types: deb\nURIs: {mirror}\nSuites: {SUITE} {SUITE}-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    ]
    if security:
        stanzas.append(
            f"Types: deb\nURIs: {security}\nSuites: {SUITE}-security\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        )
    return "\n".join(stanzas)


def slim(rootfs: Path, mirror: str, security: str | None) -> None:
    """Apply the -slim dpkg/apt settings, drop docs/locales/apt lists, set the apt sources."""
    (rootfs / "etc/dpkg/dpkg.cfg.d/docker").write_text(_DPKG_SLIM)
    for name, text in _APT_CONF.items():
        (rootfs / "etc/apt/apt.conf.d" / name).write_text(text)
    share = rootfs / "usr/share"
    for sub in _SLIM_DIRS:
        for child in (share / sub).glob("*"):
            _remove(child)
    for doc in (share / "doc").glob("*"):
        for item in doc.iterdir() if doc.is_dir() and not doc.is_symlink() else [doc]:
            if item.name != "copyright":
                _remove(item)
    for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*"):
        for item in rootfs.glob(pattern):
            if item.is_file():
                item.unlink()
    for log in (rootfs / "var/log").rglob("*.log"):
        log.write_text("")
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(_sources(mirror, security))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise EngineError(f"{name} is not installed: `apt-get install -y {package}`")
    return path


def ensure_base(engine: Engine, *, force: bool = False) -> bool:
    """Make and import the base image unless it exists; True when it was made now."""
    if not force and engine.image_exists(BASE_IMAGE):
        return False
    mirror, security = host_mirrors()
    debootstrap = _tool("debootstrap", "debootstrap")
    tar = _tool("tar", "tar")
    with tempfile.TemporaryDirectory(prefix="pavi-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        proc = subprocess.run(
            [debootstrap, "--variant=minbase", SUITE, str(rootfs), mirror],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            tail = proc.stdout.strip().splitlines()[-1:] + proc.stderr.strip().splitlines()[-1:]
            raise EngineError(f"debootstrap {SUITE} from {mirror} failed: {tail}")
        slim(rootfs, mirror, security)
        with subprocess.Popen(
            [tar, "--numeric-owner", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE
        ) as packer:
            imported = subprocess.run(
                [engine.path, "import", "--change", 'CMD ["bash"]', "-", BASE_IMAGE],
                stdin=packer.stdout,
                env=engine.env,
                capture_output=True,
                text=True,
                check=False,
            )
        if packer.returncode != 0 or imported.returncode != 0:
            raise EngineError(f"{engine.name} import failed: {imported.stderr.strip()[-300:]}")
    return True
