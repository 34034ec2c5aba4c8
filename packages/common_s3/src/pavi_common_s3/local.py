"""Local file system back end: atomic writes (temporary file + ``os.replace``).

The rename alone makes a write atomic for readers; the temporary file is fsynced before it
(and the folder after it) only when ``PAVI_LOCAL_FSYNC=1``: durability across an OS crash or
power loss, which a rerun of the same request restores anyway, costs a disk flush per file.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from pavi_common_s3.errors import AccessDenied, ObjectNotFound, StorageError
from pavi_common_s3.info import ObjectInfo

_PARTIAL = re.compile(r"^\..+\.partial$")
FSYNC_ENV = "PAVI_LOCAL_FSYNC"


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_MODE = _file_mode()


def os_error(err: OSError, uri: str) -> StorageError:
    """Map an ``OSError`` to the library's exception naming ``uri``."""
    problem = err.strerror or str(err)
    if isinstance(err, FileNotFoundError):
        return ObjectNotFound(uri, "no such file or folder")
    if isinstance(err, PermissionError):
        return AccessDenied(uri, f"permission denied ({problem})")
    return StorageError(uri, problem)


@contextlib.contextmanager
def translated(uri: str) -> Iterator[None]:
    """Re-raise any ``OSError`` inside the block as a ``StorageError`` naming ``uri``."""
    try:
        yield
    except OSError as err:
        raise os_error(err, uri) from err


def is_partial(name: str) -> bool:
    """Whether ``name`` is one of our in-progress temporary files."""
    return _PARTIAL.match(name) is not None


def atomic_write(path: str, uri: str, fill: Callable[[BinaryIO], None]) -> None:
    """Create parent folders; ``fill`` writes a temporary sibling, renamed over ``path``."""
    target = Path(path)
    with translated(uri):
        if target.is_dir():
            raise StorageError(uri, "is a folder, not a file")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
        tmp = Path(name)
        durable = os.environ.get(FSYNC_ENV, "").strip() == "1"
        try:
            with os.fdopen(fd, "wb") as out:
                fill(out)
                if durable:
                    out.flush()
                    os.fsync(out.fileno())
            tmp.chmod(_MODE)
            tmp.replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        if durable:
            _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the file system allows it)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some file systems refuse to fsync a folder
            os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: str, uri: str, data: bytes) -> None:
    """Write ``data`` atomically."""

    def fill(out: BinaryIO) -> None:
        out.write(data)

    atomic_write(path, uri, fill)


def copy_in(source: str, path: str, uri: str) -> None:
    """Copy the local file ``source`` to ``path`` atomically."""
    with translated(source), open(source, "rb") as src:  # noqa: PTH123 (plain file object)
        atomic_write(path, uri, lambda out: shutil.copyfileobj(src, out, 1 << 20))


def read_bytes(path: str, uri: str) -> bytes:
    """The whole file."""
    with translated(uri):
        if Path(path).is_dir():
            raise StorageError(uri, "is a folder, not a file")
        return Path(path).read_bytes()


def read_range(path: str, uri: str, start: int, end: int) -> bytes:
    """Bytes ``start..end`` (inclusive; fewer at the end of the file): one seek, one read."""
    with translated(uri), open(path, "rb") as handle:  # noqa: PTH123 (plain file object)
        handle.seek(start)
        return handle.read(end - start + 1)


def stat(path: str, uri: str) -> ObjectInfo:
    """Size and modification time (ns) of the file."""
    with translated(uri):
        if Path(path).is_dir():
            raise StorageError(uri, "is a folder, not a file")
        info = Path(path).stat()
    return ObjectInfo(info.st_size, None, str(info.st_mtime_ns))


def exists(path: str, uri: str) -> bool:
    """Whether ``path`` is an existing file (folders are not objects)."""
    with translated(uri):
        return Path(path).is_file()


def delete(path: str, uri: str) -> None:
    """Remove the file (nothing to do when it does not exist)."""
    with translated(uri):
        if Path(path).is_dir():
            raise StorageError(uri, "is a folder, not a file")
        Path(path).unlink(missing_ok=True)


def list_names(path: str, uri: str) -> list[str]:
    """Names of the files directly in folder ``path`` (none if it does not exist)."""
    with translated(uri):
        try:
            entries = list(os.scandir(path or "."))
        except FileNotFoundError:
            return []
        except NotADirectoryError as err:
            raise StorageError(uri, "is a file, not a folder") from err
        return [e.name for e in entries if e.is_file() and not is_partial(e.name)]
