"""The genome of an entry, by URL: local files through pysam, remote ones by byte ranges.

Local paths and ``file://`` URLs are read with pysam/htslib (faidx + BGZF random access); the
``.fai`` (and ``.gzi`` for ``.gz``) must exist beside the file, and htslib never builds or
writes an index. ``http(s)://`` and ``s3://`` genomes are read by ``RemoteGenome``: exact,
closed byte ranges through ``pavi_common_s3`` (``s3://`` with the normal credentials, never a
presigned URL). ``pavi_common_s3.uri.parse`` decides which is which.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from pavi_common_s3 import StorageError, UnsupportedScheme
from pavi_common_s3.uri import Location, parse
from pavi_contracts.faidx import IndexFormatError, parse_fai

from pavi_seq_retrieval.bgzf import plain_gzip
from pavi_seq_retrieval.genome_common import GenomeAccessError, checked_length, clamped
from pavi_seq_retrieval.model import GenomeReadError

__all__ = ["GenomeAccessError", "IndexedGenome", "OpenGenome", "close_genomes", "open_genome"]

_READ_ATTEMPTS = 3
# prefetch: regions closer than this are read as one span (reading through ~64 kb of intron
# costs far less than another seek); no span grows past the cap.
_SPAN_GAP = 65_536
_SPAN_CAP = 1_048_576
_SCHEMES = "use https://, http://, s3://, file:// or a local path"


class OpenGenome(Protocol):
    """What ``open_genome`` returns: the algorithm's ``Genome`` plus hints and ``close``."""

    @property
    def lengths(self) -> dict[str, int]:
        """Sequence name -> length."""

    def fetch(self, seq_id: str, start: int, end: int) -> str:
        """Letters of ``seq_id[start..end]`` (1-based, inclusive), case as stored."""

    def prefetch(self, seq_id: str, regions: Iterable[tuple[int, int]]) -> None:
        """Hint: these regions of ``seq_id`` will be read."""

    def prefetch_regions(self, regions: Iterable[tuple[str, int, int]]) -> None:
        """Hint: these ``(seq_id, start, end)`` regions (e.g. of several entries) will be read."""

    def close(self) -> None:
        """Release what the genome holds."""


def locate(url: str) -> Location:
    """The parsed URL; ``GenomeAccessError`` for a scheme no reader supports."""
    try:
        return parse(url)
    except UnsupportedScheme:
        scheme = url.split("://", 1)[0].lower()
        raise GenomeAccessError(
            f"unsupported URL scheme {scheme!r} in {url} ({_SCHEMES})"
        ) from None
    except StorageError as err:
        raise GenomeAccessError(f"cannot access {err}") from None


class IndexedGenome:
    """A local faidx-indexed (optionally bgzipped) FASTA read by pysam; 1-based ``fetch``."""

    def __init__(self, url: str) -> None:
        self.url = url
        loc = locate(url)
        if loc.kind != "local":
            raise GenomeAccessError(f"{url} is not a local file (open_genome reads remote ones)")
        self._lock = threading.Lock()
        self._target, self._index, self._gzi = self._locate_local(loc.path)
        self._fasta = self._open()
        self._lengths = dict(zip(self._fasta.references, self._fasta.lengths, strict=True))
        self._spans: dict[str, list[tuple[int, int, str]]] = {}

    # -- opening ---------------------------------------------------------------------------

    @staticmethod
    def _locate_local(local_path: str) -> tuple[str, str, str | None]:
        """(the FASTA, its .fai, its .gzi or None); missing files are fatal."""
        path = Path(local_path)
        if not path.is_file():
            raise GenomeAccessError(f"FASTA file not found: {path}")
        fai = Path(f"{path}.fai")
        if not fai.is_file():
            raise GenomeAccessError(f"FASTA index not found: {fai} (create it with samtools faidx)")
        gzi = Path(f"{path}.gzi")
        if path.name.endswith(".gz") and not gzi.is_file():
            raise GenomeAccessError(f"BGZF index not found: {gzi} (create it with samtools faidx)")
        IndexedGenome._check_files(path, fai)
        return str(path), str(fai), str(gzi) if gzi.is_file() else None

    @staticmethod
    def _check_files(path: Path, fai: Path) -> None:
        """Name what htslib would only answer with an errno: a plain-gzip genome (not BGZF)
        and a ``.fai`` that cannot be parsed (with its line)."""
        try:
            with path.open("rb") as handle:
                head = handle.read(1024)
            index = fai.read_bytes()
        except OSError as err:
            raise GenomeAccessError(f"cannot read {err.filename}: {err.strerror}") from None
        if plain_gzip(head):
            raise GenomeAccessError(
                f"genome {path} is gzip but not BGZF (compress it with bgzip, then index it "
                "with samtools faidx)"
            )
        try:
            parse_fai(index)
        except IndexFormatError as err:
            raise GenomeAccessError(f"{fai}: {str(err).removeprefix('.fai ')}") from None

    def _open(self) -> Any:
        import pysam  # noqa: PLC0415 (slow import, only when a genome is opened)

        pysam.set_verbosity(0)  # htslib must not print: the job's stderr is JSON lines
        try:
            return pysam.FastaFile(
                self._target,
                filepath_index=self._index,
                filepath_index_compressed=self._gzi,
            )
        except (OSError, ValueError) as err:
            raise GenomeAccessError(f"cannot open {self.url}: {err}") from None

    # -- reading ---------------------------------------------------------------------------

    @property
    def lengths(self) -> dict[str, int]:
        """Sequence name -> length, from the index."""
        return dict(self._lengths)

    def fetch(self, seq_id: str, start: int, end: int) -> str:
        """Letters of ``seq_id[start..end]`` (1-based, inclusive), case as stored.

        Unknown ``seq_id`` or a range outside the sequence: ``GenomeReadError`` (a recorded
        error). An I/O failure that persists after retries: ``GenomeAccessError`` (fatal).
        """
        expected = checked_length(self._lengths, self.url, seq_id, start, end)
        if expected == 0:
            return ""
        with self._lock:
            letters = self._cached(seq_id, start, end)
            if letters is None:
                letters = self._read(seq_id, start, end)
        if len(letters) != expected:
            raise GenomeReadError(
                f"{seq_id}:{start}-{end}: read {len(letters)} letters, expected {expected}"
            )
        return letters

    def prefetch(self, seq_id: str, regions: Iterable[tuple[int, int]]) -> None:
        """Hint: the caller will read these 1-based inclusive regions of ``seq_id``.

        Nearby regions are read as one forward span each; later ``fetch`` calls inside a span
        are served from memory. Only a hint: ranges outside the sequence, an unknown
        ``seq_id`` or a failing read are skipped here, so ``fetch`` reports them as without it.
        """
        spans: list[list[int]] = []
        for start, end in clamped(self._lengths, seq_id, list(regions)):
            last = spans[-1] if spans else None
            if last and start - last[1] <= _SPAN_GAP and max(end, last[1]) - last[0] < _SPAN_CAP:
                last[1] = max(last[1], end)
            else:
                spans.append([start, end])
        with self._lock:
            for start, end in spans:
                if self._cached(seq_id, start, end) is not None:
                    continue
                try:
                    letters = self._read(seq_id, start, end)
                except GenomeAccessError:
                    continue
                if len(letters) == end - start + 1:
                    self._spans.setdefault(seq_id, []).append((start, end, letters))

    def prefetch_regions(self, regions: Iterable[tuple[str, int, int]]) -> None:
        """``prefetch`` for regions of any sequences, sequence by sequence."""
        by_seq: dict[str, list[tuple[int, int]]] = {}
        for seq_id, start, end in regions:
            by_seq.setdefault(seq_id, []).append((start, end))
        for seq_id, wanted in by_seq.items():
            self.prefetch(seq_id, wanted)

    def _cached(self, seq_id: str, start: int, end: int) -> str | None:
        for first, last, letters in self._spans.get(seq_id, ()):
            if first <= start and end <= last:
                return letters[start - first : end - first + 1]
        return None

    def _read(self, seq_id: str, start: int, end: int) -> str:
        problem = ""
        for _ in range(_READ_ATTEMPTS):
            try:
                return str(self._fasta.fetch(seq_id, start - 1, end))
            except (OSError, ValueError) as err:
                problem = str(err) or type(err).__name__
                self._reopen()
        problem = self._diagnose(seq_id, start, end) or problem
        raise GenomeAccessError(f"cannot read {seq_id}:{start}-{end} from {self.url}: {problem}")

    def _diagnose(self, seq_id: str, start: int, end: int) -> str | None:
        """What is wrong with the file, by the package's checked BGZF reader (htslib only says
        "failure when retrieving sequence"): a truncated block, a ``.gzi`` or ``.fai`` that does
        not match the file, …; None when that reader finds nothing."""
        from pavi_seq_retrieval.remote_genome import RemoteGenome  # noqa: PLC0415

        try:
            RemoteGenome(self.url).fetch(seq_id, start, end)
        except GenomeAccessError as err:
            return err.problem.split(f"{self.url}: ", 1)[-1]
        except GenomeReadError:
            return None
        return None

    def _reopen(self) -> None:
        try:
            self._fasta.close()
        finally:
            self._fasta = self._open()

    def close(self) -> None:
        """Release the file handles."""
        self._fasta.close()
        self._spans.clear()


_OPENED: dict[str, OpenGenome] = {}
_OPENED_LOCK = threading.Lock()


def _new_genome(url: str) -> OpenGenome:
    if locate(url).kind == "local":
        return IndexedGenome(url)
    from pavi_seq_retrieval.remote_genome import RemoteGenome  # noqa: PLC0415

    return RemoteGenome(url)


def open_genome(url: str) -> OpenGenome:
    """The genome at ``url`` (path, ``file://``, ``http(s)://`` or ``s3://``), opened once."""
    with _OPENED_LOCK:
        genome = _OPENED.get(url)
        if genome is None:
            genome = _new_genome(url)
            _OPENED[url] = genome
        return genome


def close_genomes() -> None:
    """Close every cached genome (tests and long-running callers)."""
    with _OPENED_LOCK:
        for genome in _OPENED.values():
            genome.close()
        _OPENED.clear()
