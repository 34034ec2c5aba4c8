"""The Step Functions state machine (Amazon States Language) of the PAVI pipeline.

The only place that writes ASL: ``infra/`` deploys what :func:`build_definition` returns and
``pavi asl`` prints it. The jobs' arguments come from :mod:`pavi_workflow.commands`, the same
functions the local runner calls, so the cloud and local runs pass the same argument lists; the
console script is not sent (it is the image's ``ENTRYPOINT``, and Batch's ``Command`` only
replaces the image's ``CMD``). The task that runs a job is :mod:`pavi_workflow.batch`'s; state
and job names come from the job table (:mod:`pavi_contracts.jobs`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pavi_contracts.files import ALIGNED_SEQINFO, ALIGNMENT_OUTPUT, REPORT, REQUEST, OutputType
from pavi_contracts.jobs import ALIGNMENT, JOBS, MERGE, RETRIEVAL, Job
from pavi_contracts.request_input import DEFAULT_SEQ_TYPE, SEQ_TYPES

from pavi_workflow import batch
from pavi_workflow.commands import (
    DEFAULT_ENTRIES_PER_JOB,
    alignment_args,
    merge_args,
    retrieval_args,
)

S3_PUT_OBJECT: Final = "arn:aws:states:::aws-sdk:s3:putObject"
S3_HEAD_OBJECT: Final = "arn:aws:states:::aws-sdk:s3:headObject"
S3_COPY_OBJECT: Final = "arn:aws:states:::aws-sdk:s3:copyObject"
#: S3 faults worth retrying while storing the request.
S3_TRANSIENT_ERRORS: Final = (
    "S3.InternalErrorException",
    "S3.SlowDownException",
    "S3.ServiceUnavailableException",
    "S3.SdkClientException",
)

# State names (the client and the tests read them back from execution histories).
READ_REQUEST: Final = "ReadRequest"
READ_OPTIONS: Final = "ReadOptions"
#: Prepare of the bare-array request (a protein run, as before the object form).
PREPARE: Final = "Prepare"
#: Prepare of the object form ``{"entries": [...], "seq_type": ...}``, by seq_type.
PREPARE_OBJECT: Final[dict[OutputType, str]] = {
    seq_type: f"Prepare{seq_type.capitalize()}" for seq_type in SEQ_TYPES
}
REQUEST_REFUSED: Final = "RequestRefused"
STORE_REQUEST: Final = "StoreRequest"
RETRIEVE: Final = "RetrieveSequences"
DONE: Final = "Done"
CHUNK_FAILED: Final = "ChunkRetrievalFailed"
STORE_FAILED: Final = "StoreRequestFailed"
# The request cache's states (only when StateMachineSettings.cache is on).
CACHE_KEY: Final = "CacheKey"
LOOK_UP_CACHE: Final = "LookUpCache"
ANSWERED_FROM_CACHE: Final = "AnsweredFromCache"
#: The results a cache entry holds, in the order they are copied: the lookup's key
#: (aligned_seq_info.json) last, so that an entry found holds every file.
CACHED_FILES: Final = (ALIGNMENT_OUTPUT, REPORT, ALIGNED_SEQINFO)
#: Copy states of a hit (cache -> results) and of a miss (results -> cache), per file.
COPY_FROM_CACHE: Final = {
    ALIGNMENT_OUTPUT: "CopyCachedAlignment",
    REPORT: "CopyCachedReport",
    ALIGNED_SEQINFO: "CopyCachedSeqInfo",
}
SAVE_TO_CACHE: Final = {
    ALIGNMENT_OUTPUT: "CacheAlignment",
    REPORT: "CacheReport",
    ALIGNED_SEQINFO: "CacheSeqInfo",
}
#: Where cache entries live in the bucket (the stack's lifecycle rule expires them).
CACHE_PREFIX: Final = "cache/"

#: Placeholders passed to the argument builders, replaced by the state's input paths.
_REQUEST: Final = "\0request_uri"
_ENTRIES: Final = "\0entries"
_WORK: Final = "\0work_prefix"
_RESULTS: Final = "\0results_prefix"
_SEQ_TYPE: Final = "\0seq_type"
_PATHS: Final = {
    _REQUEST: "$.request_uri",
    _ENTRIES: "$.entries",
    _WORK: "$.work_prefix",
    _RESULTS: "$.results_prefix",
    _SEQ_TYPE: "$.seq_type",
}
#: Characters a literal argument may hold inside an ASL intrinsic's '…' string unescaped.
_PLAIN_LITERAL = re.compile(r"^[A-Za-z0-9_./:=-]+$")

#: What a pipeline version may hold (it is written inside an intrinsic's '…' string): image
#: references (`registry/repo@sha256:…`, `repo:tag`) joined by `+` or `,`.
_PIPELINE_VERSION = re.compile(r"^[A-Za-z0-9_./:@+,=-]{1,2000}$")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
WORKFLOW_TYPES: Final = ("STANDARD", "EXPRESS")
#: Most entries an execution can hold: ``States.ArrayRange`` makes at most 1,000 items.
MAX_ENTRIES: Final = 1000
#: The type the pipeline is deployed as (its Batch tasks wait with ``.sync``).
WORKFLOW_TYPE: Final = "STANDARD"


@dataclass(frozen=True)
class StateMachineSettings:
    """What the definition needs from the deployment (ARNs or names of the Batch resources).

    ``job_definitions`` maps each step of the job table to its job definition.
    """

    job_queue: str
    job_definitions: Mapping[str, str]
    bucket: str
    max_concurrency: int = 40
    timeout_seconds: int = 3600
    entries_per_job: int = DEFAULT_ENTRIES_PER_JOB
    #: The request cache (README, "The request cache"): off, the definition has no cache state.
    cache: bool = False
    #: What identifies the jobs' code (the three images' digests or tags); part of the cache
    #: key, so a new image never answers from results of an old one. Required with ``cache``.
    pipeline_version: str = ""


def build_definition(settings: StateMachineSettings) -> dict[str, Any]:
    """The ASL definition (a JSON-ready dict) for ``settings``; ValueError on bad settings."""
    _check_settings(settings)
    bucket, size = settings.bucket, settings.entries_per_job
    states: dict[str, Any] = {
        READ_REQUEST: {
            "Type": "Choice",
            "Comment": (
                "The request's form: the bare entries array (a protein run) or the object "
                '{"entries": [...], "seq_type": ...} (docs/request.md, "Shape of a request").'
            ),
            "Choices": [{"Variable": "$.entries", "IsPresent": True, "Next": READ_OPTIONS}],
            "Default": PREPARE,
        },
        READ_OPTIONS: {
            "Type": "Choice",
            "Comment": "The object form's seq_type (absent: protein).",
            "Choices": [
                {
                    "Variable": "$.seq_type",
                    "IsPresent": False,
                    "Next": PREPARE_OBJECT[DEFAULT_SEQ_TYPE],
                },
                *(
                    {"Variable": "$.seq_type", "StringEquals": seq_type, "Next": state}
                    for seq_type, state in PREPARE_OBJECT.items()
                ),
            ],
            "Default": REQUEST_REFUSED,
        },
        PREPARE: _prepare(bucket, size, "$", DEFAULT_SEQ_TYPE),
        **{
            state: _prepare(bucket, size, "$.entries", seq_type)
            for seq_type, state in PREPARE_OBJECT.items()
        },
        STORE_REQUEST: {
            "Type": "Task",
            "Comment": "Store the request: the retrieval jobs read it, and it stays as provenance.",
            "Resource": S3_PUT_OBJECT,
            "Parameters": {
                "Bucket": bucket,
                "Key.$": "$.request_key",
                "Body.$": "$$.Execution.Input",
                "ContentType": "application/json",
            },
            "ResultPath": None,
            "Retry": [_retry(S3_TRANSIENT_ERRORS)],
            "Catch": [_catch(STORE_FAILED)],
            "Next": RETRIEVE,
        },
        RETRIEVE: {
            "Type": "Map",
            "Comment": f"One sequence-retrieval job per chunk of {size} entries.",
            "ItemsPath": "$.plan.chunks",
            "ItemSelector": {
                "entries.$": "States.JsonToString($$.Map.Item.Value)",
                "ids.$": (
                    f"States.ArrayGetItem(States.ArrayPartition($.plan.ids, {size}), "
                    "$$.Map.Item.Index)"
                ),
                "chunk.$": "$$.Map.Item.Index",
                "execution.$": "$.execution",
                "request_uri.$": "$.request_uri",
                "work_prefix.$": "$.work_prefix",
                "seq_type.$": "$.seq_type",
            },
            "MaxConcurrency": settings.max_concurrency,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": RETRIEVAL.state_name,
                "States": {
                    RETRIEVAL.state_name: {
                        **_job_task(
                            settings,
                            RETRIEVAL,
                            job_name=_job_name(RETRIEVAL, "{}-{}", "$.execution, $.chunk"),
                            command=states_array(
                                retrieval_args(_REQUEST, _ENTRIES, _WORK, output_type=_SEQ_TYPE)
                            ),
                            failed=CHUNK_FAILED,
                            result_path="$",
                        ),
                        "End": True,
                    },
                    CHUNK_FAILED: {
                        "Type": "Fail",
                        "Error": RETRIEVAL.failed_state,
                        "CausePath": (
                            "States.Format('retrieval of entries {} failed: {}', "
                            "States.JsonToString($.ids), $.failure.Cause)"
                        ),
                    },
                },
            },
            # Nothing proportional to the request goes past the Map: the plan becomes a count.
            "ResultSelector": {"jobs.$": "States.ArrayLength($)"},
            "ResultPath": "$.plan",
            "Catch": [_catch(RETRIEVAL.failed_state)],
            "Next": ALIGNMENT.state_name,
        },
        ALIGNMENT.state_name: {
            **_job_task(
                settings,
                ALIGNMENT,
                job_name=_job_name(ALIGNMENT, "{}", "$.execution"),
                command="$.commands.alignment",
                failed=ALIGNMENT.failed_state,
                result_path="$.alignment_job",
            ),
            "Next": MERGE.state_name,
        },
        MERGE.state_name: {
            **_job_task(
                settings,
                MERGE,
                job_name=_job_name(MERGE, "{}", "$.execution"),
                command="$.commands.merge",
                failed=MERGE.failed_state,
                result_path="$.merge_job",
            ),
            "Next": DONE,
        },
        DONE: _done(settings, cached=False),
        REQUEST_REFUSED: {
            "Type": "Fail",
            "Error": REQUEST_REFUSED,
            "Cause": f"request: seq_type: must be one of {', '.join(SEQ_TYPES)}",
        },
        STORE_FAILED: _fail("StoreRequestFailed", "storing the request failed: {}"),
        RETRIEVAL.failed_state: {
            "Type": "Fail",
            "Error": RETRIEVAL.failed_state,
            "CausePath": "$.failure.Cause",
        },
        ALIGNMENT.failed_state: _fail(ALIGNMENT.failed_state, "alignment failed: {}"),
        MERGE.failed_state: _fail(MERGE.failed_state, "merge of the sequence info failed: {}"),
    }
    if settings.cache:
        _add_cache(states, settings)
    definition: dict[str, Any] = {
        "Comment": (
            "PAVI MSA pipeline (proteins or transcripts): retrieval per chunk of entries, "
            "alignment, seqinfo merge."
        ),
        "StartAt": READ_REQUEST,
        "TimeoutSeconds": settings.timeout_seconds,
        "States": states,
    }
    return definition


def _done(settings: StateMachineSettings, *, cached: bool) -> dict[str, Any]:
    """The end state of a run (``cached`` false) or of an answer from the cache (true)."""
    parameters: dict[str, Any] = {
        "alignment.$": f"States.Format('{{}}{ALIGNMENT_OUTPUT}', $.results_prefix)",
        "seq_info.$": f"States.Format('{{}}{ALIGNED_SEQINFO}', $.results_prefix)",
        "report.$": f"States.Format('{{}}{REPORT}', $.results_prefix)",
        "request.$": f"States.Format('s3://{settings.bucket}/{{}}', $.request_key)",
        "work_prefix.$": "$.work_prefix",
        "results_prefix.$": "$.results_prefix",
        "seq_type.$": "$.seq_type",
        "cached": cached,
    }
    if settings.cache:
        parameters["cache.$"] = f"States.Format('s3://{settings.bucket}/{{}}', $.cache.prefix)"
    return {
        "Type": "Pass",
        "Comment": (
            "The execution's output: where its results are, copied from the request cache."
            if cached
            else "The execution's output: where its results are."
        ),
        "Parameters": parameters,
        "End": True,
    }


def _add_cache(states: dict[str, Any], settings: StateMachineSettings) -> None:
    """Put the request cache into ``states``: key, lookup, the hit's copies and end, and the
    miss's copies into the cache after the merge (README, "The request cache")."""
    bucket = settings.bucket
    store = states[STORE_REQUEST]
    # The stored request's digest, by S3: a single-part PUT into an SSE-S3 bucket answers the
    # body's MD5 as its ETag, whatever the size (States.Hash takes at most 10,000 characters).
    store["ResultSelector"] = {"etag.$": "$.ETag"}
    store["ResultPath"] = "$.stored"
    store["Next"] = CACHE_KEY
    key = (
        f"States.Hash(States.Format('{settings.pipeline_version} {{}} {{}}', "
        "$.seq_type, $.stored.etag), 'SHA-256')"
    )
    miss = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.cache.miss", "Next": RETRIEVE}
    states[CACHE_KEY] = {
        "Type": "Pass",
        "Comment": (
            "The cache key: SHA-256 of the pipeline version, the seq_type and the stored "
            "request's digest (its ETag, computed by S3)."
        ),
        "Parameters": {
            "prefix.$": f"States.Format('{CACHE_PREFIX}{{}}/', {key})",
            "results.$": "States.Format('executions/{}/results/', $$.Execution.Name)",
        },
        "ResultPath": "$.cache",
        "Next": LOOK_UP_CACHE,
    }
    states[LOOK_UP_CACHE] = {
        "Type": "Task",
        "Comment": (
            f"A hit when the entry's {ALIGNED_SEQINFO} (copied into it last) exists; any error "
            "(404, or 403 without s3:ListBucket) is a miss: the pipeline runs."
        ),
        "Resource": S3_HEAD_OBJECT,
        "Parameters": {
            "Bucket": bucket,
            "Key.$": f"States.Format('{{}}{ALIGNED_SEQINFO}', $.cache.prefix)",
        },
        "ResultPath": None,
        "Retry": [_retry(S3_TRANSIENT_ERRORS)],
        "Catch": [miss],
        "Next": COPY_FROM_CACHE[CACHED_FILES[0]],
    }
    hits = [COPY_FROM_CACHE[name] for name in CACHED_FILES] + [ANSWERED_FROM_CACHE]
    saves = [SAVE_TO_CACHE[name] for name in CACHED_FILES] + [DONE]
    for index, name in enumerate(CACHED_FILES):
        states[hits[index]] = _copy(
            bucket,
            source=f"States.Format('{bucket}/{{}}{name}', $.cache.prefix)",
            key=f"States.Format('{{}}{name}', $.cache.results)",
            # A partly expired entry: compute as on a miss.
            catch=miss,
            next_state=hits[index + 1],
        )
        states[saves[index]] = _copy(
            bucket,
            source=f"States.Format('{bucket}/{{}}{name}', $.cache.results)",
            key=f"States.Format('{{}}{name}', $.cache.prefix)",
            # The results are there: a cache that cannot be written only costs a later rerun.
            catch={"ErrorEquals": ["States.ALL"], "ResultPath": "$.cache.not_saved", "Next": DONE},
            next_state=saves[index + 1],
        )
    states[MERGE.state_name]["Next"] = saves[0]
    states[ANSWERED_FROM_CACHE] = _done(settings, cached=True)


def _copy(
    bucket: str, *, source: str, key: str, catch: dict[str, Any], next_state: str
) -> dict[str, Any]:
    """An ``s3:copyObject`` task within ``bucket`` (tags not copied: no tagging permissions)."""
    return {
        "Type": "Task",
        "Resource": S3_COPY_OBJECT,
        "Parameters": {
            "Bucket": bucket,
            "CopySource.$": source,
            "Key.$": key,
            "TaggingDirective": "REPLACE",
        },
        "ResultPath": None,
        "Retry": [_retry(S3_TRANSIENT_ERRORS)],
        "Catch": [catch],
        "Next": next_state,
    }


def _prepare(bucket: str, size: int, entries: str, seq_type: OutputType) -> dict[str, Any]:
    """The Pass state that plans a run of ``seq_type`` from the request's entries at
    ``entries`` (``$`` or ``$.entries``): prefixes, the alignment and merge commands, chunks."""
    paths = {
        _REQUEST: _execution_uri(bucket, REQUEST),
        _WORK: _prefix(bucket, "work"),
        _RESULTS: _prefix(bucket, "results"),
    }
    return {
        "Type": "Pass",
        "Comment": (
            f"A {seq_type} run: this execution's S3 prefixes, the alignment and merge commands, "
            "and the retrieval plan (the entry indexes in chunks, and their ids). The request "
            "itself stays out of the state."
        ),
        "Parameters": {
            "execution.$": "$$.Execution.Name",
            "request_key.$": f"States.Format('executions/{{}}/{REQUEST}', $$.Execution.Name)",
            "request_uri.$": paths[_REQUEST],
            "work_prefix.$": paths[_WORK],
            "results_prefix.$": paths[_RESULTS],
            "seq_type": seq_type,
            "commands": {
                "alignment.$": states_array(alignment_args(_WORK, _RESULTS, seq_type), paths),
                "merge.$": states_array(merge_args(_WORK, _RESULTS, _REQUEST, seq_type), paths),
            },
            "plan": {
                "ids.$": f"{entries}[*].unique_entry_id",
                "chunks.$": (
                    "States.ArrayPartition(States.ArrayRange(0, "
                    f"States.MathAdd(States.ArrayLength({entries}), -1), 1), {size})"
                ),
            },
        },
        "Next": STORE_REQUEST,
    }


def check_workflow_type(definition: dict[str, Any], workflow_type: str) -> None:
    """Refuse EXPRESS for a definition holding any ``.sync`` task (AWS rejects it at run time)."""
    if workflow_type not in WORKFLOW_TYPES:
        raise ValueError(f"workflow_type: must be one of {', '.join(WORKFLOW_TYPES)}")
    if workflow_type != "EXPRESS":
        return
    sync_states = sorted(_sync_task_names(definition["States"]))
    if sync_states:
        raise ValueError(
            "workflow_type: EXPRESS workflows do not support the run-a-job (.sync) pattern "
            f"used by {', '.join(sync_states)}; use STANDARD"
        )


def _sync_task_names(states: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for name, state in states.items():
        resource = state.get("Resource", "")
        if state.get("Type") == "Task" and re.search(r"\.sync(:\d+)?$", resource):
            found.append(name)
        for nested in ("ItemProcessor", "Iterator"):
            if nested in state:
                found += _sync_task_names(state[nested]["States"])
        for branch in state.get("Branches", []):
            found += _sync_task_names(branch["States"])
    return found


def _check_settings(settings: StateMachineSettings) -> None:
    if not _BUCKET_NAME.match(settings.bucket):
        raise ValueError(f"bucket: {settings.bucket!r} is not a valid S3 bucket name")
    if not settings.job_queue:
        raise ValueError("job_queue: must not be empty")
    for job in JOBS:
        if not settings.job_definitions.get(job.step):
            raise ValueError(f"job_definitions: {job.step}: must not be empty")
    if not 1 <= settings.entries_per_job <= MAX_ENTRIES:
        raise ValueError(f"entries_per_job: must be between 1 and {MAX_ENTRIES}")
    if settings.max_concurrency < 0:
        raise ValueError("max_concurrency: must be 0 (unlimited) or more")
    if not 1 <= settings.timeout_seconds <= 31_536_000:
        raise ValueError("timeout_seconds: must be between 1 and 31536000 (one year)")
    if settings.cache and not _PIPELINE_VERSION.match(settings.pipeline_version):
        raise ValueError(
            "pipeline_version: the cache needs the pipeline's version: 1 to 2000 of "
            "A-Z a-z 0-9 _ . / : @ + , = -"
        )


def _prefix(bucket: str, kind: str) -> str:
    return _execution_uri(bucket, f"{kind}/")


def _execution_uri(bucket: str, name: str) -> str:
    return f"States.Format('s3://{bucket}/executions/{{}}/{name}', $$.Execution.Name)"


def _job_name(job: Job, template: str, paths: str) -> str:
    return f"States.Format('{job.job_name_prefix}{template}', {paths})"


def states_array(args: Sequence[str], paths: Mapping[str, str] = _PATHS) -> str:
    """``States.Array(…)`` of a job's arguments: placeholders become paths, the rest literals."""
    items = []
    for arg in args:
        if arg in paths:
            items.append(paths[arg])
        elif _PLAIN_LITERAL.match(arg):
            items.append(f"'{arg}'")
        else:
            raise ValueError(f"argument {arg!r} cannot be an unescaped ASL string literal")
    return f"States.Array({', '.join(items)})"


def _retry(errors: tuple[str, ...]) -> dict[str, Any]:
    return {
        "ErrorEquals": list(errors),
        "IntervalSeconds": 2,
        "MaxAttempts": 5,
        "BackoffRate": 2.0,
        "MaxDelaySeconds": 60,
        "JitterStrategy": "FULL",
    }


def _catch(fail_state: str) -> dict[str, Any]:
    return {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": fail_state}


def _fail(error: str, cause_template: str) -> dict[str, Any]:
    return {
        "Type": "Fail",
        "Error": error,
        "CausePath": f"States.Format('{cause_template}', $.failure.Cause)",
    }


def _job_task(
    settings: StateMachineSettings,
    job: Job,
    *,
    job_name: str,
    command: str,
    failed: str,
    result_path: str,
) -> dict[str, Any]:
    return batch.job_task(
        job_queue=settings.job_queue,
        job_definition=settings.job_definitions[job.step],
        job_name=job_name,
        command=command,
        retry=_retry(batch.TRANSIENT_ERRORS),
        catch=_catch(failed),
        result_path=result_path,
    )
