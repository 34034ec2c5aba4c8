"""HTML of the report page. Every text from the inputs goes through ``html.escape``, or into
the page's JSON with ``<``, ``>`` and ``&`` escaped (:func:`script_json`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING

from pavi_seqinfo_align.report_assets import (
    NUCLEOTIDE_CLASSES,
    NUCLEOTIDE_LEGEND,
    PROTEIN_CLASSES,
    PROTEIN_LEGEND,
    SCRIPT,
    STYLE,
)

if TYPE_CHECKING:
    from pavi_seqinfo_align.report import PlacedVariant, ReportData

NAME_WIDTH = 30
ALLELE_WIDTH = 24
Marks = Mapping[int, tuple[tuple[int, bool], ...]]


def page(data: ReportData, block_width: int) -> str:
    """The whole HTML document."""
    titles = {v.number: _variant_title(v) for v in data.variants}
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>PAVI report: {len(data.rows)} sequences</title><style>{STYLE}</style></head>",
        "<body>",
        _header(data),
        '<div class="grid"><section id="alignment"><h2>Alignment</h2>',
        *_alignment(data, block_width, titles),
        '</section><aside id="variants">',
        _variants_table(data, block_width),
        "</aside></div>",
        _entries_table(data),
        f"<script>{SCRIPT}</script></body></html>\n",
    ]
    return "".join(parts)


def _header(data: ReportData) -> str:
    prov = data.provenance
    facts = [
        *(f"<div><dt>{escape(d)}</dt><dd>{escape(v)}</dd></div>" for d, v in prov.versions.items()),
        f"<div><dt>aligner</dt><dd>{escape(data.aligner)}</dd></div>",
        f"<div><dt>request sha256</dt><dd>{escape(prov.request_sha256 or 'not given')}</dd></div>",
        f'<div><dt>generated</dt><dd><time datetime="{prov.generated:%Y-%m-%dT%H:%M:%SZ}">'
        f"{prov.generated:%Y-%m-%d %H:%M:%S} UTC</time></dd></div>",
    ]
    if prov.request:
        facts.insert(-2, f"<div><dt>request</dt><dd>{escape(prov.request)}</dd></div>")
    columns = len(data.rows[0][1]) if data.rows else 0
    summary = (
        f"{len(data.rows)} sequences · {columns} columns · {len(data.variants)} variants · "
        f"{len(data.failed)} failed · {data.alphabet}"
    )
    legend = PROTEIN_LEGEND if data.alphabet == "protein" else NUCLEOTIDE_LEGEND
    chips = "".join(
        f'<span><i class="{cls} mono">{letters}</i> {what}</span>' for cls, letters, what in legend
    )
    marks = (
        '<span><mark class="v mono">X</mark> variant on its sequence</span>'
        '<span><mark class="w mono">X</mark> same columns on the reference</span>'
    )
    return (
        f'<header><h1>PAVI alignment report</h1><p class="meta">{summary}</p>'
        '<nav><a href="#alignment">Alignment</a><a href="#variants">Variants</a>'
        '<a href="#entries">Entries</a></nav>'
        f'<dl id="provenance">{"".join(facts)}</dl>'
        f'<div class="legend">{chips}{marks}</div></header>'
    )


def _alignment(data: ReportData, width: int, titles: Mapping[int, str]) -> list[str]:
    """An empty ``<pre>`` per block of ``width`` columns and the rows as JSON for the script.

    The page's script fills each block (ruler, rows, conservation line) from the JSON: one
    residue costs one byte in the file instead of about fifteen as markup.
    """
    classes = PROTEIN_CLASSES if data.alphabet == "protein" else NUCLEOTIDE_CLASSES
    columns = len(data.rows[0][1]) if data.rows else 0
    pad = max((len(name) for name, _ in data.rows), default=0)
    starts = range(0, columns, width)
    payload = {
        "width": width,
        "columns": columns,
        "pad": min(pad, NAME_WIDTH) + 2,
        "classes": classes,
        "names": [_short(name) for name, _ in data.rows],
        "long": {i: name for i, (name, _) in enumerate(data.rows) if len(name) > NAME_WIDTH},
        "rows": [row for _, row in data.rows],
        "conservation": data.conservation,
        "rulers": [_ruler(start, min(start + width, columns)) for start in starts],
        "marks": {index: _mark_runs(marks) for index, marks in data.marks.items()},
        "titles": titles,
    }
    pres = [
        f'<pre class="aln" id="b{number}" data-col="{start + 1}"></pre>'
        for number, start in enumerate(starts, start=1)
    ]
    return [
        *pres,
        "<noscript><p>The alignment is drawn by the page's inline script: allow JavaScript, "
        "or read alignment-output.aln.</p></noscript>",
        f'<script type="application/json" id="aln-data">{script_json(payload)}</script>',
    ]


def script_json(value: object) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>`` and ``&`` as ``\\u`` escapes, so neither
    ``</script>`` nor ``<!--`` can occur."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _short(name: str) -> str:
    return name if len(name) <= NAME_WIDTH else f"{name[: NAME_WIDTH - 1]}…"


def _mark_runs(marks: Marks) -> list[tuple[int, int, list[int]]]:
    """``[start, end)`` 0-based column runs of one row that carry the same variants, each with
    its variant numbers (negative: the columns of a variant on its reference's row)."""
    runs: list[tuple[int, int, list[int]]] = []
    for column in sorted(marks):
        numbers = [number if own else -number for number, own in marks[column]]
        if runs and runs[-1][1] == column and runs[-1][2] == numbers:
            runs[-1] = (runs[-1][0], column + 1, numbers)
        else:
            runs.append((column, column + 1, numbers))
    return runs


def _ruler(start: int, end: int) -> str:
    """Column numbers every 10 columns, each ending above its column."""
    chars = [" "] * (end - start)
    for column in range(start + 1, end + 1):
        if column % 10 == 0 or column == start + 1:
            label = str(column)
            at = column - start - 1 if column % 10 == 0 else len(label) - 1
            first = at - len(label) + 1
            if first >= 0 and all(c == " " for c in chars[max(0, first - 1) : at + 1]):
                chars[first : at + 1] = label
    return "".join(chars).rstrip()


def _allele(seq: str) -> str:
    if not seq:
        return "-"
    if len(seq) <= ALLELE_WIDTH:
        return seq
    return f"{seq[:ALLELE_WIDTH]}… ({len(seq)} nt)"


def _columns_text(placed: PlacedVariant) -> str:
    cols = placed.columns
    if cols is None:
        return "not aligned"
    return f"{cols.start}" if len(cols) == 1 else f"{cols.start}-{cols.stop - 1}"


def _variant_title(placed: PlacedVariant) -> str:
    v = placed.variant
    change = f"{_allele(v.genomic_ref_seq)}>{_allele(v.genomic_alt_seq)}"
    return (
        f"#{placed.number} {v.variant_id} · {v.seq_substitution_type} {change} · "
        f"{placed.record} · columns {_columns_text(placed)}"
    )


def _variants_table(data: ReportData, width: int) -> str:
    if not data.variants:
        return "<h2>Variants</h2><p>No embedded variants.</p>"
    head = (
        "<tr><th>#</th><th>variant</th><th>type</th><th>ref&gt;alt</th><th>sequence</th>"
        "<th>positions</th><th>columns</th></tr>"
    )
    rows = []
    for placed in data.variants:
        v = placed.variant
        cols = placed.columns
        where = _columns_text(placed)
        if cols is not None:
            where = f'<a href="#b{(cols.start - 1) // width + 1}">{where}</a>'
        ref, alt = _allele(v.genomic_ref_seq), _allele(v.genomic_alt_seq)
        span = str(v.seq_start_pos)
        if v.seq_end_pos != v.seq_start_pos:
            span += f"-{v.seq_end_pos}"
        rows.append(
            f'<tr data-v="{placed.number}"><td class="n">{placed.number}</td>'
            f'<td class="id">{escape(v.variant_id)}</td><td>{escape(v.seq_substitution_type)}</td>'
            f'<td class="mono">{escape(ref)}&gt;{escape(alt)}</td>'
            f'<td class="nw">{escape(placed.record)}</td><td class="nw">{span}</td>'
            f'<td class="nw">{where}</td></tr>'
        )
    return f"<h2>Variants</h2><table>{head}{''.join(rows)}</table>"


def _entries_table(data: ReportData) -> str:
    residues = {name: len(row) - row.count("-") for name, row in data.rows}
    names = list(dict.fromkeys([*data.seqinfo, *residues]))
    counts: dict[str, list[str]] = {}
    for placed in data.variants:
        counts.setdefault(placed.record, []).append(placed.variant.variant_id)
    errors = {entry.name: entry.error for entry in data.failed}
    rows = []
    for name in names:
        info = data.seqinfo.get(name)
        length = residues.get(name)
        if length is None and info is not None and info.sequence is not None:
            length = len(info.sequence)
        ids = counts.get(name, [])
        if name in errors:
            status = f'<span class="bad">failed: {escape(errors[name])}</span>'
        else:
            status = "aligned" if name in residues else "not in the alignment"
        rows.append(
            f"<tr><td>{escape(name)}</td><td class='n'>{'' if length is None else length}</td>"
            f"<td class='n' title=\"{escape(' '.join(ids))}\">{len(ids)}</td><td>{status}</td></tr>"
        )
    extra = [entry for entry in data.failed if entry.name not in names]
    failed = "".join(
        f'<tr><td>{escape(e.name)}</td><td></td><td></td><td class="bad">failed: '
        f"{escape(e.error)}</td></tr>"
        for e in extra
    )
    head = "<tr><th>name</th><th>length</th><th>variants</th><th>status</th></tr>"
    table = f"<table>{head}{''.join(rows)}{failed}</table>"
    return f'<section id="entries"><h2>Entries</h2>{table}</section>'
