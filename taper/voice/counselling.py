"""What the patient should know and what the pharmacist should say: the handout's notes and
the counselling points. The facts behind them are in clinical-reference.md (§6, §7) and in the
engine's warnings."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from taper.plan import Dose, Plan
from taper.units import format_amount
from taper.voice.doses import STAFF_ROUTES, has_halves, tablets_total
from taper.voice.sigs import take_is_food
from taper.voice.text import Rich, Strong, and_list, count_text


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
            f"Some doses are many tablets: up to {count_text(most[0])} at one time. "
            "Count them out before you start. Take them a few at a time, with food "
            "and a drink of water."
        )
    if any(has_halves(d.tablets) for d in plan.doses):
        notes.append(
            "Some doses use half a tablet. Cut the tablet along the line on it. "
            "Your pharmacist can help if it is hard to cut."
        )
    if any(d.route == "oral" for d in plan.doses) and any(
        take_is_food(p.take) for p in plan.phases
    ):
        notes.append("Take your tablets with food. This helps protect your stomach.")
    if "adrenal" in codes:
        notes.append(
            "Do not stop taking your tablets early, and do not skip doses: after a "
            "course this long, stopping suddenly can make you unwell. If you cannot "
            "take a dose, call the clinic."
        )
    if any(not d.doses and d.phases for d in plan.days):
        notes.append(
            'Days marked "no dose" are part of your course, but there is no dose or '
            "session from this plan that day. Any check or other medicine listed for "
            "that day still applies."
        )
    return notes


def calendar_help() -> tuple[str, str, list[Rich]]:
    """The box on putting the reminders into a calendar app: title, introduction, tips."""
    from taper.catalogue import read_data

    data = read_data("calendar_help.toml")
    tips: list[Rich] = [(Strong(str(tip["app"])), f": {tip['text']}") for tip in data["tip"]]
    return str(data["title"]), str(data["intro"]), tips


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
        strengths[line.drug_name].append(format_amount(line.strength, line.unit))
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
    if any(p.route in STAFF_ROUTES for p in plan.phases):
        points.append(
            "Infusions, injections and procedures are given by staff: the patient "
            "handout lists their dates, times and places."
        )
    if not points:
        points.append("Go through the patient handout's calendar and checklist with the patient.")
    return points
