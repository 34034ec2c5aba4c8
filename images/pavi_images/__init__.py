"""Build, lint and smoke-test the PAVI job images (run by `nox -s wheelhouse` / `nox -s images`)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
IMAGES_DIR: Final = ROOT / "images"

#: Job package folder name -> (distribution name, console script = image repository).
JOBS: Final = {
    "seq_retrieval": ("pavi-seq-retrieval", "pavi-seq-retrieval"),
    "alignment": ("pavi-alignment", "pavi-alignment"),
    "seqinfo_align": ("pavi-seqinfo-align", "pavi-seqinfo-align"),
}
