"""Merging seqinfo mappings and adding alignment columns (docs/merge.md, "Merging files",
"Which records get alignment columns" and "Output key order")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pavi_seqinfo_align.models import SeqInfo, SeqVariant
from pavi_seqinfo_align.positions import AlignedRow, PositionError


@dataclass(frozen=True)
class Sourced:
    """A seqinfo value and the file it was read from (for error messages)."""

    info: SeqInfo
    source: str


class MappingError(ValueError):
    """A variant position that cannot be placed on its record's alignment row."""


def merge_seqinfo(files: Iterable[tuple[str, Mapping[str, SeqInfo]]]) -> dict[str, Sourced]:
    """Merge per-file mappings in order: a later value replaces, the key keeps its position."""
    merged: dict[str, Sourced] = {}
    for source, mapping in files:
        for name, info in mapping.items():
            merged[name] = Sourced(info, source)
    return merged


@dataclass(frozen=True)
class OutputValue:
    """An output value and whether it is an aligned record (which sets its key order)."""

    info: SeqInfo
    aligned_record: bool = False


def align_seqinfo(
    merged: Mapping[str, Sourced], rows: Iterable[tuple[str, str]]
) -> dict[str, OutputValue]:
    """Give every sequence-level variant of an aligned record its alignment columns.

    Rows whose id is not a merged key are ignored; keys without a row are kept unchanged.
    Each row (duplicates included) starts from the merged value; the last row of an id wins.
    """
    output = {name: OutputValue(sourced.info) for name, sourced in merged.items()}
    for record_id, gapped in rows:
        sourced = merged.get(record_id)
        if sourced is None or sourced.info.embedded_variants is None:
            continue
        info = sourced.info
        if not info.already_aligned:
            row = AlignedRow(gapped)
            variants = tuple(
                _align_variant(record_id, v, row) for v in sourced.info.embedded_variants
            )
            info = replace(info, embedded_variants=variants)
        output[record_id] = OutputValue(info, aligned_record=True)
    return output


def _align_variant(record_id: str, variant: SeqVariant, row: AlignedRow) -> SeqVariant:
    columns = []
    for key in ("seq_start_pos", "seq_end_pos"):
        position: int = getattr(variant, key)
        try:
            columns.append(row.column(position))
        except PositionError as err:
            raise MappingError(
                f"record {record_id!r}, variant {variant.variant_id!r}: {key} {err}"
            ) from None
    return variant.aligned(columns[0], columns[1])


def to_json(output: Mapping[str, OutputValue]) -> dict[str, Any]:
    """The output document with the key orders of docs/merge.md, "Output key order"."""
    return {name: _value_json(value) for name, value in output.items()}


def _value_json(value: OutputValue) -> dict[str, Any]:
    info = value.info
    members: dict[str, Any] = {}
    if info.sequence is not None:
        members["sequence"] = info.sequence
    variants = (
        None if info.embedded_variants is None else [v.to_json() for v in info.embedded_variants]
    )
    if variants is not None and not value.aligned_record:
        members["embedded_variants"] = variants
    if info.error is not None:
        members["error"] = info.error
    if variants is not None and value.aligned_record:
        members["embedded_variants"] = variants
    return members
