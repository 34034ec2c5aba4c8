"""Record names at Clustal Omega's limit keep their variants' alignment columns end to end; one
byte more is refused before the run (docs/request.md, "Rules of the whole request")."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pavi_contracts.entry import MAX_RECORD_NAME_BYTES

PAVI = str(Path(sys.executable).parent / "pavi")
CASE = "syn-substitutions"


def test_longest_names_keep_their_alignment_columns(
    tmp_path: Path,
    testdata: Path,
    case_request: Callable[[str], list[dict[str, Any]]],
    require_clustalo: str,
) -> None:
    entries = case_request(CASE)[:3]
    base = "n" * (MAX_RECORD_NAME_BYTES - len("_ref"))
    entries[0] = {**entries[0], "base_seq_name": base}
    assert entries[0]["variant_ids"]
    request = tmp_path / "request.json"
    request.write_text(json.dumps(entries))
    variants = testdata / "cases" / CASE / "variants.json"
    out = tmp_path / "out"
    command = [PAVI, "run", str(request), "--out", str(out), "--variants-file", str(variants)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    info = json.loads((out / "results" / "aligned_seq_info.json").read_text())
    embedded = info[base + "_alt"]["embedded_variants"]
    assert embedded
    assert all(isinstance(v["alignment_start_pos"], int) for v in embedded)
    aln = (out / "results" / "alignment-output.aln").read_text()
    assert f"\n{base}_alt " in aln

    entries[0] = {**entries[0], "base_seq_name": base + "n"}
    request.write_text(json.dumps(entries))
    refused = tmp_path / "refused"
    command[4] = str(refused)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "128 bytes long; Clustal Omega keeps only 127 bytes" in done.stderr
    assert not refused.exists()
