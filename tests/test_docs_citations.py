"""The repository documents itself: every document it cites is a file in it, by path and heading.

Scans the tracked `*.py`, `*.md`, `*.toml`, `Dockerfile` and `schemas/*.json` files for

* citations `docs/<name>.md`, optionally followed by `#anchor`, by `, "Heading"` (more headings
  joined with `,`, `;`, `and` or `or`) or, for the case catalogue, by `, case M10` /
  `, cases A10-A15 and A19`: the file must exist, each heading must be one of its headings, each
  anchor one of its headings' anchors, each case id a row of its tables;
* `.md` paths in backticks, and relative link targets in Markdown files: they must exist;
* names of documents that live outside the repository (the original pipeline's specification and
  design notes), section signs and numbered decisions: none may appear.

How tests cite behaviour cases: docs/cases.md, "Behaviour cases".
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

#: Documents that are not in this repository (the original pipeline's specification and design
#: notes); spelled with underscores here so that this file does not name them itself.
FOREIGN_DOCUMENTS = tuple(
    name.replace("_", "-") + ".md"
    for name in (
        "pipeline_contract",
        "sequence_retrieval",
        "seqinfo_align",
        "test_cases",
        "decisions",
    )
)
SECTION_SIGN = "\u00a7"
NUMBERED_DECISION = re.compile(r"\bdecisions?[ -]\d+", re.IGNORECASE)

_CASE_ID = r"[A-Z]\d+"
_CASE_ITEM = rf"{_CASE_ID}(?:\s*[-\u2013]\s*{_CASE_ID})?"
_JOIN = r"\s*(?:,|;|\band\b|\bor\b)\s*"
CITATION = re.compile(
    r"(?<![\w./-])(?P<path>docs/[\w.-]+\.md)"
    r"(?:#(?P<anchor>[\w-]+))?"
    rf"(?P<headings>(?:{_JOIN}\"[^\"\n]+\")*)"
    rf"(?:,\s*cases?\s+(?P<cases>{_CASE_ITEM}(?:{_JOIN}{_CASE_ITEM})*))?"
)
QUOTED = re.compile(r"\"([^\"\n]+)\"")
BACKTICKED_MD = re.compile(r"`(?P<path>[\w./-]+\.md)(?:#(?P<anchor>[\w-]+))?`")
MD_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{1,6}[ \t]+(?P<text>.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
TABLE_ID = re.compile(rf"^\|\s*(?P<id>{_CASE_ID})\s*\|", re.MULTILINE)
#: A line break with the next line's indentation and comment or docstring marker: citations may
#: wrap in comments, docstrings and Markdown paragraphs.
LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*(?:#(?!#)[ \t]*)?")


@dataclass(frozen=True)
class Problem:
    """One broken citation: where, and what is wrong."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


def scanned_files(root: Path) -> list[str]:
    """Tracked files the check covers, relative to ``root``."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return sorted(
        name
        for name in listed
        if name
        and (root / name).is_file()
        and (
            name.endswith((".py", ".md", ".toml"))
            or Path(name).name == "Dockerfile"
            or (name.startswith("schemas/") and name.endswith(".json"))
        )
    )


def _strip_code(markdown: str) -> str:
    return FENCE.sub("", markdown)


def headings(markdown: str) -> list[str]:
    """Heading texts of a Markdown document (outside fenced code blocks)."""
    return [m["text"].strip() for m in HEADING.finditer(_strip_code(markdown))]


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def case_ids(markdown: str) -> set[str]:
    """Ids in the first column of the document's tables."""
    return {m["id"] for m in TABLE_ID.finditer(markdown)}


class Document:
    """A cited Markdown file, read once."""

    def __init__(self, path: Path) -> None:
        self.exists = path.is_file()
        text = path.read_text(encoding="utf-8") if self.exists else ""
        self.headings = set(headings(text))
        self.anchors = {anchor(h) for h in self.headings}
        self.case_ids = case_ids(text)


class Scanner:
    """Checks the citations of files under ``root``."""

    def __init__(self, root: Path, files: list[str]) -> None:
        self.root = root
        self.files = files
        self.basenames = {Path(name).name for name in files}
        self._documents: dict[Path, Document] = {}

    def document(self, path: Path) -> Document:
        """The cited document at ``path`` (cached)."""
        key = path.resolve()
        if key not in self._documents:
            self._documents[key] = Document(key)
        return self._documents[key]

    def problems(self) -> list[Problem]:
        """Every broken or foreign citation in the scanned files."""
        found: list[Problem] = []
        for name in self.files:
            text = (self.root / name).read_text(encoding="utf-8", errors="replace")
            found += [Problem(name, message) for message in self.check_text(name, text)]
        return found

    def check_text(self, name: str, text: str) -> list[str]:
        """Problems of one file's text (``name`` relative to the root)."""
        messages = self._foreign(text)
        markdown = name.endswith(".md")
        prose = LINE_BREAK.sub(" ", _strip_code(text) if markdown else text)
        cited: set[int] = set()
        for match in CITATION.finditer(prose):
            cited.add(match.start("path"))
            messages += self._citation(match)
        if markdown:
            for match in BACKTICKED_MD.finditer(prose):
                if match.start("path") not in cited:
                    messages += self._backticked(name, match["path"], match["anchor"])
            for match in MD_LINK.finditer(prose):
                # A root file's `docs/…` link is a citation (checked above); elsewhere a link is
                # relative to its file's folder.
                if match.start("target") not in cited or "/" in name:
                    messages += self._link(name, match["target"])
        return messages

    @staticmethod
    def _foreign(text: str) -> list[str]:
        messages = [
            f"cites {doc}, which is not in this repository"
            for doc in FOREIGN_DOCUMENTS
            if doc in text
        ]
        if SECTION_SIGN in text:
            messages.append(f"uses the section sign {SECTION_SIGN}: cite a file and a heading")
        messages += [
            f"cites a numbered decision ({m[0]}): cite docs/design.md and a heading"
            for m in NUMBERED_DECISION.finditer(text)
        ]
        return messages

    def _citation(self, match: re.Match[str]) -> list[str]:
        path = match["path"]
        doc = self.document(self.root / path)
        if not doc.exists:
            return [f"cites {path}, which does not exist"]
        messages = []
        if match["anchor"] and match["anchor"] not in doc.anchors:
            messages.append(f"cites {path}#{match['anchor']}, no heading has that anchor")
        for heading in QUOTED.findall(match["headings"] or ""):
            if heading not in doc.headings:
                messages.append(f'cites {path}, "{heading}", which is not a heading of it')
        for case in re.findall(_CASE_ID, match["cases"] or ""):
            if case not in doc.case_ids:
                messages.append(f"cites {path}, case {case}, which is not a row of it")
        return messages

    def _backticked(self, name: str, path: str, fragment: str | None) -> list[str]:
        if "/" not in path:
            if path in self.basenames:
                return []
            return [f"mentions `{path}`, which is no file of this repository"]
        for base in (self.root, (self.root / name).parent):
            target = base / path.lstrip("/")
            if target.is_file():
                return self._fragment(path, target, fragment)
        return [f"mentions `{path}`, which does not exist"]

    def _link(self, name: str, target: str) -> list[str]:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            return []
        path, _, fragment = target.partition("#")
        base = self.root if path.startswith("/") else (self.root / name).parent
        resolved = base / path.lstrip("/")
        if not resolved.exists():
            return [f"links to {target}, which does not exist"]
        if path.endswith(".md"):
            return self._fragment(target, resolved, fragment or None)
        return []

    def _fragment(self, shown: str, target: Path, fragment: str | None) -> list[str]:
        if fragment and fragment not in self.document(target).anchors:
            return [f"links to {shown}, no heading of it has that anchor"]
        return []


def test_every_cited_document_and_heading_exists() -> None:
    problems = Scanner(REPO, scanned_files(REPO)).problems()
    assert not problems, "broken citations:\n" + "\n".join(map(str, problems))


def test_the_case_catalogue_and_design_notes_have_headings() -> None:
    design = Document(REPO / "docs" / "design.md")
    assert "STANDARD, not EXPRESS" in design.headings
    assert {"M10", "A1", "S50"} <= Document(REPO / "docs" / "cases.md").case_ids


# --- the scanner itself, on made-up repositories ---------------------------------------------

DOCS = "docs/"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "real.md").write_text(
        "# Real\n\n## Some heading\n\n```\n## not a heading\n```\n\n| id | case |\n|---|---|\n"
        "| M10 | a case |\n",
        encoding="utf-8",
    )
    return tmp_path


def check(repo: Path, name: str, text: str) -> list[str]:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text, encoding="utf-8")
    files = [str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file()]
    return [str(p) for p in Scanner(repo, sorted(files)).problems()]


@pytest.mark.parametrize(
    "text",
    [
        f'"""Doc ({DOCS}real.md, "Some heading")."""\n',
        f"# see {DOCS}real.md#some-heading\n",
        f"# ({DOCS}real.md, case M10)\n",
        f'# {DOCS}real.md, "Real" and "Some\n# heading" wrapped over two comment lines\n',
    ],
)
def test_scanner_accepts_real_citations(repo: Path, text: str) -> None:
    assert check(repo, "pkg/mod.py", text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"# see {DOCS}made-up.md\n", "made-up.md, which does not exist"),
        (f'# see {DOCS}real.md, "No such heading"\n', '"No such heading", which is not a heading'),
        (f'# see {DOCS}real.md, "not a heading"\n', '"not a heading", which is not a heading'),
        (f"# see {DOCS}real.md#nope\n", "no heading has that anchor"),
        (f"# see {DOCS}real.md, cases M10 and M11\n", "case M11, which is not a row"),
        (f"# see {FOREIGN_DOCUMENTS[0]}\n", "which is not in this repository"),
        (f"# QUIRK ({SECTION_SIGN}9.2)\n", "section sign"),
        (f"# design Decision {15}\n", "numbered decision"),
    ],
)
def test_scanner_rejects_made_up_citations(repo: Path, text: str, expected: str) -> None:
    problems = check(repo, "pkg/mod.py", text)
    assert len(problems) == 1
    assert expected in problems[0]
    assert problems[0].startswith("pkg/mod.py: ")


def test_scanner_checks_markdown_links_and_backticked_paths(repo: Path) -> None:
    text = (
        f"[ok]({DOCS}real.md#some-heading) [bad](gone.md) [anchor]({DOCS}real.md#gone)\n"
        f"[folder]({DOCS}) `{DOCS}real.md` `{DOCS}missing.md` `real.md` `unknown.md`\n"
        "[web](https://example.org/x.md) [here](#real)\n"
        "```\n[in code](nowhere.md) `nowhere.md`\n```\n"
    )
    problems = check(repo, "README.md", text)
    assert len(problems) == 4, problems
    assert any("links to gone.md, which does not exist" in p for p in problems)
    assert any("real.md#gone, no heading has that anchor" in p for p in problems)
    assert any("missing.md, which does not exist" in p for p in problems)
    assert any("`unknown.md`, which is no file" in p for p in problems)


def test_scanned_files_lists_the_kinds_of_files_the_check_covers() -> None:
    files = scanned_files(REPO)
    assert "README.md" in files
    assert "pyproject.toml" in files
    assert "tests/test_docs_citations.py" in files
    assert any(Path(f).name == "Dockerfile" for f in files)
    assert not any(f.endswith(".lock") for f in files)


def test_scanner_resolves_links_relative_to_their_file(repo: Path) -> None:
    text = f"[up](../{DOCS}real.md#some-heading) [wrong]({DOCS}real.md)\n"
    problems = check(repo, "pkg/README.md", text)
    assert len(problems) == 1, problems
    assert f"links to {DOCS}real.md, which does not exist" in problems[0]
