"""``pavi``: run a request locally, print the state machine or the request schema, rebuild a
run's HTML report, and drive executions in AWS (submit, status, results, logs).

Errors are one line ``pavi: error: …`` on stderr; exit 2 for a bad request or usage, 1 otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import click
from rich.console import Console

from pavi_workflow import client as sfn_client
from pavi_workflow.asl import StateMachineSettings, build_definition
from pavi_workflow.display import RunDisplay, summary_table
from pavi_workflow.executors import (
    ContainerExecutor,
    Executor,
    ExecutorError,
    LocalExecutor,
    find_engine,
    local_mounts,
)
from pavi_workflow.report import ReportError, rebuild
from pavi_workflow.request import (
    DEFAULT_MAX_ENTRIES,
    RequestError,
    load_request,
    request_schema,
)
from pavi_workflow.runner import run_pipeline, write_manifest

EXIT_FAILURE = 1
EXIT_USAGE = 2
PLACEHOLDER = "arn:aws:batch:us-east-1:123456789012"
T = TypeVar("T")


def fail(message: str, exit_code: int = EXIT_FAILURE) -> NoReturn:
    """Print the one-line error and exit."""
    click.echo(f"pavi: error: {message}", err=True)
    raise SystemExit(exit_code)


def guarded(call: Callable[[], T]) -> T:
    """Run an AWS call; turn its failures into one line."""
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415
    from botocore.exceptions import ClientError as BotoClientError  # noqa: PLC0415
    from pavi_common_s3 import StorageError  # noqa: PLC0415

    try:
        return call()
    except RequestError as err:
        for problem in err.problems:
            click.echo(f"pavi: error: {problem}", err=True)
        raise SystemExit(EXIT_USAGE) from err
    except (sfn_client.ClientError, StorageError, BotoCoreError) as err:
        fail(str(err))
    except BotoClientError as err:
        error = err.response.get("Error", {})
        fail(f"{error.get('Code', 'AWS error')}: {error.get('Message', str(err))}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pavi-workflow")
def main() -> None:
    """PAVI protein MSA pipeline: local runs and AWS Step Functions executions."""


@main.command()
@click.argument("request_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Run folder: work/, results/, logs/ and run.json go here.",
)
@click.option("--variants-file", help="Variant API responses (file or URI) for offline runs.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default=True,
    help="Retrievals running at once.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "container"]),
    default="local",
    show_default=True,
    help="Run jobs as local processes or inside their images.",
)
@click.option(
    "--engine",
    help="Container engine for --executor container "
    "(default: docker if its daemon answers, else podman).",
)
@click.option("--image-tag", help="Image tag for --executor container (default: package versions).")
@click.option(
    "--max-entries",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_ENTRIES,
    show_default=True,
    help="Largest request accepted.",
)
def run(  # noqa: PLR0917 (click passes the options positionally)
    request_file: Path,
    out_dir: Path,
    variants_file: str | None,
    concurrency: int,
    executor: str,
    engine: str | None,
    image_tag: str | None,
    max_entries: int,
) -> None:
    """Run REQUEST_FILE through the three steps locally, with --out standing in for the bucket.

    Relative fasta_file_url paths are resolved against REQUEST_FILE's folder.
    """
    try:
        request = load_request(request_file, target="local", max_entries=max_entries)
    except RequestError as err:
        for problem in err.problems:
            click.echo(f"pavi: error: {problem}", err=True)
        raise SystemExit(EXIT_USAGE) from err
    if variants_file and "://" not in variants_file:
        if not Path(variants_file).is_file():
            fail(f"--variants-file: {variants_file} is not a file", EXIT_USAGE)
        variants_file = str(Path(variants_file).resolve())
    run_dir = out_dir.resolve()
    chosen: Executor
    try:
        if executor == "container":
            chosen = ContainerExecutor(
                engine=find_engine(engine),
                run_dir=run_dir,
                read_only=tuple(local_mounts(request.entries, variants_file)),
                image_tag=image_tag,
            )
        else:
            chosen = LocalExecutor()
    except ExecutorError as err:
        fail(str(err), EXIT_USAGE)
    err_console = Console(stderr=True)
    with RunDisplay(err_console, len(request.entries)) as display:
        outcome = run_pipeline(
            request,
            run_dir,
            chosen,
            variants_file=variants_file,
            concurrency=concurrency,
            listener=display,
        )
    write_manifest(
        outcome,
        request_sha256=hashlib.sha256(request_file.read_bytes()).hexdigest(),
        request_path=str(request_file.resolve()),
        executor=chosen.name,
    )
    Console(stderr=True).print(summary_table(outcome))
    if not outcome.ok:
        fail(str(outcome.error))


@main.command()
@click.option(
    "--max-entries", type=click.IntRange(min=1), default=DEFAULT_MAX_ENTRIES, show_default=True
)
def schema(max_entries: int) -> None:
    """Print the request's JSON Schema."""
    click.echo(json.dumps(request_schema(max_entries), indent=2))


@main.command()
@click.option("--job-queue", default=f"{PLACEHOLDER}:job-queue/pavi", show_default=True)
@click.option(
    "--seq-retrieval-job-definition",
    default=f"{PLACEHOLDER}:job-definition/pavi-seq-retrieval",
    show_default=True,
)
@click.option(
    "--alignment-job-definition",
    default=f"{PLACEHOLDER}:job-definition/pavi-alignment",
    show_default=True,
)
@click.option(
    "--seqinfo-align-job-definition",
    default=f"{PLACEHOLDER}:job-definition/pavi-seqinfo-align",
    show_default=True,
)
@click.option("--bucket", default="pavi-pipeline-bucket", show_default=True)
@click.option("--max-concurrency", type=click.IntRange(min=0), default=40, show_default=True)
@click.option("--timeout-seconds", type=click.IntRange(min=1), default=3600, show_default=True)
@click.option(
    "--workflow-type",
    type=click.Choice(["STANDARD", "EXPRESS"]),
    default="STANDARD",
    show_default=True,
)
def asl(  # noqa: PLR0917 (click passes the options positionally)
    job_queue: str,
    seq_retrieval_job_definition: str,
    alignment_job_definition: str,
    seqinfo_align_job_definition: str,
    bucket: str,
    max_concurrency: int,
    timeout_seconds: int,
    workflow_type: str,
) -> None:
    """Print the state machine definition (Amazon States Language)."""
    settings = StateMachineSettings(
        job_queue=job_queue,
        seq_retrieval_job_definition=seq_retrieval_job_definition,
        alignment_job_definition=alignment_job_definition,
        seqinfo_align_job_definition=seqinfo_align_job_definition,
        bucket=bucket,
        max_concurrency=max_concurrency,
        timeout_seconds=timeout_seconds,
        workflow_type=workflow_type,
    )
    try:
        definition = build_definition(settings)
    except ValueError as err:
        fail(str(err), EXIT_USAGE)
    click.echo(json.dumps(definition, indent=2))


@main.command()
@click.argument("request_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--state-machine-arn", help=f"Default: ${sfn_client.STATE_MACHINE_ENV}.")
@click.option(
    "--max-entries", type=click.IntRange(min=1), default=DEFAULT_MAX_ENTRIES, show_default=True
)
def submit(request_file: Path, state_machine_arn: str | None, max_entries: int) -> None:
    """Validate REQUEST_FILE (cloud rules) and start an execution; print its ARN."""
    request = guarded(lambda: load_request(request_file, target="cloud", max_entries=max_entries))
    arn = guarded(lambda: sfn_client.start(request, state_machine_arn=state_machine_arn))
    click.echo(arn)


@main.command()
@click.argument("arn")
def status(arn: str) -> None:
    """Print the execution's state (PENDING, RUNNING, FAILED, COMPLETED); exit 1 if FAILED."""
    found = guarded(lambda: sfn_client.status(arn))
    click.echo(found.state)
    if found.state == "FAILED":
        fail(f"{found.error}: {found.cause}")


@main.command()
@click.argument("arn")
@click.option(
    "--download",
    type=click.Path(file_okay=False, path_type=Path),
    help="Copy the result files into this folder.",
)
def results(arn: str, download: Path | None) -> None:
    """Print the result URIs of a completed execution (or download them)."""
    found = guarded(lambda: sfn_client.results(arn))
    if download is None:
        click.echo(json.dumps({"alignment": found.alignment, "seq_info": found.seq_info}))
        return
    for path in guarded(lambda: found.download(download)):
        click.echo(str(path))


@main.command()
@click.argument("arn")
@click.option(
    "--log-group", help=f"Default: ${sfn_client.LOG_GROUP_ENV} or {sfn_client.DEFAULT_LOG_GROUP}."
)
def logs(arn: str, log_group: str | None) -> None:
    """Print the log lines of the execution's Batch jobs."""
    for line in guarded(lambda: sfn_client.logs(arn, log_group=log_group)):
        where = f"{line.step} {line.entry_id}" if line.entry_id else line.step
        click.echo(f"[{where}] {line.message}")


@main.command()
@click.argument("results", metavar="RESULTS")
@click.option("--request", metavar="URI", help="The run's request file (its sha256 is reported).")
def report(results: str, request: str | None) -> None:
    """Write RESULTS/report.html again from the results there (a folder or an s3:// prefix).

    A `pavi run` folder may be given for its results/ folder. Prints the report's URI.
    """
    try:
        done = rebuild(results, request)
    except ReportError as err:
        fail(str(err), err.exit_code)
    click.echo(done.uri)
