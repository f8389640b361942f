"""Doses in words: tablet phrases, a dose at a glance, a phase's heading, a patient's dose line."""

from __future__ import annotations

from decimal import Decimal

from taper.read.quantities import number_text, quantity_text
from taper.read.rules import is_iv_push
from taper.records.plan import Dose, Event, PhasePlan, Plan, StepDose, StepPlan, TabletCount
from taper.voice.text import NBSP, and_list, count_text, minutes_text, nb
from taper.voice.times import TimeStyle, clock, moment
from taper.voice.words import Words

ROUTE_WORDS = {
    "oral": "by mouth",
    "iv": "IV",
    "im": "into a muscle",
    "sc": "under the skin",
    "procedure": "procedure",
}
# Routes whose doses staff give (an infusion, an injection, a procedure), unless the phase's
# given_by says the patient or a caregiver gives them (issue 11 item 5).
STAFF_ROUTES = ("iv", "im", "sc", "procedure")
GIVER_WORDS = {
    "staff": "Administered by staff.",
    "patient": "Given by the patient at home.",
    "caregiver": "Given at home by a caregiver.",
}


def iv_push(drug: str, duration_min: int | None) -> bool:
    """An IV dose given as an injection into a vein, not an infusion (IV push, issue 12)."""
    return is_iv_push(drug, "iv", duration_min)


def given_by(plan: Plan, dose: Dose) -> str:
    """Who gives the dose: the phase's ``given_by``."""
    phase = next((p for p in plan.phases if p.name == dose.phase), None)
    return phase.given_by if phase is not None else "patient"


def by_staff(plan: Plan, dose: Dose) -> bool:
    """An infusion, injection or procedure that staff give (the nurse sheet lists it)."""
    return dose.route in STAFF_ROUTES and given_by(plan, dose) == "staff"


def tablets_total(tablets: tuple[TabletCount, ...]) -> Decimal:
    return sum((t.count for t in tablets), Decimal(0))


def tablet_word(count: Decimal) -> str:
    return "tablet" if count <= 1 else "tablets"


# The last plans asked about, by identity: a calendar asks once per day.
_IN_USE: list[tuple[Plan, frozenset[str]]] = []


def strengths_in_use(plan: Plan) -> frozenset[str]:
    """The drugs the course gives in more than one tablet strength: their tablets are named
    with the strength wherever they are counted."""
    for known, drugs in _IN_USE:
        if known is plan:
            return drugs
    drugs = _strengths_in_use(plan)
    _IN_USE.insert(0, (plan, drugs))
    del _IN_USE[4:]
    return drugs


def _strengths_in_use(plan: Plan) -> frozenset[str]:
    seen: dict[str, set[tuple[Decimal, str]]] = {}
    for dose in plan.doses:
        for t in dose.tablets:
            seen.setdefault(dose.drug, set()).add((t.strength, t.unit))
    return frozenset(drug for drug, found in seen.items() if len(found) > 1)


def patient_tablets(tablets: tuple[TabletCount, ...]) -> str:
    """Tablets as a patient counts them out: ``3 × 20 mg tablets``; with two strengths,
    ``2 of the 20 mg tablets and 1 of the 10 mg tablets``."""
    if len(tablets) == 1:
        return tablet_phrase(tablets)
    return and_list(
        [
            f"{count_text(t.count)} of the {quantity_text(t.strength, t.unit)} tablets"
            for t in tablets
        ]
    )


def tablet_phrase(tablets: tuple[TabletCount, ...]) -> str:
    """``3 × 20 mg tablets``; ``1 × 20 mg + 1 × 5 mg tablets``; ``1½ × 10 mg tablets``."""
    parts = [f"{count_text(t.count)} × {quantity_text(t.strength, t.unit)}" for t in tablets]
    return f"{' + '.join(parts)} {tablet_word(tablets_total(tablets))}"


def amount(value: Decimal | None, unit: str | None) -> str:
    """``60 mg``; empty when the dose has no amount (a procedure)."""
    return quantity_text(value, unit) if value is not None and unit is not None else ""


def step_total(step: StepPlan) -> Decimal:
    return sum((d.amount for d in step.doses if d.amount is not None), Decimal(0))


def has_halves(tablets: tuple[TabletCount, ...]) -> bool:
    return any(t.count != int(t.count) for t in tablets)


def dose_summary(dose: Dose) -> str:
    """What to take, at a glance: ``Prednisone 40 mg: 2 × 20 mg tablets``."""
    if dose.amount is None or dose.unit is None:
        if dose.session is not None:
            return f"{dose.drug_name} session {dose.session} of {dose.sessions}"
        return dose.drug_name
    how_much = quantity_text(dose.amount, dose.unit)
    if dose.tablets:
        return f"{dose.drug_name} {how_much}: {tablet_phrase(dose.tablets)}"
    volume = f" ({quantity_text(dose.volume_ml, 'mL')})" if dose.volume_ml is not None else ""
    if dose.route == "oral":
        if dose.volume_ml is not None:
            return f"{dose.drug_name} {how_much}: {quantity_text(dose.volume_ml, 'mL')} by mouth"
        return f"{dose.drug_name} {how_much} by mouth"
    if dose.route == "iv" and iv_push(dose.drug, dose.duration_min):
        return f"{dose.drug_name} {how_much} injection into a vein{volume}"
    if dose.route == "iv":
        return f"{dose.drug_name} {how_much} IV infusion{volume}"
    if dose.route in ("im", "sc"):
        return f"{dose.drug_name} {how_much} injection {ROUTE_WORDS[dose.route]}{volume}"
    return f"{dose.drug_name} {how_much}"


def event_summary(event: Event) -> str:
    return event.what


def phase_heading(phase: PhasePlan) -> str:
    """``Taper: Prednisone by mouth, days 4–17``."""
    days = (
        f"day {phase.first_day}"
        if phase.first_day == phase.last_day
        else f"days {phase.first_day}–{phase.last_day}"
    )
    route = "" if phase.route == "procedure" else f" {ROUTE_WORDS[phase.route]}"
    return f"{phase.name}: {phase.drug_name}{route}, {days}"


def take_of(plan: Plan, dose: Dose) -> str | None:
    """The phase's ``take`` text ("with food"): a Dose carries it only inside a sentence."""
    phase = next((p for p in plan.phases if p.name == dose.phase), None)
    return phase.take.strip() if phase is not None and phase.take else None


def patient_dose(plan: Plan, dose: Dose) -> str:
    """``Prednisone 60 mg: 3 × 20 mg tablets, with food``."""
    text = dose_summary(dose)
    if len(dose.tablets) > 1 and dose.amount is not None and dose.unit is not None:
        text = f"{dose.drug_name} {quantity_text(dose.amount, dose.unit)}: "
        text += patient_tablets(dose.tablets)
    take = take_of(plan, dose)
    if take:
        text += f", {take}"
    if has_halves(dose.tablets):
        text += ". Cut a tablet in half along the line"
    if dose.route in STAFF_ROUTES:
        extra = []
        if dose.duration_min:
            extra.append(f"about {minutes_text(dose.duration_min)}")
        if dose.where:
            extra.append(at_place(dose.where))
        if extra:
            text += ", " + ", ".join(extra)
    return text


_PREPOSITIONS = ("at", "in", "on", "by", "from", "inside", "near", "outside", "to")


def at_place(where: str) -> str:
    """``at Infusion center``; a place that starts with its own preposition keeps it
    (``At home`` → ``at home``, never ``at At home``)."""
    first = where.split(" ", 1)[0]
    if first.casefold() in _PREPOSITIONS:
        return first.casefold() + where[len(first) :]
    return f"at {where}"


def staff_dose(plan: Plan, dose: Dose) -> str:
    """A dose on the nurse's sheet: ``Methylprednisolone 1000 mg IV infusion, with food``."""
    text = dose_summary(dose)
    take = take_of(plan, dose)
    return f"{text}, {take}" if take else text


def when_patient(dose: StepDose | Dose, style: TimeStyle) -> str:
    """``at 8:00 AM (breakfast)``."""
    slot = f" ({dose.slot})" if dose.slot else ""
    return f"at {clock(dose.time, style)}{slot}"


def calendar_dose(dose: Dose, style: TimeStyle, *, strengths: bool) -> tuple[str, str]:
    """One dose in a calendar cell, as (time, what): short, and wrapping only between parts.
    With ``strengths`` (the course uses more than one), the tablets are named by strength:
    ``70 mg: 1 × 50 mg + 1 × 20 mg``."""
    time = moment(dose.starts, style)
    if dose.session is not None:
        return time, f"{dose.drug_name} ({dose.session}{NBSP}of{NBSP}{dose.sessions})"
    how_much = nb(amount(dose.amount, dose.unit))
    if dose.tablets and strengths:
        parts = [
            nb(f"{count_text(t.count)} × {quantity_text(t.strength, t.unit)}") for t in dose.tablets
        ]
        return time, f"{how_much}: {' + '.join(parts)}"
    if dose.tablets:
        count = tablets_total(dose.tablets)
        return time, f"{how_much}: {nb(f'{count_text(count)} {tablet_word(count)}')}"
    if dose.route == "iv":
        kind = "injection" if iv_push(dose.drug, dose.duration_min) else "infusion"
        return time, f"{how_much} {kind}"
    if dose.route in ("im", "sc"):
        volume = (
            f" ({nb(quantity_text(dose.volume_ml, 'mL'))})" if dose.volume_ml is not None else ""
        )
        return time, f"{how_much} injection{volume}"
    if dose.volume_ml is not None:
        return time, f"{how_much}: {nb(quantity_text(dose.volume_ml, 'mL'))}"
    return time, how_much


def every_text(every: int) -> str:
    return "every other day" if every == 2 else f"every {every} days"


def patient_step(phase: PhasePlan, step: StepPlan, style: TimeStyle) -> str:
    """A step of a phase for the patient: ``40 mg (2 × 20 mg tablets) once a day at 8:00 AM``;
    ``… every other day at 8:00 AM``. The doses of a day in the order the day runs."""
    doses = sorted(step.doses, key=lambda d: d.time)
    if not doses:
        return "no dose"
    unit = doses[0].unit
    if len(doses) == 1:
        dose = doses[0]
        detail = ""
        if dose.tablets:
            detail = f" ({patient_tablets(dose.tablets)})"
        elif dose.volume_ml is not None:
            detail = f" ({quantity_text(dose.volume_ml, 'mL')})"
        kind = {
            "iv": " injection into a vein"
            if iv_push(phase.drug, phase.duration_min)
            else " infusion (IV drip)",
            "sc": " injection under the skin",
            "im": " injection into a muscle",
        }.get(phase.route, "")
        if step.every_hours and step.series_doses:
            series = series_patient(step.every_hours, step.series_doses, dose.time, style)
            return f"{amount(dose.amount, unit)}{kind}{detail} {series}"
        often = "once a day" if step.every == 1 else every_text(step.every)
        return f"{amount(dose.amount, unit)}{kind}{detail} {often} {when_patient(dose, style)}"
    pieces = [
        f"{amount(d.amount, d.unit)}"
        + (f" ({patient_tablets(d.tablets)})" if d.tablets else "")
        + f" {when_patient(d, style)}"
        for d in doses
    ]
    total = amount(step_total(step), unit)
    often = (
        f"a day in {len(doses)} doses"
        if step.every == 1
        else (f"in {len(doses)} doses, {every_text(step.every)}")
    )
    return f"{total} {often}: " + and_list(pieces)


def series_patient(hours: int, count: int, first: str, style: TimeStyle) -> str:
    """``every 6 hours, day and night: 12 doses, the first at 6:00 AM``."""
    return f"every {hours} hours, day and night: {count} doses, the first at {clock(first, style)}"


# -- the instructions each dose carries (plan.json, the reminders) --------------------------


def dose_instructions(dose: Dose, words: Words) -> str:
    """A dose as the sentence ``plan.json`` and the reminders carry: ``Take 2 × 20 mg tablets
    (40 mg) by mouth, with food.``; ``Measure 5 mL of the 5 mg/mL liquid (5 mg) and take it by
    mouth.``; ``Methylprednisolone 1 g infusion over 1 h at Infusion center.``; a procedure's
    session: ``Plasma exchange session 2 of 3 at the day unit, about 2 h 30 min.``"""
    del words  # English only for now: the words a dose carries are the same in every clock
    if dose.amount is None or dose.unit is None:
        return _session_instructions(dose)
    return _given_instructions(dose, dose.amount, dose.unit)


def _given_instructions(dose: Dose, amount: Decimal, unit: str) -> str:
    """``dose.liquid`` is the concentration's text when the dose is measured from a liquid,
    ``dose.take`` the phase's own words ("with food"); ``dose.push``: an IV dose given as an
    injection into a vein (no infusion length ordered; IV push, issue 12)."""
    drug, route, where, take = dose.drug_name, dose.route, dose.where, dose.take
    how_much = quantity_text(amount, unit)
    extra = f", {take.strip()}" if take else ""
    if dose.tablets:
        text = f"Take {tablet_phrase(dose.tablets)} ({how_much}) by mouth{extra}."
        if has_halves(dose.tablets):
            text += " Cut tablets in half along the score line."
        return text
    if dose.volume_ml is not None and dose.liquid is not None:
        volume = number_text(dose.volume_ml, "mL")
        if route == "oral":
            return (
                f"Measure {volume} mL of the {dose.liquid} liquid ({how_much}) "
                f"and take it by mouth{extra}."
            )
        return f"{drug} {how_much} ({volume} mL of {dose.liquid}) {ROUTE_WORDS[route]}{extra}."
    if route == "iv" and dose.push:
        place = f" {at_place(where)}" if where else ""
        return f"{drug} {how_much} injection into a vein{place}{extra}."
    if route == "iv":
        length = f" over {minutes_text(dose.duration_min)}" if dose.duration_min else ""
        place = f" {at_place(where)}" if where else ""
        return f"{drug} {how_much} infusion{length}{place}{extra}."
    if route in ("im", "sc"):
        return f"{drug} {how_much} injection {ROUTE_WORDS[route]}{extra}."
    return f"{drug} {how_much}{extra}."


def _session_instructions(dose: Dose) -> str:
    """A procedure's session, followed by the phase's own words."""
    length = f", about {minutes_text(dose.duration_min)}" if dose.duration_min else ""
    place = f" {at_place(dose.where)}" if dose.where else ""
    extra = f" {dose.take.strip()}" if dose.take else ""
    what = f"{dose.drug_name} session {dose.session} of {dose.sessions}"
    return f"{what}{place}{length}.{extra}".rstrip()
