"""Console script ``pavi-alignment`` (click only; the work is in :mod:`pavi_alignment.job`)."""

from __future__ import annotations

from collections.abc import Sequence

import click
from pavi_common_s3.errors import StorageError
from pavi_contracts.harness import run_main

from pavi_alignment.job import JOB, AlignmentOptions, SeqType, run
from pavi_alignment.threads import THREADS_ENV


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
    help=f"clustalo threads [default: ${THREADS_ENV}, else by input size (see README)].",
)
def command(work_prefix: str, results_prefix: str, seq_type: SeqType, threads: int | None) -> None:
    """Align the retrieved sequences with Clustal Omega (the original pipeline's flags)."""
    run(AlignmentOptions(work_prefix, results_prefix, seq_type, threads))


def main(argv: Sequence[str] | None = None) -> None:
    """Console script: every failure is one line on stderr and an exit code."""
    run_main(
        JOB,
        lambda: command.main(args=argv, prog_name=JOB, standalone_mode=False),
        reported=(StorageError,),
    )
