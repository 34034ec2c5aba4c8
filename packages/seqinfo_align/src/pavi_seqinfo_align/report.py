"""The HTML report of a run: a pure function of the alignment text and the aligned seqinfo.

The page is one self-contained file (inline CSS, JSON and script, no fetches): the alignment
in blocks with names, residue numbers and the Clustal conservation line, every embedded variant
marked on its row and on its reference's row (blocks drawn by the inline script from the JSON,
to keep a thousand sequences under a megabyte), a variants table, an entries table (failed
entries included) and the run's provenance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pavi_seqinfo_align.clustal import read_clustal
from pavi_seqinfo_align.models import AlignedVariant, SeqInfo, SeqVariant
from pavi_seqinfo_align.report_assets import NUCLEOTIDES
from pavi_seqinfo_align.report_html import page

Alphabet = Literal["protein", "nucleotide"]
REF_SUFFIX = "_ref"


@dataclass(frozen=True)
class Provenance:
    """What made the report: package versions, the request's checksum, when."""

    versions: Mapping[str, str]
    generated: datetime
    request_sha256: str | None = None
    request: str | None = None


@dataclass(frozen=True)
class FailedEntry:
    """An entry or record that produced no sequence, and why."""

    name: str
    error: str


@dataclass(frozen=True)
class PlacedVariant:
    """A variant of the variants table (numbered from 1) and the rows it marks."""

    number: int
    record: str
    reference: str | None
    variant: SeqVariant

    @property
    def columns(self) -> range | None:
        """Its 1-based alignment columns, or None when it was not aligned."""
        if not isinstance(self.variant, AlignedVariant):
            return None
        return range(self.variant.alignment_start_pos, self.variant.alignment_end_pos + 1)


@dataclass
class ReportData:
    """Everything the page shows, prepared from the inputs."""

    rows: list[tuple[str, str]]
    conservation: str
    aligner: str
    alphabet: Alphabet
    seqinfo: Mapping[str, SeqInfo]
    variants: list[PlacedVariant]
    failed: list[FailedEntry]
    provenance: Provenance
    #: Row index -> {0-based column: ((variant number, on its own row), ...)}.
    marks: dict[int, dict[int, tuple[tuple[int, bool], ...]]] = field(default_factory=dict)


def render_report(
    alignment_text: str,
    seqinfo: Mapping[str, SeqInfo],
    provenance: Provenance,
    *,
    failed: Sequence[FailedEntry] = (),
    alphabet: Alphabet | None = None,
    block_width: int = 60,
) -> str:
    """The report page for a Clustal alignment and its aligned seqinfo (``None``: detect)."""
    data = prepare(alignment_text, seqinfo, provenance, failed=failed, alphabet=alphabet)
    return page(data, block_width)


def prepare(
    alignment_text: str,
    seqinfo: Mapping[str, SeqInfo],
    provenance: Provenance,
    *,
    failed: Sequence[FailedEntry] = (),
    alphabet: Alphabet | None = None,
) -> ReportData:
    """Parse the alignment, number the variants and place their marks."""
    alignment = read_clustal(alignment_text)
    rows = alignment.rows
    header = alignment_text.lstrip().split("\n", 1)[0]
    data = ReportData(
        rows=rows,
        conservation=alignment.conservation,
        aligner=header.removesuffix("multiple sequence alignment").strip(),
        alphabet=alphabet or detect_alphabet(rows, seqinfo),
        seqinfo=seqinfo,
        variants=number_variants(seqinfo),
        failed=[
            *(FailedEntry(name, info.error) for name, info in seqinfo.items() if info.error),
            *failed,
        ],
        provenance=provenance,
    )
    row_of = {name: index for index, (name, _) in enumerate(rows)}  # last row of an id wins
    for placed in data.variants:
        targets = [(placed.record, True), (placed.reference, False)]
        for name, own in targets:
            if placed.columns is None or name not in row_of:
                continue
            row_marks = data.marks.setdefault(row_of[name], {})
            for column in placed.columns:
                row_marks[column - 1] = (*row_marks.get(column - 1, ()), (placed.number, own))
    return data


def detect_alphabet(rows: Sequence[tuple[str, str]], seqinfo: Mapping[str, SeqInfo]) -> Alphabet:
    """``nucleotide`` when every residue is one of A, C, G, T, U or N, else ``protein``."""
    letters: set[str] = set()
    for _, row in rows:
        letters.update(row.upper())
    for info in seqinfo.values():
        letters.update((info.sequence or "").upper())
    letters.discard("-")
    return "nucleotide" if letters and letters <= NUCLEOTIDES else "protein"


def number_variants(seqinfo: Mapping[str, SeqInfo]) -> list[PlacedVariant]:
    """Every embedded variant in seqinfo order, numbered from 1, with its reference record."""
    names = list(seqinfo)
    placed: list[PlacedVariant] = []
    for index, name in enumerate(names):
        variants = seqinfo[name].embedded_variants or ()
        reference = reference_of(name, names[:index]) if variants else None
        placed.extend(
            PlacedVariant(len(placed) + 1, name, reference, variant) for variant in variants
        )
    return placed


def reference_of(name: str, before: Sequence[str]) -> str | None:
    """The reference record of an alternative record: the nearest earlier ``<base>_ref``."""
    for candidate in reversed(before):
        base = candidate.removesuffix(REF_SUFFIX)
        if candidate.endswith(REF_SUFFIX) and candidate != name and name.startswith(base):
            return candidate
    return None
