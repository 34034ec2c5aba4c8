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
from pavi_contracts.exits import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from pavi_contracts.files import RUN_MANIFEST, OutputType
from pavi_contracts.jobs import JOBS
from pavi_contracts.request_input import SEQ_TYPES
from rich.console import Console

from pavi_workflow import client as sfn_client
from pavi_workflow.asl import MAX_ENTRIES, StateMachineSettings, build_definition
from pavi_workflow.commands import DEFAULT_ENTRIES_PER_JOB
from pavi_workflow.display import RunDisplay, summary_table
from pavi_workflow.executors import (
    ContainerExecutor,
    Executor,
    ExecutorError,
    LocalExecutor,
    find_engine,
    local_mounts,
)
from pavi_workflow.preflight import check_genomes
from pavi_workflow.report import ReportError, rebuild
from pavi_workflow.request import (
    DEFAULT_MAX_ENTRIES,
    Request,
    RequestError,
    load_request,
    request_schema,
)
from pavi_workflow.run_folder import STAGING, RunFolder, RunFolderError, claimed
from pavi_workflow.runner import MAX_CONCURRENCY, build_manifest, run_pipeline, write_manifest
from pavi_workflow.stopping import JobGroups, exit_code, stop_on_signals

PLACEHOLDER = "arn:aws:batch:us-east-1:123456789012"
T = TypeVar("T")
#: ``--seq-type`` of ``pavi run`` and ``pavi submit`` (docs/request.md, "Shape of a request").
SEQ_TYPE_OPTION = click.option(
    "--seq-type",
    type=click.Choice(SEQ_TYPES),
    default=None,
    help="Align the translated proteins or the spliced transcripts (nucleotides) "
    "[default: the request's seq_type, else protein].",
)
#: `--no-preflight` of `pavi run` and `pavi submit` (docs/request.md, "Checks before the run").
no_preflight = click.option(
    "--no-preflight",
    is_flag=True,
    help="Skip the genome checks before the run (e.g. genomes this machine cannot read).",
)


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
        for problem in err.summary():
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
    help="Run folder (new, empty or an earlier run's): work/, results/, logs/ and run.json go "
    "here once the run succeeds; the run is written in DIR/staging/ first.",
)
@click.option("--variants-file", help="Variant API responses (file or URI) for offline runs.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=min(os.cpu_count() or 1, MAX_CONCURRENCY),
    show_default=True,
    help=f"Retrieval jobs running at once (1 to {MAX_CONCURRENCY}).",
)
@click.option(
    "--entries-per-job",
    type=click.IntRange(1, MAX_ENTRIES),
    default=DEFAULT_ENTRIES_PER_JOB,
    show_default=True,
    help="Entries one retrieval job processes (the state machine's chunk size).",
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
@click.option(
    "--resume",
    is_flag=True,
    help="Reuse the outputs of DIR's earlier run whose inputs are unchanged: entries, "
    'alignment and merge (packages/workflow/README.md, "Resume").',
)
@SEQ_TYPE_OPTION
@no_preflight
def run(  # noqa: PLR0917 (click passes the options positionally)
    request_file: Path,
    out_dir: Path,
    variants_file: str | None,
    concurrency: int,
    entries_per_job: int,
    executor: str,
    engine: str | None,
    image_tag: str | None,
    max_entries: int,
    resume: bool,
    seq_type: OutputType | None,
    no_preflight: bool,
) -> None:
    """Run REQUEST_FILE through the three steps locally, with --out standing in for the bucket.

    Relative fasta_file_url paths are resolved against REQUEST_FILE's folder. The run is
    written into DIR/staging and replaces DIR/work, DIR/results, DIR/logs and DIR/run.json only
    when it succeeds; DIR must be new, empty or a pavi run folder (packages/workflow/README.md).
    """
    # Checks before the run: nothing is written until every one of them has passed.
    try:
        request = load_request(
            request_file, target="local", max_entries=max_entries, seq_type=seq_type
        )
        request_bytes = request_file.read_bytes()
        if not no_preflight:
            check_genomes(request)
    except RequestError as err:
        for problem in err.summary():
            click.echo(f"pavi: error: {problem}", err=True)
        raise SystemExit(EXIT_USAGE) from err
    except OSError as err:  # gone between the two reads
        fail(f"request: cannot read {request_file}: {err.strerror or err}", EXIT_USAGE)
    if variants_file:
        variants_file = _local_or_remote(variants_file, "--variants-file")
    staging = out_dir.resolve() / STAGING
    chosen = _executor(
        executor,
        engine=engine,
        image_tag=image_tag,
        run_dir=staging,
        request=request,
        variants_file=variants_file,
    )
    if concurrency > MAX_CONCURRENCY:
        fail(
            f"--concurrency: {concurrency} is above {MAX_CONCURRENCY}, the most jobs pavi run "
            "starts at once",
            EXIT_USAGE,
        )
    # The run: DIR claimed and locked, the run staged, and moved into place if it succeeds.
    try:
        with claimed(out_dir, _inputs(request_file, variants_file, request)) as folder:
            code = _run_in_folder(
                folder,
                request,
                chosen,
                request_sha256=hashlib.sha256(request_bytes).hexdigest(),
                request_path=str(request_file.resolve()),
                variants_file=variants_file,
                concurrency=concurrency,
                entries_per_job=entries_per_job,
                resume=resume,
            )
    except RunFolderError as err:
        fail(str(err), err.exit_code)
    if code != EXIT_OK:
        raise SystemExit(code)


def _executor(
    executor: str,
    *,
    engine: str | None,
    image_tag: str | None,
    run_dir: Path,
    request: Request,
    variants_file: str | None,
) -> Executor:
    """The chosen executor; one line and exit 2 when it cannot run here."""
    try:
        if executor == "container":
            return ContainerExecutor(
                engine=find_engine(engine),
                run_dir=run_dir,
                read_only=tuple(local_mounts(request.entries, variants_file)),
                image_tag=image_tag,
            )
        return LocalExecutor()
    except ExecutorError as err:
        fail(str(err), EXIT_USAGE)


def _run_in_folder(
    folder: RunFolder,
    request: Request,
    executor: Executor,
    *,
    request_sha256: str,
    request_path: str,
    variants_file: str | None,
    concurrency: int,
    entries_per_job: int,
    resume: bool = False,
) -> int:
    """Run into DIR/staging, record run.json, move a successful run into place; exit code."""
    from pavi_common_s3 import StorageError  # noqa: PLC0415

    groups = JobGroups()
    err_console = Console(stderr=True)
    with stop_on_signals(groups):
        try:
            staging = folder.begin(keep_unfinished=resume)
            with RunDisplay(err_console, len(request.entries)) as display:
                outcome = run_pipeline(
                    request,
                    staging,
                    executor,
                    variants_file=variants_file,
                    concurrency=concurrency,
                    entries_per_job=entries_per_job,
                    listener=display,
                    groups=groups,
                    pass_fds=(folder.fd,),
                    resume_from=(folder.root, folder.unfinished) if resume else (),
                )
            manifest = build_manifest(
                outcome,
                request_sha256=request_sha256,
                request_path=request_path,
                executor=executor.name,
            )
            if outcome.ok:
                folder.promote(manifest)
                outcome.out_dir = folder.root
            else:
                write_manifest(staging / RUN_MANIFEST, manifest)
                folder.end()
        except (OSError, StorageError) as err:
            fail(f"--out {folder.root}: {err}")
    err_console.print(summary_table(outcome, kept=_kept(folder)))
    if outcome.signum is not None:
        click.echo(f"pavi: error: {outcome.error}; this run is left in {staging}", err=True)
        return exit_code(outcome.signum)
    if not outcome.ok:
        click.echo(f"pavi: error: {outcome.error}", err=True)
        return EXIT_FAILURE
    return EXIT_OK


def _kept(folder: RunFolder) -> str:
    """Where a run that did not succeed is, and whether an earlier run's results are kept."""
    earlier = folder.root / RUN_MANIFEST
    kept = f"; earlier results unchanged in {folder.root / 'results'}" if earlier.is_file() else ""
    return f"this run: {folder.staging} (run.json, logs/){kept}"


def _inputs(
    request_file: Path, variants_file: str | None, request: Request
) -> list[tuple[str, Path]]:
    """The local files a run reads: the request, the variants file, local genomes."""
    inputs = [("the request file", request_file)]
    if variants_file and "://" not in variants_file:
        inputs.append(("--variants-file", Path(variants_file)))
    for path in local_mounts(request.entries, None):
        inputs.append(("a genome folder", path))
    return inputs


def _local_or_remote(uri: str, option: str) -> str:
    """A remote URI as given, a local file as an absolute path; one-line usage error otherwise."""
    from pavi_common_s3 import StorageError  # noqa: PLC0415
    from pavi_common_s3.uri import parse  # noqa: PLC0415

    try:
        loc = parse(uri)
    except StorageError as err:
        fail(f"{option}: {err}", EXIT_USAGE)
    if loc.kind != "local":
        return uri
    if not Path(loc.path).is_file():
        fail(f"{option}: {uri} is not a file", EXIT_USAGE)
    return str(Path(loc.path).resolve())


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
    "--job-definition",
    "job_definitions",
    multiple=True,
    metavar="STEP=ARN",
    help="Job definition of a step (repeatable; "
    f"default {PLACEHOLDER}:job-definition/<console script>).",
)
@click.option("--bucket", default="pavi-pipeline-bucket", show_default=True)
@click.option("--max-concurrency", type=click.IntRange(min=0), default=40, show_default=True)
@click.option("--timeout-seconds", type=click.IntRange(min=1), default=3600, show_default=True)
@click.option(
    "--entries-per-job",
    type=click.IntRange(1, MAX_ENTRIES),
    default=DEFAULT_ENTRIES_PER_JOB,
    show_default=True,
)
@click.option(
    "--pipeline-version",
    metavar="VERSION",
    help="Turn the request cache on, keyed by this version of the jobs (their image digests).",
)
def asl(  # noqa: PLR0917 (click passes the options positionally)
    job_queue: str,
    job_definitions: tuple[str, ...],
    bucket: str,
    max_concurrency: int,
    timeout_seconds: int,
    entries_per_job: int,
    pipeline_version: str | None,
) -> None:
    """Print the state machine definition (Amazon States Language)."""
    chosen: dict[str, str] = {
        job.step: f"{PLACEHOLDER}:job-definition/{job.script}" for job in JOBS
    }
    for item in job_definitions:
        step, sep, arn = item.partition("=")
        if not sep or step not in chosen:
            steps = ", ".join(chosen)
            fail(
                f"--job-definition: {item!r} must be STEP=ARN with STEP one of {steps}", EXIT_USAGE
            )
        chosen[step] = arn
    settings = StateMachineSettings(
        job_queue=job_queue,
        job_definitions=chosen,
        bucket=bucket,
        max_concurrency=max_concurrency,
        timeout_seconds=timeout_seconds,
        entries_per_job=entries_per_job,
        cache=pipeline_version is not None,
        pipeline_version=pipeline_version or "",
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
@SEQ_TYPE_OPTION
@no_preflight
def submit(
    request_file: Path,
    state_machine_arn: str | None,
    max_entries: int,
    seq_type: OutputType | None,
    no_preflight: bool,
) -> None:
    """Validate REQUEST_FILE (cloud rules), check its genomes and start an execution; print
    its ARN."""
    request = guarded(
        lambda: load_request(
            request_file, target="cloud", max_entries=max_entries, seq_type=seq_type
        )
    )
    arn = guarded(
        lambda: sfn_client.start(
            request, state_machine_arn=state_machine_arn, preflight=not no_preflight
        )
    )
    click.echo(arn)


@main.command()
@click.argument("arn")
def status(arn: str) -> None:
    """Print the execution's state (PENDING, RUNNING, FAILED, COMPLETED); exit 1 if FAILED."""
    found = guarded(lambda: sfn_client.status(arn))
    click.echo(found.state)
    if found.cached:
        click.echo(f"answered from the cache: {found.cache}")
    if found.failed_entries:
        click.echo(f"failed entries: {', '.join(found.failed_entries)}")
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
        uris = {"alignment": found.alignment, "seq_info": found.seq_info, "report": found.report}
        click.echo(json.dumps({key: uri for key, uri in uris.items() if uri}))
        return
    for path in guarded(lambda: found.download(download)):
        click.echo(str(path))


@main.command()
@click.argument("arn")
@click.option(
    "--log-group",
    help=(
        f"Read every job's logs here. Default: ${sfn_client.LOG_GROUP_ENV}, else each job's own "
        f"group (its job definition's awslogs group; `pulumi stack output jobLogGroup`), else "
        f"{sfn_client.DEFAULT_LOG_GROUP}."
    ),
)
def logs(arn: str, log_group: str | None) -> None:
    """Print the log lines of every attempt of the execution's Batch jobs."""
    lines = guarded(lambda: sfn_client.logs(arn, log_group=log_group))
    retried = {line.job_id for line in lines if line.attempt > 1}
    for line in lines:
        where = f"{line.step} {','.join(line.entry_ids)}" if line.entry_ids else line.step
        if line.job_id in retried:
            where += f" attempt {line.attempt}"
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
