"""The folder of ``pavi run --out DIR``: claimed, locked, staged, replaced only on success.

- ``DIR/.pavi-run`` marks a folder as a pavi run folder and is its lock (``fcntl.flock``, held
  by the runner and inherited by its jobs, so the folder stays locked while any job of a run
  is alive). A folder without it is used only if it is empty, new, or a run folder written by
  pavi-workflow < 0.3 (a pavi ``run.json`` at its top).
- A run is written into ``DIR/staging/`` (``work/``, ``results/``, ``logs/``, ``run.json``).
  Only when it succeeds does it replace ``DIR/work``, ``DIR/results``, ``DIR/logs`` and
  ``DIR/run.json``; a failed or interrupted run stays in ``DIR/staging/`` until the next run.
- ``--resume`` keeps a run that did not succeed in ``DIR/.pavi-unfinished/`` while the next
  run reuses its finished entries; it is removed when that run ends.
- Nothing else in DIR is ever touched; inputs inside the folders a run replaces are refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pavi_common_s3 import write_text
from pavi_contracts.exits import EXIT_FAILURE, EXIT_USAGE
from pavi_contracts.files import RUN_MANIFEST

#: Marker and lock file of a run folder.
MARKER = ".pavi-run"
#: Where a run is written until it has succeeded (and where a failed run stays).
STAGING = "staging"
#: The successful run's final manifest, written in staging before the swap.
READY = ".run.json.ready"
#: Where the replaced run goes for the moment of the swap (removed right after).
TRASH = ".pavi-old"
#: A run that did not succeed, kept from ``staging/`` while a ``--resume`` run reuses it.
UNFINISHED = ".pavi-unfinished"
#: The folders a successful run puts at the top of DIR.
PROMOTED = ("work", "results", "logs")
#: Everything in DIR that belongs to pavi run (all else is the user's and never touched).
OWNED = (*PROMOTED, RUN_MANIFEST, STAGING, TRASH, MARKER, UNFINISHED)


class RunFolderError(Exception):
    """The run folder cannot be used; ``exit_code`` 2 for a bad ``--out``, 1 when busy."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class RunFolder:
    """A claimed run folder: ``root`` is DIR, ``fd`` the open, locked marker."""

    root: Path
    fd: int

    @property
    def staging(self) -> Path:
        """``DIR/staging``: the folder the run is written into."""
        return self.root / STAGING

    @property
    def unfinished(self) -> Path:
        """``DIR/.pavi-unfinished``: the run that did not succeed, while a resume reads it."""
        return self.root / UNFINISHED

    def begin(self, *, keep_unfinished: bool = False) -> Path:
        """Remove what an earlier run left in staging (and a half-done swap); make it anew.

        ``keep_unfinished`` (``--resume``) moves a run that did not succeed (a staging folder
        with its ``run.json``) to :attr:`unfinished` instead, until :meth:`end`.
        """
        _remove(self.root / TRASH)
        _remove(self.unfinished)
        if keep_unfinished and (self.staging / RUN_MANIFEST).is_file():
            self.staging.rename(self.unfinished)
        _remove(self.staging)
        for name in PROMOTED:
            (self.staging / name).mkdir(parents=True)
        return self.staging

    def promote(self, manifest: dict[str, Any]) -> None:
        """Replace DIR's run with the staged one; ``DIR/run.json`` is written last.

        The manifest's staging paths are rewritten to the final ones (``ran_in`` says where
        the jobs ran). While the old run is swapped out there is no ``DIR/run.json``, so a run
        folder with a ``run.json`` always holds one whole successful run.
        """
        final = relocate(manifest, self.staging, self.root)
        final["ran_in"] = str(self.staging)
        ready = self.staging / READY
        # Written before anything moves (a full disk fails here, the old run untouched); the
        # swap itself is renames only.
        write_text(ready, json.dumps(final, indent=2) + "\n")
        trash = self.root / TRASH
        _remove(trash)
        trash.mkdir()
        for name in (RUN_MANIFEST, *PROMOTED):
            old = self.root / name
            if old.exists() or old.is_symlink():
                old.rename(trash / name)
        for name in PROMOTED:
            (self.staging / name).rename(self.root / name)
        ready.rename(self.root / RUN_MANIFEST)
        _remove(self.staging)
        _remove(trash)
        self.end()

    def end(self) -> None:
        """Drop the unfinished run kept for a resume (what was reused is linked by now)."""
        _remove(self.unfinished)

    def close(self) -> None:
        """Release the lock (jobs that still hold the inherited descriptor keep it)."""
        os.close(self.fd)


@contextlib.contextmanager
def claimed(out_dir: Path, inputs: Iterable[tuple[str, Path]] = ()) -> Iterator[RunFolder]:
    """:func:`claim` the folder for the body; release the lock afterwards."""
    folder = claim(out_dir, inputs)
    try:
        yield folder
    finally:
        folder.close()


def claim(out_dir: Path, inputs: Iterable[tuple[str, Path]] = ()) -> RunFolder:
    """Check DIR is a run folder (or empty, or new) holding none of the inputs; lock it.

    ``inputs`` are (label, path) of the files the run reads. Nothing is written before the
    checks pass; a folder locked by another run is refused before anything is written.
    """
    root = out_dir.resolve()
    _check_inputs(root, inputs)
    if root.exists() or root.is_symlink():
        if not root.is_dir():
            raise RunFolderError(f"--out {root}: is not a folder", EXIT_USAGE)
        _check_ours(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / MARKER, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as err:
        raise RunFolderError(_unwritable(root, err), EXIT_USAGE) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise RunFolderError(
            f"--out {root}: another pavi run is writing this folder{holder}: "
            "wait for it to end or choose another --out",
            EXIT_FAILURE,
        ) from None
    try:
        stamp = {"pavi_run_folder": 1, "pid": os.getpid(), "started": _now()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(stamp) + "\n").encode(), 0)
    except OSError as err:
        os.close(fd)
        raise RunFolderError(_unwritable(root, err), EXIT_USAGE) from None
    return RunFolder(root, fd)


def relocate(value: Any, old: Path, new: Path) -> Any:
    """``value`` with every string path under ``old`` moved under ``new`` (dicts, lists)."""
    if isinstance(value, dict):
        return {relocate(k, old, new): relocate(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [relocate(item, old, new) for item in value]
    if isinstance(value, str) and (value == str(old) or value.startswith(f"{old}/")):
        return str(new) + value[len(str(old)) :]
    return value


def _check_inputs(root: Path, inputs: Iterable[tuple[str, Path]]) -> None:
    """Refuse an input that a run would replace or delete (inside DIR's owned entries)."""
    for label, path in inputs:
        resolved = path.resolve()
        for name in OWNED:
            owned = root / name
            if resolved == owned or resolved.is_relative_to(owned):
                raise RunFolderError(
                    f"--out {root}: {label} {resolved} is inside {owned}, which pavi run "
                    f"replaces: keep inputs outside {', '.join(OWNED[:5])} of the run folder",
                    EXIT_USAGE,
                )


def _check_ours(root: Path) -> None:
    """Refuse a folder that holds files pavi run did not write."""
    names = sorted(p.name for p in root.iterdir())
    if not names or MARKER in names or _is_legacy_run(root):
        return
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    raise RunFolderError(
        f"--out {root}: holds files pavi run did not write ({shown}): choose a new or empty folder",
        EXIT_USAGE,
    )


def _is_legacy_run(root: Path) -> bool:
    """A run folder of pavi-workflow < 0.3 (no marker): its ``run.json`` is a pavi manifest."""
    try:
        manifest = json.loads((root / RUN_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and {"status", "steps", "versions"} <= manifest.keys()


def _holder(fd: int) -> str:
    """`` (pid N)`` of the run holding the lock, from the marker, when it says."""
    try:
        stamp = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return ""
    pid = stamp.get("pid") if isinstance(stamp, dict) else None
    return f" (pid {pid})" if isinstance(pid, int) else ""


def _unwritable(root: Path, err: OSError) -> str:
    return f"--out {root}: cannot write there: {err.strerror or err}"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _remove(path: Path) -> None:
    """Delete a file, a symlink (not its target) or a folder tree, if there."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
