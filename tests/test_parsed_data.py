"""taper.read.parsed_data: the data files parsed ahead (scripts/compile_data.py), never stale."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from taper.read import catalogue
from taper.read.parsed_data import FILES

ROOT = Path(__file__).resolve().parents[1]


def _exactly(value: Any) -> Any:
    """``value`` with each Decimal as its text, so 2.50 and 2.5 differ as they print."""
    if isinstance(value, dict):
        return {key: _exactly(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exactly(item) for item in value]
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    return (type(value).__name__, value)


def test_the_parsed_data_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "compile_data.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_data_file_reads_as_tomllib_parses_it() -> None:
    files = sorted(path.name for path in catalogue.DATA.glob("*.toml"))
    assert files == sorted(FILES)
    for name in files:
        text = (catalogue.DATA / name).read_text(encoding="utf-8")
        expected = tomllib.loads(text, parse_float=Decimal)
        assert _exactly(catalogue.read_data(name)) == _exactly(expected), name


def test_each_read_is_a_fresh_copy() -> None:
    first = catalogue.read_data("watch.toml")
    first["item"].clear()
    assert catalogue.read_data("watch.toml")["item"]


def test_an_edited_data_file_is_parsed_not_read_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in catalogue.DATA.glob("*.toml"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    edited = tmp_path / "safety.toml"
    edited.write_text(edited.read_text(encoding="utf-8") + '\n[edited]\nnote = "new"\n')
    monkeypatch.setattr(catalogue, "DATA", tmp_path)
    assert catalogue.read_data("safety.toml")["edited"] == {"note": "new"}
    assert "edited" not in catalogue.read_data("drugs.toml")
