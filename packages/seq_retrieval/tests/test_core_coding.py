"""docs/cases.md, "D. Coding sequence and translation", and the rules of docs/retrieval.md,
"Translation"."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pavi_seq_retrieval.coding import Coding, reference_coding
from pavi_seq_retrieval.model import (
    NO_ORF,
    TRANSLATION_FAILED,
    Genome,
    RecordedError,
    Region,
    Strand,
)
from pavi_seq_retrieval.regions import RegionSet
from pavi_seq_retrieval.retrieval import RetrievalInput, retrieve
from pavi_seq_retrieval.translate import first_stop, longest_orf, starts_with_start_codon, translate

C54H2_EXONS = [(5780644, 5780722), (5780278, 5780585), (5779920, 5780231), (5778875, 5779453)]
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
C42D8_8B = [
    (5116799, 5116864), (5116171, 5116338), (5115556, 5115682), (5115139, 5115372),
    (5114910, 5115002), (5114723, 5114856), (5114374, 5114583), (5114124, 5114320),
    (5113898, 5114080), (5113650, 5113848), (5113469, 5113591), (5113100, 5113420),
]  # fmt: skip
C42D8_8B_FRAMES = [0, 0, 0, 2, 2, 2, 0, 0, 1, 1, 0, 0]
C42D8_1_CDS = [
    (5109510, 5109644), (5110473, 5110556), (5110610, 5110708), (5110762, 5110869),
    (5111054, 5111200), (5111250, 5111309), (5111423, 5111473), (5112256, 5112330),
]  # fmt: skip
C42D8_1_EXONS = [(5109506, 5109644), *C42D8_1_CDS[1:7], (5112256, 5112426)]
B0334_EXONS = [
    (11526882, 11527054), (11526510, 11526795), (11525897, 11526457), (11524572, 11525848),
    (11523640, 11523900), (11523214, 11523588), (11521118, 11521468), (11520548, 11520680),
    (11519328, 11519839),
]  # fmt: skip
B0334_FRAMES = [0, 1, 0, 0, 1, 1, 1, 1, 0]
T09A5_EXONS = [
    (7860659, 7860799), (7860846, 7861463), (7861512, 7862565), (7862614, 7862728),
    (7862780, 7862988), (7863097, 7863557),
]  # fmt: skip
T09A5_CDS = [
    (7860660, 7860799, 0), (7860846, 7861463, 1), (7861512, 7862565, 1), (7862614, 7862728, 0),
    (7862780, 7862988, 2), (7863097, 7863426, 0),
]  # fmt: skip


def rset(
    seq_id: str, strand: Strand, regions: Sequence[tuple[int, ...]], frames: bool
) -> RegionSet:
    items = [
        Region(*r) if len(r) == 3 else Region(r[0], r[1], 0 if frames else None) for r in regions
    ]
    return RegionSet.build(seq_id, strand, items, field="f", keep_frames=frames)


def coding_of(
    genome: Genome,
    strand: Strand,
    exons: Sequence[tuple[int, ...]],
    cds: Sequence[tuple[int, ...]],
    seq_id: str = "X",
) -> Coding:
    return reference_coding(
        rset(seq_id, strand, exons, False), rset(seq_id, strand, cds, True), genome
    )


def test_D1_orf_search_finds_lowercase_stop() -> None:
    seq = "ATGATCTCGAAAAAGCACGTGGAATCGATGCACGCGTTGCCGGACCCtaaagaaactgaaatttga"
    assert longest_orf(seq) == (1, 66)


def test_D2_orf_mode_minus_strand(core_genome: Genome) -> None:
    coding = coding_of(core_genome, "-", C54H2_EXONS, [])
    assert translate(coding.sequence) == (
        "MNQFRAPGGQNEMLAKAEDAAEDFFRKTRTYLPHIARLCLVSTFLEDGIRMYFQWDDQKQFMQESWSCGWFIATLFVIYNFFGQFIPVL"
        "MIMLRKKVLVACGILASIVILQTIAYHILWDLKFLARNIAVGGGLLLLLAETQEEKASLFAGVPTMGDSNKPKSYMLLAGRVLLIFMFM"
        "SLMHFEMSFMQVLEIVVGFALITLVSIGYKTKLSAIVLVIWLFGLNLWLNAWWTIPSDRFYRDFMKYDFFQTMSVIGGLLLVIAYGPGG"
        "VSVDDYKKRW"
    )


def test_D3_no_orf_in_utr_only_transcript(core_genome: Genome) -> None:
    with pytest.raises(RecordedError) as caught:
        coding_of(core_genome, "-", [(5780713, 5780722)], [])
    assert caught.value.message == NO_ORF
    variant_inp = RetrievalInput("D3", "X", "-", [Region(5780713, 5780722)], [], [])
    out = retrieve(variant_inp, core_genome)
    assert out.fasta is None
    assert out.errors == {"D3": NO_ORF}


def test_D4_orf_mode_upstream_ttg_beats_annotated_atg(core_genome: Genome) -> None:
    exons = rset("X", "-", ZC506_EXONS, False)
    assert len(exons.read(core_genome)) == 3188
    coding = coding_of(core_genome, "-", ZC506_EXONS, [])
    assert coding.sequence.startswith("TTG")
    first = coding.region.parts[0]
    assert core_genome.fetch("X", first.end - 2, first.end).islower()  # soft-masked start
    protein = translate(coding.sequence)
    assert len(protein) == 960
    assert protein.startswith("LKTLFLFNTQIMVPKPPSIIRHMFS")
    assert protein.endswith("TSQPTSTSSAHDTFL")


def test_D5_cds_mode_same_transcript(core_genome: Genome) -> None:
    coding = coding_of(core_genome, "-", ZC506_EXONS, ZC506_CDS)
    assert len(coding.sequence) == 2850
    assert coding.sequence.startswith("ATGGTACCGaaaccCCC")
    assert coding.sequence.endswith("GATACTTTCTTATGA")
    protein = translate(coding.sequence)
    assert len(protein) == 949
    assert protein.startswith("MVPKPPSIIRHMFSVLALAIQILAN")
    assert protein.endswith("TSQPTSTSSAHDTFL")


def test_D6_transcript_equals_coding_sequence(core_genome: Genome) -> None:
    cds = [(s, e, f) for (s, e), f in zip(C42D8_8B, C42D8_8B_FRAMES, strict=True)]
    transcript = rset("X", "-", C42D8_8B, False).read(core_genome)
    coding = coding_of(core_genome, "-", C42D8_8B, cds)
    assert transcript == coding.sequence
    assert len(transcript) == 2055
    assert transcript.startswith("atgACGGTGG")
    assert transcript.endswith("GACTCGAAGGCCTAA")
    protein = translate(coding.sequence)
    assert len(protein) == 684
    assert protein.startswith("MTVGKLMIGLLIPILVATVYAEGSP")
    assert protein.endswith("NGYENPTYSFFDSKA")


def test_D7_plus_strand_cds(core_genome: Genome) -> None:
    assert len(rset("X", "+", C42D8_1_EXONS, False).read(core_genome)) == 859
    coding = coding_of(core_genome, "+", C42D8_1_EXONS, C42D8_1_CDS)
    assert len(coding.sequence) == 759
    assert coding.sequence.startswith("ATGTCGATGTATGGC")
    assert coding.sequence.endswith("CAAGAAACTTTCTAA")
    protein = translate(coding.sequence)
    assert len(protein) == 252
    assert protein.startswith("MSMYGKDKAYIENETKFRADRDYLS")
    assert protein.endswith("TNTKRSTDFIFQETF")


def test_D8_frames_on_minus_strand(core_genome: Genome) -> None:
    cds = [(s, e, f) for (s, e), f in zip(B0334_EXONS, B0334_FRAMES, strict=True)]
    cds[-1] = (11519708, 11519839, 0)
    coding = coding_of(core_genome, "-", B0334_EXONS, cds, seq_id="II")
    assert len(coding.sequence) == 3549
    assert coding.sequence.startswith("aTGTCTATGGG")
    assert coding.sequence.endswith("GTCAAACACTACTGA")
    protein = translate(coding.sequence)
    assert len(protein) == 1182
    assert protein.startswith("MSMGRSPSTTFRSRTGSHGARDLIA")
    assert protein.endswith("WSTKTNWLFHAVKHY")


def test_D9_frames_on_plus_strand(core_genome: Genome) -> None:
    coding = coding_of(core_genome, "+", T09A5_EXONS, T09A5_CDS, seq_id="II")
    assert len(coding.sequence) == 2466
    protein = translate(coding.sequence)
    assert len(protein) == 821
    assert protein.startswith("MSVSTSVVKSMLQLTNYFGSNFTPK")
    assert protein.endswith("NRRDSIFSAFSSKKQ")


def test_cds_mode_reads_only_cds_parts() -> None:
    class OnlyCds:
        def __init__(self) -> None:
            self.reads: list[tuple[str, int, int]] = []

        def fetch(self, seq_id: str, start: int, end: int) -> str:
            self.reads.append((seq_id, start, end))
            return "ATG" + "A" * (end - start - 2)

    genome = OnlyCds()
    coding_of(genome, "+", [(1, 100)], [(11, 19, 0)])
    assert genome.reads == [("X", 11, 19)]


# --- docs/retrieval.md, "Translation" -------------------------------------------------------------


def test_translation_stops_at_first_stop_without_star() -> None:
    assert translate("ATGGCTTAAGGG") == "MA"


def test_translation_non_atg_start_gives_L() -> None:
    assert translate("CTGAAATAA") == "LK"
    assert translate("TTGAAA") == "LK"


def test_translation_ignores_trailing_partial_codon_and_case() -> None:
    assert translate("atgGCtaa") == "MA"
    assert translate("ATGGC") == "M"


def test_translation_starting_with_stop_is_empty() -> None:
    assert translate("TAGATG") == ""
    assert translate("AT") == ""


@pytest.mark.parametrize("coding", ["ATGNCATAA", "ATGRCATAA", "ATGAAN"])
def test_translation_ambiguous_codon_before_stop_fails(coding: str) -> None:
    with pytest.raises(RecordedError) as caught:
        translate(coding)
    assert caught.value.message == TRANSLATION_FAILED


def test_translation_ambiguous_codon_after_stop_is_harmless() -> None:
    assert translate("ATGTAANCA") == "M"


def test_start_and_stop_codon_helpers() -> None:
    assert all(starts_with_start_codon(c) for c in ("ATG", "ctg", "Ttg"))
    assert not starts_with_start_codon("GTG")
    assert first_stop("ATGAAAtgaTAG") == 3
    assert first_stop("ATGAAAT") is None


def test_orf_search_ties_go_to_last_found() -> None:
    # frame 0: ATG AAA TAA (1..9); frame 1 after it: ATG CCC TGA at 11..19, same length.
    seq = "ATGAAATAAcATGCCCTGA"
    assert longest_orf(seq) == (11, 19)
    # within one frame the more 3' one wins
    assert longest_orf("ATGTAAATGTAA") == (7, 12)


def test_orf_search_each_orf_opens_at_first_start_after_stop() -> None:
    assert longest_orf("CTGATGAAATAG") == (1, 12)
    assert longest_orf("ATGAAA") is None
    assert longest_orf("TAAATG") is None
