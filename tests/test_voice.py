"""The one voice (taper.voice): the words themselves, and that they are made in one place.

Handout wording is checked on PDFs read back in test_pdf.py; here the functions are called
directly, and the source tree is read to check who may build sentences and who imports whom.
"""

from __future__ import annotations

import ast
import re
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


def test_the_clock_in_both_styles() -> None:
    from taper.voice.times import clock

    assert [clock(t, "12h") for t in ("00:00", "08:05", "12:00", "12:30", "18:00", "23:59")] == [
        "midnight",
        "8:05\u00a0AM",
        "noon",
        "12:30\u00a0PM",
        "6:00\u00a0PM",
        "11:59\u00a0PM",
    ]
    assert [clock(t, "24h") for t in ("00:00", "00:30", "08:05", "12:00", "18:00")] == [
        "midnight",
        "00:30",
        "08:05",
        "noon",
        "18:00",
    ]


def test_the_clock_style_is_decided_by_the_zone() -> None:
    from types import SimpleNamespace

    from taper.voice.times import time_style

    def style(zone: str) -> str:
        return time_style(SimpleNamespace(timezone=zone))  # type: ignore[arg-type]

    assert style("America/Chicago") == "12h"
    assert style("America/Toronto") == "12h"
    assert style("Europe/Stockholm") == "24h"
    assert style("Pacific/Honolulu") == "24h"


def test_cross_year_range_and_places() -> None:
    from taper.voice.doses import at_place

    assert date_range(date(2026, 12, 28), date(2027, 1, 3)) == "Mon Dec 28, 2026 – Sun Jan 3, 2027"
    assert at_place("At home") == "at home"
    assert at_place("in the day unit") == "in the day unit"
    assert at_place("Infusion center") == "at Infusion center"
    assert at_place("Atrium B") == "at Atrium B"


def test_patient_tablets_name_each_strength() -> None:
    from taper.voice.doses import patient_tablets

    two = (
        TabletCount(Decimal(20), "mg", Decimal(2)),
        TabletCount(Decimal(10), "mg", Decimal(1)),
    )
    assert patient_tablets(two) == "2 of the 20 mg tablets and 1 of the 10 mg tablets"


def test_sugar_units_order() -> None:
    from taper.voice.watchwords import watch_sentence

    text = "Call if readings stay above about 12 mmol/L (216 mg/dL)."
    assert watch_sentence(text, {"units": "mg/dL"}) == (
        "Call if readings stay above about 216 mg/dL (12 mmol/L)."
    )
    assert watch_sentence(text, {"units": "mmol/L"}) == text


def test_the_handout_modules_hold_no_sentences() -> None:
    """Words live in taper.voice: the layout modules' strings are style names, table commands
    and single tokens, never two words in a row (docstrings aside)."""
    words = re.compile(r"[A-Za-z]{2,}[ ,:]+[A-Za-z]{2,}")
    for name in ("__init__", "layout", "patient", "pharmacist", "nurse"):
        tree = ast.parse((PDF / f"{name}.py").read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        # Error messages (for whoever runs taper, not in a handout) are not handout words.
        errors = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.Raise)
            or (isinstance(node, ast.FunctionDef) and node.name in ("_esc", "_check_plan_text"))
            for inner in ast.walk(node)
        }
        found = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings | errors
            and words.search(node.value)
        ]
        assert not found, f"{name}.py: {found}"
