"""Transcript (nucleotide) alignments through `pavi run --seq-type transcript`, every case.

The expectations are computed here from the genome itself (pysam) and the variant API
responses of each case, not from the pipeline's own outputs: the spliced reference transcript
of every entry, and, for chosen variants, the alternative transcript and where the variant's
alternative bases are. The moto-executed state machine takes the same request forms
(test_asl.py, ``test_moto_submits_the_runner_commands``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pysam
import pytest

REPO = Path(__file__).resolve().parents[3]
CASES = sorted(p.name for p in (REPO / "testdata" / "cases").iterdir() if p.is_dir())
PAVI = str(Path(sys.executable).parent / "pavi")
COMPLEMENT = str.maketrans("ACGTacgtNn", "TGCAtgcaNn")


def reverse_complement(bases: str) -> str:
    return bases.translate(COMPLEMENT)[::-1]


@dataclass(frozen=True)
class TranscriptRun:
    """One case run in transcript mode: its request, exit, stderr and run folder."""

    case: str
    entries: list[dict[str, Any]]
    variants: dict[str, Any]
    returncode: int
    stderr: str
    out: Path

    def fasta(self, entry_id: str) -> dict[str, str]:
        records: dict[str, str] = {}
        name = ""
        for line in (self.out / "work" / f"{entry_id}-transcript.fa").read_text().splitlines():
            if line.startswith(">"):
                name = line[1:]
                records[name] = ""
            else:
                records[name] += line
        return records

    def alignment_rows(self) -> dict[str, str]:
        """The Clustal rows, gapped (read here, independently of the merge job's parser)."""
        rows: dict[str, str] = {}
        text = (self.out / "results" / "alignment-output.aln").read_text()
        for line in text.splitlines()[1:]:
            if not line.strip() or line.startswith(" "):
                continue
            name, residues = line.split()[:2]
            rows[name] = rows.get(name, "") + residues
        return rows

    def aligned_seq_info(self) -> dict[str, Any]:
        info: dict[str, Any] = json.loads(
            (self.out / "results" / "aligned_seq_info.json").read_text()
        )
        return info


@pytest.fixture(scope="module")
def transcript_run(
    tmp_path_factory: pytest.TempPathFactory, testdata: Path, require_clustalo: str
) -> Callable[[str], TranscriptRun]:
    """Run a case once per module with `pavi run --seq-type transcript`."""
    done: dict[str, TranscriptRun] = {}

    def run(case: str) -> TranscriptRun:
        if case not in done:
            folder = tmp_path_factory.mktemp(case)
            text = (testdata / "cases" / case / "request.json").read_text()
            entries = json.loads(text.replace("{data}", str(testdata)))
            request = folder / "request.json"
            request.write_text(json.dumps(entries))
            variants = testdata / "cases" / case / "variants.json"
            status = json.loads(
                (testdata / "cases" / case / "expected" / "status.json").read_text()
            )
            # The checks before the run refuse the failing case up front (test_preflight.py);
            # without them its retrieval fails, as in a protein run.
            unchecked = () if status["pipeline_status"] == "success" else ("--no-preflight",)
            completed = subprocess.run(
                [
                    *(PAVI, "run", str(request), "--out", str(folder / "out")),
                    *("--variants-file", str(variants), "--seq-type", "transcript"),
                    *("--concurrency", "2", "--entries-per-job", "3", *unchecked),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            done[case] = TranscriptRun(
                case,
                entries,
                json.loads(variants.read_text()),
                completed.returncode,
                completed.stderr,
                folder / "out",
            )
        return done[case]

    return run


def spliced(entry: dict[str, Any]) -> str:
    """The entry's exons read with pysam, joined 5'->3' (reverse-complemented on minus)."""
    genome = pysam.FastaFile(entry["fasta_file_url"].removeprefix("file://"))
    exons = sorted((r["start"], r["end"]) for r in map(region, entry["exon_seq_regions"]))
    parts = [genome.fetch(entry["seq_id"], start - 1, end) for start, end in exons]
    if entry["seq_strand"] in ("+", "+1", "pos"):
        return "".join(parts)
    return "".join(reverse_complement(part) for part in reversed(parts))


def region(spec: Any) -> dict[str, int]:
    """A region's bounds in ascending order (on minus they may come either way)."""
    a, b = map(int, spec.split("..")) if isinstance(spec, str) else (spec["start"], spec["end"])
    return {"start": min(a, b), "end": max(a, b)}


def names(entry: dict[str, Any]) -> tuple[str, str]:
    base = entry["base_seq_name"]
    if not entry["variant_ids"]:
        return base, base
    return f"{base}_ref", base + (entry.get("alt_seq_name_suffix") or "_alt")


@pytest.mark.parametrize("case", CASES)
def test_every_case_runs_in_transcript_mode(
    case: str,
    transcript_run: Callable[[str], TranscriptRun],
    case_status: Callable[[str], dict[str, Any]],
) -> None:
    run = transcript_run(case)
    succeeded = case_status(case)["pipeline_status"] == "success"
    kept = run.out if succeeded else run.out / "staging"  # a failed run stays in staging
    manifest = json.loads((kept / "run.json").read_text())
    retrievals = [s for s in manifest["steps"] if s["step"] == "retrieval"]
    assert retrievals
    for step in retrievals:
        command = step["command"]
        assert command[command.index("--output-type") + 1] == "transcript"
    stored = json.loads((kept / "work" / "request.json").read_text())
    assert stored["seq_type"] == "transcript"  # what the retrieval jobs read
    if not succeeded:
        # The entry whose seq_id is not in the genome fails its retrieval, named in one line.
        assert run.returncode == 1, run.stderr
        last = run.stderr.strip().splitlines()[-1]
        assert last.startswith("pavi: error: retrieval of entries "), last
        assert "002_pavF-3.1 (entry 002_pavF-3.1: exon_seq_regions: " in last
        assert "'chrUn_missing'" in last
        assert not (kept / "results" / "alignment-output.aln").exists()
        return
    assert run.returncode == 0, run.stderr
    alignment, merge = manifest["steps"][-2:]
    assert alignment["command"][-2:] == merge["command"][-2:] == ["--seq-type", "dna"]
    work = sorted(p.name for p in (run.out / "work").iterdir())
    assert not [name for name in work if name.endswith("-protein.fa")]
    rows = run.alignment_rows()
    info = run.aligned_seq_info()
    for entry in run.entries:
        entry_id = entry["unique_entry_id"]
        declared = [Path(p).name for step in retrievals for p in step["outputs"]]
        assert f"{entry_id}-transcript.fa" in declared
        records = run.fasta(entry_id)
        ref_name, alt_name = names(entry)
        # The reference record is the spliced exons, as pysam reads them.
        assert records[ref_name] == spliced(entry), entry_id
        for name, sequence in records.items():
            # Each alignment row is its FASTA record with gaps (case kept).
            assert rows[name].replace("-", "") == sequence, name
        # Every embedded variant's columns hold its positions of the alternative transcript.
        for variant in info.get(alt_name, {}).get("embedded_variants") or []:
            if alt_name not in rows:
                continue
            start, end = variant["alignment_start_pos"], variant["alignment_end_pos"]
            got = rows[alt_name][start - 1 : end].replace("-", "")
            expected = records[alt_name][variant["seq_start_pos"] - 1 : variant["seq_end_pos"]]
            assert got == expected, (alt_name, variant["variant_id"])
    assert "failed · nucleotide" in (run.out / "results" / "report.html").read_text()


#: Variants whose columns are checked against hand-computed expectations: (case, entry id).
#: Plus and minus strand; SNVs, a two-base substitution (delins) and insertions.
CHOSEN = [
    ("syn-substitutions", "000_pavB-1.1"),  # SNV, minus strand
    ("syn-substitutions", "002_pavB-3.1"),  # 2-base delins, plus strand
    ("syn-substitutions", "003_pavB-4.1"),  # SNV, plus strand
    ("syn-indels", "000_pavA-1.1"),  # 3-base insertion, plus strand
    ("syn-indels", "001_pavA-2.1"),  # 1-base insertion, minus strand
    ("real-sparse-wormbase", "000_apl-1_C42D8.8a.1_yn32"),  # SNV, minus strand (real genome)
    ("real-sparse-wormbase", "005_lin-5_T09A5.10.1_ev571"),  # 9-base insertion, plus strand
]


@dataclass(frozen=True)
class Expected:
    """A variant placed by hand: its first transcript position, alt bases, alt transcript."""

    position: int
    alt: str
    transcript: str


def expect(entry: dict[str, Any], response: dict[str, Any]) -> Expected:
    """The variant applied to the spliced transcript, computed from the genome with pysam."""
    genome = pysam.FastaFile(entry["fasta_file_url"].removeprefix("file://"))
    location = response["location"]
    vs, ve = location["start"], location["end"]
    ref = response.get("genomicReferenceSequence", "")
    alt = response["genomicVariantSequence"]
    assert location["chromosome"] == entry["seq_id"]
    if ref:
        assert genome.fetch(entry["seq_id"], vs - 1, ve).upper() == ref.upper()
        assert len(ref) == len(alt)  # substitutions only (no length change)
    plus = entry["seq_strand"] in ("+", "+1", "pos")
    exons = sorted((r["start"], r["end"]) for r in map(region, entry["exon_seq_regions"]))
    if not plus:
        exons.reverse()

    def position(g: int) -> int:
        """1-based transcript position of genomic position g (must lie in an exon)."""
        before = 0
        for start, end in exons:
            if start <= g <= end:
                return before + (g - start + 1 if plus else end - g + 1)
            before += end - start + 1
        raise AssertionError(f"{g} is in no exon")

    transcript = spliced(entry)
    bases = alt if plus else reverse_complement(alt)
    if ref:  # replaced bases: the 5'-most transcript position of the variant's span
        first = min(position(vs), position(ve))
        assert position(vs) + position(ve) == 2 * first + len(ref) - 1  # one exon, contiguous
        return Expected(
            first, bases, transcript[: first - 1] + bases + transcript[first - 1 + len(ref) :]
        )
    # Insertion between the flanks vs and ve = vs + 1: after the 5'-most flank.
    flank = position(vs) if plus else position(ve)
    assert abs(position(vs) - position(ve)) == 1
    return Expected(flank + 1, bases, transcript[:flank] + bases + transcript[flank:])


@pytest.mark.parametrize(("case", "entry_id"), CHOSEN)
def test_variant_columns_hold_the_alt_bases(
    case: str, entry_id: str, transcript_run: Callable[[str], TranscriptRun]
) -> None:
    run = transcript_run(case)
    assert run.returncode == 0, run.stderr
    entry = next(e for e in run.entries if e["unique_entry_id"] == entry_id)
    (variant_id,) = entry["variant_ids"]
    expected = expect(entry, run.variants[variant_id])
    _, alt_name = names(entry)
    # The alternative transcript is the reference with the variant applied (case aside: the
    # genome's soft-masked bases stay lower case, the API's alleles are upper case).
    assert run.fasta(entry_id)[alt_name].upper() == expected.transcript.upper()
    # Its alignment row: the columns of the variant's bases, counted here from the row.
    row = run.alignment_rows()[alt_name]
    residue_columns = [column for column, char in enumerate(row, start=1) if char != "-"]
    first = residue_columns[expected.position - 1]
    last = residue_columns[expected.position + len(expected.alt) - 2]
    (variant,) = run.aligned_seq_info()[alt_name]["embedded_variants"]
    assert variant["variant_id"] == variant_id
    assert (variant["alignment_start_pos"], variant["alignment_end_pos"]) == (first, last)
    assert row[first - 1 : last].replace("-", "").upper() == expected.alt.upper()
