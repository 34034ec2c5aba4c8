"""The standard genetic code (NCBI table 1) and the IUPAC nucleotide complement.

Written out here rather than taken from Biopython: importing ``Bio.Data.CodonTable`` builds every
NCBI table (~0.1 s of each job's cold start) and Biopython pulls numpy (~50 MB) into the image.
``tests/test_codons.py`` checks both tables against Biopython.
"""

from __future__ import annotations

_BASES = "TCAG"
_AMINO_ACIDS = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"

#: Codon (uppercase DNA) -> one-letter amino acid; stop codons map to ``*``.
STANDARD_CODE: dict[str, str] = {
    a + b + c: _AMINO_ACIDS[16 * i + 4 * j + k]
    for i, a in enumerate(_BASES)
    for j, b in enumerate(_BASES)
    for k, c in enumerate(_BASES)
}
START_CODONS = frozenset({"ATG", "CTG", "TTG"})
STOP_CODONS = frozenset(codon for codon, aa in STANDARD_CODE.items() if aa == "*")

_COMPLEMENT = str.maketrans(
    "ACGTUMRWSYKVHDBNacgtumrwsykvhdbn",
    "TGCAAKYWSRMBDHVNtgcaakywsrmbdhvn",
)


def reverse_complement(seq: str) -> str:
    """Reverse complement, keeping letter case and complementing IUPAC ambiguity codes."""
    return seq.translate(_COMPLEMENT)[::-1]
