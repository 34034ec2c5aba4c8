"""``pavi run --resume``: the keys of a run's steps, and reuse of an earlier run's outputs.

A step's key is the sha256 of the canonical JSON of everything that determines its outputs:

- a retrieval entry: the entry itself, a local variants file's responses for its
  ``variant_ids`` (a remote variants file's size and ETag / Last-Modified: not read here),
  its genome's identity (URL, size and ETag / Last-Modified, or modification time for a local
  file, of the FASTA, its ``.fai`` and ``.gzi``), the run's ``seq_type`` and the job that runs it
  (package version, or image for the container executor). An entry whose variants come from
  the variant API (an id missing from the variants file, or no variants file) has no key and is
  never reused: the job does not record the API's answers. Neither has an entry whose genome
  cannot be stat-ed, or a remote genome without ETag or Last-Modified.
- the alignment: every entry's FASTA (name, sha256, in request order), ``seq_type``, its job;
- the merge: every seqinfo (name, sha256), the alignment's sha256, the stored request's sha256
  and path (the report names it), ``seq_type``, its job.

Every run records its keys in ``run.json``; a resumed run compares them with the earlier
successful run's (``DIR/run.json``) and hard-links (else copies) the outputs whose key is
unchanged and whose files still have the checksums recorded for them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pavi_common_s3 import StorageError, read_json, stat
from pavi_common_s3.uri import parse
from pavi_contracts.faidx import is_bgzipped
from pavi_contracts.files import RUN_MANIFEST, OutputType, entry_outputs
from pavi_contracts.jobs import JOBS, job

from pavi_workflow.executors import ContainerExecutor, Executor, ExecutorError
from pavi_workflow.manifest import file_sha256
from pavi_workflow.request import Request

#: Bumped when what goes into a key changes (older keys then never match).
KEY_SCHEME = 1
#: Genomes stat-ed at once.
STAT_WORKERS = 8


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value: Any) -> str:
    """Hex sha256 of ``value``'s canonical JSON."""
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def job_identities(executor: Executor) -> dict[str, str | None]:
    """What runs each step: ``dist==version`` locally, the image for the container executor
    (None when unknown: that step is then never reused)."""
    found: dict[str, str | None] = {}
    for row in JOBS:
        try:
            if isinstance(executor, ContainerExecutor):
                found[row.step] = executor.image(row.step)
            else:
                found[row.step] = f"{row.distribution}=={version(row.distribution)}"
        except (ExecutorError, PackageNotFoundError):
            found[row.step] = None
    return found


def genome_identity(url: str) -> list[Any] | None:
    """URL, then size and validators of the FASTA, its ``.fai`` and (``.gz``) ``.gzi``; None
    when one cannot be stat-ed or a remote one has neither ETag nor Last-Modified."""
    names = [url, f"{url}.fai", *([f"{url}.gzi"] if is_bgzipped(url) else [])]
    remote = parse(url).kind != "local"
    found: list[Any] = [url]
    for name in names:
        try:
            info = stat(name)
        except StorageError:
            return None
        if remote and info.etag is None and info.last_modified is None:
            return None
        found.append([info.size, info.etag, info.last_modified])
    return found


def remote_identity(uri: str) -> list[Any] | None:
    """Size and validators of a remote object (None: cannot be stat-ed, or no validator)."""
    try:
        info = stat(uri)
    except StorageError:
        return None
    if info.etag is None and info.last_modified is None:
        return None
    return [uri, info.size, info.etag, info.last_modified]


class VariantData:
    """What an entry's variants depend on: a local variants file's responses for its ids, or
    a remote file's identity (stat-ed, not read: the jobs read it, the runner does not)."""

    def __init__(self, variants_file: str | None) -> None:
        self.responses: dict[str, Any] | None = {}
        self.remote: list[Any] | None = None
        if not variants_file:
            return
        if parse(variants_file).kind != "local":
            self.responses = None
            self.remote = remote_identity(variants_file)
            return
        try:
            data = read_json(variants_file)
        except (StorageError, ValueError, RecursionError):
            data = None
        self.responses = data if isinstance(data, dict) else None

    def of(self, ids: Sequence[str]) -> Any | None:
        """The part of an entry's key for its variant ids; None: not reusable (from the API)."""
        if not ids:
            return {}
        if self.remote is not None:
            return {"file": self.remote, "ids": list(ids)}
        if self.responses is None or any(vid not in self.responses for vid in ids):
            return None
        return {vid: self.responses[vid] for vid in ids}


def entry_keys(
    request: Request, variants_file: str | None, job_identity: str | None
) -> dict[str, str | None]:
    """Each entry's key (None: never reused), by ``unique_entry_id``."""
    urls = sorted({str(entry["fasta_file_url"]) for entry in request.entries})
    with ThreadPoolExecutor(max_workers=min(STAT_WORKERS, len(urls) or 1)) as pool:
        genomes = dict(zip(urls, pool.map(genome_identity, urls), strict=True))
    variant_data = VariantData(variants_file)
    keys: dict[str, str | None] = {}
    for entry in request.entries:
        entry_id = str(entry["unique_entry_id"])
        genome = genomes[str(entry["fasta_file_url"])]
        variants = variant_data.of([str(vid) for vid in entry.get("variant_ids") or []])
        if job_identity is None or genome is None or variants is None:
            keys[entry_id] = None
            continue
        keys[entry_id] = digest(
            {
                "scheme": KEY_SCHEME,
                "step": "retrieval",
                "entry": entry,
                "variants": variants,
                "genome": genome,
                "seq_type": request.seq_type,
                "job": job_identity,
            }
        )
    return keys


def files_digest(folder: Path, names: Iterable[str]) -> list[list[str]]:
    """``[name, sha256]`` of each file (``""`` for a missing one), in the given order."""
    return [
        [name, file_sha256(folder / name) if (folder / name).is_file() else ""] for name in names
    ]


def alignment_key(
    work: Path, ids: Sequence[str], seq_type: OutputType, job_identity: str | None
) -> str | None:
    """The alignment's key from the FASTAs it aligns."""
    if job_identity is None:
        return None
    fastas = files_digest(work, (entry_outputs(i, seq_type)[0] for i in ids))
    return digest(
        {
            "scheme": KEY_SCHEME,
            "step": "alignment",
            "inputs": fastas,
            "seq_type": seq_type,
            "job": job_identity,
        }
    )


def merge_key(
    out_dir: Path,
    ids: Sequence[str],
    seq_type: OutputType,
    request_path: Path,
    job_identity: str | None,
) -> str | None:
    """The merge's key from the seqinfos, the alignment and the stored request."""
    if job_identity is None:
        return None
    results = job("alignment").outputs[1].name
    return digest(
        {
            "scheme": KEY_SCHEME,
            "step": "merge",
            "inputs": files_digest(out_dir / "work", (entry_outputs(i, seq_type)[1] for i in ids)),
            "alignment": files_digest(out_dir / "results", [results]),
            "request": [str(request_path), file_sha256(request_path)],
            "seq_type": seq_type,
            "job": job_identity,
        }
    )


@dataclass
class _Done:
    """What an earlier run's step recorded: its key and its outputs (file name -> sha256)."""

    key: str
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class PreviousRun:
    """The earlier successful run in DIR: keys and outputs of its entries and steps."""

    root: Path
    entries: dict[str, _Done] = field(default_factory=dict)
    steps: dict[str, _Done] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> PreviousRun | None:
        """The run in ``root`` (its ``run.json``; keys recorded since pavi-workflow 0.3).

        Of a run that did not succeed, the alignment and merge count only if they exited 0;
        its retrieved entries count each on its own (their files and checksums are checked
        when reused, so an entry that failed, whose files are missing, is never reused).
        """
        try:
            manifest = json.loads((root / RUN_MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(manifest, dict):
            return None
        found = cls(root)
        for step in manifest.get("steps") or []:
            if not isinstance(step, dict) or not isinstance(step.get("keys"), dict):
                continue
            if step.get("step") != "retrieval" and step.get("exit_code") != 0:
                continue
            outputs = step.get("outputs")
            outputs = outputs if isinstance(outputs, dict) else {}
            by_name = {Path(str(path)).name: str(sha) for path, sha in outputs.items()}
            for name, key in step["keys"].items():
                if not isinstance(key, str):
                    continue
                if step.get("step") == "retrieval":
                    found.entries[str(name)] = _Done(key, by_name)
                else:
                    found.steps[str(name)] = _Done(key, by_name)
        return found

    def reuse_entry(
        self, entry_id: str, key: str | None, seq_type: OutputType, work: Path
    ) -> dict[str, str] | None:
        """Link the entry's two files into ``work`` if its key is unchanged; their checksums."""
        done = self.entries.get(entry_id)
        if key is None or done is None or done.key != key:
            return None
        names = entry_outputs(entry_id, seq_type)
        return _link_all(done, [(self.root / "work", work, name) for name in names])

    def reuse_step(self, step: str, key: str | None, out_dir: Path) -> dict[str, str] | None:
        """Link the step's declared outputs into ``out_dir`` if its key is unchanged."""
        done = self.steps.get(step)
        if key is None or done is None or done.key != key:
            return None
        files = [
            (self.root / output.prefix, out_dir / output.prefix, output.name)
            for output in job(step).outputs
        ]
        return _link_all(done, files)


@dataclass
class PreviousRuns:
    """The runs a resumed run may reuse, tried in order."""

    runs: list[PreviousRun]

    @classmethod
    def load(cls, roots: Iterable[Path]) -> PreviousRuns:
        """Each root's run that has a ``run.json``."""
        return cls([run for run in map(PreviousRun.load, roots) if run is not None])

    def reuse_entry(
        self, entry_id: str, key: str | None, seq_type: OutputType, work: Path
    ) -> dict[str, str] | None:
        """The first run's reused files of the entry (see :meth:`PreviousRun.reuse_entry`)."""
        for run in self.runs:
            found = run.reuse_entry(entry_id, key, seq_type, work)
            if found is not None:
                return found
        return None

    def reuse_step(self, step: str, key: str | None, out_dir: Path) -> dict[str, str] | None:
        """The first run's reused outputs of the step (see :meth:`PreviousRun.reuse_step`)."""
        for run in self.runs:
            found = run.reuse_step(step, key, out_dir)
            if found is not None:
                return found
        return None


def _link_all(done: _Done, files: Sequence[tuple[Path, Path, str]]) -> dict[str, str] | None:
    """Link (else copy) each (source folder, target folder, name) whose source still has the
    recorded sha256; None (and nothing left behind) when one is missing or changed."""
    made: list[Path] = []
    outputs: dict[str, str] = {}
    for source_dir, target_dir, name in files:
        source, target = source_dir / name, target_dir / name
        expected = done.outputs.get(name)
        if expected is None or not source.is_file() or file_sha256(source) != expected:
            for path in made:
                path.unlink(missing_ok=True)
            return None
        _link(source, target)
        made.append(target)
        outputs[str(target)] = expected
    return outputs


def _link(source: Path, target: Path) -> None:
    """Hard-link ``source`` at ``target`` (the jobs replace files by rename, never in place);
    copy when linking is not possible (another file system, protected hard links)."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        shutil.copy2(source, target)
