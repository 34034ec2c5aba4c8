"""Reusable benchmark pieces: a large synthetic genome and a Range-capable HTTP server.

Importable from other packages' benchmarks (add this folder to ``sys.path``):

* ``make_genome(folder, size_mb=100, seed=20250601) -> Path`` writes (once; cached between runs)
  a bgzipped, faidx-indexed FASTA of at least ``size_mb`` MB (compressed) with planted genes,
  ``.fai``/``.gzi`` and an ``.annotation.json`` beside it; returns the ``.fa.gz`` path.
* ``make_entries(genome_path, n, seed=1, fasta_file_url=None) -> list[dict]`` returns ``n``
  request entries (pipeline-contract §2) for planted genes whose CDS translates.
* ``RangeServer(folder, rate=None, latency=0.0)`` is a context manager serving ``folder`` on
  127.0.0.1 with HTTP Range support (optionally paced to ``rate`` bytes/s per connection, with
  ``latency`` seconds before each answer); ``.url``, ``.bytes_sent``, ``.bytes_written``,
  ``.requests``, ``.wait_idle()`` and ``.reset()``.
"""

from __future__ import annotations

import http.server
import json
import os
import random
import re
import shutil
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

import pysam
from pysam.libcbgzf import BGZFile

_BASES = b"ACGTacgt"
_TABLE = bytes(_BASES[i % len(_BASES)] for i in range(256))
_COMPLEMENT = bytes.maketrans(b"ACGTacgtNn", b"TGCAtgcaNn")
_STOPS = {"TAA", "TAG", "TGA"}
_SENSE = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in _STOPS]
_LINE = 80
_BYTES_PER_BASE = 0.44  # BGZF level 1 of uniform 8-letter random sequence (measured 0.457)


def _revcomp(seq: bytes) -> bytes:
    return seq.translate(_COMPLEMENT)[::-1]


@dataclass
class _Gene:
    seq_id: str
    strand: str
    exons: list[tuple[int, int]] = field(default_factory=list)
    cds: list[tuple[int, int, int]] = field(default_factory=list)


def _plant_gene(rng: random.Random, chrom: bytearray, seq_id: str, origin: int) -> _Gene:
    """Write one spliced gene (UTRs, ATG…stop CDS, GT..AG introns) at 0-based ``origin``."""
    exon_lens = [rng.randint(90, 400) for _ in range(rng.randint(2, 6))]
    intron_lens = [rng.randint(60, 1500) for _ in exon_lens[1:]]
    utr5, utr3 = rng.randint(10, 60), rng.randint(10, 60)
    cds_len = (sum(exon_lens) - utr5 - utr3) // 3 * 3
    utr3 = sum(exon_lens) - utr5 - cds_len
    codons = "".join(rng.choice(_SENSE) for _ in range(cds_len // 3 - 2))
    mrna = (
        "".join(rng.choice("ACGT") for _ in range(utr5))
        + "ATG"
        + codons
        + "TAA"
        + "".join(rng.choice("ACGT") for _ in range(utr3))
    )
    pre: list[str] = []
    spans: list[tuple[int, int, int]] = []
    offset = 0
    for i, length in enumerate(exon_lens):
        spans.append((len("".join(pre)), offset, length))
        pre.append(mrna[offset : offset + length])
        offset += length
        if i < len(intron_lens):
            pre.append("GT" + "".join(rng.choice("ACGT") for _ in range(intron_lens[i] - 4)) + "AG")
    pre_mrna = "".join(pre).encode()
    strand = rng.choice("+-")
    total = len(pre_mrna)
    chrom[origin : origin + total] = pre_mrna if strand == "+" else _revcomp(pre_mrna)
    gene = _Gene(seq_id, strand)
    cds_start, cds_end = utr5, utr5 + cds_len  # transcript coordinates, 0-based half open
    for pre_pos, tx_pos, length in spans:
        # 1-based genomic coordinates of a transcript-oriented interval of the pre-mRNA.
        def genomic(a: int, b: int) -> tuple[int, int]:
            if strand == "+":
                return origin + a + 1, origin + b
            return origin + total - b + 1, origin + total - a

        gene.exons.append(genomic(pre_pos, pre_pos + length))
        lo, hi = max(tx_pos, cds_start), min(tx_pos + length, cds_end)
        if lo < hi:
            frame = (3 - (lo - cds_start) % 3) % 3
            start, end = genomic(pre_pos + lo - tx_pos, pre_pos + hi - tx_pos)
            gene.cds.append((start, end, frame))
    return gene


def make_genome(folder: Path, size_mb: int = 100, seed: int = 20250601) -> Path:
    """Write (or reuse) a bgzipped, indexed genome of ≥ ``size_mb`` MB; return the .fa.gz path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench-v2-{size_mb}mb-{seed}.fa.gz"
    annotation = path.with_name(path.name + ".annotation.json")
    parts = [path, Path(f"{path}.fai"), Path(f"{path}.gzi"), annotation]
    if all(p.exists() for p in parts):
        return path
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not security)
    total = int(size_mb * 1_000_000 / _BYTES_PER_BASE)
    sizes = [total * w // 10 for w in (4, 3, 2, 1)]
    tmp = folder / f".{path.name}"
    genes: list[_Gene] = []
    # Level 1 ("wb1", passed through to htslib; the stubs only list plain modes) keeps the
    # generation of 100 MB to seconds.
    out = BGZFile(str(tmp), mode="wb1")  # type: ignore[call-arg, arg-type]
    try:
        for number, size in enumerate(sizes, start=1):
            seq_id = f"chr{number}"
            chrom = bytearray(rng.randbytes(size).translate(_TABLE))
            for origin in range(50_000, size - 50_000, size // 50):
                genes.append(_plant_gene(rng, chrom, seq_id, origin))
            out.write(f">{seq_id}\n".encode())
            view = memoryview(chrom)
            out.write(b"\n".join(view[i : i + _LINE] for i in range(0, size, _LINE)))
            out.write(b"\n")
    finally:
        out.close()
    tmp.replace(path)
    pysam.faidx(str(path))
    annotation.write_text(json.dumps([g.__dict__ for g in genes]))
    return path


def make_entries(
    genome_path: Path, n: int, seed: int = 1, fasta_file_url: str | None = None
) -> list[dict[str, Any]]:
    """``n`` request entries for planted genes of ``make_genome``'s genome (CDS mode)."""
    annotation = Path(f"{genome_path}.annotation.json")
    genes = json.loads(annotation.read_text())
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not security)
    url = fasta_file_url or genome_path.resolve().as_uri()
    entries = []
    for index, gene in enumerate(rng.sample(genes, n)):
        name = f"bench-{gene['seq_id']}-{gene['exons'][0][0]}"
        entries.append(
            {
                "unique_entry_id": f"{index:03d}_{name}",
                "base_seq_name": name,
                "seq_id": gene["seq_id"],
                "seq_strand": gene["strand"],
                "exon_seq_regions": [{"start": s, "end": e} for s, e in gene["exons"]],
                "cds_seq_regions": [{"start": s, "end": e, "frame": f} for s, e, f in gene["cds"]],
                "fasta_file_url": url,
                "variant_ids": [],
            }
        )
    return entries


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with single-range ``Range: bytes=a-b`` support."""

    server: _CountingServer
    _RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
    _remaining = 0
    _written = 0

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def send_head(self) -> Any:  # the stdlib returns a file object or None
        """Answer 200, 206 or 416 with the right headers; return the open file positioned."""
        path = Path(self.translate_path(self.path))
        root = Path(str(self.directory)).resolve()
        if not path.resolve().is_relative_to(root) or not path.is_file():
            self.send_error(404, "not found")
            return None
        size = path.stat().st_size
        start, end = 0, size - 1
        header = self.headers.get("Range")
        match = self._RANGE.match(header.strip()) if header else None
        if match and (match.group(1) or match.group(2)):
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            else:
                start = max(0, size - int(match.group(2)))
            if start >= size or start > end:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        handle = path.open("rb")
        handle.seek(start)
        self._remaining = end - start + 1
        return handle

    def copyfile(self, source: Any, outputfile: Any) -> None:
        """Send the selected byte range (the client may hang up early: htslib does)."""
        remaining = self._remaining
        rate, began = self.server.rate, time.perf_counter()
        while remaining > 0:
            chunk = source.read(min(1 << 16, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)
            self._written += len(chunk)
            self.server.add_written(len(chunk))
            if rate:  # pace the body to the simulated link speed
                time.sleep(max(0.0, self._written / rate - (time.perf_counter() - began)))

    def handle(self) -> None:
        """Serve one connection; a client hanging up mid-body is normal here."""
        self.server.enter()
        delivered: int | None = None
        try:
            super().handle()
            delivered = self._written  # complete: the client read every byte written
        except (ConnectionResetError, BrokenPipeError):
            delivered = _bytes_acked(self.connection)  # hung up: what its TCP acknowledged
        finally:
            self.server.leave(delivered)

    def do_GET(self) -> None:
        """Record the request, then serve it (after the simulated first-byte latency)."""
        self.server.record(self.command, self.path, self.headers.get("Range"))
        if self.server.latency:
            time.sleep(self.server.latency)
        super().do_GET()

    def do_HEAD(self) -> None:
        """Record the request, then answer with headers only."""
        self.server.record(self.command, self.path, self.headers.get("Range"))
        if self.server.latency:
            time.sleep(self.server.latency)
        super().do_HEAD()


def _bytes_acked(sock: socket.socket) -> int | None:
    """Bytes the peer's TCP acknowledged on this connection (Linux TCP_INFO), else None."""
    if not hasattr(socket, "TCP_INFO"):
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    except OSError:
        return None
    if len(info) < _ACKED_OFFSET + 8:
        return None
    return int(struct.unpack_from("Q", info, _ACKED_OFFSET)[0])


_ACKED_OFFSET = 120  # struct tcp_info: tcpi_bytes_acked (Linux >= 4.1)


class _CountingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, folder: Path, rate: float | None, latency: float) -> None:
        super().__init__(("127.0.0.1", 0), partial(_Handler, directory=str(folder)))
        self.rate = rate
        self.latency = latency
        self.lock = threading.Condition()
        self.active = 0
        self.tcp_info = True
        self.bytes_written = 0
        self.bytes_delivered = 0
        self.requests: list[tuple[str, str, str | None]] = []

    def enter(self) -> None:
        with self.lock:
            self.active += 1

    def leave(self, delivered: int | None) -> None:
        with self.lock:
            self.active -= 1
            if delivered is None:
                self.tcp_info = False
            else:
                self.bytes_delivered += delivered
            self.lock.notify_all()

    def add_written(self, size: int) -> None:
        with self.lock:
            self.bytes_written += size

    def record(self, method: str, path: str, range_header: str | None) -> None:
        with self.lock:
            self.requests.append((method, path, range_header))


class RangeServer:
    """Serve ``folder`` on 127.0.0.1 with HTTP Range support and count what it transfers.

    ``bytes_sent`` is what actually reached the clients: the body of a completed response, or
    for a response the client hung up on, the bytes its TCP acknowledged (Linux ``TCP_INFO``).
    htslib asks for open-ended ranges and hangs up once it has its blocks, so the bytes the
    server wrote into its socket buffers (``bytes_written``) can be much larger than what
    crossed the connection. Without ``TCP_INFO``, ``bytes_sent`` falls back to ``bytes_written``.
    """

    def __init__(self, folder: Path, rate: float | None = None, latency: float = 0.0) -> None:
        """``rate``: bytes/s per connection (None: as fast as loopback); ``latency``: seconds
        before each answer (simulates a remote store's first-byte latency)."""
        self.folder = Path(folder)
        self.rate = rate
        self.latency = latency
        self._server: _CountingServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RangeServer:
        self._server = _CountingServer(self.folder, self.rate, self.latency)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        server, thread = self._live, self._thread
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = None

    @property
    def _live(self) -> _CountingServer:
        if self._server is None:
            raise RuntimeError("RangeServer is not running (use it as a context manager)")
        return self._server

    @property
    def url(self) -> str:
        """Base URL, ending with ``/``."""
        host, port = self._live.server_address[:2]
        return f"http://{host!s}:{port}/"

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every connection has been closed (so the counters are final)."""
        with self._live.lock:
            self._live.lock.wait_for(lambda: self._live.active == 0, timeout)

    @property
    def bytes_sent(self) -> int:
        """Bytes delivered to clients since start or ``reset()`` (waits for open connections)."""
        self.wait_idle()
        with self._live.lock:
            if self._live.tcp_info:
                return self._live.bytes_delivered
            return self._live.bytes_written

    @property
    def bytes_written(self) -> int:
        """Response body bytes written into sockets since start or ``reset()``."""
        self.wait_idle()
        with self._live.lock:
            return self._live.bytes_written

    @property
    def requests(self) -> list[tuple[str, str, str | None]]:
        """``(method, path, Range header)`` of every request since start or ``reset()``."""
        with self._live.lock:
            return list(self._live.requests)

    def reset(self) -> None:
        """Zero the counters (after waiting for open connections)."""
        self.wait_idle()
        with self._live.lock:
            self._live.bytes_written = 0
            self._live.bytes_delivered = 0
            self._live.requests.clear()


@contextmanager
def serving(folder: Path) -> Iterator[RangeServer]:
    """``with serving(folder) as server:`` — shorthand for ``RangeServer``."""
    with RangeServer(folder) as server:
        yield server


def copy_with_indexes(genome: Path, folder: Path) -> Path:
    """Copy a genome and its ``.fai``/``.gzi`` into ``folder``; return the new genome path."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".fai", ".gzi"):
        source = Path(f"{genome}{suffix}")
        if source.exists():
            shutil.copyfile(source, folder / source.name)
    return folder / genome.name


def default_cache_dir() -> Path:
    """Where benchmarks keep generated genomes between runs (``PAVI_BENCH_CACHE`` overrides)."""
    base = os.environ.get("PAVI_BENCH_CACHE")
    if base:
        return Path(base)
    return Path(tempfile.gettempdir()) / "pavi-bench-cache"
