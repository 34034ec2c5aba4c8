"""Clustal Omega cuts record names: the limit the request model enforces
(``pavi_contracts.entry.MAX_RECORD_NAME_BYTES``, docs/request.md) measured on the real job."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pavi_contracts.entry import MAX_RECORD_NAME_BYTES


def test_clustalo_keeps_names_up_to_the_model_limit_and_cuts_longer_ones(
    work_results: tuple[Path, Path], run_alignment: Callable[..., Any], require_clustalo: str
) -> None:
    work, results = work_results
    kept = "k" * MAX_RECORD_NAME_BYTES
    wide = "é" * (MAX_RECORD_NAME_BYTES // 2)  # 126 bytes of two-byte letters
    cut = "c" * (MAX_RECORD_NAME_BYTES + 1)
    fasta = f">{kept}\nMKVLAAGIVALLLA\n>{wide}\nMKVLSAGIVALLA\n>{cut}\nMKVLAGIVALLA\n"
    (work / "000_a-protein.fa").write_bytes(fasta.encode())
    result = run_alignment(str(work), str(results))
    assert result.code == 0, result.lines
    lines = (results / "alignment-output.aln").read_text(encoding="utf-8").splitlines()
    names = [line.split()[0] for line in lines[3:6]]
    assert names == [kept, wide, cut[:MAX_RECORD_NAME_BYTES]]
