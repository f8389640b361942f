"""Shared fixtures: regimen files, the CLI runner, and a fixed build stamp."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

REGIMENS = Path(__file__).parent / "regimens"

# Every generated test draws the same examples in every run, CI's included (a fixed seed): a
# failure is the code's, never the draw's. To explore with fresh draws, run with
# HYPOTHESIS_PROFILE=explore (tests/test_invariants.py has TAPER_INVARIANTS=long too).
settings.register_profile("taper", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "taper"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def write_regimen(tmp_path: Path) -> Callable[..., Path]:
    """Write TOML text to a file in tmp_path and return its path."""

    def write(text: str, name: str = "regimen.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def fixed_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds are reproducible and 'today' is fixed (2026-11-22) unless a test says otherwise."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795305600")
