"""The bundled example as the probes' input, and the clean run every probe compares with."""

from __future__ import annotations

import copy
import json
import subprocess
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reliability.core import EXAMPLES, GENOME, Result, base_env, run, run_outputs, script, start

VARIANTS = EXAMPLES / "variants.json"


def example_entries() -> list[dict[str, Any]]:
    """The example request's entries (a fresh copy), genome paths made absolute."""
    entries: list[dict[str, Any]] = json.loads((EXAMPLES / "request.json").read_text())
    for entry in entries:
        entry["fasta_file_url"] = str(GENOME)
    return copy.deepcopy(entries)


def write_request(path: Path, entries: Sequence[dict[str, Any]], genome: str | None = None) -> Path:
    """Write a request file (every entry's genome replaced by ``genome`` if given)."""
    data = [dict(e, fasta_file_url=genome) if genome else e for e in entries]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    return path


def token() -> str:
    """A fresh marker value for a probe's processes."""
    return f"rel-{uuid.uuid4().hex[:12]}"


def pavi_argv(request: Path, out: Path, *extra: str) -> list[str]:
    """``pavi run REQUEST --out OUT --variants-file examples/variants.json …``."""
    return [
        script("pavi"),
        "run",
        str(request),
        "--out",
        str(out),
        "--variants-file",
        str(VARIANTS),
        *extra,
    ]


def pavi_run(
    request: Path,
    out: Path,
    *extra: str,
    mark: str | None = None,
    timeout: float = 120,
    preexec: Callable[[], None] | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    """One bounded ``pavi run``."""
    return run(
        pavi_argv(request, out, *extra),
        env or base_env(mark or token()),
        timeout=timeout,
        preexec=preexec,
    )


def pavi_start(request: Path, out: Path, mark: str, *extra: str) -> subprocess.Popen[str]:
    """``pavi run`` started in its own session (finish it with ``core.finish``)."""
    return start(pavi_argv(request, out, *extra), base_env(mark))


@dataclass(frozen=True)
class Reference:
    """The clean run of the example every probe compares with."""

    request: Path
    outputs: dict[str, bytes]
    result: Result
    out: Path

    @property
    def ok(self) -> bool:
        """True when the clean run succeeded and produced its results."""
        return self.result.code == 0 and "results/aligned_seq_info.json" in self.outputs


def reference_run(root: Path) -> Reference:
    """Run the example once, cleanly, into ``root/reference``."""
    request = write_request(root / "request.json", example_entries())
    out = root / "reference"
    result = pavi_run(request, out, "--concurrency", "2")
    return Reference(request, run_outputs(out), result, out)
