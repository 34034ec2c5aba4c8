"""Reusable benchmark pieces: a large synthetic genome and a Range-capable HTTP server.

Importable from other packages' benchmarks (add this folder to ``sys.path``):

* ``make_genome(folder, size_mb=100, seed=20250601) -> Path`` writes (once; cached between runs)
  a bgzipped, faidx-indexed FASTA of at least ``size_mb`` MB (compressed) with planted genes,
  ``.fai``/``.gzi`` and an ``.annotation.json`` beside it; returns the ``.fa.gz`` path. The genes
  form one protein family (homologues of one ~450 aa ancestor, ~50% pairwise identity), as a
  PAVI request aligns one gene's orthologues and variants, not unrelated proteins.
* ``make_entries(genome_path, n, seed=1, fasta_file_url=None) -> list[dict]`` returns ``n``
  request entries (docs/request.md, "Entry fields") for planted genes whose CDS translates.
* ``RangeServer(folder, rate=None, latency=0.0)`` is a context manager serving ``folder`` on
  127.0.0.1 with HTTP Range support from a child process (``rangeserver.py``: ``os.sendfile``,
  optionally paced to ``rate`` bytes/s per connection, with ``latency`` seconds before each
  answer); ``.url``, ``.bytes_sent``, ``.bytes_written``, ``.requests``, ``.cpu_seconds``,
  ``.wait_idle()`` and ``.reset()``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pysam
from pysam.libcbgzf import BGZFile

_BASES = b"ACGTacgt"
_TABLE = bytes(_BASES[i % len(_BASES)] for i in range(256))
_COMPLEMENT = bytes.maketrans(b"ACGTacgtNn", b"TGCAtgcaNn")
_CODE = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"  # TCAG order
_TRIPLETS = ["".join(p) for p in itertools.product("TCAG", repeat=3)]
_CODONS = {a: [t for t, b in zip(_TRIPLETS, _CODE, strict=True) if b == a] for a in set(_CODE)}
_AMINO = "ACDEFGHIKLMNPQRSTVWY"
_FAMILY_LENGTH = 450  # aa: the ancestral protein of the genome's one gene family
_SUBSTITUTED = 0.3  # share of each member's residues replaced (pairwise identity ~50%)
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


def _family_member(rng: random.Random, ancestor: str) -> str:
    """A homologue of ``ancestor``: substitutions and a few short indels (keeps the start M)."""
    residues = [a if rng.random() > _SUBSTITUTED else rng.choice(_AMINO) for a in ancestor]
    for _ in range(rng.randint(0, 3)):
        at, size = rng.randint(1, len(residues) - 1), rng.randint(1, 8)
        if rng.random() < 0.5:
            residues[at:at] = [rng.choice(_AMINO) for _ in range(size)]
        else:
            del residues[at : at + size]
    return "M" + "".join(residues[1:])


def _plant_gene(
    rng: random.Random, chrom: bytearray, seq_id: str, origin: int, protein: str
) -> _Gene:
    """Write one spliced gene encoding ``protein`` (UTRs, ATG…stop CDS, GT..AG introns) at
    0-based ``origin``."""
    cds = "".join(rng.choice(_CODONS[a]) for a in protein) + "TAA"
    utr5, utr3 = rng.randint(10, 60), rng.randint(10, 60)
    mrna = (
        "".join(rng.choice("ACGT") for _ in range(utr5))
        + cds
        + "".join(rng.choice("ACGT") for _ in range(utr3))
    )
    cds_len = len(cds)
    parts = rng.randint(2, 6)
    while True:  # exon boundaries, every exon at least 30 nt
        cuts = [0, *sorted(rng.sample(range(30, len(mrna) - 30), parts - 1)), len(mrna)]
        if all(b - a >= 30 for a, b in itertools.pairwise(cuts)):
            break
    exon_lens = [b - a for a, b in itertools.pairwise(cuts)]
    intron_lens = [rng.randint(60, 1500) for _ in exon_lens[1:]]
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


def _random_bases(rng: random.Random, size: int) -> bytearray:
    """``size`` random letters of ``_BASES`` (in pieces: ``randbytes`` is limited to 256 MB)."""
    piece = 1 << 27  # a multiple of 4 bytes: the same bytes as one ``randbytes(size)`` call
    chrom = bytearray()
    for start in range(0, size, piece):
        chrom += rng.randbytes(min(piece, size - start)).translate(_TABLE)
    return chrom


def make_genome(folder: Path, size_mb: int = 100, seed: int = 20250601) -> Path:
    """Write (or reuse) a bgzipped, indexed genome of ≥ ``size_mb`` MB; return the .fa.gz path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench-v3-{size_mb}mb-{seed}.fa.gz"
    annotation = path.with_name(path.name + ".annotation.json")
    parts = [path, Path(f"{path}.fai"), Path(f"{path}.gzi"), annotation]
    if all(p.exists() for p in parts):
        return path
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not security)
    ancestor = "M" + "".join(rng.choice(_AMINO) for _ in range(_FAMILY_LENGTH - 1))
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
            chrom = _random_bases(rng, size)
            for origin in range(50_000, size - 50_000, size // 50):
                protein = _family_member(rng, ancestor)
                genes.append(_plant_gene(rng, chrom, seq_id, origin, protein))
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


_SERVER_SCRIPT = Path(__file__).resolve().with_name("rangeserver.py")


class RangeServer:
    """Serve ``folder`` on 127.0.0.1 with HTTP Range support and count what it transfers.

    The server (``rangeserver.py``) runs as a child process, so its work never competes with
    the caller for the GIL; it sends bodies with ``os.sendfile``. ``bytes_sent`` is what
    actually reached the clients: the body of a completed response, or for a response the
    client hung up on, the bytes its TCP acknowledged (Linux ``TCP_INFO``). htslib asks for
    open-ended ranges and hangs up once it has its blocks, so the bytes the server wrote into
    its socket buffers (``bytes_written``) can be much larger than what crossed the
    connection. Without ``TCP_INFO``, ``bytes_sent`` falls back to ``bytes_written``.
    """

    def __init__(self, folder: Path, rate: float | None = None, latency: float = 0.0) -> None:
        """``rate``: bytes/s per connection (None: as fast as loopback); ``latency``: seconds
        before each answer (simulates a remote store's first-byte latency)."""
        self.folder = Path(folder)
        self.rate = rate
        self.latency = latency
        self._process: subprocess.Popen[str] | None = None
        self._port = 0
        self._lock = threading.Lock()

    def __enter__(self) -> RangeServer:
        argv = [sys.executable, str(_SERVER_SCRIPT), str(self.folder.resolve())]
        if self.rate:
            argv += ["--rate", repr(float(self.rate))]
        if self.latency:
            argv += ["--latency", repr(float(self.latency))]
        self._process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self._port = int(self._read()["port"])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process = self._live
        assert process.stdin is not None
        process.stdin.close()  # end of commands: the server shuts down
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._process = None

    @property
    def _live(self) -> subprocess.Popen[str]:
        if self._process is None:
            raise RuntimeError("RangeServer is not running (use it as a context manager)")
        return self._process

    def _read(self) -> dict[str, Any]:
        process = self._live
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"RangeServer process ended (exit {process.poll()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _ask(self, command: str) -> dict[str, Any]:
        with self._lock:
            process = self._live
            assert process.stdin is not None
            process.stdin.write(command + "\n")
            process.stdin.flush()
            return self._read()

    @property
    def url(self) -> str:
        """Base URL, ending with ``/``."""
        self._live  # noqa: B018 (raises when not running)
        return f"http://127.0.0.1:{self._port}/"

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every connection has been closed (so the counters are final)."""
        self._ask(f"idle {timeout}")

    @property
    def bytes_sent(self) -> int:
        """Bytes delivered to clients since start or ``reset()`` (waits for open connections)."""
        self.wait_idle()
        return int(self._ask("stats")["delivered"])

    @property
    def bytes_written(self) -> int:
        """Response body bytes written into sockets since start or ``reset()``."""
        self.wait_idle()
        return int(self._ask("stats")["written"])

    @property
    def requests(self) -> list[tuple[str, str, str | None]]:
        """``(method, path, Range header)`` of every request since start or ``reset()``."""
        return [(m, p, r) for m, p, r in self._ask("stats")["requests"]]

    @property
    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used since it started."""
        return float(self._ask("stats")["cpu"])

    def reset(self) -> None:
        """Zero the counters (after waiting for open connections)."""
        self.wait_idle()
        self._ask("reset")


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
