"""Shared fixtures: regimen files, the CLI runner, and a fixed build stamp."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

REGIMENS = Path(__file__).parent / "regimens"


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
