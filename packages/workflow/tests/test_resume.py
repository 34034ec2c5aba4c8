"""`pavi run --resume`: unchanged steps are reused, changed ones (and only they) recomputed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PAVI = str(Path(sys.executable).parent / "pavi")
GENOME = "synthetic.fa.gz"


def pavi_run(request: Path, out: Path, *extra: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the `pavi run` console script (chunks of 3 entries, 2 at once)."""
    argv = [PAVI, "run", str(request), "--out", str(out), "--entries-per-job", "3"]
    done = subprocess.run(
        [*argv, "--concurrency", "2", *map(str, extra)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return data


def ran(out: Path) -> list[dict[str, Any]]:
    """The steps that ran a job (not cached)."""
    return [s for s in manifest(out)["steps"] if not s["cached"]]


def cached(out: Path) -> list[dict[str, Any]]:
    return [s for s in manifest(out)["steps"] if s["cached"]]


def recomputed(out: Path) -> list[str]:
    """Entry ids of the retrieval jobs that ran."""
    return [i for s in ran(out) if s["step"] == "retrieval" for i in s["entries"]]


def results(out: Path) -> dict[str, bytes]:
    """Every file of work/ and results/ but the report (its time and request path differ)."""
    return {
        str(path.relative_to(out)): path.read_bytes()
        for folder in ("work", "results")
        for path in sorted((out / folder).iterdir())
        if path.name not in {"report.html", "request.json"}
    }


def assert_same_results(first: Path, second: Path) -> None:
    got, want = results(first), results(second)
    assert sorted(got) == sorted(want)
    for name, data in want.items():
        if name.endswith(".json"):
            assert json.loads(got[name]) == json.loads(data), name
        else:
            assert got[name] == data, name


@pytest.fixture
def case(
    tmp_path: Path, testdata: Path, case_request: Callable[[str], list[dict[str, Any]]]
) -> Callable[[str], tuple[list[dict[str, Any]], Path, Path]]:
    """A case's request (genome copied into tmp_path) and a copy of its variants file."""

    def make(name: str) -> tuple[list[dict[str, Any]], Path, Path]:
        genomes = tmp_path / "genomes"
        if not genomes.exists():
            genomes.mkdir()
            for path in (testdata / "genomes").glob(f"{GENOME}*"):
                shutil.copy2(path, genomes / path.name)
        entries = case_request(name)
        for entry in entries:
            entry["fasta_file_url"] = f"file://{genomes / GENOME}"
        variants = tmp_path / "variants.json"
        shutil.copy(testdata / "cases" / name / "variants.json", variants)
        return entries, write(tmp_path / "request.json", entries), variants

    return make


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_resume_of_an_unchanged_request_reuses_every_step(
    tmp_path: Path, case: Callable[..., Any], require_clustalo: str
) -> None:
    entries, request, variants = case("syn-substitutions")
    out = tmp_path / "out"
    pavi_run(request, out, "--variants-file", variants)
    before = {p.name: p.read_bytes() for p in (out / "results").iterdir()}
    first = manifest(out)
    done = pavi_run(request, out, "--variants-file", variants, "--resume")
    after = {p.name: p.read_bytes() for p in (out / "results").iterdir()}
    assert after == before  # the report too: byte for byte
    steps = manifest(out)["steps"]
    assert [s["step"] for s in steps] == ["retrieval", "alignment", "merge"]
    assert all(s["cached"] and s["exit_code"] == 0 and s["log"] == "" for s in steps)
    ids = [e["unique_entry_id"] for e in entries]
    assert [s["entries"] for s in steps] == [ids, ids, ids]
    # No job ran: no log was written, and the keys are those the first run recorded.
    assert list((out / "logs").iterdir()) == []
    first_keys = {k: v for s in first["steps"] for k, v in s["keys"].items()}
    assert {k: v for s in steps for k, v in s["keys"].items()} == first_keys
    assert all(first_keys.values())
    assert len(first_keys) == len(ids) + 2
    assert "retrieval (cached)" in done.stderr
    # The reused files are the recorded ones, in their final places.
    outputs = steps[0]["outputs"]
    assert len(outputs) == 2 * len(ids)
    assert all(path.startswith(f"{out}/work/") for path in outputs)


def test_one_changed_entry_is_recomputed_alone_and_the_alignment_reruns(
    tmp_path: Path, case: Callable[..., Any], require_clustalo: str
) -> None:
    entries, request, variants = case("syn-substitutions")
    out = tmp_path / "out"
    pavi_run(request, out, "--variants-file", variants)
    changed = entries[4]  # the middle of the second chunk of 3
    changed["base_seq_name"] = "renamed-4.1"
    write(request, entries)
    pavi_run(request, out, "--variants-file", variants, "--resume")
    retrievals = [s for s in ran(out) if s["step"] == "retrieval"]
    assert [s["entries"] for s in retrievals] == [[changed["unique_entry_id"]]]
    command = retrievals[0]["command"]
    assert command[command.index("--entries") + 1] == "[4]"  # its chunk holds only it
    assert [s["step"] for s in ran(out)] == ["retrieval", "alignment", "merge"]
    reused = cached(out)[0]["entries"]
    assert reused == [e["unique_entry_id"] for e in entries if e is not changed]
    fresh = tmp_path / "fresh"
    pavi_run(request, fresh, "--variants-file", variants)
    assert_same_results(out, fresh)
    aln = (out / "results" / "alignment-output.aln").read_text()
    assert "renamed-4.1" in aln


def test_a_changed_variant_recomputes_only_the_entries_using_it(
    tmp_path: Path, case: Callable[..., Any], require_clustalo: str
) -> None:
    entries, request, variants = case("syn-multi-variant")
    out = tmp_path / "out"
    pavi_run(request, out, "--variants-file", variants)
    responses = json.loads(variants.read_text())
    shared = "NC_990001.1:g.22695A>T"  # used by entries 2 and 3
    responses[shared]["note"] = "reviewed"
    # Rewritten in another layout: the other ids' responses are unchanged in content.
    variants.write_text(json.dumps(dict(reversed(responses.items())), indent=4))
    pavi_run(request, out, "--variants-file", variants, "--resume")
    users = [e["unique_entry_id"] for e in entries if shared in e["variant_ids"]]
    assert users == ["002_pavE-3.1", "003_pavE-3.2"]
    assert recomputed(out) == users
    # The responses the jobs use did not change, so neither did the FASTAs: the alignment
    # and merge are reused.
    assert [s["step"] for s in cached(out)] == ["retrieval", "alignment", "merge"]
    fresh = tmp_path / "fresh"
    pavi_run(request, fresh, "--variants-file", variants)
    assert_same_results(out, fresh)


def test_a_touched_genome_recomputes_its_entries(
    tmp_path: Path, case: Callable[..., Any], require_clustalo: str
) -> None:
    entries, request, _ = case("syn-no-variants")
    other = tmp_path / "other-genome"
    shutil.copytree(tmp_path / "genomes", other)
    for entry in entries[3:]:
        entry["fasta_file_url"] = f"file://{other / GENOME}"
    write(request, entries)
    out = tmp_path / "out"
    pavi_run(request, out)
    genome = other / GENOME
    stamp = genome.stat().st_mtime_ns + 5_000_000_000
    os.utime(genome, ns=(stamp, stamp))
    pavi_run(request, out, "--resume")
    assert recomputed(out) == [e["unique_entry_id"] for e in entries[3:]]
    assert [s["entries"] for s in cached(out) if s["step"] == "retrieval"] == [
        [e["unique_entry_id"] for e in entries[:3]]
    ]
    keys = {k: v for s in manifest(out)["steps"] for k, v in s["keys"].items()}
    # Same genome content, so the same FASTAs: the alignment and merge are reused.
    assert [s["step"] for s in cached(out)] == ["retrieval", "alignment", "merge"]
    pavi_run(request, out, "--resume")
    assert recomputed(out) == []
    assert {k: v for s in manifest(out)["steps"] for k, v in s["keys"].items()} == keys


def test_entries_whose_variants_come_from_the_api_are_never_reused(
    tmp_path: Path,
    case: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    require_clustalo: str,
) -> None:
    entries, request, variants = case("syn-substitutions")
    responses = json.loads(variants.read_text())
    missing = entries[0]["variant_ids"][0]
    out = tmp_path / "out"
    pavi_run(request, out, "--variants-file", variants)
    # The same answer, now from a variant API: the earlier run's outputs are not reused for it.
    api = {missing: responses.pop(missing)}
    write(variants, responses)
    server = _serve(api)
    monkeypatch.setenv("PAVI_VARIANT_API_URL", f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        pavi_run(request, out, "--variants-file", variants, "--resume")
    finally:
        server.shutdown()
    assert recomputed(out) == [entries[0]["unique_entry_id"]]
    step = next(s for s in ran(out) if s["step"] == "retrieval")
    assert step["keys"] == {entries[0]["unique_entry_id"]: None}


def test_resume_without_an_earlier_run_is_a_normal_run(
    tmp_path: Path, testdata: Path, case: Callable[..., Any], require_clustalo: str
) -> None:
    entries, request, variants = case("syn-substitutions")
    out = tmp_path / "out"
    pavi_run(request, out, "--variants-file", variants, "--resume")
    assert cached(out) == []
    assert [s["entries"] for s in ran(out)][:3] == [
        [e["unique_entry_id"] for e in entries[i : i + 3]] for i in (0, 3, 6)
    ]
    expected = testdata / "cases" / "syn-substitutions" / "expected"
    aln = (out / "results" / "alignment-output.aln").read_bytes()
    assert aln == (expected / "alignment-output.aln").read_bytes()


def _serve(responses: dict[str, Any]) -> Any:
    """A variant API on a free local port answering ``responses`` (404 otherwise)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import unquote

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = responses.get(unquote(self.path.lstrip("/")))
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args: Any) -> None:
            del args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_rewritten_s3_genome_recomputes_its_entries(
    tmp_path: Path, testdata: Path, case: Callable[..., Any], s3_bucket: str, s3: Any,
    require_clustalo: str,
) -> None:  # fmt: skip
    entries, request, _ = case("syn-no-variants")
    source = testdata / "genomes" / GENOME
    for suffix in ("", ".fai", ".gzi"):
        body = Path(f"{source}{suffix}").read_bytes()
        s3.put_object(Bucket=s3_bucket, Key=f"g/{GENOME}{suffix}", Body=body)
    for entry in entries[:2]:
        entry["fasta_file_url"] = f"s3://{s3_bucket}/g/{GENOME}"
    write(request, entries)
    out = tmp_path / "out"
    pavi_run(request, out)
    pavi_run(request, out, "--resume")
    assert recomputed(out) == []
    # The same bytes written again: a new Last-Modified (ETag is the content's MD5 on S3;
    # Last-Modified has whole seconds, so write until it moves).
    before = s3.head_object(Bucket=s3_bucket, Key=f"g/{GENOME}")["LastModified"]
    while s3.head_object(Bucket=s3_bucket, Key=f"g/{GENOME}")["LastModified"] == before:
        time.sleep(0.2)
        s3.put_object(Bucket=s3_bucket, Key=f"g/{GENOME}", Body=source.read_bytes())
    pavi_run(request, out, "--resume")
    assert recomputed(out) == [e["unique_entry_id"] for e in entries[:2]]


def test_a_reused_file_changed_since_its_run_is_recomputed(
    tmp_path: Path, case: Callable[..., Any], require_clustalo: str
) -> None:
    entries, request, variants = case("syn-substitutions")
    out = tmp_path / "out"
    pavi_run(request, out, "--variants-file", variants)
    fasta = out / "work" / f"{entries[6]['unique_entry_id']}-protein.fa"
    original = fasta.read_bytes()
    fasta.write_bytes(original.replace(b"M", b"W", 1))
    pavi_run(request, out, "--variants-file", variants, "--resume")
    assert recomputed(out) == [entries[6]["unique_entry_id"]]
    assert fasta.read_bytes() == original
    # Its output is what it was, so the alignment and merge are still reused.
    assert [s["step"] for s in cached(out)] == ["retrieval", "alignment", "merge"]


def test_another_seq_type_reuses_nothing(
    tmp_path: Path, case: Callable[..., Any], require_clustalo: str
) -> None:
    entries, request, variants = case("syn-substitutions")
    out = tmp_path / "out"
    pavi_run(request, out, "--variants-file", variants)
    pavi_run(request, out, "--variants-file", variants, "--resume", "--seq-type", "transcript")
    assert cached(out) == []
    assert recomputed(out) == [e["unique_entry_id"] for e in entries]
    assert not list((out / "work").glob("*-protein.fa"))


def test_resume_after_a_failed_run_recomputes_only_what_did_not_finish(
    tmp_path: Path, case: Callable[..., Any], require_clustalo: str
) -> None:
    entries, request, variants = case("syn-failure-missing-seqid")
    out = tmp_path / "out"
    argv = [PAVI, "run", str(request), "--out", str(out), "--variants-file", str(variants)]
    failed = subprocess.run(
        [*argv, "--entries-per-job", "3", "--concurrency", "1", "--no-preflight"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1, failed.stderr
    assert not (out / "run.json").exists()
    # Entry 2's seq_id is not in the genome: its chunk-mates 0 and 1 were written all the same;
    # the second chunk (entry 3) never started.
    ids = [e["unique_entry_id"] for e in entries]
    entries[2]["seq_id"] = "chr1"
    write(request, entries)
    pavi_run(request, out, "--variants-file", variants, "--resume")
    assert recomputed(out) == [ids[2], ids[3]]
    assert cached(out)[0]["entries"] == [ids[0], ids[1]]
    assert [s["step"] for s in ran(out)][-2:] == ["alignment", "merge"]
    assert not (out / ".pavi-unfinished").exists()
    assert not (out / "staging").exists()
    fresh = tmp_path / "fresh"
    pavi_run(request, fresh, "--variants-file", variants)
    assert_same_results(out, fresh)
