"""`pavi report RESULTS`: runs the merge job's console script in report-only mode."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent
PAVI = str(BIN / "pavi")
CASE = Path(__file__).resolve().parents[3] / "testdata" / "cases" / "syn-indels" / "expected"


def _pavi(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PAVI, *args], capture_output=True, text=True, check=False, env=env, timeout=300
    )


def _results(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(CASE / "alignment-output.aln", folder / "alignment-output.aln")
    shutil.copy(CASE / "aligned_seq_info.json", folder / "aligned_seq_info.json")
    return folder


def _variant_ids() -> list[str]:
    document: dict[str, Any] = json.loads((CASE / "aligned_seq_info.json").read_text())
    return [
        v["variant_id"] for value in document.values() for v in value.get("embedded_variants", [])
    ]


def test_report_writes_report_html_in_a_results_folder(tmp_path: Path) -> None:
    results = _results(tmp_path / "results")
    done = _pavi("report", str(results))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{results}/report.html\n"
    assert done.stderr == ""
    html = (results / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert all(variant_id in html for variant_id in _variant_ids())
    assert sorted(p.name for p in results.iterdir()) == [
        "aligned_seq_info.json",
        "alignment-output.aln",
        "report.html",
    ]


def test_report_of_a_run_folder_uses_its_results(tmp_path: Path) -> None:
    results = _results(tmp_path / "run" / "results")
    (tmp_path / "run" / "run.json").write_text("{}")
    request = tmp_path / "request.json"
    request.write_bytes(b"[]")
    done = _pavi("report", str(tmp_path / "run"), "--request", str(request))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{results}/report.html\n"
    html = (results / "report.html").read_text()
    assert (
        "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945" in html
    )  # sha256 of []


def test_report_of_missing_results_is_one_line(tmp_path: Path) -> None:
    done = _pavi("report", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr == (
        f"pavi: error: {tmp_path}/alignment-output.aln: alignment file not found\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_report_without_the_job_script_says_how_to_install_it(tmp_path: Path) -> None:
    """A Python with the workflow importable but no pavi-seqinfo-align beside it or on PATH."""
    lonely = tmp_path / "bin"
    lonely.mkdir()
    (lonely / "python").symlink_to(Path(sys.executable).resolve())
    site = sysconfig.get_paths()["purelib"]
    code = f"import site; site.addsitedir({site!r}); from pavi_workflow.cli import main; main()"
    done = subprocess.run(
        [str(lonely / "python"), "-c", code, "report", str(_results(tmp_path / "results"))],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": str(lonely), "HOME": str(tmp_path)},
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "pavi: error: pavi-seqinfo-align is not installed: install it with "
        "`pip install pavi-seqinfo-align` or `pip install 'pavi-workflow[local]'` "
        "(or `uv sync --all-packages` in the repository)\n"
    )
    assert not (tmp_path / "results" / "report.html").exists()


def test_report_on_s3(s3: Any, s3_bucket: str) -> None:
    for name in ("alignment-output.aln", "aligned_seq_info.json"):
        s3.put_object(Bucket=s3_bucket, Key=f"e/results/{name}", Body=(CASE / name).read_bytes())
    prefix = f"s3://{s3_bucket}/e/results/"
    done = _pavi("report", prefix, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{prefix}report.html\n"
    html = s3.get_object(Bucket=s3_bucket, Key="e/results/report.html")["Body"].read().decode()
    assert all(variant_id in html for variant_id in _variant_ids())


@pytest.mark.parametrize("args", [[], ["a", "b"]])
def test_report_usage(args: list[str]) -> None:
    done = _pavi("report", *args)
    assert done.returncode == 2
    assert "Usage: pavi report [OPTIONS] RESULTS" in done.stderr
