"""``pavi-seq-retrieval``: one request entry to ``{id}-protein.fa`` and ``{id}-seqinfo.json``.

Two call forms: the whole entry as ``--entry JSON`` (what the state machine runs), or the
original ``seq_retrieval.py`` flags (``--seq_id``, ``--exon_seq_regions JSON``, …). Heavy
modules (pydantic, pysam, requests, boto3) are imported only when the job runs.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click
from pavi_common_s3.joblog import EXIT_FAILURE, EXIT_USAGE, JobError, fail, log, run_job

if TYPE_CHECKING:
    from pavi_seq_retrieval.entry import Entry
    from pavi_seq_retrieval.retrieval import RetrievalOutput

JOB = "pavi-seq-retrieval"
_F = TypeVar("_F", bound=Callable[..., Any])
_SAFE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")
# The original command's entry flags: (option name, entry field, value is JSON).
ORIGINAL_FLAGS = (
    ("--unique_entry_id", "unique_entry_id", False),
    ("--base_seq_name", "base_seq_name", False),
    ("--seq_id", "seq_id", False),
    ("--seq_strand", "seq_strand", False),
    ("--fasta_file_url", "fasta_file_url", False),
    ("--exon_seq_regions", "exon_seq_regions", True),
    ("--cds_seq_regions", "cds_seq_regions", True),
    ("--variant_ids", "variant_ids", True),
    ("--alt_seq_name_suffix", "alt_seq_name_suffix", False),
)


def _label(raw: Any) -> str:
    """How error lines name the entry: its id, or a quoted excerpt when the id is unusable."""
    value = raw.get("unique_entry_id") if isinstance(raw, dict) else None
    if isinstance(value, str) and _SAFE_ID.fullmatch(value):
        return value
    if value is None:
        return "?"
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _decode(text: str, what: str, label: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise JobError(
            f"entry {label}: {what}: not valid JSON ({err.msg} at line {err.lineno} "
            f"column {err.colno})",
            EXIT_USAGE,
        ) from None


def _raw_entry(entry_json: str | None, flags: dict[str, str | None]) -> Any:
    """The entry as decoded JSON, from ``--entry`` or from the original flags."""
    given = {name: value for name, value in flags.items() if value is not None}
    if entry_json is not None:
        if given:
            names = ", ".join(f"--{name}" for name in sorted(given))
            raise JobError(f"--entry cannot be combined with {names}", EXIT_USAGE)
        return _decode(entry_json, "--entry", "?")
    label = _label({"unique_entry_id": given.get("unique_entry_id")})
    raw: dict[str, Any] = {}
    for _, name, is_json in ORIGINAL_FLAGS:
        if name in given:
            value = given[name]
            raw[name] = _decode(str(value), name, label) if is_json else value
    return raw


def _validate(raw: Any) -> Entry:
    from pavi_seq_retrieval.entry import RequestEntryError, parse_entry  # noqa: PLC0415

    try:
        return parse_entry(raw)
    except RequestEntryError as err:
        raise JobError(f"entry {_label(raw)}: {err}", err.exit_code) from None


def _compute(entry: Entry, options: dict[str, Any]) -> RetrievalOutput:
    """Variants, then genome, then the algorithm (docs/retrieval.md, "Order of a run")."""
    from pavi_seq_retrieval.genome import GenomeAccessError, open_genome  # noqa: PLC0415
    from pavi_seq_retrieval.model import RetrievalError  # noqa: PLC0415
    from pavi_seq_retrieval.retrieval import RetrievalInput, retrieve  # noqa: PLC0415
    from pavi_seq_retrieval.variants import (  # noqa: PLC0415
        VariantApi,
        VariantError,
        fetch_variants,
        load_variants_file,
    )

    entry_id = entry.unique_entry_id
    started = time.perf_counter()
    try:
        responses = load_variants_file(options["variants_file"]) if options["variants_file"] else {}
        api = VariantApi.from_env(
            options["variant_api_url"],
            timeout=options["variant_api_timeout"],
            attempts=options["variant_api_attempts"],
        )
        variants = fetch_variants(entry.variant_ids, api, responses)
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
        regions = [*entry.exon_regions(), *entry.cds_regions()]
        genome.prefetch(entry.seq_id, [(r.start, r.end) for r in regions])
        output = retrieve(
            RetrievalInput(
                base_seq_name=entry.base_seq_name,
                seq_id=entry.seq_id,
                strand=entry.strand,
                exon_regions=entry.exon_regions(),
                cds_regions=entry.cds_regions(),
                variants=variants,
                alt_seq_name_suffix=entry.suffix,
                output_type=options["output_type"],
                unmasked=options["unmasked"],
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
        seconds=round(time.perf_counter() - started, 3),
    )
    return output


def _write(entry: Entry, output: RetrievalOutput, options: dict[str, Any]) -> list[str]:
    """Write the FASTA (if any) then the seqinfo; return the URIs written.

    On S3 they are tagged as work objects (intermediates expired by the bucket's lifecycle).
    """
    from pavi_common_s3 import WORK_TAGS, StorageError, join, write_text  # noqa: PLC0415

    entry_id, prefix = entry.unique_entry_id, options["output_prefix"]
    files = []
    if output.fasta is not None:
        files.append((f"{entry_id}-{options['output_type']}.fa", output.fasta))
    files.append((f"{entry_id}-seqinfo.json", output.seqinfo))
    written = []
    try:
        for name, text in files:
            uri = join(prefix, name)
            write_text(uri, text, tags=WORK_TAGS)
            written.append(uri)
    except StorageError as err:
        raise JobError(f"entry {entry_id}: output_prefix: {err}", EXIT_FAILURE) from None
    return written


def _run(entry_json: str | None, flags: dict[str, str | None], options: dict[str, Any]) -> None:
    started = time.perf_counter()
    entry = _validate(_raw_entry(entry_json, flags))
    entry_id = entry.unique_entry_id
    log(
        JOB,
        "start",
        entry=entry_id,
        genome=entry.fasta_file_url,
        variants=len(entry.variant_ids),
        output_prefix=options["output_prefix"],
        output_type=options["output_type"],
    )
    output = _compute(entry, options)
    written = _write(entry, output, options)
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
        reason = "; ".join(f"{name}: {error}" for name, error in output.errors.items())
        raise JobError(f"entry {entry_id}: {reason or 'no sequence produced'}", EXIT_FAILURE)


def _original_flag(name: str, field: str, is_json: bool) -> Callable[[_F], _F]:
    kind = "JSON array" if is_json else "text"
    return click.option(name, field, default=None, help=f"Entry field {field} ({kind}).")


@click.command(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit codes: 0 success, 2 bad input, 1 any other failure (one line on stderr).",
)
@click.option("--entry", "entry_json", default=None, help="The whole request entry as JSON.")
@click.option(
    "--output-type",
    "--output_type",
    "output_type",
    type=click.Choice(["protein", "transcript"]),
    default="protein",
    show_default=True,
    help="Translate (protein) or splice only (transcript).",
)
@click.option(
    "--output-prefix",
    "--output_prefix",
    "output_prefix",
    default=".",
    show_default=True,
    help="Folder or s3:// prefix the two files are written to.",
)
@click.option(
    "--variants-file",
    "--variants_file",
    "variants_file",
    default=None,
    help="JSON object variant id -> variant API response (path or s3://); others use the API.",
)
@click.option(
    "--variant-api-url",
    "--variant_api_url",
    "variant_api_url",
    envvar="PAVI_VARIANT_API_URL",
    default=None,
    help="Variant API base URL [env PAVI_VARIANT_API_URL; default: the Alliance API].",
)
@click.option(
    "--variant-api-timeout",
    "variant_api_timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds to wait for one variant API answer.",
)
@click.option(
    "--variant-api-attempts",
    "variant_api_attempts",
    type=click.IntRange(1, 10),
    default=4,
    show_default=True,
    help="Tries per variant on timeouts, connection errors and HTTP 5xx.",
)
@_original_flag("--unique_entry_id", "unique_entry_id", False)
@_original_flag("--base_seq_name", "base_seq_name", False)
@_original_flag("--seq_id", "seq_id", False)
@_original_flag("--seq_strand", "seq_strand", False)
@_original_flag("--fasta_file_url", "fasta_file_url", False)
@_original_flag("--exon_seq_regions", "exon_seq_regions", True)
@_original_flag("--cds_seq_regions", "cds_seq_regions", True)
@_original_flag("--variant_ids", "variant_ids", True)
@_original_flag("--alt_seq_name_suffix", "alt_seq_name_suffix", False)
@click.option("--unmasked", is_flag=True, help="Uppercase the transcript output.")
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected errors.")
def cli(entry_json: str | None, unmasked: bool, debug: bool, **params: Any) -> None:
    """Retrieve one entry's protein (or transcript) sequences and their seqinfo."""
    if debug:
        os.environ["PAVI_DEBUG"] = "1"
    flags = {field: params.pop(field) for _, field, _ in ORIGINAL_FLAGS}
    options = {**params, "unmasked": unmasked}
    run_job(JOB, lambda: _run(entry_json, flags, options))


def main(argv: Sequence[str] | None = None) -> None:
    """Console script: usage errors become the one-line error too (exit 2)."""
    try:
        code = cli.main(args=argv, prog_name=JOB, standalone_mode=False)
    except click.ClickException as err:
        fail(JOB, err.format_message(), EXIT_USAGE)
    except click.Abort:
        fail(JOB, "aborted", EXIT_FAILURE)
    if isinstance(code, int) and code:
        raise SystemExit(code)
