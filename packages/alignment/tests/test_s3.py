"""The alignment job against s3:// prefixes on a real S3 API server (moto in server mode)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

RunAlignment = Callable[..., Any]


def _keys(s3: Any, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_parity_on_s3(
    s3: Any, s3_bucket: str, testdata: Path, require_clustalo: str, run_alignment: RunAlignment
) -> None:
    expected = testdata / "cases" / "syn-multi-variant" / "expected"
    prefix = "executions/e1"
    staged = []
    for retrieved in [*expected.glob("*-protein.fa"), *expected.glob("*-seqinfo.json")]:
        key = f"{prefix}/work/{retrieved.name}"
        s3.put_object(Bucket=s3_bucket, Key=key, Body=retrieved.read_bytes())
        staged.append(key)
    s3.put_object(Bucket=s3_bucket, Key="executions/e0/work/zzz-protein.fa", Body=b">z\nMK\n")

    result = run_alignment(
        f"s3://{s3_bucket}/{prefix}/work/", f"s3://{s3_bucket}/{prefix}/results/"
    )

    assert result.code == 0, result.lines

    def get(key: str) -> bytes:
        body: bytes = s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
        return body

    assert (
        get(f"{prefix}/work/alignment-input.fa") == (expected / "alignment-input.fa").read_bytes()
    )
    assert (
        get(f"{prefix}/results/alignment-output.aln")
        == (expected / "alignment-output.aln").read_bytes()
    )

    def tags(key: str) -> dict[str, str]:
        tag_set = s3.get_object_tagging(Bucket=s3_bucket, Key=key)["TagSet"]
        return {t["Key"]: t["Value"] for t in tag_set}

    # the lifecycle rule expires tagged work objects; results are kept
    assert tags(f"{prefix}/work/alignment-input.fa") == {"pavi:stage": "work"}
    assert tags(f"{prefix}/results/alignment-output.aln") == {}
    assert _keys(s3, s3_bucket) == sorted(
        [
            *staged,
            "executions/e0/work/zzz-protein.fa",
            f"{prefix}/work/alignment-input.fa",
            f"{prefix}/results/alignment-output.aln",
        ]
    )


def test_one_sequence_on_s3_writes_nothing(
    s3: Any, s3_bucket: str, run_alignment: RunAlignment
) -> None:
    s3.put_object(Bucket=s3_bucket, Key="e/work/000_a-protein.fa", Body=b">a\nMKV\n")
    result = run_alignment(f"s3://{s3_bucket}/e/work/", f"s3://{s3_bucket}/e/results/")
    assert result.code == 1
    assert "Clustal Omega needs at least 2 sequences" in result.last
    assert _keys(s3, s3_bucket) == ["e/work/000_a-protein.fa"]
