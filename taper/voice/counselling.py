"""What the patient should know and what the pharmacist should say: the handout's notes and
the counselling points. The facts behind them are in clinical-reference.md (§6, §7) and in the
engine's warnings."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from functools import cache
from typing import Any

from taper.read.quantities import quantity_text
from taper.records.plan import Dose, PhasePlan, Plan, StepPlan
from taper.voice.doses import STAFF_ROUTES, has_halves, tablets_total
from taper.voice.lang import _, language
from taper.voice.people import call_the_clinic
from taper.voice.sigs import take_is_food
from taper.voice.text import Rich, Strong, and_list, count_text
from taper.voice.watchwords import data_text
from taper.voice.words import Words


def most_tablets(plan: Plan) -> tuple[Decimal, Dose] | None:
    """The dose with the most tablets, with its count."""
    best: tuple[Decimal, Dose] | None = None
    for dose in plan.doses:
        count = tablets_total(dose.tablets)
        if count and (best is None or count > best[0]):
            best = (count, dose)
    return best


def patient_notes(plan: Plan) -> list[str]:
    """The patient handout's "Good to know" points."""
    codes = {w.code for w in plan.warnings}
    notes: list[str] = []
    most = most_tablets(plan)
    if "many-tablets" in codes and most is not None:
        notes.append(
            _(
                "Some doses are many tablets: up to {count} at one time. "
                "Count them out before you start. Take them a few at a time, with food "
                "and a drink of water.",
                count=count_text(most[0]),
            )
        )
    if any(has_halves(d.tablets) for d in plan.doses):
        notes.append(
            _(
                "Some doses use half a tablet. Cut the tablet along the line on it. "
                "Your pharmacist can help if it is hard to cut."
            )
        )
    if any(d.route == "oral" for d in plan.doses) and any(
        take_is_food(p.take) for p in plan.phases
    ):
        if any(d.tablets for d in plan.doses):
            notes.append(_("Take your tablets with food. This helps protect your stomach."))
        else:
            notes.append(_("Take your medicine with food. This helps protect your stomach."))
    if "adrenal" in codes:
        notes.append(
            _(
                "Do not stop taking your tablets early, and do not skip doses: after a "
                "course this long, stopping suddenly can make you unwell. If you cannot "
                "take a dose, {call}.",
                call=call_the_clinic(plan),
            )
        )
    if any(not d.doses and d.phases for d in plan.days):
        notes.append(
            _(
                'Days marked "no dose" are part of your course, but there is no dose or '
                "session from this plan that day. Any check or other medicine listed for "
                "that day still applies."
            )
        )
    if any(d.time == "00:00" for d in plan.doses):
        notes.append(
            _(
                "A dose at midnight is listed at the start of its day: the midnight dose of "
                "a Tuesday is the one between Monday night and Tuesday morning."
            )
        )
    for note in (liquid_note(plan), bone_note(plan)):
        if note is not None:
            notes.append(note)
    return notes


def calendar_help() -> tuple[str, str, list[Rich]]:
    """The box on putting the reminders into a calendar app: title, introduction, tips."""
    title, intro, tips = _calendar_help(language())
    return title, intro, list(tips)


@cache
def _calendar_help(tag: str) -> tuple[str, str, tuple[Rich, ...]]:
    """The calendar box in one language (``tag``: the language being spoken, the cache's key),
    made once per language and process: a print run's handouts all show the same box."""
    data = _file("calendar_help.toml")

    def text(value: object) -> str:
        return data_text(str(value), "calendar_help.toml")

    tips = tuple((Strong(text(tip["app"])), f": {text(tip['text'])}") for tip in data["tip"])
    return text(data["title"]), text(data["intro"]), tips


def _t(value: object) -> str:
    """A patient sentence of counselling.toml in the patient's language."""
    return data_text(str(value), "counselling.toml")


def counselling(plan: Plan) -> list[str]:
    """The pharmacist's counselling points, drawn from the plan."""
    codes = {w.code for w in plan.warnings}
    points: list[str] = []
    oral = [p for p in plan.phases if p.route == "oral" and p.drug_class == "steroid"]
    morning_once = [
        p for p in oral if all(len(s.doses) == 1 and s.doses[0].time < "12:00" for s in p.steps)
    ]
    if morning_once:
        points.append(
            "Take each dose in the morning, with food (breakfast): this lowers the "
            "chance of sleep trouble and stomach upset."
        )
    elif any(take_is_food(p.take) for p in oral):
        points.append("Take each dose with food, to lower the chance of stomach upset.")
    divided = [p for p in oral if any(len(s.doses) > 1 for s in p.steps)]
    if divided:
        points.append(
            "Divided doses: the daily amount is split across the day and changes from "
            "day to day. Go through the times on the patient's checklist with them."
        )
    if "evening-dose" in codes:
        points.append(
            "Some doses are late in the day as ordered; steroids taken late can make "
            "it hard to sleep."
        )
    most = most_tablets(plan)
    if "many-tablets" in codes and most is not None:
        points.append(
            f"Many tablets at once (up to {count_text(most[0])}): count them out first "
            "and take them a few at a time with food."
        )
    if any(step.every > 1 for p in plan.phases for step in p.steps if p.route == "oral"):
        points.append(
            "Every-other-day dosing: take doses only on the days shown; the days "
            "between are no-dose days (marked on the patient's calendar)."
        )
    if any(has_halves(d.tablets) for d in plan.doses):
        points.append(
            "Half tablets are ordered: supply a scored product (scoring varies by "
            "maker) and show how to cut along the score line."
        )
    strengths: dict[str, list[str]] = defaultdict(list)
    for line in sorted(plan.dispense, key=lambda line: line.strength):
        strengths[line.drug_name].append(quantity_text(line.strength, line.unit))
    for name, values in strengths.items():
        if len(values) > 1:
            points.append(
                f"{name} comes in more than one strength ({and_list(values)}): "
                "show the patient which tablet is which."
            )
    if "adrenal" in codes:
        points.append(
            "Do not stop suddenly: this course is long or high enough to suppress the "
            "adrenal glands, so the dose should come down gradually (check that the "
            "order ends with a taper). After the course, report weakness, deep "
            "tiredness, dizziness on standing, nausea or vomiting; severe vomiting or "
            "fainting is an emergency."
        )
    if any(p.drug_class == "steroid" for p in plan.phases):
        points.append(
            "Common and usually mild: trouble sleeping, mood changes, a bigger "
            "appetite, upset stomach. Report fever or other signs of infection, and "
            "any contact with chickenpox, shingles or measles."
        )
    if "diabetes" in plan.patient.conditions and any(
        p.drug_class == "steroid" for p in plan.phases
    ):
        points.append(
            "Diabetes: steroids raise blood sugar, mostly in the afternoon and evening "
            "after a morning dose. Check blood sugar as the care team advised."
        )
    if any(p.drug_class == "acth" for p in plan.phases):
        points.append("ACTH gel is injected under the skin or into a muscle, never into a vein.")
    if any(p.route in STAFF_ROUTES and p.given_by == "staff" for p in plan.phases):
        points.append(
            "Infusions, injections and procedures are given by staff: the patient "
            "handout lists their dates, times and places."
        )
    home = [p for p in plan.phases if p.route in ("im", "sc", "iv") and p.given_by != "staff"]
    for phase in home:
        who = "the patient" if phase.given_by == "patient" else "a caregiver"
        points.append(
            f"{phase.drug_name} is injected at home by {who}: make sure they have been shown "
            "how before the first dose, and supply a sharps container."
            + (" Keep it in the fridge (2–8 °C)." if phase.drug_class == "acth" else "")
        )
    if any(line.kind == "vial" for line in plan.containers):
        points.append(
            "Multi-dose vials: how long an opened vial may be used depends on the product "
            "(check its label); the vial count assumes no dose is drawn from two vials."
        )
    points.extend(must_have_points(plan))
    if not points:
        points.append("Go through the patient handout's calendar and checklist with the patient.")
    return points


def must_have_points(plan: Plan) -> list[str]:
    """The pharmacist's side of the must-have counselling (card, vaccines, missed doses, other
    doctors, liquids, bones)."""
    text = _data()["pharmacist"]
    points: list[str] = []
    if needs_card(plan):
        points.append(str(text["card"]))
    if needs_vaccine_advice(plan):
        threshold = quantity_text(vaccine_threshold_mg(plan).normalize(), "mg")
        points.append(str(text["vaccines"]).format(threshold=threshold))
    steps = _oral_steroid_steps(plan)
    if any(step.every == 1 for _, step in steps):
        points.append(str(text["missed"]))
    if any(step.every > 1 for _, step in steps):
        points.append(str(text["missed_every_other_day"]))
    if any(p.drug_class in ("steroid", "acth") for p in plan.phases):
        points.append(str(text["others"]))
    if liquid_note(plan) is not None:
        points.append(str(text["liquid"]))
    if needs_bone_advice(plan):
        points.append(str(_data()["bone"]["pharmacist"]))
    return points


# -- must-have counselling (data/counselling.toml, clinical-reference-2 §1–§4) -----------------


@cache
def _data() -> dict[str, Any]:
    return _file("counselling.toml")


@cache
def _file(name: str) -> dict[str, Any]:
    """A data file, read once per process (read as-is, never changed: shared by every
    handout a process renders; watch.toml alone cost a long course's handout 15 ms)."""
    from taper.read.catalogue import read_data

    return read_data(name)


def _prednisone_mg(dose: Dose) -> Decimal:
    """A steroid dose by mouth or IV as prednisone-equivalent mg (0 where the ratios do not
    hold: other routes, other units, unknown drugs)."""
    from taper.read.catalogue import find_drug
    from taper.read.units import MASS_UNITS

    drug = find_drug(dose.drug)
    if (
        drug is None
        or drug.drug_class != "steroid"
        or drug.prednisone_equivalent is None
        or dose.amount is None
        or dose.unit not in MASS_UNITS
        or dose.route not in ("oral", "iv")
    ):
        return Decimal(0)
    return dose.amount * MASS_UNITS[dose.unit] * 5 / drug.prednisone_equivalent.in_mg()


def steroid_days(plan: Plan, *, averaged: bool) -> dict[int, Decimal]:
    """Prednisone-equivalent mg on each course day with a steroid. ``averaged``: the days of an
    every-other-day step count at the step's daily average (its off days too)."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for dose in plan.doses:
        totals[dose.day] += _prednisone_mg(dose)
    if averaged:
        for phase in plan.phases:
            for step in phase.steps:
                if step.every > 1:
                    days = range(step.first_day, step.last_day + 1)
                    average = sum((totals.get(d, Decimal(0)) for d in days), Decimal(0))
                    average /= len(days)
                    for day in days:
                        totals[day] = average
    return {day: mg for day, mg in totals.items() if mg > 0}


def _longest_run(days: dict[int, Decimal], threshold: Decimal) -> int:
    """The most consecutive course days at or above ``threshold``."""
    best = run = 0
    last = None
    for day in sorted(days):
        if days[day] >= threshold:
            run = run + 1 if last == day - 1 else 1
            last = day
            best = max(best, run)
        else:
            last = None
    return best


def needs_card(plan: Plan) -> bool:
    """A course at or over the steroid-card threshold: prednisolone 5 mg a day or more (or its
    equivalent) for 4 weeks or more (§1a), or one that carries the adrenal warning."""
    card = _data()["card"]
    if any(w.code == card["also_with_warning"] for w in plan.warnings):
        return True
    days = steroid_days(plan, averaged=True)
    return _longest_run(days, Decimal(card["prednisone_mg_per_day"])) >= int(card["days"])


def vaccine_threshold_mg(plan: Plan) -> Decimal:
    """The daily prednisone-equivalent dose from which live vaccines wait (§3): 20 mg for
    people over 10 kg, 2 mg/kg at any weight (the lower applies)."""
    data = _data()["vaccines"]
    limit = Decimal(data["prednisone_mg_per_day"])
    weight = plan.patient.weight_kg
    if weight is not None:
        per_kg = Decimal(data["mg_per_kg_per_day"]) * weight
        limit = min(limit, per_kg) if weight > Decimal(data["over_kg"]) else per_kg
    return limit


def needs_vaccine_advice(plan: Plan) -> bool:
    """Live vaccines wait: 14 days or more in a row at or over the threshold (§3). Days off an
    every-other-day plan break the run (alternate-day courses are not a contraindication)."""
    days = steroid_days(plan, averaged=False)
    return _longest_run(days, vaccine_threshold_mg(plan)) >= int(_data()["vaccines"]["days"])


def needs_bone_advice(plan: Plan) -> bool:
    """A continuous long course: 7.5 mg prednisolone-equivalent a day or more for over 3
    months (§4)."""
    bone = _data()["bone"]
    days = steroid_days(plan, averaged=True)
    return _longest_run(days, Decimal(bone["prednisone_mg_per_day"])) > int(bone["more_than_days"])


def _oral_steroid_steps(plan: Plan) -> list[tuple[PhasePlan, StepPlan]]:
    return [
        (phase, step)
        for phase in plan.phases
        if phase.route == "oral" and phase.drug_class == "steroid"
        for step in phase.steps
        if step.doses
    ]


# A section of the patient handout: a heading and its lines (the first may be an introduction).
Section = tuple[str, list[Rich]]


def missed_dose(plan: Plan) -> Section | None:
    """What to do about a missed dose of a steroid taken at home (§2)."""
    steps = _oral_steroid_steps(plan)
    if not steps:
        return None
    text = _data()["missed"]
    lines: list[Rich] = []
    daily = [step for _, step in steps if step.every == 1]
    if any(len(step.doses) == 1 for step in daily):
        lines.append((_t(text["once_daily"]),))
    if any(len(step.doses) > 1 for step in daily):
        lines.append((_t(text["more_than_once"]),))
    if daily:
        lines.append((Strong(_t(text["never_double"])),))
    if any(step.every > 1 for _, step in steps):
        lines.append((_t(text["every_other_day"]),))
    return _t(text["heading"]), lines


def looking_after_yourself(plan: Plan) -> list[Section]:
    """The must-have counselling for the patient, in the order the handout prints it."""
    data = _data()
    steroid = any(p.drug_class in ("steroid", "acth") for p in plan.phases)
    sections: list[Section] = []
    missed = missed_dose(plan)
    if missed is not None:
        sections.append(missed)
    if steroid:
        lines: list[Rich] = [(_t(data["others"]["text"]),)]
        if any(p.drug_class == "acth" for p in plan.phases):
            lines.append((_t(data["others"]["acth"]),))
        sections.append((_t(data["others"]["heading"]), lines))
    if needs_vaccine_advice(plan):
        vaccines = data["vaccines"]
        sections.append((_t(vaccines["heading"]), [(_t(line),) for line in vaccines["text"]]))
    return sections


def card_section(plan: Plan, words: Words) -> list[Section]:
    """For a course at the steroid-card threshold: carry a card or medical alert ID, and the
    sick-day points every source agrees on (§1a–§1d)."""
    if not needs_card(plan):
        return []
    card = _data()["card"]["text"]
    carry = card["card_gb"] if words.country == "GB" else card["card"]
    sections: list[Section] = [(_t(card["heading"]), [(_t(card["intro"]),), (Strong(_t(carry)),)])]
    # The sick-day points are about steroid tablets (§1c); for a course of ACTH gel alone they
    # would tell the patient to keep taking a steroid they were never given.
    if any(phase.drug_class == "steroid" for phase in plan.phases):
        sections.append((_t(card["sick_heading"]), [(_t(line),) for line in card["sick"]]))
    return sections


def adrenal_section(plan: Plan) -> tuple[str, str, list[str], str] | None:
    """The signs of too little steroid hormone, under their own heading with their timing:
    (heading, when, what to call about, what is an emergency); for a course at the card
    threshold (which every course with the adrenal warning is)."""
    if not needs_card(plan):
        return None
    from taper.voice.times import date_of, long_date

    days = steroid_days(plan, averaged=False)
    if not days:
        return None
    last = date_of(plan, max(days))
    try:
        until = last.replace(year=last.year + 1)
    except ValueError:  # February 29
        until = last.replace(year=last.year + 1, day=28)
    data = _data()["adrenal"]
    when = _t(data["when"]).format(last_date=long_date(last), until=long_date(until))
    signs = [
        data_text(str(item["text"]))
        for item in _file("watch.toml")["item"]
        if item.get("trigger") == "adrenal" and item.get("tier") == "call"
    ]
    return _t(data["heading"]), when, signs, _t(data["emergency"])


def liquid_note(plan: Plan) -> str | None:
    """Measuring a liquid: an oral syringe, in mL (§4)."""
    if any(d.route == "oral" and d.volume_ml is not None and not d.tablets for d in plan.doses):
        return _t(_data()["liquid"]["text"])
    return None


def bone_note(plan: Plan) -> str | None:
    return _t(_data()["bone"]["patient"]) if needs_bone_advice(plan) else None
