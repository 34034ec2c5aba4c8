"""docs/cases.md, "B. Genome reads" and "C. Region sets" (genome reads, strand, case; region-set
helpers)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pavi_seq_retrieval.codons import reverse_complement as revcomp
from pavi_seq_retrieval.embedding import embed
from pavi_seq_retrieval.model import Genome, GenomeReadError, Region, Strand, Variant
from pavi_seq_retrieval.regions import Part, RegionSet

C54H2_EXONS = [(5780644, 5780722), (5780278, 5780585), (5779920, 5780231), (5778875, 5779453)]
C54H2_CDS = [
    (5780644, 5780712, 0),
    (5780278, 5780585, 0),
    (5779920, 5780231, 1),
    (5779309, 5779453, 1),
]
C42D8_1_CDS = [
    (5109510, 5109644),
    (5110473, 5110556),
    (5110610, 5110708),
    (5110762, 5110869),
    (5111054, 5111200),
    (5111250, 5111309),
    (5111423, 5111473),
    (5112256, 5112330),
]
C42D8_1_EXONS = [(5109506, 5109644), *C42D8_1_CDS[1:7], (5112256, 5112426)]


def region_set(
    strand: Strand, regions: Sequence[tuple[int, ...]], *, frames: bool = True
) -> RegionSet:
    items = [
        Region(*r) if len(r) == 3 else Region(r[0], r[1], 0 if frames else None) for r in regions
    ]
    return RegionSet.build("X", strand, items, field="exon_seq_regions", keep_frames=frames)


def genomic(rs: RegionSet) -> tuple[int, int]:
    return rs.start, rs.end


def test_B1_minus_strand_read_keeps_case(core_genome: Genome) -> None:
    assert region_set("-", [(5116799, 5116864)]).read(core_genome) == (
        "atgACGGTGGGTAAACTAATGATTGGCTTACTTATACCGATTCTTGTCGCCACAGTTTACGCAGAG"
    )


def test_B2_plus_strand_read_keeps_case(core_genome: Genome) -> None:
    assert region_set("+", [(5109506, 5109644)]).read(core_genome) == (
        "aacCATGTCGATGTATGGCAAAGACAAGGCGTATATCGAGAATGAGACAAAGTTTCGAGCAGACAGAGATTACTTGAGCCAGCCTGTCT"
        "ATCAACAAACTGTCTATCGAGAAGGCCCAATTTTGAAACCAGATGTAGAG"
    )


def test_B3_minus_strand_exon_set(core_genome: Genome) -> None:
    exons = region_set("-", list(reversed(C54H2_EXONS)), frames=False)
    seq = exons.read(core_genome)
    assert len(seq) == 1278
    assert seq.startswith(
        "CTCTTGGAAAATGAACCAGTTCCGGGCTCCAGGTGGTCAGAACGAAATGCTGGCGAAAGCAGAAGACGCCGCTGAAGAT"
        "TTCTTCCGCAAAACAAGG"
    )
    assert seq[79 + 308 :].startswith("aaacattgCCG")
    assert seq[79 + 308 + 312 :].startswith("gtggACCATT")
    assert seq.endswith("aagaataaacatttttctgtc")


def test_B4_utr_only_region(core_genome: Genome) -> None:
    assert region_set("-", [(5780713, 5780722)]).read(core_genome) == "CTCTTGGAAA"


def test_B5_point_variant_inside_or_outside_region(core_genome: Genome) -> None:
    exon = region_set("+", [(5109506, 5109644)])
    inside = Variant("in", "X", 5109543, 5109543, "G", "A")
    outside = Variant("out", "X", 5110758, 5110758, "G", "A")
    assert [ev.variant for ev in embed(exon, [inside], core_genome).variants] == [inside]
    assert embed(exon, [outside], core_genome).variants == ()


@pytest.mark.parametrize(("seq_id", "start", "end"), [("chrUn", 1, 10), ("X", 17718940, 17718950)])
def test_B7_unknown_seq_id_or_past_end_fails_read(
    core_genome: Genome, seq_id: str, start: int, end: int
) -> None:
    rs = RegionSet.build(seq_id, "+", [Region(start, end)], field="f", keep_frames=False)
    with pytest.raises(GenomeReadError):
        rs.read(core_genome)


def test_part_read_rejects_short_answers() -> None:
    class Short:
        def fetch(self, seq_id: str, start: int, end: int) -> str:
            return "ACG"

    with pytest.raises(GenomeReadError, match="returned 3 bases"):
        Part(1, 10).read(Short(), "X", "+")


def test_revcomp_keeps_case_and_iupac() -> None:
    assert revcomp("acgTNRY") == "RYNAcgt"
    assert revcomp("") == ""


def test_C1_relative_positions_minus_exon_set() -> None:
    exons = region_set("-", C54H2_EXONS, frames=False)
    assert exons.rel_position(5780722) == 1
    assert exons.rel_position(5780565) == 100


@pytest.mark.parametrize("pos", [5780595, 5780723, 5778874])
def test_C2_invalid_relative_positions(pos: int) -> None:
    assert region_set("-", C54H2_EXONS, frames=False).rel_position(pos) is None


def test_C3_relative_positions_plus_cds_set() -> None:
    cds = region_set("+", C42D8_1_CDS)
    assert [cds.rel_position(p) for p in (5109510, 5111135, 5112330)] == [1, 508, 759]


@pytest.mark.parametrize("pos", [5109650, 5109509, 5112331])
def test_C4_invalid_relative_positions(pos: int) -> None:
    assert region_set("+", C42D8_1_CDS).rel_position(pos) is None


def test_C5_sub_range_inside_one_exon() -> None:
    sub = region_set("-", C54H2_EXONS, frames=False).sub_range(101, 200)
    assert sub.length == 100
    assert genomic(sub) == (5780465, 5780564)


def test_C6_sub_range_spanning_exons() -> None:
    sub = region_set("-", C54H2_EXONS, frames=False).sub_range(1, 110)
    assert len(sub.parts) == 2
    assert genomic(sub) == (5780555, 5780722)


def test_C7_sub_range_plus_exon_set() -> None:
    sub = region_set("+", C42D8_1_EXONS, frames=False).sub_range(150, 250)
    assert sub.length == 101
    assert genomic(sub) == (5110483, 5110636)


def test_C8_sub_ranges_recompute_frames(core_genome: Genome) -> None:
    cds = region_set("-", C54H2_CDS)
    assert cds.sub_range(2, 51).frame == 2
    sub = cds.sub_range(350, 450)
    assert sub.frame == 2
    assert genomic(sub) == (5780159, 5780305)
    assert sub.read(core_genome) == (
        "TTCTCTGGGACTTGAAGTTCTTGGCCAGaaacattgCCGTTGGTGGAGGACTTTTGCTCCTTCTTGCCGAGACACAGGAAGAGAAGG"
        "CTTCCCTGTTCGCC"
    )
    assert cds.sub_range(351, 450).frame == 1
    last = cds.sub_range(352, 450)
    assert last.frame == 0
    assert last.end == 5780303


def test_C9_sub_ranges_plus_cds_set(core_genome: Genome) -> None:
    cds = region_set("+", C42D8_1_CDS)
    first = cds.sub_range(1, 50)
    assert first.frame == 0
    assert first.read(core_genome) == "ATGTCGATGTATGGCAAAGACAAGGCGTATATCGAGAATGAGACAAAGTT"
    second = cds.sub_range(100, 149)
    assert (second.frame, genomic(second)) == (0, (5109609, 5110486))
    assert second.read(core_genome) == "TATCGAGAAGGCCCAATTTTGAAACCAGATGTAGAGgtttcagTGGTAGA"
    assert cds.sub_range(101, 149).frame == 2
    assert cds.sub_range(102, 149).frame == 1


@pytest.mark.parametrize(
    ("rel_start", "rel_end", "start", "end", "frame", "seq"),
    [
        (11, 20, 5116845, 5116854, 2, "GTAAACTAAT"),
        (12, 20, 5116845, 5116853, 1, "TAAACTAAT"),
        (13, 20, 5116845, 5116852, 0, "AAACTAAT"),
    ],
)
def test_C10_sub_ranges_single_minus_region(
    core_genome: Genome, rel_start: int, rel_end: int, start: int, end: int, frame: int, seq: str
) -> None:
    sub = region_set("-", [(5116799, 5116864, 0)]).sub_range(rel_start, rel_end)
    assert (genomic(sub), sub.frame) == ((start, end), frame)
    assert sub.read(core_genome) == seq


def test_C11_sub_range_single_plus_region(core_genome: Genome) -> None:
    sub = region_set("+", [(5110473, 5110556, 0)]).sub_range(1, 10)
    assert (genomic(sub), sub.frame) == ((5110473, 5110482), 0)
    assert sub.read(core_genome) == "gtttcagTGG"


@pytest.mark.parametrize(
    ("rel_start", "rel_end", "frame", "skip"),
    [(3, 135, 1, 3), (2, 135, 2, 3), (5, 135, 2, 6), (2, 4, 2, None)],
)
def test_C12_in_frame_sequences_of_sub_ranges(
    core_genome: Genome, rel_start: int, rel_end: int, frame: int, skip: int | None
) -> None:
    part = region_set("+", [(5109510, 5109644, 0)])
    reference = part.read(core_genome)
    sub = part.sub_range(rel_start, rel_end)
    assert sub.frame == frame
    window = sub.in_frame_window()
    if skip is None:
        assert window.parts == ()
        assert window.read(core_genome) == ""
    else:
        rest = reference[skip:]
        assert window.read(core_genome) == rest[: len(rest) // 3 * 3]
