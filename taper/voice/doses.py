"""Doses in words: tablet phrases, a dose at a glance, a phase's heading, a patient's dose line."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from taper.read.quantities import number_text, quantity_text
from taper.read.rules import is_iv_push
from taper.records.plan import (
    ByPlan,
    Dose,
    Event,
    PhasePlan,
    Plan,
    StepDose,
    StepPlan,
    TabletCount,
)
from taper.voice.lang import _, language, np_, p_
from taper.voice.text import and_list, count_text, minutes_text, nb
from taper.voice.times import TimeStyle, at_clock, days_text, moment
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


def solid_forms(doses: Iterable[Dose]) -> frozenset[str]:
    """The solid forms the doses use: {"tablet"}, {"capsule"}, both, or none (a liquid)."""
    return frozenset(t.form for d in doses for t in d.tablets)


def tablet_word(count: Decimal, form: str = "tablet") -> str:
    """The unit's noun in English (the pharmacist's and nurse's sheets): a capsule is a
    capsule on every sheet."""
    if form == "capsule":
        return "capsule" if count <= 1 else "capsules"
    return "tablet" if count <= 1 else "tablets"


# A calendar asks once per day.
_IN_USE: ByPlan[frozenset[str]] = ByPlan()


def strengths_in_use(plan: Plan) -> frozenset[str]:
    """The drugs the course gives in more than one tablet strength: their tablets are named
    with the strength wherever they are counted."""
    return _IN_USE.get(plan, None, lambda: _strengths_in_use(plan))


def _strengths_in_use(plan: Plan) -> frozenset[str]:
    seen: dict[str, set[tuple[Decimal, str]]] = {}
    for dose in plan.doses:
        for t in dose.tablets:
            seen.setdefault(dose.drug, set()).add((t.strength, t.unit))
    return frozenset(drug for drug, found in seen.items() if len(found) > 1)


def drug_word(name: str) -> str:
    """A drug's name in the patient's language: ``Prednisone``; ``Prednisona`` (the Spanish
    generic name, from the catalogue; a name it does not know prints as written)."""
    return p_("drug name", name)


def _one_group(t: TabletCount) -> str:
    """One strength's tablets, the noun agreeing with its own count: ``1 × 10 mg tablet``;
    in Spanish ``1 tableta de 10 mg``, ``2 tabletas de 20 mg``, ``media tableta de 10 mg``;
    capsules as ``3 × 3 mg capsules``, ``3 cápsulas de 3 mg`` (never halved)."""
    strength = quantity_text(t.strength, t.unit)
    count = count_text(t.count)
    if t.form == "capsule":
        # Translators: {count} is 1, 2, 3...; {strength} is "3 mg": "3 cápsulas de 3 mg".
        return np_(
            "capsules of one strength",
            "{count} × {strength} capsule",
            "{count} × {strength} capsules",
            1 if t.count <= 1 else 2,
            count=count,
            strength=strength,
        )
    if t.count == Decimal("0.5"):
        # Translators: exactly half a tablet: "media tableta de {strength}".
        return p_("half a tablet", "½ × {strength} tablet", strength=strength)
    # Translators: {count} is 1, 2 or 1½ (1½ takes the plural); {strength} is "20 mg".
    return np_(
        "tablets of one strength",
        "{count} × {strength} tablet",
        "{count} × {strength} tablets",
        1 if t.count <= 1 else 2,
        count=count,
        strength=strength,
    )


def _group_of_several(t: TabletCount) -> str:
    """One strength's tablets when the dose takes two strengths: ``2 of the 20 mg tablets``."""
    strength = quantity_text(t.strength, t.unit)
    count = count_text(t.count)
    if t.form == "capsule":
        # Translators: one strength of a dose that takes two: "2 cápsulas de 4 mg" (agrees
        # with its own count).
        return np_(
            "capsules of one of two strengths",
            "{count} of the {strength} capsules",
            "{count} of the {strength} capsules",
            1 if t.count <= 1 else 2,
            count=count,
            strength=strength,
        )
    if t.count == Decimal("0.5"):
        return p_("half a tablet", "½ of the {strength} tablets", strength=strength)
    # Translators: one strength of a dose that takes two: "2 tabletas de 20 mg" (agrees with
    # its own count).
    return np_(
        "tablets of one of two strengths",
        "{count} of the {strength} tablets",
        "{count} of the {strength} tablets",
        1 if t.count <= 1 else 2,
        count=count,
        strength=strength,
    )


def patient_tablets(tablets: tuple[TabletCount, ...]) -> str:
    """Tablets as a patient counts them out: ``3 × 20 mg tablets``; with two strengths,
    ``2 of the 20 mg tablets and 1 of the 10 mg tablets``."""
    if len(tablets) == 1:
        return tablet_phrase(tablets)
    return and_list([_group_of_several(t) for t in tablets])


def tablet_phrase(tablets: tuple[TabletCount, ...]) -> str:
    """``3 × 20 mg tablets``; ``1 × 20 mg + 1 × 5 mg tablets``; ``1½ × 10 mg tablets``; in
    Spanish each strength's tablets with its own noun: ``2 tabletas de 20 mg y 1 tableta de
    10 mg``."""
    if len(tablets) == 1:
        return _one_group(tablets[0])
    if language() != "en":
        return and_list([_one_group(t) for t in tablets])
    parts = [f"{count_text(t.count)} × {quantity_text(t.strength, t.unit)}" for t in tablets]
    return f"{' + '.join(parts)} {tablet_word(tablets_total(tablets), tablets[0].form)}"


def tablets_count(count: Decimal, form: str = "tablet") -> str:
    """``2 tablets``, ``½ tablet``; ``2 tabletas``, ``media tableta``; ``3 capsules``,
    ``3 cápsulas``."""
    if form == "capsule":
        return np_(
            "capsule count",
            "{count} capsule",
            "{count} capsules",
            1 if count <= 1 else 2,
            count=count_text(count),
        )
    if count == Decimal("0.5"):
        return p_("half a tablet", "½ tablet")
    return np_(
        "tablet count",
        "{count} tablet",
        "{count} tablets",
        1 if count <= 1 else 2,
        count=count_text(count),
    )


def amount(value: Decimal | None, unit: str | None) -> str:
    """``60 mg``; empty when the dose has no amount (a procedure)."""
    return quantity_text(value, unit) if value is not None and unit is not None else ""


def step_total(step: StepPlan) -> Decimal:
    return sum((d.amount for d in step.doses if d.amount is not None), Decimal(0))


def has_halves(tablets: tuple[TabletCount, ...]) -> bool:
    return any(t.count != int(t.count) for t in tablets)


# -- each distinct dose worded once ---------------------------------------------------------

# The fields a Dose carries before what it is: its moment, which no dose's words read. A course
# repeats one dose on many days (a two-year taper, hundreds of times), so the words are keyed
# by the language and the rest of the Dose; equal numbers print alike (quantities.plain), so
# equal keys always mean equal words.
MOMENT_FIELDS = ("day", "date", "time", "starts")
_WORDED: dict[tuple[str, str, tuple[object, ...]], str] = {}
_WORDED_LIMIT = 4096


def _worded(kind: str, dose: Dose, word: Callable[[Dose], str]) -> str:
    key = (kind, language(), dose[len(MOMENT_FIELDS) :])
    found = _WORDED.get(key)
    if found is None:
        if len(_WORDED) >= _WORDED_LIMIT:
            _WORDED.clear()
        found = _WORDED[key] = word(dose)
    return found


def dose_summary(dose: Dose) -> str:
    """What to take, at a glance: ``Prednisone 40 mg: 2 × 20 mg tablets``."""
    return _worded("summary", dose, _summary)


def _summary(dose: Dose) -> str:
    drug = drug_word(dose.drug_name)
    if dose.amount is None or dose.unit is None:
        if dose.session is not None:
            # Translators: {drug} is a procedure ("Plasma exchange"): "sesión 2 de 3".
            return _(
                "{drug} session {session} of {sessions}",
                drug=drug,
                session=dose.session,
                sessions=dose.sessions,
            )
        return drug
    how_much = quantity_text(dose.amount, dose.unit)
    if dose.tablets:
        # Translators: a reminder's title: "Prednisona 40 mg: 2 tabletas de 20 mg".
        return _(
            "{drug} {amount}: {tablets}",
            drug=drug,
            amount=how_much,
            tablets=tablet_phrase(dose.tablets),
        )
    values = {"drug": drug, "amount": how_much}
    if dose.volume_ml is not None:
        values["volume"] = quantity_text(dose.volume_ml, "mL")
    with_volume = dose.volume_ml is not None
    if dose.route == "oral":
        if with_volume:
            return _("{drug} {amount}: {volume} by mouth", **values)
        return _("{drug} {amount} by mouth", **values)
    if dose.route == "iv" and iv_push(dose.drug, dose.duration_min):
        if with_volume:
            return _("{drug} {amount} injection into a vein ({volume})", **values)
        return _("{drug} {amount} injection into a vein", **values)
    if dose.route == "iv":
        if with_volume:
            return _("{drug} {amount} IV infusion ({volume})", **values)
        return _("{drug} {amount} IV infusion", **values)
    if dose.route == "im":
        if with_volume:
            return _("{drug} {amount} injection into a muscle ({volume})", **values)
        return _("{drug} {amount} injection into a muscle", **values)
    if dose.route == "sc":
        if with_volume:
            return _("{drug} {amount} injection under the skin ({volume})", **values)
        return _("{drug} {amount} injection under the skin", **values)
    return _("{drug} {amount}", **values)


def event_summary(event: Event) -> str:
    return event.what


def phase_heading(phase: PhasePlan) -> str:
    """``Taper: Prednisone by mouth, days 4–17``."""
    days = (
        f"day {phase.first_day}"
        if phase.first_day == phase.last_day
        else f"days {phase.first_day}–{phase.last_day}"
    )
    if language() != "en":
        days = days_text(phase.first_day, phase.last_day)
        if phase_name(phase) == drug_word(phase.drug_name):
            return _("{drug}, {days}", drug=drug_word(phase.drug_name), days=days)
        return _(
            "{phase}: {drug}, {days}",
            phase=phase_name(phase),
            drug=drug_word(phase.drug_name),
            days=days,
        )
    route = "" if phase.route == "procedure" else f" {ROUTE_WORDS[phase.route]}"
    return f"{phase.name}: {phase.drug_name}{route}, {days}"


def phase_name(phase: PhasePlan) -> str:
    """A phase's name as printed for the patient: the clinician's own words, except the default
    name (the drug's), which is the drug's name in the patient's language."""
    if phase.name.casefold() == phase.drug_name.casefold():
        return drug_word(phase.drug_name)
    return phase.name


# The standard ``take`` values (README: "with food"): translated; other text is the clinician's.
def take_words(take: str) -> str:
    """``with food`` → ``con alimentos``; the clinician's own words print as written."""
    if language() == "en":
        return take.strip()
    standard = {
        "with food": p_("take", "with food"),
        "with a meal": p_("take", "with a meal"),
        "with meals": p_("take", "with meals"),
        "with breakfast": p_("take", "with breakfast"),
        "with lunch": p_("take", "with lunch"),
        "with supper": p_("take", "with supper"),
        "with dinner": p_("take", "with dinner"),
        "with food or milk": p_("take", "with food or milk"),
        "with or after food": p_("take", "with or after food"),
        "after food": p_("take", "after food"),
        "in the morning": p_("take", "in the morning"),
        "in the morning with food": p_("take", "in the morning with food"),
    }
    return standard.get(take.strip().casefold().rstrip("."), take.strip())


def take_of(plan: Plan, dose: Dose) -> str | None:
    """The phase's ``take`` text ("with food"): a Dose carries it only inside a sentence."""
    phase = next((p for p in plan.phases if p.name == dose.phase), None)
    return phase.take.strip() if phase is not None and phase.take else None


def patient_dose(plan: Plan, dose: Dose) -> str:
    """``Prednisone 60 mg: 3 × 20 mg tablets, with food``."""
    text = dose_summary(dose)
    if len(dose.tablets) > 1 and dose.amount is not None and dose.unit is not None:
        text = _(
            "{drug} {amount}: {tablets}",
            drug=drug_word(dose.drug_name),
            amount=quantity_text(dose.amount, dose.unit),
            tablets=patient_tablets(dose.tablets),
        )
    take = take_of(plan, dose)
    if take:
        # Translators: {what} is the dose; {take} how to take it ("con alimentos").
        text = _("{what}, {take}", what=text, take=take_words(take))
    if has_halves(dose.tablets):
        text = _("{what}. Cut a tablet in half along the line", what=text)
    if dose.route in STAFF_ROUTES:
        extra = []
        if dose.duration_min:
            extra.append(about_minutes(dose.duration_min))
        if dose.where:
            extra.append(at_place(dose.where))
        for part in extra:
            text = _("{what}, {detail}", what=text, detail=part)
    return text


def about_minutes(minutes: int) -> str:
    """``about 30 min``; ``unos 30 min``."""
    return _("about {length}", length=minutes_text(minutes))


_PREPOSITIONS = ("at", "in", "on", "by", "from", "inside", "near", "outside", "to")


def at_place(where: str) -> str:
    """``at Infusion center``; a place that starts with its own preposition keeps it
    (``At home`` → ``at home``, never ``at At home``)."""
    first = where.split(" ", 1)[0]
    if language() != "en":
        # Translators: {where} is the clinician's own place name, printed as written.
        return _("at {where}", where=where)
    if first.casefold() in _PREPOSITIONS:
        return first.casefold() + where[len(first) :]
    return f"at {where}"


def staff_dose(plan: Plan, dose: Dose) -> str:
    """A dose on the nurse's sheet: ``Methylprednisolone 1000 mg IV infusion, with food``."""
    text = dose_summary(dose)
    take = take_of(plan, dose)
    return f"{text}, {take}" if take else text


def when_patient(dose: StepDose | Dose, style: TimeStyle) -> str:
    """``at 8:00 AM (breakfast)``; ``a las 8:00 a.m. (desayuno)``."""
    at = at_clock(dose.time, style)
    if dose.slot:
        return _("{at} ({slot})", at=at, slot=slot_word(dose.slot))
    return at


def slot_word(slot: str) -> str:
    """A routine slot's name: ``breakfast``; ``desayuno``."""
    words = {
        "wake": p_("routine slot", "wake"),
        "breakfast": p_("routine slot", "breakfast"),
        "lunch": p_("routine slot", "lunch"),
        "supper": p_("routine slot", "supper"),
        "bedtime": p_("routine slot", "bedtime"),
    }
    return words.get(slot, slot)


def calendar_dose(dose: Dose, style: TimeStyle, *, strengths: bool) -> tuple[str, str]:
    """One dose in a calendar cell, as (time, what): short, and wrapping only between parts.
    With ``strengths`` (the course uses more than one), the tablets are named by strength:
    ``70 mg: 1 × 50 mg + 1 × 20 mg``."""
    time = moment(dose.starts, style)
    if dose.session is not None:
        # Translators: a calendar cell: "Recambio plasmático (2 de 3)".
        of = nb(_("{session} of {sessions}", session=dose.session, sessions=dose.sessions))
        return time, _("{drug} ({of})", drug=drug_word(dose.drug_name), of=of)
    how_much = nb(amount(dose.amount, dose.unit))
    if dose.tablets and strengths and language() != "en":
        return time, _("{amount}: {tablets}", amount=how_much, tablets=tablet_phrase(dose.tablets))
    if dose.tablets and strengths:
        parts = [
            nb(f"{count_text(t.count)} × {quantity_text(t.strength, t.unit)}") for t in dose.tablets
        ]
        return time, f"{how_much}: {' + '.join(parts)}"
    if dose.tablets:
        count = tablets_total(dose.tablets)
        return time, _(
            "{amount}: {tablets}",
            amount=how_much,
            tablets=nb(tablets_count(count, dose.tablets[0].form)),
        )
    if dose.route == "iv":
        if iv_push(dose.drug, dose.duration_min):
            return time, _("{amount} injection", amount=how_much)
        return time, _("{amount} infusion", amount=how_much)
    if dose.route in ("im", "sc"):
        if dose.volume_ml is not None:
            volume = nb(quantity_text(dose.volume_ml, "mL"))
            return time, _("{amount} injection ({volume})", amount=how_much, volume=volume)
        return time, _("{amount} injection", amount=how_much)
    if dose.volume_ml is not None:
        volume = nb(quantity_text(dose.volume_ml, "mL"))
        return time, _("{amount}: {volume}", amount=how_much, volume=volume)
    return time, how_much


def every_text(every: int) -> str:
    if every == 2:
        # Translators: glossary 39: "cada dos días (un día sí y otro no)".
        return _("every other day")
    return _("every {n} days", n=every)


def patient_step(phase: PhasePlan, step: StepPlan, style: TimeStyle) -> str:
    """A step of a phase for the patient: ``40 mg (2 × 20 mg tablets) once a day at 8:00 AM``;
    ``… every other day at 8:00 AM``. The doses of a day in the order the day runs."""
    doses = sorted(step.doses, key=lambda d: d.time)
    if not doses:
        return p_("step", "no dose")
    unit = doses[0].unit
    if len(doses) == 1:
        dose = doses[0]
        what = _dose_kind(phase, amount(dose.amount, unit))
        if dose.tablets:
            what = _("{what} ({detail})", what=what, detail=patient_tablets(dose.tablets))
        elif dose.volume_ml is not None:
            volume = quantity_text(dose.volume_ml, "mL")
            what = _("{what} ({detail})", what=what, detail=volume)
        if step.every_hours and step.series_doses:
            series = series_patient(step.every_hours, step.series_doses, dose.time, style)
            return _("{what} {series}", what=what, series=series)
        at = when_patient(dose, style)
        if step.days == 1:
            # A single day: "once a day" would read as a daily course.
            # Translators: "40 mg (2 tabletas de 20 mg) una vez a las 8:00 a.m.".
            return _("{what} once {at}", what=what, at=at)
        if step.every == 1:
            # Translators: "40 mg (2 tabletas de 20 mg) una vez al día a las 8:00 a.m.".
            return _("{what} once a day {at}", what=what, at=at)
        return _("{what} {often} {at}", what=what, often=every_text(step.every), at=at)
    pieces = [
        _(
            "{what} ({detail}) {at}",
            what=amount(d.amount, d.unit),
            detail=patient_tablets(d.tablets),
            at=when_patient(d, style),
        )
        if d.tablets
        else _("{what} {at}", what=amount(d.amount, d.unit), at=when_patient(d, style))
        for d in doses
    ]
    total = amount(step_total(step), unit)
    if step.every == 1:
        # Translators: {total} is "60 mg"; {doses} the day's doses, each with its time.
        return np_(
            "a day's doses",
            "{total} a day in {n} doses: {doses}",
            "{total} a day in {n} doses: {doses}",
            len(doses),
            total=total,
            doses=and_list(pieces),
        )
    return np_(
        "a day's doses",
        "{total} in {n} doses, {often}: {doses}",
        "{total} in {n} doses, {often}: {doses}",
        len(doses),
        total=total,
        often=every_text(step.every),
        doses=and_list(pieces),
    )


def _dose_kind(phase: PhasePlan, how_much: str) -> str:
    """``40 mg``; ``1 g infusion (IV drip)``; ``80 units injection under the skin``."""
    if phase.route == "iv" and iv_push(phase.drug, phase.duration_min):
        return _("{amount} injection into a vein", amount=how_much)
    if phase.route == "iv":
        return _("{amount} infusion (IV drip)", amount=how_much)
    if phase.route == "sc":
        return _("{amount} injection under the skin", amount=how_much)
    if phase.route == "im":
        return _("{amount} injection into a muscle", amount=how_much)
    return how_much


def series_patient(hours: int, count: int, first: str, style: TimeStyle) -> str:
    """``every 6 hours, day and night: 12 doses, the first at 6:00 AM``; a day apart: ``every
    24 hours: 2 doses, the first at 10:00 AM`` (not "day and night")."""
    if hours == 24:
        # Translators: "cada 24 horas: 2 dosis, la primera a las 10:00 a.m."; {first} is the
        # time with its preposition.
        return _(
            "every 24 hours: {count} doses, the first {first}",
            count=count,
            first=at_clock(first, style),
        )
    # Translators: "cada 6 horas, de día y de noche: 12 dosis, la primera a las 6:00 p.m.";
    # {first} is the time with its preposition ("a las 6:00 p.m.", "a medianoche").
    return _(
        "every {hours} hours, day and night: {count} doses, the first {first}",
        hours=hours,
        count=count,
        first=at_clock(first, style),
    )


# -- the instructions each dose carries (plan.json, the reminders) --------------------------


def dose_instructions(dose: Dose, words: Words) -> str:
    """A dose as the sentence ``plan.json`` and the reminders carry: ``Take 2 × 20 mg tablets
    (40 mg) by mouth, with food.``; ``Measure 5 mL of the 5 mg/mL liquid (5 mg) and take it by
    mouth.``; ``Methylprednisolone 1 g infusion over 1 h at Infusion center.``; a procedure's
    session: ``Plasma exchange session 2 of 3 at the day unit, about 2 h 30 min.``"""
    del words  # English only for now: the words a dose carries are the same in every clock
    return _worded("instructions", dose, _instructions)


def _instructions(dose: Dose) -> str:
    if dose.amount is None or dose.unit is None:
        return _session_instructions(dose)
    return _given_instructions(dose, dose.amount, dose.unit)


def _given_instructions(dose: Dose, amount: Decimal, unit: str) -> str:
    """``dose.liquid`` is the concentration's text when the dose is measured from a liquid,
    ``dose.take`` the phase's own words ("with food"); ``dose.push``: an IV dose given as an
    injection into a vein (no infusion length ordered; IV push, issue 12)."""
    drug, route, where, take = dose.drug_name, dose.route, dose.where, dose.take
    how_much = quantity_text(amount, unit)
    drug = drug_word(drug)
    values = {"drug": drug, "amount": how_much}
    if dose.tablets:
        values["tablets"] = tablet_phrase(dose.tablets)
        if dose.caregiver:
            # A caregiver gives it (a parent): the words speak to them about the child (L1).
            text = _("Give your child {tablets} ({amount}) by mouth.", **values)
            if take:
                text = _(
                    "Give your child {tablets} ({amount}) by mouth, {take}.",
                    take=take_words(take),
                    **values,
                )
        else:
            text = _("Take {tablets} ({amount}) by mouth.", **values)
            if take:
                text = _(
                    "Take {tablets} ({amount}) by mouth, {take}.", take=take_words(take), **values
                )
        if has_halves(dose.tablets):
            text = _("{sentence} Cut tablets in half along the score line.", sentence=text)
        return text
    if dose.volume_ml is not None and dose.liquid is not None:
        values["volume"] = number_text(dose.volume_ml, "mL")
        values["liquid"] = dose.liquid
        if route == "oral" and dose.caregiver:
            # Translators: {liquid} is the concentration, "22.75 mg/mL"; a parent gives it.
            text = _(
                "Measure {volume} mL of the {liquid} liquid ({amount}) and give it to your "
                "child by mouth.",
                **values,
            )
        elif route == "oral":
            # Translators: {liquid} is the concentration, "5 mg/5 mL".
            text = _(
                "Measure {volume} mL of the {liquid} liquid ({amount}) and take it by mouth.",
                **values,
            )
        elif route == "iv":
            text = _("{drug} {amount} ({volume} mL of {liquid}) IV.", **values)
        elif route == "im":
            text = _("{drug} {amount} ({volume} mL of {liquid}) into a muscle.", **values)
        else:
            text = _("{drug} {amount} ({volume} mL of {liquid}) under the skin.", **values)
        return _with_take(text, take)
    if where:
        values["place"] = at_place(where)
    if route == "iv" and dose.push:
        if where:
            return _with_take(_("{drug} {amount} injection into a vein {place}.", **values), take)
        return _with_take(_("{drug} {amount} injection into a vein.", **values), take)
    if route == "iv":
        if dose.duration_min:
            values["length"] = minutes_text(dose.duration_min)
            if where:
                text = _("{drug} {amount} infusion over {length} {place}.", **values)
            else:
                text = _("{drug} {amount} infusion over {length}.", **values)
        elif where:
            text = _("{drug} {amount} infusion {place}.", **values)
        else:
            text = _("{drug} {amount} infusion.", **values)
        return _with_take(text, take)
    if route == "im":
        return _with_take(_("{drug} {amount} injection into a muscle.", **values), take)
    if route == "sc":
        return _with_take(_("{drug} {amount} injection under the skin.", **values), take)
    return _with_take(_("{drug} {amount}.", **values), take)


def _with_take(sentence: str, take: str | None) -> str:
    """A dose's sentence with the phase's ``take`` words before its full stop."""
    if not take:
        return sentence
    # Translators: {sentence} ends without its full stop; {take} is how to take the dose.
    return _("{sentence}, {take}.", sentence=sentence.removesuffix("."), take=take_words(take))


def _session_instructions(dose: Dose) -> str:
    """A procedure's session, followed by the phase's own words."""
    values = {
        "what": _(
            "{drug} session {session} of {sessions}",
            drug=drug_word(dose.drug_name),
            session=dose.session,
            sessions=dose.sessions,
        )
    }
    if dose.where:
        values["place"] = at_place(dose.where)
    if dose.duration_min:
        values["length"] = about_minutes(dose.duration_min)
    if dose.where and dose.duration_min:
        text = _("{what} {place}, {length}.", **values)
    elif dose.where:
        text = _("{what} {place}.", **values)
    elif dose.duration_min:
        text = _("{what}, {length}.", **values)
    else:
        text = _("{what}.", **values)
    if dose.take:
        # The clinician's own words follow the sentence, as written.
        text = _("{sentence} {take}", sentence=text, take=take_words(dose.take))
    return text
