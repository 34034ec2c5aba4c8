"""`pavi run` with a failing s3:// genome: no credential or signature in any message it leaves,
whether its checks before the run refuse the genome (exit 2) or the retrieval job fails on it
(`--no-preflight`, exit 1: its stderr, run.json, the jobs' logs, the outputs)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

PAVI = str(Path(sys.executable).parent / "pavi")
SECRETS = re.compile(r"X-Amz-|Signature|Credential=", re.IGNORECASE)


@pytest.mark.parametrize("preflight", [True, False], ids=["preflight", "no-preflight"])
@pytest.mark.parametrize("fault", ["truncated_gzi", "missing_fai", "unknown_seq_id"])
def test_failing_s3_genome_leaves_no_secret(
    aws_env: str, s3_bucket: str, testdata: Path, tmp_path: Path, fault: str, preflight: bool
) -> None:
    client = boto3.client("s3", endpoint_url=aws_env)
    source = testdata / "genomes" / "synthetic.fa.gz"
    for suffix in ("", ".fai", ".gzi"):
        body = Path(f"{source}{suffix}").read_bytes()
        if suffix == ".gzi" and fault == "truncated_gzi":
            body = body[:20]
        if suffix == ".fai" and fault == "missing_fai":
            continue
        client.put_object(Bucket=s3_bucket, Key=f"g/genome.fa.gz{suffix}", Body=body)
    text = (testdata / "cases" / "syn-substitutions" / "request.json").read_text()
    entry: dict[str, Any] = json.loads(text.replace("{data}", str(testdata)))[0]
    entry.update(fasta_file_url=f"s3://{s3_bucket}/g/genome.fa.gz", variant_ids=[])
    if fault == "unknown_seq_id":
        entry["seq_id"] = "chrX"
    request = tmp_path / "request.json"
    request.write_text(json.dumps([entry]))
    out = tmp_path / "out"
    command = [PAVI, "run", str(request), "--out", str(out)]
    done = subprocess.run(
        [*command, *([] if preflight else ["--no-preflight"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == (2 if preflight else 1), done.stderr
    assert f"s3://{s3_bucket}/g/genome.fa.gz" in done.stderr  # the genome is named ...
    assert not SECRETS.search(done.stderr)  # ... but nothing that signs a request
    texts = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    if not preflight:  # the retrieval ran and failed: the failed run stays in DIR/staging
        assert out / "staging" / "run.json" in texts
        assert any(p.parent.name == "logs" for p in texts)
    for path in texts:
        assert not SECRETS.search(path.read_text(errors="replace")), path
