"""Checks before the run: every genome a request names, against the entries that use it.

`pavi run` and ``client.start`` (`pavi submit`) call :func:`check_genomes` after the request
model and before anything is written or started (docs/request.md, "Checks before the run").
Each distinct genome is read once through :mod:`pavi_common_s3` (a path, ``file://``, ``s3://``,
``http(s)://``), several genomes at a time: the FASTA's first bytes (reachable; BGZF for a
``.gz``), its ``.fai`` and, for a ``.gz``, its ``.gzi``. Then each entry's ``seq_id`` must be in
the ``.fai`` and each region the reference reads within ``1..length``. Every problem is
reported at once, in the request model's format (``entry 2 (002_x): seq_id: …``), as one
:class:`RequestError`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

from pavi_common_s3 import ObjectNotFound, StorageError, read_bytes, read_range
from pavi_contracts.entry import Entry
from pavi_contracts.faidx import (
    MAX_BGZF_BLOCK,
    FaiRecord,
    IndexFormatError,
    is_bgzipped,
    parse_fai,
    parse_gzi,
)
from pavi_contracts.request import Request, RequestError, entry_label

__all__ = ["MAX_CONCURRENT_GENOMES", "GenomeProblem", "check_genomes", "read_genome_index"]

#: Genomes checked at once.
MAX_CONCURRENT_GENOMES: Final = 8
#: A BGZF block starts with gzip's magic, deflate, FEXTRA, then (at byte 12) the ``BC`` subfield.
_GZIP_MAGIC = b"\x1f\x8b\x08\x04"
_BGZF_HEAD = 16
T = TypeVar("T")
#: Sequence names shown when a ``seq_id`` is not in the index.
_SHOWN_NAMES = 5


class GenomeProblem(Exception):  # noqa: N818 (a problem to report, not a crash)
    """A genome that cannot be read as the pipeline reads it (the message names the file)."""


def read_genome_index(url: str) -> dict[str, FaiRecord]:
    """The genome's ``.fai`` records, after checking the FASTA is reachable and its indexes are
    present, well-formed and consistent; :class:`GenomeProblem` otherwise."""
    head = _read(url, lambda: read_range(url, 0, _BGZF_HEAD - 1), "the FASTA")
    records = _parse(url + ".fai", parse_fai)
    if not is_bgzipped(url):
        return records
    if not (head.startswith(_GZIP_MAGIC) and head[12:14] == b"BC"):
        raise GenomeProblem(f"{url} is not BGZF-compressed (compress it with bgzip, not gzip)")
    _compressed, uncompressed = _parse(url + ".gzi", parse_gzi)
    last = max((r.position(r.length - 1) for r in records.values() if r.length), default=0)
    if last >= uncompressed[-1] + MAX_BGZF_BLOCK:
        raise GenomeProblem(
            f"{url}.fai places letters at byte {last} of the uncompressed FASTA, but {url}.gzi "
            f"ends at {uncompressed[-1]}: the index files belong to another FASTA"
        )
    return records


def check_genomes(request: Request, *, concurrency: int = MAX_CONCURRENT_GENOMES) -> None:
    """Check every genome of ``request`` once and each entry against it; RequestError lists
    every problem."""
    users: dict[str, list[int]] = defaultdict(list)
    for index, raw in enumerate(request.entries):
        users[str(raw["fasta_file_url"])].append(index)
    urls = list(users)
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(urls)))) as pool:
        indexes = dict(zip(urls, pool.map(_index_or_problem, urls), strict=True))
    problems: list[str] = []
    for index, raw in enumerate(request.entries):
        label = entry_label(index, raw)
        url = str(raw["fasta_file_url"])
        genome = indexes[url]
        if isinstance(genome, GenomeProblem):
            if users[url][0] == index:
                problems.append(f"{label}: fasta_file_url: {genome}{_also(len(users[url]) - 1)}")
            continue
        problems += [f"{label}: {p}" for p in entry_problems(Entry.model_validate(raw), genome)]
    if problems:
        raise RequestError(problems)


def entry_problems(entry: Entry, genome: dict[str, FaiRecord]) -> list[str]:
    """``field: problem`` lines of one entry against its genome's index."""
    record = genome.get(entry.seq_id)
    if record is None:
        names = list(genome)
        shown = ", ".join(names[:_SHOWN_NAMES]) + (", …" if len(names) > _SHOWN_NAMES else "")
        return [
            f"seq_id: {json.dumps(entry.seq_id)} is not in the genome's index "
            f"({entry.fasta_file_url}.fai lists {len(names)} sequences: {shown})"
        ]
    found = []
    # With CDS regions the reference never reads the exons: an exon past the sequence's end only
    # fails a stop-loss alternative, a recorded error in a run that succeeds (the original's
    # behaviour, kept: docs/request.md, "Checks before the run"). Without CDS regions the exons
    # are the reference.
    read = [("cds_seq_regions", entry.cds_seq_regions)] if entry.cds_seq_regions else []
    read = read or [("exon_seq_regions", entry.exon_seq_regions)]
    for field, regions in read:
        for at, region in enumerate(regions):
            if max(region.start, region.end) > record.length:
                found.append(
                    f"{field}[{at}]: {region.start}..{region.end} lies outside "
                    f"{record.name} (1..{record.length})"
                )
    return found


def _index_or_problem(url: str) -> dict[str, FaiRecord] | GenomeProblem:
    try:
        return read_genome_index(url)
    except GenomeProblem as problem:
        return problem


def _read(url: str, read: Callable[[], T], what: str) -> T:
    try:
        return read()
    except ObjectNotFound:
        raise GenomeProblem(f"{what} {url} is not found") from None
    except StorageError as err:
        raise GenomeProblem(f"cannot read {what}: {err}") from None


def _parse(url: str, parse: Callable[[bytes], T]) -> T:
    kind = url.rsplit(".", 1)[-1]
    try:
        data = _read(url, lambda: read_bytes(url), f"the .{kind} index")
    except GenomeProblem as problem:
        raise GenomeProblem(f"{problem} (samtools faidx writes it)") from None
    try:
        return parse(data)
    except IndexFormatError as err:
        raise GenomeProblem(f"{url}: {err}") from None


def _also(others: int) -> str:
    if not others:
        return ""
    return f" (and {others} other {'entry uses' if others == 1 else 'entries use'} this genome)"
