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

from taper.records.plan import TabletCount
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

    from taper.voice.words import words_for

    def style(zone: str) -> str:
        return words_for("en", zone).clock

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


# The modules that show or carry words but must not make them: the handouts' layout, the
# calendar, the text table and the engine (a dose's instructions).
NO_SENTENCES = [
    *(PDF / f"{name}.py" for name in ("__init__", "layout", "patient", "pharmacist", "nurse")),
    ROOT / "taper" / "export" / "ics.py",
    ROOT / "taper" / "export" / "table.py",
    ROOT / "taper" / "engine" / "schedules.py",
    ROOT / "taper" / "voice" / "watch.py",
]
# Protocol text, not words anyone reads as a sentence.
PROTOCOL = {
    "-//taper//taper reminders",
    "BEGIN:VCALENDAR",
    "END:VCALENDAR",
    # The calendar's event lines as the text writer puts them (taper.export.ics).
    "BEGIN:VEVENT",
    "END:VEVENT",
    "TRANSP:TRANSPARENT",
    "TRANSP:OPAQUE",
    "BEGIN:VALARM",
    "ACTION:DISPLAY",
    "END:VALARM",
}
# Calls that report a problem or a warning to whoever runs taper (the engine's diagnostics).
DIAGNOSTICS = {"problem", "warn"}


def _is_diagnostic(node: ast.AST) -> bool:
    if isinstance(node, ast.Raise):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in DIAGNOSTICS
    # Whole functions that only speak to whoever maintains taper: the escaping of refused text
    # and the checks of the shipped data files.
    return isinstance(node, ast.FunctionDef) and node.name in (
        "_esc",
        "_check_plan_text",
        "data_problems",
        "_sign_problems",
    )


def _messages(tree: ast.Module) -> set[int]:
    """The nodes of error and warning messages (for whoever runs taper, not for a patient or a
    pharmacist): raises, diagnostic calls, and the variables those messages are built from (in
    the same function, or module constants)."""
    found: set[int] = set()
    used: set[str] = set()

    def exempt(statements: list[ast.stmt], nodes: list[ast.AST]) -> None:
        names: set[str] = set()
        for node in nodes:
            for inner in ast.walk(node):
                found.add(id(inner))
                if isinstance(inner, ast.Name):
                    names.add(inner.id)
        grown = True
        while grown:  # a variable built from another: `what = _WHAT`, then `what` in a raise
            grown = False
            for statement in statements:
                if id(statement) in found:
                    continue
                targets = (
                    statement.targets
                    if isinstance(statement, ast.Assign)
                    else [statement.target]
                    if isinstance(statement, (ast.AugAssign, ast.AnnAssign))
                    else []
                )
                if any(isinstance(t, ast.Name) and t.id in names for t in targets):
                    for inner in ast.walk(statement):
                        found.add(id(inner))
                        if isinstance(inner, ast.Name):
                            names.add(inner.id)
                    grown = True
        used.update(names)

    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            exempt(
                [n for n in ast.walk(function) if isinstance(n, ast.stmt)],
                [n for n in ast.walk(function) if _is_diagnostic(n)],
            )
    # Module constants the messages use.
    for statement in tree.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id in used for t in targets):
            found.update(id(inner) for inner in ast.walk(statement))
    return found


def sentences_in(path: Path) -> list[str]:
    """String constants of ``path`` with two words in a row, docstrings, error and warning
    messages and protocol text aside."""
    words = re.compile(r"[A-Za-z]{2,}[ ,:]+[A-Za-z]{2,}")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    exempt = docstrings | _messages(tree)
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in exempt
        and node.value not in PROTOCOL
        and words.search(node.value)
    ]


@pytest.mark.parametrize("path", NO_SENTENCES, ids=lambda path: path.name)
def test_the_layout_and_export_modules_hold_no_sentences(path: Path) -> None:
    """Words live in taper.voice: the handouts' layout, the calendar, the text table and the
    engine hold style names, table commands, protocol text and single tokens, never two words
    in a row (docstrings and the messages for whoever runs taper aside)."""
    assert not sentences_in(path), f"{path.name}: {sentences_in(path)}"


def test_the_sentence_check_finds_sentences(tmp_path: Path) -> None:
    """The check above can fail: a sentence in code, or one kept in a variable, is found; the
    same words in a raise, a warning or a variable used only by a message are not."""
    path = tmp_path / "sample.py"
    path.write_text(
        "def words(dose):\n"
        "    more = ' and more days'\n"
        "    self.warn('code', f'{dose} is high{more}')\n"
        "    if dose:\n"
        "        raise ValueError('the dose is wrong')\n"
        "    text = 'Take it by mouth'\n"
        "    return f'{text}, with food.'\n",
        encoding="utf-8",
    )
    assert sentences_in(path) == ["Take it by mouth", ", with food."]


def test_dose_instructions_in_every_form() -> None:
    """A dose carries numbers and keys (taper.records.plan.Dose); the voice words it."""
    from datetime import date, datetime

    from taper.records.plan import Dose
    from taper.voice.doses import dose_instructions
    from taper.voice.words import words_for

    english = words_for("en", "America/New_York")

    def words(**given: object) -> str:
        values: dict[str, object] = {
            "day": 1,
            "date": date(2027, 3, 1),
            "time": "08:00",
            "starts": datetime(2027, 3, 1, 8),
            "phase": "Course",
            "drug": "prednisone",
            "drug_name": "Prednisone",
            "route": "oral",
            "amount": Decimal(40),
            "unit": "mg",
            "tablets": (),
            "volume_ml": None,
            "liquid": None,
            "take": None,
            "duration_min": None,
            "where": None,
        }
        if "drug" in given:
            given["drug_name"] = given.pop("drug")
        values.update(given)
        return dose_instructions(Dose(**values), english)  # type: ignore[arg-type]

    def session_instructions(*, drug: str, number: int, sessions: int, **given: object) -> str:
        return words(
            drug=drug, route="procedure", amount=None, unit=None, session=number,
            sessions=sessions, **given,
        )  # fmt: skip

    two = (TabletCount(Decimal(20), "mg", Decimal(2)),)
    half = (TabletCount(Decimal(10), "mg", Decimal("0.5")),)
    assert words(tablets=two, take=" with food ") == (
        "Take 2 × 20 mg tablets (40 mg) by mouth, with food."
    )
    assert words(amount=Decimal(5), tablets=half) == (
        "Take ½ × 10 mg tablet (5 mg) by mouth. Cut tablets in half along the score line."
    )
    assert words(amount=Decimal(15), volume_ml=Decimal(5), liquid="15 mg/5 mL") == (
        "Measure 5 mL of the 15 mg/5 mL liquid (15 mg) and take it by mouth."
    )
    assert words(drug="Methylprednisolone", route="iv", amount=Decimal(1), unit="g") == (
        "Methylprednisolone 1 g infusion."
    )
    assert words(
        drug="Methylprednisolone",
        route="iv",
        amount=Decimal(1),
        unit="g",
        duration_min=60,
        where="Infusion center",
    ) == ("Methylprednisolone 1 g infusion over 1 h at Infusion center.")
    assert words(drug="Methylprednisolone", route="im", amount=Decimal(40)) == (
        "Methylprednisolone 40 mg injection into a muscle."
    )
    assert words(
        drug="Corticotropin",
        route="sc",
        unit="units",
        volume_ml=Decimal("0.5"),
        liquid="80 units/mL",
    ) == ("Corticotropin 40 units (0.5 mL of 80 units/mL) under the skin.")
    assert session_instructions(
        drug="Plasma exchange", number=2, sessions=3, take=None, duration_min=150, where="At home"
    ) == ("Plasma exchange session 2 of 3 at home, about 2 h 30 min.")
    assert session_instructions(
        drug="IVIG", number=1, sessions=1, take="Drink water.", duration_min=None, where=None
    ) == ("IVIG session 1 of 1. Drink water.")


def test_plain_text_has_ordinary_spaces() -> None:
    from taper.voice.text import nb, plain_text
    from taper.voice.times import clock

    assert plain_text(clock("08:00", "12h")) == "8:00 AM"
    assert plain_text(nb("60 mg") + "\u202fx") == "60 mg x"


def test_what_the_commands_print(tmp_path: Path) -> None:
    from taper.api import load as load_plan
    from taper.voice.console import check_summary, day_label, file_warning, table_dose

    path = tmp_path / "one.toml"
    path.write_text(
        'title = "One"\nstart = 2026-12-01\ntimezone = "America/Chicago"\n'
        '[care_team]\nphone = "312-555-0100"\n'
        '[[phase]]\ndrug = "prednisone"\ntablets = ["10 mg"]\nsplit = true\ndose = "5 mg"\n'
        'days = 1\nat = ["22:00"]\ntake = "with food. Do not crush."\n',
        encoding="utf-8",
    )
    plan = load_plan(path, today=date(2026, 11, 1))
    assert check_summary("one.toml", plan) == "one.toml: valid: 1 day, 1 dose, 1 warning"
    assert file_warning("one.toml", plan.warnings[0]).startswith(
        "one.toml: phase[1].at: warning [evening-dose]: a steroid dose at 22:00"
    )
    (dose,) = plan.doses
    # The phase's words up to their first full stop, without it.
    assert table_dose(plan, dose) == "Prednisone 5 mg: ½ × 10 mg tablet, with food"
    assert day_label(plan.days[0]) == "Tue 2026-12-01  day   1"


def test_a_course_without_a_title_is_named_by_its_drugs(tmp_path: Path) -> None:
    from taper.api import load as load_plan
    from taper.read.regimen import _default_title

    assert _default_title([]) == "Treatment course"
    path = tmp_path / "untitled.toml"
    path.write_text(
        'start = 2026-12-01\ntimezone = "Europe/London"\n'
        '[[phase]]\ndrug = "methylprednisolone"\nroute = "iv"\ndose = "500 mg"\ndays = 1\n'
        'at = ["09:00"]\n'
        '[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\ndays = 2\nat = ["08:00"]\n'
        '[[phase]]\nname = "Again"\ndrug = "methylprednisolone"\nroute = "iv"\ndose = "500 mg"\n'
        'days = 1\nat = ["09:00"]\n',
        encoding="utf-8",
    )
    plan = load_plan(path, today=date(2026, 11, 1))
    assert plan.title == "Methylprednisolone then Prednisone course"


def test_the_patient_language_is_read_and_only_english_and_spanish_are_supported() -> None:
    """[patient] language picks the Words a plan is printed in; an unsupported language is an
    error naming its place and the supported list (the Spanish branch adds "es")."""
    import tomllib

    import pytest

    from taper.read.regimen import parse_regimen
    from taper.voice.words import words_for

    base = (
        'start = 2027-03-01\ntimezone = "Europe/London"\n[patient]\n{line}\n'
        '[[phase]]\ndrug = "prednisone"\ntablets = ["5 mg"]\ndose = "10 mg"\ndays = 2\n'
        'at = ["08:00"]\n'
    )
    regimen, problems = parse_regimen(tomllib.loads(base.format(line='language = "en"')), "a")
    assert problems == [] and regimen is not None and regimen.language == "en"
    regimen, _ = parse_regimen(tomllib.loads(base.format(line="")), "a")
    assert regimen is not None and regimen.language == "en"  # the default
    _, problems = parse_regimen(tomllib.loads(base.format(line='language = "fr"')), "a")
    assert [f"{p.place}: {p.message}" for p in problems] == [
        'patient.language: "fr" is not a supported language; use "en" or "es"'
    ]
    assert words_for("en", "Europe/London") == ("en", "24h", "mmol/L", "GB")
    assert words_for("en", "America/Chicago") == ("en", "12h", "mg/dL", "US")
    with pytest.raises(ValueError, match='"fr" is not a supported language'):
        words_for("fr", "Europe/London")
