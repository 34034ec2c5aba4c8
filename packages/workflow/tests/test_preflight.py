"""Checks before the run (docs/request.md, "Checks before the run"): real bgzipped genomes on
disk, over HTTP and on the moto S3 server; `pavi run` and `pavi submit` refuse before anything
is written or started."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pavi_contracts.request import Request
from pavi_workflow.preflight import check_genomes
from pavi_workflow.request import RequestError, validate_request
from pytest_httpserver import HTTPServer
from werkzeug import Request as HttpRequest
from werkzeug import Response

PAVI = str(Path(sys.executable).parent / "pavi")
GENOME = "synthetic.fa.gz"
CaseRequest = Callable[[str], list[dict[str, Any]]]


def preflight_problems(entries: list[dict[str, Any]]) -> list[str]:
    request = validate_request(entries, target="local")
    with pytest.raises(RequestError) as info:
        check_genomes(request)
    return info.value.problems


@pytest.fixture
def genome_dir(tmp_path: Path, testdata: Path) -> Path:
    """A copy of the test genomes (bgzipped, with .fai and .gzi) to break on purpose."""
    folder = tmp_path / "genomes"
    shutil.copytree(testdata / "genomes", folder)
    return folder


@pytest.fixture
def entries(case_request: CaseRequest) -> list[dict[str, Any]]:
    return case_request("syn-no-variants")


def test_every_case_passes_except_the_missing_seq_id(
    case_request: CaseRequest, testdata: Path
) -> None:
    cases = sorted(p.name for p in (testdata / "cases").iterdir() if p.is_dir())
    for case in cases:
        request = validate_request(case_request(case), target="local")
        if case != "syn-failure-missing-seqid":
            check_genomes(request)
            continue
        with pytest.raises(RequestError) as info:
            check_genomes(request)
        assert info.value.problems == [
            'entry 2 (002_pavF-3.1): seq_id: "chrUn_missing" is not in the genome\'s index ('
            f"{request.entries[2]['fasta_file_url']}.fai lists 3 sequences: chr1, chr2, chr3)"
        ]


def test_regions_outside_the_sequence_are_all_reported(entries: list[dict[str, Any]]) -> None:
    bad = [dict(e) for e in entries]
    # Without CDS regions the exons are the reference: an exon past the end is refused.
    bad[0]["exon_seq_regions"] = [*bad[0]["exon_seq_regions"], "299990..300001"]  # chr2: 300000
    bad[0]["cds_seq_regions"] = []
    bad[1]["cds_seq_regions"] = [{"start": 400000, "end": 400010, "frame": 0}]
    bad[2] = {
        **bad[2],
        "seq_strand": "-",
        "exon_seq_regions": [{"start": 240001, "end": 5}],
        "cds_seq_regions": [],
    }
    ok_edge = {**bad[3], "exon_seq_regions": ["239990..240000"], "cds_seq_regions": []}
    bad[3] = ok_edge  # chr3 ends at 240000: the last base is inside
    found = preflight_problems(bad)
    last = len(bad[0]["exon_seq_regions"]) - 1
    assert found == [
        f"entry 0 (000_pavA-1.1): exon_seq_regions[{last}]: 299990..300001 lies outside chr2 "
        "(1..300000)",
        "entry 1 (001_pavA-1.2): cds_seq_regions[0]: 400000..400010 lies outside chr2 (1..300000)",
        "entry 2 (002_pavA-2.1): exon_seq_regions[0]: 240001..5 lies outside chr3 (1..240000)",
    ]


def test_an_exon_past_the_end_is_accepted_in_cds_mode(entries: list[dict[str, Any]]) -> None:
    """The reference reads only the CDS; the original produced it (and so do the jobs)."""
    entry = dict(entries[0])
    assert entry["cds_seq_regions"], "the case needs CDS regions"
    entry["exon_seq_regions"] = [*entry["exon_seq_regions"], "299990..300001"]
    check_genomes(validate_request([entry], target="local"))


def test_genome_problems_are_named_once_per_genome(
    entries: list[dict[str, Any]], genome_dir: Path
) -> None:
    def on(name: str, entry: dict[str, Any]) -> dict[str, Any]:
        return {**entry, "fasta_file_url": str(genome_dir / name)}

    (genome_dir / "no_fai.fa.gz").write_bytes((genome_dir / GENOME).read_bytes())
    (genome_dir / "no_fai.fa.gz.gzi").write_bytes((genome_dir / f"{GENOME}.gzi").read_bytes())
    (genome_dir / "no_gzi.fa.gz").write_bytes((genome_dir / GENOME).read_bytes())
    (genome_dir / "no_gzi.fa.gz.fai").write_bytes((genome_dir / f"{GENOME}.fai").read_bytes())
    plain = gzip.decompress((genome_dir / GENOME).read_bytes())
    (genome_dir / "gzip.fa.gz").write_bytes(gzip.compress(plain))
    for suffix in (".fai", ".gzi"):
        shutil.copy(genome_dir / f"{GENOME}{suffix}", genome_dir / f"gzip.fa.gz{suffix}")
    (genome_dir / "bad_fai.fa.gz").write_bytes((genome_dir / GENOME).read_bytes())
    (genome_dir / "bad_fai.fa.gz.fai").write_text("chr1\t360000\tsix\t80\t81\n")
    shutil.copy(genome_dir / f"{GENOME}.gzi", genome_dir / "bad_fai.fa.gz.gzi")
    (genome_dir / "other.fa.gz").write_bytes((genome_dir / GENOME).read_bytes())
    shutil.copy(genome_dir / f"{GENOME}.gzi", genome_dir / "other.fa.gz.gzi")
    (genome_dir / "other.fa.gz.fai").write_text(
        "chr2\t300000\t6\t80\t81\nchr9\t9\t9000000\t80\t81\n"
    )
    bad = [
        on("missing.fa.gz", entries[0]),
        on("missing.fa.gz", entries[1]),  # same genome: one line for both
        on("no_fai.fa.gz", entries[2]),
        on("no_gzi.fa.gz", entries[3]),
        on("gzip.fa.gz", entries[4]),
        on("bad_fai.fa.gz", entries[5]),
        on("other.fa.gz", {**entries[0], "unique_entry_id": "006_x", "base_seq_name": "x"}),
    ]
    found = preflight_problems(bad)
    url = f"file://{genome_dir}"
    assert found == [
        f"entry 0 (000_pavA-1.1): fasta_file_url: the FASTA {url}/missing.fa.gz is not found "
        "(and 1 other entry uses this genome)",
        f"entry 2 (002_pavA-2.1): fasta_file_url: the .fai index {url}/no_fai.fa.gz.fai is not "
        "found (samtools faidx writes it)",
        f"entry 3 (003_pavA-2.1_orf): fasta_file_url: the .gzi index {url}/no_gzi.fa.gz.gzi is "
        "not found (samtools faidx writes it)",
        f"entry 4 (004_pavA-3.2): fasta_file_url: {url}/gzip.fa.gz is not BGZF-compressed "
        "(compress it with bgzip, not gzip)",
        f"entry 5 (005_pavA-4.1): fasta_file_url: {url}/bad_fai.fa.gz.fai: .fai line 1 is not "
        "NAME LENGTH OFFSET LINEBASES LINEWIDTH",
        f"entry 6 (006_x): fasta_file_url: {url}/other.fa.gz.fai places letters at byte 9000008 "
        f"of the uncompressed FASTA, but {url}/other.fa.gz.gzi ends at "
        f"{_last_gzi_offset(genome_dir / f'{GENOME}.gzi')}: the index files belong to another "
        "FASTA",
    ]


def _last_gzi_offset(path: Path) -> int:
    from pavi_contracts.faidx import parse_gzi

    return parse_gzi(path.read_bytes())[1][-1]


class RangeFiles:
    """Serves files over HTTP with closed Range requests, and counts the requests per path."""

    def __init__(self, server: HTTPServer, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[tuple[str, str | None]] = []
        server.expect_request(re.compile("^/")).respond_with_handler(self.answer)
        self.base = server.url_for("/")

    def answer(self, request: HttpRequest) -> Response:
        self.requests.append((request.path, request.headers.get("Range")))
        data = self.files.get(request.path)
        if data is None:
            return Response("not found", status=404)
        ranged = re.fullmatch(r"bytes=(\d+)-(\d+)", request.headers.get("Range", ""))
        if ranged is None:
            return Response(data, status=200)
        start, end = int(ranged[1]), min(int(ranged[2]), len(data) - 1)
        headers = {"Content-Range": f"bytes {start}-{end}/{len(data)}"}
        return Response(data[start : end + 1], status=206, headers=headers)


def test_each_genome_is_read_once_over_http(
    httpserver: HTTPServer, testdata: Path, case_request: CaseRequest
) -> None:
    files = {
        f"/g/{path.name}": path.read_bytes()
        for path in (testdata / "genomes").iterdir()
        if ".fa.gz" in path.name
    }
    served = RangeFiles(httpserver, files)
    entries = [
        {**e, "fasta_file_url": f"{served.base}g/{Path(e['fasta_file_url']).name}"}
        for case in ("syn-substitutions", "real-sparse-wormbase")
        for e in case_request(case)
    ]
    # Two genomes, 14 entries: each file is read exactly once.
    check_genomes(Request(tuple(entries)))
    paths = sorted(path for path, _ in served.requests)
    assert paths == sorted(
        f"/g/{name}{suffix}"
        for name in (GENOME, "wbcel235_sparse.fa.gz")
        for suffix in ("", ".fai", ".gzi")
    )
    assert {r for p, r in served.requests if p.endswith("fa.gz")} == {"bytes=0-15"}


def test_genomes_on_s3_are_checked_with_the_normal_credentials(
    s3: Any, s3_bucket: str, testdata: Path, entries: list[dict[str, Any]]
) -> None:
    for path in (testdata / "genomes").glob(f"{GENOME}*"):
        s3.put_object(Bucket=s3_bucket, Key=f"genomes/{path.name}", Body=path.read_bytes())
    s3.put_object(
        Bucket=s3_bucket, Key="nogzi/g.fa.gz", Body=(testdata / "genomes" / GENOME).read_bytes()
    )
    s3.put_object(
        Bucket=s3_bucket,
        Key="nogzi/g.fa.gz.fai",
        Body=(testdata / "genomes" / f"{GENOME}.fai").read_bytes(),
    )
    url = f"s3://{s3_bucket}/genomes/{GENOME}"
    good = [{**e, "fasta_file_url": url} for e in entries]
    check_genomes(validate_request(good, target="cloud"))
    bad = [
        {**good[0], "seq_id": "chrX"},
        {**good[1], "fasta_file_url": f"s3://{s3_bucket}/nogzi/g.fa.gz"},
        {**good[2], "fasta_file_url": "s3://no-such-bucket-pavi/g.fa.gz"},
    ]
    with pytest.raises(RequestError) as info:
        check_genomes(validate_request(bad, target="cloud"))
    found = info.value.problems
    assert len(found) == 3, found
    assert found[0].startswith('entry 0 (000_pavA-1.1): seq_id: "chrX" is not in the genome')
    assert found[1] == (
        f"entry 1 (001_pavA-1.2): fasta_file_url: the .gzi index s3://{s3_bucket}/nogzi/g.fa.gz"
        ".gzi is not found (samtools faidx writes it)"
    )
    assert found[2].startswith("entry 2 (002_pavA-2.1): fasta_file_url: ")
    assert "s3://no-such-bucket-pavi/g.fa.gz" in found[2]


# -- the commands -----------------------------------------------------------------------------


def _pavi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PAVI, *args], capture_output=True, text=True, check=False)


def test_pavi_run_refuses_before_writing_anything(
    tmp_path: Path, case_request: CaseRequest
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(case_request("syn-failure-missing-seqid")))
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    (out / "results" / "alignment-output.aln").write_text("an earlier run's result")
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    done = _pavi("run", str(request), "--out", str(out))
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        'pavi: error: entry 2 (002_pavF-3.1): seq_id: "chrUn_missing" is not in the genome\'s '
        f"index ({case_request('syn-failure-missing-seqid')[2]['fasta_file_url']}.fai lists 3 "
        "sequences: chr1, chr2, chr3)"
    ]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    assert (out / "results" / "alignment-output.aln").read_text() == "an earlier run's result"
    fresh = tmp_path / "fresh"
    assert _pavi("run", str(request), "--out", str(fresh)).returncode == 2
    assert not fresh.exists()


def test_bad_request_files_are_refused_in_one_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    done = _pavi("run", str(deep), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"pavi: error: request: {deep} is nested too deeply to read"
    ]
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(32 * 1024 * 1024 + 1)
    done = _pavi("submit", str(huge), "--state-machine-arn", "arn:x")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"pavi: error: request: {huge} is larger than 32 MiB, refused"
    ]
    assert not (tmp_path / "out").exists()


def test_many_bad_entries_print_fifty_lines_and_a_summary(
    tmp_path: Path, entries: list[dict[str, Any]]
) -> None:
    bad = [
        {**entries[0], "unique_entry_id": f"{i:03d}_b", "seq_strand": "plus", "variant_ids": None}
        for i in range(500)
    ]
    request = tmp_path / "request.json"
    request.write_text(json.dumps(bad))
    done = _pavi("run", str(request), "--out", str(tmp_path / "out"), "--max-entries", "500")
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 51
    assert lines[0] == (
        "pavi: error: entry 0 (000_b): seq_strand: "
        'must be one of +, +1, pos, -, -1, neg, got "plus"'
    )
    assert lines[1] == "pavi: error: entry 0 (000_b): variant_ids: must be a JSON array, got null"
    assert lines[-1] == "pavi: error: … and 950 more problems in 475 entries"
    assert "Traceback" not in done.stderr
