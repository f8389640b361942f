"""The handout's words are true for the plan it was made from (clinical review of 52bd10f).

A liquid's calendar and checklist tell the patient the mL to measure, and never break a number
across lines; sentences about the course's shape ("as your dose comes down") are printed only
for a plan of that shape; a counselling point is printed only when it holds; a capsule is
counted as a capsule; a caregiver's page speaks of "your child". Each item has its reproducer
(the reviewer's order, cut down) and an invariant over generated regimens.
"""

from __future__ import annotations

import io
import itertools
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from taper.api import render
from taper.engine.schedules import build_plan
from taper.files.packets import Options
from taper.read.errors import RegimenError
from taper.read.quantities import quantity_text
from taper.read.regimen import parse_regimen
from taper.records.plan import Plan
from taper.voice.amounts import checklist_days

STAMP = datetime(2026, 11, 22, tzinfo=UTC)
TODAY = date(2026, 11, 22)
NBSP = "\u00a0"

PROPERTY = settings(
    max_examples=12,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def order(*phases: dict[str, Any], **top: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "title": "Reproducer",
        "start": date(2026, 12, 14),
        "timezone": "America/Chicago",
        "patient": {"name": "Test Patient", "weight": "21.4 kg"},
        "care_team": {"clinic": "Clinic", "phone": "555-0100"},
        "phase": [{"name": f"Phase {n}", **p} for n, p in enumerate(phases, 1)],
        # Written before the after key: each course stops on its last day (test_after.py).
        "after": "stop",
    }
    return document | top


def key_of(document: dict[str, Any]) -> str:
    return repr(sorted(document.items(), key=lambda item: item[0]))


_plans: dict[str, Plan] = {}


def plan_of(document: dict[str, Any]) -> Plan:
    key = key_of(document)
    if key not in _plans:
        regimen, problems = parse_regimen(document, "generated.toml")
        if regimen is None:
            raise RegimenError("generated.toml", problems)
        _plans[key] = build_plan(regimen, problems, today=TODAY)
    return _plans[key]


@cache
def _lines(key: str, name: str, large: bool) -> tuple[str, ...]:
    options = Options(stamp=STAMP, large_print=large) if large else Options(stamp=STAMP)
    data = render(_plans[key], name, options)
    reader = PdfReader(io.BytesIO(data))
    return tuple(
        " ".join(line.replace(NBSP, " ").split())
        for page in reader.pages
        for line in page.extract_text().splitlines()
        if line.strip()
    )


def lines_of(document: dict[str, Any], name: str = "patient.pdf", large: bool = False) -> list[str]:
    plan_of(document)
    return list(_lines(key_of(document), name, large))


def text_of(document: dict[str, Any], name: str = "patient.pdf") -> str:
    return " ".join(lines_of(document, name))


# -- 1. a liquid's calendar and checklist say the mL, and never break a number -------------------

DMD = order(
    {
        "drug": "deflazacort",
        "liquid": "22.75 mg/mL",
        "dose": "0.9 mg/kg",
        "days": 182,
        "at": ["breakfast"],
        "given_by": "caregiver",
    }
)

# A line that ends in a number, followed by one that starts with a digit or a point: a number
# broken across lines ("19.337" above "5 mg"). A calendar date alone on its line ("3") and a
# cell ending in a year ("Jun 13, 2027" beside "182 days") are not.
_DATE_LABEL = re.compile(r"^\d{1,2}$|\b\d{4}$")


def broken_numbers(lines: list[str]) -> list[tuple[str, str]]:
    return [
        (first, second)
        for first, second in itertools.pairwise(lines)
        if re.search(r"[\d.]$", first)
        and not _DATE_LABEL.search(first)
        and re.match(r"[\d.]", second)
    ]


def test_child_liquid_calendar_prints_the_ml_to_measure_and_no_broken_number() -> None:
    lines = lines_of(DMD)
    calendar = lines[lines.index("Your calendar") : lines.index("Day by day")]
    assert not any(line == "19.337" or line == "5 mg" for line in calendar), calendar[:40]
    assert sum(line.endswith("0.9 mL") for line in calendar) == 182
    assert not broken_numbers(calendar)


def test_child_liquid_calendar_in_large_print_keeps_each_amount_whole() -> None:
    lines = lines_of(DMD, large=True)
    calendar = lines[lines.index("Your calendar") : lines.index("Day by day")]
    assert sum(line.endswith("0.9 mL") for line in calendar) == 182
    assert not broken_numbers(calendar)


LIQUIDS = {
    "prednisone": ("5 mg/5 mL", "5 mg/mL"),
    "prednisolone": ("15 mg/5 mL",),
    "dexamethasone": ("1 mg/mL", "0.5 mg/5 mL"),
    "deflazacort": ("22.75 mg/mL",),
}
PER_KG = {"prednisone": "1 mg/kg", "prednisolone": "1 mg/kg", "deflazacort": "0.9 mg/kg"}


@st.composite
def liquid_orders(draw: st.DrawFn) -> dict[str, Any]:
    """An oral liquid, mg or per kg, short (a full calendar) or long (months in miniature),
    given by the patient or a caregiver, once or twice a day."""
    drug = draw(st.sampled_from(sorted(LIQUIDS)))
    weight = draw(st.sampled_from(["12.5 kg", "21.4 kg", "34.9 kg"]))
    phase: dict[str, Any] = {
        "drug": drug,
        "liquid": draw(st.sampled_from(LIQUIDS[drug])),
        "days": draw(st.sampled_from([1, 3, 10, 30, 93, 120])),
        "at": draw(st.sampled_from([["breakfast"], ["breakfast", "supper"]])),
    }
    if drug in PER_KG and draw(st.booleans()):
        phase["dose"] = PER_KG[drug]
        phase["max"] = "30 mg"
    else:
        phase["dose"] = draw(st.sampled_from(["1 mg", "2.5 mg", "4 mg", "6 mg"]))
    if draw(st.booleans()):
        phase["given_by"] = "caregiver"
    return order(phase, patient={"name": "Test Patient", "weight": weight})


@PROPERTY
@given(liquid_orders())
def test_every_liquid_cell_says_the_ml_and_no_number_is_broken(document: dict[str, Any]) -> None:
    plan = plan_of(document)
    note(repr(document))
    lines = lines_of(document)
    calendar = lines[lines.index("Your calendar") : lines.index("Day by day")]
    checklist = lines[lines.index("Day by day") : lines.index("What to watch for")]
    assert not broken_numbers(calendar + checklist), broken_numbers(calendar + checklist)
    first, last = checklist_days(plan)
    # Every dosing day's cell in the calendar, and every dose in the checklist, names its mL.
    for day in plan.days:
        for dose in day.doses:
            assert dose.volume_ml is not None
            volume = quantity_text(dose.volume_ml, "mL").replace(NBSP, " ")
            assert any(volume in line for line in calendar), (day.day, volume)
    volumes = [
        quantity_text(dose.volume_ml, "mL").replace(NBSP, " ")
        for day in plan.days
        if first <= day.day <= last
        for dose in day.doses
        if dose.volume_ml is not None
    ]
    with_ml = [line for line in checklist if re.search(r"\d mL", line)]
    assert len(with_ml) >= len(volumes)
    # A liquid's mg amount is never the only amount in its cell: its mL is on that line or, in
    # a narrow calendar cell, the next one ("8:00 AM 1 mg:" above "0.04 mL").
    amounts = {
        quantity_text(dose.amount, dose.unit).replace(NBSP, " ")
        for day in plan.days
        for dose in day.doses
        if dose.amount is not None and dose.unit is not None
    }
    for part in (calendar, checklist):
        for line, after in itertools.pairwise([*part, ""]):
            for amount in amounts:
                if re.search(rf"(?<![\d.]){re.escape(amount)}", line):
                    assert "mL" in line or (line.endswith(":") and "mL" in after), line


# -- 2, 3. sentences about the course's shape are printed only for a plan of that shape ----------

TAPER = order(
    {
        "drug": "prednisone",
        "tablets": ["20 mg", "10 mg", "5 mg"],
        "at": ["breakfast"],
        "steps": [
            {"dose": "40 mg", "days": 60},
            {"dose": "20 mg", "days": 30},
            {"dose": "10 mg", "days": 10},
            {"dose": "5 mg", "days": 10},
        ],
    },
    patient={"name": "Test Patient", "weight": "70 kg"},
)
FLAT_DIVIDED = order(
    {
        "drug": "hydrocortisone",
        "tablets": ["10 mg", "5 mg"],
        "at": ["wake", "lunch", "16:00"],
        "steps": [{"days": 42, "at": {"wake": "10 mg", "lunch": "5 mg", "16:00": "5 mg"}}],
    }
)
DIVIDED_TAPER = order(
    {
        "drug": "prednisone",
        "tablets": ["5 mg"],
        "at": ["breakfast", "supper"],
        "steps": [{"dose": "10 mg", "days": 14}, {"dose": "5 mg", "days": 14}],
    },
    patient={"name": "Test Patient", "weight": "70 kg"},
)

# The words that say the dose changes or comes down, in English and in Spanish.
COMES_DOWN = ("dose comes down", "dosis baja", "dosis baje", "dosis de su niño baja")
CHANGES = (
    "The dose changes on the dates",
    "They show every dose change",
    "La dosis cambia",
    "cambio de dosis",
)


def test_a_flat_six_month_course_never_says_the_dose_comes_down() -> None:
    text = text_of(DMD)
    assert not any(words in text for words in COMES_DOWN + CHANGES), text
    assert "These can start after your child's last dose (Sunday, June 13, 2027)" in text


def test_a_tapering_course_says_its_dose_comes_down_and_changes() -> None:
    text = text_of(TAPER)
    assert "when your dose comes down to the last low doses" in text
    assert "The dose changes on the dates shown" in text
    assert "They show every dose change." in text


def test_divided_doses_change_from_day_to_day_only_when_they_do() -> None:
    assert "changes from day to day" not in text_of(FLAT_DIVIDED, "pharmacist.pdf")
    assert "Divided doses: the daily amount is split across the day." in text_of(
        FLAT_DIVIDED, "pharmacist.pdf"
    )
    assert "changes from day to day" in text_of(DIVIDED_TAPER, "pharmacist.pdf")


@st.composite
def shaped_orders(draw: st.DrawFn) -> dict[str, Any]:
    """A prednisone course that is flat, goes down, goes up, or goes down then back up;
    short or long; once or twice a day."""
    shape = draw(st.sampled_from(["flat", "down", "up", "down-up"]))
    days = draw(st.sampled_from([5, 30, 50]))
    doses = {"flat": [20, 20], "down": [40, 20], "up": [10, 20], "down-up": [20, 10, 20]}[shape]
    at = draw(st.sampled_from([["breakfast"], ["breakfast", "supper"]]))
    phase: dict[str, Any] = {
        "drug": "prednisone",
        "tablets": ["5 mg"],
        "at": at,
        "steps": [{"dose": f"{dose} mg", "days": days} for dose in doses],
    }
    document = order(phase, patient={"name": "Test Patient", "weight": "70 kg"})
    if draw(st.booleans()):
        document["patient"]["language"] = "es"
    return document


@PROPERTY
@given(shaped_orders())
def test_shape_sentences_hold_for_the_plan(document: dict[str, Any]) -> None:
    """Every sentence that says the dose comes down, or changes, is true for the plan."""
    plan = plan_of(document)
    note(repr(document))
    text = text_of(document)
    sheet = text_of(document, "pharmacist.pdf")
    totals = [
        sum((dose.amount or 0 for dose in day.doses), Decimal(0)) for day in plan.days if day.doses
    ]
    if any(words in text for words in COMES_DOWN):
        assert totals[-1] < max(totals)
    if any(words in text for words in CHANGES):
        assert len(set(totals)) > 1
    if "changes from day to day" in sheet:
        assert len(set(totals)) > 1


# -- 7. the sheet says what was measured, not that it is the nearest dose ------------------------


def test_a_rounded_liquid_dose_says_the_volume_measured_and_the_dose_it_gives() -> None:
    sheet = text_of(DMD, "pharmacist.pdf")
    assert "nearest dose the product makes" not in sheet
    assert "0.9 mg/kg × 21.4 kg = 19.26 mg; measured as 0.9 mL, which gives 20.475 mg" in sheet


# -- 6. the clinician's own words never run on into a dose; the clock-change warning is whole ----

CAPSULES = order(
    {
        "drug": "entocort ec",
        "tablets": ["3 mg"],
        "at": ["breakfast"],
        "take": "swallow the capsules whole",
        "steps": [{"dose": "9 mg", "days": 56}, {"dose": "6 mg", "days": 14}],
    },
    patient={"name": "Test Patient", "weight": "52 kg"},
)


def test_an_instruction_of_the_clinicians_is_its_own_sentence_in_the_sig() -> None:
    sheet = text_of(CAPSULES, "pharmacist.pdf")
    assert "with breakfast swallow" not in sheet
    assert "with breakfast for 56 days, then" in sheet
    assert "then stop. Swallow the capsules whole." in sheet
    divided = text_of(
        {
            **FLAT_DIVIDED,
            "phase": [{**FLAT_DIVIDED["phase"][0], "take": ("the first dose as soon as you wake")}],
        },
        "pharmacist.pdf",
    )
    assert "Take by mouth the first dose" not in divided
    assert "then stop. The first dose as soon as you wake." in divided


@PROPERTY
@given(
    st.sampled_from(
        [
            "with food",
            "after meals",
            "in the morning",
            "swallow the capsules whole",
            "the first dose as soon as you wake",
            "do not crush",
            "30 minutes before breakfast",
        ]
    ),
    st.sampled_from([["breakfast"], ["wake", "16:00"]]),
    st.booleans(),
)
def test_a_take_joins_the_sig_as_a_phrase_or_stands_alone(
    take: str, at: list[str], steps: bool
) -> None:
    phase: dict[str, Any] = {"drug": "prednisone", "tablets": ["5 mg"], "at": at, "take": take}
    if steps:
        phase["steps"] = [{"dose": "10 mg", "days": 3}, {"dose": "5 mg", "days": 3}]
    else:
        phase |= {"dose": "10 mg", "days": 3}
    document = order(phase, patient={"name": "Test Patient", "weight": "70 kg"})
    sheet = text_of(document, "pharmacist.pdf")
    runs_on = take.split()[0] in ("with", "after", "in", "before")
    if runs_on:
        return
    # Not a phrase that reads on: never after a slot, a time or "by mouth"; its own sentence.
    assert not re.search(rf"(breakfast|wake up|\d\d:\d\d|by mouth) {re.escape(take)}", sheet)
    assert f"{take[:1].upper()}{take[1:]}." in sheet


BETAMETHASONE = {
    "title": "Antenatal corticosteroids",
    "start": date(2027, 10, 2),
    "timezone": "Australia/Sydney",
    "patient": {"name": "Test Patient", "weight": "68 kg"},
    "care_team": {"clinic": "Clinic", "phone": "02 5555 0120"},
    "phase": [
        {
            "name": "Betamethasone",
            "drug": "betamethasone",
            "route": "im",
            "given_by": "staff",
            "liquid": "6 mg/mL",
            "dose": "12 mg",
            "every": "24h",
            "days": 2,
            "at": ["10:00"],
        }
    ],
}


def test_the_clock_change_warning_is_one_clear_sentence() -> None:
    plan = plan_of(BETAMETHASONE)
    moved = next(w for w in plan.warnings if w.code == "dst-interval")
    assert moved.message == (
        "the clocks change during the every 24 hours series, and the doses stay exactly 24 hours "
        "apart, so the doses from 11:00 on 2027-10-03 onward are at 11:00 by the clock, not at "
        "10:00"
    )


# -- 5. a caregiver's page speaks of the child, and has one missed-dose rule ---------------------

# Sentences that speak to the patient where a caregiver's page has a form about the child.
PATIENT_ADDRESSED = (
    "harming yourself",
    "You may find it hard to sleep",
    "You may feel",
    "You may get a headache",
    "Your stomach may feel",
    "Your face may feel",
    "Your body may hold",
    "You have been near someone",
    "change in your eyesight",
    "Feeling dizzy when you stand up",
    "Measure your liquid medicine",
    "You will take this steroid",
    "when you have taken each dose",
    "if you have any of these",
    "but you take nothing",
    "your last dose",
    "as your dose comes down",
    "can make you unwell",
    "Do not stop taking",
)


def test_a_childs_page_speaks_of_the_child_and_has_one_missed_dose_rule() -> None:
    text = text_of(DMD)
    for phrase in PATIENT_ADDRESSED:
        assert phrase not in text, phrase
    assert "Your child will take this steroid every day for more than 3 months." in text
    assert "Measure your child's liquid medicine in mL" in text
    assert "do not skip doses" not in text
    assert "skip it and give the next dose" in text


@st.composite
def caregiver_orders(draw: st.DrawFn) -> dict[str, Any]:
    """A child's oral steroid given by a parent: tablets or a liquid, high or usual dose,
    short or long (the card, adrenal, bone and watch sections all come in)."""
    liquid = draw(st.booleans())
    drug = draw(st.sampled_from(["prednisolone", "dexamethasone", "deflazacort"]))
    phase: dict[str, Any] = {
        "drug": drug,
        "at": draw(st.sampled_from([["breakfast"], ["breakfast", "supper"]])),
        "given_by": "caregiver",
        "days": draw(st.sampled_from([1, 5, 30, 120])),
    }
    if drug == "deflazacort":
        phase |= {"liquid": "22.75 mg/mL"} if liquid else {"tablets": ["6 mg", "18 mg"]}
        phase["dose"] = "18 mg" if not liquid else "0.9 mg/kg"
    elif drug == "prednisolone":
        phase |= {"liquid": "15 mg/5 mL"} if liquid else {"tablets": ["5 mg"]}
        phase["dose"] = draw(st.sampled_from(["10 mg", "20 mg"]))
    else:
        phase |= {"liquid": "1 mg/mL"} if liquid else {"tablets": ["2 mg"]}
        phase["dose"] = draw(st.sampled_from(["2 mg", "6 mg"]))
    document = order(phase, patient={"name": "Test Patient", "weight": "21.4 kg"})
    if draw(st.booleans()):
        document["patient"]["conditions"] = ["diabetes"]
    return document


@PROPERTY
@given(caregiver_orders())
def test_a_caregivers_handout_never_speaks_to_the_patient(document: dict[str, Any]) -> None:
    note(repr(document))
    text = text_of(document)
    found = [phrase for phrase in PATIENT_ADDRESSED if phrase in text]
    assert not found, found
    # One missed-dose rule per page: nothing else tells the parent not to skip.
    assert "do not skip doses" not in text


def test_deflazacort_per_kg_follows_the_labels_rounding_unless_the_phase_says_otherwise() -> None:
    """EMFLAZA's label rounds a weight-based dose UP: the suspension to the nearest 0.1 mL
    (clinical-reference-3 §2). 0.9 mg/kg × 21.4 kg is 0.847 mL: 0.9 mL by default (the
    second review found 0.85 mL), 0.8 mL with round = "down", and tablets go up too."""
    from pathlib import Path

    from taper.api import load

    order = Path(__file__).parent / "data" / "review" / "01-dmd-deflazacort-child.toml"
    text = 'after = "continue"\n' + order.read_text(encoding="utf-8")  # lifelong in DMD

    def volumes(regimen: str) -> set[Decimal | None]:
        plan = load(regimen.encode("utf-8"), today=date(2026, 11, 22))
        return {dose.volume_ml for dose in plan.doses}

    assert volumes(text) == {Decimal("0.9")}
    down = text.replace('dose = "0.9 mg/kg"', 'dose = "0.9 mg/kg"\nround = "down"')
    assert volumes(down) == {Decimal("0.8")}
    tablets = text.replace('liquid = "22.75 mg/mL"', 'tablets = ["6 mg", "18 mg"]')
    plan = load(tablets.encode("utf-8"), today=date(2026, 11, 22))
    assert {dose.amount for dose in plan.doses} == {Decimal("24")}  # 19.26 mg, up: 18 + 6
