"""One request entry to its FASTA and seqinfo texts: the algorithm's entry point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from pavi_seq_retrieval.alternative import alternative_protein
from pavi_seq_retrieval.coding import Coding, check_cds_frames, reference_coding
from pavi_seq_retrieval.embedding import EmbeddingError, embed
from pavi_seq_retrieval.model import (
    ALT_CODING_FAILED,
    ALT_TRANSCRIPT_FAILED,
    REF_CODING_FAILED,
    Genome,
    GenomeReadError,
    RecordedError,
    Region,
    RetrievalError,
    Strand,
    Variant,
)
from pavi_seq_retrieval.output import (
    Info,
    embedded_info,
    error_info,
    fasta_text,
    record_names,
    seqinfo_text,
)
from pavi_seq_retrieval.regions import RegionSet
from pavi_seq_retrieval.translate import translate

EXON_FIELD = "exon_seq_regions"
CDS_FIELD = "cds_seq_regions"


@dataclass(frozen=True)
class RetrievalInput:
    """One request entry, validated and with its variants fetched."""

    base_seq_name: str
    seq_id: str
    strand: Strand
    exon_regions: Sequence[Region]
    cds_regions: Sequence[Region]
    variants: Sequence[Variant]  # de-duplicated by id; empty = no variants requested
    alt_seq_name_suffix: str = "_alt"
    output_type: Literal["protein", "transcript"] = "protein"
    unmasked: bool = False


@dataclass(frozen=True)
class RetrievalOutput:
    """Exact texts of the entry's output files."""

    fasta: str | None  # None = no FASTA file is written
    seqinfo: str  # one line, no trailing newline
    errors: Mapping[str, str]  # record name -> recorded error string
    #: record name -> what really went wrong behind a recorded error, where the original's
    #: string does not say (e.g. the genome read that failed); logged, never in the seqinfo
    causes: Mapping[str, str] = field(default_factory=dict)


def retrieve(inp: RetrievalInput, genome: Genome) -> RetrievalOutput:
    """Compute the entry's outputs; fatal region problems raise RetrievalError."""
    if not inp.exon_regions:
        raise RetrievalError("must hold at least one exon region", EXON_FIELD)
    exons = RegionSet.build(
        inp.seq_id, inp.strand, inp.exon_regions, field=EXON_FIELD, keep_frames=False
    )
    cds = RegionSet.build(
        inp.seq_id, inp.strand, inp.cds_regions, field=CDS_FIELD, keep_frames=True
    )
    check_cds_frames(cds)
    unique: dict[str, Variant] = {}
    for variant in inp.variants:
        unique.setdefault(variant.variant_id, variant)
    inp = replace(inp, variants=tuple(unique.values()))
    if inp.output_type == "transcript":
        return _transcript(inp, exons, genome)
    return _protein(inp, exons, cds, genome)


@dataclass
class _Outcome:
    sequence: str | None = None
    error: str | None = None
    info: Info = None
    cause: str | None = None


def _read_cause(exc: BaseException) -> str | None:
    """The failed genome read behind a recorded error, if that is what it was."""
    cause = exc if isinstance(exc, GenomeReadError) else exc.__cause__
    return str(cause) if isinstance(cause, GenomeReadError) else None


def _protein(
    inp: RetrievalInput, exons: RegionSet, cds: RegionSet, genome: Genome
) -> RetrievalOutput:
    ref, alt = _Outcome(), _Outcome()
    coding: Coding | None = None
    try:
        coding = reference_coding(exons, cds, genome)
    except GenomeReadError as exc:
        ref.error, alt.error = REF_CODING_FAILED, ALT_CODING_FAILED
        ref.cause = alt.cause = str(exc)
    except RecordedError as exc:  # no ORF
        ref.error = alt.error = exc.message
    if coding is not None:
        try:
            ref.sequence = translate(coding.sequence)
        except RecordedError as exc:
            ref.error = exc.message
        if inp.variants:
            try:
                result = alternative_protein(coding, exons, inp.variants, genome)
                alt.sequence, alt.info = result.protein, embedded_info(result.variants)
            except RecordedError as exc:
                alt.error, alt.cause = exc.message, _read_cause(exc)
    ref.info = {} if ref.error is None else error_info(ref.error)
    if alt.error is not None:
        alt.info = error_info(alt.error)
    return _assemble(inp, ref, alt)


def _transcript(inp: RetrievalInput, exons: RegionSet, genome: Genome) -> RetrievalOutput:
    try:
        reference = exons.read(genome)
    except GenomeReadError as exc:
        # QUIRK (docs/retrieval.md, "Transcript output error placement"): a failing reference
        # read is fatal in transcript mode.
        raise RetrievalError(f"cannot read the transcript sequence: {exc}", EXON_FIELD) from exc
    ref = _Outcome(reference.upper() if inp.unmasked else reference, info={})
    alt = _Outcome()
    if inp.variants:
        try:
            result = embed(exons, inp.variants, genome, unmasked=inp.unmasked)
            alt.sequence, alt.info = result.sequence, embedded_info(result.variants)
        except (EmbeddingError, GenomeReadError) as exc:
            # QUIRK (docs/retrieval.md, "Transcript output error placement"): the error lands
            # on the reference key, the alternative gets null.
            ref.error, ref.info = ALT_TRANSCRIPT_FAILED, error_info(ALT_TRANSCRIPT_FAILED)
            ref.cause = _read_cause(exc)
    return _assemble(inp, ref, alt)


def _assemble(inp: RetrievalInput, ref: _Outcome, alt: _Outcome) -> RetrievalOutput:
    with_variants = bool(inp.variants)
    ref_name, alt_name = record_names(inp.base_seq_name, inp.alt_seq_name_suffix, with_variants)
    records = [(ref_name, ref.sequence)] if ref.sequence is not None else []
    entries: list[tuple[str, Info]] = [(ref_name, ref.info)]
    errors: dict[str, str] = {}
    causes: dict[str, str] = {}
    if ref.error is not None:
        errors[ref_name] = ref.error
        if ref.cause is not None:
            causes[ref_name] = ref.cause
    if with_variants:
        if alt.sequence is not None:
            records.append((alt_name, alt.sequence))
        entries.append((alt_name, alt.info))
        if alt.error is not None:
            errors[alt_name] = alt.error
            if alt.cause is not None:
                causes[alt_name] = alt.cause
        elif alt_name in errors and alt.sequence is not None:
            del errors[alt_name]  # `_ref` suffix: the alternative's info overwrote the key
            causes.pop(alt_name, None)
    return RetrievalOutput(fasta_text(records), seqinfo_text(entries), errors, causes)
