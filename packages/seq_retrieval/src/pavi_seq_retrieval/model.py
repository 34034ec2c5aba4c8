"""Value types shared by the retrieval algorithm: regions, variants, genome access, errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Strand = Literal["+", "-"]
SubstitutionType = Literal["substitution", "deletion", "insertion", "indel"]

# The original's recorded error strings, misspellings kept (docs/retrieval.md, "Output and
# recorded errors" and "Transcript output").
NO_ORF = "No open reading frames found in transcript sequence."
REF_CODING_FAILED = "Unexpected error occured during coding sequence retrieval."
TRANSLATION_FAILED = "Unexpected error occured during translation."
ALT_CODING_FAILED = "Unkown error occured while retrieving coding sequence."
START_CODON_CHANGED = (
    "Reference start codon is different from alternative start codon. "
    "Alternative coding sequence rejected. No alternatives searched."
)
STOP_LOST = (
    "Stop codon lost and no alternative found in extended alternative coding sequence. "
    "Alternative coding sequence rejected."
)
ALT_FAILED = "Cannot translate due to failures in alternative coding sequence retrieval."
ALT_TRANSCRIPT_FAILED = "Unkown error occured while retrieving alternative transcript sequence."


@dataclass(frozen=True)
class Region:
    """One exon or CDS part as given: 1-based inclusive forward-strand coordinates."""

    start: int
    end: int
    frame: int | None = None


@dataclass(frozen=True)
class Variant:
    """One variant as the variant API describes it (alleles on the forward strand)."""

    variant_id: str
    seq_id: str
    start: int
    end: int
    ref: str = ""
    alt: str = ""

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"start {self.start} is greater than end {self.end}")
        if not self.ref and not self.alt:
            raise ValueError("reference and alternative alleles are both empty")
        if not self.ref and self.end != self.start + 1:
            raise ValueError(
                f"insertion must be given by its two flanking bases (end = start + 1), "
                f"got start {self.start} and end {self.end}"
            )

    @property
    def seq_length(self) -> int:
        """Genomic span of the variant (2 for an insertion)."""
        return self.end - self.start + 1

    @property
    def substitution_type(self) -> SubstitutionType:
        """Kind of change, derived from the alleles."""
        if not self.alt:
            return "deletion"
        if not self.ref:
            return "insertion"
        if len(self.ref) == len(self.alt):
            return "substitution"
        return "indel"


class GenomeReadError(Exception):
    """Raised by a Genome when a region cannot be read."""


class Genome(Protocol):
    """Read access to an indexed genome."""

    def fetch(self, seq_id: str, start: int, end: int) -> str:
        """Letters of seq_id[start..end], 1-based inclusive, case as stored.

        Raises GenomeReadError if seq_id is unknown or the range runs past the sequence end.
        """
        ...  # pragma: no cover


class RetrievalError(Exception):
    """A fatal problem: the job exits 1 with this message."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RecordedError(Exception):
    """A failure recorded in the seqinfo as one of the original's error strings."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
