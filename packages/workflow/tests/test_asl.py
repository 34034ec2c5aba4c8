"""The state machine definition: validators, the EXPRESS guard, and runs on moto's interpreter."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pavi_contracts.jobs import ALIGNMENT, MERGE, RETRIEVAL
from pavi_workflow import asl, batch
from pavi_workflow.asl import StateMachineSettings, build_definition, check_workflow_type
from pavi_workflow.client import history
from pavi_workflow.request import validate_request
from pavi_workflow.runner import plan_run

SETTINGS = StateMachineSettings(
    job_queue="arn:aws:batch:us-east-1:123456789012:job-queue/pavi",
    job_definitions={
        "retrieval": "arn:aws:batch:us-east-1:123456789012:job-definition/r:1",
        "alignment": "arn:aws:batch:us-east-1:123456789012:job-definition/a:1",
        "merge": "arn:aws:batch:us-east-1:123456789012:job-definition/m:1",
    },
    bucket="pavi-bucket",
)
#: The same with the request cache on (its states must pass the validators too).
CACHED = StateMachineSettings(
    **{**SETTINGS.__dict__, "cache": True, "pipeline_version": "r@sha256:1+a@sha256:2+m@sha256:3"}
)
#: Step Functions STANDARD price: USD per state transition ($0.025 per 1,000).
USD_PER_TRANSITION = 0.025 / 1000
CASES = sorted(
    p.name
    for p in (Path(__file__).resolve().parents[3] / "testdata" / "cases").iterdir()
    if p.is_dir()
)


def _write(tmp_path: Path, definition: dict[str, Any]) -> Path:
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    return path


@pytest.mark.parametrize("settings", [SETTINGS, CACHED], ids=["no cache", "cache"])
def test_definition_passes_asl_validator(
    settings: StateMachineSettings, tmp_path: Path, node_tool: Callable[[str], str]
) -> None:
    path = _write(tmp_path, build_definition(settings))
    done = subprocess.run(
        [node_tool("asl-validator"), "--json-path", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is valid" in done.stdout


@pytest.mark.parametrize("settings", [SETTINGS, CACHED], ids=["no cache", "cache"])
def test_definition_passes_statelint(
    settings: StateMachineSettings, tmp_path: Path, node_tool: Callable[[str], str]
) -> None:
    path = _write(tmp_path, build_definition(settings))
    done = subprocess.run(
        [node_tool("statelint"), str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_validators_reject_a_broken_definition(
    tmp_path: Path, node_tool: Callable[[str], str]
) -> None:
    definition = build_definition(SETTINGS)
    definition["States"][ALIGNMENT.state_name]["Next"] = "NoSuchState"
    path = _write(tmp_path, definition)
    for tool in ("asl-validator", "statelint"):
        args = (
            [node_tool(tool), "--json-path", str(path)]
            if tool == "asl-validator"
            else [
                node_tool(tool),
                str(path),
            ]
        )
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        assert done.returncode != 0 or "NoSuchState" in done.stdout, tool


def test_express_with_sync_tasks_is_refused() -> None:
    definition = build_definition(SETTINGS)
    with pytest.raises(ValueError, match=r"EXPRESS.*\.sync.*AlignSequences.*RetrieveChunk"):
        check_workflow_type(definition, "EXPRESS")
    check_workflow_type(definition, asl.WORKFLOW_TYPE)


def test_guard_finds_sync_tasks_nested_in_parallel_branches() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {
                        "StartAt": "T",
                        "States": {
                            "T": {"Type": "Task", "Resource": batch.SUBMIT_JOB_SYNC, "End": True}
                        },
                    }
                ],
            }
        },
    }
    with pytest.raises(ValueError, match="EXPRESS"):
        check_workflow_type(definition, "EXPRESS")
    check_workflow_type(definition, "STANDARD")
    with pytest.raises(ValueError, match="workflow_type"):
        check_workflow_type(definition, "FAST")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bucket": "Bad_Bucket"}, "bucket"),
        ({"bucket": "x'y"}, "bucket"),
        ({"job_queue": ""}, "job_queue"),
        ({"max_concurrency": -1}, "max_concurrency"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
    ],
)
def test_bad_settings_are_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        build_definition(StateMachineSettings(**{**SETTINGS.__dict__, **change}))


def test_shape_follows_the_decisions() -> None:
    definition = build_definition(SETTINGS)
    states = definition["States"]
    assert definition["TimeoutSeconds"] == 3600
    assert definition["StartAt"] == asl.READ_REQUEST
    assert states[asl.STORE_REQUEST]["Resource"] == "arn:aws:states:::aws-sdk:s3:putObject"
    assert states[asl.STORE_REQUEST]["Parameters"]["Body.$"] == "$$.Execution.Input"
    # Either form of the request: the bare array, or {"entries": [...], "seq_type": ...}.
    prepares = {asl.PREPARE: "$", **dict.fromkeys(asl.PREPARE_OBJECT.values(), "$.entries")}
    for name, entries in prepares.items():
        # The request itself never enters the state: Prepare keeps only ids and index chunks.
        assert "request.$" not in states[name]["Parameters"]
        assert states[name]["Parameters"]["plan"]["ids.$"] == f"{entries}[*].unique_entry_id"
        assert states[name]["Next"] == asl.STORE_REQUEST
    retrieve = states[asl.RETRIEVE]
    assert retrieve["MaxConcurrency"] == 40
    assert retrieve["ItemsPath"] == "$.plan.chunks"
    assert retrieve["ItemSelector"]["entries.$"] == "States.JsonToString($$.Map.Item.Value)"
    # Nothing proportional to the request goes past the Map.
    assert retrieve["ResultSelector"] == {"jobs.$": "States.ArrayLength($)"}
    assert retrieve["ResultPath"] == "$.plan"
    assert retrieve["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    tasks = [
        retrieve["ItemProcessor"]["States"][RETRIEVAL.state_name],
        states[ALIGNMENT.state_name],
    ]
    tasks.append(states[MERGE.state_name])
    for task in tasks:
        assert task["Resource"] == "arn:aws:states:::batch:submitJob.sync"
        assert "Command.$" in task["Parameters"]["ContainerOverrides"]
        assert set(task["ResultSelector"]) == {"job_id.$", "log_stream.$"}
        assert task["Retry"][0]["JitterStrategy"] == "FULL"
        assert "Batch.ServerException" in task["Retry"][0]["ErrorEquals"]
        assert task["Catch"][0]["ErrorEquals"] == ["States.ALL"]
    text = json.dumps(definition)
    assert "Lambda" not in text
    assert '"--request", "' not in text  # no `.$` values hidden inside arrays


def test_settings_reach_the_definition() -> None:
    custom = StateMachineSettings(
        **{**SETTINGS.__dict__, "max_concurrency": 7, "timeout_seconds": 99}
    )
    definition = build_definition(custom)
    assert definition["TimeoutSeconds"] == 99
    assert definition["States"][asl.RETRIEVE]["MaxConcurrency"] == 7
    assert (
        "s3://pavi-bucket/executions/"
        in definition["States"][asl.PREPARE]["Parameters"]["work_prefix.$"]
    )


#: The request forms an execution takes: (label, seq_type in the object form; None: bare array).
FORMS = [("array", None), ("protein", "protein"), ("transcript", "transcript")]


@pytest.mark.parametrize(("form", "seq_type"), FORMS, ids=[f[0] for f in FORMS])
@pytest.mark.parametrize("case", CASES)
def test_moto_submits_the_runner_commands(
    case: str,
    form: str,
    seq_type: str | None,
    pipeline: Any,
    case_request: Callable[[str], list[dict[str, Any]]],
) -> None:
    entries = case_request(case)
    execution_input: Any = (
        entries if seq_type is None else {"entries": entries, "seq_type": seq_type}
    )
    name = f"exec-{case}-{form}"
    described = pipeline.execute(execution_input, name)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    prefix = f"s3://{pipeline.bucket}/executions/{name}/"
    output = json.loads(described["output"])
    assert output["alignment"] == f"{prefix}results/alignment-output.aln"
    assert output["seq_info"] == f"{prefix}results/aligned_seq_info.json"
    assert output["seq_type"] == (seq_type or "protein")

    request = validate_request(execution_input, target="local")
    assert request.seq_type == (seq_type or "protein")
    plan = plan_run(
        request,
        f"{prefix}request.json",
        f"{prefix}work/",
        f"{prefix}results/",
        entries_per_job=pipeline.entries_per_job,
    )
    submitted = pipeline.submitted_commands(described["executionArn"])
    n = len(plan.retrievals)
    assert n == -(-len(entries) // pipeline.entries_per_job)  # one job per chunk
    # Retrievals run concurrently: same set, all before the alignment, then the merge.
    expected = sorted(tuple(s.command.argv) for s in plan.retrievals)
    assert sorted(map(tuple, submitted[:n])) == expected
    assert submitted[n:] == [plan.alignment.command.argv, plan.merge.command.argv]
    if seq_type == "transcript":
        assert all(c[c.index("--output-type") + 1] == "transcript" for c in submitted[:n])
        assert submitted[n][-2:] == submitted[n + 1][-2:] == ["--seq-type", "dna"]
    else:
        assert all("--seq-type" not in c for c in submitted)  # the protein commands as before

    # Stored as given: the retrieval jobs read either form (the runner stores the same).
    stored = pipeline.s3.get_object(Bucket=pipeline.bucket, Key=f"executions/{name}/request.json")
    assert json.loads(stored["Body"].read()) == execution_input
    assert validate_request(json.loads(request.to_json()), target="local") == request

    events = history(described["executionArn"], sfn=pipeline.sfn)
    transitions = sum(1 for event in events if str(event["type"]).endswith("StateEntered"))
    print(
        f"{case} ({form}): {len(entries)} entries, {n} retrieval jobs, {transitions} "
        f"transitions, ${transitions * USD_PER_TRANSITION:.6f}"
    )
    # ReadRequest, [ReadOptions,] Prepare, StoreRequest, Map, one task per chunk, 2 jobs, Done.
    assert transitions == n + (7 if seq_type is None else 8)


@pytest.mark.parametrize("seq_type", ["rna", "Transcript", 5, None])
def test_a_bad_seq_type_is_refused_before_any_job(
    seq_type: Any, pipeline: Any, case_request: Callable[[str], list[dict[str, Any]]]
) -> None:
    request = {"entries": case_request("syn-no-variants"), "seq_type": seq_type}
    described = pipeline.execute(request, "exec-bad-seq-type")
    assert described["status"] == "FAILED"
    assert described["error"] == asl.REQUEST_REFUSED
    assert described["cause"] == "request: seq_type: must be one of protein, transcript"
    assert pipeline.submitted_commands(described["executionArn"]) == []


def test_failing_retrieval_fails_the_execution_naming_the_entry(
    pipeline: Any,
    batch_failures: list[Callable[[list[str]], bool]],
    case_request: Callable[[str], list[dict[str, Any]]],
    case_status: Callable[[str], dict[str, Any]],
) -> None:
    case = "syn-failure-missing-seqid"
    failed = [
        t["unique_entry_id"]
        for t in case_status(case)["steps"]["sequence_retrieval"]["tasks"]
        if t["status"] == "failed"
    ]
    assert failed == ["002_pavF-3.1"]
    request = case_request(case)
    ids = [entry["unique_entry_id"] for entry in request]
    index = ids.index(failed[0])
    batch_failures.append(
        lambda c: "--entries" in c and index in json.loads(c[c.index("--entries") + 1])
    )
    described = pipeline.execute(request, "exec-failing-entry")
    assert described["status"] == "FAILED"
    assert described["error"] == "RetrievalFailed"
    size = pipeline.entries_per_job
    chunk = ids[index - index % size :][:size]
    assert described["cause"].startswith(
        f"retrieval of entries {json.dumps(chunk, separators=(',', ':'))} failed: "
    )
    assert failed[0] in chunk
    commands = pipeline.submitted_commands(described["executionArn"])
    assert all(c[0] == "pavi-seq-retrieval" for c in commands)  # alignment never submitted


@pytest.mark.parametrize(
    ("script", "error", "cause"),
    [
        ("pavi-alignment", "AlignmentFailed", "alignment failed: "),
        ("pavi-seqinfo-align", "MergeFailed", "merge of the sequence info failed: "),
    ],
)
def test_failing_step_fails_the_execution_naming_the_step(
    script: str,
    error: str,
    cause: str,
    pipeline: Any,
    batch_failures: list[Callable[[list[str]], bool]],
    case_request: Callable[[str], list[dict[str, Any]]],
) -> None:
    batch_failures.append(lambda command: command[0] == script)
    described = pipeline.execute(case_request("syn-no-variants"), f"exec-{error}")
    assert described["status"] == "FAILED"
    assert described["error"] == error
    assert described["cause"].startswith(cause)
    submitted = [c[0] for c in pipeline.submitted_commands(described["executionArn"])]
    assert submitted[-1] == script


def test_commands_are_arguments_built_by_the_commands_module() -> None:
    states = build_definition(SETTINGS)["States"]
    retrieve = states[asl.RETRIEVE]["ItemProcessor"]["States"][RETRIEVAL.state_name]
    # Arguments only: the script is the image's entrypoint.
    assert retrieve["Parameters"]["ContainerOverrides"]["Command.$"] == (
        "States.Array('--request', $.request_uri, '--entries', $.entries, "
        "'--output-type', $.seq_type, '--output-prefix', $.work_prefix)"
    )
    assert states[ALIGNMENT.state_name]["Parameters"]["ContainerOverrides"]["Command.$"] == (
        "$.commands.alignment"
    )
    assert states[MERGE.state_name]["Parameters"]["ContainerOverrides"]["Command.$"] == (
        "$.commands.merge"
    )
    work = "States.Format('s3://pavi-bucket/executions/{}/work/', $$.Execution.Name)"
    results = "States.Format('s3://pavi-bucket/executions/{}/results/', $$.Execution.Name)"
    request = "States.Format('s3://pavi-bucket/executions/{}/request.json', $$.Execution.Name)"
    for name, seq_type, tail in [
        (asl.PREPARE, "protein", ""),
        (asl.PREPARE_OBJECT["protein"], "protein", ""),
        (asl.PREPARE_OBJECT["transcript"], "transcript", ", '--seq-type', 'dna'"),
    ]:
        parameters = states[name]["Parameters"]
        assert parameters["seq_type"] == seq_type
        assert parameters["commands"] == {
            "alignment.$": (
                f"States.Array('--work-prefix', {work}, '--results-prefix', {results}{tail})"
            ),
            "merge.$": (
                f"States.Array('--work-prefix', {work}, '--results-prefix', {results}, "
                f"'--request', {request}{tail})"
            ),
        }
    assert asl.states_array(["--a", "X"], {"X": "$.x"}) == "States.Array('--a', $.x)"
    with pytest.raises(ValueError, match="cannot be an unescaped ASL string literal"):
        asl.states_array(["it's"])


def test_the_request_form_picks_the_prepare_state() -> None:
    states = build_definition(SETTINGS)["States"]
    assert states[asl.READ_REQUEST]["Choices"] == [
        {"Variable": "$.entries", "IsPresent": True, "Next": asl.READ_OPTIONS}
    ]
    assert states[asl.READ_REQUEST]["Default"] == asl.PREPARE
    options = states[asl.READ_OPTIONS]
    assert options["Choices"][0] == {
        "Variable": "$.seq_type",
        "IsPresent": False,
        "Next": "PrepareProtein",
    }
    assert options["Choices"][1:] == [
        {"Variable": "$.seq_type", "StringEquals": "protein", "Next": "PrepareProtein"},
        {"Variable": "$.seq_type", "StringEquals": "transcript", "Next": "PrepareTranscript"},
    ]
    assert options["Default"] == asl.REQUEST_REFUSED
    assert states[asl.REQUEST_REFUSED]["Type"] == "Fail"
