"""Remote genomes by exact ranges: a ≥50 MB bgzipped genome over HTTP and on S3 (moto).

What was asked for is checked against the test's own reading of the .fai/.gzi (independent of
the package's reader): only closed ranges on the FASTA, exactly the blocks covering each entry.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pavi_common_s3
import pytest
from pavi_common_s3.client import get_client
from pavi_seq_retrieval.genome import close_genomes, open_genome
from pavi_seq_retrieval.remote_genome import RemoteGenome

CLOSED = re.compile(r"bytes=(\d+)-(\d+)")


def read_fai(genome: Path) -> dict[str, tuple[int, int, int, int]]:
    """name -> (length, offset, linebases, linewidth)."""
    rows = (line.split("\t") for line in Path(f"{genome}.fai").read_text().splitlines())
    return {r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}


def read_gzi(genome: Path) -> tuple[list[int], list[int]]:
    """(compressed, uncompressed) block starts, (0, 0) first."""
    data = Path(f"{genome}.gzi").read_bytes()
    (count,) = struct.unpack_from("<Q", data)
    pairs = struct.unpack_from(f"<{2 * count}Q", data, 8)
    return [0, *pairs[0::2]], [0, *pairs[1::2]]


def covering_blocks(genome: Path, regions: list[tuple[str, int, int]]) -> set[int]:
    """Numbers of the BGZF blocks holding the letters of these 1-based inclusive regions."""
    fai = read_fai(genome)
    _, starts = read_gzi(genome)
    blocks: set[int] = set()
    for seq_id, start, end in regions:
        _, offset, bases, width = fai[seq_id]
        first = offset + (start - 1) // bases * width + (start - 1) % bases
        last = offset + (end - 1) // bases * width + (end - 1) % bases
        blocks.update(
            range(bisect.bisect_right(starts, first) - 1, bisect.bisect_right(starts, last))
        )
    return blocks


def block_bytes(genome: Path, first: int, last: int) -> tuple[int, int]:
    """File offsets (inclusive) of blocks ``first..last``."""
    compressed, _ = read_gzi(genome)
    end = compressed[last + 1] - 1 if last + 1 < len(compressed) else genome.stat().st_size - 1
    return compressed[first], end


def entry_regions(entry: dict[str, object]) -> list[tuple[str, int, int]]:
    """(seq_id, start, end) of an entry's exon and CDS regions."""
    parts = [*entry["exon_seq_regions"], *entry["cds_seq_regions"]]  # type: ignore[misc]
    return [(str(entry["seq_id"]), int(p["start"]), int(p["end"])) for p in parts]


def _args(entry: dict[str, Any], out: Path) -> list[str]:
    return ["--entry", json.dumps(entry), "--output-prefix", str(out)]


def _same_files(left: Path, right: Path, count: int) -> None:
    names = sorted(p.name for p in left.iterdir())
    assert names == sorted(p.name for p in right.iterdir())
    assert len(names) == count
    for name in names:
        assert (left / name).read_bytes() == (right / name).read_bytes(), name


def _hull(genome: Path, entry: dict[str, Any]) -> tuple[int, int, int]:
    """(first byte, last byte, bytes of the covering blocks) of an entry's regions."""
    blocks = covering_blocks(genome, entry_regions(entry))
    first, last = block_bytes(genome, min(blocks), max(blocks))
    needed = sum(block_bytes(genome, b, b)[1] - block_bytes(genome, b, b)[0] + 1 for b in blocks)
    return first, last, needed


def test_http_reads_only_the_covering_blocks(
    genome_50mb: Path, benchkit: Any, run_cli: Callable[[list[str]], Any], tmp_path: Path
) -> None:
    """Each entry as a fresh job: .fai, .gzi and one closed range holding its blocks."""
    entries = benchkit.make_entries(genome_50mb, 6, seed=21)
    for entry in entries:
        assert run_cli(_args(entry, tmp_path / "local")).exit_code == 0
    size = genome_50mb.stat().st_size
    indexes = sum(Path(f"{genome_50mb}{s}").stat().st_size for s in (".fai", ".gzi"))
    name = genome_50mb.name
    with benchkit.RangeServer(genome_50mb.parent) as server:
        for entry in entries:
            close_genomes()  # a fresh job
            server.reset()
            remote = {**entry, "fasta_file_url": server.url + name}
            result = run_cli(_args(remote, tmp_path / "http"))
            assert result.exit_code == 0, result.stderr
            close_genomes()
            requests = server.requests
            sent = server.bytes_sent
            assert sorted(p for _, p, _ in requests) == [f"/{name}", f"/{name}.fai", f"/{name}.gzi"]
            (fasta_range,) = [r for _, p, r in requests if p == f"/{name}"]
            match = CLOSED.fullmatch(fasta_range or "")
            assert match is not None, fasta_range  # a closed range, never bytes=N- or none
            first, last, needed = _hull(genome_50mb, entry)
            assert (int(match[1]), int(match[2])) == (first, last)
            assert sent == indexes + last - first + 1
            assert last - first + 1 <= needed + 65_536  # gaps between runs ≤ 64 KiB
            assert size / (last - first + 1) >= 100
    _same_files(tmp_path / "local", tmp_path / "http", 2 * len(entries))


def test_several_entries_share_requests_and_indexes(genome_50mb: Path, benchkit: Any) -> None:
    """One genome, many entries: indexes once, nearby blocks coalesced, reads from memory."""
    entries = benchkit.make_entries(genome_50mb, 40, seed=3)
    regions = [r for entry in entries for r in entry_regions(entry)]
    local = open_genome(str(genome_50mb))
    local.prefetch_regions(regions)  # the same hint on pysam's side (its own span cache)
    with benchkit.RangeServer(genome_50mb.parent) as server:
        remote = open_genome(server.url + genome_50mb.name)
        assert isinstance(remote, RemoteGenome)
        remote.prefetch_regions(regions)
        after_hint = len(server.requests)
        for region in regions:
            assert remote.fetch(*region) == local.fetch(*region)
        assert len(server.requests) == after_hint  # everything came from the hint's blocks
        requests = server.requests
        close_genomes()
    names = [p for _, p, _ in requests]
    assert names.count(f"/{genome_50mb.name}.fai") == names.count(f"/{genome_50mb.name}.gzi") == 1
    ranges = sorted(
        (int(m[1]), int(m[2]))
        for _, _, r in requests
        if r is not None and (m := CLOSED.fullmatch(r)) is not None
    )
    assert len(ranges) == len(requests) - 2
    blocks = covering_blocks(genome_50mb, regions)
    compressed, _ = read_gzi(genome_50mb)
    covered = {b for b in range(len(compressed)) if any(a <= compressed[b] <= z for a, z in ranges)}
    assert blocks <= covered
    for (_, end), (start, _) in itertools.pairwise(ranges):
        assert start - end - 1 > 65_536  # closer runs would have shared a request
    assert len(ranges) < len(entries)  # planted genes lie close: several share a request


@pytest.fixture
def s3_log(aws_env: str) -> Iterator[list[tuple[str, str, str | None, int | None]]]:
    """(method, URL, Range header, content length) of every S3 call pavi_common_s3 makes."""
    pavi_common_s3.reset_client()
    client = get_client()
    log: list[tuple[str, str, str | None, int | None]] = []
    sent: list[tuple[str, str, str | None]] = []

    def before_send(request: Any, **_: Any) -> None:
        raw = request.headers.get("Range")
        sent.append((request.method, request.url, raw.decode() if isinstance(raw, bytes) else raw))

    def after_call(parsed: Any, **_: Any) -> None:
        method, url, wanted = sent[-1]
        log.append((method, url, wanted, parsed.get("ContentLength")))

    client.meta.events.register("before-send.s3", before_send)
    client.meta.events.register("after-call.s3", after_call)
    yield log
    pavi_common_s3.reset_client()


def test_s3_ranged_gets_with_the_task_role(
    genome_50mb: Path,
    benchkit: Any,
    run_cli: Callable[[list[str]], Any],
    tmp_path: Path,
    s3_bucket: str,
    s3_log: list[tuple[str, str, str | None, int | None]],
) -> None:
    """s3:// genome: ranged GetObject signed in headers; no presigned URL anywhere."""
    s3 = boto3.client("s3")
    key = f"genomes/{genome_50mb.name}"
    for suffix in ("", ".fai", ".gzi"):
        s3.upload_file(f"{genome_50mb}{suffix}", s3_bucket, key + suffix)
    entries = benchkit.make_entries(genome_50mb, 3, seed=8)
    stderr = ""
    for entry in entries:
        assert run_cli(_args(entry, tmp_path / "local")).exit_code == 0
        close_genomes()
        s3_log.clear()
        remote = {**entry, "fasta_file_url": f"s3://{s3_bucket}/{key}"}
        result = run_cli(_args(remote, tmp_path / "s3"))
        assert result.exit_code == 0, result.stderr
        stderr += result.stderr
        fasta = [r for r in s3_log if r[1].split("?")[0].endswith(key)]
        assert len(fasta) == 1, s3_log
        match = CLOSED.fullmatch(fasta[0][2] or "")
        assert match is not None
        first, last, _ = _hull(genome_50mb, entry)
        assert (int(match[1]), int(match[2])) == (first, last)
        assert fasta[0][3] == last - first + 1
        assert sum(r[3] or 0 for r in s3_log) < genome_50mb.stat().st_size / 100
        assert all("X-Amz-" not in url for _, url, _, _ in s3_log)
    _same_files(tmp_path / "local", tmp_path / "s3", 2 * len(entries))
    outputs = "".join(p.read_text() for p in (tmp_path / "s3").iterdir())
    assert "X-Amz-" not in stderr + outputs
