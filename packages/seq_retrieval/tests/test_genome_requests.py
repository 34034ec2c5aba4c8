"""Round trips of remote genome access (request counts on the Range server); pysam's span cache."""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pavi_seq_retrieval.genome import GenomeAccessError, IndexedGenome, open_genome
from pavi_seq_retrieval.model import GenomeReadError


def _fasta_requests(server: Any, name: str) -> list[tuple[str, str, str | None]]:
    return [r for r in server.requests if r[1] == f"/{name}"]


def test_remote_open_has_no_head_and_fetches_each_index_once(
    big_genome: Path, benchkit: Any
) -> None:
    with benchkit.RangeServer(big_genome.parent) as server:
        genome = open_genome(server.url + big_genome.name)
        requests = server.requests
        genome.close()
    name = big_genome.name
    # The two index files only: the FASTA is not touched until a region is read.
    assert sorted(requests) == [("GET", f"/{name}.fai", None), ("GET", f"/{name}.gzi", None)]


def test_cli_entry_makes_one_ranged_request(
    big_genome: Path,
    benchkit: Any,
    run_cli: Callable[[list[str]], Any],
    tmp_path: Path,
) -> None:
    """Every entry (both strands, genes across BGZF block boundaries) costs one closed range."""
    entries = benchkit.make_entries(big_genome, 12, seed=5)
    assert {e["seq_strand"] for e in entries} == {"+", "-"}
    with benchkit.RangeServer(big_genome.parent) as server:
        url = server.url + big_genome.name
        for entry in entries:
            from pavi_seq_retrieval.genome import close_genomes

            close_genomes()
            server.reset()
            result = run_cli(
                [
                    "--entry",
                    json.dumps({**entry, "fasta_file_url": url}),
                    "--output-prefix",
                    str(tmp_path / "remote"),
                ]
            )
            assert result.exit_code == 0, result.stderr
            fasta = _fasta_requests(server, big_genome.name)
            assert len(fasta) == 1, (entry["unique_entry_id"], server.requests)
            assert re.fullmatch(r"bytes=\d+-\d+", fasta[0][2] or ""), fasta
            assert len(server.requests) == 3, server.requests  # .fai, .gzi, one range
    for entry in entries:  # the same files as reading the local copy
        close_genomes()
        result = run_cli(["--entry", json.dumps(entry), "--output-prefix", str(tmp_path / "local")])
        assert result.exit_code == 0, result.stderr
    remote = sorted(p.name for p in (tmp_path / "remote").iterdir())
    assert remote == sorted(p.name for p in (tmp_path / "local").iterdir())
    assert len(remote) == 2 * len(entries)
    for name in remote:
        assert (tmp_path / "remote" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()


def test_prefetched_reads_equal_direct_reads(big_genome: Path, benchkit: Any) -> None:
    """Sub-ranges served from prefetched spans equal htslib's direct reads, ends included."""
    direct = IndexedGenome(str(big_genome))
    lengths = direct.lengths
    rng = random.Random(3)
    regions: list[tuple[str, int, int]] = []
    for seq_id, length in lengths.items():
        regions += [(seq_id, 1, 1), (seq_id, 1, 150), (seq_id, length - 99, length)]
        regions += [(seq_id, length, length)]
        for _ in range(20):
            start = rng.randint(1, length - 5000)
            regions.append((seq_id, start, start + rng.randint(0, 4000)))
    cached = IndexedGenome(str(big_genome))
    for seq_id in lengths:
        cached.prefetch(seq_id, [(s, e) for sid, s, e in regions if sid == seq_id])
    assert sum(len(spans) for spans in cached._spans.values()) > len(lengths)
    for entry in benchkit.make_entries(big_genome, 6, seed=9):  # one gene: one span
        gene = IndexedGenome(str(big_genome))
        parts = entry["exon_seq_regions"] + entry["cds_seq_regions"]
        gene.prefetch(entry["seq_id"], [(p["start"], p["end"]) for p in parts])
        assert len(gene._spans[entry["seq_id"]]) == 1
        for part in sorted(parts, key=lambda p: -p["start"]):  # minus-strand order
            args = (entry["seq_id"], part["start"], part["end"])
            assert gene.fetch(*args) == direct.fetch(*args)
        gene.close()
    for region in regions:
        assert cached.fetch(*region) == direct.fetch(*region)
    cached.close()
    direct.close()


@pytest.mark.parametrize("kind", ["past_end", "unknown_seq_id", "zero_start"])
def test_prefetch_keeps_errors(big_genome: Path, kind: str) -> None:
    """Regions past the end or of unknown sequences still fail in ``fetch``, the same way."""
    direct = IndexedGenome(str(big_genome))
    length = direct.lengths["chr1"]
    seq_id, start, end = {
        "past_end": ("chr1", length - 10, length + 5),
        "unknown_seq_id": ("chrZ", 1, 10),
        "zero_start": ("chr1", 0, 10),
    }[kind]
    hinted = IndexedGenome(str(big_genome))
    hinted.prefetch(seq_id, [(start, end), (max(1, start - 500), start + 20)])
    hinted.prefetch("chr1", [(length - 200, length + 300)])  # clamped: readable part cached
    with pytest.raises(GenomeReadError) as expected:
        direct.fetch(seq_id, start, end)
    with pytest.raises(GenomeReadError) as got:
        hinted.fetch(seq_id, start, end)
    assert str(got.value) == str(expected.value)
    assert hinted.fetch("chr1", length - 200, length) == direct.fetch("chr1", length - 200, length)
    hinted.close()
    direct.close()


def test_prefetch_caps_span_length(big_genome: Path) -> None:
    """Far-apart regions stay separate spans; a cluster never grows past the cap."""
    from pavi_seq_retrieval import genome as module

    hinted = IndexedGenome(str(big_genome))
    step = module._SPAN_GAP // 2
    regions = [(1 + i * step, 100 + i * step) for i in range(3 * module._SPAN_CAP // step)]
    hinted.prefetch("chr1", [*regions, (5_000_000, 5_000_100)])
    spans = hinted._spans["chr1"]
    assert all(last - first < module._SPAN_CAP for first, last, _ in spans)
    assert len(spans) >= 4
    assert (5_000_000, 5_000_100) in [(first, last) for first, last, _ in spans]
    hinted.close()


def test_missing_remote_fasta_beside_its_indexes(range_server: Any, testdata: Path) -> None:
    """Indexes present, FASTA absent: the first read says the FASTA is missing."""
    genome = testdata / "genomes" / "wbcel235_sparse.fa.gz"
    folder = Path(range_server.folder) / "indexes-only"
    folder.mkdir()
    try:
        for suffix in (".fai", ".gzi"):
            shutil.copyfile(f"{genome}{suffix}", folder / f"{genome.name}{suffix}")
        url = f"{range_server.url}indexes-only/{genome.name}"
        remote = open_genome(url)
        with pytest.raises(GenomeAccessError) as info:
            remote.fetch("X", 5109506, 5109644)
    finally:
        shutil.rmtree(folder)
    assert str(info.value) == f"fasta_file_url: FASTA file not found: {url}"


def test_missing_fasta_and_indexes_is_fasta_not_found(range_server: Any) -> None:
    url = f"{range_server.url}absent.fa.gz"
    with pytest.raises(GenomeAccessError) as info:
        open_genome(url)
    assert str(info.value) == f"fasta_file_url: FASTA file not found: {url}"
    methods = [r[0] for r in range_server.requests]
    assert methods.count("HEAD") == 1  # only on this error path
