"""BGZF blocks: where a span of uncompressed bytes lives in the file, and decoding with checks.

A BGZF file is a series of gzip members ("blocks") of at most 64 KiB, each with a ``BC`` extra
field giving its size. ``BlockLayout`` numbers the blocks from the ``.gzi``; an uncompressed
FASTA is treated as fixed 64 KiB "blocks" stored as is (``PlainLayout``), so one reader serves
both.
"""

from __future__ import annotations

import bisect
import struct
import zlib
from typing import Protocol

MAX_BLOCK = 65536  # a BGZF block (header, deflate data, trailer) is at most 64 KiB
_HEADER = struct.Struct("<BBBBIBBH")  # ID1 ID2 CM FLG MTIME XFL OS XLEN
_TRAILER = struct.Struct("<II")  # CRC32 ISIZE


class BgzfError(ValueError):
    """Bytes that are not the BGZF blocks the index promised (the message says how)."""


class Layout(Protocol):
    """Blocks of a genome file: which hold an uncompressed span, where they are, decoding."""

    def blocks(self, first: int, last: int) -> tuple[int, int]:
        """Numbers of the blocks holding uncompressed bytes ``first..last`` (inclusive)."""

    def start(self, block: int) -> int:
        """Uncompressed offset of the block's first byte."""

    def file_range(self, first: int, last: int) -> tuple[int, int]:
        """File offsets (inclusive) of blocks ``first..last``."""

    def decode(self, data: bytes, first: int, last: int) -> list[bytes]:
        """Uncompressed content of blocks ``first..last`` read from ``file_range``."""


class PlainLayout:
    """An uncompressed file cut into fixed-size pieces."""

    def __init__(self, piece: int = MAX_BLOCK) -> None:
        self.piece = piece

    def blocks(self, first: int, last: int) -> tuple[int, int]:
        """Pieces holding ``first..last``."""
        return first // self.piece, last // self.piece

    def start(self, block: int) -> int:
        """Offset of the piece."""
        return block * self.piece

    def file_range(self, first: int, last: int) -> tuple[int, int]:
        """The pieces' bytes."""
        return first * self.piece, (last + 1) * self.piece - 1

    def decode(self, data: bytes, first: int, last: int) -> list[bytes]:
        """The pieces as they are (the last ones may be short or missing at the file's end)."""
        return [data[i * self.piece : (i + 1) * self.piece] for i in range(last - first + 1)]


class BlockLayout:
    """The BGZF blocks listed by a ``.gzi`` (plus the implicit first block at 0)."""

    def __init__(self, compressed: list[int], uncompressed: list[int]) -> None:
        self.compressed = compressed
        self.uncompressed = uncompressed

    def blocks(self, first: int, last: int) -> tuple[int, int]:
        """Last block starting at or before each offset (empty blocks are skipped)."""
        starts = self.uncompressed
        return bisect.bisect_right(starts, first) - 1, bisect.bisect_right(starts, last) - 1

    def start(self, block: int) -> int:
        """Uncompressed offset of the block."""
        return self.uncompressed[block]

    def file_range(self, first: int, last: int) -> tuple[int, int]:
        """From the first block's start to the byte before the next block (the last block in
        the index: up to the largest size a block can have; the store stops at the file end)."""
        end = (
            self.compressed[last + 1] - 1
            if last + 1 < len(self.compressed)
            else self.compressed[last] + MAX_BLOCK - 1
        )
        return self.compressed[first], end

    def decode(self, data: bytes, first: int, last: int) -> list[bytes]:
        """Each block checked against its header, its CRC32/ISIZE and the ``.gzi``."""
        base = self.compressed[first]
        out = []
        for block in range(first, last + 1):
            at = self.compressed[block]
            size, payload = decode_block(data, at - base, at)
            if block + 1 < len(self.compressed):
                if self.compressed[block + 1] - at != size:
                    raise BgzfError(
                        f"the block at byte {at} is {size} bytes long but the .gzi puts the next "
                        f"block at byte {self.compressed[block + 1]}: the .gzi does not match "
                        "the file"
                    )
                if self.uncompressed[block + 1] - self.uncompressed[block] != len(payload):
                    raise BgzfError(
                        f"the block at byte {at} holds {len(payload)} bytes but the .gzi says "
                        f"{self.uncompressed[block + 1] - self.uncompressed[block]}: the .gzi "
                        "does not match the file"
                    )
            out.append(payload)
        return out


def plain_gzip(head: bytes) -> bool:
    """Whether a file starting with ``head`` (at least its first 64 bytes) is gzip but not
    BGZF (no ``BC`` size field in its first member's header)."""
    if head[:3] != b"\x1f\x8b\x08":
        return False
    if len(head) < _HEADER.size or not head[3] & 4:
        return True
    xlen = _HEADER.unpack_from(head)[-1]
    try:
        _block_size(head[_HEADER.size : _HEADER.size + xlen], "the first block")
    except BgzfError:
        return True
    return False


def decode_block(data: bytes, offset: int, file_offset: int) -> tuple[int, bytes]:
    """(block size, uncompressed bytes) of the BGZF block at ``data[offset:]``."""
    where = f"the block at byte {file_offset}"
    if len(data) - offset < _HEADER.size:
        raise BgzfError(f"{where} is truncated (the file ends inside its header)")
    id1, id2, method, flags, _, _, _, xlen = _HEADER.unpack_from(data, offset)
    if (id1, id2, method) != (31, 139, 8) or not flags & 4:
        raise BgzfError(
            f"no BGZF block starts at byte {file_offset} (not BGZF, or the .gzi does not "
            "match the file)"
        )
    if len(data) - offset < _HEADER.size + xlen:
        raise BgzfError(f"{where} is truncated (the file ends inside its header)")
    size = _block_size(data[offset + _HEADER.size : offset + _HEADER.size + xlen], where)
    if len(data) - offset < size:
        raise BgzfError(f"{where} is truncated ({len(data) - offset} of its {size} bytes)")
    deflated = data[offset + _HEADER.size + xlen : offset + size - _TRAILER.size]
    crc, isize = _TRAILER.unpack_from(data, offset + size - _TRAILER.size)
    try:
        payload = zlib.decompress(deflated, -15)
    except zlib.error as err:
        raise BgzfError(f"{where} does not decompress ({err})") from None
    if len(payload) != isize or zlib.crc32(payload) != crc:
        raise BgzfError(f"{where} fails its ISIZE/CRC32 check")
    return size, payload


def _block_size(extra: bytes, where: str) -> int:
    """BSIZE + 1 from the ``BC`` subfield of the gzip extra field."""
    at = 0
    while at + 4 <= len(extra):
        ident, length = extra[at : at + 2], struct.unpack_from("<H", extra, at + 2)[0]
        if ident == b"BC" and length == 2 and at + 6 <= len(extra):
            size = int(struct.unpack_from("<H", extra, at + 4)[0]) + 1
            if size < _HEADER.size + len(extra) + _TRAILER.size:
                raise BgzfError(f"{where} declares an impossible size {size}")
            return size
        at += 4 + length
    raise BgzfError(f"{where} has no BGZF size field (plain gzip, not BGZF)")
