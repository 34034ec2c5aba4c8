"""Console script ``pavi-alignment``."""

from __future__ import annotations

import click
from pavi_common_s3.joblog import EXIT_USAGE, fail, run_job

from pavi_alignment.job import JOB, run
from pavi_alignment.threads import THREADS_ENV, resolve_threads


@click.command(name=JOB, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--work-prefix",
    required=True,
    metavar="URI",
    help="Prefix holding the retrieval outputs; alignment-input.fa is written there too.",
)
@click.option(
    "--results-prefix",
    required=True,
    metavar="URI",
    help="Prefix where alignment-output.aln is written.",
)
@click.option(
    "--seq-type",
    type=click.Choice(["protein", "dna"]),
    default="protein",
    show_default=True,
    help="Align *-protein.fa files, or *-transcript.fa files with --seqtype=DNA.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help=f"clustalo threads [default: ${THREADS_ENV}, else the CPUs available to the job].",
)
def command(work_prefix: str, results_prefix: str, seq_type: str, threads: int | None) -> None:
    """Align the retrieved sequences with Clustal Omega (the original pipeline's flags)."""
    run_job(JOB, lambda: run(work_prefix, results_prefix, seq_type, resolve_threads(threads)))


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
