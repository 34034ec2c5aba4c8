"""`pavi run --executor container` on the bundled example equals the local executor's run."""

from __future__ import annotations

import os
import re
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
    """File name -> bytes; report.html without the time it was written."""
    return {
        p.name: re.sub(_RUN_SPECIFIC, b"", p.read_bytes())
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


_RUN_SPECIFIC = re.compile(rb"<time [^>]*>[^<]*</time>")


def test_example_in_containers_equals_local_run(
    tmp_path: Path, engine: Engine, images: dict[str, str]
) -> None:
    """Same work files and the same published results, byte for byte.

    `pavi run` gets no CONTAINERS_CONF and, unless PAVI_CONTAINER_ENGINE forces one, no
    --engine: it must find a working engine and run podman here out of the box.
    """
    env = {k: v for k, v in os.environ.items() if k != "CONTAINERS_CONF"}
    local = _pavi_run(tmp_path / "local", env)
    assert local.returncode == 0, local.stderr[-2000:]
    forced = ["--engine", engine.path] if os.environ.get("PAVI_CONTAINER_ENGINE") else []
    container = _pavi_run(tmp_path / "container", env, "--executor", "container", *forced)
    assert container.returncode == 0, container.stderr[-2000:]
    results = _files(tmp_path / "local" / "results")
    assert {"alignment-output.aln", "aligned_seq_info.json", "report.html"} <= results.keys()
    assert _files(tmp_path / "container" / "results") == results
    assert _files(tmp_path / "container" / "work") == _files(tmp_path / "local" / "work")
    # The jobs ran as the image's user (uid 10001, or what the engine maps it to), not as us.
    # (request.json is the runner's own copy of the request, written before any job.)
    written = [p for p in (tmp_path / "container" / "work").iterdir() if p.name != "request.json"]
    assert written
    assert all(path.stat().st_uid != os.getuid() for path in written)
