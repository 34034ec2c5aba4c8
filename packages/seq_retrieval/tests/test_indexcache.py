"""Index files kept on disk between runs (``PAVI_INDEX_CACHE``), keyed by URL and validators."""

from __future__ import annotations

from pathlib import Path

import pytest
from pavi_seq_retrieval.genome import close_genomes, open_genome
from pytest_httpserver import HTTPServer


def _serve(httpserver: HTTPServer, genome: Path, etag: str) -> None:
    httpserver.clear()
    for suffix in ("", ".fai", ".gzi"):
        httpserver.expect_request(f"/g/{genome.name}{suffix}").respond_with_data(
            Path(f"{genome}{suffix}").read_bytes(), headers={"ETag": etag}
        )


def _index_gets(httpserver: HTTPServer) -> list[str]:
    return [r.path for r, _ in httpserver.log if r.method == "GET" and r.path.endswith("i")]


def test_cached_indexes_are_reused_until_they_change(
    httpserver: HTTPServer, testdata: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    genome = testdata / "genomes" / "synthetic.fa.gz"
    url = httpserver.url_for(f"/g/{genome.name}")
    monkeypatch.setenv("PAVI_INDEX_CACHE", str(tmp_path / "cache"))
    _serve(httpserver, genome, '"v1"')
    first = open_genome(url).lengths
    assert len(_index_gets(httpserver)) == 2
    assert len(list((tmp_path / "cache").iterdir())) == 2
    close_genomes()
    httpserver.clear_log()
    assert open_genome(url).lengths == first  # HEADs only: both index files from the cache
    assert _index_gets(httpserver) == []
    assert [r.method for r, _ in httpserver.log] == ["HEAD", "HEAD"]
    close_genomes()
    _serve(httpserver, genome, '"v2"')  # changed on the server: fetched again
    assert open_genome(url).lengths == first
    assert len(_index_gets(httpserver)) == 2
    assert len(list((tmp_path / "cache").iterdir())) == 4


def test_no_cache_without_the_variable(
    httpserver: HTTPServer, testdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAVI_INDEX_CACHE", raising=False)
    genome = testdata / "genomes" / "synthetic.fa.gz"
    _serve(httpserver, genome, '"v1"')
    open_genome(httpserver.url_for(f"/g/{genome.name}"))
    assert [r.method for r, _ in httpserver.log] == ["GET", "GET"]  # no HEAD
