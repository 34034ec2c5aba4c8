"""Genome access: local files (pysam), HTTP with closed Range requests, s3:// through moto."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path
from typing import Any

import boto3
import pysam
import pytest
from pavi_seq_retrieval.genome import GenomeAccessError, IndexedGenome, open_genome
from pavi_seq_retrieval.model import GenomeReadError
from pavi_seq_retrieval.remote_genome import RemoteGenome

B2 = (  # docs/cases.md, case B2: X:5109506-5109644 on the sparse genome, soft-masking kept
    "aacCATGTCGATGTATGGCAAAGACAAGGCGTATATCGAGAATGAGACAAAGTTTCGAGCAGACAGAGATTACTTGAGCCAGCCTG"
    "TCTATCAACAAACTGTCTATCGAGAAGGCCCAATTTTGAAACCAGATGTAGAG"
)


@pytest.fixture
def sparse(testdata: Path) -> Path:
    return testdata / "genomes" / "wbcel235_sparse.fa.gz"


def _copy(genome: Path, folder: Path, suffixes: tuple[str, ...] = ("", ".fai", ".gzi")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in suffixes:
        shutil.copyfile(f"{genome}{suffix}", folder / f"{genome.name}{suffix}")
    return folder / genome.name


@pytest.mark.parametrize("form", ["path", "file_url"])
def test_local_reads_keep_case(sparse: Path, form: str) -> None:
    url = str(sparse) if form == "path" else sparse.as_uri()
    genome = open_genome(url)
    assert genome.fetch("X", 5109506, 5109644) == B2
    assert genome.fetch("X", 5109506, 5109506) == "a"
    assert genome.lengths == {"II": 15279421, "V": 20924180, "X": 17718942}
    assert open_genome(url) is genome  # opened once per process


@pytest.mark.parametrize(
    ("seq_id", "start", "end", "expected"),
    [
        ("chrZ", 1, 10, "seq_id 'chrZ' not in genome index "),
        ("X", 17718940, 17718943, "region 17718940-17718943 past the end of X (length 17718942)"),
        ("X", 0, 10, "region 0-10 is outside X"),
        ("X", 10, 5, "region 10-5 is outside X"),
    ],
)
def test_unreadable_regions_are_genome_read_errors(
    sparse: Path, seq_id: str, start: int, end: int, expected: str
) -> None:
    with pytest.raises(GenomeReadError) as info:
        open_genome(str(sparse)).fetch(seq_id, start, end)
    assert expected in str(info.value)


def test_last_base_and_empty_range(sparse: Path) -> None:
    genome = open_genome(str(sparse))
    assert genome.fetch("X", 17718942, 17718942) == "N"
    assert genome.fetch("X", 11, 10) == ""


@pytest.mark.parametrize(
    ("suffixes", "expected"),
    [
        (("",), "FASTA index not found: "),
        (("", ".fai"), "BGZF index not found: "),
    ],
)
def test_missing_local_index_is_fatal_and_nothing_is_written(
    sparse: Path, tmp_path: Path, suffixes: tuple[str, ...], expected: str
) -> None:
    copy = _copy(sparse, tmp_path / "g", suffixes)
    before = sorted(p.name for p in copy.parent.iterdir())
    with pytest.raises(GenomeAccessError) as info:
        IndexedGenome(str(copy))
    assert str(info.value).startswith(f"fasta_file_url: {expected}")
    assert sorted(p.name for p in copy.parent.iterdir()) == before  # htslib built no index


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://example.org/g.fa.gz", "fasta_file_url: unsupported URL scheme 'ftp'"),
        ("/nonexistent/g.fa.gz", "fasta_file_url: FASTA file not found: /nonexistent/g.fa.gz"),
        ("file:///nonexistent/g.fa", "fasta_file_url: FASTA file not found: /nonexistent/g.fa"),
    ],
)
def test_bad_urls(url: str, expected: str) -> None:
    with pytest.raises(GenomeAccessError) as info:
        IndexedGenome(url)
    assert str(info.value).startswith(expected)


def test_plain_gzip_fails_fatally(tmp_path: Path, sparse: Path) -> None:
    import gzip

    plain = tmp_path / "plain.fa"
    plain.write_text(">c\nACGT\n")
    pysam.faidx(str(plain))
    packed = tmp_path / "gz.fa.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    shutil.copyfile(f"{plain}.fai", f"{packed}.fai")
    shutil.copyfile(f"{sparse}.gzi", f"{packed}.gzi")
    with pytest.raises(GenomeAccessError) as info:  # htslib cannot seek in plain gzip
        IndexedGenome(str(packed)).fetch("c", 1, 4)
    assert str(info.value).startswith(f"fasta_file_url: genome {packed} is gzip but not BGZF")


def test_http_reads_only_byte_ranges(
    big_genome: Path, benchkit: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over HTTP only index files and a few blocks cross the wire; the cwd stays empty."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    local = open_genome(str(big_genome))
    entries = benchkit.make_entries(big_genome, 3, seed=2)
    with benchkit.RangeServer(big_genome.parent) as server:
        remote = open_genome(server.url + big_genome.name)
        for entry in entries:
            for region in entry["exon_seq_regions"]:
                args = (entry["seq_id"], region["start"], region["end"])
                assert remote.fetch(*args) == local.fetch(*args)
        remote.close()
        sent = server.bytes_sent
        paths = [path for _, path, _ in server.requests]
    size = big_genome.stat().st_size
    assert size > 8_000_000
    assert sent < size / 4, (sent, size)
    assert f"/{big_genome.name}.fai" in paths
    assert f"/{big_genome.name}.gzi" in paths
    assert list(work.iterdir()) == []


def test_http_missing_index(range_server: Any, sparse: Path, tmp_path: Path) -> None:
    copy = _copy(sparse, Path(range_server.folder) / "noindex", ("",))
    try:
        with pytest.raises(GenomeAccessError) as info:
            open_genome(f"{range_server.url}noindex/{copy.name}")
    finally:
        shutil.rmtree(copy.parent)
    assert "FASTA index not found: http://127.0.0.1:" in str(info.value)


def test_http_missing_file_and_unreachable_server(range_server: Any) -> None:
    with pytest.raises(GenomeAccessError) as info:
        open_genome(f"{range_server.url}absent.fa.gz")
    assert "FASTA file not found" in str(info.value)
    with pytest.raises(GenomeAccessError) as info:
        open_genome("http://127.0.0.1:9/g.fa.gz")
    assert str(info.value).startswith("fasta_file_url: cannot access")
    assert "\n" not in str(info.value)


def test_s3_with_the_normal_credentials(s3_bucket: str, sparse: Path) -> None:
    """Ranged GetObject calls signed in headers (no presigned URL)."""
    s3 = boto3.client("s3")
    for suffix in ("", ".fai", ".gzi"):
        s3.upload_file(f"{sparse}{suffix}", s3_bucket, f"genomes/{sparse.name}{suffix}")
    genome = open_genome(f"s3://{s3_bucket}/genomes/{sparse.name}")
    assert isinstance(genome, RemoteGenome)
    assert genome.fetch("X", 5109506, 5109644) == B2
    assert genome.requests == 1
    with pytest.raises(GenomeReadError):
        genome.fetch("chrZ", 1, 2)


def test_remote_uncompressed_fasta(tmp_path: Path, benchkit: Any) -> None:
    """A plain FASTA with a .fai: ranges straight from the .fai line arithmetic."""
    plain = tmp_path / "serve" / "plain.fa"
    plain.parent.mkdir()
    rng = random.Random(4)
    lines = []
    for name, size, width in (("a", 70_000, 60), ("b", 5, 60), ("c", 200_001, 80)):
        seq = "".join(rng.choice("ACGTNacgtn") for _ in range(size))
        lines += [
            f">{name} description\n",
            *(seq[i : i + width] + "\n" for i in range(0, size, width)),
        ]
    plain.write_text("".join(lines))
    pysam.faidx(str(plain))
    local = IndexedGenome(str(plain))
    with benchkit.RangeServer(plain.parent) as server:
        remote = open_genome(server.url + plain.name)
        for seq_id, length in local.lengths.items():
            for start, end in ((1, 1), (1, length), (max(1, length - 100), length), (3, 4)):
                if end <= length:
                    assert remote.fetch(seq_id, start, end) == local.fetch(seq_id, start, end)
        requests = server.requests
    fasta = [r for r in requests if r[1] == "/plain.fa"]
    assert fasta
    assert all(r[2] and re.fullmatch(r"bytes=\d+-\d+", r[2]) for r in fasta)
    local.close()


def test_s3_missing_index_and_object(s3_bucket: str, sparse: Path) -> None:
    boto3.client("s3").upload_file(str(sparse), s3_bucket, "g/only.fa.gz")
    with pytest.raises(GenomeAccessError) as info:
        open_genome(f"s3://{s3_bucket}/g/only.fa.gz")
    assert f"FASTA index not found: s3://{s3_bucket}/g/only.fa.gz.fai" in str(info.value)
    with pytest.raises(GenomeAccessError) as info:
        open_genome(f"s3://{s3_bucket}/g/absent.fa.gz")
    assert "FASTA file not found" in str(info.value)
