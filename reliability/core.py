"""What every probe shares: table rows, bounded subprocesses, process scans, output comparison."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
GENOME = EXAMPLES / "genome" / "synthetic.fa.gz"
#: Environment variable whose value marks every process a probe starts (inherited by children).
MARKER = "PAVI_RELIABILITY_MARK"
#: Set to 1 to use the fallbacks of the probes that mount a tmpfs (as where mount is not allowed).
NO_MOUNT = "PAVI_RELIABILITY_NO_MOUNT"
#: The one-line error of the CLI and the jobs.
ERROR_PREFIX = "pavi: error:"
#: Where a runner may keep a run that has not succeeded (``DIR/staging/``), beside ``DIR`` itself.
RUN_PLACES = ("", "staging")


@dataclass(frozen=True)
class Row:
    """One line of the table: a probe, what it checked, whether it held, and why."""

    probe: str
    checked: str
    held: bool
    detail: str


@dataclass
class Rows:
    """The rows a probe adds, in order."""

    items: list[Row] = field(default_factory=list)

    def add(self, probe: str, checked: str, held: bool, detail: str) -> bool:
        """Add a row; return ``held``."""
        self.items.append(Row(probe, checked, held, detail))
        return held


def script(name: str) -> str:
    """A console script of the project: beside this Python first, then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"reliability: {name} is not installed (uv sync --all-packages)")
    return found


@dataclass
class Result:
    """How one bounded subprocess ended."""

    argv: list[str]
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def lines(self) -> list[str]:
        """Non-empty stderr lines."""
        return [line for line in self.stderr.splitlines() if line.strip()]

    @property
    def last(self) -> str:
        """The last non-empty stderr line."""
        return self.lines[-1] if self.lines else ""

    def describe(self) -> str:
        """``exit N`` plus the last stderr line, shortened."""
        state = "timed out" if self.timed_out else f"exit {self.code}"
        return f"{state}: {shorten(self.last)}" if self.last else state


def base_env(token: str, **extra: str) -> dict[str, str]:
    """The environment of a probe's process: this one's, a marker, wide rich output, no colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PAVI_"))}
    env.update({MARKER: token, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": ""})
    env.update(extra)
    return env


def start(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    preexec: Callable[[], None] | None = None,
) -> subprocess.Popen[str]:
    """Start a process in its own session (its pid is its process group), never via a shell."""
    return subprocess.Popen(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=preexec,  # noqa: PLW1509 (only resource limits, set before exec)
    )


def finish(proc: subprocess.Popen[str], timeout: float, started: float) -> Result:
    """Wait at most ``timeout`` seconds; on timeout kill the process's group (it is ours)."""
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    return Result(
        [str(a) for a in proc.args],  # type: ignore[union-attr]
        proc.returncode,
        out,
        err,
        round(time.monotonic() - started, 2),
        timed_out,
    )


def run(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    timeout: float = 120,
    cwd: Path | None = None,
    preexec: Callable[[], None] | None = None,
) -> Result:
    """Run a command to its end (bounded by ``timeout`` seconds)."""
    started = time.monotonic()
    return finish(start(argv, env, cwd=cwd, preexec=preexec), timeout, started)


# -- processes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    """A live process found in /proc."""

    pid: int
    command: str


def marked_processes(token: str) -> list[Proc]:
    """Live (non-zombie) processes whose environment carries ``MARKER=token``."""
    wanted = f"{MARKER}={token}".encode()
    found: list[Proc] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            stat = (entry / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                continue
            if wanted not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found.append(Proc(int(entry.name), command.strip()))
    return found


def wait_for(condition: Callable[[], bool], seconds: float, step: float = 0.05) -> bool:
    """Poll ``condition`` until it is true or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def reap_marked(token: str) -> list[Proc]:
    """Wait up to 5 s for marked processes to end; kill (by pid) those still there."""
    wait_for(lambda: not marked_processes(token), 5.0)
    left = marked_processes(token)
    for proc in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
    return left


# -- messages -------------------------------------------------------------------------------


def shorten(text: str, limit: int = 150) -> str:
    """One line, at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def traceback_in(*texts: str) -> bool:
    """True when any text holds a Python traceback."""
    return any("Traceback (most recent call last)" in t for t in texts)


def logs_text(out: Path) -> str:
    """Everything the jobs logged under ``out/logs`` and ``out/staging/logs`` (empty if none)."""
    return "\n".join(p.read_text(errors="replace") for p in log_files(out))


def log_files(out: Path) -> list[Path]:
    """The job logs of ``out`` and of ``out/staging``."""
    found: list[Path] = []
    for place in RUN_PLACES:
        folder = out / place / "logs"
        if folder.is_dir():
            found += sorted(p for p in folder.glob("*") if p.is_file())
    return found


def error_line_problems(result: Result, patterns: Iterable[str]) -> list[str]:
    """Why the last stderr line is not the one-line error naming ``patterns`` (regexes)."""
    problems: list[str] = []
    if not result.last.startswith(ERROR_PREFIX):
        problems.append(f"last stderr line is not '{ERROR_PREFIX} …'")
    for pattern in patterns:
        if not re.search(pattern, result.last, re.IGNORECASE):
            problems.append(f"error line does not match /{pattern}/")
    return problems


# -- outputs --------------------------------------------------------------------------------

_PROVENANCE = re.compile(r'<dl id="provenance">.*?</dl>', re.DOTALL)


def normalise(name: str, data: bytes) -> bytes:
    """Bytes to compare: report.html without its provenance block (paths, time, request hash)."""
    if name == "report.html":
        return _PROVENANCE.sub("", data.decode()).encode()
    return data


def run_outputs(out: Path) -> dict[str, bytes]:
    """A local run's outputs: ``work/*`` and ``results/*`` (the stored request left out)."""
    files: dict[str, bytes] = {}
    for folder in ("work", "results"):
        base = out / folder
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and path.name != "request.json":
                    files[f"{folder}/{path.relative_to(base)}"] = path.read_bytes()
    return files


def compare(expected: Mapping[str, bytes], got: Mapping[str, bytes]) -> list[str]:
    """Differences between two output sets (names missing, extra, or with other bytes)."""
    problems = [f"missing {n}" for n in sorted(set(expected) - set(got))]
    problems += [f"extra {n}" for n in sorted(set(got) - set(expected))]
    for name in sorted(set(expected) & set(got)):
        short = name.rsplit("/", 1)[-1]
        if normalise(short, expected[name]) != normalise(short, got[name]):
            problems.append(f"{name} differs")
    return problems


def partial_outputs(expected: Mapping[str, bytes], out: Path) -> list[str]:
    """Files under ``work/`` and ``results/`` of ``out`` (and of ``out/staging``, where a failed
    run may be kept) that are not complete expected outputs."""
    problems = []
    for place in RUN_PLACES:
        for name, data in run_outputs(out / place).items():
            short, shown = name.rsplit("/", 1)[-1], f"{place}/{name}".lstrip("/")
            if name not in expected:
                problems.append(f"stray {shown} ({len(data)} bytes)")
            elif normalise(short, data) != normalise(short, expected[name]):
                problems.append(f"partial {shown} ({len(data)} of {len(expected[name])} bytes)")
    return problems


def manifest_paths(out: Path) -> list[Path]:
    """The run.json files of ``out`` (``out/run.json``, ``out/staging/run.json``), newest first."""
    found = [
        out / place / "run.json" for place in RUN_PLACES if (out / place / "run.json").is_file()
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def read_manifest(out: Path) -> dict[str, object] | None:
    """The newest run.json of ``out`` parsed, or None if there is none or it is not JSON."""
    paths = manifest_paths(out)
    try:
        data = json.loads(paths[0].read_text()) if paths else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def may_mount() -> bool:
    """True when this process may try ``mount`` (root, the tool present, not switched off)."""
    return os.geteuid() == 0 and shutil.which("mount") is not None and not os.environ.get(NO_MOUNT)


def folder_is_empty(path: Path) -> bool:
    """True when ``path`` does not exist or holds nothing."""
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))
