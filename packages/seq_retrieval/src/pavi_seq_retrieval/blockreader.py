"""Uncompressed byte spans of a genome file, read as whole blocks with few closed ranges.

Wanted spans become block runs; runs whose file ranges are at most ``GAP`` bytes apart are
read with one request (up to ``SPAN_CAP`` bytes per request); runs are fetched concurrently.
Decoded blocks are kept (least recently used dropped past ``CACHE_BLOCKS``), so later reads
of the same blocks cost nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from pavi_seq_retrieval.bgzf import Layout

GAP = 65_536  # bytes of unwanted file between two runs still read in the same request
SPAN_CAP = 8 * 1024 * 1024  # bytes: no request asks for more (unless one run is longer)
CACHE_BLOCKS = 2048  # decoded blocks kept (≤ 128 MiB of sequence text)
WORKERS = 4  # concurrent range requests

ReadRange = Callable[[int, int], bytes]  # (first byte, last byte) -> bytes, both inclusive


def plan(runs: Iterable[tuple[int, int]], layout: Layout) -> list[tuple[int, int]]:
    """Block runs merged into requests: sorted, joined when the file gap is ≤ ``GAP``."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(runs):
        if merged:
            prev_first, prev_last = merged[-1]
            gap = layout.file_range(first, first)[0] - layout.file_range(prev_last, prev_last)[1]
            size = layout.file_range(prev_first, max(last, prev_last))
            if gap <= GAP + 1 and size[1] - size[0] < SPAN_CAP:
                merged[-1] = (prev_first, max(last, prev_last))
                continue
        merged.append((first, last))
    return merged


class BlockReader:
    """Uncompressed bytes of one file through ``read_range`` and a block cache."""

    def __init__(self, layout: Layout, read_range: ReadRange) -> None:
        self.layout = layout
        self._read_range = read_range
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.requests = 0

    def read(self, first: int, last: int) -> bytes:
        """Uncompressed bytes ``first..last`` (fewer only when the file ends first)."""
        block_first, block_last = self.layout.blocks(first, last)
        self.load([(first, last)])
        with self._lock:
            pieces = [self._cache.get(b) for b in range(block_first, block_last + 1)]
        if any(p is None for p in pieces):  # evicted meanwhile: read this span alone
            pieces = self._fetch(block_first, block_last)
        data = b"".join(p for p in pieces if p is not None)
        offset = first - self.layout.start(block_first)
        return data[offset : offset + last - first + 1]

    def load(self, spans: Iterable[tuple[int, int]]) -> None:
        """Make sure the blocks of these uncompressed spans are cached (few requests)."""
        runs: list[tuple[int, int]] = []
        with self._lock:
            for first, last in spans:
                block_first, block_last = self.layout.blocks(first, last)
                missing = [b for b in range(block_first, block_last + 1) if b not in self._cache]
                runs.extend((b, b) for b in missing)
        requests = plan(runs, self.layout)
        if len(requests) <= 1:
            for block_first, block_last in requests:
                self._fetch(block_first, block_last)
            return
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(requests))) as pool:
            for future in [pool.submit(self._fetch, a, b) for a, b in requests]:
                future.result()

    def _fetch(self, first: int, last: int) -> list[bytes | None]:
        start, end = self.layout.file_range(first, last)
        data = self._read_range(start, end)
        with self._lock:
            self.requests += 1
        blocks = self.layout.decode(data, first, last)
        with self._lock:
            for number, payload in enumerate(blocks, start=first):
                self._cache[number] = payload
                self._cache.move_to_end(number)
            while len(self._cache) > CACHE_BLOCKS:
                self._cache.popitem(last=False)
        return list(blocks)

    def clear(self) -> None:
        """Drop every cached block."""
        with self._lock:
            self._cache.clear()
