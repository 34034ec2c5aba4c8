"""The reference coding region and sequence: CDS mode (with frame checks) or ORF search."""

from __future__ import annotations

from dataclasses import dataclass

from pavi_seq_retrieval.model import NO_ORF, Genome, RecordedError, RetrievalError
from pavi_seq_retrieval.regions import RegionSet
from pavi_seq_retrieval.translate import longest_orf

CDS_FIELD = "cds_seq_regions"


@dataclass(frozen=True)
class Coding:
    """The coding region C and the reference coding sequence Cref."""

    region: RegionSet
    sequence: str


def check_cds_frames(cds: RegionSet) -> None:
    """Every CDS part needs a frame, and the frames must agree with whole codons.

    QUIRK (docs/retrieval.md, "Frame check skips parts while the count is not positive"):
    parts are not checked while the running count is <= 0,
    so a first part no longer than its frame leaves the next part unchecked too.
    """
    for part in cds.parts:
        if part.frame is None:
            raise RetrievalError(
                f"undefined frame property on CDS region {part.start}..{part.end}: "
                "every CDS region needs a frame (0, 1 or 2)",
                CDS_FIELD,
            )
    running = 0
    for part in cds.parts:
        frame = part.frame or 0
        if running <= 0:
            running += part.length - frame
            continue
        if (running + frame) % 3 != 0:
            raise RetrievalError(
                f"Non-triplet frame definition: CDS region {part.start}..{part.end} has frame "
                f"{frame} but {running} coding bases precede it",
                CDS_FIELD,
            )
        running += part.length


def cds_coding(cds: RegionSet, genome: Genome) -> Coding:
    """CDS mode: the parts' sequence without the first part's frame bases, whole codons only."""
    seq = cds.read(genome)[cds.frame :]
    return Coding(cds, seq[: len(seq) // 3 * 3])


def orf_coding(exons: RegionSet, genome: Genome) -> Coding:
    """ORF mode: the longest ORF of the transcript, uppercased, stop codon included."""
    transcript = exons.read(genome).upper()
    orf = longest_orf(transcript)
    if orf is None:
        raise RecordedError(NO_ORF)
    start, end = orf
    return Coding(exons.sub_range(start, end), transcript[start - 1 : end])


def reference_coding(exons: RegionSet, cds: RegionSet, genome: Genome) -> Coding:
    """Cref and C for an entry (CDS mode when CDS parts exist); reads only what is needed.

    Raises GenomeReadError when a region cannot be read and RecordedError(NO_ORF).
    """
    return cds_coding(cds, genome) if cds.parts else orf_coding(exons, genome)
