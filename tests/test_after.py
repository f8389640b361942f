"""Review 2, could-harm A1: a course that must not stop was printed with a last dose and "then
stop" (Addison's hydrocortisone, a polymyalgia taper ending at 8 mg, Duchenne deflazacort).

A regimen says what follows its last day: ``after = "stop"`` or ``after = "continue"``. Without
it, a long course that ends above the adrenal rule's 5 mg a day (prednisone-equivalent), or a
course that ends on a replacement or maintenance drug (oral hydrocortisone, deflazacort), is
refused; with ``"continue"`` no sentence says the course stops or names a last dose.

The pharmacist's orders are in tests/data/review (n1, n2, n4 and 01, copied as they were
written)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from invariant_strategies import regimens

from taper.api import load
from taper.engine.schedules import build_plan
from taper.export.fhir import render_fhir
from taper.export.ics import render_ics
from taper.export.pdf import render_pdf
from taper.read.errors import RegimenError
from taper.read.regimen import parse_regimen
from taper.records.plan import Plan

REVIEW = Path(__file__).parent / "data" / "review"
TODAY = date(2026, 11, 22)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)
ORDERS = (
    "n4-hydrocortisone-sickday.toml",
    "n1-pmr-prednisolone.toml",
    "01-dmd-deflazacort-child.toml",
    "n2-dmd-deflazacort-roundup.toml",
)
# What a plan that goes on must never say, in English and in Spanish: that it stops, or the
# course's last dose (a phase's own last dose, 'the last dose of "Phase 2"' or an infusion
# group's "and the 4 days after the last dose", is a fact about that phase).
STOP_WORDS = re.compile(
    r"then stop|your (?:child's )?last dose|(?:after|and after) the last dose \(|"
    r"last dose \(|the course ends|"
    r"su última dosis|última dosis de su niño|después de la última dosis \(|última dosis \(",
    re.IGNORECASE,
)
KEEP_TAKING = {
    "en": ("This plan covers your", "Do not stop after that", "never stop it suddenly"),
    "es": ("Este plan cubre", "No deje de", "nunca lo deje de golpe"),
}


def problems_of(path: Path) -> list[str]:
    try:
        load(path, today=TODAY)
    except RegimenError as error:
        return [f"{p.place}: {p.message}" for p in error.problems]
    return []


def with_after(tmp_path: Path, name: str, after: str, language: str | None = None) -> Path:
    text = (REVIEW / name).read_text(encoding="utf-8")
    text = text.replace("revision = 0\n", f'revision = 0\nafter = "{after}"\n', 1)
    if language is not None:
        text = text.replace("[patient]\n", f'[patient]\nlanguage = "{language}"\n', 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def pdf_text(plan: Plan, audience: str) -> str:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(plan, audience, stamp=STAMP)))  # type: ignore[arg-type]
    return " ".join(
        " ".join(page.extract_text().replace("\u00a0", " ").split()) for page in reader.pages
    )


def packet_text(plan: Plan) -> str:
    """Every sentence of the packet a person reads: the three handouts and the reminders."""
    handouts = [pdf_text(plan, audience) for audience in ("patient", "pharmacist", "nurse")]
    reminders = (
        render_ics(plan, stamp=STAMP).decode("utf-8").replace("\r\n ", "").replace("\\,", ",")
    )
    return " ".join([*handouts, " ".join(reminders.split())])


# -- the review's orders: refused as written, the fix named ------------------------------------


@pytest.mark.parametrize("name", ORDERS)
def test_the_reviews_orders_are_refused_without_after(name: str) -> None:
    found = problems_of(REVIEW / name)
    assert len(found) == 1, found
    assert found[0].startswith("after: the course ends ")
    assert 'say after = "stop" if it really stops there (then taper it down)' in found[0]
    assert 'or after = "continue" if the patient keeps taking it' in found[0]


def test_the_message_says_the_dose_and_how_long() -> None:
    (pmr,) = problems_of(REVIEW / "n1-pmr-prednisolone.toml")
    assert "ends at 8 mg a day prednisone-equivalent, above 5 mg, after 147 days (21 weeks)" in pmr
    (addison,) = problems_of(REVIEW / "n4-hydrocortisone-sickday.toml")
    # 20 mg of hydrocortisone is 5 mg prednisone: the catalogue's replacement use, not the dose.
    assert "ends with Hydrocortisone by mouth, a replacement or long-term treatment" in addison


def test_an_unknown_after_is_refused_with_the_choices(tmp_path: Path) -> None:
    path = with_after(tmp_path, "n1-pmr-prednisolone.toml", "maybe")
    found = problems_of(path)
    assert found[0].startswith('after: "maybe" is not a choice; say after = "stop"')


@pytest.mark.parametrize("name", ORDERS)
@pytest.mark.parametrize("language", ["en", "es"])
def test_continue_says_keep_taking_and_never_stop_or_last_dose(
    tmp_path: Path, name: str, language: str
) -> None:
    plan = load(with_after(tmp_path, name, "continue", language), today=TODAY)
    text = packet_text(plan)
    assert not STOP_WORDS.search(text), STOP_WORDS.findall(text)
    patient = pdf_text(plan, "patient")
    for words in KEEP_TAKING[language]:
        assert words in patient, words
    # The label directions the pharmacist and the nurse read (English staff text).
    for audience in ("pharmacist", "nurse"):
        assert "keep taking it after that as your care team tells you: do not stop" in (
            pdf_text(plan, audience)
        )


def test_continue_names_the_date_the_plan_covers_until(tmp_path: Path) -> None:
    plan = load(with_after(tmp_path, "n4-hydrocortisone-sickday.toml", "continue"), today=TODAY)
    assert "This plan covers your doses until Thursday, January 7, 2027." in (
        pdf_text(plan, "patient")
    )
    child = load(with_after(tmp_path, "01-dmd-deflazacort-child.toml", "continue"), today=TODAY)
    assert "This plan covers your child's doses until Sunday, June 13, 2027." in (
        pdf_text(child, "patient")
    )


def test_stop_keeps_the_course_as_it_was_printed(tmp_path: Path) -> None:
    plan = load(with_after(tmp_path, "n1-pmr-prednisolone.toml", "stop"), today=TODAY)
    assert "for 28 days, then stop." in pdf_text(plan, "pharmacist")
    assert "This plan covers" not in pdf_text(plan, "patient")


def test_after_goes_to_fhir_as_the_course_of_therapy(tmp_path: Path) -> None:
    import json

    plan = load(with_after(tmp_path, "n4-hydrocortisone-sickday.toml", "continue"), today=TODAY)
    bundle = json.loads(render_fhir(plan))
    codes = {
        coding["code"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "MedicationRequest"
        for coding in entry["resource"]["courseOfTherapyType"]["coding"]
    }
    assert codes == {"continuous"}


# -- short courses need nothing ----------------------------------------------------------------

SHORT = """
title = "{title}"
start = 2026-12-01
timezone = "Europe/London"

[care_team]
clinic = "Clinic"
phone = "020 555 0100"

[[phase]]
name = "Course"
drug = "{drug}"
route = "{route}"
dose = "{dose}"
days = {days}
at = ["09:00"]
"""


@pytest.mark.parametrize(
    ("drug", "route", "dose", "days"),
    [
        ("prednisolone", "oral", "40 mg", 5),  # an asthma or COPD burst
        ("methylprednisolone", "iv", "1000 mg", 3),  # an MS pulse
        ("prednisolone", "oral", "5 mg", 60),  # at the threshold, not above it
        ("prednisolone", "oral", "30 mg", 20),  # under 3 weeks
    ],
)
def test_short_or_low_courses_need_no_after(
    tmp_path: Path, drug: str, route: str, dose: str, days: int
) -> None:
    path = tmp_path / "r.toml"
    path.write_text(
        SHORT.format(title="Course", drug=drug, route=route, dose=dose, days=days), "utf-8"
    )
    assert not [p for p in problems_of(path) if p.startswith("after:")]


def test_a_course_tapered_to_a_low_dose_needs_no_after(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    text = SHORT.format(title="Taper", drug="prednisolone", route="oral", dose="x", days=0)
    text = text.replace('dose = "x"\ndays = 0\n', "")
    text += 'steps = [{ dose = "30 mg", days = 28 }, { dose = "5 mg", days = 7 }]\n'
    path.write_text(text, "utf-8")
    assert problems_of(path) == []


# -- the invariants over generated regimens ------------------------------------------------------


def plan_or_none(document: dict[str, Any]) -> Plan | None:
    regimen, problems = parse_regimen(document, "generated.toml")
    if regimen is None:
        return None
    try:
        return build_plan(regimen, problems, today=TODAY)
    except RegimenError:
        return None


# What CI's generated regimens found once (before every test drew a fixed seed): a long ACTH gel
# phase's adrenal warning on the staff sheets said "Confirm how the course ends" of a course
# that goes on after the plan.
ACTH_THAT_GOES_ON = {
    "title": "Generated course",
    "start": date(2026, 3, 20),
    "timezone": "Africa/Casablanca",
    "patient": {"name": "Test Patient", "weight": "12.5 kg"},
    "care_team": {"clinic": "Clinic", "phone": "555-0100", "emergency": "15"},
    "phase": [
        {
            "name": "Phase 1",
            "drug": "prednisolone",
            "tablets": ["5 mg"],
            "split": False,
            "at": ["01:00"],
            "dose": "15 mg",
            "days": 4,
            "every": 3,
        },
        {
            "name": "Phase 2",
            "drug": "acth",
            "route": "sc",
            "given_by": "staff",
            "liquid": "80 units/mL",
            "at": ["01:30"],
            "days": 19,
            "injector": "40 units",
            "dose": "120 units",
            "every": 2,
        },
        {
            "name": "Phase 3",
            "drug": "acth",
            "route": "im",
            "given_by": "patient",
            "liquid": "80 units/mL",
            "at": ["00:00"],
            "days": 16,
            "vial": "5 mL",
            "dose": "40 units",
        },
    ],
    "also": [{"kind": "medication", "what": "Item 1", "at": ["17:00"], "every": 4}],
}


@settings(
    max_examples=12,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: a packet a try
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(regimens(must="tablets"), st.sampled_from(["en", "es"]))
@example(ACTH_THAT_GOES_ON, "en")
def test_with_continue_no_output_says_stop_or_last_dose(
    document: dict[str, Any], language: str
) -> None:
    document = {**document, "after": "continue"}
    document["patient"] = {**document["patient"], "language": language}
    plan = plan_or_none(document)
    if plan is None:
        return
    text = packet_text(plan)
    assert not STOP_WORDS.search(text), STOP_WORDS.findall(text)


@st.composite
def long_courses(draw: st.DrawFn) -> tuple[str, int, int, int]:
    """A daily oral course, possibly coming down, whose last step is above 5 mg a day after
    3 weeks or more above it: (drug, first dose mg, last dose mg, days in all)."""
    drug = draw(st.sampled_from(["prednisone", "prednisolone"]))
    last = draw(st.sampled_from([6, 7, 7.5, 8, 10, 15, 20, 40]))
    first = draw(st.sampled_from([value for value in (10, 15, 20, 40, 60) if value >= last]))
    days = draw(st.integers(21, 400))
    return drug, first, int(last) if last == int(last) else last, days  # type: ignore[return-value]


@settings(max_examples=40, deadline=None)
@given(long_courses(), st.sampled_from([None, "stop", "continue"]))
def test_without_after_a_long_course_ending_above_5_mg_is_refused(
    course: tuple[str, Any, Any, int], after: str | None
) -> None:
    drug, first, last, days = course
    first_days = max(1, days // 2)
    document: dict[str, Any] = {
        "start": date(2027, 2, 1),
        "timezone": "Europe/London",
        "care_team": {"clinic": "Clinic", "phone": "020 555 0100"},
        "phase": [
            {
                "name": "Course",
                "drug": drug,
                "tablets": ["1 mg", "2.5 mg", "5 mg", "10 mg"]
                if drug == "prednisone"
                else ["1 mg", "2.5 mg", "5 mg"],
                "at": ["breakfast"],
                "steps": [
                    {"dose": f"{first} mg", "days": first_days},
                    {"dose": f"{last} mg", "days": days - first_days or 1},
                ],
            }
        ],
    }
    if after is not None:
        document["after"] = after
    regimen, problems = parse_regimen(document, "generated.toml")
    assert regimen is not None, problems
    try:
        build_plan(regimen, problems, today=TODAY)
    except RegimenError as error:
        refused = [p for p in error.problems if p.place == "after"]
        assert after is None and len(refused) == 1, error.render()
        assert f"ends at {last} mg a day prednisone-equivalent" in refused[0].message
        return
    assert after is not None, "a long course ending above 5 mg a day built without after"
