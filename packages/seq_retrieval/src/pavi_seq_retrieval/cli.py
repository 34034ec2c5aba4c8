"""``pavi-seq-retrieval`` command line (click only; the work is in :mod:`pavi_seq_retrieval.job`).

Two call forms: the whole entry as ``--entry JSON`` (what the state machine runs), or the
original ``seq_retrieval.py`` flags (``--seq_id``, ``--exon_seq_regions JSON``, …).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from pavi_common_s3.errors import StorageError
from pavi_contracts.exits import EXIT_USAGE
from pavi_contracts.harness import JobError, run_main

from pavi_seq_retrieval.job import JOB, RetrievalOptions, entry_label, run, run_request

_F = TypeVar("_F", bound=Callable[..., Any])
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
    label = entry_label({"unique_entry_id": given.get("unique_entry_id")})
    raw: dict[str, Any] = {}
    for _, name, is_json in ORIGINAL_FLAGS:
        if name in given:
            value = given[name]
            raw[name] = _decode(str(value), name, label) if is_json else value
    return raw


def _original_flag(name: str, field: str, is_json: bool) -> Callable[[_F], _F]:
    kind = "JSON array" if is_json else "text"
    return click.option(name, field, default=None, help=f"Entry field {field} ({kind}).")


@click.command(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit codes: 0 success, 2 bad input, 1 any other failure (one line on stderr).",
)
@click.option("--entry", "entry_json", default=None, help="One request entry as JSON.")
@click.option(
    "--request",
    "request_uri",
    metavar="URI",
    default=None,
    help="A stored request (path, file:// or s3://); with --entries.",
)
@click.option(
    "--entries",
    "selection",
    metavar="SPEC",
    default=None,
    help="0-based indexes of the request's entries to process: 3, 0-9, 0,4,7 or [0,4,7].",
)
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
def cli(
    entry_json: str | None,
    request_uri: str | None,
    selection: str | None,
    unmasked: bool,
    debug: bool,
    **params: Any,
) -> None:
    """Retrieve entries' protein (or transcript) sequences and their seqinfo.

    One entry (--entry JSON, or the original's underscored flags), or several entries of a
    stored request (--request URI --entries SPEC) in one process.
    """
    if debug:
        os.environ["PAVI_DEBUG"] = "1"
    flags = {field: params.pop(field) for _, field, _ in ORIGINAL_FLAGS}
    options = RetrievalOptions(unmasked=unmasked, **params)
    if request_uri is None and selection is None:
        run(_raw_entry(entry_json, flags), options)
        return
    if request_uri is None or selection is None:
        raise JobError("--request and --entries go together", EXIT_USAGE)
    given = [f"--{name}" for name, value in flags.items() if value is not None]
    if entry_json is not None or given:
        other = ", ".join((["--entry"] if entry_json is not None else []) + sorted(given))
        raise JobError(f"--request cannot be combined with {other}", EXIT_USAGE)
    run_request(request_uri, selection, options)


def main(argv: Sequence[str] | None = None) -> None:
    """Console script: every failure is one line on stderr and an exit code."""
    run_main(
        JOB,
        lambda: cli.main(args=argv, prog_name=JOB, standalone_mode=False),
        reported=(StorageError,),
    )
