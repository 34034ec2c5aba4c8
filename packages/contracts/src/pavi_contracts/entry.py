"""One request entry (docs/request.md, "Entry fields"): the pydantic model and its one-line
errors."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SerializerFunctionWrapHandler,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
)
from pydantic_core import CoreSchema, PydanticCustomError

from pavi_contracts.exits import EXIT_FAILURE, EXIT_USAGE

__all__ = [
    "DEFAULT_ALT_SUFFIX",
    "MAX_COORDINATE",
    "MAX_ID_LENGTH",
    "MAX_RECORD_NAME_BYTES",
    "REF_SUFFIX",
    "Entry",
    "RegionSpec",
    "RequestEntryError",
    "format_validation_errors",
    "parse_entry",
]

PLUS_SPELLINGS = ("+", "+1", "pos")
MINUS_SPELLINGS = ("-", "-1", "neg")
DEFAULT_ALT_SUFFIX = "_alt"
REF_SUFFIX = "_ref"
MAX_ID_LENGTH = 200
#: Largest coordinate accepted (coordinates are 1-based).
MAX_COORDINATE: Final = 2**31
#: Clustal Omega 1.2.4 cuts record names to their first 127 bytes (UTF-8) in its output; a longer
#: name no longer matches its seqinfo key, and the merge would drop its alignment positions.
MAX_RECORD_NAME_BYTES: Final = 127
#: Variant ids that are dot segments of a URL path (they would climb out of the API's path).
_DOT_SEGMENTS = (".", "..")

_REGION_STRING = re.compile(r"([0-9]+)\.\.([0-9]+)")
#: The string form in the JSON Schema: no coordinate 0 (the upper bound is the model's only).
_REGION_PATTERN = r"^0*[1-9][0-9]*\.\.0*[1-9][0-9]*$"
_SAFE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_SPACE = re.compile(r"\s")
# Problems the original reports as crashes (exit 1), not usage errors (exit 2).
_FATAL = "pavi_fatal"


def _show(value: Any) -> str:
    """A short JSON-ish rendering of a rejected value for a one-line message."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _no_space(value: str, what: str = "must not contain whitespace") -> str:
    if not value:
        raise PydanticCustomError("empty", "must not be empty")
    if _SPACE.search(value) or not value.isprintable():
        raise PydanticCustomError(
            "whitespace", "{what}, got {value}", {"what": what, "value": _show(value)}
        )
    return value


Coordinate = Annotated[StrictInt, Field(ge=1, le=MAX_COORDINATE)]


class RegionSpec(BaseModel):
    """A region as requested: ``{"start", "end", "frame"?}`` or the string ``"start..end"``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    start: Coordinate
    end: Coordinate
    frame: int | None = None

    @classmethod
    def _coerce(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _REGION_STRING.fullmatch(value)
            if match is None:
                raise PydanticCustomError(
                    "region_string",
                    'must be "start..end" with two whole numbers (e.g. "11..30"), got {value}',
                    {"value": _show(value)},
                )
            return {"start": int(match[1]), "end": int(match[2])}
        if not isinstance(value, dict):
            raise PydanticCustomError(
                "region_type",
                'must be a "start..end" string or an object with start and end, got {value}',
                {"value": _show(value)},
            )
        return value

    @field_validator("frame", mode="before")
    @classmethod
    def _frame(cls, value: Any) -> int:
        # Runs only when the key is present: an explicit null is not an absent frame.
        if isinstance(value, bool) or not isinstance(value, int) or value not in (0, 1, 2):
            raise PydanticCustomError(
                "frame", "must be 0, 1 or 2, got {value}", {"value": _show(value)}
            )
        return value

    @model_serializer(mode="wrap")
    def _omit_absent_frame(self, handler: SerializerFunctionWrapHandler) -> Any:
        # An absent frame is dumped as an absent key: an explicit null would be rejected.
        data = handler(self)
        if isinstance(data, dict) and data.get("frame") is None:
            data.pop("frame", None)
        return data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        """The object form with frame 0, 1 or 2, or the ``"start..end"`` string form."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["properties"]["frame"] = {"enum": [0, 1, 2], "title": "Frame"}
        return {
            "anyOf": [schema, {"type": "string", "pattern": _REGION_PATTERN}],
            "description": schema.get("description", ""),
        }


def _regions(value: Any) -> Any:
    """Turn the string form into objects before item validation (keeps field locations)."""
    if not isinstance(value, list):
        return value
    coerced: list[Any] = []
    for index, item in enumerate(value):
        try:
            coerced.append(RegionSpec._coerce(item))
        except PydanticCustomError as err:
            raise PydanticCustomError(
                err.type, err.message_template, {**(err.context or {}), "index": index}
            ) from None
    return coerced


class Entry(BaseModel):
    """One request entry; unknown fields are ignored, ``variant_ids`` are de-duplicated."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    unique_entry_id: StrictStr
    base_seq_name: StrictStr
    seq_id: StrictStr
    seq_strand: StrictStr
    exon_seq_regions: list[RegionSpec]
    cds_seq_regions: list[RegionSpec]
    fasta_file_url: StrictStr
    variant_ids: list[StrictStr]
    alt_seq_name_suffix: StrictStr | None = Field(default=None, validate_default=True)

    @field_validator("unique_entry_id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        if not value:
            raise PydanticCustomError("empty", "must not be empty")
        if len(value) > MAX_ID_LENGTH:
            raise PydanticCustomError(
                "too_long", "must be at most {max} characters long", {"max": MAX_ID_LENGTH}
            )
        if value.startswith("."):
            raise PydanticCustomError(
                "unsafe_id", "must not start with '.', got {value}", {"value": _show(value)}
            )
        if _SAFE_ID.fullmatch(value) is None:
            raise PydanticCustomError(
                "unsafe_id",
                "may only contain letters, digits, '.', '_' and '-' (it names files), got {value}",
                {"value": _show(value)},
            )
        return value

    @field_validator("base_seq_name", "seq_id")
    @classmethod
    def _one_word(cls, value: str) -> str:
        return _no_space(value)

    @field_validator("fasta_file_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value:
            raise PydanticCustomError("empty", "must not be empty")
        return value

    @field_validator("seq_strand")
    @classmethod
    def _strand(cls, value: str) -> str:
        if value not in PLUS_SPELLINGS + MINUS_SPELLINGS:
            raise PydanticCustomError(
                "strand",
                "must be one of +, +1, pos, -, -1, neg, got {value}",
                {"value": _show(value)},
            )
        return value

    @field_validator("exon_seq_regions", "cds_seq_regions", mode="before")
    @classmethod
    def _region_forms(cls, value: Any) -> Any:
        return _regions(value)

    @field_validator("exon_seq_regions")
    @classmethod
    def _exons(cls, value: list[RegionSpec], info: ValidationInfo) -> list[RegionSpec]:
        if not value:
            raise PydanticCustomError(_FATAL, "must hold at least one region")
        _check_order(value, info)
        return value

    @field_validator("cds_seq_regions")
    @classmethod
    def _cds(cls, value: list[RegionSpec], info: ValidationInfo) -> list[RegionSpec]:
        for index, region in enumerate(value):
            if region.frame is None:
                raise PydanticCustomError(
                    _FATAL,
                    "is required on every CDS region (0, 1 or 2)",
                    {"index": index, "key": "frame"},
                )
        _check_order(value, info)
        return value

    @field_validator("variant_ids")
    @classmethod
    def _distinct_ids(cls, value: list[str]) -> list[str]:
        for index, variant_id in enumerate(value):
            try:
                _no_space(variant_id)
                if variant_id in _DOT_SEGMENTS:
                    raise PydanticCustomError(
                        "unsafe_variant_id",
                        "must not be {value} (it would leave the variant API's URL path)",
                        {"value": _show(variant_id)},
                    )
            except PydanticCustomError as err:
                raise PydanticCustomError(
                    err.type, err.message_template, {**(err.context or {}), "index": index}
                ) from None
        return list(dict.fromkeys(value))

    @field_validator("alt_seq_name_suffix")
    @classmethod
    def _suffix(cls, value: str | None) -> str:
        if not value:
            return DEFAULT_ALT_SUFFIX
        return _no_space(value)

    @property
    def ref_name(self) -> str:
        """The reference record's name when variants are requested (``{base}_ref``)."""
        return self.base_seq_name + REF_SUFFIX

    @property
    def record_names(self) -> tuple[str, ...]:
        """The FASTA record names this entry can produce (docs/files.md, "Record names")."""
        if not self.variant_ids:
            return (self.base_seq_name,)
        return (self.ref_name, self.base_seq_name + self.suffix)

    @property
    def strand(self) -> Literal["+", "-"]:
        """The strand normalised to ``+`` or ``-``."""
        return "+" if self.seq_strand in PLUS_SPELLINGS else "-"

    @property
    def suffix(self) -> str:
        """The alternative record-name suffix (``_alt`` by default)."""
        return self.alt_seq_name_suffix or DEFAULT_ALT_SUFFIX


def _check_order(regions: Sequence[RegionSpec], info: ValidationInfo) -> None:
    """On the + strand every region needs start <= end (minus-strand ones are swapped)."""
    if info.data.get("seq_strand") not in PLUS_SPELLINGS:
        return
    for index, region in enumerate(regions):
        if region.end < region.start:
            raise PydanticCustomError(
                _FATAL,
                "end {end} is less than start {start} on the + strand",
                {"index": index, "start": region.start, "end": region.end},
            )


_MESSAGES = {
    "missing": "is required",
    "int_type": "must be an integer, got {input}",
    "string_type": "must be a string, got {input}",
    "list_type": "must be a JSON array, got {input}",
    "model_type": "must be a JSON object, got {input}",
    "model_attributes_type": "must be a JSON object, got {input}",
    "dict_type": "must be a JSON object, got {input}",
    "greater_than_equal": "must be at least {ge} (coordinates are 1-based), got {input}",
    "less_than_equal": "must be at most {le}, got {input}",
}


def _location(loc: Sequence[int | str], context: dict[str, Any]) -> str:
    parts = list(loc)
    if "index" in context:
        parts.append(int(context["index"]))
    if "key" in context:
        parts.append(str(context["key"]))
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "entry"


def format_validation_errors(err: ValidationError) -> list[str]:
    """Each problem as ``field: problem`` (``exon_seq_regions[1].frame: must be 0, 1 or 2``)."""
    problems = []
    for item in err.errors(include_url=False):
        context = dict(item.get("ctx") or {})
        template = _MESSAGES.get(item["type"])
        if template is None:
            message = item["msg"]
            message = message[:1].lower() + message[1:]
        else:
            message = template.format(input=_show(item.get("input")), **context)
        problems.append(f"{_location(item['loc'], context)}: {message}")
    return list(dict.fromkeys(problems))


def exit_code_for(err: ValidationError) -> int:
    """2 (usage) unless every problem is one the original reports as a crash (exit 1)."""
    if all(item["type"] == _FATAL for item in err.errors(include_url=False)):
        return EXIT_FAILURE
    return EXIT_USAGE


class RequestEntryError(ValueError):
    """An entry the model rejects: ``problems`` as ``field: problem`` strings, joined by ``; ``."""

    def __init__(self, problems: Sequence[str], exit_code: int = EXIT_USAGE) -> None:
        self.problems = list(problems)
        self.exit_code = exit_code
        super().__init__("; ".join(self.problems))

    @classmethod
    def from_validation_error(cls, err: ValidationError) -> RequestEntryError:
        """Wrap a pydantic ``ValidationError`` of ``Entry``."""
        return cls(format_validation_errors(err), exit_code_for(err))


def parse_entry(data: Any) -> Entry:
    """Validate one decoded request entry; raise ``RequestEntryError`` on any problem."""
    try:
        return Entry.model_validate(data)
    except ValidationError as err:
        raise RequestEntryError.from_validation_error(err) from None
