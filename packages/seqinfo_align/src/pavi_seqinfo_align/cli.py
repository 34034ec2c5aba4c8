"""Console script ``pavi-seqinfo-align`` (click only; the work is in ``job.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import click
from pavi_common_s3.errors import StorageError
from pavi_contracts.harness import run_main

from pavi_seqinfo_align.job import JOB, MergeOptions, run, run_report


@click.command(name=JOB, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--work-prefix",
    metavar="URI",
    help="Prefix holding the retrieval outputs (*-seqinfo.json); required unless --report-only.",
)
@click.option(
    "--results-prefix",
    required=True,
    metavar="URI",
    help="Prefix holding alignment-output.aln; aligned_seq_info.json is written there.",
)
@click.option(
    "--report/--no-report",
    default=True,
    show_default=True,
    help="Also write report.html (the alignment with its variants marked) there.",
)
@click.option("--request", metavar="URI", help="The run's request file (its sha256 is reported).")
@click.option(
    "--seq-type",
    type=click.Choice(["protein", "dna"]),
    default=None,
    help="What was aligned (the alignment job's --seq-type): the report's alphabet "
    "[default: detected from the residues].",
)
@click.option(
    "--report-only",
    is_flag=True,
    help="Only write report.html again, from the results prefix's alignment-output.aln and "
    "aligned_seq_info.json.",
)
def command(  # noqa: PLR0917 (click passes the options positionally)
    work_prefix: str | None,
    results_prefix: str,
    report: bool,
    request: str | None,
    seq_type: str | None,
    report_only: bool,
) -> None:
    """Merge the seqinfo files and add the alignment columns of embedded variants."""
    if report_only:
        if work_prefix is not None or not report:
            raise click.UsageError("--report-only takes neither --work-prefix nor --no-report")
        run_report(results_prefix, request)
        return
    if work_prefix is None:
        raise click.UsageError("Missing option '--work-prefix'")
    options = MergeOptions(work_prefix, results_prefix, report, request, seq_type)
    run(options)


def main(argv: Sequence[str] | None = None) -> None:
    """Console script: every failure is one line on stderr and an exit code."""
    run_main(
        JOB,
        lambda: command.main(args=argv, prog_name=JOB, standalone_mode=False),
        reported=(StorageError,),
    )
