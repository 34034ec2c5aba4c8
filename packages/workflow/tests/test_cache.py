"""The request cache of the state machine, executed by moto's interpreter."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from pavi_contracts.files import ALIGNED_SEQINFO, ALIGNMENT_OUTPUT, REPORT
from pavi_workflow import asl, client
from pavi_workflow.asl import StateMachineSettings, build_definition
from pavi_workflow.cli import main
from pavi_workflow.client import history

VERSION = "pavi-seq-retrieval:0.1.0+pavi-alignment:0.1.0+pavi-seqinfo-align:0.1.0"
RESULTS = (ALIGNMENT_OUTPUT, ALIGNED_SEQINFO, REPORT)
USD_PER_TRANSITION = 0.025 / 1000


@pytest.fixture
def cached(pipeline: Any, merge_outputs: list[str]) -> Any:
    """The moto pipeline redeployed with the cache on; merge jobs write result files."""
    pipeline.deploy("pavi-cached", cache=True, pipeline_version=VERSION)
    return pipeline


def _results(pipeline: Any, name: str) -> dict[str, bytes]:
    prefix = f"executions/{name}/results/"
    return {
        file: pipeline.s3.get_object(Bucket=pipeline.bucket, Key=prefix + file)["Body"].read()
        for file in RESULTS
    }


def _states(pipeline: Any, arn: str) -> list[str]:
    return [
        str(event["stateEnteredEventDetails"]["name"])
        for event in history(arn, sfn=pipeline.sfn)
        if str(event["type"]).endswith("StateEntered")
    ]


def _run(pipeline: Any, request: Any, name: str) -> tuple[dict[str, Any], list[str]]:
    described = pipeline.execute(request, name)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    return json.loads(described["output"]), _states(pipeline, described["executionArn"])


def _cache_keys(pipeline: Any) -> list[str]:
    listed = pipeline.s3.list_objects_v2(Bucket=pipeline.bucket, Prefix=asl.CACHE_PREFIX)
    return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.mark.parametrize("form", ["array", "object"])
def test_a_request_run_twice_is_answered_from_the_cache(
    form: str, cached: Any, case_request: Callable[[str], list[dict[str, Any]]]
) -> None:
    entries = case_request("syn-substitutions")
    request: Any = entries if form == "array" else {"entries": entries, "seq_type": "protein"}
    first, first_states = _run(cached, request, "first")
    assert first["cached"] is False
    assert first_states[-4:] == [*asl.SAVE_TO_CACHE.values(), asl.DONE]
    # The cache entry holds the three results, seq info (the lookup's key) written last.
    prefix = first["cache"].removeprefix(f"s3://{cached.bucket}/")
    assert _cache_keys(cached) == sorted(prefix + file for file in RESULTS)
    first_jobs = len(cached.submitted_commands(_arn(cached, "first")))
    assert first_jobs == -(-len(entries) // cached.entries_per_job) + 2

    second, second_states = _run(cached, request, "second")
    assert second["cached"] is True
    assert second["cache"] == first["cache"]
    assert (
        second["alignment"] == f"s3://{cached.bucket}/executions/second/results/{ALIGNMENT_OUTPUT}"
    )
    assert cached.submitted_commands(_arn(cached, "second")) == []  # no Batch job
    assert _results(cached, "second") == _results(cached, "first")  # byte for byte
    assert len(cached.batch.list_jobs(jobQueue=cached.settings.job_queue)["jobSummaryList"]) == (
        first_jobs
    )
    # The request is still stored, as provenance.
    stored = cached.s3.get_object(Bucket=cached.bucket, Key="executions/second/request.json")
    body = stored["Body"].read()
    assert json.loads(body) == request
    # The key: SHA-256 of the version, the seq_type and the stored request's MD5 (its ETag).
    etag = f'"{hashlib.md5(body).hexdigest()}"'  # S3 answers the body's MD5
    key = hashlib.sha256(f"{VERSION} protein {etag}".encode()).hexdigest()
    assert second["cache"] == f"s3://{cached.bucket}/cache/{key}/"
    hit = [asl.LOOK_UP_CACHE, *asl.COPY_FROM_CACHE.values(), asl.ANSWERED_FROM_CACHE]
    assert second_states[-len(hit) :] == hit
    transitions = len(second_states)
    assert transitions == (9 if form == "array" else 10)
    took = {
        name: cached.sfn.describe_execution(executionArn=_arn(cached, name))
        for name in ("first", "second")
    }
    seconds = {n: (d["stopDate"] - d["startDate"]).total_seconds() for n, d in took.items()}
    print(
        f"cache hit ({form}): {transitions} transitions, "
        f"${transitions * USD_PER_TRANSITION:.6f}, {seconds['second']:.2f} s on moto; "
        f"the run: {len(first_states)} transitions, {seconds['first']:.2f} s on moto"
    )


def _arn(pipeline: Any, name: str) -> str:
    return str(pipeline.arn.replace(":stateMachine:", ":execution:") + f":{name}")


def test_a_different_request_or_seq_type_misses(
    cached: Any, case_request: Callable[[str], list[dict[str, Any]]]
) -> None:
    entries = case_request("syn-substitutions")
    first, _ = _run(cached, entries, "first")
    changed = [{**entries[0], "unique_entry_id": entries[0]["unique_entry_id"] + "x"}]
    changed += entries[1:]
    other, _ = _run(cached, changed, "other-request")
    transcript, _ = _run(cached, {"entries": entries, "seq_type": "transcript"}, "transcript")
    for output, name in ((other, "other-request"), (transcript, "transcript")):
        assert output["cached"] is False
        assert output["cache"] != first["cache"]
        assert cached.submitted_commands(_arn(cached, name))  # the jobs ran
        assert _results(cached, name) != _results(cached, "first")
    assert len(_cache_keys(cached)) == 3 * len(RESULTS)


def test_another_pipeline_version_misses(
    cached: Any, case_request: Callable[[str], list[dict[str, Any]]]
) -> None:
    entries = case_request("syn-substitutions")
    first, _ = _run(cached, entries, "first")
    cached.deploy("pavi-new-images", cache=True, pipeline_version=VERSION.replace("0.1.0", "0.2.0"))
    again, states = _run(cached, entries, "new-images")
    assert again["cached"] is False
    assert again["cache"] != first["cache"]
    assert asl.ANSWERED_FROM_CACHE not in states
    assert cached.submitted_commands(_arn(cached, "new-images"))


def test_a_partly_expired_entry_runs_the_pipeline(
    cached: Any, case_request: Callable[[str], list[dict[str, Any]]]
) -> None:
    entries = case_request("syn-substitutions")
    first, _ = _run(cached, entries, "first")
    prefix = first["cache"].removeprefix(f"s3://{cached.bucket}/")
    cached.s3.delete_object(Bucket=cached.bucket, Key=prefix + REPORT)  # expired first
    again, states = _run(cached, entries, "again")
    assert again["cached"] is False
    assert asl.COPY_FROM_CACHE[REPORT] in states
    assert cached.submitted_commands(_arn(cached, "again"))
    assert _cache_keys(cached) == sorted(prefix + file for file in RESULTS)  # saved again


def test_without_the_cache_there_is_no_cache_state() -> None:
    settings = StateMachineSettings(
        job_queue="q",
        job_definitions={"retrieval": "r", "alignment": "a", "merge": "m"},
        bucket="pavi-bucket",
    )
    names = {
        asl.CACHE_KEY,
        asl.LOOK_UP_CACHE,
        asl.ANSWERED_FROM_CACHE,
        *asl.COPY_FROM_CACHE.values(),
        *asl.SAVE_TO_CACHE.values(),
    }
    off = build_definition(settings)
    assert not names & set(off["States"])
    assert "cache/" not in json.dumps(off)
    assert off["States"][asl.STORE_REQUEST]["ResultPath"] is None
    on = build_definition(
        StateMachineSettings(**{**settings.__dict__, "cache": True, "pipeline_version": VERSION})
    )
    assert names <= set(on["States"])
    assert VERSION in on["States"][asl.CACHE_KEY]["Parameters"]["prefix.$"]
    for bad in ("", "it's", "a{}b"):
        with pytest.raises(ValueError, match=r"^pipeline_version:"):
            build_definition(
                StateMachineSettings(
                    **{**settings.__dict__, "cache": True, "pipeline_version": bad}
                )
            )


def test_status_says_whether_the_cache_answered(
    cached: Any, case_request: Callable[[str], list[dict[str, Any]]]
) -> None:
    entries = case_request("syn-substitutions")
    first, _ = _run(cached, entries, "first")
    _run(cached, entries, "second")
    ran = client.status(_arn(cached, "first"), sfn=cached.sfn)
    answered = client.status(_arn(cached, "second"), sfn=cached.sfn)
    assert ran == client.ExecutionStatus("COMPLETED", "SUCCEEDED", cache=first["cache"])
    assert answered == client.ExecutionStatus(
        "COMPLETED", "SUCCEEDED", cached=True, cache=first["cache"]
    )
    result = CliRunner().invoke(main, ["status", _arn(cached, "second")])
    assert result.exit_code == 0
    assert result.output == f"COMPLETED\nanswered from the cache: {first['cache']}\n"
    result = CliRunner().invoke(main, ["status", _arn(cached, "first")])
    assert result.output == "COMPLETED\n"
    found = client.results(_arn(cached, "second"), sfn=cached.sfn)
    assert found.read_alignment().encode() == _results(cached, "first")[ALIGNMENT_OUTPUT]


def test_pavi_asl_turns_the_cache_on_with_a_pipeline_version() -> None:
    result = CliRunner().invoke(main, ["asl", "--pipeline-version", VERSION])
    assert result.exit_code == 0, result.output
    states = json.loads(result.output)["States"]
    assert asl.LOOK_UP_CACHE in states
    assert VERSION in states[asl.CACHE_KEY]["Parameters"]["prefix.$"]
    assert asl.LOOK_UP_CACHE not in json.loads(CliRunner().invoke(main, ["asl"]).output)["States"]
    result = CliRunner().invoke(main, ["asl", "--pipeline-version", "it's"])
    assert result.exit_code == 2
    assert "pipeline_version: the cache needs the pipeline's version" in result.output
