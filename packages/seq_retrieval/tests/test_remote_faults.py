"""Remote genomes that misbehave: ranges ignored, a truncated block, indexes that do not match
the file. Each ends in a clear ``fasta_file_url`` error (or, for ignored ranges, the right
letters), never a wrong sequence."""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from pavi_seq_retrieval.genome import GenomeAccessError, open_genome
from pytest_httpserver import HTTPServer


def _gzi(genome: Path) -> list[int]:
    data = Path(f"{genome}.gzi").read_bytes()
    (count,) = struct.unpack_from("<Q", data)
    return [0, *struct.unpack_from(f"<{2 * count}Q", data, 8)[0::2]]


def _region(genome: Path, benchkit: Any) -> tuple[str, int, int]:
    entry = benchkit.make_entries(genome, 1, seed=31)[0]
    part = entry["exon_seq_regions"][0]
    return entry["seq_id"], part["start"], part["end"]


def _serve_copy(genome: Path, folder: Path, **replace: bytes) -> Path:
    """Copy the genome and its indexes into ``folder``; ``replace`` maps suffix -> bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".fai", ".gzi"):
        target = folder / f"{genome.name}{suffix}"
        key = suffix.lstrip(".") or "fasta"
        if key in replace:
            target.write_bytes(replace[key])
        else:
            shutil.copyfile(f"{genome}{suffix}", target)
    return folder / genome.name


def test_server_ignoring_ranges_still_gives_the_right_letters(
    big_genome: Path,
    benchkit: Any,
    httpserver: HTTPServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """200 instead of 206: the stream is read up to the last wanted byte; logged once."""
    for suffix in ("", ".fai", ".gzi"):
        body = Path(f"{big_genome}{suffix}").read_bytes()
        httpserver.expect_request(f"/g/{big_genome.name}{suffix}").respond_with_data(body)
    local = open_genome(str(big_genome))
    remote = open_genome(httpserver.url_for(f"/g/{big_genome.name}"))
    capsys.readouterr()
    for entry in benchkit.make_entries(big_genome, 3, seed=4):
        for part in entry["exon_seq_regions"]:
            args = (entry["seq_id"], part["start"], part["end"])
            assert remote.fetch(*args) == local.fetch(*args)
    fasta = [r for r, _ in httpserver.log if r.path == f"/g/{big_genome.name}"]
    assert fasta
    assert all(r.headers.get("Range", "").startswith("bytes=") for r in fasta)
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [r["event"] for r in records] == ["range_ignored"]


def test_truncated_block_is_a_clear_error(big_genome: Path, benchkit: Any, tmp_path: Path) -> None:
    seq_id, start, end = _region(big_genome, benchkit)
    with benchkit.RangeServer(big_genome.parent) as server:  # where the region's block is
        probe = open_genome(server.url + big_genome.name)
        expected = probe.fetch(seq_id, start, end)
        (wanted,) = [r for _, p, r in server.requests if p == f"/{big_genome.name}"]
    first = int(str(wanted).removeprefix("bytes=").split("-")[0])
    blocks = _gzi(big_genome)
    cut = first + (blocks[blocks.index(first) + 1] - first) // 2  # inside the region's block
    copy = _serve_copy(big_genome, tmp_path / "cut", fasta=big_genome.read_bytes()[:cut])
    with benchkit.RangeServer(copy.parent) as server:
        url = server.url + copy.name
        genome = open_genome(url)
        with pytest.raises(GenomeAccessError) as info:
            genome.fetch(seq_id, start, end)
    message = str(info.value)
    assert message.startswith(f"fasta_file_url: cannot read {seq_id}:{start}-{end} from {url}: ")
    assert f"the block at byte {first} is truncated" in message
    assert expected not in message


def test_corrupt_block_and_malformed_fai(big_genome: Path, benchkit: Any, tmp_path: Path) -> None:
    """A flipped byte inside a block fails its checks; a .fai that is not one is refused."""
    seq_id, start, end = _region(big_genome, benchkit)
    with benchkit.RangeServer(big_genome.parent) as server:
        open_genome(server.url + big_genome.name).fetch(seq_id, start, end)
        (wanted,) = [r for _, p, r in server.requests if p == f"/{big_genome.name}"]
    first = int(str(wanted).removeprefix("bytes=").split("-")[0])
    data = bytearray(big_genome.read_bytes())
    data[first + 100] ^= 0xFF  # inside the deflate data of the region's first block
    copy = _serve_copy(big_genome, tmp_path / "flip", fasta=bytes(data))
    bad_fai = _serve_copy(big_genome, tmp_path / "fai", fai=b"chr1\tlong\t6\t80\t81\n")
    with benchkit.RangeServer(tmp_path) as server:
        genome = open_genome(f"{server.url}flip/{copy.name}")
        with pytest.raises(GenomeAccessError) as info:
            genome.fetch(seq_id, start, end)
        with pytest.raises(GenomeAccessError) as refused:
            open_genome(f"{server.url}fai/{bad_fai.name}")
    assert f"the block at byte {first} " in str(info.value)
    assert "does not decompress" in str(info.value) or "CRC32" in str(info.value)
    assert "cannot use the index of" in str(refused.value)
    assert ".fai line 1 is not NAME LENGTH OFFSET LINEBASES LINEWIDTH" in str(refused.value)


@pytest.mark.parametrize("fault", ["other_gzi", "shifted_gzi", "plain_gzip", "fai_lines"])
def test_indexes_that_do_not_match_the_file(
    big_genome: Path, benchkit: Any, tmp_path: Path, testdata: Path, fault: str
) -> None:
    seq_id, start, end = _region(big_genome, benchkit)
    gzi = Path(f"{big_genome}.gzi").read_bytes()
    replace: dict[str, bytes] = {}
    expected = "the .gzi does not match the file"
    if fault == "other_gzi":  # another genome's .gzi
        replace["gzi"] = (testdata / "genomes" / "wbcel235_sparse.fa.gz.gzi").read_bytes()
    elif fault == "shifted_gzi":  # every block start 7 bytes off
        (count,) = struct.unpack_from("<Q", gzi)
        pairs = list(struct.unpack_from(f"<{2 * count}Q", gzi, 8))
        pairs[0::2] = [p + 7 for p in pairs[0::2]]
        replace["gzi"] = struct.pack(f"<Q{2 * count}Q", count, *pairs)
    elif fault == "plain_gzip":  # a gzip file that is not BGZF, with the BGZF file's .gzi
        import gzip

        with gzip.open(big_genome) as handle:
            replace["fasta"] = gzip.compress(handle.read(), compresslevel=1)
        expected = "not BGZF"
    else:  # the .fai of a file with other line lengths
        rows = [line.split("\t") for line in Path(f"{big_genome}.fai").read_text().splitlines()]
        text = "".join(f"{r[0]}\t{r[1]}\t{r[2]}\t60\t61\n" for r in rows)
        replace["fai"] = text.encode()
        expected = "the .fai does not match the file"
    copy = _serve_copy(big_genome, tmp_path / fault, **replace)
    with benchkit.RangeServer(copy.parent) as server:
        url = server.url + copy.name
        genome = open_genome(url)
        with pytest.raises(GenomeAccessError) as info:
            genome.fetch(seq_id, start, end)
    assert str(info.value).startswith(f"fasta_file_url: cannot read {seq_id}:{start}-{end} ")
    assert expected in str(info.value)


def test_s3_genome_failure_names_the_s3_uri_and_no_credential(
    run_cli: Callable[[list[str]], Any],
    synthetic_entry: dict[str, Any],
    testdata: Path,
    tmp_path: Path,
    s3_bucket: str,
) -> None:
    """A .gzi cut short on S3: one error line with the s3:// URI; no X-Amz- anywhere."""
    genome = testdata / "genomes" / "synthetic.fa.gz"
    s3 = boto3.client("s3")
    key = f"genomes/{genome.name}"
    s3.upload_file(str(genome), s3_bucket, key)
    s3.upload_file(f"{genome}.fai", s3_bucket, key + ".fai")
    s3.put_object(Bucket=s3_bucket, Key=key + ".gzi", Body=Path(f"{genome}.gzi").read_bytes()[:-5])
    uri = f"s3://{s3_bucket}/{key}"
    out = tmp_path / "out"
    result = run_cli(
        [
            "--entry",
            json.dumps({**synthetic_entry, "fasta_file_url": uri, "variant_ids": []}),
            "--output-prefix",
            str(out),
        ]
    )
    assert result.exit_code == 1
    (line,) = result.plain_lines
    entry_id = synthetic_entry["unique_entry_id"]
    assert line.startswith(
        f"pavi-seq-retrieval: error: entry {entry_id}: fasta_file_url: cannot use the index of "
        f"{uri}: .gzi says "
    )
    assert "X-Amz-" not in result.stderr
    assert not out.exists()
