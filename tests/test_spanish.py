"""The patient's handout and reminders in Spanish (issue 22): the catalogue is complete and
keeps every placeholder, every template's handout and reminders are read back with no English
sentence left (beyond the clinician's own text and the one English emergency line), the numbers
are the English packet's, the staff sheets change by their language line only, and the bytes do
not depend on the machine's locale.

English is detected against independent lists: a word list of common English words that are
not Spanish, and the English catalogue's own sentences (every msgid of more than four words
whose Spanish differs), searched in the text read back with pypdf and icalendar.
"""

from __future__ import annotations

import io
import json
import os
import re
import string
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
import pypdf
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from taper.api import load as load_plan
from taper.cli import main
from taper.export.ics import render_ics
from taper.export.json import render_json
from taper.export.pdf import render_pdf
from taper.read.templates import list_templates, render_template
from taper.records.plan import Plan, TabletCount
from taper.voice import lang
from taper.voice.console import free_texts, language_warnings
from taper.voice.doses import tablet_phrase, tablets_count
from taper.voice.times import at_clock, clock, long_date

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "taper" / "locale" / "es" / "LC_MESSAGES" / "taper.po"
TODAY = date(2026, 11, 22)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)  # the SOURCE_DATE_EPOCH conftest sets
TEMPLATES = [t.name for t in list_templates()]
EMERGENCY_ENGLISH = re.compile(r"In an emergency: call \S+")

# Common English words that are not Spanish words ("may" is: CLDR's "may" for mayo): one of
# them in the patient's Spanish text is an English sentence left behind.
ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "your",
        "you",
        "take",
        "tablet",
        "tablets",
        "with",
        "day",
        "days",
        "dose",
        "doses",
        "of",
        "to",
        "at",
        "for",
        "if",
        "or",
        "is",
        "are",
        "when",
        "what",
        "this",
        "that",
        "not",
        "each",
        "every",
        "from",
        "after",
        "before",
        "by",
        "mouth",
        "food",
        "it",
        "on",
        "have",
        "has",
        "can",
        "will",
        "week",
        "weeks",
        "hours",
        "morning",
        "night",
        "noon",
        "midnight",
        "page",
        "call",
        "today",
        "now",
        "emergency",
        "go",
        "do",
        "does",
        "don't",
        "should",
        "must",
        "more",
        "less",
        "than",
        "about",
        "any",
        "some",
        "other",
        "into",
        "under",
        "skin",
        "vein",
        "infusion",
        "drip",
        "injection",
        "session",
        "sessions",
        "done",
        "time",
        "check",
        "also",
        "appointment",
        "calendar",
        "remind",
        "reminder",
        "reminders",
        "watch",
        "side",
        "effects",
        "mild",
        "expected",
        "usually",
        "keep",
        "stop",
        "start",
        "miss",
        "missed",
        "never",
        "always",
        "tell",
        "doctor",
        "doctors",
        "vaccine",
        "vaccines",
        "sugar",
        "blood",
        "pressure",
        "bones",
        "ill",
        "sick",
    ]
)


def _catalogue() -> list[tuple[str | None, object, object, bool]]:
    with PO.open("rb") as handle:
        po = read_po(handle, locale="es")
    return [(m.context, m.id, m.string, m.fuzzy) for m in po if m.id]


_FIELD = re.compile(r"{(\w*)[^{}]*}")


def _fields(text: str) -> list[str]:
    return sorted(_FIELD.findall(text.replace("{{", "").replace("}}", "")))


# -- the catalogue ------------------------------------------------------------------------------


def test_every_patient_message_is_translated_and_none_is_fuzzy() -> None:
    missing = []
    for context, msgid, msgstr, fuzzy in _catalogue():
        forms = msgstr if isinstance(msgstr, (list, tuple)) else [msgstr]
        if fuzzy or not all(forms):
            missing.append((context, msgid))
    assert missing == []


def test_every_translation_keeps_the_english_placeholders() -> None:
    differ = []
    for context, msgid, msgstr, _ in _catalogue():
        ids = msgid if isinstance(msgid, (list, tuple)) else [msgid]
        forms = msgstr if isinstance(msgstr, (list, tuple)) else [msgstr]
        wanted = _fields(ids[-1])
        for form in forms:
            if _fields(form) != wanted:
                differ.append((context, ids[0], form))
    assert differ == []


def test_the_catalogue_is_in_step_with_the_code_and_the_data() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "catalogue.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_missing_or_fuzzy_message_would_print_english(tmp_path: Path) -> None:
    """The fallback the two tests above guard: the lookup skips a fuzzy entry."""
    catalogue = lang.catalogue("es")
    assert catalogue[(None, "Your calendar")] == "Su calendario"
    with lang.speaking("es"):
        assert lang._("A sentence no catalogue has.") == "A sentence no catalogue has."


# -- CLDR and the grammar that agrees -----------------------------------------------------------


def test_dates_times_and_prepositions_come_from_cldr_es_us() -> None:
    with lang.speaking("es"):
        assert long_date(date(2026, 12, 7)) == "lunes, 7 de diciembre de 2026"
        assert clock("18:00", "12h") == "6:00\u00a0p.m."
        assert clock("00:00", "12h") == "medianoche"
        assert clock("12:00", "12h") == "mediodía"
        assert at_clock("13:00", "12h") == "a la 1:00\u00a0p.m."
        assert at_clock("13:30", "12h") == "a la 1:30\u00a0p.m."
        assert at_clock("18:00", "12h") == "a las 6:00\u00a0p.m."
        assert at_clock("00:00", "12h") == "a medianoche"
        assert at_clock("12:00", "12h") == "al mediodía"
        assert lang.list_of(["fiebre", "dolor", "inflamación"]) == "fiebre, dolor e inflamación"


def test_tablets_agree_in_number_with_their_own_count() -> None:
    from decimal import Decimal as D

    def one(count: D, strength: D, unit: str) -> TabletCount:
        return TabletCount(strength, unit, count)

    with lang.speaking("es"):
        assert tablet_phrase((one(D(1), D(10), "mg"),)) == "1 tableta de 10 mg"
        assert tablet_phrase((one(D(3), D(20), "mg"),)) == "3 tabletas de 20 mg"
        assert tablet_phrase((one(D("0.5"), D(10), "mg"),)) == "media tableta de 10 mg"
        assert tablet_phrase((one(D("1.5"), D(10), "mg"),)) == "1½ tabletas de 10 mg"
        assert (
            tablet_phrase((one(D(2), D(20), "mg"), one(D(1), D(10), "mg")))
            == "2 tabletas de 20 mg y 1 tableta de 10 mg"
        )
        assert tablets_count(D("0.5")) == "media tableta"
    # English is as it was.
    assert tablet_phrase((one(D(3), D(20), "mg"),)) == "3 × 20 mg tablets"


# -- every template in Spanish ------------------------------------------------------------------


def _plan(tmp_path: Path, name: str, language: str = "es") -> Plan:
    text = render_template(
        name, start=date(2026, 12, 7), weight="70 kg", timezone="America/New_York", height="120 cm"
    )
    text = text.replace("[patient]\n", f'[patient]\nlanguage = "{language}"\n', 1)
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return load_plan(path, today=TODAY)


# The calendar apps' names stay as brands (SPANISH.md (c)).
CALENDAR_APPS = ("Apple Calendar", "Google Calendar", "Outlook", "Thunderbird", "ICSx5")


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text)


def _free_words(plan: Plan) -> set[str]:
    """The words of the clinician's own text, printed as written (and warned about)."""
    texts = [text for _, text in free_texts(plan)]
    texts += [plan.patient.name or "", *(p.drug_name for p in plan.phases), *CALENDAR_APPS]
    return {word.casefold() for text in texts for word in _words(text)}


def _english_left(text: str, plan: Plan) -> list[str]:
    text = EMERGENCY_ENGLISH.sub(" ", " ".join(text.replace("\u00a0", " ").split()))
    text = text.replace("reminders.ics", " ")  # the file's name
    text = re.sub(r"\S+…", " ", text)  # the footer's title, cut short mid-word
    free = _free_words(plan)
    found = [
        word
        for word in _words(text)
        if word.casefold() in ENGLISH_WORDS and word.casefold() not in free
    ]
    for _, msgid, msgstr, _ in _catalogue():
        english = msgid[0] if isinstance(msgid, (list, tuple)) else msgid
        spanish = msgstr[0] if isinstance(msgstr, (list, tuple)) else msgstr
        plain = english.strip()
        if "{" in plain or len(plain.split()) <= 4 or spanish == english:
            continue
        if plain.rstrip(".:") in text:
            found.append(plain)
    return found


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(page.extract_text() for page in reader.pages)


def _ics_text(data: bytes) -> str:
    calendar = icalendar.Calendar.from_ical(data)
    parts = [str(calendar.get("NAME", ""))]
    for event in calendar.walk("VEVENT"):
        parts += [str(event.get("SUMMARY")), str(event.get("DESCRIPTION"))]
        for alarm in event.walk("VALARM"):
            parts.append(str(alarm.get("DESCRIPTION")))
    return "\n".join(parts)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_builds_in_spanish_with_no_english_left(name: str, tmp_path: Path) -> None:
    plan = _plan(tmp_path, name)
    handout = _pdf_text(render_pdf(plan, "patient", stamp=STAMP))
    large = _pdf_text(render_pdf(plan, "patient", stamp=STAMP, large_print=True))
    reminders = _ics_text(render_ics(plan, stamp=STAMP))
    for text in (handout, large, reminders):
        assert _english_left(text, plan) == []
    assert "Su plan de tratamiento" in handout
    assert "In an emergency: call 911" in handout  # the one English line, under the Spanish
    assert "En una emergencia: llame al 911" in " ".join(handout.split())
    assert "Día 1 de " in reminders


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_spanish_plan_has_the_english_numbers(name: str, tmp_path: Path) -> None:
    english = json.loads(render_json(_plan(tmp_path, name, "en")))
    spanish = json.loads(render_json(_plan(tmp_path, name, "es")))
    for document in (english, spanish):
        document.pop("language", None)
        document.get("patient", {}).pop("language", None)
    assert spanish == english


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if not re.match(r"Page \d+ of \d+", line)}


@pytest.mark.parametrize("audience", ["pharmacist", "nurse"])
def test_staff_sheets_stay_english_but_for_the_language_line(audience: str, tmp_path: Path) -> None:
    name = "ms-iv-pulse-then-prednisone-taper"
    english = _pdf_text(render_pdf(_plan(tmp_path, name, "en"), audience, stamp=STAMP))
    spanish = _pdf_text(render_pdf(_plan(tmp_path, name, "es"), audience, stamp=STAMP))
    assert "Patient's language" in spanish and "Patient's language" not in english
    # The same lines (a page may break elsewhere), but for the language line.
    added = _lines(spanish) - _lines(english)
    assert " ".join(sorted(added)).startswith("Patient's language")
    assert all("Spanish" in line or "interpreter" in line or "language" in line for line in added)
    assert _lines(english) - _lines(spanish) == set()


def test_spanish_packets_are_the_same_bytes_in_every_system_locale(tmp_path: Path) -> None:
    regimen = tmp_path / "r.toml"
    regimen.write_text(
        render_template(
            "gca-prednisone-2-year-taper",
            start=date(2026, 12, 7),
            weight="70 kg",
            timezone="America/New_York",
        ).replace("[patient]\n", '[patient]\nlanguage = "es"\n', 1),
        encoding="utf-8",
    )
    outputs = []
    for locale in ("C", "de_DE.UTF-8", "es_ES.UTF-8"):
        env = {**os.environ, "LANG": locale, "LC_ALL": locale, "SOURCE_DATE_EPOCH": "1795305600"}
        folder = tmp_path / f"out-{locale}"
        subprocess.run(
            [sys.executable, "-m", "taper", "build", str(regimen), "-o", str(folder)],
            check=True,
            env=env,
            capture_output=True,
        )
        outputs.append({path.name: path.read_bytes() for path in sorted(folder.iterdir())})
    assert outputs[0] == outputs[1] == outputs[2]
    assert b"Su calendario" in outputs[0]["reminders.ics"] or outputs[0]["patient.pdf"]


# -- the ways in: the key, --lang, the API ------------------------------------------------------


def test_an_unsupported_language_is_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    plan_text = render_template(
        "copd-prednisone-5-day", start=date(2026, 12, 7), weight=None, timezone="America/Denver"
    )
    regimen = tmp_path / "r.toml"
    regimen.write_text(plan_text.replace("[patient]\n", '[patient]\nlanguage = "fr"\n', 1))
    runner = CliRunner()
    result = runner.invoke(main, ["build", str(regimen), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert 'patient.language: "fr" is not a supported language; use "en" or "es"' in result.output
    assert not (tmp_path / "out").exists()
    regimen.write_text(plan_text)
    result = runner.invoke(
        main,
        ["pdf", str(regimen), "-o", str(tmp_path / "p.pdf"), "--for", "patient", "--lang", "fr"],
    )
    assert result.exit_code == 2
    assert "'fr' is not one of 'en', 'es'" in result.output
    assert not (tmp_path / "p.pdf").exists()


def test_lang_overrides_the_file_and_watch_speaks_spanish(tmp_path: Path) -> None:
    regimen = tmp_path / "r.toml"
    regimen.write_text(
        render_template(
            "copd-prednisone-5-day", start=date(2026, 12, 7), weight=None, timezone="America/Denver"
        )
    )
    runner = CliRunner()
    result = runner.invoke(main, ["ics", str(regimen), "-o", "-", "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert "Prednisona 40 mg" in result.output
    watch = runner.invoke(main, ["watch", str(regimen), "--lang", "es"])
    assert "Puede tener problemas para dormir (insomnio)." in watch.output
    english = runner.invoke(main, ["watch", str(regimen)])
    assert "You may find it hard to sleep." in english.output


def test_check_warns_that_the_clinicians_own_text_prints_as_written(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "ms-iv-pulse-then-prednisone-taper")
    places = {w.place for w in language_warnings(plan)}
    assert {"title", "phase[1].name", "phase[1].where"} <= places
    assert language_warnings(_plan(tmp_path, "ms-iv-pulse-then-prednisone-taper", "en")) == []
    assert all(string.printable for w in language_warnings(plan))  # staff words: English


def test_the_handout_fonts_draw_every_character_of_the_spanish_catalogue() -> None:
    """Both embedded fonts (regular and bold) draw á é í ó ú ñ ü ¿ ¡ and every other character
    a Spanish message holds; no narrow no-break space (reportlab breaks a line at it)."""
    from taper.export.pdf.layout import _register_fonts

    drawable = _register_fonts()
    characters = set("áéíóúñüÁÉÍÓÚÑÜ¿¡«»\u00a0")
    for _, _, msgstr, _ in _catalogue():
        for form in msgstr if isinstance(msgstr, (list, tuple)) else [msgstr]:
            characters |= set(form)
    assert sorted(c for c in characters if ord(c) not in drawable and c != "\n") == []
    assert "\u202f" not in characters


# -- issue 25's orders in Spanish: a caregiver, croup, pregnancy, chemotherapy, staff doses -----


def _order(phases: str, conditions: str = "[]", team: str = "") -> str:
    return (
        'after = "stop"\ntitle = "Course"\nstart = 2026-12-10\n'
        'timezone = "America/Chicago"\nrevision = 0\n\n'
        f'[patient]\nlanguage = "es"\nname = "Pat"\nweight = "18 kg"\nconditions = {conditions}\n\n'
        f'[care_team]\nclinic = "Clinic"\nphone = "312-555-0100"\n{team}\n\n{phases}'
    )


_DEFLAZACORT = """[[phase]]
name = "Deflazacort"
drug = "deflazacort"
liquid = "22.75 mg/mL"
given_by = "caregiver"
dose = "16 mg"
days = 180
at = ["breakfast"]
take = "with food"
"""
_CROUP = """[[phase]]
name = "Dexamethasone"
drug = "dexamethasone"
liquid = "1 mg/mL"
given_by = "caregiver"
dose = "2.4 mg"
days = 1
at = ["09:00"]
"""
_PREGNANCY = """[[phase]]
name = "Prednisolone"
drug = "prednisolone"
tablets = ["5 mg"]
at = ["breakfast"]
take = "with breakfast"
taper = { from = "40 mg", to = "5 mg", by = "5 mg", every = 7 }
"""
_DOCETAXEL = """[[phase]]
name = "Dexamethasone"
drug = "dexamethasone"
tablets = ["4 mg"]
dose = "8 mg"
days = 3
at = ["breakfast", "supper"]
take = "with or after food"
missed = "Llame al centro de cáncer antes de su infusión."
"""
_BETAMETHASONE = """[[phase]]
name = "Betamethasone"
drug = "betamethasone"
route = "im"
given_by = "staff"
liquid = "6 mg/mL"
dose = "12 mg"
days = 2
at = ["10:00"]
"""
ISSUE_25_ORDERS = {
    "deflazacort-by-a-parent": (
        _order(_DEFLAZACORT),
        [
            "Señales de que al cuerpo de su niño le falta esteroide",
            "Siga dándole el esteroide cuando su niño esté enfermo.",
            "Un sarpullido nuevo en la piel.",
            "No lo tome con jugo de toronja.",
            "y déselo a su niño por vía oral",
            "Mida el medicamento líquido de su niño en mL",
            "Su niño tomará este esteroide todos los días",
        ],
    ),
    "croup": (
        _order(_CROUP, '["croup"]'),
        ["Esta es una dosis única.", "una sola vez", "Su niño hace mucho esfuerzo"],
    ),
    "pregnancy-with-a-maternity-number": (
        _order(_PREGNANCY, '["pregnancy"]', 'maternity_phone = "312-555-0111"'),
        [
            "Llame a su sala de maternidad (labor y parto) al 312-555-0111.",
            "Sangrado abundante por la vagina",
            "Esté atento a estas señales desde el",
        ],
    ),
    "docetaxel-premedication": (
        _order(_DOCETAXEL, '["chemotherapy"]'),
        [
            "Llame a la línea de 24 horas de su centro de cáncer (pida el número",
            "Una temperatura de 37.5 °C",
            "con alimentos o después de comer",
        ],
    ),
    "antenatal-betamethasone": (
        _order(_BETAMETHASONE, '["pregnancy"]'),
        ["Si no puede venir a una infusión (suero por la vena) o a una inyección"],
    ),
}


@pytest.mark.parametrize("name", sorted(ISSUE_25_ORDERS))
def test_issue_25_orders_build_in_spanish_with_no_english_left(name: str, tmp_path: Path) -> None:
    text, expected = ISSUE_25_ORDERS[name]
    path = tmp_path / "order.toml"
    path.write_text(text, encoding="utf-8")
    plan = load_plan(path, today=TODAY)
    handout = _pdf_text(render_pdf(plan, "patient", stamp=STAMP))
    reminders = _ics_text(render_ics(plan, stamp=STAMP))
    for found in (handout, reminders):
        assert _english_left(found, plan) == []
    flat = " ".join(handout.replace("\u00a0", " ").split()) + " " + reminders
    for sentence in expected:
        assert sentence in flat
