"""The installed console script as a process: exit codes and the one-line error."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def _script() -> str:
    path = shutil.which("pavi-alignment")
    assert path is not None, "pavi-alignment is not installed: run `uv sync --all-packages`"
    return path


def test_help() -> None:
    done = subprocess.run([_script(), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    for option in ("--work-prefix URI", "--results-prefix URI", "--seq-type", "--threads"):
        assert option in done.stdout


def test_failure_is_one_plain_last_line(tmp_path: Path, require_clustalo: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "000_a-protein.fa").write_bytes(b">a\n\n>b\nMKV\n")
    done = subprocess.run(
        [_script(), "--work-prefix", str(work), "--results-prefix", str(tmp_path / "results")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "pavi-alignment: error: clustalo failed (exit 1): ERROR: Sequence 'a' has 0 residues; "
        "FATAL: Reading sequence file 'alignment-input.fa' failed"
    )
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "results").exists()
