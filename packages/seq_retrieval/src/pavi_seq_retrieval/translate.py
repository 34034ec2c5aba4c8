"""Standard-code translation, start/stop codons and the longest-ORF search."""

from __future__ import annotations

from pavi_seq_retrieval.codons import STANDARD_CODE, START_CODONS, STOP_CODONS
from pavi_seq_retrieval.model import TRANSLATION_FAILED, RecordedError

__all__ = [
    "START_CODONS",
    "STOP_CODONS",
    "first_stop",
    "longest_orf",
    "starts_with_start_codon",
    "translate",
]


def translate(coding: str) -> str:
    """Protein up to (not including) the first stop codon; CTG/TTG starts give L.

    A codon with a non-ACGT letter before the first stop raises RecordedError(TRANSLATION_FAILED);
    codons after the first stop are never looked at. A trailing partial codon is ignored.
    """
    upper = coding.upper()
    protein: list[str] = []
    for index in range(0, len(upper) - 2, 3):
        amino_acid = STANDARD_CODE.get(upper[index : index + 3])
        if amino_acid is None:
            raise RecordedError(TRANSLATION_FAILED)
        if amino_acid == "*":
            break
        protein.append(amino_acid)
    return "".join(protein)


def starts_with_start_codon(seq: str) -> bool:
    """Whether codon 1 (any case) is ATG, CTG or TTG."""
    return seq[:3].upper() in START_CODONS


def first_stop(seq: str) -> int | None:
    """1-based index of the first in-frame stop codon (any case), None when there is none."""
    upper = seq.upper()
    for index in range(0, len(upper) - 2, 3):
        if upper[index : index + 3] in STOP_CODONS:
            return index // 3 + 1
    return None


def longest_orf(seq: str) -> tuple[int, int] | None:
    """1-based (start, end) of the longest complete ORF of `seq`, stop codon included.

    Frames 0, 1, 2 are scanned in order; an ORF opens at the first start codon after the
    previous stop. Ties go to the ORF found last. None when no complete ORF exists.
    """
    upper = seq.upper()
    best: tuple[int, int] | None = None
    for frame in range(3):
        opened: int | None = None
        for index in range(frame, len(upper) - 2, 3):
            codon = upper[index : index + 3]
            if codon in STOP_CODONS:
                if opened is not None:
                    orf = (opened + 1, index + 3)
                    if best is None or orf[1] - orf[0] >= best[1] - best[0]:
                        best = orf
                opened = None
            elif codon in START_CODONS and opened is None:
                opened = index
    return best
