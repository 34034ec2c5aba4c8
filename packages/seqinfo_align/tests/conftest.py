"""Fixtures of the seqinfo_align tests: schema validators, job runner, case folders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pavi_contracts.schemas import NAMES, load_schema
from pavi_seqinfo_align.cli import main
from referencing import Registry, Resource


@dataclass(frozen=True)
class Validators:
    """JSON Schema validators of the seqinfo files and of the merged output."""

    seqinfo: Draft202012Validator
    aligned: Draft202012Validator


@pytest.fixture(scope="session")
def validators() -> Validators:
    """Validators of the packaged schemas (the aligned schema refers to the seqinfo schema)."""
    schemas = {name: load_schema(name) for name in NAMES}
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    return Validators(
        seqinfo=Draft202012Validator(schemas["seqinfo.schema.json"], registry=registry),
        aligned=Draft202012Validator(schemas["aligned-seq-info.schema.json"], registry=registry),
    )


@pytest.fixture
def run_merge(run_console: Callable[..., Any]) -> Callable[[str, str], Any]:
    """Run ``pavi-seqinfo-align --work-prefix W --results-prefix R`` in this process."""

    def run(work: str, results: str) -> Any:
        return run_console(main, ["--work-prefix", work, "--results-prefix", results])

    return run


def variant(**changes: Any) -> dict[str, Any]:
    """A valid sequence-level variant object (12 keys), with ``changes`` applied."""
    base: dict[str, Any] = {
        "variant_id": "v1",
        "genomic_seq_id": "chr1",
        "genomic_start_pos": 25,
        "genomic_end_pos": 25,
        "seq_length": 1,
        "genomic_ref_seq": "C",
        "genomic_alt_seq": "A",
        "seq_substitution_type": "substitution",
        "seq_start_pos": 2,
        "seq_end_pos": 2,
        "embedded_ref_seq_len": 1,
        "embedded_alt_seq_len": 1,
    }
    base.update(changes)
    return base


@pytest.fixture
def make_variant() -> Callable[..., dict[str, Any]]:
    """Factory of valid variant objects (keyword arguments override members)."""
    return variant
