"""Console script ``pavi-seqinfo-align``."""

from __future__ import annotations

import click
from pavi_common_s3.joblog import EXIT_USAGE, fail, run_job

from pavi_seqinfo_align.job import JOB, run, run_report


@click.command(name=JOB, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--work-prefix",
    metavar="URI",
    help="Prefix holding the retrieval outputs (*-seqinfo.json). Required unless --report-only.",
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
    "--report-only",
    is_flag=True,
    help="Only write report.html again, from the results prefix's alignment-output.aln and "
    "aligned_seq_info.json.",
)
def command(
    work_prefix: str | None,
    results_prefix: str,
    report: bool,
    request: str | None,
    report_only: bool,
) -> None:
    """Merge the seqinfo files and add the alignment columns of embedded variants."""
    if report_only:
        if work_prefix is not None or not report:
            raise click.UsageError("--report-only takes neither --work-prefix nor --no-report")
        run_job(JOB, lambda: run_report(results_prefix, request))
        return
    if work_prefix is None:
        raise click.UsageError("Missing option '--work-prefix'")
    run_job(JOB, lambda: run(work_prefix, results_prefix, report=report, request=request))


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors become the one-line error with exit code 2."""
    try:
        command.main(args=argv, prog_name=JOB, standalone_mode=False)
    except click.UsageError as err:
        fail(JOB, f"{err.format_message().rstrip('.')} (see `{JOB} --help`)", EXIT_USAGE)
    except click.ClickException as err:
        fail(JOB, err.format_message(), err.exit_code)
    except click.Abort:
        fail(JOB, "interrupted", 130)
