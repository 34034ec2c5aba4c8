"""docs/cases.md, "H. Alternative coding sequence and protein" and "I. Protein positions"."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pavi_seq_retrieval.alternative import alternative_coding, alternative_protein, to_protein
from pavi_seq_retrieval.coding import Coding, reference_coding
from pavi_seq_retrieval.embedding import EmbeddedVariant, embed
from pavi_seq_retrieval.model import (
    NO_ORF,
    START_CODON_CHANGED,
    STOP_LOST,
    Genome,
    RecordedError,
    Region,
    Strand,
    Variant,
)
from pavi_seq_retrieval.regions import RegionSet
from pavi_seq_retrieval.retrieval import RetrievalInput, retrieve
from pavi_seq_retrieval.translate import translate

ZC506_EXONS = [
    (9975783, 9976017), (9973922, 9974005), (9973799, 9973834), (9973090, 9973196),
    (9972951, 9973032), (9972797, 9972906), (9972486, 9972674), (9972331, 9972440),
    (9972101, 9972215), (9971651, 9972022), (9971183, 9971279), (9970990, 9971137),
    (9970778, 9970941), (9970619, 9970720), (9970339, 9970577), (9969791, 9970049),
    (9969676, 9969748), (9969386, 9969633), (9969191, 9969336), (9968517, 9968788),
]  # fmt: skip
ZC506_CDS = [
    (9975783, 9975791, 0), (9973922, 9974005, 0), (9973799, 9973834, 0), (9973090, 9973196, 0),
    (9972951, 9973032, 1), (9972797, 9972906, 0), (9972486, 9972674, 1), (9972331, 9972440, 1),
    (9972101, 9972215, 2), (9971651, 9972022, 1), (9971183, 9971279, 1), (9970990, 9971137, 0),
    (9970778, 9970941, 2), (9970619, 9970720, 0), (9970339, 9970577, 0), (9969791, 9970049, 1),
    (9969676, 9969748, 0), (9969386, 9969633, 2), (9969191, 9969336, 0), (9968629, 9968788, 1),
]  # fmt: skip
C42D8_1_CDS = [
    (5109510, 5109644, 0), (5110473, 5110556, 0), (5110610, 5110708, 0), (5110762, 5110869, 0),
    (5111054, 5111200, 0), (5111250, 5111309, 0), (5111423, 5111473, 0), (5112256, 5112330, 0),
]  # fmt: skip
C42D8_1_EXONS = [(5109506, 5109644), *[c[:2] for c in C42D8_1_CDS[1:7]], (5112256, 5112426)]
C42D8_8B = [
    (5116799, 5116864, 0), (5116171, 5116338, 0), (5115556, 5115682, 0), (5115139, 5115372, 2),
    (5114910, 5115002, 2), (5114723, 5114856, 2), (5114374, 5114583, 0), (5114124, 5114320, 0),
    (5113898, 5114080, 1), (5113650, 5113848, 1), (5113469, 5113591, 0), (5113100, 5113420, 0),
]  # fmt: skip
B0334_CDS = [
    (11526882, 11527054, 0), (11526510, 11526795, 1), (11525897, 11526457, 0),
    (11524572, 11525848, 0), (11523640, 11523900, 1), (11523214, 11523588, 1),
    (11521118, 11521468, 1), (11520548, 11520680, 1), (11519708, 11519839, 0),
]  # fmt: skip
B0334_EXONS = [c[:2] for c in B0334_CDS[:-1]] + [(11519328, 11519839)]
T09A5_EXONS = [
    (7860659, 7860799), (7860846, 7861463), (7861512, 7862565), (7862614, 7862728),
    (7862780, 7862988), (7863097, 7863557),
]  # fmt: skip
T09A5_CDS = [
    (7860660, 7860799, 0), (7860846, 7861463, 1), (7861512, 7862565, 1), (7862614, 7862728, 0),
    (7862780, 7862988, 2), (7863097, 7863426, 0),
]  # fmt: skip


class Transcript:
    """Exon set, CDS set and reference coding of one fixture transcript."""

    def __init__(
        self,
        genome: Genome,
        seq_id: str,
        strand: Strand,
        exons: Sequence[tuple[int, ...]],
        cds: Sequence[tuple[int, ...]],
    ) -> None:
        self.genome = genome
        self.exons = RegionSet.build(
            seq_id, strand, [Region(*e[:2]) for e in exons], field="e", keep_frames=False
        )
        cds_set = RegionSet.build(
            seq_id, strand, [Region(*c) for c in cds], field="c", keep_frames=True
        )
        self.coding: Coding = reference_coding(self.exons, cds_set, genome)

    def alt(self, *variants: Variant) -> tuple[str, list[tuple[int, int]]]:
        found = alternative_coding(self.coding, self.exons, variants, self.genome)
        return found.sequence, [(ev.start, ev.end) for ev in found.variants]

    def protein(self, *variants: Variant) -> tuple[str, list[tuple[int, int]]]:
        result = alternative_protein(self.coding, self.exons, variants, self.genome)
        return result.protein, [(ev.start, ev.end) for ev in result.variants]

    def error(self, *variants: Variant) -> str:
        with pytest.raises(RecordedError) as caught:
            alternative_protein(self.coding, self.exons, variants, self.genome)
        return caught.value.message


@pytest.fixture(scope="module")
def zc506(core_genome: Genome) -> Transcript:
    return Transcript(core_genome, "X", "-", ZC506_EXONS, ZC506_CDS)


@pytest.fixture(scope="module")
def c42d8_1(core_genome: Genome) -> Transcript:
    return Transcript(core_genome, "X", "+", C42D8_1_EXONS, C42D8_1_CDS)


@pytest.fixture(scope="module")
def c42d8_8b(core_genome: Genome) -> Transcript:
    return Transcript(core_genome, "X", "-", C42D8_8B, C42D8_8B)


def snv(pos: int, ref: str, alt: str, seq_id: str = "X") -> Variant:
    return Variant(f"{seq_id}:{pos}{ref}>{alt}", seq_id, pos, pos + len(ref) - 1, ref, alt)


def ins(start: int, alt: str, seq_id: str = "X") -> Variant:
    return Variant(f"{seq_id}:{start}ins{alt}", seq_id, start, start + 1, "", alt)


def test_H1_missense(zc506: Transcript, core_genome: Genome) -> None:
    variant = snv(9972192, "C", "T")
    transcript = embed(zc506.exons, [variant], core_genome)
    assert [(ev.start, ev.end) for ev in transcript.variants] == [(977, 977)]
    assert zc506.alt(variant)[1] == [(751, 751)]
    protein, positions = zc506.protein(variant)
    assert positions == [(251, 251)]
    reference = translate(zc506.coding.sequence)
    assert reference[247:254] == "KKEARKK"  # residue 251 is the A
    assert protein[247:254] == "KKETRKK"
    assert protein[:250] == reference[:250]
    assert protein[251:] == reference[251:]


def test_H2_no_variants_gives_reference(zc506: Transcript) -> None:
    assert zc506.protein() == (translate(zc506.coding.sequence), [])


def test_H3_start_codon_snv(zc506: Transcript) -> None:
    assert zc506.error(snv(9975791, "T", "A")) == START_CODON_CHANGED


def test_H4_stop_loss_minus_strand_extension(zc506: Transcript) -> None:
    sequence, positions = zc506.alt(snv(9968631, "A", "T"))
    assert sequence == zc506.coding.sequence[:2847] + "AGA" + (
        "ATGATATCCATTAATTTATTGTGCATATGTATCAATATACCTGATAACGAAAATTGTTTATCGATAATTCTTTCTTTTGATACGGAATGA"
    )
    assert positions == [(2848, 2848)]


def test_H5_stop_loss_plus_strand_extension(c42d8_1: Transcript) -> None:
    sequence, positions = c42d8_1.alt(snv(5112328, "T", "A"))
    assert sequence == c42d8_1.coding.sequence[:756] + "AAA" + "TTCTGA"
    assert positions == [(757, 757)]


def test_H6_stop_loss_without_rescue(zc506: Transcript) -> None:
    assert zc506.error(snv(9968631, "A", "T"), snv(9968541, "A", "T")) == STOP_LOST


def test_H7_frameshift_early_stop(zc506: Transcript) -> None:
    sequence, positions = zc506.alt(snv(9973993, "T", ""))
    reference = zc506.coding.sequence
    assert sequence == reference[:21] + reference[22:25]
    assert len(sequence) == 24
    assert positions == [(21, 22)]


def test_H8_in_frame_insertion_inside_codon(core_genome: Genome) -> None:
    age1 = Transcript(core_genome, "II", "-", B0334_EXONS, B0334_CDS)
    variant = ins(11526137, "AATTTTTTCCGCTTTACGTTTTCTCCAAAACATCTGAAACATGAA", "II")
    assert age1.alt(variant)[1] == [(780, 824)]
    assert age1.protein(variant)[1] == [(260, 275)]


def test_H9_in_frame_insertion_between_codons(core_genome: Genome) -> None:
    lin5 = Transcript(core_genome, "II", "+", T09A5_EXONS, T09A5_CDS)
    variant = ins(7861782, "TATGAATAC", "II")
    assert lin5.alt(variant)[1] == [(1030, 1038)]
    assert lin5.protein(variant)[1] == [(344, 346)]


@pytest.mark.parametrize(
    ("case", "variant", "coding", "protein"),
    [
        ("H10", Variant("h10", "X", 5116859, 5116860, "CG", "A"), (5, 6), (2, 2)),
        ("H11", Variant("h11", "X", 5116860, 5116860, "G", "AA"), (5, 6), (2, 2)),
        ("H12", Variant("h12", "X", 5116858, 5116859, "CC", "A"), (6, 7), (2, 3)),
        ("H13", Variant("h13", "X", 5116859, 5116859, "C", "AA"), (6, 7), (2, 3)),
    ],
)
def test_H10_to_H13_indels_near_start(
    c42d8_8b: Transcript,
    case: str,
    variant: Variant,
    coding: tuple[int, int],
    protein: tuple[int, int],
) -> None:
    assert c42d8_8b.alt(variant)[1] == [coding]
    assert c42d8_8b.protein(variant)[1] == [protein]


def test_H14_insertion_introducing_stop(c42d8_8b: Transcript) -> None:
    variant = ins(5116858, "GCCTCAGCG")
    assert c42d8_8b.alt(variant)[1] == [(7, 12)]
    assert c42d8_8b.protein(variant) == ("MTR", [(3, 4)])


def test_H15_utr_only_transcript_has_no_orf(core_genome: Genome) -> None:
    inp = RetrievalInput("H15", "X", "-", [Region(5780713, 5780722)], [], [snv(5780719, "A", "C")])
    out = retrieve(inp, core_genome)
    assert out.fasta is None
    assert out.errors == {"H15_ref": NO_ORF, "H15_alt": NO_ORF}


# --- docs/cases.md, "I. Protein positions": coding -> protein positions ---------------------------

SUBSTITUTION = Variant("s", "X", 1, 1, "A", "C")
INSERTION = Variant("i", "X", 1, 2, "", "A")
DELETION = Variant("d", "X", 1, 1, "A", "")
INDEL = Variant("x", "X", 1, 1, "A", "CC")


def protein_of(
    variant: Variant, start: int, end: int, ref_len: int, alt_len: int
) -> tuple[int, int]:
    ev = to_protein(EmbeddedVariant(variant, start, end, ref_len, alt_len))
    return ev.start, ev.end


def test_I1_substitution() -> None:
    assert protein_of(SUBSTITUTION, 1129, 1129, 1, 1) == (377, 377)


@pytest.mark.parametrize(
    ("case", "start", "end", "alt_len", "expected"),
    [
        ("I2", 4, 4, 1, (2, 2)),
        ("I3", 4, 5, 2, (2, 2)),
        ("I4", 4, 6, 3, (2, 2)),
        ("I5a", 4, 7, 4, (2, 3)),
        ("I5b", 4, 8, 5, (2, 3)),
        ("I5c", 4, 9, 6, (2, 3)),
        ("I6a", 5, 5, 1, (2, 2)),
        ("I6b", 5, 6, 2, (2, 2)),
        ("I7a", 5, 7, 3, (2, 3)),
        ("I7b", 5, 8, 4, (2, 3)),
        ("I7c", 5, 9, 5, (2, 3)),
        ("I8a", 5, 10, 6, (2, 4)),
        ("I8b", 5, 11, 7, (2, 4)),
        ("I8c", 4, 12, 8, (2, 4)),
        ("I9", 6, 6, 1, (2, 2)),
        ("I10a", 6, 7, 2, (2, 3)),
        ("I10b", 6, 8, 3, (2, 3)),
        ("I10c", 6, 9, 4, (2, 3)),
        ("I11a", 6, 10, 5, (2, 4)),
        ("I11b", 6, 11, 6, (2, 4)),
        ("I11c", 6, 12, 7, (2, 4)),
        ("I12", 6, 13, 8, (2, 5)),
    ],
)
def test_I2_to_I12_insertions(
    case: str, start: int, end: int, alt_len: int, expected: tuple[int, int]
) -> None:
    assert protein_of(INSERTION, start, end, 0, alt_len) == expected


@pytest.mark.parametrize("ref_len", [1, 2, 4, 5, 7, 8])
def test_I13_deletion_junction_before_base_4(ref_len: int) -> None:
    assert protein_of(DELETION, 3, 4, ref_len, 0) == (2, 2)


@pytest.mark.parametrize("ref_len", [3, 6])
def test_I14_whole_codon_deletion_includes_preceding_residue(ref_len: int) -> None:
    assert protein_of(DELETION, 3, 4, ref_len, 0) == (1, 2)


@pytest.mark.parametrize("ref_len", range(1, 9))
def test_I15_I16_deletion_junction_inside_codon(ref_len: int) -> None:
    assert protein_of(DELETION, 4, 5, ref_len, 0) == (2, 2)
    assert protein_of(DELETION, 5, 6, ref_len, 0) == (2, 2)


def test_I17_whole_codon_deletion_spanning_exons() -> None:
    ev = to_protein(EmbeddedVariant(DELETION, 240, 241, 549, 0))
    assert (ev.start, ev.end, ev.ref_len, ev.alt_len) == (80, 81, 183, 0)


@pytest.mark.parametrize(
    ("case", "start", "end", "ref_len", "alt_len", "expected"),
    [
        ("I18", 5, 6, 2, 1, (2, 2)),
        ("I19", 5, 6, 1, 2, (2, 2)),
        ("I20a", 6, 7, 2, 1, (2, 3)),
        ("I20b", 6, 7, 1, 2, (2, 3)),
    ],
)
def test_I18_to_I20_indels(
    case: str, start: int, end: int, ref_len: int, alt_len: int, expected: tuple[int, int]
) -> None:
    assert protein_of(INDEL, start, end, ref_len, alt_len) == expected


@pytest.mark.parametrize(("length", "expected"), [(549, 183), (1358, 453), (3, 1), (2, 1), (0, 0)])
def test_I_embedded_lengths_become_codon_counts(length: int, expected: int) -> None:
    ev = to_protein(EmbeddedVariant(SUBSTITUTION, 1, 1, length, length))
    assert (ev.ref_len, ev.alt_len) == (expected, expected)


def test_I_whole_codon_deletion_after_base_0_gives_position_0_quirk() -> None:
    assert protein_of(DELETION, 0, 1, 3, 0) == (0, 1)
