"""Seqinfo values and embedded variants, validated with the original merge step's rules.

Strict types (a JSON ``true`` or ``1.0`` is not an integer), required keys, unknown keys
dropped. ``seq_length`` and ``seq_substitution_type`` are never read: they are recomputed from
the positions and alleles, and the variant is re-validated.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self

from pavi_contracts.jsontypes import json_type

SEQ_VARIANT_KEYS = (
    "variant_id",
    "genomic_seq_id",
    "genomic_start_pos",
    "genomic_end_pos",
    "seq_length",
    "genomic_ref_seq",
    "genomic_alt_seq",
    "seq_substitution_type",
    "seq_start_pos",
    "seq_end_pos",
    "embedded_ref_seq_len",
    "embedded_alt_seq_len",
)
ALIGNED_VARIANT_KEYS = (*SEQ_VARIANT_KEYS, "alignment_start_pos", "alignment_end_pos")
#: Members that may be absent or null: the empty allele.
ALLELES = ("genomic_ref_seq", "genomic_alt_seq")


class SeqInfoError(ValueError):
    """A seqinfo value that does not follow the format; the message names the member."""


class VariantError(ValueError):
    """A variant object that does not validate: ``.member: problem`` (or just ``: problem``)."""


@dataclass(frozen=True, slots=True)
class SeqVariant:
    """A variant embedded in a sequence (the 12 keys of docs/files.md,
    "Embedded variant objects")."""

    variant_id: str
    genomic_seq_id: str
    genomic_start_pos: int
    genomic_end_pos: int
    genomic_ref_seq: str
    genomic_alt_seq: str
    seq_start_pos: int
    seq_end_pos: int
    embedded_ref_seq_len: int
    embedded_alt_seq_len: int

    _MEMBERS: ClassVar[tuple[tuple[str, type], ...]]

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Self:
        """Validate a parsed JSON object: strict types, required keys, unknown keys dropped.

        Messages are pydantic's (the previous validator's): the first problem in member order,
        e.g. ``.seq_start_pos: Input should be a valid integer (and 1 more problems)``.
        """
        values: dict[str, Any] = {}
        problems: list[str] = []
        for name, kind in cls._MEMBERS:
            if name not in data:
                if name in ALLELES:
                    values[name] = ""
                else:
                    problems.append(f".{name}: Field required")
                continue
            value = data[name]
            if value is None and name in ALLELES:
                value = ""
            if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
                problems.append(f".{name}: Input should be a valid integer")
            elif kind is str and not isinstance(value, str):
                problems.append(f".{name}: Input should be a valid string")
            values[name] = value
        if problems:
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            raise VariantError(problems[0] + more)
        variant = cls(**values)
        variant._check()
        return variant

    def _check(self) -> None:
        if self.genomic_start_pos > self.genomic_end_pos:
            raise VariantError(
                f": genomic_start_pos ({self.genomic_start_pos}) > "
                f"genomic_end_pos ({self.genomic_end_pos})"
            )
        if not self.genomic_ref_seq and not self.genomic_alt_seq:
            raise VariantError(": genomic_ref_seq and genomic_alt_seq are both empty")
        if not self.genomic_ref_seq and self.genomic_end_pos != self.genomic_start_pos + 1:
            raise VariantError(
                ": insertion (empty genomic_ref_seq) must have "
                "genomic_end_pos == genomic_start_pos + 1 (the two flanking bases)"
            )

    @property
    def seq_length(self) -> int:
        """Genomic span of the variant."""
        return self.genomic_end_pos - self.genomic_start_pos + 1

    @property
    def seq_substitution_type(self) -> str:
        """``substitution``, ``deletion``, ``insertion`` or ``indel``, from the alleles."""
        ref, alt = self.genomic_ref_seq, self.genomic_alt_seq
        if ref and alt and len(ref) == len(alt):
            return "substitution"
        if not alt:
            return "deletion"
        if not ref:
            return "insertion"
        return "indel"

    def to_json(self) -> dict[str, Any]:
        """The variant's JSON object, keys in the order of docs/files.md,
        "Embedded variant objects"."""
        return {key: getattr(self, key) for key in SEQ_VARIANT_KEYS}

    def aligned(self, alignment_start_pos: int, alignment_end_pos: int) -> AlignedVariant:
        """This variant with its alignment columns."""
        values = {f.name: getattr(self, f.name) for f in fields(SeqVariant)}
        return AlignedVariant(
            **values, alignment_start_pos=alignment_start_pos, alignment_end_pos=alignment_end_pos
        )


@dataclass(frozen=True, slots=True)
class AlignedVariant(SeqVariant):
    """A variant that also carries its alignment columns."""

    alignment_start_pos: int
    alignment_end_pos: int

    def to_json(self) -> dict[str, Any]:
        """The variant's JSON object, keys in the order of docs/files.md,
        "Embedded variant objects"."""
        return {key: getattr(self, key) for key in ALIGNED_VARIANT_KEYS}


def _members(cls: type[SeqVariant]) -> tuple[tuple[str, type], ...]:
    """``(name, int or str)`` of each member, in declaration order (the order of the checks)."""
    return tuple((f.name, int if f.type == "int" else str) for f in fields(cls))


SeqVariant._MEMBERS = _members(SeqVariant)
AlignedVariant._MEMBERS = _members(AlignedVariant)


@dataclass(frozen=True)
class SeqInfo:
    """One record's info: every member optional; ``None`` means the key is absent."""

    sequence: str | None = None
    error: str | None = None
    embedded_variants: tuple[SeqVariant, ...] | None = None

    @property
    def already_aligned(self) -> bool:
        """Whether the variants were read as already-aligned variants."""
        return any(isinstance(v, AlignedVariant) for v in self.embedded_variants or ())


def parse_seqinfo(value: Any) -> SeqInfo:
    """Validate and rebuild one seqinfo value (docs/merge.md, "Validating seqinfo values")."""
    if not isinstance(value, dict):
        raise SeqInfoError(f"value must be an object, not {json_type(value)}")
    sequence = _optional_string(value, "sequence")
    error = _optional_string(value, "error")
    variants: tuple[SeqVariant, ...] | None = None
    if "embedded_variants" in value:
        raw = value["embedded_variants"]
        if not isinstance(raw, list):
            raise SeqInfoError(f"embedded_variants: must be an array, not {json_type(raw)}")
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                raise SeqInfoError(
                    f"embedded_variants[{index}]: must be an object, not {json_type(item)}"
                )
        model = AlignedVariant if any("alignment_start_pos" in v for v in raw) else SeqVariant
        variants = tuple(_parse_variant(model, index, item) for index, item in enumerate(raw))
    return SeqInfo(sequence=sequence, error=error, embedded_variants=variants)


def _parse_variant(model: type[SeqVariant], index: int, item: dict[str, Any]) -> SeqVariant:
    try:
        return model.parse(item)
    except VariantError as err:
        raise SeqInfoError(f"embedded_variants[{index}]{err}") from None


def _optional_string(value: dict[str, Any], key: str) -> str | None:
    if key not in value:
        return None
    member = value[key]
    if not isinstance(member, str):
        raise SeqInfoError(f"{key}: must be a string, not {json_type(member)}")
    return member
