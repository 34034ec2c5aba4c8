"""Bad input: each case is one ``pavi run`` that must fail with one clear line, no traceback.

Request problems must be refused before any job starts: exit 2, every stderr line
``pavi: error: …`` naming the entry, field and value, nothing written to --out. Genome problems
(known only once the genome is read, or by a pre-flight read of its index) may fail at run time:
exit 1 or 2 and a last line naming the real cause.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from reliability.core import (
    ERROR_PREFIX,
    GENOME,
    Result,
    Rows,
    base_env,
    compare,
    error_line_problems,
    folder_is_empty,
    logs_text,
    may_mount,
    run,
    run_outputs,
    script,
    traceback_in,
)
from reliability.fixtures import Reference, example_entries, pavi_run, token, write_request
from reliability.servers import file_server, serving

Entries = list[dict[str, Any]]
NAME = "bad input"


@dataclass
class Case:
    """One bad input: a request built from the example, the options, what the line must name."""

    checked: str
    edit: Callable[[Entries], Entries] | None = None
    options: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    #: True: refused before any job (exit 2, nothing in --out); False: may fail at run time.
    before_run: bool = True
    max_lines: int = 3
    raw: bytes | None = None  # the request file's bytes instead of an edited example
    genome: str | None = None  # fasta_file_url of every entry
    extra: dict[str, Any] = field(default_factory=dict)


def _set(index: int, **values: Any) -> Callable[[Entries], Entries]:
    def edit(entries: Entries) -> Entries:
        entries[index].update(values)
        return entries

    return edit


def _past_end(entries: Entries) -> Entries:
    entry = entries[2]  # 002_pavC-1.1 on chr1 (360000 bp), + strand
    entry["exon_seq_regions"][-1] = {"start": 359800, "end": 360500}
    entry["cds_seq_regions"][-1] = {"start": 359800, "end": 360400, "frame": 0}
    return entries


def _region(index: int, key: str, which: int, value: int) -> Callable[[Entries], Entries]:
    def edit(entries: Entries) -> Entries:
        entries[index]["exon_seq_regions"][which][key] = value
        return entries

    return edit


def _collision(entries: Entries) -> Entries:
    entries[1]["alt_seq_name_suffix"] = "_x_ref"  # 001's alternative: pavB-3.1_x_ref
    entries[2]["base_seq_name"] = "pavB-3.1_x"  # 002's reference: pavB-3.1_x_ref
    return entries


def _many_bad(entries: Entries) -> Entries:
    base = entries[0]
    return [dict(base, unique_entry_id=f"bad_{i:03d}", seq_strand="plus") for i in range(500)]


def _huge(entries: Entries) -> bytes:
    """A valid request of the example's entries padded with 64 MiB of spaces."""
    body = json.dumps(entries).encode()
    return b"[" + b" " * (64 << 20) + body[1:]


def _genome_copy(folder: Path, *, plain_gzip: bool = False, bad_fai: bool = False) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "genome.fa.gz"
    if plain_gzip:
        with gzip.open(GENOME) as bgzf:
            target.write_bytes(gzip.compress(bgzf.read()))
    else:
        shutil.copyfile(GENOME, target)
    for suffix in (".fai", ".gzi"):
        shutil.copyfile(f"{GENOME}{suffix}", f"{target}{suffix}")
    if bad_fai:
        Path(f"{target}.fai").write_bytes(b"chr1\t360000\tsix\t80\n\x00\x01\x02 not an index\n")
    return str(target)


def cases(root: Path) -> list[Case]:
    """Every bad-input case (genome copies made under ``root``)."""
    long_name = "pavB-" + "L" * 195
    return [
        Case(
            "unknown seq_id",
            _set(0, seq_id="chrZZ"),
            patterns=("000_pavB-1.1", "chrZZ"),
            before_run=False,
        ),
        Case(
            "CDS past the sequence end",
            _past_end,
            patterns=("002_pavC-1.1", r"360[45]00|past|beyond|exceed|outside|length"),
            before_run=False,
        ),
        Case(
            "plain gzip (not BGZF) genome",
            genome=_genome_copy(root / "g1", plain_gzip=True),
            patterns=(r"bgzf|bgzip|gzip",),
            before_run=False,
        ),
        Case(
            "corrupt .fai",
            genome=_genome_copy(root / "g2", bad_fai=True),
            patterns=(r"\.fai|index",),
            before_run=False,
        ),
        Case(
            "coordinate < 1",
            _region(2, "start", 0, 0),
            patterns=("002_pavC-1.1", r"start", r"\b0\b"),
        ),
        Case(
            "coordinate > 2^31",
            _region(2, "end", -1, 2**31 + 7),
            patterns=("002_pavC-1.1", "2147483655"),
        ),
        Case(
            "duplicate base_seq_name",
            _set(1, base_seq_name="pavB-1.1"),
            patterns=("base_seq_name", r"pavB-1\.1"),
        ),
        Case("name collision with another's _ref/_alt", _collision, patterns=(r"pavB-3\.1_x_ref",)),
        Case(
            "name too long for clustalo",
            _set(0, base_seq_name=long_name),
            patterns=("base_seq_name", r"long|characters|length"),
        ),
        Case(
            "deeply nested request JSON",
            raw=b"[" * 100_000 + b"]" * 100_000,
            patterns=(r"nest|deep|depth",),
        ),
        Case(
            "huge request file (64 MiB)",
            raw=_huge(example_entries()),
            patterns=(r"large|size|bytes|MiB|MB|limit",),
        ),
        Case(
            "500 bad entries (summary)",
            _many_bad,
            options=("--max-entries", "1000"),
            patterns=(r"\b(500|4\d\d) ",),
            max_lines=60,
        ),
    ]


def _request(root: Path, case: Case) -> Path:
    path = root / "request.json"
    root.mkdir(parents=True, exist_ok=True)
    if case.raw is not None:
        path.write_bytes(case.raw)
        return path
    entries = example_entries()
    if case.edit is not None:
        entries = case.edit(entries)
    return write_request(path, entries, case.genome)


def judge(rows: Rows, checked: str, case: Case, result: Result, out: Path) -> None:
    """The row of one case."""
    problems: list[str] = []
    if case.before_run:
        if result.code == 0:
            problems.append("not refused: the run went ahead")
        elif result.code != 2:
            problems.append(f"exit {result.code}, not 2")
        strays = [line for line in result.lines if not line.startswith(ERROR_PREFIX)]
        if strays:
            problems.append(f"a line not '{ERROR_PREFIX} …': {strays[0][:60]!r}")
        if len(result.lines) > case.max_lines:
            problems.append(f"{len(result.lines)} lines (> {case.max_lines})")
        text = "\n".join(result.lines)
        problems += [
            f"no line matches /{p}/" for p in case.patterns if not re.search(p, text, re.I)
        ]
        if not folder_is_empty(out):
            problems.append("--out was written")
    else:
        if result.code in (0, None):
            problems.append(f"exit {result.code}")
        problems += error_line_problems(result, case.patterns)
    if traceback_in(result.stderr, logs_text(out)):
        problems.append("a traceback")
    rows.add(
        NAME,
        checked,
        not problems,
        result.describe() + (f"; {'; '.join(problems[:2])}" if problems else ""),
    )


def probe_bad_input(root: Path, ref: Reference, rows: Rows) -> None:
    """Every case of ``cases``, then a server ignoring Range and a read-only --out."""
    base = root / "bad"
    job_time = "--no-preflight" in run([script("pavi"), "run", "--help"], base_env(token())).stdout
    for number, case in enumerate(cases(base / "genomes")):
        folder = base / f"case-{number:02d}"
        request = _request(folder, case)
        kind = "refused before the run, exit 2" if case.before_run else "one line naming the cause"
        # Genome problems again with the checks before the run off: the job's own line.
        for options in [()] if case.before_run or not job_time else [(), ("--no-preflight",)]:
            out = folder / f"out{len(options)}"
            result = pavi_run(request, out, *case.options, *options, timeout=120)
            label = " (--no-preflight: found by the job)" if options else ""
            judge(rows, f"{case.checked}{label}: {kind}", case, result, out)
    _range_ignored(base / "range", ref, rows)
    _read_only_out(base / "read-only", rows)
    _variant_ids_stay_in_the_api_path(base / "variant-ids", rows)
    _concurrency_bounded(base / "concurrency", ref, rows)


def _range_ignored(folder: Path, ref: Reference, rows: Rows) -> None:
    """A genome server that answers Range requests with the whole file (200)."""
    with file_server(GENOME.parent, honours_ranges=False) as server:
        request = write_request(
            folder / "request.json", example_entries(), f"{server.url}/synthetic.fa.gz"
        )
        out = folder / "out"
        result = pavi_run(request, out, timeout=120)
    diff = compare(ref.outputs, run_outputs(out)) if result.code == 0 else ["failed"]
    if result.code == 0:
        held, detail = not diff, "read correctly by streaming" if not diff else ", ".join(diff[:3])
    else:
        problems = error_line_problems(result, [r"range"])
        if traceback_in(result.stderr, logs_text(out)):
            problems.append("a traceback")
        held, detail = not problems, result.describe() + (f"; {problems[0]}" if problems else "")
    rows.add(NAME, "server ignoring Range: correct outputs, or one line naming Range", held, detail)


#: Variant ids that would leave ``/api/variant/`` if put in the URL as they are.
UNSAFE_VARIANT_IDS = ("../../../etc/passwd", "NC_990002.1:g.9091G>A?x=1", "a/b#c")


def _variant_ids_stay_in_the_api_path(folder: Path, rows: Rows) -> None:
    """Ids with ``../``, ``?``, ``/`` and ``#``: refused, or sent as one escaped path segment.

    The variant API is a local server that records every path it is asked for and answers 404,
    so the run must end with one line naming an unknown variant, never a request outside the
    API's path.
    """
    paths: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            paths.append(self.path)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    entries = _set(0, variant_ids=list(UNSAFE_VARIANT_IDS))(example_entries())
    request = write_request(folder / "request.json", entries, None)
    out = folder / "out"
    with serving(Recorder) as url:
        env = base_env(token(), PAVI_VARIANT_API_URL=f"{url}/api/variant/")
        result = pavi_run(request, out, env=env, timeout=120)
    problems: list[str] = []
    if result.code == 0:
        problems.append("the run succeeded with variants the API does not know")
    elif result.code != 2:
        problems += error_line_problems(result, [r"variant"])
    outside = [p for p in paths if not _one_segment(p)]
    if outside:
        problems.append(f"asked the API for {outside[0]!r}")
    if traceback_in(result.stderr, logs_text(out)):
        problems.append("a traceback")
    detail = f"{result.describe()}; {len(paths)} API requests, each one path segment"
    rows.add(
        NAME,
        "variant ids with ../ ? / #: refused, or one escaped segment of the API path",
        not problems,
        detail if not problems else f"{result.describe()}; {'; '.join(problems[:2])}",
    )


def _concurrency_bounded(folder: Path, ref: Reference, rows: Rows) -> None:
    """``--concurrency 10000``: refused (exit 2), or capped with a line saying so and a run
    whose outputs equal the clean run's."""
    request = write_request(folder / "request.json", example_entries())
    out = folder / "out"
    result = pavi_run(request, out, "--concurrency", "10000", timeout=120)
    said = re.search(r"concurrency", result.stderr, re.I) is not None
    if result.code == 2:
        problems = [] if said else ["the refusal does not name --concurrency"]
    elif result.code == 0:
        problems = [] if said else ["no line says the concurrency was capped"]
        problems += compare(ref.outputs, run_outputs(out))[:2]
    else:
        problems = [f"exit {result.code}"]
    if traceback_in(result.stderr, logs_text(out)):
        problems.append("a traceback")
    rows.add(
        NAME,
        "--concurrency 10000: refused, or capped (said) with correct outputs",
        not problems,
        result.describe() + (f"; {'; '.join(problems[:2])}" if problems else ""),
    )


def _one_segment(path: str) -> bool:
    """``/api/variant/<one segment>`` with no query and no fragment."""
    rest = path.removeprefix("/api/variant/")
    return rest not in (path, "") and not any(c in rest for c in "/?#")


NOBODY = 65534


def _as_nobody() -> None:
    """In the child, before exec: drop root to uid/gid 65534, whom mode 0555 does stop."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


@contextlib.contextmanager
def _read_only_folder(folder: Path) -> Iterator[tuple[str, Callable[[], None] | None]]:
    """Make ``folder`` read-only for the run: a read-only tmpfs as root, else mode 0555.

    Root ignores mode bits, so where root cannot mount, the run drops to uid 65534.
    Yields how it was done and what the child runs before exec.
    """
    folder.mkdir(parents=True, exist_ok=True)
    env = base_env(token())
    if may_mount():
        mounted = run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)], env, timeout=20
        )
        if mounted.code == 0:
            try:
                yield "read-only tmpfs", None
            finally:
                run(["umount", str(folder)], env, timeout=20)
            return
    folder.chmod(0o555)
    try:
        if os.geteuid() == 0:
            yield "mode 0555, run as uid 65534", _as_nobody
        else:
            yield "mode 0555", None
    finally:
        folder.chmod(0o755)


def _read_only_out(folder: Path, rows: Rows) -> None:
    request = write_request(folder.parent / "read-only-request.json", example_entries())
    request.parent.chmod(0o755)
    request.chmod(0o644)
    checked = "--out on a read-only folder: refused, one line naming it"
    out = folder / "out"
    with _read_only_folder(out) as (how, preexec):
        try:
            result = pavi_run(request, out, timeout=60, preexec=preexec)
        except OSError as err:  # uid 65534 may not reach the installed scripts
            rows.add(NAME, f"{checked} ({how})", False, f"could not start pavi: {err}")
            return
        problems = [] if result.code not in (0, None) else [f"exit {result.code}"]
        problems += error_line_problems(
            result, [re.escape(str(out)), r"read-only|not writable|permission|cannot write"]
        )
        if traceback_in(result.stderr):
            problems.append("a traceback")
        if not folder_is_empty(out):
            problems.append("--out was written")
        rows.add(
            NAME,
            f"{checked} ({how})",
            not problems,
            result.describe() + (f"; {'; '.join(problems[:2])}" if problems else ""),
        )
