"""The synthetic golden set (docs/cases.md, "K. Synthetic golden set"), through `retrieve`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

import pytest
from pavi_seq_retrieval.model import (
    ALT_FAILED,
    NO_ORF,
    REF_CODING_FAILED,
    START_CODON_CHANGED,
    STOP_LOST,
    TRANSLATION_FAILED,
    Genome,
    Region,
    RetrievalError,
    Strand,
    Variant,
)
from pavi_seq_retrieval.retrieval import RetrievalInput, RetrievalOutput, retrieve

E = [Region(11, 30), Region(46, 65), Region(81, 101)]
C = [Region(21, 30, 0), Region(46, 65, 2), Region(81, 86, 0)]
EN = [Region(101, 82), Region(66, 47), Region(31, 11)]
CN = [Region(91, 82, 0), Region(66, 47, 2), Region(31, 26, 0)]
EXONS_PAST_END = [Region(11, 30), Region(46, 65), Region(81, 200)]
REF = "MAAKGPFETWQ"
ALT_UNKNOWN = "Unkown error occured while retrieving coding sequence."

Ev = tuple[str, str, int, int, int, int]


@pytest.fixture
def run(
    core_k_genome: Genome, core_k_variants: dict[str, Variant]
) -> Any:  # a callable; Any keeps the fixture signature short
    def _run(
        name: str,
        seq_id: str = "chr1",
        exons: Sequence[Region] = E,
        cds: Sequence[Region] = C,
        variants: Sequence[str] = (),
        suffix: str = "_alt",
        strand: Strand = "+",
        output_type: Literal["protein", "transcript"] = "protein",
        unmasked: bool = False,
    ) -> RetrievalOutput:
        inp = RetrievalInput(
            base_seq_name=name,
            seq_id=seq_id,
            strand=strand,
            exon_regions=exons,
            cds_regions=cds,
            variants=[core_k_variants[v] for v in variants],
            alt_seq_name_suffix=suffix,
            output_type=output_type,
            unmasked=unmasked,
        )
        return retrieve(inp, core_k_genome)

    return _run


def records(out: RetrievalOutput) -> list[tuple[str, str]] | None:
    """FASTA records as (name, sequence), None when no FASTA."""
    if out.fasta is None:
        return None
    assert out.fasta.endswith("\n")
    lines = out.fasta[:-1].split("\n")
    assert len(lines) % 2 == 0
    return [(lines[i][1:], lines[i + 1]) for i in range(0, len(lines), 2)]


def info(out: RetrievalOutput) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(out.seqinfo)
    assert out.seqinfo == json.dumps(parsed)
    return parsed


def evs(out: RetrievalOutput, key: str) -> list[Ev]:
    return [
        (
            ev["variant_id"],
            ev["seq_substitution_type"],
            ev["seq_start_pos"],
            ev["seq_end_pos"],
            ev["embedded_ref_seq_len"],
            ev["embedded_alt_seq_len"],
        )
        for ev in info(out)[key]["embedded_variants"]
    ]


def alt_error(out: RetrievalOutput, key: str) -> str:
    return str(info(out)[key]["error"])


def test_S01_cds_mode_no_variants(run: Any) -> None:
    out = run("S01")
    assert out.fasta == ">S01\nMAAKGPFETWQ\n"
    assert out.seqinfo == '{"S01": {}}'
    assert out.errors == {}


def test_S02_orf_mode(run: Any) -> None:
    out = run("S02", cds=[])
    assert out.fasta == ">S02\nMAAKGPFETWQ\n"
    assert out.seqinfo == '{"S02": {}}'


def test_S03_snv_with_suffix_exact_texts(run: Any) -> None:
    out = run("S03", variants=["snv1"], suffix="_snv1")
    assert out.fasta == ">S03_ref\nMAAKGPFETWQ\n>S03_snv1\nMDAKGPFETWQ\n"
    assert out.seqinfo == (
        '{"S03_ref": {}, "S03_snv1": {"embedded_variants": [{"variant_id": "snv1", '
        '"genomic_seq_id": "chr1", "genomic_start_pos": 25, "genomic_end_pos": 25, '
        '"seq_length": 1, "genomic_ref_seq": "C", "genomic_alt_seq": "A", '
        '"seq_substitution_type": "substitution", "seq_start_pos": 2, "seq_end_pos": 2, '
        '"embedded_ref_seq_len": 1, "embedded_alt_seq_len": 1}]}}'
    )


def test_S04_snv_orf_mode(run: Any) -> None:
    out = run("S04", cds=[], variants=["snv1"])
    assert records(out) == [("S04_ref", REF), ("S04_alt", "MDAKGPFETWQ")]
    assert evs(out, "S04_alt") == [("snv1", "substitution", 2, 2, 1, 1)]


@pytest.mark.parametrize(
    ("case", "variant"), [("S05", "utr5"), ("S06", "intr"), ("S07", "otherchr")]
)
def test_S05_S06_S07_variants_outside_coding_are_ignored(run: Any, case: str, variant: str) -> None:
    out = run(case, variants=[variant])
    assert records(out) == [(f"{case}_ref", REF), (f"{case}_alt", REF)]
    assert info(out)[f"{case}_alt"] == {"embedded_variants": []}


def test_S08_start_codon_snv_rejects_alternative(run: Any) -> None:
    out = run("S08", variants=["start"])
    assert records(out) == [("S08_ref", REF)]
    assert alt_error(out, "S08_alt") == START_CODON_CHANGED
    assert out.errors == {"S08_alt": START_CODON_CHANGED}


def test_S09_stop_gain(run: Any) -> None:
    out = run("S09", variants=["early2"])
    assert records(out) == [("S09_ref", REF), ("S09_alt", "MAA")]
    assert evs(out, "S09_alt") == [("early2", "substitution", 4, 4, 1, 1)]


def test_S10_variants_after_gained_stop_are_dropped(run: Any) -> None:
    out = run("S10", variants=["early2", "delG", "snv51"])
    assert records(out) == [("S10_ref", REF), ("S10_alt", "MAA")]
    assert evs(out, "S10_alt") == [("early2", "substitution", 4, 4, 1, 1)]


def test_S11_stop_loss_extends_into_utr(run: Any) -> None:
    out = run("S11", variants=["stoploss"])
    assert records(out) == [("S11_ref", REF), ("S11_alt", "MAAKGPFETWQQPGK")]
    assert evs(out, "S11_alt") == [("stoploss", "substitution", 12, 12, 1, 1)]


def test_S12_stop_loss_without_rescue(run: Any) -> None:
    out = run("S12", variants=["stoploss", "stop2loss"])
    assert records(out) == [("S12_ref", REF)]
    assert alt_error(out, "S12_alt") == STOP_LOST


def test_S13_codon_deletion(run: Any) -> None:
    out = run("S13", variants=["del3"])
    assert records(out) == [("S13_ref", REF), ("S13_alt", "MAKGPFETWQ")]
    variant = info(out)["S13_alt"]["embedded_variants"][0]
    assert variant == {
        "variant_id": "del3",
        "genomic_seq_id": "chr1",
        "genomic_start_pos": 27,
        "genomic_end_pos": 29,
        "seq_length": 3,
        "genomic_ref_seq": "GCA",
        "genomic_alt_seq": "",
        "seq_substitution_type": "deletion",
        "seq_start_pos": 2,
        "seq_end_pos": 3,
        "embedded_ref_seq_len": 1,
        "embedded_alt_seq_len": 0,
    }


def test_S14_frameshift_without_stop(run: Any) -> None:
    out = run("S14", variants=["del1"])
    assert records(out) == [("S14_ref", REF)]
    assert alt_error(out, "S14_alt") == STOP_LOST


def test_S15_deletion_into_intron_counts_exonic_bases_only(run: Any) -> None:
    out = run("S15", variants=["del_span"])
    assert records(out) == [("S15_ref", REF), ("S15_alt", "MAARAL")]
    assert evs(out, "S15_alt") == [("del_span", "deletion", 3, 3, 1, 0)]


def test_S16_deletion_fused_across_intron(run: Any) -> None:
    out = run("S16", variants=["del_span_inframe"])
    assert records(out) == [("S16_ref", REF), ("S16_alt", "MAAGPFETWQ")]
    assert evs(out, "S16_alt") == [("del_span_inframe", "deletion", 3, 4, 1, 0)]


def test_S17_insertion_inside_codon(run: Any) -> None:
    out = run("S17", variants=["ins3"])
    assert records(out) == [("S17_ref", REF), ("S17_alt", "METAKGPFETWQ")]
    variant = info(out)["S17_alt"]["embedded_variants"][0]
    assert (variant["genomic_start_pos"], variant["genomic_end_pos"], variant["seq_length"]) == (
        24,
        25,
        2,
    )
    assert (variant["genomic_ref_seq"], variant["genomic_alt_seq"]) == ("", "AAA")
    assert evs(out, "S17_alt") == [("ins3", "insertion", 2, 3, 0, 1)]


def test_S18_insertion_between_codons(run: Any) -> None:
    out = run("S18", variants=["ins3b"])
    assert records(out) == [("S18_ref", REF), ("S18_alt", "MAGAKGPFETWQ")]
    assert evs(out, "S18_alt") == [("ins3b", "insertion", 3, 3, 0, 1)]


def test_S19_insertion_at_exon_intron_junction_ignored_quirk(run: Any) -> None:
    out = run("S19", variants=["ins_edge"])
    assert records(out) == [("S19_ref", REF), ("S19_alt", REF)]
    assert evs(out, "S19_alt") == []


def test_S20_indel_longer_alt(run: Any) -> None:
    out = run("S20", variants=["indel_in"])
    assert records(out) == [("S20_ref", REF), ("S20_alt", "MFCKRAL")]
    assert evs(out, "S20_alt") == [("indel_in", "indel", 2, 2, 1, 1)]


def test_S21_indel_shorter_alt(run: Any) -> None:
    out = run("S21", variants=["indel_in2"])
    assert records(out) == [("S21_ref", REF), ("S21_alt", "MSKRAL")]
    assert evs(out, "S21_alt") == [("indel_in2", "indel", 2, 2, 1, 1)]


def test_S22_partially_overlapping_indel_fails(run: Any) -> None:
    out = run("S22", variants=["indel_part"])
    assert records(out) == [("S22_ref", REF)]
    assert alt_error(out, "S22_alt") == ALT_FAILED


def test_S23_reference_mismatch_fails(run: Any) -> None:
    out = run("S23", variants=["mism"])
    assert records(out) == [("S23_ref", REF)]
    assert alt_error(out, "S23_alt") == ALT_FAILED


def test_S24_overlapping_variants_fail(run: Any) -> None:
    out = run("S24", variants=["ov1", "ov2"])
    assert records(out) == [("S24_ref", REF)]
    assert alt_error(out, "S24_alt") == ALT_FAILED


def test_S25_mnv_fused_across_intron(run: Any) -> None:
    out = run("S25", variants=["mnv_span"])
    assert records(out) == [("S25_ref", REF), ("S25_alt", "MAAPGPFETWQ")]
    assert evs(out, "S25_alt") == [("mnv_span", "substitution", 3, 4, 2, 2)]


def test_S26_deletion_and_snv_in_transcript_order(run: Any) -> None:
    out = run("S26", variants=["del3", "snv1"])
    assert records(out) == [("S26_ref", REF), ("S26_alt", "MDKGPFETWQ")]
    assert evs(out, "S26_alt") == [
        ("snv1", "substitution", 2, 2, 1, 1),
        ("del3", "deletion", 2, 3, 1, 0),
    ]


def test_S27_orf_mode_soft_masked_start_quirk(run: Any) -> None:
    out = run("S27", seq_id="chr2", cds=[], variants=["snv_e2"])
    assert records(out) == [("S27_ref", REF)]
    assert alt_error(out, "S27_alt") == START_CODON_CHANGED


def test_S27_orf_mode_soft_masked_start_quirk_rejects_any_variant(run: Any) -> None:
    out = run("S27b", seq_id="chr2", cds=[], variants=["otherchr"])
    assert alt_error(out, "S27b_alt") == START_CODON_CHANGED


def test_S28_cds_mode_soft_masked_start_accepted(run: Any) -> None:
    out = run("S28", seq_id="chr2", variants=["snv_e2"])
    assert records(out) == [("S28_ref", REF), ("S28_alt", REF)]
    assert evs(out, "S28_alt") == [("snv_e2", "substitution", 5, 5, 1, 1)]


def test_S29_no_orf_no_fasta(run: Any) -> None:
    out = run("S29", exons=[Region(11, 20)], cds=[])
    assert out.fasta is None
    assert (
        out.seqinfo == '{"S29": {"error": "No open reading frames found in transcript sequence."}}'
    )
    assert out.errors == {"S29": NO_ORF}


def test_S30_no_orf_with_variant(run: Any) -> None:
    out = run("S30", exons=[Region(11, 20)], cds=[], variants=["snv1"])
    assert out.fasta is None
    assert info(out) == {"S30_ref": {"error": NO_ORF}, "S30_alt": {"error": NO_ORF}}


def test_S31_minus_strand(run: Any) -> None:
    out = run("S31", seq_id="chr3", strand="-", exons=EN, cds=CN)
    assert out.fasta == ">S31\nMAAKGPFETWQ\n"
    assert out.seqinfo == '{"S31": {}}'


def test_S32_minus_strand_regions_ascending(run: Any) -> None:
    exons = [Region(11, 31), Region(47, 66), Region(82, 101)]
    cds = [Region(26, 31, 0), Region(47, 66, 2), Region(82, 91, 0)]
    out = run("S32", seq_id="chr3", strand="-", exons=exons, cds=cds)
    assert out.fasta == ">S32\nMAAKGPFETWQ\n"
    assert out.seqinfo == '{"S32": {}}'


def test_S33_minus_strand_orf_mode(run: Any) -> None:
    out = run("S33", seq_id="chr3", strand="-", exons=EN, cds=[])
    assert out.fasta == ">S33\nMAAKGPFETWQ\n"


@pytest.mark.parametrize(
    ("case", "variants", "protein", "expected"),
    [
        ("S34", ["nsnv"], "MDAKGPFETWQ", [("nsnv", "substitution", 2, 2, 1, 1)]),
        ("S35", ["nins"], "METAKGPFETWQ", [("nins", "insertion", 2, 3, 0, 1)]),
        ("S36", ["ndel"], "MAKGPFETWQ", [("ndel", "deletion", 2, 3, 1, 0)]),
        (
            "S37",
            ["nsnv", "ndel"],
            "MDKGPFETWQ",
            [("nsnv", "substitution", 2, 2, 1, 1), ("ndel", "deletion", 2, 3, 1, 0)],
        ),
    ],
)
def test_S34_to_S37_minus_strand_variants(
    run: Any, case: str, variants: list[str], protein: str, expected: list[Ev]
) -> None:
    out = run(case, seq_id="chr3", strand="-", exons=EN, cds=CN, variants=variants)
    assert records(out) == [(f"{case}_ref", REF), (f"{case}_alt", protein)]
    assert evs(out, f"{case}_alt") == expected


def test_S38_first_codon_not_start_quirk(run: Any) -> None:
    cds = [Region(24, 30, 0), Region(46, 65, 2), Region(81, 86, 0)]
    out = run("S38", cds=cds, variants=["snv50"])
    assert records(out) == [("S38_ref", "AAKGPFETWQ")]
    assert alt_error(out, "S38_alt") == ALT_FAILED


def test_S39_cds_without_stop_quirk_extends(run: Any) -> None:
    cds = [Region(21, 30, 0), Region(46, 65, 2), Region(81, 83, 0)]
    out = run("S39", cds=cds, variants=["snv50"])
    assert records(out) == [("S39_ref", REF), ("S39_alt", REF)]
    assert evs(out, "S39_alt") == [("snv50", "substitution", 5, 5, 1, 1)]


def test_S40_first_frame_skips_bases(run: Any) -> None:
    cds = [Region(20, 30, 1), Region(46, 65, 2), Region(81, 86, 0)]
    out = run("S40", cds=cds)
    assert out.fasta == ">S40\nMAAKGPFETWQ\n"
    assert out.seqinfo == '{"S40": {}}'


def test_S41_unknown_seq_id(run: Any) -> None:
    out = run("S41", seq_id="chrZ")
    assert out.fasta is None
    assert out.seqinfo == (
        '{"S41": {"error": "Unexpected error occured during coding sequence retrieval."}}'
    )


def test_S42_orf_mode_exon_past_sequence_end(run: Any) -> None:
    out = run("S42", exons=EXONS_PAST_END, cds=[])
    assert out.fasta is None
    assert info(out) == {"S42": {"error": REF_CODING_FAILED}}


def test_S43_cds_without_frames_is_fatal(run: Any) -> None:
    cds = [Region(21, 30), Region(46, 65), Region(81, 86)]
    with pytest.raises(RetrievalError, match="undefined frame property") as caught:
        run("S43", cds=cds)
    assert caught.value.field == "cds_seq_regions"


def test_S44_non_triplet_frames_are_fatal(run: Any) -> None:
    cds = [Region(21, 30, 0), Region(46, 65, 1), Region(81, 86, 0)]
    with pytest.raises(RetrievalError, match="Non-triplet frame definition") as caught:
        run("S44", cds=cds)
    assert caught.value.field == "cds_seq_regions"


def test_S46_plus_strand_reversed_region_is_fatal(run: Any) -> None:
    with pytest.raises(RetrievalError, match="Unexpected position order") as caught:
        run("S46", exons=[Region(30, 11)], cds=[])
    assert caught.value.field == "exon_seq_regions"


def test_S48_unknown_seq_id_with_variant(
    core_k_genome: Genome,
) -> None:
    variant = Variant("chrZ:25C>A", "chrZ", 25, 25, "C", "A")
    inp = RetrievalInput("S48", "chrZ", "+", E, C, [variant])
    out = retrieve(inp, core_k_genome)
    assert out.fasta is None
    assert info(out) == {"S48_ref": {"error": REF_CODING_FAILED}, "S48_alt": {"error": ALT_UNKNOWN}}


def test_S49_ambiguous_base_fails_translation(core_k_genome: Genome) -> None:
    variant = Variant("chr4:25C>A", "chr4", 25, 25, "C", "A")
    out = retrieve(RetrievalInput("S49", "chr4", "+", E, C, [variant]), core_k_genome)
    assert out.fasta is None
    assert info(out) == {
        "S49_ref": {"error": TRANSLATION_FAILED},
        "S49_alt": {"error": TRANSLATION_FAILED},
    }


def test_S50_frame_check_skipped_after_short_first_part_quirk(run: Any) -> None:
    cds = [Region(20, 20, 2), Region(21, 30, 2), Region(46, 65, 2), Region(81, 86, 0)]
    out = run("S50", cds=cds)
    assert out.fasta == ">S50\nWLQKGPLKPGS\n"
    assert out.seqinfo == '{"S50": {}}'


def test_S51_ambiguous_base_after_stop_is_harmless(run: Any) -> None:
    out = run("S51", seq_id="chr5")
    assert out.fasta == ">S51\nM\n"
    assert out.seqinfo == '{"S51": {}}'


def test_S52_alternative_fixes_reference_translation(run: Any) -> None:
    out = run("S52", seq_id="chr4", variants=["fixN"])
    assert out.fasta == ">S52_alt\nMAAKGPFETWQ\n"
    assert alt_error(out, "S52_ref") == TRANSLATION_FAILED
    assert evs(out, "S52_alt") == [("fixN", "substitution", 3, 3, 1, 1)]
    assert out.errors == {"S52_ref": TRANSLATION_FAILED}


def test_S53_empty_protein_record(run: Any) -> None:
    out = run("S53", seq_id="chr7")
    assert out.fasta == ">S53\n\n"
    assert out.seqinfo == '{"S53": {}}'


def test_S54_ref_suffix_collision(run: Any) -> None:
    out = run("S54", variants=["snv1"], suffix="_ref")
    assert out.fasta == ">S54_ref\nMAAKGPFETWQ\n>S54_ref\nMDAKGPFETWQ\n"
    assert info(out) == {
        "S54_ref": {
            "embedded_variants": [
                {
                    "variant_id": "snv1",
                    "genomic_seq_id": "chr1",
                    "genomic_start_pos": 25,
                    "genomic_end_pos": 25,
                    "seq_length": 1,
                    "genomic_ref_seq": "C",
                    "genomic_alt_seq": "A",
                    "seq_substitution_type": "substitution",
                    "seq_start_pos": 2,
                    "seq_end_pos": 2,
                    "embedded_ref_seq_len": 1,
                    "embedded_alt_seq_len": 1,
                }
            ]
        }
    }


def test_S55_uppercase_allele_over_soft_masked_start_quirk(run: Any) -> None:
    out = run("S55", seq_id="chr2", variants=["startkeep2"])
    assert records(out) == [("S55_ref", REF)]
    assert alt_error(out, "S55_alt") == START_CODON_CHANGED


def test_S56_same_mnv_on_uppercase_start_accepted(run: Any) -> None:
    out = run("S56", variants=["startkeep"])
    assert records(out) == [("S56_ref", REF), ("S56_alt", "MDAKGPFETWQ")]
    assert evs(out, "S56_alt") == [("startkeep", "substitution", 1, 2, 1, 1)]


def test_S58_collision_quirk_is_deterministic(run: Any) -> None:
    first = run("S58", variants=["snv24", "ins3"])
    second = run("S58", variants=["ins3", "snv24"])
    assert first == second
    # Documented choice: the variant first in transcript order (shorter span first) wins.
    assert records(first) == [("S58_ref", REF), ("S58_alt", "MSAKGPFETWQ")]
    assert evs(first, "S58_alt") == [("snv24", "substitution", 2, 2, 1, 1)]


def test_S59_unchecked_second_part_then_failing_third_quirk(run: Any) -> None:
    cds = [Region(19, 20, 2), Region(21, 30, 1), Region(46, 65, 2), Region(81, 86, 0)]
    with pytest.raises(RetrievalError, match="Non-triplet frame definition"):
        run("S59", cds=cds)


def test_S60_cds_mode_does_not_read_exons(run: Any) -> None:
    out = run("S60", exons=EXONS_PAST_END)
    assert out.fasta == ">S60\nMAAKGPFETWQ\n"
    assert out.seqinfo == '{"S60": {}}'


def test_S61_cds_mode_alternative_does_not_read_exons(run: Any) -> None:
    out = run("S61", exons=EXONS_PAST_END, variants=["snv1"])
    assert records(out) == [("S61_ref", REF), ("S61_alt", "MDAKGPFETWQ")]
    assert evs(out, "S61_alt") == [("snv1", "substitution", 2, 2, 1, 1)]


def test_S62_stop_loss_extension_reads_unreadable_exon(run: Any) -> None:
    out = run("S62", exons=EXONS_PAST_END, variants=["stoploss"])
    assert records(out) == [("S62_ref", REF)]
    assert alt_error(out, "S62_alt") == ALT_FAILED


TRANSCRIPT_REF = "ccccccccccatggctgcaaAAGGGCCCTTTGAAACCTGGCAGTAACCCGGGAAATAGCCC"
TRANSCRIPT_ALT = "ccccccccccatggAAActgcaaAAGGTCCCTTTGAAACCTGGCAGTAACCCGGGAAATAGCCC"


def test_K_transcript_mode_nucleotide_positions(run: Any) -> None:
    out = run("T", seq_id="chr2", variants=["ins3_chr2", "snv_e2"], output_type="transcript")
    assert out.fasta == f">T_ref\n{TRANSCRIPT_REF}\n>T_alt\n{TRANSCRIPT_ALT}\n"
    assert info(out)["T_ref"] == {}
    assert evs(out, "T_alt") == [
        ("ins3_chr2", "insertion", 15, 17, 0, 3),
        ("snv_e2", "substitution", 28, 28, 1, 1),
    ]


def test_K_transcript_mode_unmasked(run: Any) -> None:
    out = run(
        "T",
        seq_id="chr2",
        variants=["ins3_chr2", "snv_e2"],
        output_type="transcript",
        unmasked=True,
    )
    assert out.fasta == f">T_ref\n{TRANSCRIPT_REF.upper()}\n>T_alt\n{TRANSCRIPT_ALT.upper()}\n"


def test_K_transcript_mode_without_variants(run: Any) -> None:
    out = run("T", seq_id="chr2", output_type="transcript")
    assert out.fasta == f">T\n{TRANSCRIPT_REF}\n"
    assert out.seqinfo == '{"T": {}}'


def test_K_transcript_mode_failing_alternative_quirk(run: Any) -> None:
    out = run("T", variants=["mism"], output_type="transcript")
    assert out.seqinfo == (
        '{"T_ref": {"error": "Unkown error occured while retrieving alternative transcript '
        'sequence."}, "T_alt": null}'
    )
    assert records(out) == [("T_ref", TRANSCRIPT_REF.upper())]


def test_K_transcript_mode_failing_reference_read_is_fatal_quirk(run: Any) -> None:
    with pytest.raises(RetrievalError, match="cannot read the transcript sequence"):
        run("T", seq_id="chrZ", output_type="transcript")
