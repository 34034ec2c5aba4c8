"""Local paths and file:// URIs: round trips, atomic writes, listing, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pavi_common_s3 import (
    AccessDenied,
    ObjectNotFound,
    StorageError,
    UnsupportedScheme,
    download_file,
    exists,
    list_uris,
    read_bytes,
    read_json,
    read_text,
    upload_file,
    write_bytes,
    write_text,
)
from pavi_common_s3.local import atomic_write


@pytest.fixture(params=["path", "file"])
def base(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same folder as a plain path and as a file:// URI."""
    return str(tmp_path) if request.param == "path" else f"file://{tmp_path}"


def test_round_trips(base: str, tmp_path: Path) -> None:
    write_bytes(f"{base}/deep/er/a.bin", b"\x00\x01binary")
    write_text(f"{base}/t é.txt", "héllo\n")
    write_text(f"{base}/d.json", json.dumps({"k": [1, 2]}))
    assert read_bytes(f"{base}/deep/er/a.bin") == b"\x00\x01binary"
    assert (tmp_path / "deep" / "er" / "a.bin").read_bytes() == b"\x00\x01binary"
    assert read_text(f"{base}/t é.txt") == "héllo\n"
    assert read_json(f"{base}/d.json") == {"k": [1, 2]}
    assert exists(f"{base}/d.json")
    assert not exists(f"{base}/nope.json")
    assert not exists(f"{base}/deep")  # a folder is not a file


def test_overwrite_replaces_content_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    write_text(str(target), "old content that is longer")
    write_text(str(target), "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.txt"]


def test_written_files_get_the_umask_mode(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    write_bytes(str(tmp_path / "m"), b"")
    assert (tmp_path / "m").stat().st_mode & 0o777 == 0o666 & ~mask


def test_failed_write_keeps_the_old_file_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("original")

    def fill(out: object) -> None:
        assert hasattr(out, "write")
        out.write(b"partial")
        raise RuntimeError("writer died")

    with pytest.raises(RuntimeError, match="writer died"):
        atomic_write(str(target), str(target), fill)
    assert target.read_text() == "original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_upload_and_download_copy_atomically(base: str, tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    upload_file(source, f"{base}/up/copy.bin")
    download_file(f"{base}/up/copy.bin", tmp_path / "down" / "again.bin")
    assert (tmp_path / "down" / "again.bin").read_bytes() == source.read_bytes()
    assert [p.name for p in (tmp_path / "up").iterdir()] == ["copy.bin"]


def test_list_is_sorted_by_code_point_not_recursive_and_filtered(base: str, tmp_path: Path) -> None:
    for name in ["b.fa", "B.fa", "a.fa", "á.fa", "item10.fa", "item2.fa", "a b.fa", "x.json"]:
        (tmp_path / name).write_text(name)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.fa").write_text("c")
    (tmp_path / ".x.fa.abcd1234.partial").write_text("in progress")
    names = ["B.fa", "a b.fa", "a.fa", "b.fa", "item10.fa", "item2.fa", "á.fa"]
    assert list_uris(base, "*.fa") == [f"{base}/{n}" for n in names]
    assert list_uris(base + "/", "*.json") == [f"{base}/x.json"]
    assert list_uris(base) == [f"{base}/{n}" for n in sorted([*names, "x.json"])]
    assert list_uris(base, "*.FA") == []  # patterns are case-sensitive
    assert list_uris(f"{base}/missing") == []


def test_missing_file_errors_name_the_uri(base: str, tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound, match=r"/nope\.txt: no such file"):
        read_bytes(f"{base}/nope.txt")
    with pytest.raises(ObjectNotFound, match=r"nope\.txt"):
        download_file(f"{base}/nope.txt", tmp_path / "x")
    with pytest.raises(ObjectNotFound, match=r"nope\.bin"):
        upload_file(tmp_path / "nope.bin", f"{base}/x")
    assert not (tmp_path / "x").exists()


def test_folder_and_file_confusions(base: str, tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("f")
    with pytest.raises(StorageError, match="is a folder"):
        read_bytes(f"{base}/dir")
    with pytest.raises(StorageError, match="is a folder"):
        write_text(f"{base}/dir", "x")
    with pytest.raises(StorageError, match="is a file, not a folder"):
        list_uris(f"{base}/file")
    with pytest.raises(StorageError, match=r"/file/x"):
        write_text(f"{base}/file/x", "x")


def test_permission_denied_is_access_denied(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    # root ignores file modes, but sysfs refuses it new folders (EPERM)
    target = "/sys/pavi-common-s3-test/x" if os.geteuid() == 0 else str(locked / "x")
    try:
        with pytest.raises(AccessDenied, match=f"^{target}: permission denied"):
            write_text(target, "x")
    finally:
        locked.chmod(0o700)


def test_bad_text_and_json_are_storage_errors(tmp_path: Path) -> None:
    (tmp_path / "bin").write_bytes(b"\xff\xfe")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(StorageError, match=r"/bin: not UTF-8 text"):
        read_text(str(tmp_path / "bin"))
    with pytest.raises(StorageError, match=r"/bad\.json: invalid JSON"):
        read_json(str(tmp_path / "bad.json"))


def test_http_is_read_only(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedScheme, match=r"^https://example\.org/x: http"):
        write_text("https://example.org/x", "x")
    with pytest.raises(UnsupportedScheme):
        upload_file(tmp_path, "http://example.org/x")
    with pytest.raises(UnsupportedScheme):
        list_uris("https://example.org/")


@pytest.mark.parametrize(("setting", "fsyncs"), [(None, 0), ("0", 0), ("1", 2)])
def test_fsync_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None, fsyncs: int
) -> None:
    """The rename keeps writes atomic; PAVI_LOCAL_FSYNC=1 adds the file's and folder's fsync."""
    calls: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        calls.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    if setting is None:
        monkeypatch.delenv("PAVI_LOCAL_FSYNC", raising=False)
    else:
        monkeypatch.setenv("PAVI_LOCAL_FSYNC", setting)
    write_text(str(tmp_path / "f.txt"), "content")
    assert (tmp_path / "f.txt").read_text() == "content"
    assert len(calls) == fsyncs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]
