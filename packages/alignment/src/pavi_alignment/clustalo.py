"""Running Clustal Omega (never through a shell) and turning its failures into one line."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from pavi_contracts.files import ALIGNMENT_INPUT as INPUT_NAME
from pavi_contracts.files import ALIGNMENT_OUTPUT as OUTPUT_NAME
from pavi_contracts.harness import JobError

EXPECTED_VERSION = "1.2.4"
INSTALL_HINT = (
    "clustalo (Clustal Omega) is not on PATH: install it with `apt-get install clustalo` "
    "or run the job in the pavi-alignment container image"
)


def find_clustalo() -> str:
    """Absolute path of ``clustalo`` on PATH, or a JobError saying how to install it."""
    path = shutil.which("clustalo")
    if path is None:
        raise JobError(INSTALL_HINT)
    return path


def clustalo_version(executable: str) -> str:
    """What ``clustalo --version`` prints (e.g. ``1.2.4``)."""
    result = subprocess.run([executable, "--version"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise JobError(f"`clustalo --version` failed: {_summary(result.stderr + result.stdout)}")
    return result.stdout.strip()


def clustalo_command(executable: str, seq_type: str, threads: int) -> list[str]:
    """The original's invocation, plus ``--seqtype=DNA`` for DNA and ``--threads``."""
    command = [executable, "-i", INPUT_NAME, "--outfmt=clustal", "--resno", "-o", OUTPUT_NAME]
    if seq_type == "dna":
        command.append("--seqtype=DNA")
    command += ["--threads", str(threads)]
    return command


def run_clustalo(command: list[str], workdir: Path) -> bytes:
    """Run ``command`` in ``workdir`` (which holds the input); the alignment's bytes."""
    # Passive OpenMP waiting: spinning threads slow clustalo down badly on shared CPUs.
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    result = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode < 0:
        name = signal.Signals(-result.returncode).name
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        raise JobError(f"clustalo was killed by {name}{hint}")
    if result.returncode != 0:
        raise JobError(
            f"clustalo failed (exit {result.returncode}): {_summary(result.stderr + result.stdout)}"
        )
    output = workdir / OUTPUT_NAME
    if not output.is_file():
        raise JobError(f"clustalo exited 0 but wrote no {OUTPUT_NAME}")
    return output.read_bytes()


def _summary(text: str, limit: int = 800) -> str:
    """Clustal Omega's meaningful message lines joined on one line."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    important = [line for line in lines if line.startswith(("FATAL", "ERROR", "WARNING"))]
    summary = "; ".join(important or lines) or "no message"
    return summary if len(summary) <= limit else summary[: limit - 1] + "…"
