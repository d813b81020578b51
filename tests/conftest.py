"""Shared fixtures. `shared_data` is ../shared/data: skipped with a reason when absent, except under
CI=true, where its absence is a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{SHARED_DATA} is missing, and CI=true requires the real-data tests to run")
        pytest.skip(f"real data not found at {SHARED_DATA} (outside CI these tests skip)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


class CliResult:
    def __init__(self, r):
        self.exit_code = r.exit_code
        self.stdout = r.stdout
        self.stderr = r.stderr if r.stderr_bytes is not None else ""
        self.output = r.output
        self.exception = r.exception


@pytest.fixture
def cli():
    """Run `lugha ARGS...` in-process; returns exit_code, stdout, stderr."""
    from lugha.cli import app

    def run(*args: str, input: str | None = None) -> CliResult:
        r = CliRunner().invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
        return CliResult(r)

    return run
