"""Fixtures of the seqinfo_align tests: schema validators, job runner, report parser, generated
alignments."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
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


class _ReportParser(HTMLParser):
    """Reads a report page: rows, marks and conservation of the blocks; the variants table."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: dict[tuple[str, str, int], set[int]] = {}
        self.rows: dict[str, str] = {}
        self.conservation = ""
        self.variant_ids: dict[int, str] = {}
        self.block_col = 0
        self.col = 0
        self.name = ""
        self.where = ""  # "name", "seq", "cons", "id" or ""
        self.mark: tuple[str, list[int]] | None = None
        self.variant = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        classes = (attr.get("class") or "").split()
        if tag == "pre" and "aln" in classes:
            self.block_col = int(attr["data-col"] or 0)
        elif self.block_col and tag == "b":
            self.where, self.name = "name", ""
        elif self.block_col and tag == "span" and "s" in classes:
            self.where, self.col = "seq", self.block_col
        elif self.block_col and tag == "span" and "q" in classes:
            self.where = "cons"
        elif self.where == "seq" and tag == "mark":
            self.mark = (classes[0], [int(n) for n in (attr.get("data-v") or "").split()])
        elif tag == "tr" and attr.get("data-v"):
            self.variant = int(attr["data-v"] or 0)
        elif tag == "td" and self.variant and "id" in classes:
            self.where = "id"
            self.variant_ids[self.variant] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.block_col = 0
        elif tag == "mark":
            self.mark = None
        elif tag in {"b", "span", "td"} and self.where != "" and (tag != "span" or not self.mark):
            self.where = ""

    def handle_data(self, data: str) -> None:
        if self.where == "name":
            self.name += data
        elif self.where == "cons":
            self.conservation += data
        elif self.where == "id":
            self.variant_ids[self.variant] += data
        elif self.where == "seq":
            self.rows[self.name] = self.rows.get(self.name, "") + data
            columns = range(self.col, self.col + len(data))
            self.col += len(data)
            if self.mark is not None:
                kind, numbers = self.mark
                for number in numbers:
                    self.marks.setdefault((self.name, kind, number), set()).update(columns)


@dataclass(frozen=True)
class ReportView:
    """What a report page shows: rows and marks of its blocks, its variants table."""

    #: (row name, mark class "v" or "w", variant number) -> 1-based alignment columns.
    marks: dict[tuple[str, str, int], set[int]]
    rows: dict[str, str]
    conservation: str
    variant_ids: dict[int, str]

    def variant_columns(self, variant_id: str) -> dict[tuple[str, str], set[int]]:
        """(row name, mark class) -> columns marked for the variant with this id."""
        numbers = {n for n, text in self.variant_ids.items() if text == variant_id}
        return {(name, kind): cols for (name, kind, n), cols in self.marks.items() if n in numbers}


def read_dom(html: str) -> ReportView:
    """Parse a browser's DOM dump of a report: the blocks as the page's script drew them."""
    parser = _ReportParser()
    parser.feed(html)
    parser.close()
    return ReportView(parser.marks, parser.rows, parser.conservation, parser.variant_ids)


def report_data(html: str) -> dict[str, Any]:
    """The JSON the page's script draws the blocks from (``<``, ``>``, ``&`` never raw in it)."""
    found = re.findall(r'<script type="application/json" id="aln-data">(.*?)</script>', html)
    assert len(found) == 1
    assert not set("<>&") & set(found[0])
    data: dict[str, Any] = json.loads(found[0])
    return data


def read_report(html: str) -> ReportView:
    """Parse a report as written: the variants table, and the rows and marks from its JSON
    (read here independently of the page's script)."""
    table = read_dom(html)
    assert table.rows == {}, "the written page has empty blocks"
    data = report_data(html)
    names = [data["long"].get(str(i), name) for i, name in enumerate(data["names"])]
    marks: dict[tuple[str, str, int], set[int]] = {}
    for index, runs in data["marks"].items():
        for start, end, numbers in runs:
            kind = "v" if any(n > 0 for n in numbers) else "w"
            for number in numbers:
                key = (names[int(index)], kind, abs(number))
                marks.setdefault(key, set()).update(range(start + 1, end + 1))
    rows = dict(zip(names, data["rows"], strict=True))
    return ReportView(marks, rows, data["conservation"], table.variant_ids)


@pytest.fixture
def parse_report() -> Callable[[str], ReportView]:
    """:func:`read_report` as a fixture (tests cannot import this module)."""
    return read_report


@pytest.fixture
def page_data() -> Callable[[str], dict[str, Any]]:
    """:func:`report_data` as a fixture."""
    return report_data


@pytest.fixture
def parse_dom() -> Callable[[str], ReportView]:
    """:func:`read_dom` as a fixture."""
    return read_dom


def synthetic(count: int, columns: int = 480, seed: int = 7) -> tuple[str, dict[str, Any]]:
    """A Clustal alignment of ``count`` protein rows (ref/alt pairs of a family, one variant per
    alt) and its aligned seqinfo document."""
    rng = random.Random(seed)
    residues = "ACDEFGHIKLMNPQRSTVWY"
    base = [rng.choice(residues) for _ in range(columns)]
    rows: list[tuple[str, str]] = []
    document: dict[str, Any] = {}
    for entry in range(count // 2):
        row = [c if c == "-" or rng.random() > 0.1 else rng.choice(residues) for c in base]
        gap, length = rng.randrange(columns - 20), rng.randrange(20)
        row[gap : gap + length] = ["-"] * length
        alt = list(row)
        column = rng.choice([i for i, c in enumerate(row) if c != "-"])
        alt[column] = rng.choice(residues.replace(row[column], ""))
        position = sum(1 for c in row[: column + 1] if c != "-")
        name = f"gene{entry:04d}-1.1"
        rows += [(f"{name}_ref", "".join(row)), (f"{name}_alt", "".join(alt))]
        document[f"{name}_ref"] = {}
        document[f"{name}_alt"] = {
            "embedded_variants": [
                {
                    **variant(variant_id=f"NC_0000{entry:04d}.1:g.{1000 + entry}C>A"),
                    "seq_start_pos": position,
                    "seq_end_pos": position,
                    "alignment_start_pos": column + 1,
                    "alignment_end_pos": column + 1,
                }
            ]
        }
    return _clustal(rows), document


def _clustal(rows: list[tuple[str, str]], width: int = 60) -> str:
    pad = max(len(name) for name, _ in rows) + 6
    counts = [0] * len(rows)
    blocks = []
    for start in range(0, len(rows[0][1]), width):
        lines = []
        for index, (name, row) in enumerate(rows):
            chunk = row[start : start + width]
            counts[index] += len(chunk) - chunk.count("-")
            lines.append(f"{name.ljust(pad)}{chunk}\t{counts[index]}")
        conserved = "".join(
            "*" if len({row[c] for _, row in rows}) == 1 and rows[0][1][c] != "-" else " "
            for c in range(start, min(start + width, len(rows[0][1])))
        )
        lines.append(" " * pad + conserved)
        blocks.append("\n".join(lines) + "\n")
    return "CLUSTAL O(1.2.4) multiple sequence alignment\n\n\n" + "\n".join(blocks)


@pytest.fixture
def synthetic_results() -> Callable[[int], tuple[str, dict[str, Any]]]:
    """:func:`synthetic` as a fixture: (Clustal text, aligned seqinfo document)."""
    return synthetic
