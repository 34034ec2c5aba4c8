"""Every shared case read from a remote genome (HTTP with closed ranges): the same files and
exit codes as from the local genome (whose outputs the parity test holds to the original's)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pavi_seq_retrieval.genome import close_genomes


def _run(
    run_cli: Callable[[list[str]], Any], entry: dict[str, Any], folder: Path, out: Path
) -> int:
    result = run_cli(
        [
            "--entry",
            json.dumps(entry),
            "--output-prefix",
            str(out),
            "--variants-file",
            str(folder / "variants.json"),
        ]
    )
    return int(result.exit_code)


def test_every_case_over_http_equals_the_local_genome(
    run_cli: Callable[[list[str]], Any],
    case_requests: list[tuple[str, list[dict[str, Any]], Path]],
    range_server: Any,
    tmp_path: Path,
) -> None:
    checked = 0
    for case, entries, folder in case_requests:
        for entry in entries:
            name = Path(entry["fasta_file_url"]).name
            local = _run(run_cli, entry, folder, tmp_path / "local" / case)
            remote_entry = {**entry, "fasta_file_url": range_server.url + name}
            remote = _run(run_cli, remote_entry, folder, tmp_path / "http" / case)
            assert remote == local, entry["unique_entry_id"]
            checked += 1
        close_genomes()
    assert checked >= 45
    ranged = [r for _, p, r in range_server.requests if p.endswith(".fa.gz")]
    assert ranged
    assert all(r is not None and r.startswith("bytes=") and not r.endswith("-") for r in ranged)
    local_files = sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("*"))
    http_files = sorted(p.relative_to(tmp_path / "http") for p in (tmp_path / "http").rglob("*"))
    assert local_files == http_files
    for relative in local_files:
        left, right = tmp_path / "local" / relative, tmp_path / "http" / relative
        if left.is_file():
            assert left.read_bytes() == right.read_bytes(), relative
