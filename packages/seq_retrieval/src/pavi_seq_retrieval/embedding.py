"""Embedding variants into a region set (docs/retrieval.md, "Variant overlap" and
"Embedding variants")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from pavi_seq_retrieval.codons import reverse_complement as revcomp
from pavi_seq_retrieval.model import Genome, Strand, Variant
from pavi_seq_retrieval.regions import Part, RegionSet


class EmbeddingError(Exception):
    """The variants cannot be embedded (overlap, reference mismatch, partial indel, ...)."""


@dataclass(frozen=True)
class EmbeddedVariant:
    """A variant placed in an alternative sequence; positions are 1-based in that sequence."""

    variant: Variant
    start: int
    end: int
    ref_len: int
    alt_len: int


@dataclass(frozen=True)
class Embedding:
    """An alternative sequence and the variants embedded in it, in transcript order."""

    sequence: str
    variants: tuple[EmbeddedVariant, ...]

    def in_frame(self) -> Embedding:
        """Cut to whole codons and trim the variants to that length (docs/retrieval.md,
        "In-frame window and trim rule T")."""
        if not self.variants:
            return self
        end = len(self.sequence) // 3 * 3
        return Embedding(self.sequence[:end], trim(self.variants, end))


def is_insertion(variant: Variant) -> bool:
    """Insertions have an empty reference allele."""
    return not variant.ref


def variants_overlap(first: Variant, second: Variant) -> bool:
    """Variant-variant overlap (docs/retrieval.md, "Variant overlap"); an insertion must have
    both flanks inside the other."""
    if first.seq_id != second.seq_id:
        return False
    if max(first.start, second.start) > min(first.end, second.end):
        return False
    if is_insertion(first):
        return second.start <= first.start and first.end <= second.end
    if is_insertion(second):
        return first.start <= second.start and second.end <= first.end
    return True


def any_overlap(variants: Iterable[Variant]) -> bool:
    """QUIRK (docs/retrieval.md, "Overlap checked between neighbours only"): only neighbours
    in (seq_id, start) order are compared."""
    ordered = sorted(variants, key=lambda v: (v.seq_id, v.start))
    return any(variants_overlap(a, b) for a, b in pairwise(ordered))


def trim(variants: Sequence[EmbeddedVariant], end: int) -> tuple[EmbeddedVariant, ...]:
    """Rule T: drop variants starting after `end` and deletions starting at it; clip ends."""
    kept: list[EmbeddedVariant] = []
    for ev in variants:
        if ev.start > end:
            continue
        if ev.start == end and ev.variant.substitution_type == "deletion":
            continue
        kept.append(replace(ev, end=end) if ev.end > end else ev)
    return tuple(kept)


def _in_part(part: Part, variant: Variant) -> bool:
    """Variant-region overlap: intersecting, and for insertions both flanks inside."""
    if is_insertion(variant):
        return part.start <= variant.start and variant.end <= part.end
    return variant.start <= part.end and part.start <= variant.end


@dataclass(frozen=True)
class _Placed:
    variant: Variant
    r0: int
    r1: int
    ref: str  # R': the part of the reference allele inside the part, transcript orientation
    alt: str  # A'


def _place(part: Part, strand: Strand, variant: Variant) -> _Placed:
    """Clip a variant to a part (docs/retrieval.md, "Applying variants in one part")."""
    if strand == "+":
        clip_start, clip_end = max(variant.start, part.start), min(variant.end, part.end)
        over5, over3 = clip_start - variant.start, variant.end - clip_end
    else:
        clip_start, clip_end = min(variant.end, part.end), max(variant.start, part.start)
        over5, over3 = variant.end - clip_start, clip_end - variant.start
    if (over5 > 0 or over3 > 0) and variant.alt and len(variant.ref) != len(variant.alt):
        raise EmbeddingError("Embedding of partially overlapping indels not supported.")
    r0 = part.rel_position(clip_start, strand)
    if r0 is None:  # pragma: no cover - clip_start always lies in the part
        raise EmbeddingError("variant outside the part")
    ref, alt = variant.ref, variant.alt
    if strand == "-":
        ref, alt = revcomp(ref), revcomp(alt)
    ref = ref[over5 : len(ref) - over3]
    if alt:
        alt = alt[over5 : len(alt) - over3]
    return _Placed(variant, r0, r0 + abs(clip_end - clip_start), ref, alt)


def _positions(placed: _Placed, shift: int) -> tuple[int, int]:
    """Start/end of an applied variant in the part's alternative sequence (docs/retrieval.md,
    "Positions in the alternative sequence")."""
    r0, r1 = placed.r0 + shift, placed.r1 + shift
    kind = placed.variant.substitution_type
    if kind == "substitution":
        return r0, r1
    if kind == "insertion":
        return r0 + 1, placed.r0 + len(placed.alt) + shift
    if kind == "deletion":
        return r0 - 1, r1 + 1 - len(placed.ref)
    if len(placed.ref) < len(placed.alt):
        return r0, r1 + len(placed.alt) - len(placed.ref)
    return r0, r1


def _embed_part(
    part: Part, strand: Strand, seq: str, variants: Sequence[Variant]
) -> tuple[str, list[EmbeddedVariant]]:
    """Apply the variants assigned to one part; positions are part-relative."""
    if len(variants) > 1 and any_overlap(variants):
        raise EmbeddingError("overlapping variants")
    by_start: dict[int, _Placed] = {}
    for variant in variants:
        placed = _place(part, strand, variant)
        # QUIRK (docs/retrieval.md, "Variant collision"), made deterministic: the first
        # variant in transcript order (ties: shorter span, then variant id) keeps a relative
        # start; later ones are lost.
        by_start.setdefault(placed.r0, placed)
    for r0 in sorted(by_start, reverse=True):
        placed = by_start[r0]
        if is_insertion(placed.variant):
            seq = seq[:r0] + placed.alt + seq[r0:]
            continue
        if seq[r0 - 1 : placed.r1].upper() != placed.ref.upper():
            raise EmbeddingError("Unexpected variant reference sequence mismatch.")
        seq = seq[: r0 - 1] + placed.alt + seq[placed.r1 :]
    embedded: list[EmbeddedVariant] = []
    shift = 0
    for r0 in sorted(by_start):
        placed = by_start[r0]
        start, end = _positions(placed, shift)
        embedded.append(
            EmbeddedVariant(placed.variant, start, end, len(placed.ref), len(placed.alt))
        )
        shift += len(placed.alt) - len(placed.ref)
    return seq, embedded


def _transcript_order(strand: Strand, variants: Iterable[Variant]) -> list[Variant]:
    if strand == "+":
        return sorted(variants, key=lambda v: (v.start, v.end, v.variant_id))
    return sorted(variants, key=lambda v: (-v.end, -v.start, v.variant_id))


def embed(
    region: RegionSet, variants: Sequence[Variant], genome: Genome, *, unmasked: bool = False
) -> Embedding:
    """Alternative sequence of `region` with the variants applied (docs/retrieval.md,
    "Embedding variants").

    Raises EmbeddingError, or GenomeReadError when a part cannot be read.
    """
    if len(variants) > 1 and any_overlap(variants):
        raise EmbeddingError("overlapping variants")
    ordered = [v for v in _transcript_order(region.strand, variants) if v.seq_id == region.seq_id]
    pieces: list[str] = []
    embedded: list[EmbeddedVariant] = []
    length = 0
    for part in region.parts:
        seq = part.read(genome, region.seq_id, region.strand)
        if unmasked:
            seq = seq.upper()
        assigned = [v for v in ordered if _in_part(part, v)]
        part_variants: list[EmbeddedVariant] = []
        if assigned:
            seq, part_variants = _embed_part(part, region.strand, seq, assigned)
        for index, ev in enumerate(part_variants):
            if index == 0 and embedded and embedded[-1].variant.variant_id == ev.variant.variant_id:
                embedded[-1] = _fuse(embedded[-1], ev)
            else:
                embedded.append(replace(ev, start=ev.start + length, end=ev.end + length))
        pieces.append(seq)
        length += len(seq)
    return Embedding("".join(pieces), tuple(embedded))


def _fuse(last: EmbeddedVariant, first: EmbeddedVariant) -> EmbeddedVariant:
    """Merge the two halves of a variant spanning an intron (docs/retrieval.md, "Joining parts")."""
    deletion = first.variant.substitution_type == "deletion"
    if first.start != (0 if deletion else 1):
        raise EmbeddingError("split variant does not continue at the start of the next part")
    return EmbeddedVariant(
        last.variant,
        last.start,
        last.end + first.end - (1 if deletion else 0),
        last.ref_len + first.ref_len,
        last.alt_len + first.alt_len,
    )
