"""The retrieval job fails safely: its outputs appear together or not at all, every error
names its real cause, no credential reaches a message, reads survive broken bodies, and bad
input is one line with exit 2."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from pytest_httpserver import HTTPServer

Run = Callable[[list[str]], Any]
REF_FAILED = "Unexpected error occured during coding sequence retrieval."
ALT_FAILED = "Unkown error occured while retrieving coding sequence."
SECRETS = re.compile(r"X-Amz-|Signature|Credential=", re.IGNORECASE)


@pytest.fixture
def entry(synthetic_entry: dict[str, Any]) -> dict[str, Any]:
    """The synthetic entry without variants."""
    return {**synthetic_entry, "variant_ids": []}


@pytest.fixture
def variants_file(testdata: Path) -> Path:
    return testdata / "cases" / "syn-substitutions" / "variants.json"


def _args(entry: dict[str, Any], out: Path | str, *extra: str) -> list[str]:
    return ["--entry", json.dumps(entry), "--output-prefix", str(out), *extra]


def _line(result: Any, code: int = 1) -> str:
    """The one plain line of a failed run (every other stderr line is a JSON record)."""
    assert result.exit_code == code, result.stderr
    (line,) = result.plain_lines
    assert line.startswith("pavi-seq-retrieval: error: ")
    assert "Traceback" not in result.stderr
    return str(line)


def _events(result: Any) -> dict[str, dict[str, Any]]:
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    return {record["event"]: record for record in records}


# -- outputs together or not at all ------------------------------------------------------------


@pytest.mark.parametrize("blocked", ["seqinfo.json", "protein.fa"])
def test_local_failed_write_leaves_no_output(
    run_cli: Run, entry: dict[str, Any], tmp_path: Path, blocked: str
) -> None:
    """A folder where one of the two files goes: the job fails and the other file is not
    left behind, whichever of the two fails."""
    out = tmp_path / "out"
    (out / f"{entry['unique_entry_id']}-{blocked}").mkdir(parents=True)
    line = _line(run_cli(_args(entry, out)))
    assert f"{blocked}: is a folder, not a file" in line
    assert [p.name for p in out.iterdir()] == [f"{entry['unique_entry_id']}-{blocked}"]


@pytest.mark.parametrize("blocked", ["seqinfo.json", "protein.fa"])
def test_s3_failed_write_leaves_no_output(
    fault_proxy: Any, s3: Any, s3_bucket: str, run_cli: Run, entry: dict[str, Any], blocked: str
) -> None:
    fault_proxy.fail("PUT", rf"/w/[^?]*-{re.escape(blocked)}", 403, "AccessDenied")
    line = _line(run_cli(_args(entry, f"s3://{s3_bucket}/w/")))
    assert f"{blocked}: access denied" in line
    assert s3.list_objects_v2(Bucket=s3_bucket).get("Contents", []) == []


# -- the real cause beside the original's recorded string --------------------------------------


def test_unknown_seq_id_names_the_index(
    run_cli: Run, synthetic_entry: dict[str, Any], variants_file: Path, tmp_path: Path
) -> None:
    entry = {**synthetic_entry, "seq_id": "chrX"}
    result = run_cli(_args(entry, tmp_path, "--variants-file", str(variants_file)))
    cause = f"seq_id 'chrX' not in genome index {entry['fasta_file_url']}.fai"
    assert _line(result) == (
        f"pavi-seq-retrieval: error: entry 000_pavB-1.1: pavB-1.1_ref: {REF_FAILED} ({cause}); "
        f"pavB-1.1_alt: {ALT_FAILED} ({cause})"
    )
    assert _events(result)["computed"]["causes"] == {"pavB-1.1_ref": cause, "pavB-1.1_alt": cause}
    assert cause in _events(result)["entry_failed"]["error"]
    seqinfo = json.loads((tmp_path / "000_pavB-1.1-seqinfo.json").read_text())
    assert seqinfo == {"pavB-1.1_ref": {"error": REF_FAILED}, "pavB-1.1_alt": {"error": ALT_FAILED}}


def test_cds_past_the_sequence_end_names_the_region(
    run_cli: Run, entry: dict[str, Any], tmp_path: Path
) -> None:
    entry = {
        **entry,
        "seq_strand": "+",
        "exon_seq_regions": [{"start": 299_900, "end": 300_010}],
        "cds_seq_regions": [{"start": 299_990, "end": 300_010, "frame": 0}],
    }
    result = run_cli(_args(entry, tmp_path))
    cause = (
        f"region 299990-300010 past the end of chr2 (length 300000) in {entry['fasta_file_url']}"
    )
    assert _line(result).endswith(f"pavB-1.1: {REF_FAILED} ({cause})")
    assert _events(result)["computed"]["causes"] == {"pavB-1.1": cause}
    assert cause in _events(result)["entry_failed"]["error"]
    seqinfo = (tmp_path / "000_pavB-1.1-seqinfo.json").read_text()
    assert seqinfo == json.dumps({"pavB-1.1": {"error": REF_FAILED}})  # the original's bytes


def _genome_copy(testdata: Path, folder: Path, **replace: bytes) -> Path:
    """The synthetic genome and its indexes copied into ``folder``, some files replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    source = testdata / "genomes" / "synthetic.fa.gz"
    for suffix in ("", ".fai", ".gzi"):
        key = suffix.lstrip(".") or "fasta"
        target = folder / f"genome.fa.gz{suffix}"
        if key in replace:
            target.write_bytes(replace[key])
        else:
            shutil.copyfile(f"{source}{suffix}", target)
    return folder / "genome.fa.gz"


def _plain_gzip(testdata: Path) -> bytes:
    return gzip.compress(gzip.decompress((testdata / "genomes" / "synthetic.fa.gz").read_bytes()))


def _corrupt_fai(testdata: Path) -> bytes:
    lines = (testdata / "genomes" / "synthetic.fa.gz.fai").read_text().splitlines()
    lines[2] = lines[2].split("\t")[0] + "\t240000"
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        ("plain_gzip", "fasta_file_url: genome {path} is gzip but not BGZF"),
        (
            "corrupt_fai",
            "fasta_file_url: {path}.fai: line 3 is not NAME LENGTH OFFSET LINEBASES LINEWIDTH",
        ),
        ("truncated", "from file://{path}: the block at byte "),
    ],
)
def test_local_genome_faults_name_the_problem(
    run_cli: Run, entry: dict[str, Any], testdata: Path, tmp_path: Path, fault: str, problem: str
) -> None:
    """What htslib answers with an errno or "failure when retrieving sequence" is named."""
    source = (testdata / "genomes" / "synthetic.fa.gz").read_bytes()
    replace = {
        "plain_gzip": {"fasta": _plain_gzip(testdata)},
        "corrupt_fai": {"fai": _corrupt_fai(testdata)},
        "truncated": {"fasta": source[: len(source) // 3]},
    }[fault]
    genome = _genome_copy(testdata, tmp_path / "g", **replace)
    out = tmp_path / "out"
    result = run_cli(_args({**entry, "fasta_file_url": f"file://{genome}"}, out))
    line = _line(result)
    assert problem.format(path=genome) in line
    assert problem.format(path=genome) in _events(result)["entry_failed"]["error"]  # JSON log
    if fault == "truncated":
        assert line.endswith(" is truncated (the file ends inside its header)")
    assert not out.exists()


def test_server_ignoring_ranges_gives_the_same_output(
    run_cli: Run, entry: dict[str, Any], testdata: Path, tmp_path: Path
) -> None:
    """A server answering 200 with the whole file to Range requests: the same files as from
    the local genome, and one log record naming the server that ignored the Range header."""
    server = HTTPServer(host="127.0.0.1", port=0)  # its own port: noticed afresh
    server.start()
    try:
        source = testdata / "genomes" / "synthetic.fa.gz"
        for suffix in ("", ".fai", ".gzi"):
            body = Path(f"{source}{suffix}").read_bytes()
            server.expect_request(f"/g/genome.fa.gz{suffix}").respond_with_data(body)
        assert run_cli(_args(entry, tmp_path / "local")).exit_code == 0
        remote = {**entry, "fasta_file_url": server.url_for("/g/genome.fa.gz")}
        result = run_cli(_args(remote, tmp_path / "http"))
    finally:
        server.clear()
        server.stop()
    assert result.exit_code == 0, result.stderr
    for name in ("000_pavB-1.1-protein.fa", "000_pavB-1.1-seqinfo.json"):
        assert (tmp_path / "http" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    ignored = _events(result)["range_ignored"]
    assert ignored["server"] == server.url_for("/").rstrip("/")


# -- s3:// genomes: no credential in any message; reads that survive broken bodies -------------


def _upload_genome(testdata: Path, bucket: str, replace: dict[str, bytes] | None = None) -> str:
    """The synthetic genome on S3 under ``g/``; ``replace`` maps fasta/fai/gzi to other bytes
    (``b"<absent>"``: not uploaded)."""
    replace = replace or {}
    client = boto3.client("s3")
    source = testdata / "genomes" / "synthetic.fa.gz"
    for suffix in ("", ".fai", ".gzi"):
        key = suffix.lstrip(".") or "fasta"
        if replace.get(key) == b"<absent>":
            continue
        body = replace.get(key, Path(f"{source}{suffix}").read_bytes())
        client.put_object(Bucket=bucket, Key=f"g/genome.fa.gz{suffix}", Body=body)
    return f"s3://{bucket}/g/genome.fa.gz"


@pytest.fixture
def s3_env(s3: Any, s3_bucket: str) -> str:
    """The bucket, with pavi_common_s3's client on the moto server."""
    del s3
    return s3_bucket


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        ("truncated_gzi", "cannot use the index of"),
        ("missing_fai", "FASTA index not found"),
        ("unknown_seq_id", "seq_id 'chrX' not in genome index s3://"),
    ],
)
def test_failing_s3_genome_reveals_no_credential(
    run_cli: Run,
    entry: dict[str, Any],
    testdata: Path,
    tmp_path: Path,
    s3_env: str,
    fault: str,
    problem: str,
) -> None:
    gzi = (testdata / "genomes" / "synthetic.fa.gz.gzi").read_bytes()
    replace = {"truncated_gzi": {"gzi": gzi[:20]}, "missing_fai": {"fai": b"<absent>"}}
    url = _upload_genome(testdata, s3_env, replace.get(fault))
    failing = {**entry, "fasta_file_url": url}
    if fault == "unknown_seq_id":
        failing["seq_id"] = "chrX"
    result = run_cli(_args(failing, tmp_path))
    line = _line(result)
    assert problem in line
    assert url in line
    assert not SECRETS.search(result.stderr)
    for written in tmp_path.iterdir():
        assert not SECRETS.search(written.read_text())
    assert [p.name for p in tmp_path.iterdir()] == (
        ["000_pavB-1.1-seqinfo.json"] if fault == "unknown_seq_id" else []
    )


def test_every_s3_read_survives_a_body_broken_mid_transfer(
    fault_proxy: Any,
    s3: Any,
    s3_bucket: str,
    run_cli: Run,
    synthetic_entry: dict[str, Any],
    variants_file: Path,
    testdata: Path,
    tmp_path: Path,
) -> None:
    """The request file, the variants file, the .fai, the .gzi and the genome's range read
    each break off once mid-body; every one is read again and the output is the original's."""
    url = _upload_genome(testdata, s3_bucket)
    request = json.dumps([{**synthetic_entry, "fasta_file_url": url}])
    s3.put_object(Bucket=s3_bucket, Key="in/request.json", Body=request.encode())
    s3.put_object(Bucket=s3_bucket, Key="in/variants.json", Body=variants_file.read_bytes())
    reads = [r"/in/request\.json", r"/in/variants\.json", r"\.fa\.gz\.fai", r"\.fa\.gz\.gzi"]
    reads.append(r"/g/genome\.fa\.gz(\?|$)")
    for path in reads:
        fault_proxy.cut("GET", path, times=1)
    args = ["--request", f"s3://{s3_bucket}/in/request.json", "--entries", "0"]
    args += ["--variants-file", f"s3://{s3_bucket}/in/variants.json", "--output-prefix"]
    result = run_cli([*args, str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert [fault_proxy.count("GET", path) for path in reads] == [2] * len(reads)
    expected = testdata / "cases" / "syn-substitutions" / "expected"
    for name in ("000_pavB-1.1-protein.fa", "000_pavB-1.1-seqinfo.json"):
        assert (tmp_path / name).read_bytes() == (expected / name).read_bytes()


# -- bad input: one line, exit 2 ---------------------------------------------------------------

DEEP = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (DEEP, ["input nested too deeply to read"]),
        ('{"unique_entry_id": "a\udcff"}', ["unique_entry_id: may only contain"]),
        (json.dumps({"unique_entry_id": "a" * 120_000}), ["must be at most 200 characters"]),
        ("{not json", ["--entry"]),
    ],
    ids=["deeply-nested", "invalid-utf8", "huge", "malformed"],
)
def test_pathological_entry_is_one_line_exit_2(
    run_cli: Run, tmp_path: Path, text: str, words: list[str]
) -> None:
    line = _line(run_cli(["--entry", text, "--output-prefix", str(tmp_path / "o")]), 2)
    assert all(word in line for word in words)
    assert len(line) < 2000
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (DEEP.encode(), ["not a JSON request", "recursion"]),
        (b'[{"a": "\xff"}]', ["not a JSON request", "can't decode byte 0xff"]),
        (b"[" + b",".join([b"{}"] * 200_000) + b"]", ["--request"]),
    ],
    ids=["deeply-nested", "invalid-utf8", "huge"],
)
def test_pathological_request_file_is_one_line_exit_2(
    run_cli: Run, tmp_path: Path, content: bytes, words: list[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_bytes(content)
    out = tmp_path / "o"
    line = _line(
        run_cli(["--request", str(request), "--entries", "0", "--output-prefix", str(out)]), 2
    )
    assert all(word in line for word in words), line
    assert len(line) < 2000
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [(DEEP.encode(), "nested too deeply"), (b'{"a": "\xff"}', "not UTF-8 text")],
    ids=["deeply-nested", "invalid-utf8"],
)
def test_pathological_variants_file_is_one_line(
    run_cli: Run, synthetic_entry: dict[str, Any], tmp_path: Path, content: bytes, problem: str
) -> None:
    """A variants file stands in for the variant API: an unusable one fails the entry (1)."""
    variants = tmp_path / "variants.json"
    variants.write_bytes(content)
    out = tmp_path / "o"
    line = _line(run_cli(_args(synthetic_entry, out, "--variants-file", str(variants))), 1)
    assert f"variants_file: {variants}: " in line
    assert problem in line
    assert not out.exists()


def test_variant_api_body_broken_mid_transfer_is_retried() -> None:
    """The variant API (not storage: its own client) also sends a request again when the
    answer's body breaks off: the first answer stops halfway, the second is whole."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from pavi_seq_retrieval.variants import VariantApi

    body = json.dumps(
        {
            "location": {"chromosome": "X", "start": 5, "end": 5},
            "genomicReferenceSequence": "C",
            "genomicVariantSequence": "T",
        }
    ).encode()
    answers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            answers.append(len(answers))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            cut = len(answers) == 1
            self.wfile.write(body[: len(body) // 2] if cut else body)
            self.close_connection = cut

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api/variant/"
        variant = VariantApi(base_url=url, backoff=0.01, attempts=3).fetch("v1")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert (variant.seq_id, variant.start, variant.ref, variant.alt) == ("X", 5, "C", "T")
    assert len(answers) == 2
