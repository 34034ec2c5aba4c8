"""Remote genomes (``http(s)://``, ``s3://``) read by exact byte ranges through pavi_common_s3.

The ``.fai`` gives the file offsets of a region's letters; for a BGZF genome the ``.gzi`` gives
the blocks that hold them, and each run of blocks is read with one closed Range request
(``s3://``: a ranged GetObject with the task role; no URL is ever presigned), then decoded and
checked. An uncompressed FASTA is read by the same ranges without decoding.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from pavi_common_s3 import ObjectNotFound, StorageError, exists, read_range
from pavi_contracts.faidx import (
    FaiRecord,
    IndexFormatError,
    is_bgzipped,
    parse_fai,
    parse_gzi,
)

from pavi_seq_retrieval.bgzf import BgzfError, BlockLayout, PlainLayout
from pavi_seq_retrieval.blockreader import BlockReader
from pavi_seq_retrieval.genome_common import GenomeAccessError, checked_length, clamped
from pavi_seq_retrieval.indexcache import read_index

_NOT_LETTERS = bytes(c for c in range(256) if not 33 <= c <= 126 or c == ord(">"))


class RemoteGenome:
    """A faidx-indexed (optionally bgzipped) FASTA behind a URL; ``fetch`` is 1-based inclusive.

    The index files are read once, when the genome is opened.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        fai, gzi = self._indexes()
        try:
            self._records = parse_fai(fai)
            layout = PlainLayout() if gzi is None else BlockLayout(*parse_gzi(gzi))
        except IndexFormatError as err:
            raise GenomeAccessError(f"cannot use the index of {url}: {err}") from None
        self._lengths = {name: r.length for name, r in self._records.items()}
        self._reader = BlockReader(layout, self._read_range)

    # -- opening ---------------------------------------------------------------------------

    def _indexes(self) -> tuple[bytes, bytes | None]:
        """(``.fai``, ``.gzi`` or None), fetched concurrently; no existence check on success."""
        with ThreadPoolExecutor(max_workers=2) as pool:
            fai, gzi = pool.map(_read_index, (self.url + ".fai", self.url + ".gzi"))
        if fai is None:
            self._require_fasta()
            raise GenomeAccessError(f"FASTA index not found: {self.url}.fai")
        if gzi is None and is_bgzipped(self.url):
            self._require_fasta()
            raise GenomeAccessError(f"BGZF index not found: {self.url}.gzi")
        return fai, gzi

    def _require_fasta(self) -> None:
        """Raise "FASTA file not found" when the FASTA itself is missing (error paths only)."""
        try:
            present = exists(self.url)
        except StorageError as err:
            raise GenomeAccessError(f"cannot access {err}") from None
        if not present:
            raise GenomeAccessError(f"FASTA file not found: {self.url}")

    def _read_range(self, start: int, end: int) -> bytes:
        try:
            return read_range(self.url, start, end)
        except ObjectNotFound:
            raise GenomeAccessError(f"FASTA file not found: {self.url}") from None
        except StorageError as err:
            raise GenomeAccessError(f"cannot access {err}") from None

    # -- reading ---------------------------------------------------------------------------

    @property
    def lengths(self) -> dict[str, int]:
        """Sequence name -> length, from the index."""
        return dict(self._lengths)

    @property
    def requests(self) -> int:
        """Range requests made for the FASTA so far."""
        return self._reader.requests

    def fetch(self, seq_id: str, start: int, end: int) -> str:
        """Letters of ``seq_id[start..end]`` (1-based, inclusive), case as stored.

        Unknown ``seq_id`` or a range outside the sequence: ``GenomeReadError``. A read that
        fails, or bytes that do not match the indexes: ``GenomeAccessError`` (fatal).
        """
        expected = checked_length(self._lengths, self.url, seq_id, start, end)
        if expected == 0:
            return ""
        record = self._records[seq_id]
        first, last = record.byte_span(start, end)
        where = f"cannot read {seq_id}:{start}-{end} from {self.url}"
        try:
            raw = self._reader.read(first, last)
        except BgzfError as err:
            raise GenomeAccessError(f"{where}: {err}") from None
        if len(raw) < last - first + 1:
            raise GenomeAccessError(f"{where}: the file ends first (shorter than its .fai says)")
        letters = _letters(raw, record, start, end)
        if letters is None:
            raise GenomeAccessError(f"{where}: the .fai does not match the file")
        return letters.decode("ascii")

    def prefetch(self, seq_id: str, regions: Iterable[tuple[int, int]]) -> None:
        """Hint: the caller will read these 1-based inclusive regions of ``seq_id``."""
        self.prefetch_regions((seq_id, a, b) for a, b in regions)

    def prefetch_regions(self, regions: Iterable[tuple[str, int, int]]) -> None:
        """Hint for regions of any sequences (e.g. every entry of a chunk on this genome).

        Their blocks are read together (nearby runs share requests, runs go concurrently);
        only a hint: unknown sequences, parts outside a sequence and failing reads are skipped
        here, so ``fetch`` reports them exactly as without it.
        """
        by_seq: dict[str, list[tuple[int, int]]] = {}
        for seq_id, start, end in regions:
            by_seq.setdefault(seq_id, []).append((start, end))
        spans = []
        for seq_id, wanted in by_seq.items():
            record: FaiRecord | None = self._records.get(seq_id)
            if record is not None:
                spans += [record.byte_span(a, b) for a, b in clamped(self._lengths, seq_id, wanted)]
        try:
            self._reader.load(spans)
        except (GenomeAccessError, BgzfError):
            return

    def close(self) -> None:
        """Drop the cached blocks."""
        self._reader.clear()


def _read_index(url: str) -> bytes | None:
    """An index file's bytes; None when it does not exist (other errors: fatal)."""
    try:
        return read_index(url)
    except StorageError as err:
        raise GenomeAccessError(f"cannot access {err}") from None


def _letters(raw: bytes, record: FaiRecord, start: int, end: int) -> bytes | None:
    """The letters of ``raw`` (file bytes of ``start..end``); None unless every line break
    sits where the ``.fai`` puts it and every letter is a printable non-``>`` character."""
    pieces = []
    at, position, last = 0, start - 1, end - 1
    breaks = record.linewidth - record.linebases
    while position <= last:
        take = min(record.linebases - position % record.linebases, last - position + 1)
        pieces.append(raw[at : at + take])
        at, position = at + take, position + take
        if position <= last:
            if raw[at : at + breaks].strip(b"\r\n") or len(raw[at : at + breaks]) != breaks:
                return None
            at += breaks
    letters = b"".join(pieces)
    if at != len(raw) or letters.translate(None, _NOT_LETTERS) != letters:
        return None
    return letters
