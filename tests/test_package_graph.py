"""The package graph stays as docs/architecture.md, "Package graph" draws it.

* no job package imports another job package, and ``pavi_workflow`` imports none of them;
* ``pavi_contracts`` imports nothing else of the project;
* ``pavi-workflow`` and ``pavi-infra`` do not install pysam (nor any job) by default.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "packages" / "contracts" / "src"))
from pavi_contracts.jobs import JOBS  # noqa: E402

JOB_MODULES = {f"pavi_{job.folder}": job.folder for job in JOBS}
PROJECT_MODULES = {*JOB_MODULES, "pavi_contracts", "pavi_common_s3", "pavi_workflow", "pavi_infra"}
SOURCES = {
    **{
        module: REPO / "packages" / folder / "src" / module
        for module, folder in JOB_MODULES.items()
    },
    "pavi_contracts": REPO / "packages" / "contracts" / "src" / "pavi_contracts",
    "pavi_common_s3": REPO / "packages" / "common_s3" / "src" / "pavi_common_s3",
    "pavi_workflow": REPO / "packages" / "workflow" / "src" / "pavi_workflow",
    "pavi_infra": REPO / "infra" / "src" / "pavi_infra",
}


def imported_project_modules(package: Path, root: Path = REPO) -> dict[str, set[str]]:
    """Top-level project modules each source file of ``package`` imports (anywhere in it)."""
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(root))] = names & PROJECT_MODULES
    return found


def offenders(package: str, forbidden: set[str]) -> dict[str, set[str]]:
    """Files of ``package`` importing any of ``forbidden``."""
    graph = imported_project_modules(SOURCES[package])
    return {path: names & forbidden for path, names in graph.items() if names & forbidden}


@pytest.mark.parametrize("job_module", sorted(JOB_MODULES))
def test_no_job_package_imports_another(job_module: str) -> None:
    assert offenders(job_module, set(JOB_MODULES) - {job_module}) == {}


@pytest.mark.parametrize("package", ["pavi_workflow", "pavi_infra", "pavi_common_s3"])
def test_workflow_infra_and_storage_import_no_job(package: str) -> None:
    assert offenders(package, set(JOB_MODULES)) == {}


def test_contracts_import_nothing_of_the_project() -> None:
    assert offenders("pavi_contracts", PROJECT_MODULES - {"pavi_contracts"}) == {}


def test_the_scanner_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "pavi_x"
    source.mkdir()
    (source / "m.py").write_text("def f():\n    from pavi_alignment.job import run\n")
    assert imported_project_modules(source, tmp_path) == {"pavi_x/m.py": {"pavi_alignment"}}


def locked_closure(root: str) -> set[str]:
    """Every package ``root`` installs by default, from uv.lock (extras and dev groups aside)."""
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    packages = {package["name"]: package for package in lock["package"]}
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [dep["name"] for dep in packages[name].get("dependencies", [])]
    return seen


@pytest.mark.parametrize("root", ["pavi-workflow", "pavi-infra"])
def test_workflow_and_infra_install_no_job_and_no_pysam(root: str) -> None:
    closure = locked_closure(root)
    assert "pavi-contracts" in closure
    assert closure.isdisjoint({"pysam", *(job.distribution for job in JOBS)})


def test_the_local_extra_brings_the_jobs() -> None:
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    workflow = next(p for p in lock["package"] if p["name"] == "pavi-workflow")
    local = {dep["name"] for dep in workflow["optional-dependencies"]["local"]}
    assert local == {job.distribution for job in JOBS}
