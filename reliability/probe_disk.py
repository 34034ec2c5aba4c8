"""A full disk while a run writes: a small tmpfs as --out, else a per-file size limit."""

from __future__ import annotations

import contextlib
import json
import resource
from collections.abc import Callable, Iterator
from pathlib import Path

from reliability.core import (
    Result,
    Rows,
    base_env,
    error_line_problems,
    log_files,
    logs_text,
    manifest_paths,
    may_mount,
    partial_outputs,
    run,
    traceback_in,
)
from reliability.fixtures import Reference, pavi_run, token

PAGE = 4096  # tmpfs counts whole pages per file
NO_SPACE = r"no space left|ENOSPC|disk (is )?full|file too large|EFBIG|SIGXFSZ"


def _can_mount(where: Path) -> bool:
    if not may_mount():
        return False
    where.mkdir(parents=True, exist_ok=True)
    probe = run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)],
        base_env(token()),
        timeout=20,
    )
    if probe.code != 0:
        return False
    run(["umount", str(where)], base_env(token()), timeout=20)
    return True


@contextlib.contextmanager
def _tmpfs(where: Path, kib: int) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    mounted = run(
        ["mount", "-t", "tmpfs", "-o", f"size={kib}k,mode=0755", "tmpfs", str(where)],
        base_env(token()),
        timeout=20,
    )
    if mounted.code != 0:
        raise OSError(f"mount failed: {mounted.describe()}")
    try:
        yield where
    finally:
        if run(["umount", str(where)], base_env(token()), timeout=20).code != 0:
            run(["umount", "-l", str(where)], base_env(token()), timeout=20)


def _limit(size: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def _failed_step(result: Result, out: Path) -> str:
    """The first job whose log ends in its one-line error, else the runner."""
    logs = log_files(out)
    for step in ("retrieval", "alignment", "merge"):
        for log in (p for p in logs if p.name.startswith(step)):
            lines = log.read_text(errors="replace").strip().splitlines()
            if lines and ": error: " in lines[-1]:
                return step
    return "the runner" if result.code else "nowhere (the run succeeded)"


def _judge(rows: Rows, name: str, how: str, *, result: Result, out: Path, ref: Reference) -> None:
    problems = [] if result.code not in (0, None) else [f"exit {result.code}"]
    problems += error_line_problems(result, [NO_SPACE])
    if traceback_in(result.stderr, logs_text(out)):
        problems.append("a traceback")
    problems += partial_outputs(ref.outputs, out)
    for path in manifest_paths(out):
        try:
            json.loads(path.read_text())
        except ValueError:
            problems.append(f"a partial {path.relative_to(out)}")
    rows.add(
        name,
        f"{how}: one line naming it, no partial output (failed in {_failed_step(result, out)})",
        not problems,
        result.describe() + (f"; {'; '.join(problems[:3])}" if problems else ""),
    )


def _pages(paths: list[Path]) -> int:
    return sum(-(-p.stat().st_size // PAGE) for p in paths if p.is_file())


def tmpfs_sizes(ref: Path) -> list[tuple[str, int]]:
    """tmpfs sizes (KiB) that fill up in the retrieval's, alignment's, merge's writes and at
    run.json, from the clean run's files in the order a run writes them."""
    work, results, logs = ref / "work", ref / "results", ref / "logs"
    start = _pages([work / "request.json", *logs.glob("retrieval*.log")])
    retrieved = _pages([*work.glob("*-protein.fa"), *work.glob("*-seqinfo.json")])
    aligned = _pages([logs / "alignment.log", work / "alignment-input.fa"])
    aligned += _pages([results / "alignment-output.aln"])
    merged = _pages([logs / "merge.log", *results.glob("*.json"), *results.glob("*.html")])
    steps = [
        ("retrieval", start + retrieved // 2),
        ("alignment", start + retrieved + aligned - 1),
        ("merge", start + retrieved + aligned + merged - 1),
        ("run.json", start + retrieved + aligned + merged + _pages([ref / "run.json"]) - 1),
    ]
    return [(step, pages * PAGE // 1024) for step, pages in steps]


def fsize_limits(ref: Path) -> list[tuple[str, int]]:
    """Per-file limits (bytes) just under the request copy (written by the runner), the .aln and
    the report, each kept only if every file written before it is smaller."""
    order = [
        ref / "work" / "request.json",
        *sorted((ref / "logs").glob("retrieval*.log")),
        *sorted((ref / "work").glob("*-*.*")),
        ref / "logs" / "alignment.log",
        ref / "work" / "alignment-input.fa",
        ref / "results" / "alignment-output.aln",
        ref / "logs" / "merge.log",
        ref / "results" / "aligned_seq_info.json",
        ref / "results" / "report.html",
    ]
    sizes = [p.stat().st_size if p.is_file() else 0 for p in order]
    limits = []
    for name, target in (("the runner", 0), ("alignment", -4), ("merge", -1)):
        index = target % len(order)
        if sizes[index] > max(sizes[:index], default=0):
            limits.append((name, sizes[index] - 1))
    return limits


def probe_full_disk(root: Path, ref: Reference, rows: Rows) -> None:
    """Run the example into a folder that fills up at several points of the run."""
    if _can_mount(root / "probe"):
        for aim, kib in tmpfs_sizes(ref.out):
            with _tmpfs(root / f"tmpfs-{kib}k", kib) as where:
                out = where / "out"
                result = pavi_run(ref.request, out, timeout=120)
                how = f"{kib} KiB tmpfs (aimed at {aim})"
                _judge(rows, "full disk (tmpfs)", how, result=result, out=out, ref=ref)
        return
    for aim, size in fsize_limits(ref.out):
        out = root / f"fsize-{size}" / "out"
        result = pavi_run(ref.request, out, timeout=120, preexec=_limit(size))
        _judge(
            rows,
            "full disk (RLIMIT_FSIZE fallback)",
            f"files ≤ {size} B (aimed at {aim})",
            result=result,
            out=out,
            ref=ref,
        )
