"""docs/cases.md, "F. Embedding in one region", "G. Embedding in a multi-part set" and
"J. Trim rule T"."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pavi_seq_retrieval.codons import reverse_complement as revcomp
from pavi_seq_retrieval.embedding import (
    EmbeddedVariant,
    Embedding,
    EmbeddingError,
    embed,
    trim,
)
from pavi_seq_retrieval.model import Genome, Region, Strand, Variant
from pavi_seq_retrieval.regions import RegionSet

R1 = (
    "ACGATGACTCAAAAAATGGATATTCTACTTTCCTACGGAAAAAAGCAAATTAATTCATTGATACAAGAGCTGTGTTCTATAAGTATTGCT"
    "AATGCGAAACTATCTACACTCCCTCTATTCAATCAGTGCTtggaaaaaactgtaaaaccGAACTCAGTCAAAGCCGTTGATTCTTTAGGAA"
    "TAg"
)
R2 = (
    "ATTTTGTGCCAGTTTTCGTTGAATGTTCGTACCAAACAAGCCGAGCGTCGTCAATTTATGATCAACACTTTTTTGGCTGTTTTCAGTGGAC"
    "TTTTGGCTCTTACCATGGCGGCCACCTACGCCA"
)
R1_SPAN = "cag" + R1 + "gtaa"  # X:10536400-10536590, forward strand
R2_SPAN = "TTAC" + revcomp(R2) + "CTA"  # X:6227970-6228100, forward strand
C3 = [
    (5109510, 5109644),
    (5110473, 5110556),
    (5110610, 5110708),
    (5110762, 5110869),
    (5111054, 5111200),
    (5111250, 5111309),
    (5111423, 5111473),
    (5112256, 5112330),
]
D6 = [
    (5116799, 5116864, 0),
    (5116171, 5116338, 0),
    (5115556, 5115682, 0),
    (5115139, 5115372, 2),
    (5114910, 5115002, 2),
    (5114723, 5114856, 2),
    (5114374, 5114583, 0),
    (5114124, 5114320, 0),
    (5113898, 5114080, 1),
    (5113650, 5113848, 1),
    (5113469, 5113591, 0),
    (5113100, 5113420, 0),
]


def region_set(strand: Strand, regions: Sequence[tuple[int, ...]], seq_id: str = "X") -> RegionSet:
    return RegionSet.build(
        seq_id,
        strand,
        [Region(*r) if len(r) == 3 else Region(r[0], r[1], 0) for r in regions],
        field="cds_seq_regions",
        keep_frames=True,
    )


def var(name: str, start: int, end: int, ref: str, alt: str, seq_id: str = "X") -> Variant:
    return Variant(name, seq_id, start, end, ref, alt)


def positions(embedding: Embedding) -> list[tuple[int, int]]:
    return [(ev.start, ev.end) for ev in embedding.variants]


def r1() -> RegionSet:
    return region_set("+", [(10536403, 10536586)])


def r2() -> RegionSet:
    return region_set("-", [(6227974, 6228097)])


def r3() -> RegionSet:
    return region_set("+", [(5109510, 5109644)])


SNV_F1 = var("f1", 5109543, 5109543, "G", "A")
DEL_F3 = var("f3", 10536447, 10536447, "G", "")
INS_F4 = var("f4", 6228001, 6228002, "", "A")
INS_F5 = var("f5", 6228096, 6228097, "", "G")
SNV_F5 = var("f5snv", 6228027, 6228027, "A", "C")
INS_F6 = var("f6", 6227974, 6227975, "", "AAA")
INS_F8 = var("f8", 10536403, 10536404, "", "T")
SNV_F8 = var("f8snv", 10536533, 10536533, "T", "A")
DEL_F9 = var("f9", 10536585, 10536586, "AG", "")


def test_references_R1_R2_R3(core_genome: Genome) -> None:
    assert r1().read(core_genome) == R1
    assert r2().read(core_genome) == R2
    assert r3().read(core_genome).startswith("ATGTCGATGTATGGCAAAGACAAGGCGTATATCGAGAATGAGACAAAG")


def test_F1_snv(core_genome: Genome) -> None:
    result = embed(r3(), [SNV_F1], core_genome)
    reference = r3().read(core_genome)
    assert result.sequence == reference[:33] + "A" + reference[34:]
    assert "GTATATCAAGAATG" in result.sequence
    assert positions(result) == [(34, 34)]


def test_F2_snv_in_sub_range_with_frame(core_genome: Genome) -> None:
    sub = r3().sub_range(2, 135)
    assert sub.parts[0].frame == 2
    assert positions(embed(sub, [SNV_F1], core_genome)) == [(33, 33)]
    in_frame = embed(sub.in_frame_window(), [SNV_F1], core_genome).in_frame()
    assert in_frame.sequence.startswith("TCGATGTATGGCAAAGACAAGGCGTATATCAAGAATG")


def test_F3_single_base_deletion(core_genome: Genome) -> None:
    result = embed(r1(), [DEL_F3], core_genome)
    assert result.sequence == R1[:44] + R1[45:]
    assert positions(result) == [(44, 45)]


def test_F4_insertion_minus_strand(core_genome: Genome) -> None:
    result = embed(r2(), [INS_F4], core_genome)
    assert result.sequence == R2[:96] + "T" + R2[96:]
    assert len(result.sequence) == 125
    assert positions(result) == [(97, 97)]


def test_F5_insertion_at_first_base_and_snv(core_genome: Genome) -> None:
    result = embed(r2(), [INS_F5, SNV_F5], core_genome)
    expected = "A" + "C" + R2[1:70] + "G" + R2[71:]
    assert result.sequence == expected
    assert result.sequence.startswith("ACTTTTG")
    assert "CACTTGTTTGG" in result.sequence
    assert positions(result) == [(2, 2), (72, 72)]


def test_F6_snv_and_insertion_at_last_base(core_genome: Genome) -> None:
    result = embed(r2(), [INS_F6, SNV_F5], core_genome)
    assert result.sequence == R2[:70] + "G" + R2[71:123] + "TTT" + "A"
    assert positions(result) == [(71, 71), (124, 126)]


def test_F7_three_variants_minus_strand(core_genome: Genome) -> None:
    result = embed(r2(), [INS_F6, SNV_F5, INS_F5], core_genome)
    assert positions(result) == [(2, 2), (72, 72), (125, 127)]
    assert [ev.variant.variant_id for ev in result.variants] == ["f5", "f5snv", "f6"]


def test_F8_lowercase_reference_matched_case_insensitively(core_genome: Genome) -> None:
    result = embed(r1(), [INS_F8, SNV_F8], core_genome)
    assert R1[130] == "t"
    assert result.sequence == "A" + "T" + R1[1:130] + "A" + R1[131:]
    assert positions(result) == [(2, 2), (132, 132)]


def test_F9_deletion_at_region_end(core_genome: Genome) -> None:
    result = embed(r1(), [DEL_F9, SNV_F8], core_genome)
    assert result.sequence.endswith("TTTAGGAAT")
    assert len(result.sequence) == 182
    assert positions(result) == [(131, 131), (182, 183)]


def test_F10_three_variants_plus_strand(core_genome: Genome) -> None:
    result = embed(r1(), [DEL_F9, SNV_F8, INS_F8], core_genome)
    assert positions(result) == [(2, 2), (132, 132), (183, 184)]


@pytest.mark.parametrize(
    ("case", "start", "end", "alt", "expected_seq", "expected_pos"),
    [
        ("F11", 10536400, 10536590, "", "", (0, 1)),
        ("F12", 10536400, 10536410, "", R1[8:], (0, 1)),
        ("F13", 10536580, 10536590, "", R1[:177], (177, 178)),
        ("F15", 10536400, 10536410, "AAAGGGGAAAG", "GGGGAAAG" + R1[8:], (1, 8)),
        ("F16", 10536580, 10536590, "AAAGGGAAAGG", R1[:177] + "AAAGGGA", (178, 184)),
    ],
)
def test_F11_to_F16_partial_overlaps_plus_strand(
    core_genome: Genome,
    case: str,
    start: int,
    end: int,
    alt: str,
    expected_seq: str,
    expected_pos: tuple[int, int],
) -> None:
    ref = R1_SPAN[start - 10536400 : end - 10536400 + 1]
    result = embed(r1(), [var(case, start, end, ref, alt)], core_genome)
    assert result.sequence == expected_seq
    assert positions(result) == [expected_pos]


def test_F14_substitution_overspanning_region(core_genome: Genome) -> None:
    alt = ("AAAGGG" * 32)[:191]
    result = embed(r1(), [var("F14", 10536400, 10536590, R1_SPAN, alt)], core_genome)
    assert result.sequence == alt[3:187]
    assert result.sequence.startswith("GGGAAAGGGAAA")
    assert result.sequence.endswith("GGGA")
    assert positions(result) == [(1, 184)]


@pytest.mark.parametrize(
    ("case", "start", "end", "alt", "expected_seq", "expected_pos"),
    [
        ("F17", 6227970, 6228100, "", "", (0, 1)),
        ("F18", 6228090, 6228110, "", R2[8:], (0, 1)),
        ("F19", 6227970, 6227980, "", R2[:117], (117, 118)),
        ("F21", 6228090, 6228110, "GGGCCGGGCCGGGCCGGGCCG", "CCCGGCCC" + R2[8:], (1, 8)),
        ("F22", 6227970, 6227980, "GGGCCGGGCCG", R2[:117] + "CGGCCCG", (118, 124)),
    ],
)
def test_F17_to_F22_partial_overlaps_minus_strand(
    core_genome: Genome,
    case: str,
    start: int,
    end: int,
    alt: str,
    expected_seq: str,
    expected_pos: tuple[int, int],
) -> None:
    if case in ("F18", "F21"):
        ref = "CACAAAATCTAAATATTGATT"  # runs past the stored span: as the API gives it
    else:
        ref = R2_SPAN[start - 6227970 : end - 6227970 + 1]
    assert case != "F19" or ref == "TTACTGGCGTA"
    result = embed(r2(), [var(case, start, end, ref, alt)], core_genome)
    assert result.sequence == expected_seq
    assert positions(result) == [expected_pos]


def test_F20_substitution_overspanning_minus_strand(core_genome: Genome) -> None:
    alt = ("GGGCC" * 27)[:131]  # the `GGGCC` repeat of F21, over the whole span
    result = embed(r2(), [var("F20", 6227970, 6228100, R2_SPAN, alt)], core_genome)
    assert len(result.sequence) == 124
    assert result.sequence.startswith("CCCGGCCCGG")
    assert result.sequence.endswith("CCCG")
    assert positions(result) == [(1, 124)]


def test_F23_overlapping_variants_raise(core_genome: Genome) -> None:
    region = region_set("-", [(5114124, 5114320)])
    snv = var("yn32", 5114224, 5114224, "C", "T")
    deletion = var("yn10", 5113285, 5115215, "N" * 1931, "")
    with pytest.raises(EmbeddingError):
        embed(region, [snv, deletion], core_genome)


def test_F23_no_variant_or_outside_variant_leaves_region_unchanged(core_genome: Genome) -> None:
    """The multi-part API skips variants outside the set (the original's one-region API raised)."""
    region = region_set("-", [(5114124, 5114320)])
    reference = region.read(core_genome)
    assert embed(region, [], core_genome) == Embedding(reference, ())
    outside = var("out", 5115346, 5115346, "G", "A")
    assert embed(region, [outside], core_genome) == Embedding(reference, ())


def test_partial_indel_raises(core_genome: Genome) -> None:
    indel = var("p", 10536400, 10536405, "cagACG", "T")
    with pytest.raises(EmbeddingError, match="partially overlapping indels"):
        embed(r1(), [indel], core_genome)


def test_reference_mismatch_raises(core_genome: Genome) -> None:
    with pytest.raises(EmbeddingError, match="reference sequence mismatch"):
        embed(r3(), [var("m", 5109543, 5109543, "T", "A")], core_genome)


# --- docs/cases.md, "G. Embedding in a multi-part set" --------------------------------------------


def c42d8_1() -> RegionSet:
    return region_set("+", C3)


def c42d8_8b() -> RegionSet:
    return region_set("-", D6)


YN10 = "NC_003284.9:g.5113285_5115215del"


@pytest.fixture(scope="module")
def yn10(core_genome: Genome) -> Variant:
    ref = core_genome.fetch("X", 5113285, 5115215)
    return var(YN10, 5113285, 5115215, ref.upper(), "")


def test_G1_snv_plus_set(core_genome: Genome) -> None:
    result = embed(c42d8_1(), [var("g1", 5111135, 5111135, "G", "A")], core_genome)
    assert positions(result) == [(508, 508)]


def test_G2_snv_minus_set_complemented(core_genome: Genome) -> None:
    result = embed(c42d8_8b(), [var("g2", 5114224, 5114224, "C", "T")], core_genome)
    assert positions(result) == [(1129, 1129)]
    assert result.sequence[1128] == "A"
    assert c42d8_8b().read(core_genome)[1128].upper() == "G"


def test_G3_insertion_plus_set(core_genome: Genome) -> None:
    result = embed(c42d8_1(), [var("g3", 5110816, 5110817, "", "AAA")], core_genome)
    assert result.sequence[369:380] == "ATCC" + "AAA" + "TTCT"
    assert positions(result) == [(374, 376)]


def test_G4_insertion_minus_set(core_genome: Genome) -> None:
    reference = c42d8_8b().read(core_genome)
    result = embed(c42d8_8b(), [var("g4", 5114775, 5114776, "", "GGC")], core_genome)
    assert reference[766:772] == "ATTTTA"
    assert result.sequence[766:775] == "ATTGCCTTA"
    assert positions(result) == [(770, 772)]


def test_G5_deletion_plus_set(core_genome: Genome) -> None:
    result = embed(c42d8_1(), [var("g5", 5110815, 5110818, "CCTT", "")], core_genome)
    assert positions(result) == [(371, 372)]


def test_G6_deletion_minus_set(core_genome: Genome) -> None:
    reference = c42d8_8b().read(core_genome)
    result = embed(c42d8_8b(), [var("g6", 5114776, 5114778, "AAT", "")], core_genome)
    assert "CGATTTTAA" in reference
    start = reference.index("CGATTTTAA")
    assert result.sequence[start : start + 6] == "CGTTAA"
    assert positions(result) == [(766, 767)]


def test_G7_deletion_removing_cds_end(core_genome: Genome) -> None:
    ref = core_genome.fetch("X", 5112487, 5113307)
    reference = c42d8_8b().read(core_genome)
    result = embed(c42d8_8b(), [var("g7", 5112487, 5113307, ref, "")], core_genome)
    assert len(reference) == 2055
    assert result.sequence == reference[:1847]
    assert positions(result) == [(1847, 1848)]


def test_G8_deletion_spanning_exons_fused(core_genome: Genome, yn10: Variant) -> None:
    result = embed(c42d8_8b(), [yn10], core_genome)
    assert positions(result) == [(518, 519)]


def test_G9_deletion_and_two_snvs_in_transcript_order(core_genome: Genome, yn10: Variant) -> None:
    snv_a = var("a", 5115346, 5115346, "G", "A")
    snv_b = var("b", 5113236, 5113236, "G", "C")
    result = embed(c42d8_8b(), [snv_b, yn10, snv_a], core_genome)
    assert positions(result) == [(388, 388), (518, 519), (567, 567)]
    assert [ev.variant.variant_id for ev in result.variants] == ["a", YN10, "b"]


def test_G10_frameshift_insertion_in_frame_version(core_genome: Genome) -> None:
    result = embed(c42d8_1(), [var("g10", 5110816, 5110817, "", "AA")], core_genome)
    assert positions(result) == [(374, 375)]
    assert result.in_frame().sequence == result.sequence[:-2]


def test_G11_sub_range_in_frame(core_genome: Genome) -> None:
    sub = c42d8_1().sub_range(2, 759)
    ins = var("g11", 5110816, 5110817, "", "AA")
    full = embed(sub, [ins], core_genome)
    in_frame = embed(sub.in_frame_window(), [ins], core_genome).in_frame()
    assert positions(in_frame) == [(371, 372)]
    assert in_frame.sequence == full.sequence[2:-2]


def test_G12_unmasked_flag(core_genome: Genome) -> None:
    snv = var("g12", 5111135, 5111135, "G", "A")
    masked = embed(c42d8_1(), [snv], core_genome)
    unmasked = embed(c42d8_1(), [snv], core_genome, unmasked=True)
    assert masked.sequence != masked.sequence.upper()
    assert unmasked.sequence == masked.sequence.upper()


# --- docs/cases.md, "J. Trim rule T" --------------------------------------------------------------

SUB = EmbeddedVariant(var("s", 1, 1, "A", "C"), 130, 130, 1, 1)
DEL = EmbeddedVariant(var("d", 1, 1358, "A" * 1358, ""), 172, 173, 1358, 0)


@pytest.mark.parametrize(
    ("case", "end", "expected"),
    [("J1", 172, (SUB,)), ("J2", 150, (SUB,)), ("J3", 173, (SUB, DEL)), ("J4", 180, (SUB, DEL))],
)
def test_J_trim_rule(case: str, end: int, expected: tuple[EmbeddedVariant, ...]) -> None:
    assert trim([SUB, DEL], end) == expected


def test_J_trim_rule_clips_ends() -> None:
    long_sub = EmbeddedVariant(var("s", 1, 3, "AAA", "CCC"), 10, 14, 5, 5)
    assert trim([long_sub], 12) == (EmbeddedVariant(long_sub.variant, 10, 12, 5, 5),)
