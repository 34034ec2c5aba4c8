"""The retrieval job: request entries to ``{id}-protein.fa`` and ``{id}-seqinfo.json`` each.

One entry (``--entry JSON``) or several entries of a stored request (``--request URI --entries
SPEC``) in one process: each distinct genome is opened once and each distinct variant id looked
up once. Per entry: its variants, the genome, the algorithm, then its files
(docs/retrieval.md, "Order of a run"). An entry that fails does not stop the others; the job
then fails naming every failed entry. Heavy modules (pydantic, pysam, requests, boto3) are
imported only when the job runs.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pavi_contracts.exits import EXIT_FAILURE, EXIT_USAGE
from pavi_contracts.failures import format_failed_entries
from pavi_contracts.files import OutputType, entry_outputs
from pavi_contracts.harness import JobError, log
from pavi_contracts.jobs import RETRIEVAL

if TYPE_CHECKING:
    from pavi_contracts.entry import Entry, RegionSpec

    from pavi_seq_retrieval.model import Region
    from pavi_seq_retrieval.retrieval import RetrievalOutput
    from pavi_seq_retrieval.variants import VariantLookup

JOB = RETRIEVAL.script
_SAFE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")
#: Largest stored request a job reads (far above what a target accepts: a bound, not a policy).
MAX_REQUEST_ENTRIES = 100_000


@dataclass(frozen=True)
class RetrievalOptions:
    """Everything the job needs besides the entry."""

    output_prefix: str = "."
    output_type: OutputType = "protein"
    variants_file: str | None = None
    variant_api_url: str | None = None
    variant_api_timeout: float = 30.0
    variant_api_attempts: int = 4
    unmasked: bool = False


def entry_label(raw: Any) -> str:
    """How error lines name an entry: its id, or a quoted excerpt when the id is unusable."""
    value = raw.get("unique_entry_id") if isinstance(raw, dict) else None
    if isinstance(value, str) and _SAFE_ID.fullmatch(value):
        return value
    if value is None:
        return "?"
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def run(raw_entry: Any, options: RetrievalOptions) -> None:
    """Validate, compute and write one entry; JobError on any failure."""
    entry = validate(raw_entry)
    process(entry, options, variant_lookup(options, entry.unique_entry_id))


def run_request(request_uri: str, selection: str, options: RetrievalOptions) -> None:
    """The selected entries of a stored request, one after the other, sharing genomes and
    variants; JobError naming every failed entry at the end."""
    entries = selected_entries(request_uri, selection)
    ids = [entry.unique_entry_id for entry in entries]
    log(JOB, "request", request=request_uri, entries=ids)
    lookup = variant_lookup(options, ", ".join(ids))
    lookup.prefetch(vid for entry in entries for vid in entry.variant_ids)
    failures: dict[str, str] = {}
    for entry in entries:
        try:
            process(entry, options, lookup)
        except JobError as err:
            failures[entry.unique_entry_id] = err.message
    if failures:
        raise JobError(format_failed_entries(failures, len(entries)), EXIT_FAILURE)


def selected_entries(request_uri: str, selection: str) -> list[Entry]:
    """The request at ``request_uri`` (either form: the entries array or ``{"entries": [...],
    …}``) validated as a whole, then the entries SPEC selects."""
    from pavi_common_s3 import StorageError, read_bytes  # noqa: PLC0415
    from pavi_contracts.entry import Entry  # noqa: PLC0415
    from pavi_contracts.request import RequestError  # noqa: PLC0415
    from pavi_contracts.request_input import validate_input  # noqa: PLC0415
    from pavi_contracts.selection import SelectionError, parse_selection  # noqa: PLC0415

    try:
        data = json.loads(read_bytes(request_uri))
    except StorageError as err:
        raise JobError(f"--request: {err}", EXIT_USAGE) from None
    except (ValueError, RecursionError) as err:
        raise JobError(
            f"--request: {request_uri}: not a JSON request ({err})", EXIT_USAGE
        ) from None
    try:
        request = validate_input(data, max_entries=MAX_REQUEST_ENTRIES)
    except RequestError as err:
        more = f" (and {len(err.problems) - 1} more)" if len(err.problems) > 1 else ""
        raise JobError(f"--request: {request_uri}: {err.problems[0]}{more}", EXIT_USAGE) from None
    try:
        indexes = parse_selection(selection, len(request.entries))
    except SelectionError as err:
        raise JobError(f"--entries: {selection!r}: {err}", EXIT_USAGE) from None
    return [Entry.model_validate(request.entries[index]) for index in indexes]


def variant_lookup(options: RetrievalOptions, label: str) -> VariantLookup:
    """The job's variant lookup: the variants file (read once) first, then the API."""
    from pavi_seq_retrieval.variants import (  # noqa: PLC0415
        VariantApi,
        VariantError,
        VariantLookup,
        load_variants_file,
    )

    try:
        responses = load_variants_file(options.variants_file) if options.variants_file else {}
    except VariantError as err:
        raise JobError(f"entry {label}: {err}", EXIT_FAILURE) from None
    return VariantLookup(
        responses,
        lambda: VariantApi.from_env(
            options.variant_api_url,
            timeout=options.variant_api_timeout,
            attempts=options.variant_api_attempts,
        ),
    )


def process(entry: Entry, options: RetrievalOptions, variants: VariantLookup) -> None:
    """Compute and write one validated entry; JobError on any failure, which is also logged
    (an ``entry_failed`` record with the whole message, the real cause included)."""
    try:
        _process(entry, options, variants)
    except JobError as err:
        log(JOB, "entry_failed", entry=entry.unique_entry_id, error=err.message)
        raise


def _process(entry: Entry, options: RetrievalOptions, variants: VariantLookup) -> None:
    started = time.perf_counter()
    entry_id = entry.unique_entry_id
    log(
        JOB,
        "start",
        entry=entry_id,
        genome=entry.fasta_file_url,
        variants=len(entry.variant_ids),
        output_prefix=options.output_prefix,
        output_type=options.output_type,
    )
    output = compute(entry, options, variants)
    written = write(entry_id, output, options)
    records = [line[1:] for line in (output.fasta or "").splitlines() if line.startswith(">")]
    log(
        JOB,
        "written",
        entry=entry_id,
        files=written,
        records=records,
        seconds=round(time.perf_counter() - started, 3),
    )
    if output.fasta is None:
        reason = "; ".join(
            f"{name}: {error}" + (f" ({output.causes[name]})" if name in output.causes else "")
            for name, error in output.errors.items()
        )
        raise JobError(f"entry {entry_id}: {reason or 'no sequence produced'}", EXIT_FAILURE)


def validate(raw: Any) -> Entry:
    """The entry model of a decoded entry; JobError naming the entry and field otherwise."""
    from pavi_contracts.entry import RequestEntryError, parse_entry  # noqa: PLC0415

    try:
        return parse_entry(raw)
    except RequestEntryError as err:
        raise JobError(f"entry {entry_label(raw)}: {err}", err.exit_code) from None


def regions(specs: list[RegionSpec]) -> list[Region]:
    """Requested regions as the algorithm's ``Region``s (coordinates as given)."""
    from pavi_seq_retrieval.model import Region  # noqa: PLC0415

    return [Region(spec.start, spec.end, spec.frame) for spec in specs]


def compute(entry: Entry, options: RetrievalOptions, lookup: VariantLookup) -> RetrievalOutput:
    """Variants, then genome, then the algorithm (docs/retrieval.md, "Order of a run")."""
    from pavi_seq_retrieval.genome import GenomeAccessError, open_genome  # noqa: PLC0415
    from pavi_seq_retrieval.model import RetrievalError  # noqa: PLC0415
    from pavi_seq_retrieval.retrieval import RetrievalInput, retrieve  # noqa: PLC0415
    from pavi_seq_retrieval.variants import VariantError  # noqa: PLC0415

    entry_id = entry.unique_entry_id
    started = time.perf_counter()
    try:
        variants = lookup.variants(entry.variant_ids)
    except VariantError as err:
        raise JobError(f"entry {entry_id}: {err}", EXIT_FAILURE) from None
    log(
        JOB,
        "variants",
        entry=entry_id,
        count=len(variants),
        seconds=round(time.perf_counter() - started, 3),
    )
    started = time.perf_counter()
    exons, cds = regions(entry.exon_seq_regions), regions(entry.cds_seq_regions)
    try:
        genome = open_genome(entry.fasta_file_url)
        log(
            JOB,
            "genome",
            entry=entry_id,
            url=entry.fasta_file_url,
            seconds=round(time.perf_counter() - started, 3),
        )
        started = time.perf_counter()
        # One forward read per cluster of the entry's regions (the algorithm then reads its
        # parts from memory, in whatever order, with the same errors as without the hint).
        genome.prefetch(entry.seq_id, [(r.start, r.end) for r in (*exons, *cds)])
        output = retrieve(
            RetrievalInput(
                base_seq_name=entry.base_seq_name,
                seq_id=entry.seq_id,
                strand=entry.strand,
                exon_regions=exons,
                cds_regions=cds,
                variants=variants,
                alt_seq_name_suffix=entry.suffix,
                output_type=options.output_type,
                unmasked=options.unmasked,
            ),
            genome,
        )
    except GenomeAccessError as err:
        raise JobError(f"entry {entry_id}: {err}", EXIT_FAILURE) from None
    except RetrievalError as err:
        where = f"{err.field}: " if err.field else ""
        raise JobError(f"entry {entry_id}: {where}{err.message}", EXIT_FAILURE) from None
    log(
        JOB,
        "computed",
        entry=entry_id,
        errors=dict(output.errors),
        **({"causes": dict(output.causes)} if output.causes else {}),
        seconds=round(time.perf_counter() - started, 3),
    )
    return output


def write(entry_id: str, output: RetrievalOutput, options: RetrievalOptions) -> list[str]:
    """Write the seqinfo then the FASTA (if any), together or not at all; the URIs written.

    The FASTA is what the alignment step looks for, so it comes last; when it cannot be
    written, the seqinfo is removed again. Both are tagged as work objects (intermediates
    expired by the bucket's lifecycle).
    """
    from pavi_common_s3 import Output, StorageError, join, write_all  # noqa: PLC0415
    from pavi_contracts.tags import WORK_TAGS  # noqa: PLC0415

    fasta_name, seqinfo_name = entry_outputs(entry_id, options.output_type)
    texts = [(seqinfo_name, output.seqinfo)]
    if output.fasta is not None:
        texts.append((fasta_name, output.fasta))
    outputs = [
        Output(join(options.output_prefix, name), text.encode("utf-8"), WORK_TAGS)
        for name, text in texts
    ]
    try:
        return write_all(outputs)
    except StorageError as err:
        raise JobError(f"entry {entry_id}: output_prefix: {err}", EXIT_FAILURE) from None
