"""The retired remote path, kept for the benchmark only: htslib (pysam) reading an http(s)
genome itself, with the index files copied into a private folder (as 0.1.0 did).

htslib GETs the whole FASTA twice when opening it (no Range), then asks for open-ended ranges
(``bytes=N-``) and hangs up once it has its blocks. The package itself no longer does this.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pysam
from pavi_common_s3 import read_bytes
from pavi_seq_retrieval.genome_common import checked_length, clamped

_SPAN_GAP = 65_536
_SPAN_CAP = 1_048_576


class HtslibGenome:
    """``open_genome``'s 0.1.0 result for an http(s) URL: fetch, prefetch, lengths, close."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._tmp = tempfile.mkdtemp(prefix="pavi-htslib-")
        name = Path(url.split("?", 1)[0]).name
        paths = {s: str(Path(self._tmp) / f"{name}{s}") for s in (".fai", ".gzi")}
        for suffix, path in paths.items():
            Path(path).write_bytes(read_bytes(url + suffix))
        pysam.set_verbosity(0)
        self._fasta: Any = pysam.FastaFile(
            url, filepath_index=paths[".fai"], filepath_index_compressed=paths[".gzi"]
        )
        self._lengths = dict(zip(self._fasta.references, self._fasta.lengths, strict=True))
        self._spans: dict[str, list[tuple[int, int, str]]] = {}

    @property
    def lengths(self) -> dict[str, int]:
        """Sequence name -> length."""
        return dict(self._lengths)

    def fetch(self, seq_id: str, start: int, end: int) -> str:
        """Letters of ``seq_id[start..end]`` (1-based, inclusive)."""
        if checked_length(self._lengths, self.url, seq_id, start, end) == 0:
            return ""
        for first, last, letters in self._spans.get(seq_id, ()):
            if first <= start and end <= last:
                return letters[start - first : end - first + 1]
        return str(self._fasta.fetch(seq_id, start - 1, end))

    def prefetch(self, seq_id: str, regions: Iterable[tuple[int, int]]) -> None:
        """Read each cluster of nearby regions as one forward span."""
        spans: list[list[int]] = []
        for start, end in clamped(self._lengths, seq_id, list(regions)):
            last = spans[-1] if spans else None
            if last and start - last[1] <= _SPAN_GAP and max(end, last[1]) - last[0] < _SPAN_CAP:
                last[1] = max(last[1], end)
            else:
                spans.append([start, end])
        for start, end in spans:
            letters = str(self._fasta.fetch(seq_id, start - 1, end))
            self._spans.setdefault(seq_id, []).append((start, end, letters))

    def close(self) -> None:
        """Close the FASTA and remove the index copies."""
        self._fasta.close()
        shutil.rmtree(self._tmp, ignore_errors=True)
