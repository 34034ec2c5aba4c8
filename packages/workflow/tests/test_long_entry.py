"""A transcript of 120 exons with 60 variants (its entry's JSON well over 10 KB): through
`pavi run` and through the moto-executed state machine, with every job command short."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pysam
import pytest
from Bio.Seq import Seq

PAVI = str(Path(sys.executable).parent / "pavi")
EXONS = 120
EXON_LENGTH = 30  # whole codons: every CDS region has frame 0
INTRON_LENGTH = 45
VARIANTS = 60
STOPS = {"TAA", "TAG", "TGA"}
#: Batch's ContainerOverrides are capped at 8,192 characters; the commands stay far below.
MAX_COMMAND_BYTES = 2048


@dataclass(frozen=True)
class LongEntry:
    """The entry, its variants file, and the proteins an independent translation expects."""

    entry: dict[str, Any]
    variants: Path
    reference_protein: str
    variant_protein: str


@pytest.fixture(scope="module")
def long_entry(tmp_path_factory: pytest.TempPathFactory) -> LongEntry:
    """A bgzipped genome holding one 120-exon gene, and 60 SNVs in its exons."""
    rng = random.Random(120)
    folder = tmp_path_factory.mktemp("long")
    codons = [
        c for c in (a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT") if c not in STOPS
    ]
    cds = "ATG" + "".join(rng.choice(codons) for _ in range(EXONS * EXON_LENGTH // 3 - 2)) + "TAA"
    genome, exons = ["".join(rng.choice("ACGT") for _ in range(500))], []
    for number in range(EXONS):
        start = sum(map(len, genome)) + 1
        genome.append(cds[number * EXON_LENGTH : (number + 1) * EXON_LENGTH])
        exons.append({"start": start, "end": start + EXON_LENGTH - 1})
        genome.append("".join(rng.choice("ACGT") for _ in range(INTRON_LENGTH)))
    sequence = "".join(genome) + "".join(rng.choice("ACGT") for _ in range(500))
    plain = folder / "long.fa"
    plain.write_text(
        ">chrL\n" + "\n".join(sequence[i : i + 60] for i in range(0, len(sequence), 60)) + "\n"
    )
    fasta = folder / "long.fa.gz"
    pysam.tabix_compress(str(plain), str(fasta))
    pysam.faidx(str(fasta))

    # 60 SNVs at distinct CDS positions, the first codon and the stop left alone.
    positions = sorted(rng.sample(range(3, len(cds) - 3), VARIANTS))
    responses: dict[str, Any] = {}
    ids: list[str] = []
    mutated = list(cds)
    for offset in positions:
        exon = exons[offset // EXON_LENGTH]
        where = exon["start"] + offset % EXON_LENGTH
        ref = sequence[where - 1]
        assert cds[offset] == ref
        codon = offset - offset % 3
        alt = rng.choice(
            [
                b
                for b in "ACGT"
                if b != ref
                and "".join([*mutated[codon:offset], b, *mutated[offset + 1 : codon + 3]])
                not in STOPS
            ]
        )  # no premature stop: every variant lands in the protein
        mutated[offset] = alt
        variant_id = f"SYN:long-entry-variant-{len(ids):04d}:chrL:g.{where}{ref}>{alt}"
        ids.append(variant_id)
        responses[variant_id] = {
            "location": {"chromosome": "chrL", "start": where, "end": where},
            "genomicReferenceSequence": ref,
            "genomicVariantSequence": alt,
        }
    variants = folder / "variants.json"
    variants.write_text(json.dumps(responses))
    entry = {
        "unique_entry_id": "000_long-1.1",
        "base_seq_name": "long-1.1",
        "fasta_file_url": f"file://{fasta}",
        "seq_id": "chrL",
        "seq_strand": "+",
        "exon_seq_regions": exons,
        "cds_seq_regions": [{**exon, "frame": 0} for exon in exons],
        "variant_ids": ids,
    }
    assert len(json.dumps(entry, separators=(",", ":"))) > 10_000
    return LongEntry(
        entry,
        variants,
        translate(cds),
        translate("".join(mutated)),
    )


def translate(cds: str) -> str:
    """Biopython's standard-code translation up to the first stop (an independent reference)."""
    protein: str = str(Seq(cds).translate(to_stop=True))  # type: ignore[no-untyped-call]
    return protein


def fasta_records(path: Path) -> dict[str, str]:
    records: dict[str, str] = {}
    name = ""
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            name = line[1:]
            records[name] = ""
        else:
            records[name] += line
    return records


def test_long_entry_runs_through_pavi_run(long_entry: LongEntry, tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps([long_entry.entry]))
    out = tmp_path / "out"
    done = subprocess.run(
        [PAVI, "run", str(request), "--out", str(out), "--variants-file", str(long_entry.variants)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    records = fasta_records(out / "work" / "000_long-1.1-protein.fa")
    assert records["long-1.1_ref"].rstrip("*") == long_entry.reference_protein
    assert records["long-1.1_alt"].rstrip("*") == long_entry.variant_protein
    seqinfo = json.loads((out / "work" / "000_long-1.1-seqinfo.json").read_text())
    assert len(seqinfo["long-1.1_alt"]["embedded_variants"]) == VARIANTS
    manifest = json.loads((out / "run.json").read_text())
    for step in manifest["steps"]:
        assert len(json.dumps(step["command"][1:])) < MAX_COMMAND_BYTES, step["step"]


def test_every_batch_command_is_short_whatever_the_request(
    long_entry: LongEntry, pipeline: Any
) -> None:
    copies = [{**long_entry.entry, "unique_entry_id": f"{n:03d}_long-1.1"} for n in range(12)]
    size = len(json.dumps(copies, separators=(",", ":")))
    assert size > 120_000
    described = pipeline.execute(copies, "exec-long-entries")
    assert described["status"] == "SUCCEEDED", described.get("cause")
    commands = pipeline.submitted_commands(described["executionArn"])
    assert len(commands) == -(-len(copies) // pipeline.entries_per_job) + 2
    for command in commands:
        # What Batch receives: the arguments (the script is the image's entrypoint).
        assert len(json.dumps(command[1:])) < MAX_COMMAND_BYTES, command[0]
