"""Shared fixtures of pavi-seq-retrieval's tests (`core_*`: the algorithm's unit tests)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pysam
import pytest
from pavi_seq_retrieval.model import Genome, GenomeReadError, Region, Strand, Variant
from pavi_seq_retrieval.retrieval import RetrievalInput

# ---------------------------------------------------------------------------------------------
# core_*: genomes, variants and request-entry conversion for the algorithm's tests
# ---------------------------------------------------------------------------------------------

_CORE_CHR1 = (
    "TTTTTTTTTTCCCCCCCCCCATGGCTGCAAGTTTTTTTTTTTTAGAAGGGCCCTTTGAAACCTGGGTTTTTTTTTTTTAGCAGTAAC"
    "CCGGGAAATAGCCCTTTTTTTTTT"
)
_CORE_PLUS = {"+": "+", "+1": "+", "pos": "+"}
_CORE_MINUS = {"-": "-", "-1": "-", "neg": "-"}

# The variants of docs/cases.md, "K. Synthetic golden set": id -> (chrom, start, end, ref, alt)
_CORE_K_VARIANTS: dict[str, tuple[str, int, int, str, str]] = {
    "snv1": ("chr1", 25, 25, "C", "A"),
    "early2": ("chr1", 30, 30, "A", "T"),
    "stoploss": ("chr1", 84, 84, "T", "C"),
    "stop2loss": ("chr1", 96, 96, "T", "C"),
    "start": ("chr1", 22, 22, "T", "C"),
    "del3": ("chr1", 27, 29, "GCA", ""),
    "del1": ("chr1", 24, 24, "G", ""),
    "utr5": ("chr1", 12, 12, "C", "G"),
    "intr": ("chr1", 35, 35, "T", "A"),
    "del_span": ("chr1", 29, 33, "AAGTT", ""),
    "del_span_inframe": ("chr1", 30, 47, "AGTTTTTTTTTTTTAGAA", ""),
    "ins3": ("chr1", 24, 25, "", "AAA"),
    "ins3b": ("chr1", 26, 27, "", "GGG"),
    "ins_edge": ("chr1", 30, 31, "", "GGG"),
    "indel_part": ("chr1", 29, 32, "AAGT", "C"),
    "indel_in": ("chr1", 24, 25, "GC", "TTT"),
    "indel_in2": ("chr1", 24, 26, "GCT", "A"),
    "mism": ("chr1", 25, 25, "G", "A"),
    "ov1": ("chr1", 24, 26, "GCT", "AAA"),
    "ov2": ("chr1", 25, 25, "C", "A"),
    "otherchr": ("chr9", 25, 25, "C", "A"),
    "mnv_span": ("chr1", 29, 47, "AAGTTTTTTTTTTTTAGAA", "CCGTTTTTTTTTTTTAGCC"),
    "delG": ("chr1", 48, 50, "GGG", ""),
    "snv51": ("chr1", 51, 51, "C", "A"),
    "snv50": ("chr1", 50, 50, "G", "T"),
    "snv_e2": ("chr2", 50, 50, "G", "T"),
    "nsnv": ("chr3", 87, 87, "G", "T"),
    "nins": ("chr3", 87, 88, "", "TTT"),
    "ndel": ("chr3", 83, 85, "TGC", ""),
    "snv24": ("chr1", 24, 24, "G", "T"),
    "startkeep": ("chr1", 23, 25, "GGC", "GGA"),
    "startkeep2": ("chr2", 23, 25, "GGC", "GGA"),
    "fixN": ("chr4", 27, 27, "N", "G"),
    "ins3_chr2": ("chr2", 24, 25, "", "AAA"),
}


class CoreFastaGenome:
    """A `Genome` over a faidx-indexed FASTA through pysam (tests only)."""

    def __init__(self, path: Path) -> None:
        self._fasta = pysam.FastaFile(str(path))

    def fetch(self, seq_id: str, start: int, end: int) -> str:
        """Letters of seq_id[start..end], 1-based inclusive, case kept."""
        if seq_id not in self._fasta.references:
            raise GenomeReadError(f"unknown sequence {seq_id!r}")
        if start < 1 or end > self._fasta.get_reference_length(seq_id):
            raise GenomeReadError(f"{seq_id}:{start}-{end} runs past the sequence end")
        return str(self._fasta.fetch(seq_id, start - 1, end))

    def close(self) -> None:
        """Release the file handles."""
        self._fasta.close()


def _core_replace(seq: str, start: int, letters: str) -> str:
    return seq[: start - 1] + letters + seq[start - 1 + len(letters) :]


def _core_revcomp(seq: str) -> str:
    return seq.translate(str.maketrans("ACGTacgt", "TGCAtgca"))[::-1]


@pytest.fixture(scope="session")
def core_genome(testdata: Path) -> Iterator[Genome]:
    """The sparse soft-masked WBcel235 genome (sections B-D, F-H)."""
    genome = CoreFastaGenome(testdata / "genomes" / "wbcel235_sparse.fa.gz")
    yield genome
    genome.close()


@pytest.fixture(scope="session")
def core_k_genome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genome]:
    """Synthetic genome (docs/cases.md, "Fixture genomes") plus chr4 (S49), chr5 (S51), chr7
    (S53)."""
    chr2 = _CORE_CHR1[:10] + _CORE_CHR1[10:30].lower() + _CORE_CHR1[30:]
    sequences = {
        "chr1": _CORE_CHR1,
        "chr2": chr2,
        "chr3": _core_revcomp(_CORE_CHR1),
        "chr4": _core_replace(_CORE_CHR1, 27, "N"),
        "chr5": _core_replace(_CORE_CHR1, 24, "TAAN"),
        "chr7": _core_replace(_CORE_CHR1, 21, "TAG"),
    }
    path = tmp_path_factory.mktemp("core_k") / "synthetic_k.fa"
    lines = []
    for name, seq in sequences.items():
        lines.append(f">{name}\n")
        lines.extend(seq[i : i + 60] + "\n" for i in range(0, len(seq), 60))
    path.write_text("".join(lines))
    pysam.faidx(str(path))
    genome = CoreFastaGenome(path)
    yield genome
    genome.close()


@pytest.fixture(scope="session")
def core_k_variants() -> dict[str, Variant]:
    """The variants of docs/cases.md, "K. Synthetic golden set" (plus `ins3_chr2`, ins3 on
    chr2), by id."""
    return {
        vid: Variant(vid, chrom, start, end, ref, alt)
        for vid, (chrom, start, end, ref, alt) in _CORE_K_VARIANTS.items()
    }


def core_region(value: Any) -> Region:
    """A request region (object or "a..b" string) as a Region."""
    if isinstance(value, str):
        match = re.fullmatch(r"(\d+)\.\.(\d+)", value)
        assert match is not None, f"bad region string {value!r}"
        return Region(int(match[1]), int(match[2]))
    return Region(int(value["start"]), int(value["end"]), value.get("frame"))


def core_variant(variant_id: str, response: dict[str, Any]) -> Variant:
    """A variant API response mapped as docs/retrieval.md, "Fetching variants" describes."""
    location = response["location"]
    return Variant(
        variant_id=variant_id,
        seq_id=location["chromosome"],
        start=int(location["start"]),
        end=int(location["end"]),
        ref=response.get("genomicReferenceSequence") or "",
        alt=response.get("genomicVariantSequence") or "",
    )


def core_input(entry: dict[str, Any], responses: dict[str, Any]) -> RetrievalInput:
    """One request entry (plus the case's variant responses) as a RetrievalInput."""
    raw_strand = entry["seq_strand"]
    strand: Strand = "+" if raw_strand in _CORE_PLUS else "-"
    assert raw_strand in _CORE_PLUS or raw_strand in _CORE_MINUS, raw_strand
    ids = list(dict.fromkeys(entry["variant_ids"]))
    return RetrievalInput(
        base_seq_name=entry["base_seq_name"],
        seq_id=entry["seq_id"],
        strand=strand,
        exon_regions=[core_region(r) for r in entry["exon_seq_regions"]],
        cds_regions=[core_region(r) for r in entry["cds_seq_regions"]],
        variants=[core_variant(vid, responses[vid]) for vid in ids],
        alt_seq_name_suffix=entry.get("alt_seq_name_suffix") or "_alt",
    )


@pytest.fixture(scope="session")
def core_case_entries(testdata: Path) -> list[tuple[str, dict[str, Any], Path]]:
    """(case name, request entry with {data} resolved, case folder) for every shared case."""
    rows: list[tuple[str, dict[str, Any], Path]] = []
    for folder in sorted((testdata / "cases").iterdir()):
        if not (folder / "request.json").is_file():
            continue
        text = (folder / "request.json").read_text().replace("{data}", str(testdata))
        rows.extend((folder.name, entry, folder) for entry in json.loads(text))
    return rows


@pytest.fixture(scope="session")
def core_genome_for(testdata: Path) -> Iterator[Callable[[str], Genome]]:
    """Opens (once) the genome a `file://` fasta_file_url points at."""
    opened: dict[str, CoreFastaGenome] = {}

    def open_url(url: str) -> Genome:
        assert url.startswith("file://"), url
        if url not in opened:
            opened[url] = CoreFastaGenome(Path(url.removeprefix("file://")))
        return opened[url]

    yield open_url
    for genome in opened.values():
        genome.close()


@pytest.fixture(scope="session")
def core_to_input() -> Callable[[dict[str, Any], dict[str, Any]], RetrievalInput]:
    """The request-entry converter (entry, variant responses by id) -> RetrievalInput."""
    return core_input


# ---------------------------------------------------------------------------------------------
# Edge fixtures (entry, variants, genome access, CLI): owned by the edges engineer
# ---------------------------------------------------------------------------------------------

_BENCH = Path(__file__).resolve().parents[1] / "bench"


@dataclass(frozen=True)
class CliResult:
    """What one in-process run of the console script produced."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def plain_lines(self) -> list[str]:
        """stderr lines that are not JSON log records."""
        return [line for line in self.stderr.splitlines() if not line.startswith("{")]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[[list[str]], CliResult]:
    """Run `pavi-seq-retrieval ARGS` in this process (its real `main`), capture the result."""
    from pavi_seq_retrieval.cli import main

    def run(args: list[str]) -> CliResult:
        capsys.readouterr()
        code = 0
        try:
            main(args)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def benchkit() -> ModuleType:
    """The package's benchmark kit (`bench/benchkit.py`: RangeServer, make_genome)."""
    spec = importlib.util.spec_from_file_location("pavi_benchkit", _BENCH / "benchkit.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pavi_benchkit"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def range_server(benchkit: ModuleType, testdata: Path) -> Iterator[Any]:
    """A Range-capable, byte-counting HTTP server on 127.0.0.1 serving testdata/genomes."""
    with benchkit.RangeServer(testdata / "genomes") as server:
        yield server


@pytest.fixture(scope="session")
def case_requests(testdata: Path) -> list[tuple[str, list[dict[str, Any]], Path]]:
    """(case name, entries with {data} resolved, case folder) for every shared case."""
    rows = []
    for folder in sorted((testdata / "cases").iterdir()):
        if (folder / "request.json").is_file():
            text = (folder / "request.json").read_text().replace("{data}", str(testdata))
            rows.append((folder.name, json.loads(text), folder))
    return rows


@pytest.fixture
def synthetic_entry(testdata: Path) -> dict[str, Any]:
    """A valid request entry on the synthetic genome (first entry of syn-substitutions)."""
    text = (testdata / "cases" / "syn-substitutions" / "request.json").read_text()
    entry: dict[str, Any] = json.loads(text.replace("{data}", str(testdata)))[0]
    return entry


@pytest.fixture(autouse=True)
def _fresh_genomes() -> Iterator[None]:
    """Each test opens its genomes itself (the per-process cache must not leak servers)."""
    yield
    from pavi_seq_retrieval.genome import close_genomes

    close_genomes()


@pytest.fixture(scope="session")
def big_genome(benchkit: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated 8 MB bgzipped genome with planted genes (indexes and annotation beside it)."""
    path: Path = benchkit.make_genome(tmp_path_factory.mktemp("big"), size_mb=8, seed=7)
    return path


@pytest.fixture(scope="session")
def genome_50mb(benchkit: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated ≥50 MB bgzipped genome (random sequence, planted genes, .fai and .gzi)."""
    path: Path = benchkit.make_genome(tmp_path_factory.mktemp("g50"), size_mb=50, seed=7)
    assert path.stat().st_size >= 50_000_000
    return path
