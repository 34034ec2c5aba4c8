"""`pavi run --executor container` on the bundled example equals the local executor's run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pavi_images import ROOT
from pavi_images.engine import Engine


def _pavi_run(out: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    pavi = Path(sys.executable).parent / "pavi"
    example = ROOT / "examples"
    return subprocess.run(
        [
            str(pavi),
            "run",
            str(example / "request.json"),
            "--out",
            str(out),
            "--variants-file",
            str(example / "variants.json"),
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_example_in_containers_equals_local_run(
    tmp_path: Path, engine: Engine, images: dict[str, str], engine_env: dict[str, str]
) -> None:
    """Same work files and the same published results, byte for byte."""
    local = _pavi_run(tmp_path / "local", engine_env)
    assert local.returncode == 0, local.stderr[-2000:]
    container = _pavi_run(
        tmp_path / "container", engine_env, "--executor", "container", "--engine", engine.path
    )
    assert container.returncode == 0, container.stderr[-2000:]
    results = _files(tmp_path / "local" / "results")
    assert {"alignment-output.aln", "aligned_seq_info.json"} <= results.keys()
    assert _files(tmp_path / "container" / "results") == results
    assert _files(tmp_path / "container" / "work") == _files(tmp_path / "local" / "work")
