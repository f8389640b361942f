"""The pharmacist's dispensing sheet: what to supply, the sig, totals, overrides, warnings
and counselling points."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Spacer,
    Table,
)

from taper.export.pdf.layout import (
    FONT_BOLD,
    OUTSIDE,
    STAFF_ROUTES,
    _amount,
    _and,
    _boxed,
    _bullets,
    _contacts,
    _date_of,
    _date_range,
    _days_text,
    _every_text,
    _heading,
    _most_tablets,
    _p,
    _patient_block,
    _sig_paragraphs,
    _spread,
    _Styles,
    _table,
    _tablet_phrase,
    _tablet_word,
    _tablets_total,
    _take_is_food,
    _widths,
)
from taper.plan import Dose, PhasePlan, Plan
from taper.units import format_amount, format_number
from taper.words import ROUTE_WORDS, count_text, phase_heading

ALLOWANCE_WORDS = {
    "above-documented-dose": "dose above the highest documented regimen",
    "overlap": "overlaps another phase of the same drug",
}


def _pharmacist_story(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = [
        _p("Dispensing sheet", styles.title),
        _patient_block(plan, styles, width),
    ]
    contacts = _contacts(plan, styles, width)
    if contacts is not None:
        story += [*_heading("Prescriber and contacts", styles, styles.h3), contacts]

    story.extend(_heading("Dispense", styles, styles.h2))
    if plan.dispense or plan.liquids:
        rows: list[list[Any]] = [
            [
                _p(h, styles.cell_bold)
                for h in ("Drug", "Strength / form", "Quantity for the course")
            ]
        ]
        for line in plan.dispense:
            quantity = f"{count_text(line.count)} {_tablet_word(line.count)}"
            if line.count != int(line.count):
                quantity += f" (supply {int(line.count) + 1} whole tablets)"
            rows.append(
                [
                    _p(line.drug_name, styles.cell_bold),
                    _p(f"{format_amount(line.strength, line.unit)} tablets", styles.cell),
                    _p(quantity, styles.cell_bold),
                ]
            )
        for liquid in plan.liquids:
            rows.append(
                [
                    _p(liquid.drug_name, styles.cell_bold),
                    _p(f"{liquid.liquid} (liquid)", styles.cell),
                    _p(f"{format_number(liquid.volume_ml)} mL", styles.cell_bold),
                ]
            )
        story.append(_table(rows, [width * 0.3, width * 0.3, width * 0.4]))
    else:
        story.append(_p("No tablets or liquids to dispense to the patient.", styles.body))
    staff = _staff_supply(plan, styles, width)
    if staff is not None:
        story += [*_heading("Given by staff (supply to the unit)", styles, styles.h3), staff]

    for number, phase in enumerate(plan.phases):
        dates = _date_range(_date_of(plan, phase.first_day), _date_of(plan, phase.last_day))
        # The headings stay with the sig; the step table may run on (its header repeats).
        block: list[Flowable] = [_p("Directions (sig)", styles.h2)] if number == 0 else []
        block += [
            _p(f"{phase_heading(phase)} ({dates})", styles.h3),
            _boxed(_sig_paragraphs(plan, phase, styles), width, background=OUTSIDE),
        ]
        story.append(KeepTogether(block))
        steps = _step_table(plan, phase, styles, width)
        if steps is not None:
            story += [Spacer(1, 4), steps]

    story.extend(_heading("Totals", styles, styles.h2))
    if plan.totals:
        rows = [
            [
                _p(h, styles.cell_bold)
                for h in ("Drug", "Total for the course", "Prednisone equivalent")
            ]
        ]
        for total in plan.totals:
            if total.prednisone_equivalent_mg is None:
                equivalent = "not applicable"
            else:
                equivalent = f"{format_number(total.prednisone_equivalent_mg)} mg"
                if total.equivalence_approximate:
                    equivalent = f"about {equivalent} (approximate)"
            rows.append(
                [
                    _p(total.drug_name, styles.cell_bold),
                    _p(format_amount(total.amount, total.unit), styles.cell),
                    _p(equivalent, styles.cell),
                ]
            )
        story.append(_table(rows, [width * 0.3, width * 0.3, width * 0.4]))
        story.append(Spacer(1, 3))
        story.append(
            _p(
                "Prednisone equivalents count the oral and IV doses only: the "
                "equivalence ratios hold for those routes.",
                styles.small,
            )
        )
    else:
        story.append(_p("No dosed medicine in this course.", styles.body))

    story.extend(_overrides(plan, styles, width))
    story.extend(_warnings(plan, styles, width))
    story.extend(_heading("Counselling points", styles, styles.h2))
    story.extend(_bullets(_counselling(plan), styles))
    return story


def _staff_supply(plan: Plan, styles: _Styles, width: float) -> Table | None:
    groups: dict[tuple[str, str, str], list[Dose]] = defaultdict(list)
    for dose in plan.doses:
        # Doses measured from a dispensed liquid are in the Dispense table already.
        if (
            dose.route in ("iv", "im", "sc")
            and dose.amount is not None
            and dose.unit
            and dose.volume_ml is None
        ):
            groups[(dose.phase, dose.drug_name, dose.route)].append(dose)
    if not groups:
        return None
    rows: list[list[Any]] = [
        [
            _p(h, styles.cell_bold)
            for h in ("Phase", "Drug and route", "Each dose", "Doses", "Total")
        ]
    ]
    for (phase, name, route), doses in groups.items():
        each = sorted({_amount(d.amount, d.unit) for d in doses})
        unit = doses[0].unit
        total = sum((d.amount for d in doses if d.amount is not None), Decimal(0))
        same_unit = all(d.unit == unit for d in doses)
        rows.append(
            [
                _p(phase, styles.cell),
                _p(f"{name} {ROUTE_WORDS[route]}", styles.cell),
                _p(", ".join(each), styles.cell),
                _p(str(len(doses)), styles.cell),
                _p(_amount(total, unit) if same_unit else "see doses", styles.cell),
            ]
        )
    return _table(rows, [width * 0.2, width * 0.3, width * 0.2, width * 0.1, width * 0.2])


def _step_table(plan: Plan, phase: PhasePlan, styles: _Styles, width: float) -> Table | None:
    """The step-by-step check of a tablet or liquid phase: what each dose is, and how many."""
    if phase.route != "oral" or phase.sessions:
        return None
    rows: list[list[Any]] = [
        [
            _p(h, styles.cell_bold)
            for h in ("Days", "Dates", "Time", "Dose", "Tablets or volume", "Doses", "Step total")
        ]
    ]
    for step in phase.steps:
        given = len(range(0, step.days, step.every))
        first, last = _date_of(plan, step.first_day), _date_of(plan, step.last_day)
        for number, dose in enumerate(step.doses):
            if dose.tablets:
                what = _tablet_phrase(dose.tablets)
                total = _tablets_total(dose.tablets) * given
                step_total = f"{count_text(total)} {_tablet_word(total)}"
            elif dose.volume_ml is not None:
                what = f"{format_number(dose.volume_ml)} mL"
                step_total = f"{format_number(dose.volume_ml * given)} mL"
            else:
                what = step_total = ""
            every = "" if step.every == 1 else f" ({_every_text(step.every)})"
            rows.append(
                [
                    _p(_days_text(step.first_day, step.last_day) + every, styles.cell)
                    if number == 0
                    else "",
                    _p(_date_range(first, last), styles.cell) if number == 0 else "",
                    _p(dose.time + (f" ({dose.slot})" if dose.slot else ""), styles.cell),
                    _p(_amount(dose.amount, dose.unit), styles.cell),
                    _p(what, styles.cell),
                    _p(str(given), styles.cell),
                    _p(step_total, styles.cell),
                ]
            )
    days_w, dose_w, doses_w = _widths(styles, "days 88–88", "62.5 mg", "Doses")
    dates_w, time_w, tablets_w, total_w = _spread(
        width - days_w - dose_w - doses_w, [], (0.27, 0.25, 0.28, 0.2)
    )
    return _table(rows, [days_w, dates_w, time_w, dose_w, tablets_w, doses_w, total_w])


def _overrides(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    phases = [phase for phase in plan.phases if phase.allow]
    story: list[Flowable] = _heading("Prescriber overrides", styles, styles.h2)
    if not phases:
        return [*story, _p("None: no phase carries an allow = [...] override.", styles.body)]
    rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in ("Phase", "Override", "Details")]]
    for phase in phases:
        place = f"phase[{phase.index}]"
        details = [
            w.message
            for w in plan.warnings
            if w.code == "above-documented-allowed"
            and (w.place == place or w.place.startswith(place + "."))
        ]
        for allowance in phase.allow:
            words = ALLOWANCE_WORDS.get(allowance, allowance)
            relevant = details if allowance == "above-documented-dose" else []
            rows.append(
                [
                    _p(f"{phase.name} ({place})", styles.cell_bold),
                    _p(f"{allowance}: {words}", styles.cell),
                    _p(" ".join(relevant) or "allowed by the prescriber", styles.cell),
                ]
            )
    story.append(_table(rows, [width * 0.25, width * 0.3, width * 0.45]))
    return story


def _warnings(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = _heading("Warnings", styles, styles.h2)
    if not plan.warnings:
        return [*story, _p("No warnings for this course.", styles.body)]
    rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in ("Code", "Warning", "Place")]]
    for warning in plan.warnings:
        rows.append(
            [
                _p(warning.code, styles.cell_bold),
                _p(warning.message, styles.cell),
                _p(warning.place or "whole course", styles.cell),
            ]
        )
    # The code column fits the longest code: a code broken mid-word cannot be searched for.
    code_width = min(
        width * 0.35,
        max(
            pdfmetrics.stringWidth(w.code, FONT_BOLD, styles.cell_bold.fontSize)
            for w in plan.warnings
        )
        + 10,
    )
    story.append(_table(rows, [code_width, width * 0.78 - code_width, width * 0.22]))
    return story


def _counselling(plan: Plan) -> list[str]:
    """Counselling points drawn from the plan; the facts behind them are in
    clinical-reference.md (§6, §7) and in the engine's warnings."""
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
    elif any(_take_is_food(p.take) for p in oral):
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
    most = _most_tablets(plan)
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
    if any(t.count != int(t.count) for d in plan.doses for t in d.tablets):
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
                f"{name} comes in more than one strength ({_and(values)}): "
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
