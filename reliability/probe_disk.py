"""A full disk while a run writes: a small tmpfs as --out, else a per-file size limit."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from reliability.core import (
    Result,
    Rows,
    base_env,
    error_line_problems,
    logs_text,
    partial_outputs,
    run,
    traceback_in,
)
from reliability.fixtures import Reference, pavi_run, token

#: Free space (KiB) of each tmpfs: during the retrieval's, the alignment's and the merge's writes.
TMPFS_KIB = (12, 56, 76, 100)
#: Per-file size limits (bytes) of the fallback: request copy, alignment output, report.
FSIZE_LIMITS = (1_000, 4_000, 20_000)
#: Environment variable forcing the fallback (``rlimit``) even where mounting works.
MODE_ENV = "PAVI_RELIABILITY_DISK"
NO_SPACE = r"no space left|ENOSPC|disk (is )?full|file too large|EFBIG"


def _can_mount(where: Path) -> bool:
    if os.environ.get(MODE_ENV) == "rlimit" or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    where.mkdir(parents=True, exist_ok=True)
    probe = run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)], base_env(token()), timeout=20)
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


def _failed_step(result: Result) -> str:
    line = result.last
    for step in ("retrieval", "alignment", "merge"):
        if f"error: {step}" in line:
            return step
    return "the runner itself" if result.code else "nowhere (the run succeeded)"


def _judge(rows: Rows, name: str, how: str, result: Result, out: Path, ref: Reference) -> None:
    problems = [] if result.code not in (0, None) else [f"exit {result.code}"]
    problems += error_line_problems(result, [NO_SPACE])
    if traceback_in(result.stderr, logs_text(out)):
        problems.append("a traceback")
    problems += partial_outputs(ref.outputs, out)
    rows.add(
        name,
        f"{how}: fails with one line naming it, no partial output (failed in {_failed_step(result)})",
        not problems,
        result.describe() + (f"; {'; '.join(problems[:3])}" if problems else ""),
    )


def probe_full_disk(root: Path, ref: Reference, rows: Rows) -> None:
    """Run the example into a folder that fills up at several points of the run."""
    mount_point = root / "disk"
    if _can_mount(mount_point / "probe"):
        for kib in TMPFS_KIB:
            with _tmpfs(mount_point / f"tmpfs-{kib}k", kib) as where:
                out = where / "out"
                result = pavi_run(ref.request, out, timeout=120)
                _judge(rows, "full disk (tmpfs)", f"{kib} KiB tmpfs", result, out, ref)
        return
    for size in FSIZE_LIMITS:
        out = mount_point / f"fsize-{size}" / "out"
        result = pavi_run(ref.request, out, timeout=120, preexec=_limit(size))
        _judge(rows, "full disk (RLIMIT_FSIZE fallback)", f"files ≤ {size} B", result, out, ref)
