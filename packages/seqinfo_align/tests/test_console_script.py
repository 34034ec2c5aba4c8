"""The installed console script as a process: exit codes and the one-line error."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def _script() -> str:
    path = shutil.which("pavi-seqinfo-align")
    assert path is not None, "pavi-seqinfo-align is not installed: run `uv sync --all-packages`"
    return path


def test_help() -> None:
    done = subprocess.run([_script(), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "--work-prefix URI" in done.stdout
    assert "--results-prefix URI" in done.stdout


def test_failure_is_one_plain_last_line(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "000_a-seqinfo.json").write_text('{"a": {"embedded_variants": 1}}')
    done = subprocess.run(
        [_script(), "--work-prefix", str(tmp_path / "work"), "--results-prefix", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stderr.splitlines()
    assert done.returncode == 1
    assert lines[-1] == (
        f"pavi-seqinfo-align: error: {tmp_path}/work/000_a-seqinfo.json: record 'a': "
        "embedded_variants: must be an array, not a number"
    )
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "aligned_seq_info.json").exists()


def test_usage_error_exit_2() -> None:
    done = subprocess.run(
        [_script(), "--work-prefix", "w", "--results-prefix", "r", "--bogus"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "pavi-seqinfo-align: error: No such option '--bogus' (see `pavi-seqinfo-align --help`)"
    ]
