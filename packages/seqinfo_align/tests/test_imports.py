"""The merge job's start loads neither pydantic nor Biopython/numpy (its import time)."""

from __future__ import annotations

import subprocess
import sys

PROBE = (
    "import sys, pavi_seqinfo_align.cli, pavi_seqinfo_align.job; "
    "print(sorted(m for m in ('pydantic', 'Bio', 'numpy') if m in sys.modules))"
)


def test_job_imports_no_pydantic_or_biopython() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
