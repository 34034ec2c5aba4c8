"""Developer sessions: lint, typecheck, test, build, reliability, bench (uv is the venv backend)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).parent
# The job table is standard library only: read it from the source tree (nox's own venv).
sys.path.insert(0, str(ROOT / "packages" / "contracts" / "src"))
from pavi_contracts.jobs import JOBS  # noqa: E402

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "test", "build"]

#: Member name -> (folder, distribution, console script to try after a standalone install).
PACKAGES = {
    "contracts": ("packages/contracts", "pavi-contracts", None),
    "common_s3": ("packages/common_s3", "pavi-common-s3", None),
    **{job.folder: (f"packages/{job.folder}", job.distribution, job.script) for job in JOBS},
    "workflow": ("packages/workflow", "pavi-workflow", "pavi"),
}
MEMBERS = {**{k: v[0] for k, v in PACKAGES.items()}, "infra": "infra"}
#: Tests and benchmarks start many job processes: let Python cache bytecode even where the
#: environment sets PYTHONDONTWRITEBYTECODE (imports are ~3x slower without it).
WRITE_BYTECODE = {"PYTHONDONTWRITEBYTECODE": ""}


def sync(session: nox.Session, *groups: str) -> None:
    """Install the whole workspace (all members) plus the given dependency groups, from uv.lock."""
    args = ["uv", "sync", "--frozen", "--all-packages", "--inexact"]
    for group in groups:
        args += ["--group", group]
    session.run_install(
        *args, env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location}, external=True
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check (ruff pinned by the lock)."""
    sync(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict, member by member."""
    sync(session, "typecheck", "test")
    for name, folder in MEMBERS.items():
        session.log(f"mypy: {name}")
        session.run("mypy", f"{folder}/src", f"{folder}/tests")
    session.run("mypy", "noxfile.py", "conftest.py", "tests", "reliability")


@nox.session
def test(session: nox.Session) -> None:
    """pytest for all members; `nox -s test -- seq_retrieval` runs one; other args go to pytest."""
    sync(session, "test")
    args = list(session.posargs)
    paths = [MEMBERS[a] for a in args if a in MEMBERS]
    rest = [a for a in args if a not in MEMBERS]
    session.run("pytest", *(paths or [*MEMBERS.values(), "tests"]), *rest, env=WRITE_BYTECODE)


@nox.session
def build(session: nox.Session) -> None:
    """Build each package's sdist and wheel; install each wheel alone with pip; run its CLI."""
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    for folder, _, _ in PACKAGES.values():
        session.run("uv", "build", "--quiet", folder, "--out-dir", str(dist), external=True)
    for _folder, dist_name, script in PACKAGES.values():
        with tempfile.TemporaryDirectory() as tmp:
            venv = Path(tmp) / "venv"
            session.run("python", "-m", "venv", str(venv), external=True)
            pip = venv / "bin" / "pip"
            session.run(
                str(pip), "install", "--quiet", "--find-links", str(dist), dist_name, external=True
            )
            if script:
                session.run(str(venv / "bin" / script), "--help", external=True, silent=True)
                session.log(f"{dist_name}: installed alone, `{script} --help` answers")
            else:
                module = dist_name.replace("-", "_")
                session.run(str(venv / "bin" / "python"), "-c", f"import {module}", external=True)
                session.log(f"{dist_name}: installed alone, `import {module}` works")


@nox.session(python="3.11")
def reliability(session: nox.Session) -> None:
    """Faults, concurrency, signals, full disk, bad input: a table; exit 1 if a check failed.

    ``nox -s reliability -- --only s3 signals`` runs some probes (docs/reliability.md).
    """
    sync(session, "test")
    env = {"PYTHONUNBUFFERED": "1", **WRITE_BYTECODE}
    session.run("python", "-m", "reliability", *session.posargs, env=env)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: each prints a table (never part of the tests)."""
    sync(session, "test")
    env = {"PYTHONUNBUFFERED": "1", **WRITE_BYTECODE}
    for script in sorted(ROOT.glob("packages/*/bench/bench_*.py")):
        if session.posargs and not any(p in str(script) for p in session.posargs):
            continue
        session.log(f"benchmark: {script.relative_to(ROOT)}")
        session.run("python", str(script), env=env)


IMAGES_ENV = {"PYTHONPATH": str(ROOT / "images"), "PYTHONUNBUFFERED": "1"}


@nox.session
def wheelhouse(session: nox.Session) -> None:
    """Fill packages/<job>/wheelhouse/ (job + workspace wheels, locked manylinux cp311 wheels)."""
    sync(session, "images")
    session.run("python", "-m", "pavi_images", "wheelhouse", *session.posargs, env=IMAGES_ENV)


@nox.session
def images(session: nox.Session) -> None:
    """hadolint, base image, wheelhouses, build the job images, then smoke-test them (images/)."""
    sync(session, "test", "typecheck", "images")
    session.run("mypy", "images/pavi_images", "images/tests", env={"MYPYPATH": "images"})
    session.run("python", "-m", "pavi_images", "all", env=IMAGES_ENV)
    session.run("pytest", "images/tests", "-p", "no:cacheprovider", env=IMAGES_ENV)
