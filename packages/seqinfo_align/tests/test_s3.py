"""The merge job against s3:// prefixes on a real S3 API server (moto in server mode)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

JobResult = Any  # see conftest.py
RunMerge = Callable[[str, str], JobResult]


def _keys(s3: Any, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_parity_on_s3(
    s3: Any, s3_bucket: str, testdata: Path, run_merge: RunMerge, validators: Any
) -> None:
    expected = testdata / "cases" / "real-sparse-wormbase" / "expected"
    prefix = "executions/e1"
    staged = []
    for seqinfo in sorted(expected.glob("*-seqinfo.json")):
        key = f"{prefix}/work/{seqinfo.name}"
        s3.put_object(Bucket=s3_bucket, Key=key, Body=seqinfo.read_bytes())
        staged.append(key)
    aln_key = f"{prefix}/results/alignment-output.aln"
    s3.put_object(
        Bucket=s3_bucket, Key=aln_key, Body=(expected / "alignment-output.aln").read_bytes()
    )

    result = run_merge(f"s3://{s3_bucket}/{prefix}/work/", f"s3://{s3_bucket}/{prefix}/results/")

    assert result.code == 0, result.lines
    out_key = f"{prefix}/results/aligned_seq_info.json"
    produced = s3.get_object(Bucket=s3_bucket, Key=out_key)["Body"].read()
    assert produced == (expected / "aligned_seq_info.json").read_bytes()
    validators.aligned.validate(json.loads(produced))
    report_key = f"{prefix}/results/report.html"
    assert _keys(s3, s3_bucket) == sorted([*staged, aln_key, out_key, report_key])


def test_missing_alignment_on_s3(s3: Any, s3_bucket: str, run_merge: RunMerge) -> None:
    s3.put_object(Bucket=s3_bucket, Key="e/work/000_x-seqinfo.json", Body=b'{"x": {}}')
    result = run_merge(f"s3://{s3_bucket}/e/work/", f"s3://{s3_bucket}/e/results/")
    assert result.code == 2
    assert result.last == (
        f"pavi-seqinfo-align: error: s3://{s3_bucket}/e/results/alignment-output.aln: "
        "alignment file not found"
    )
    assert _keys(s3, s3_bucket) == ["e/work/000_x-seqinfo.json"]
