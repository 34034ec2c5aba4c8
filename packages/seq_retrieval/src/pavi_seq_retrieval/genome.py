"""Indexed FASTA access by byte ranges through pysam/htslib (the algorithm's ``Genome``).

Only the index files and the BGZF blocks covering the requested regions are read, never the
whole genome. Index files of remote genomes are copied into a private temporary folder and
passed to htslib explicitly, so htslib never writes an index anywhere (not into the working
directory, not beside a local genome). ``s3://`` genomes are read through a presigned HTTPS URL
(htslib cannot use the Batch task role); their index files come through ``pavi_common_s3``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pavi_seq_retrieval.model import GenomeReadError

__all__ = ["GenomeAccessError", "IndexedGenome", "close_genomes", "open_genome"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_READ_ATTEMPTS = 3
# prefetch: regions closer than this are read as one span (reading through ~64 kb of intron
# costs far less than another HTTP round trip); no span grows past the cap.
_SPAN_GAP = 65_536
_SPAN_CAP = 1_048_576
_FIELD = "fasta_file_url"


class GenomeAccessError(Exception):
    """The genome cannot be opened or read (fatal, exit 1); names ``fasta_file_url``."""

    def __init__(self, problem: str) -> None:
        self.field = _FIELD
        self.problem = " ".join(problem.split())
        super().__init__(f"{_FIELD}: {self.problem}")


def _scheme(url: str) -> str:
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else ""


def _local_path(url: str) -> str:
    """``file://`` URL or plain path -> path (host part + path, as the original did)."""
    if _scheme(url) != "file":
        return url
    rest = url[len("file://") :]
    if rest.startswith("localhost/"):
        rest = rest[len("localhost") :]
    return rest


class IndexedGenome:
    """A faidx-indexed (optionally bgzipped) FASTA; ``fetch`` is 1-based inclusive."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._tmp: str | None = None
        self._lock = threading.Lock()
        self._target, self._index, self._gzi = self._locate(url)
        self._fasta = self._open()
        self._lengths = dict(zip(self._fasta.references, self._fasta.lengths, strict=True))
        self._spans: dict[str, list[tuple[int, int, str]]] = {}

    # -- opening ---------------------------------------------------------------------------

    def _locate(self, url: str) -> tuple[str, str, str | None]:
        """(what htslib opens, local .fai path, local .gzi path or None)."""
        scheme = _scheme(url)
        if scheme in ("", "file"):
            return self._locate_local(url)
        if scheme in ("http", "https", "s3"):
            return self._locate_remote(url, scheme)
        raise GenomeAccessError(
            f"unsupported URL scheme {scheme!r} in {url} "
            "(use https://, http://, s3://, file:// or a local path)"
        )

    @staticmethod
    def _locate_local(url: str) -> tuple[str, str, str | None]:
        path = Path(_local_path(url))
        if not path.is_file():
            raise GenomeAccessError(f"FASTA file not found: {path}")
        fai = Path(f"{path}.fai")
        if not fai.is_file():
            raise GenomeAccessError(f"FASTA index not found: {fai} (create it with samtools faidx)")
        gzi = Path(f"{path}.gzi")
        if path.name.endswith(".gz") and not gzi.is_file():
            raise GenomeAccessError(f"BGZF index not found: {gzi} (create it with samtools faidx)")
        return str(path), str(fai), str(gzi) if gzi.is_file() else None

    def _locate_remote(self, url: str, scheme: str) -> tuple[str, str, str | None]:
        """Download ``.fai`` and ``.gzi`` concurrently (one round trip, no existence check).

        A missing index is told apart from a missing FASTA by a HEAD request on that error
        path only; a FASTA missing beside its indexes is reported when htslib cannot open it.
        """
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        from pavi_common_s3 import StorageError, presign  # noqa: PLC0415

        try:
            target = presign(url) if scheme == "s3" else url
        except StorageError as err:
            raise GenomeAccessError(f"cannot access {err}") from None
        self._tmp = tempfile.mkdtemp(prefix="pavi-genome-")
        weakref.finalize(self, shutil.rmtree, self._tmp, True)
        name = Path(url.split("?", 1)[0]).name or "genome"
        paths = {suffix: str(Path(self._tmp) / f"{name}{suffix}") for suffix in (".fai", ".gzi")}
        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = {
                suffix: pool.submit(_download_index, url + suffix, path)
                for suffix, path in paths.items()
            }
            found = {suffix: future.result() for suffix, future in outcomes.items()}
        for suffix, kind in ((".fai", "FASTA"), (".gzi", "BGZF")):
            required = suffix == ".fai" or name.endswith(".gz")
            if required and not found[suffix]:
                self._require_fasta()
                raise GenomeAccessError(f"{kind} index not found: {url}{suffix}")
        return target, paths[".fai"], paths[".gzi"] if found[".gzi"] else None

    def _require_fasta(self) -> None:
        """Raise the "FASTA file not found" error when the remote FASTA itself is missing."""
        from pavi_common_s3 import StorageError, exists  # noqa: PLC0415

        try:
            present = exists(self.url)
        except StorageError as err:
            raise GenomeAccessError(f"cannot access {err}") from None
        if not present:
            raise GenomeAccessError(f"FASTA file not found: {self.url}")

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
            if self._tmp is not None:  # remote: the indexes were there, is the FASTA?
                self._require_fasta()
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
        length = self._lengths.get(seq_id)
        if length is None:
            raise GenomeReadError(f"sequence {seq_id!r} is not in {self.url}")
        expected = end - start + 1
        if start < 1 or expected < 0 or end > length:
            raise GenomeReadError(
                f"{seq_id}:{start}-{end} is outside the sequence (length {length})"
            )
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

        Nearby regions are read as one span each (forward, so htslib needs one ranged request
        per span instead of one per backward seek); later ``fetch`` calls inside a span are
        served from memory. Only a hint: ranges outside the sequence, an unknown ``seq_id`` or
        a failing read are skipped here, so ``fetch`` reports them exactly as without it.
        """
        length = self._lengths.get(seq_id)
        if length is None:
            return
        wanted = sorted((max(1, a), min(b, length)) for a, b in regions if a <= b)
        spans: list[list[int]] = []
        for start, end in wanted:
            if start > end:
                continue
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
        raise GenomeAccessError(f"cannot read {seq_id}:{start}-{end} from {self.url}: {problem}")

    def _reopen(self) -> None:
        try:
            self._fasta.close()
        finally:
            self._fasta = self._open()

    def close(self) -> None:
        """Release the file handles and the temporary index copies."""
        self._fasta.close()
        self._spans.clear()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _download_index(url: str, path: str) -> bool:
    """Copy one index file to ``path``; False when it does not exist (other errors: fatal).

    One GET into memory (index files are small: < 1 MB for a mammalian genome), then a plain
    write: the copy is private and temporary, so it is neither fsynced nor renamed.
    """
    from pavi_common_s3 import ObjectNotFound, StorageError, read_bytes  # noqa: PLC0415

    try:
        data = read_bytes(url)
    except ObjectNotFound:
        return False
    except StorageError as err:
        raise GenomeAccessError(f"cannot access {err}") from None
    Path(path).write_bytes(data)
    return True


_OPENED: dict[str, IndexedGenome] = {}
_OPENED_LOCK = threading.Lock()


def open_genome(url: str) -> IndexedGenome:
    """The genome at ``url`` (path, ``file://``, ``http(s)://`` or ``s3://``), opened once."""
    with _OPENED_LOCK:
        genome = _OPENED.get(url)
        if genome is None:
            genome = IndexedGenome(url)
            _OPENED[url] = genome
        return genome


def close_genomes() -> None:
    """Close every cached genome (tests and long-running callers)."""
    with _OPENED_LOCK:
        for genome in _OPENED.values():
            genome.close()
        _OPENED.clear()
