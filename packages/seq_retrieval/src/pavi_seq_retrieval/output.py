"""Exact FASTA and seqinfo texts of one entry (docs/files.md, "Protein FASTA" and
"Seqinfo file")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pavi_seq_retrieval.embedding import EmbeddedVariant

Info = dict[str, Any] | None


def record_names(base: str, suffix: str, with_variants: bool) -> tuple[str, str]:
    """Reference and alternative record names (equal to `base` twice without variants)."""
    if not with_variants:
        return base, base
    return base + "_ref", base + suffix


def fasta_text(records: Sequence[tuple[str, str]]) -> str | None:
    """One `>name` line and one unwrapped sequence line per record; None without records."""
    if not records:
        return None
    return "".join(f">{name}\n{sequence}\n" for name, sequence in records)


def variant_info(ev: EmbeddedVariant) -> dict[str, Any]:
    """One `embedded_variants` element, keys in the order of docs/files.md,
    "Embedded variant objects"."""
    v = ev.variant
    return {
        "variant_id": v.variant_id,
        "genomic_seq_id": v.seq_id,
        "genomic_start_pos": v.start,
        "genomic_end_pos": v.end,
        "seq_length": v.seq_length,
        "genomic_ref_seq": v.ref,
        "genomic_alt_seq": v.alt,
        "seq_substitution_type": v.substitution_type,
        "seq_start_pos": ev.start,
        "seq_end_pos": ev.end,
        "embedded_ref_seq_len": ev.ref_len,
        "embedded_alt_seq_len": ev.alt_len,
    }


def embedded_info(variants: Sequence[EmbeddedVariant]) -> dict[str, Any]:
    """Info of a produced alternative."""
    return {"embedded_variants": [variant_info(ev) for ev in variants]}


def error_info(message: str) -> dict[str, Any]:
    """Info of a sequence that could not be produced."""
    return {"error": message}


def seqinfo_text(entries: Sequence[tuple[str, Info]]) -> str:
    """The seqinfo JSON: later entries overwrite earlier ones of the same name (`_ref` suffix)."""
    info: dict[str, Info] = {}
    for name, value in entries:
        info[name] = value
    return json.dumps(info)
