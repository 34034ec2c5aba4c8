"""Fixtures of the alignment tests: in-process job runner and local work/results folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pavi_alignment.cli import main


@pytest.fixture
def run_alignment(run_console: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``pavi-alignment --work-prefix W --results-prefix R [extra…]`` in this process."""

    def run(work: str, results: str, *extra: str) -> Any:
        return run_console(main, ["--work-prefix", work, "--results-prefix", results, *extra])

    return run


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
