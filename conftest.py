"""Fixtures shared by every package's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
TESTDATA = REPO / "testdata"


@pytest.fixture(scope="session")
def testdata() -> Path:
    """The repository's copy of the shared test data (genomes, cases, fixtures)."""
    return TESTDATA


@pytest.fixture(scope="session")
def require_clustalo() -> str:
    """Path of clustalo; fails (never skips) with how to install it when missing."""
    path = shutil.which("clustalo")
    if path is None:
        pytest.fail("clustalo is not on PATH: install it with `apt-get install clustalo` (Debian/Ubuntu)")
    return path
