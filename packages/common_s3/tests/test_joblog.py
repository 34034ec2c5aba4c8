"""joblog: JSON log records and the one-line failure convention."""

from __future__ import annotations

import json

import pytest
from pavi_common_s3 import ObjectNotFound
from pavi_common_s3.joblog import EXIT_FAILURE, EXIT_USAGE, JobError, fail, log, run_job


def test_log_writes_one_json_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    log("pavi-x", "started", entry="E1", count=3)
    log("pavi-x", "done")
    lines = capsys.readouterr().err.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["event"] for r in records] == ["started", "done"]
    assert records[0]["job"] == "pavi-x"
    assert (records[0]["entry"], records[0]["count"]) == ("E1", 3)
    assert isinstance(records[0]["ts"], float)


def test_fail_prints_one_line_and_exits(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        fail("pavi-x", "broken", EXIT_USAGE)
    assert exit_info.value.code == EXIT_USAGE
    assert capsys.readouterr().err == "pavi-x: error: broken\n"


def _raise(err: BaseException) -> None:
    raise err


@pytest.mark.parametrize(
    ("err", "code", "line"),
    [
        (JobError("entry E1: field x: bad", EXIT_USAGE), EXIT_USAGE, "entry E1: field x: bad"),
        (JobError("clustalo failed"), EXIT_FAILURE, "clustalo failed"),
        (ObjectNotFound("s3://b/k", "no such object"), EXIT_FAILURE, "s3://b/k: no such object"),
        (ValueError("odd"), EXIT_FAILURE, "unexpected ValueError: odd"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_run_job_turns_failures_into_one_line(
    err: BaseException, code: int, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_job("pavi-x", lambda: _raise(err))
    assert exit_info.value.code == code
    assert capsys.readouterr().err == f"pavi-x: error: {line}\n"


def test_run_job_success_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    ran = []
    run_job("pavi-x", lambda: ran.append(True))
    assert ran == [True]
    assert capsys.readouterr().err == ""
