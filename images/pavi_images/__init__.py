"""Build, lint and smoke-test the PAVI job images (run by `nox -s wheelhouse` / `nox -s images`)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pavi_contracts.jobs import JOBS as JOB_TABLE

ROOT: Final = Path(__file__).resolve().parents[2]
IMAGES_DIR: Final = ROOT / "images"

#: Job package folder name -> (distribution name, console script = image repository).
JOBS: Final = {job.folder: (job.distribution, job.script) for job in JOB_TABLE}
