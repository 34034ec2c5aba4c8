"""``python -m reliability [--only NAME …] [--keep]``: run the probes, print the table, exit 1 if
any check did not hold (docs/reliability.md)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from reliability.core import Rows, shorten
from reliability.fixtures import Reference, reference_run
from reliability.probe_disk import probe_full_disk
from reliability.probe_inputs import probe_bad_input
from reliability.probe_runs import probe_concurrent, probe_same_folder, probe_signals
from reliability.probe_s3 import probe_s3_faults, probe_secret, s3_setup

Probe = Callable[[Path, Reference, Rows], None]


def _s3(root: Path, ref: Reference, rows: Rows) -> None:
    with s3_setup() as setup:
        probe_s3_faults(ref, rows, setup)
        probe_secret(root, rows, setup)


PROBES: dict[str, Probe] = {
    "s3": _s3,
    "concurrent": probe_concurrent,
    "same-folder": probe_same_folder,
    "signals": probe_signals,
    "disk": probe_full_disk,
    "input": probe_bad_input,
}


def markdown(rows: Rows) -> str:
    """The table as Markdown."""
    lines = ["| probe | checked | held | detail |", "|---|---|---|---|"]
    for row in rows.items:
        cells = (row.probe, row.checked, "yes" if row.held else "**no**", row.detail)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the chosen probes (all by default); 0 only if every check held."""
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=sorted(PROBES), help="run only these probes")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument(
        "--markdown", type=Path, help="also write the table to this file (Markdown)"
    )
    args = parser.parse_args(argv)
    console = Console(width=200)
    root = Path(tempfile.mkdtemp(prefix="pavi-reliability-"))
    root.chmod(0o755)  # a probe may run pavi as another user (docs/reliability.md)
    rows = Rows()
    timings: dict[str, float] = {}
    try:
        ref = reference_run(root)
        rows.add("setup", "clean run of the example", ref.ok, ref.result.describe())
        if ref.ok:
            for name in args.only or list(PROBES):
                console.print(f"reliability: probe {name} …", style="bold")
                started = time.monotonic()
                try:
                    PROBES[name](root / name, ref, rows)
                except Exception as err:  # noqa: BLE001 (a broken probe is a row, not a crash)
                    traceback.print_exc()
                    rows.add(
                        name,
                        "the probe ran to its end",
                        False,
                        shorten(f"{type(err).__name__}: {err}"),
                    )
                timings[name] = round(time.monotonic() - started, 1)
    finally:
        if args.keep:
            console.print(f"scratch folder kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    table = Table(title="PAVI reliability", show_lines=False)
    for column in ("probe", "checked", "held", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows.items:
        table.add_row(row.probe, row.checked, "yes" if row.held else "[red]no[/red]", row.detail)
    console.print(table)
    if args.markdown:
        args.markdown.write_text(markdown(rows))
    console.print("seconds per probe: " + ", ".join(f"{k} {v}" for k, v in timings.items()))
    held = sum(1 for r in rows.items if r.held)
    failed = len(rows.items) - held
    print(f"reliability: {held} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
