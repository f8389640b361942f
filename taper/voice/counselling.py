"""What the patient should know and what the pharmacist should say: the handout's notes and
the counselling points. The facts behind them are in clinical-reference.md (§6, §7) and in the
engine's warnings."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from functools import cache
from typing import Any

from taper.read.catalogue import shared_data
from taper.read.quantities import quantity_text
from taper.read.rules import longest_exposure
from taper.records.plan import ByPlan, Dose, PhasePlan, Plan, StepPlan
from taper.voice.doses import STAFF_ROUTES, has_halves, solid_forms, tablet_word, tablets_total
from taper.voice.lang import _, language
from taper.voice.people import call_the_clinic
from taper.voice.shape import daily_amount_varies, steroid_comes_down
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
    if plan.continues:
        notes.append(continue_note(plan))
    most = most_tablets(plan)
    if "many-tablets" in codes and most is not None:
        if solid_forms([most[1]]) == {"capsule"}:
            notes.append(
                _(
                    "Some doses are many capsules: up to {count} at one time. "
                    "Count them out before you start. Take them a few at a time, with food "
                    "and a drink of water.",
                    count=count_text(most[0]),
                )
            )
        else:
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
        forms = solid_forms(plan.doses)
        # Tablets and capsules together are "your medicine": one word cannot name both.
        tablets = forms == {"tablet"}
        capsules = forms == {"capsule"}
        oral = [p for p in plan.phases if p.route == "oral"]
        if oral and all(p.given_by == "caregiver" for p in oral):
            if tablets:
                notes.append(
                    _("Give the tablets with food. This helps protect your child's stomach.")
                )
            elif capsules:
                notes.append(
                    _("Give the capsules with food. This helps protect your child's stomach.")
                )
            else:
                notes.append(
                    _("Give the medicine with food. This helps protect your child's stomach.")
                )
        elif tablets:
            notes.append(_("Take your tablets with food. This helps protect your stomach."))
        elif capsules:
            notes.append(_("Take your capsules with food. This helps protect your stomach."))
        else:
            notes.append(_("Take your medicine with food. This helps protect your stomach."))
    if "adrenal" in codes:
        notes.append(stop_note(plan))
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
    notes.extend(product_notes(plan))
    return notes


def continue_note(plan: Plan) -> str:
    """after = "continue": the plan's last day is the end of this supply, not of the treatment.
    Said on the first page in place of any "last dose": the date the plan covers until, the
    next supply, and never stopping suddenly (clinical-reference-2 §4, §1c)."""
    from taper.voice.times import long_date

    until = long_date(max(d.date for d in plan.doses)) if plan.doses else long_date(plan.end)
    if _by_caregiver(plan):
        return _(
            "This plan covers your child's doses until {date}. Do not stop after that: keep "
            "giving the medicine as your care team tells you. Get the next supply before this "
            "one runs out, and never stop it suddenly.",
            date=until,
        )
    return _(
        "This plan covers your doses until {date}. Do not stop after that: keep taking your "
        "medicine as your care team tells you. Get your next supply before this one runs out, "
        "and never stop it suddenly.",
        date=until,
    )


def by_caregiver(plan: Plan) -> bool:
    """Whether the patient handout speaks to a caregiver about the child (L1)."""
    return _by_caregiver(plan)


def _by_caregiver(plan: Plan) -> bool:
    """Every steroid the course gives at home is given by a caregiver (a parent): the handout
    speaks to them about the child (L1)."""
    home = [p for p in plan.phases if p.drug_class in ("steroid", "acth") and p.given_by != "staff"]
    return bool(home) and all(p.given_by == "caregiver" for p in home)


def stop_note(plan: Plan) -> str:
    """Do not stop suddenly, in the words of how the course is given: tablets or a liquid,
    taken or given by a caregiver, or infusions and injections staff give (L1, L4). It says
    nothing of skipping: the page's one missed-dose rule is under "If you miss a dose"."""
    home = [p for p in plan.phases if p.drug_class in ("steroid", "acth") and p.given_by != "staff"]
    call = call_the_clinic(plan)
    if not home:
        return _(
            "Do not miss an infusion or injection without talking to your care team: after a "
            "course this long, stopping suddenly can make you unwell. If you cannot come for "
            "one, {call} the same day.",
            call=call,
        )
    forms = solid_forms(d for d in plan.doses if d.phase in {p.name for p in home})
    # Tablets and capsules together are "the medicine": one word cannot name both.
    tablets = forms == {"tablet"}
    capsules = forms == {"capsule"}
    if all(p.given_by == "caregiver" for p in home):
        if tablets:
            return _(
                "Do not stop giving the tablets early: after a course this long, stopping "
                "suddenly can make your child unwell. If you cannot give a dose, {call}.",
                call=call,
            )
        if capsules:
            return _(
                "Do not stop giving the capsules early: after a course this long, stopping "
                "suddenly can make your child unwell. If you cannot give a dose, {call}.",
                call=call,
            )
        return _(
            "Do not stop giving the medicine early: after a course this long, stopping "
            "suddenly can make your child unwell. If you cannot give a dose, {call}.",
            call=call,
        )
    if tablets:
        return _(
            "Do not stop taking your tablets early: after a course this long, stopping "
            "suddenly can make you unwell. If you cannot take a dose, {call}.",
            call=call,
        )
    if capsules:
        return _(
            "Do not stop taking your capsules early: after a course this long, stopping "
            "suddenly can make you unwell. If you cannot take a dose, {call}.",
            call=call,
        )
    return _(
        "Do not stop taking your medicine early: after a course this long, stopping suddenly "
        "can make you unwell. If you cannot take a dose, {call}.",
        call=call,
    )


def product_notes(plan: Plan) -> list[str]:
    """How to take each product, from its label (grapefruit, crushing, mixing a liquid), in
    the patient's language: ``note`` entries of the drug catalogue, for the forms the plan
    dispenses."""
    return [data_text(note, "drugs.toml") for note in product_note_texts(plan)]


def product_note_texts(plan: Plan) -> list[str]:
    """The label notes as the catalogue writes them (English: the pharmacist's sheet)."""
    from taper.read.catalogue import find_drug

    notes: list[str] = []
    for phase in plan.phases:
        drug = find_drug(phase.drug)
        if drug is None or phase.route != "oral":
            continue
        forms = {"", "liquid" if phase.liquid else f"{phase.solid_form}s"}
        for form, text in drug.notes:
            if form in forms and text not in notes:
                notes.append(text)
    return notes


def calendar_help() -> tuple[str, str, list[Rich]]:
    """The box on putting the reminders into a calendar app: title, introduction, tips."""
    title, intro, tips = _calendar_help(language())
    return title, intro, list(tips)


@cache
def _calendar_help(tag: str) -> tuple[str, str, tuple[Rich, ...]]:
    """The calendar box in one language (``tag``: the language being spoken, the cache's key),
    made once per language and process: a print run's handouts all show the same box."""
    data = shared_data("calendar_help.toml")

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
    if any(daily_amount_varies(p) for p in divided):
        points.append(
            "Divided doses: the daily amount is split across the day and changes from "
            "day to day. Go through the times on the patient's checklist with them."
        )
    elif divided:
        points.append(
            "Divided doses: the daily amount is split across the day. Go through the "
            "times on the patient's checklist with them."
        )
    if "evening-dose" in codes:
        points.append(
            "Some doses are late in the day as ordered; steroids taken late can make "
            "it hard to sleep."
        )
    most = most_tablets(plan)
    if "many-tablets" in codes and most is not None:
        units = tablet_word(most[0], most[1].tablets[0].form)
        points.append(
            f"Many {units} at once (up to {count_text(most[0])}): count them out first "
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
    forms: dict[str, set[str]] = defaultdict(set)
    for line in sorted(plan.dispense, key=lambda line: line.strength):
        strengths[line.drug_name].append(quantity_text(line.strength, line.unit))
        forms[line.drug_name].add(line.form)
    for name, values in strengths.items():
        if len(values) > 1:
            which = "capsule" if forms[name] == {"capsule"} else "tablet"
            points.append(
                f"{name} comes in more than one strength ({and_list(values)}): "
                f"show the patient which {which} is which."
            )
    if plan.continues:
        points.append(
            'The treatment goes on after this plan (after = "continue"): the patient must '
            "not stop it. Make sure the next supply or plan follows before this one runs out."
        )
    if "adrenal" in codes and plan.continues:
        points.append(
            "Do not stop suddenly: this treatment is long or high enough to suppress the "
            "adrenal glands. Report weakness, deep tiredness, dizziness on standing, nausea "
            "or vomiting after a missed or stopped dose; severe vomiting or fainting is an "
            "emergency."
        )
    elif "adrenal" in codes:
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
    for phase in plan.phases:
        if phase.missed:
            points.append(str(text["missed_own"]).format(phase=phase.name, missed=phase.missed))
    steps = [(p, s) for p, s in _oral_steroid_steps(plan) if not p.missed]
    daily = [step for _, step in steps if step.every == 1]
    if steps and sum(len(step.doses) * _doses_in(step) for _, step in steps) == 1:
        points.append(str(text["missed_single"]))
    elif any(len(step.doses) > 1 or step.every_hours for step in daily):
        points.append(str(text["missed_several"]))
    elif daily:
        points.append(str(text["missed"]))
    if any(step.every > 1 for _, step in steps):
        points.append(str(text["missed_every_other_day"]))
    if any(p.drug_class in ("steroid", "acth") for p in plan.phases):
        points.append(str(text["others"]))
    if liquid_note(plan) is not None:
        points.append(str(text["liquid"]))
    if needs_bone_advice(plan):
        points.append(str(_data()["bone"]["pharmacist"]))
    notes = product_note_texts(plan)
    if notes:
        points.append(str(text["label_notes"]).format(notes=" ".join(notes)))
    if _by_caregiver(plan):
        points.append(str(text["caregiver"]))
    return points


# -- must-have counselling (data/counselling.toml, clinical-reference-2 §1–§4) -----------------


def _data() -> dict[str, Any]:
    return shared_data("counselling.toml")


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


#: A day of a steroid whose dose taper cannot convert to prednisone (a declared glucocorticoid,
#: oral budesonide) meets every dose threshold: its rules go by the course's length alone.
BY_LENGTH = Decimal("Infinity")


def counted_by_length(phase: PhasePlan) -> bool:
    """A steroid phase with no prednisone equivalence in taper (issue 25, H1)."""
    from taper.read.catalogue import find_drug

    if phase.drug_class != "steroid":
        return False
    drug = find_drug(phase.drug)
    return drug.counsel_by_length if drug is not None else not phase.known_drug


# By plan and ``averaged``: a packet asks for them six times (the card, vaccines, bones, the
# adrenal section, each handout), and a two-year taper has 700 doses to convert each time.
_STEROID_DAYS: ByPlan[dict[int, Decimal]] = ByPlan()


def steroid_days(plan: Plan, *, averaged: bool) -> dict[int, Decimal]:
    """Prednisone-equivalent mg on each course day with a steroid. ``averaged``: the days of an
    every-other-day step count at the step's daily average (its off days too). A steroid taper
    cannot convert counts as above every threshold (``BY_LENGTH``)."""
    return dict(_STEROID_DAYS.get(plan, averaged, lambda: _steroid_days(plan, averaged=averaged)))


def _steroid_days(plan: Plan, *, averaged: bool) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    by_length = {phase.name for phase in plan.phases if counted_by_length(phase)}
    for dose in plan.doses:
        totals[dose.day] += BY_LENGTH if dose.phase in by_length else _prednisone_mg(dose)
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


def _longest_run(days: dict[int, Decimal], threshold: Decimal, *, join_breaks: bool = True) -> int:
    """The longest continuous run of course days at or above ``threshold``, counted as every
    judgement by length counts it (taper.read.rules.exposure_runs: cycles weeks apart are
    separate courses)."""
    return longest_exposure(days, lambda mg: mg >= threshold, join_breaks=join_breaks)


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
    threshold = vaccine_threshold_mg(plan)
    return _longest_run(days, threshold, join_breaks=False) >= int(_data()["vaccines"]["days"])


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
    """What to do about a missed dose (§2): the prescriber's own words for a phase that has
    them (``missed``); one rule for the steroid taken at home (a course with several doses a
    day gets the several-a-day rule only, L2/L3); a single-dose course never "skip it" (M5);
    a course whose doses staff give says what to do if one cannot happen (L4)."""
    text = _data()["missed"]
    caregiver = any(p.given_by == "caregiver" for p in plan.phases if p.route == "oral")
    words = {**text, **text["caregiver"]} if caregiver else text
    call = call_the_clinic(plan)
    lines: list[Rich] = []
    own = [p for p in plan.phases if p.missed]
    for phase in own:
        if len(plan.phases) > 1:
            lines.append(
                (
                    Strong(_t(text["phase_heading"]).format(phase=phase.name)),
                    " ",
                    phase.missed or "",
                )
            )
        else:
            lines.append((phase.missed or "",))
    steps = [(p, s) for p, s in _oral_steroid_steps(plan) if not p.missed]
    if steps:
        if sum(len(step.doses) * _doses_in(step) for _, step in steps) == 1:
            lines.append((_t(words["single_dose"]).format(call=call),))
            return _t(text["heading"]), lines
        daily = [step for _, step in steps if step.every == 1]
        if any(len(step.doses) > 1 or step.every_hours for step in daily):
            lines.append((_t(words["more_than_once"]),))
        elif daily:
            lines.append((_t(words["once_daily"]),))
        if daily:
            lines.append((Strong(_t(words["never_double"])),))
        if any(step.every > 1 for _, step in steps):
            lines.append((_t(text["every_other_day"]),))
    staff = [
        p
        for p in plan.phases
        if not p.missed
        and p.route in STAFF_ROUTES
        and p.given_by == "staff"
        and p.drug_class in ("steroid", "acth")
    ]
    if staff and not steps:
        lines.append((_t(text["staff_dose"]).format(call=call),))
    if not lines:
        return None
    return _t(text["heading"]), lines


def _doses_in(step: StepPlan) -> int:
    """How many days of the step carry doses."""
    if step.every_hours and step.series_doses:
        return step.series_doses
    return len(range(0, step.days, step.every))


def looking_after_yourself(plan: Plan) -> list[Section]:
    """The must-have counselling for the patient, in the order the handout prints it."""
    data = _data()
    steroid = any(p.drug_class in ("steroid", "acth") for p in plan.phases)
    sections: list[Section] = []
    missed = missed_dose(plan)
    if missed is not None:
        sections.append(missed)
    if steroid:
        others = data["others"]["caregiver" if _by_caregiver(plan) else "text"]
        lines: list[Rich] = [(_t(others),)]
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
    child = "_caregiver" if _by_caregiver(plan) else ""
    carry = card[f"card_gb{child}"] if words.country == "GB" else card[f"card{child}"]
    intro = card[f"intro{child}"]
    sections: list[Section] = [(_t(card["heading"]), [(_t(intro),), (Strong(_t(carry)),)])]
    # The sick-day points are about a steroid taken at home (§1c): "keep taking your steroid",
    # "keep your tablets down". For a course of ACTH gel, or of infusions or injections alone
    # (weekly IV pulses), they would speak of a steroid the patient has never held.
    home = [p for p in plan.phases if p.drug_class == "steroid" and p.route == "oral"]
    if home:
        if all(p.given_by == "caregiver" for p in home):
            sick = card["sick_caregiver"]
        elif solid_forms(plan.doses) != {"tablet"}:
            # A liquid, capsules, or both forms: the points that say "medicine".
            sick = card["sick_liquid"]
        else:
            sick = card["sick"]
        sections.append((_t(card[f"sick_heading{child}"]), [(_t(line),) for line in sick]))
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
    from taper.voice.watch import low_steps_start

    low = low_steps_start(plan)
    # The timing follows the plan's shape: "as your dose comes down" only when it does.
    key = "when_low" if low is not None else "when" if steroid_comes_down(plan) else "when_flat"
    if plan.continues:  # no "last dose": the treatment goes on after this plan
        key = "when_continue"
    if _by_caregiver(plan):
        key += "_caregiver"
    when = _t(data[key]).format(
        last_date=long_date(last),
        until=long_date(until),
        low_date=long_date(date_of(plan, low)) if low is not None else "",
    )
    from taper.voice.watch import adrenal_signs

    # The watch list's own items, less those a more urgent item on the page stands in for.
    signs = adrenal_signs(plan)
    heading = data["heading_caregiver" if _by_caregiver(plan) else "heading"]
    return _t(heading), when, signs, _t(data["emergency"])


def liquid_note(plan: Plan) -> str | None:
    """Measuring a liquid: an oral syringe, in mL (§4)."""
    if any(d.route == "oral" and d.volume_ml is not None and not d.tablets for d in plan.doses):
        return _t(_data()["liquid"]["caregiver" if _by_caregiver(plan) else "text"])
    return None


def bone_note(plan: Plan) -> str | None:
    if not needs_bone_advice(plan):
        return None
    return _t(_data()["bone"]["patient_caregiver" if _by_caregiver(plan) else "patient"])
