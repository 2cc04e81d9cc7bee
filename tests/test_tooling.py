"""The code's own checks, run with the tests: ruff's lint and mypy's types (both configured in
pyproject.toml), so that CI fails on either."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=PROJECT, capture_output=True,
                          text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", "crawler", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
