"""The console script: both call forms, bad input, genomes over HTTP and S3, the variant API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from pavi_seq_retrieval.genome import close_genomes
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CASES = Path(__file__).resolve().parents[3] / "testdata" / "cases"
SUBST = CASES / "syn-substitutions"
Run = Callable[[list[str]], Any]


def entry_args(entry: Any, out: Path | str, *extra: str) -> list[str]:
    text = entry if isinstance(entry, str) else json.dumps(entry)
    return ["--entry", text, "--output-type", "protein", "--output-prefix", str(out), *extra]


def assert_one_line_failure(result: Any, code: int, *parts: str) -> str:
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.plain_lines) == 1, result.stderr
    line: str = result.plain_lines[0]
    assert line.startswith("pavi-seq-retrieval: error: ")
    assert result.stderr.endswith(line + "\n")  # the last line
    for part in parts:
        assert part in line, line
    return line


def assert_same_as_expected(out: Path, folder: Path, entry_id: str) -> None:
    for suffix in ("-protein.fa", "-seqinfo.json"):
        name = entry_id + suffix
        assert (out / name).read_bytes() == (folder / "expected" / name).read_bytes(), name


@pytest.mark.parametrize(
    ("changes", "code", "parts"),
    [
        ({"seq_strand": "x"}, 2, ["seq_strand: must be one of"]),
        ({"exon_seq_regions": ["11-30"]}, 2, ["exon_seq_regions[0]: must be"]),
        (
            {"cds_seq_regions": [{"start": 1, "end": 9, "frame": 3}]},
            2,
            ["cds_seq_regions[0].frame: must be 0, 1 or 2, got 3"],
        ),
        (
            {"exon_seq_regions": [{"start": 1, "end": 9, "frame": None}]},
            2,
            ["exon_seq_regions[0].frame: must be 0, 1 or 2, got null"],
        ),
        (
            {"exon_seq_regions": [{"start": "1", "end": 9}]},
            2,
            ['exon_seq_regions[0].start: must be an integer, got "1"'],
        ),
        ({"variant_ids": [1]}, 2, ["variant_ids[0]: must be a string"]),
        ({"variant_ids": None}, 2, ["variant_ids: must be a JSON array"]),
        ({"exon_seq_regions": []}, 1, ["exon_seq_regions: must hold at least one region"]),
        (
            {"seq_strand": "+", "exon_seq_regions": ["30..11"]},
            1,
            ["exon_seq_regions[0]: end 11 is less than start 30 on the + strand"],
        ),
        (
            {"seq_strand": "+", "exon_seq_regions": ["11..30", "65..46"]},
            1,
            ["exon_seq_regions[1]: end 46 is less than start 65"],
        ),
        ({"cds_seq_regions": ["21..30"]}, 1, ["cds_seq_regions[0].frame: is required"]),
        (
            {"fasta_file_url": "ftp://example.org/g.fa.gz"},
            1,
            ["fasta_file_url: unsupported URL scheme 'ftp'"],
        ),
        ({"fasta_file_url": "http://127.0.0.1:9/g.fa.gz"}, 1, ["fasta_file_url: cannot access"]),
    ],
)
def test_bad_entries_fail_with_one_line_and_no_output(
    run_cli: Run,
    synthetic_entry: dict[str, Any],
    tmp_path: Path,
    changes: dict[str, Any],
    code: int,
    parts: list[str],
) -> None:
    entry = {**synthetic_entry, **changes, "variant_ids": changes.get("variant_ids", [])}
    out = tmp_path / "out"
    result = run_cli(entry_args(entry, out))
    assert_one_line_failure(result, code, f"entry {entry['unique_entry_id']}: ", *parts)
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("unsafe", "shown"),
    [
        ("a/b", '"a/b"'),
        ("..", '".."'),
        ("", '""'),
        (".hidden", '".hidden"'),
        ("with space", '"with space"'),
    ],
)
def test_unsafe_ids_are_refused(
    run_cli: Run, synthetic_entry: dict[str, Any], tmp_path: Path, unsafe: str, shown: str
) -> None:
    result = run_cli(entry_args({**synthetic_entry, "unique_entry_id": unsafe}, tmp_path / "o"))
    assert_one_line_failure(result, 2, f"entry {shown}: unique_entry_id: ")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        (["--entry", "{not json"], ["entry ?: --entry: not valid JSON"]),
        (["--entry", "[]"], ["entry ?: entry: must be a JSON object"]),
        (["--entry", "{}"], ["unique_entry_id: is required", "variant_ids: is required"]),
        (["--entry", "{}", "--seq_id", "X"], ["--entry cannot be combined with --seq_id"]),
        (["--bogus"], ["No such option", "--bogus"]),
        (["--output-type", "rna", "--entry", "{}"], ["Invalid value for '--output-type'"]),
        (
            ["--unique_entry_id", "e1", "--exon_seq_regions", "[1,"],
            ["entry e1: exon_seq_regions: not valid JSON"],
        ),
        (["--unique_entry_id", "e1", "--exon_seq_regions", "null"], ["entry e1: "]),
    ],
)
def test_usage_errors(run_cli: Run, args: list[str], parts: list[str]) -> None:
    assert_one_line_failure(run_cli(args), 2, *parts)


def test_missing_index_is_fatal(
    run_cli: Run, synthetic_entry: dict[str, Any], tmp_path: Path, testdata: Path
) -> None:
    bare = tmp_path / "g" / "synthetic.fa.gz"
    bare.parent.mkdir()
    bare.write_bytes((testdata / "genomes" / "synthetic.fa.gz").read_bytes())
    entry = {**synthetic_entry, "fasta_file_url": bare.as_uri(), "variant_ids": []}
    result = run_cli(entry_args(entry, tmp_path / "o"))
    assert_one_line_failure(result, 1, "fasta_file_url: FASTA index not found: ")
    assert sorted(p.name for p in bare.parent.iterdir()) == ["synthetic.fa.gz"]
    assert not (tmp_path / "o").exists()


def test_original_flags_form(run_cli: Run, synthetic_entry: dict[str, Any], tmp_path: Path) -> None:
    """Drop-in for the original command line (the JSON options as compact JSON text)."""
    e = synthetic_entry
    args = [
        "--output_type",
        "protein",
        "--unique_entry_id",
        e["unique_entry_id"],
        "--base_seq_name",
        e["base_seq_name"],
        "--seq_id",
        e["seq_id"],
        "--seq_strand",
        e["seq_strand"],
        "--fasta_file_url",
        e["fasta_file_url"],
        "--exon_seq_regions",
        json.dumps(e["exon_seq_regions"]),
        "--cds_seq_regions",
        json.dumps(e["cds_seq_regions"]),
        "--variant_ids",
        json.dumps(e["variant_ids"]),
        "--alt_seq_name_suffix",
        "_alt",
        "--output_prefix",
        str(tmp_path),
        "--variants_file",
        str(SUBST / "variants.json"),
    ]
    result = run_cli(args)
    assert result.exit_code == 0, result.stderr
    assert_same_as_expected(tmp_path, SUBST, e["unique_entry_id"])


def test_log_records_are_json(
    run_cli: Run, synthetic_entry: dict[str, Any], tmp_path: Path
) -> None:
    result = run_cli(
        entry_args(synthetic_entry, tmp_path, "--variants-file", str(SUBST / "variants.json"))
    )
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stderr.splitlines()]
    events = [r["event"] for r in records]
    assert events[0] == "start"
    assert events[-1] == "written"
    assert records[0]["genome"] == synthetic_entry["fasta_file_url"]
    assert records[-1]["records"] == ["pavB-1.1_ref", "pavB-1.1_alt"]
    assert all(r["entry"] == synthetic_entry["unique_entry_id"] for r in records)
    assert result.stdout == ""


def test_help(run_cli: Run) -> None:
    result = run_cli(["--help"])
    assert result.exit_code == 0
    assert "--entry" in result.stdout
    assert "--exon_seq_regions" in result.stdout


def test_transcript_output_type(
    run_cli: Run, synthetic_entry: dict[str, Any], tmp_path: Path
) -> None:
    entry = {**synthetic_entry, "variant_ids": []}
    result = run_cli(
        [
            "--entry",
            json.dumps(entry),
            "--output_type",
            "transcript",
            "--output-prefix",
            str(tmp_path),
            "--unmasked",
        ]
    )
    assert result.exit_code == 0, result.stderr
    fasta = (tmp_path / f"{entry['unique_entry_id']}-transcript.fa").read_text()
    name, sequence = fasta.splitlines()
    assert name == f">{entry['base_seq_name']}"
    assert sequence == sequence.upper()
    assert set(sequence) <= set("ACGTN")


# -- genome over HTTP and S3 ------------------------------------------------------------------


def test_genome_over_http_reads_a_fraction(
    run_cli: Run,
    big_genome: Path,
    benchkit: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Same output as the local file; far fewer bytes than the file; nothing in the cwd."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    entries = benchkit.make_entries(big_genome, 2, seed=5)
    for entry in entries:
        assert run_cli(entry_args(entry, tmp_path / "local")).exit_code == 0
    with benchkit.RangeServer(big_genome.parent) as server:
        for entry in entries:
            remote = {**entry, "fasta_file_url": server.url + big_genome.name}
            result = run_cli(entry_args(remote, tmp_path / "http"))
            assert result.exit_code == 0, result.stderr
        close_genomes()  # as a job's exit would: the server's byte count is then final
        sent = server.bytes_sent
    assert sent < big_genome.stat().st_size / 4
    local = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert local == sorted(p.name for p in (tmp_path / "http").iterdir())
    assert len(local) == 4
    for name in local:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "http" / name).read_bytes()
    assert list(cwd.iterdir()) == []


def test_genome_and_outputs_on_s3(run_cli: Run, s3_bucket: str, testdata: Path) -> None:
    s3 = boto3.client("s3")
    genome = testdata / "genomes" / "wbcel235_sparse.fa.gz"
    for suffix in ("", ".fai", ".gzi"):
        s3.upload_file(f"{genome}{suffix}", s3_bucket, f"genomes/{genome.name}{suffix}")
    folder = CASES / "real-sparse-wormbase"
    s3.upload_file(str(folder / "variants.json"), s3_bucket, "in/variants.json")
    entries = json.loads((folder / "request.json").read_text())
    prefix = f"s3://{s3_bucket}/executions/e1/work/"
    for entry in entries[:2]:
        entry["fasta_file_url"] = f"s3://{s3_bucket}/genomes/{genome.name}"
        result = run_cli(
            entry_args(entry, prefix, "--variants-file", f"s3://{s3_bucket}/in/variants.json")
        )
        assert result.exit_code == 0, result.stderr
        for suffix in ("-protein.fa", "-seqinfo.json"):
            name = entry["unique_entry_id"] + suffix
            key = f"executions/e1/work/{name}"
            body = s3.get_object(Bucket=s3_bucket, Key=key)["Body"]
            assert body.read() == (folder / "expected" / name).read_bytes()
            tags = s3.get_object_tagging(Bucket=s3_bucket, Key=key)["TagSet"]
            assert tags == [{"Key": "pavi:stage", "Value": "work"}]  # expired by the lifecycle
    listed = s3.list_objects_v2(Bucket=s3_bucket, Prefix="executions/")
    assert len(listed["Contents"]) == 4


# -- variant API --------------------------------------------------------------------------------


def _variant_entry(synthetic_entry: dict[str, Any]) -> tuple[dict[str, Any], str, Any]:
    responses = json.loads((SUBST / "variants.json").read_text())
    (variant_id,) = synthetic_entry["variant_ids"]
    return synthetic_entry, variant_id, responses[variant_id]


def test_variant_api_500_then_200_succeeds(
    run_cli: Run, synthetic_entry: dict[str, Any], httpserver: HTTPServer, tmp_path: Path
) -> None:
    entry, variant_id, body = _variant_entry(synthetic_entry)
    path = f"/api/variant/{variant_id}"
    httpserver.expect_ordered_request(path).respond_with_data("down", status=500)
    httpserver.expect_ordered_request(path).respond_with_json(body)
    result = run_cli(
        entry_args(entry, tmp_path, "--variant-api-url", httpserver.url_for("/api/variant/"))
    )
    assert result.exit_code == 0, result.stderr
    assert len(httpserver.log) == 2
    assert_same_as_expected(tmp_path, SUBST, entry["unique_entry_id"])


def test_variant_api_url_from_the_environment(
    run_cli: Run,
    synthetic_entry: dict[str, Any],
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry, variant_id, body = _variant_entry(synthetic_entry)
    httpserver.expect_request(f"/api/variant/{variant_id}").respond_with_json(body)
    monkeypatch.setenv("PAVI_VARIANT_API_URL", httpserver.url_for("/api/variant/"))
    assert run_cli(entry_args(entry, tmp_path)).exit_code == 0
    assert_same_as_expected(tmp_path, SUBST, entry["unique_entry_id"])


def test_variant_api_404_fails(
    run_cli: Run, synthetic_entry: dict[str, Any], httpserver: HTTPServer, tmp_path: Path
) -> None:
    entry = {**synthetic_entry, "variant_ids": ["nope"]}
    httpserver.expect_request("/api/variant/nope").respond_with_data("not found", status=404)
    result = run_cli(
        entry_args(entry, tmp_path / "o", "--variant-api-url", httpserver.url_for("/api/variant/"))
    )
    assert_one_line_failure(
        result, 1, f"entry {entry['unique_entry_id']}: variant_ids: nope: unknown variant (HTTP 404"
    )
    assert not (tmp_path / "o").exists()


def test_variant_api_timeout_fails(
    run_cli: Run, synthetic_entry: dict[str, Any], httpserver: HTTPServer, tmp_path: Path
) -> None:
    entry, variant_id, body = _variant_entry(synthetic_entry)
    answered = threading.Semaphore(0)

    def slow(_request: Request) -> Response:
        time.sleep(0.5)
        answered.release()
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(f"/api/variant/{variant_id}").respond_with_handler(slow)
    result = run_cli(
        entry_args(
            entry,
            tmp_path / "o",
            "--variant-api-url",
            httpserver.url_for("/api/variant/"),
            "--variant-api-timeout",
            "0.2",
            "--variant-api-attempts",
            "2",
        )
    )
    assert_one_line_failure(
        result,
        1,
        f"variant_ids: {variant_id}: variant API failed after 2 attempts: no answer within 0.2 s",
    )
    assert not (tmp_path / "o").exists()
    # the shared server must finish both slow answers before the next test uses it
    assert all(answered.acquire(timeout=5) for _ in range(2))


def test_invalid_variant_from_the_file_fails(
    run_cli: Run, synthetic_entry: dict[str, Any], tmp_path: Path
) -> None:
    variants = tmp_path / "v.json"
    variants.write_text(
        json.dumps(
            {
                "bad": {
                    "location": {"chromosome": "chr1", "start": 9, "end": 3},
                    "genomicVariantSequence": "A",
                }
            }
        )
    )
    entry = {**synthetic_entry, "variant_ids": ["bad"]}
    result = run_cli(entry_args(entry, tmp_path / "o", "--variants-file", str(variants)))
    assert_one_line_failure(result, 1, "variant_ids: bad: invalid variant: start 9 is greater")
    assert not (tmp_path / "o").exists()
