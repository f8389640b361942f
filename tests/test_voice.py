"""The one voice (taper.voice): the words themselves, and that they are made in one place.

Handout wording is checked on PDFs read back in test_pdf.py; here the functions are called
directly, and the source tree is read to check who may build sentences and who imports whom.
"""

from __future__ import annotations

import ast
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from taper.plan import TabletCount
from taper.voice.doses import tablet_phrase
from taper.voice.text import and_list, count_text, count_words, minutes_text
from taper.voice.times import date_range, long_date, short_date

ROOT = Path(__file__).parent.parent
PDF = ROOT / "taper" / "export" / "pdf"
VOICE = ROOT / "taper" / "voice"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_handout_module_imports_another() -> None:
    audiences = {"patient", "pharmacist", "nurse"}
    for name in audiences:
        imported = imports_of(PDF / f"{name}.py")
        others = {f"taper.export.pdf.{other}" for other in audiences - {name}}
        assert not imported & others, f"{name}.py imports {imported & others}"


def test_the_voice_knows_nothing_of_pages_or_html() -> None:
    for path in VOICE.glob("*.py"):
        for module in imports_of(path):
            top = module.split(".")[0]
            assert top not in ("reportlab", "flask", "jinja2", "markupsafe", "icalendar"), (
                f"{path.name} imports {module}"
            )
            assert not module.startswith("taper.export"), f"{path.name} imports {module}"


def test_the_old_words_module_is_gone() -> None:
    assert not (ROOT / "taper" / "words.py").exists()
    for path in (ROOT / "taper").rglob("*.py"):
        assert "taper.words" not in imports_of(path), path


def test_counts_lists_and_lengths() -> None:
    assert count_text(Decimal(3)) == "3"
    assert count_text(Decimal("1.5")) == "1½"
    assert count_text(Decimal("0.5")) == "½"
    assert count_words(1, "day") == "1 day"
    assert count_words(2, "day") == "2 days"
    assert and_list(["a"]) == "a"
    assert and_list(["a", "b", "c"]) == "a, b and c"
    assert minutes_text(90) == "1 h 30 min"
    assert minutes_text(None) == ""


def test_tablet_phrases() -> None:
    one = (TabletCount(Decimal(20), "mg", Decimal(3)),)
    assert tablet_phrase(one) == "3 × 20 mg tablets"
    half = (TabletCount(Decimal(10), "mg", Decimal("0.5")),)
    assert tablet_phrase(half) == "½ × 10 mg tablet"


def test_dates() -> None:
    assert long_date(date(2026, 12, 1)) == "Tuesday, December 1, 2026"
    assert short_date(date(2026, 12, 1)) == "Tue Dec 1"
    assert date_range(date(2026, 12, 1), date(2026, 12, 1)) == "Tue Dec 1"


@pytest.mark.parametrize("module", sorted(p.stem for p in VOICE.glob("*.py")))
def test_every_voice_module_imports_on_its_own(module: str) -> None:
    __import__(f"taper.voice.{module}" if module != "__init__" else "taper.voice")
