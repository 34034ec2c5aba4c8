"""Console script ``pavi-seqinfo-align``."""

from __future__ import annotations

import click
from pavi_common_s3.joblog import EXIT_USAGE, fail, run_job

from pavi_seqinfo_align.job import JOB, run


@click.command(name=JOB, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--work-prefix",
    required=True,
    metavar="URI",
    help="Prefix holding the retrieval outputs (*-seqinfo.json).",
)
@click.option(
    "--results-prefix",
    required=True,
    metavar="URI",
    help="Prefix holding alignment-output.aln; aligned_seq_info.json is written there.",
)
def command(work_prefix: str, results_prefix: str) -> None:
    """Merge the seqinfo files and add the alignment columns of embedded variants."""
    run_job(JOB, lambda: run(work_prefix, results_prefix))


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
