"""Console script ``pavi-seqinfo-align`` (click only; the work is in ``job.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import click
from pavi_common_s3.errors import StorageError
from pavi_contracts.harness import run_main

from pavi_seqinfo_align.job import JOB, MergeOptions, run


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
    run(MergeOptions(work_prefix, results_prefix))


def main(argv: Sequence[str] | None = None) -> None:
    """Console script: every failure is one line on stderr and an exit code."""
    run_main(
        JOB,
        lambda: command.main(args=argv, prog_name=JOB, standalone_mode=False),
        reported=(StorageError,),
    )
