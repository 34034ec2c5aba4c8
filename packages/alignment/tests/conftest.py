"""Fixtures of the alignment tests: in-process job runner and local work/results folders."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pavi_alignment.cli import main


@dataclass(frozen=True)
class JobResult:
    """Exit code and stderr lines of one in-process run of the console script."""

    code: int
    lines: list[str]

    @property
    def last(self) -> str:
        """The last stderr line (the one-line error of a failing job)."""
        return self.lines[-1] if self.lines else ""

    def log_events(self) -> list[dict[str, Any]]:
        """The JSON log records."""
        return [json.loads(line) for line in self.lines if line.startswith("{")]


@pytest.fixture
def run_alignment(capsys: pytest.CaptureFixture[str]) -> Callable[..., JobResult]:
    """Run ``pavi-alignment --work-prefix W --results-prefix R [extra…]`` in this process."""

    def run(work: str, results: str, *extra: str) -> JobResult:
        capsys.readouterr()
        try:
            main(["--work-prefix", work, "--results-prefix", results, *extra])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        return JobResult(code, capsys.readouterr().err.splitlines())

    return run


@pytest.fixture
def work_results(tmp_path: Path) -> tuple[Path, Path]:
    """Empty local work and results folders."""
    work, results = tmp_path / "work", tmp_path / "results"
    work.mkdir()
    results.mkdir()
    return work, results


@pytest.fixture
def clustal_bare(require_clustalo: str, tmp_path: Path) -> Callable[..., bytes]:
    """Run bare clustalo with the original's flags (plus ``extra``) on FASTA bytes."""
    import subprocess

    def run(fasta: bytes, *extra: str) -> bytes:
        folder = tmp_path / "bare"
        folder.mkdir(exist_ok=True)
        (folder / "in.fa").write_bytes(fasta)
        out = folder / "out.aln"
        out.unlink(missing_ok=True)
        command = [require_clustalo, "-i", "in.fa", "--outfmt=clustal", "--resno", "-o", "out.aln"]
        subprocess.run([*command, *extra], cwd=folder, check=True, capture_output=True)
        return out.read_bytes()

    return run
