"""Request-validation cases that concern the algorithm (docs/cases.md, cases A10-A15 and A19):
fatal region problems."""

from __future__ import annotations

import pytest
from pavi_seq_retrieval.model import Genome, Region, RetrievalError, Variant
from pavi_seq_retrieval.retrieval import RetrievalInput, retrieve

E = [Region(11, 30), Region(46, 65), Region(81, 101)]
C = [Region(21, 30, 0), Region(46, 65, 2), Region(81, 86, 0)]


def test_A10_cds_regions_without_frame_are_fatal(core_k_genome: Genome) -> None:
    cds = [Region(21, 30), Region(46, 65), Region(81, 86)]  # the "a..b" string form
    with pytest.raises(RetrievalError, match="undefined frame property") as caught:
        retrieve(RetrievalInput("A10", "chr1", "+", E, cds, []), core_k_genome)
    assert caught.value.field == "cds_seq_regions"
    assert "21..30" in caught.value.message


def test_A11_cds_regions_partly_without_frame_are_fatal(core_k_genome: Genome) -> None:
    cds = [Region(21, 30, 0), Region(46, 65), Region(81, 86, 0)]
    with pytest.raises(RetrievalError, match="undefined frame property") as caught:
        retrieve(RetrievalInput("A11", "chr1", "+", E, cds, []), core_k_genome)
    assert caught.value.field == "cds_seq_regions"


def test_A12_non_triplet_frames_are_fatal(core_k_genome: Genome) -> None:
    cds = [Region(21, 30, 0), Region(46, 65, 1), Region(81, 86, 0)]
    with pytest.raises(RetrievalError, match="Non-triplet frame definition") as caught:
        retrieve(RetrievalInput("A12", "chr1", "+", E, cds, []), core_k_genome)
    assert caught.value.field == "cds_seq_regions"
    assert "46..65" in caught.value.message


@pytest.mark.parametrize("field", ["exon_seq_regions", "cds_seq_regions"])
def test_A13_plus_strand_end_before_start_is_fatal(core_k_genome: Genome, field: str) -> None:
    exons = [Region(30, 11)] if field == "exon_seq_regions" else E
    cds = [Region(30, 21, 0)] if field == "cds_seq_regions" else []
    with pytest.raises(RetrievalError, match="Unexpected position order") as caught:
        retrieve(RetrievalInput("A13", "chr1", "+", exons, cds, []), core_k_genome)
    assert caught.value.field == field
    assert "30..11" in caught.value.message or "30..21" in caught.value.message


def test_A14_minus_strand_region_order_is_free(core_k_genome: Genome) -> None:
    reversed_ = RetrievalInput("A14", "chr3", "-", [Region(101, 82)], [], [])
    forward = RetrievalInput("A14", "chr3", "-", [Region(82, 101)], [], [])
    first, second = retrieve(reversed_, core_k_genome), retrieve(forward, core_k_genome)
    assert first == second
    full = RetrievalInput(
        "A14",
        "chr3",
        "-",
        [Region(101, 82), Region(47, 66), Region(31, 11)],
        [Region(82, 91, 0), Region(66, 47, 2), Region(26, 31, 0)],
        [],
    )
    assert retrieve(full, core_k_genome).fasta == ">A14\nMAAKGPFETWQ\n"


def test_A15_empty_exon_list_is_fatal(core_k_genome: Genome) -> None:
    with pytest.raises(RetrievalError, match="at least one exon") as caught:
        retrieve(RetrievalInput("A15", "chr1", "+", [], C, []), core_k_genome)
    assert caught.value.field == "exon_seq_regions"


def test_A19_duplicate_variant_processed_once(
    core_k_genome: Genome, core_k_variants: dict[str, Variant]
) -> None:
    snv1 = core_k_variants["snv1"]
    once = retrieve(RetrievalInput("A19", "chr1", "+", E, C, [snv1]), core_k_genome)
    twice = retrieve(RetrievalInput("A19", "chr1", "+", E, C, [snv1, snv1]), core_k_genome)
    assert twice == once
    assert once.fasta == ">A19_ref\nMAAKGPFETWQ\n>A19_alt\nMDAKGPFETWQ\n"


def test_frames_on_exons_are_ignored(core_k_genome: Genome) -> None:
    exons = [Region(11, 30, 2), Region(46, 65, 1), Region(81, 101, 0)]
    out = retrieve(RetrievalInput("X", "chr1", "+", exons, [], []), core_k_genome)
    assert out.fasta == ">X\nMAAKGPFETWQ\n"


def test_region_problems_are_fatal_before_any_read() -> None:
    class NoReads:
        def fetch(self, seq_id: str, start: int, end: int) -> str:
            raise AssertionError("no genome read expected")

    with pytest.raises(RetrievalError):
        retrieve(RetrievalInput("X", "chr1", "+", E, [Region(21, 30)], []), NoReads())
