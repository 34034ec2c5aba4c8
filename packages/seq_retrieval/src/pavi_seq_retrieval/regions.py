"""Region sets: exons or CDS parts in transcript order, relative positions, sub-ranges, reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pavi_seq_retrieval.codons import reverse_complement as revcomp
from pavi_seq_retrieval.model import Genome, GenomeReadError, Region, RetrievalError, Strand


@dataclass(frozen=True)
class Part:
    """One contiguous genomic interval (start <= end) with an optional GFF phase."""

    start: int
    end: int
    frame: int | None = None

    @property
    def length(self) -> int:
        """Number of bases."""
        return self.end - self.start + 1

    def rel_position(self, pos: int, strand: Strand) -> int | None:
        """1-based position of genomic `pos` in transcript orientation, None when outside."""
        if not self.start <= pos <= self.end:
            return None
        return pos - self.start + 1 if strand == "+" else self.end - pos + 1

    def read(self, genome: Genome, seq_id: str, strand: Strand) -> str:
        """Sequence of the part in transcript orientation, case as stored."""
        seq = genome.fetch(seq_id, self.start, self.end)
        if len(seq) != self.length:
            raise GenomeReadError(
                f"{seq_id}:{self.start}-{self.end} returned {len(seq)} bases, not {self.length}"
            )
        return seq if strand == "+" else revcomp(seq)


@dataclass(frozen=True)
class RegionSet:
    """Regions of one kind of an entry, sorted in transcript order."""

    seq_id: str
    strand: Strand
    parts: tuple[Part, ...]

    @classmethod
    def build(
        cls,
        seq_id: str,
        strand: Strand,
        regions: Sequence[Region],
        *,
        field: str,
        keep_frames: bool,
    ) -> RegionSet:
        """Normalise regions (swap on "-", reject end < start on "+") and sort them."""
        parts: list[Part] = []
        for region in regions:
            start, end = region.start, region.end
            if end < start:
                if strand == "+":
                    raise RetrievalError(
                        f"Unexpected position order: region {start}..{end} has end < start "
                        "on the + strand",
                        field,
                    )
                start, end = end, start
            parts.append(Part(start, end, region.frame if keep_frames else None))
        # Python's sort is stable with reverse=True too: equal starts keep their input order.
        parts.sort(key=lambda part: part.start, reverse=strand == "-")
        return cls(seq_id, strand, tuple(parts))

    @property
    def length(self) -> int:
        """Total number of bases over all parts."""
        return sum(part.length for part in self.parts)

    @property
    def start(self) -> int:
        """Smallest genomic coordinate."""
        return min(part.start for part in self.parts)

    @property
    def end(self) -> int:
        """Largest genomic coordinate."""
        return max(part.end for part in self.parts)

    @property
    def five_prime(self) -> int:
        """Genomic position of the 5'-most base (transcript orientation)."""
        return self.start if self.strand == "+" else self.end

    @property
    def frame(self) -> int:
        """Frame of the first part in transcript order (0 when absent)."""
        return (self.parts[0].frame or 0) if self.parts else 0

    def rel_position(self, pos: int) -> int | None:
        """1-based position of genomic `pos` in the set's sequence, None in introns/outside."""
        offset = 0
        for part in self.parts:
            rel = part.rel_position(pos, self.strand)
            if rel is not None:
                return offset + rel
            offset += part.length
        return None

    def sub_range(self, rel_start: int, rel_end: int) -> RegionSet:
        """Parts covering relative positions rel_start..rel_end; cut parts get a new frame."""
        parts: list[Part] = []
        offset = 0
        for part in self.parts:
            lo = max(rel_start, offset + 1) - offset  # 1-based within the part
            hi = min(rel_end, offset + part.length) - offset
            offset += part.length
            if lo > hi:
                continue
            cut = lo - 1
            frame = None if part.frame is None else (part.frame - cut) % 3
            if self.strand == "+":
                parts.append(Part(part.start + cut, part.start + hi - 1, frame))
            else:
                parts.append(Part(part.end - hi + 1, part.end - cut, frame))
        return RegionSet(self.seq_id, self.strand, tuple(parts))

    def in_frame_window(self) -> RegionSet:
        """The set without the first part's frame bases, cut to whole codons."""
        frame = self.frame
        length = (self.length - frame) // 3 * 3
        if length <= 0:
            return RegionSet(self.seq_id, self.strand, ())
        return self.sub_range(frame + 1, frame + length)

    def read(self, genome: Genome) -> str:
        """Concatenated sequence of the parts in transcript orientation, case as stored."""
        return "".join(part.read(genome, self.seq_id, self.strand) for part in self.parts)
