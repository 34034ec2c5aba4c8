"""The alternative protein: embed, validate start/stop, extend on stop loss (docs/retrieval.md,
"The alternative protein" and "Protein positions")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pavi_seq_retrieval.coding import Coding
from pavi_seq_retrieval.embedding import EmbeddedVariant, Embedding, EmbeddingError, embed, trim
from pavi_seq_retrieval.model import (
    ALT_FAILED,
    START_CODON_CHANGED,
    STOP_LOST,
    Genome,
    GenomeReadError,
    RecordedError,
    Variant,
)
from pavi_seq_retrieval.regions import RegionSet
from pavi_seq_retrieval.translate import first_stop, starts_with_start_codon, translate


@dataclass(frozen=True)
class AltProtein:
    """Alternative protein and its embedded variants in protein coordinates."""

    protein: str
    variants: tuple[EmbeddedVariant, ...]


def _embed_window(region: RegionSet, variants: Sequence[Variant], genome: Genome) -> Embedding:
    """Embed into the in-frame window of a coding region (docs/retrieval.md,
    "In-frame window and trim rule T")."""
    window = region.in_frame_window()
    if not window.parts:
        raise RecordedError(ALT_FAILED)
    try:
        return embed(window, variants, genome).in_frame()
    except (EmbeddingError, GenomeReadError) as exc:
        raise RecordedError(ALT_FAILED) from exc


def _until_stop(embedding: Embedding) -> Embedding | None:
    """Cut at the first in-frame stop (kept); None when there is none (docs/retrieval.md,
    "Stop search")."""
    if not starts_with_start_codon(embedding.sequence):
        # QUIRK: a coding sequence whose codon 1 is not ATG/CTG/TTG never has an alternative.
        raise RecordedError(ALT_FAILED)
    codon = first_stop(embedding.sequence)
    if codon is None:
        return None
    end = codon * 3
    return Embedding(embedding.sequence[:end], trim(embedding.variants, end))


def _extend(
    coding: Coding, exons: RegionSet, variants: Sequence[Variant], genome: Genome
) -> Embedding:
    """Stop lost: read on from the coding start to the transcript end (docs/retrieval.md,
    "Stop-loss extension")."""
    rel = exons.rel_position(coding.region.five_prime)
    if rel is None:
        raise RecordedError(ALT_FAILED)
    start = rel + coding.region.frame
    extension = exons.sub_range(start, exons.length)
    found = _until_stop(_embed_window(extension, variants, genome))
    if found is None:
        raise RecordedError(STOP_LOST)
    return found


def ceil3(value: int) -> int:
    """ceil(value / 3) for integers."""
    return -(-value // 3)


def to_protein(ev: EmbeddedVariant) -> EmbeddedVariant:
    """Coding-sequence positions and lengths to protein ones (docs/retrieval.md,
    "Protein positions")."""
    if ev.variant.substitution_type == "deletion":
        start = ceil3(ev.start + 1)
        if ev.ref_len >= 3 and ev.ref_len % 3 == 0 and (ev.start + 1) % 3 == 1:
            start -= 1
    else:
        start = ceil3(ev.start)
    return EmbeddedVariant(ev.variant, start, ceil3(ev.end), ceil3(ev.ref_len), ceil3(ev.alt_len))


def alternative_coding(
    coding: Coding, exons: RegionSet, variants: Sequence[Variant], genome: Genome
) -> Embedding:
    """Alternative coding sequence up to its stop codon, variants in coding coordinates.

    Raises RecordedError with the alternative's error string.
    """
    alt = _embed_window(coding.region, variants, genome)
    # QUIRK: compared case-sensitively (ORF mode compares against an uppercased Cref).
    if coding.sequence[:3] != alt.sequence[:3]:
        raise RecordedError(START_CODON_CHANGED)
    found = _until_stop(alt)
    return found if found is not None else _extend(coding, exons, variants, genome)


def alternative_protein(
    coding: Coding, exons: RegionSet, variants: Sequence[Variant], genome: Genome
) -> AltProtein:
    """Alternative protein of an entry whose reference coding sequence exists.

    Raises RecordedError with the alternative's error string.
    """
    found = alternative_coding(coding, exons, variants, genome)
    protein = translate(found.sequence)
    return AltProtein(protein, tuple(to_protein(ev) for ev in found.variants))
