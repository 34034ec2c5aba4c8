"""The merge job: seqinfo files from the work prefix + alignment → aligned_seq_info.json."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pavi_common_s3 as storage
from pavi_contracts.exits import EXIT_USAGE
from pavi_contracts.files import ALIGNED_SEQINFO, ALIGNMENT_OUTPUT, REPORT, SEQINFO_PATTERN
from pavi_contracts.harness import JobError, log
from pavi_contracts.jobs import MERGE

from pavi_seqinfo_align.clustal import AlignmentFormatError, read_clustal_rows
from pavi_seqinfo_align.merge import (
    MappingError,
    OutputValue,
    align_seqinfo,
    merge_seqinfo,
    to_json,
)
from pavi_seqinfo_align.models import SeqInfo, SeqInfoError, parse_seqinfo
from pavi_seqinfo_align.report import Alphabet, render_report
from pavi_seqinfo_align.report_job import provenance, write_report

JOB = MERGE.script
READ_WORKERS = 8
#: ``--seq-type`` (the alignment job's) -> the report's alphabet.
REPORT_ALPHABETS: dict[str | None, Alphabet] = {"protein": "protein", "dna": "nucleotide"}


@dataclass(frozen=True)
class MergeOptions:
    """What one merge needs: where the seqinfo files are, where the results go, the report."""

    work_prefix: str
    results_prefix: str
    #: Also write ``report.html``.
    report: bool = True
    #: The run's request (its sha256 goes into the report's provenance).
    request: str | None = None
    #: What was aligned (``protein`` or ``dna``): the report's alphabet; ``None`` detects it.
    seq_type: str | None = None


def run(options: MergeOptions) -> None:
    """Merge every ``*-seqinfo.json`` of the work prefix and write the aligned result, and
    ``report.html`` beside it unless the options turn it off."""
    work_prefix, results_prefix = options.work_prefix, options.results_prefix
    prov = provenance(options.request, results_prefix) if options.report else None
    uris = storage.list_uris(work_prefix, SEQINFO_PATTERN)
    if not uris:
        raise JobError(f"no {SEQINFO_PATTERN} files under {work_prefix}", EXIT_USAGE)
    log(JOB, "start", seqinfo_files=len(uris), work_prefix=work_prefix)
    merged = merge_seqinfo(zip(uris, _read_seqinfo_files(uris), strict=True))

    alignment_uri, text = _read_alignment(results_prefix)
    try:
        rows = read_clustal_rows(text)
    except AlignmentFormatError as err:
        raise JobError(f"{alignment_uri}: {err}") from None

    try:
        output = align_seqinfo(merged, rows)
    except MappingError as err:
        raise JobError(f"{alignment_uri}: {err}") from None
    missing = unaligned_variant_records(output)
    if missing:
        names = ", ".join(repr(name) for name in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise JobError(
            f"{alignment_uri}: {len(missing)} record{'s' if len(missing) > 1 else ''} with "
            f"embedded variants not in the alignment: {names}{more} (their positions cannot "
            "be mapped; was the alignment cut short, or a record name changed?)"
        )

    html = None  # rendered before anything is written: a failure leaves no output
    if prov is not None:
        seqinfo = {name: value.info for name, value in output.items()}
        html = render_report(text, seqinfo, prov, alphabet=REPORT_ALPHABETS.get(options.seq_type))
    output_uri = storage.join(results_prefix, ALIGNED_SEQINFO)
    # Together or not at all; aligned_seq_info.json (the run's result) last.
    outputs = [storage.Output(output_uri, json.dumps(to_json(output)).encode("utf-8"))]
    if html is not None:
        outputs.insert(0, storage.Output(storage.join(results_prefix, REPORT), html.encode()))
    storage.write_all(outputs)
    report_uri = None if html is None else str(outputs[0].uri)
    log(
        JOB,
        "done",
        records=len(output),
        alignment_rows=len(rows),
        aligned_records=sum(1 for value in output.values() if value.aligned_record),
        output=output_uri,
        report=report_uri,
    )


def run_report(results_prefix: str, request: str | None = None) -> None:
    """Write ``report.html`` again from the alignment and aligned_seq_info.json of a prefix."""
    prov = provenance(request, results_prefix)
    alignment_uri, text = _read_alignment(results_prefix)
    seqinfo_uri = storage.join(results_prefix, ALIGNED_SEQINFO)
    try:
        seqinfo = parse_seqinfo_file(seqinfo_uri, storage.read_bytes(seqinfo_uri))
    except storage.ObjectNotFound:
        raise JobError(f"{seqinfo_uri}: aligned seqinfo file not found", EXIT_USAGE) from None
    try:
        html = render_report(text, seqinfo, prov)
    except AlignmentFormatError as err:
        raise JobError(f"{alignment_uri}: {err}") from None
    log(JOB, "report", output=write_report(results_prefix, html))


def unaligned_variant_records(output: Mapping[str, OutputValue]) -> list[str]:
    """Records whose embedded variants needed alignment columns but have no alignment row.

    A record with ``embedded_variants`` (even ``[]``) was written to the FASTA, so clustalo
    must have aligned it; records kept out of the FASTA (errors) carry no variants, and
    already-aligned variants need no row (docs/merge.md, "Which records get alignment
    columns").
    """
    return [
        name
        for name, value in output.items()
        if value.info.embedded_variants is not None
        and not value.info.already_aligned
        and not value.aligned_record
    ]


def _read_alignment(results_prefix: str) -> tuple[str, str]:
    """URI and text of the prefix's Clustal alignment."""
    alignment_uri = storage.join(results_prefix, ALIGNMENT_OUTPUT)
    try:
        return alignment_uri, _decode(alignment_uri, storage.read_bytes(alignment_uri))
    except storage.ObjectNotFound:
        raise JobError(f"{alignment_uri}: alignment file not found", EXIT_USAGE) from None


def _read_seqinfo_files(uris: list[str]) -> Iterator[dict[str, SeqInfo]]:
    """Each file's validated mapping, in the given order (files fetched concurrently)."""
    with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(uris))) as pool:
        for uri, data in zip(uris, pool.map(storage.read_bytes, uris), strict=True):
            yield parse_seqinfo_file(uri, data)


def parse_seqinfo_file(uri: str, data: bytes) -> dict[str, SeqInfo]:
    """Validate one seqinfo file's bytes; errors name the file and the record."""
    try:
        document: Any = json.loads(_decode(uri, data))
    except (ValueError, RecursionError) as err:
        raise JobError(f"{uri}: not valid JSON ({err})") from None
    if not isinstance(document, dict):
        raise JobError(f"{uri}: must hold a JSON object of record name -> seqinfo")
    mapping: dict[str, SeqInfo] = {}
    for name, value in document.items():
        try:
            mapping[name] = parse_seqinfo(value)
        except SeqInfoError as err:
            raise JobError(f"{uri}: record {name!r}: {err}") from None
    return mapping


def _decode(uri: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise JobError(f"{uri}: not UTF-8 text ({err.reason} at byte {err.start})") from None
