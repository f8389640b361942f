"""The label directions (sig) of a phase, in pharmacy wording."""

from __future__ import annotations

from decimal import Decimal

from taper.read.quantities import quantity_text
from taper.records.plan import PhasePlan, Plan, StepDose, StepPlan, TabletCount
from taper.voice.doses import (
    GIVER_WORDS,
    amount,
    at_place,
    every_text,
    has_halves,
    step_total,
    tablet_word,
    tablets_total,
)
from taper.voice.text import and_list, count_text, count_words, minutes_text
from taper.voice.times import days_text

SLOT_WORDS = {
    "wake": "when you wake up",
    "breakfast": "with breakfast",
    "lunch": "with lunch",
    "supper": "with supper",
    "bedtime": "at bedtime",
}
MEALS = ("breakfast", "lunch", "supper")


def series_sig(hours: int, count: int, days: int, first: str) -> str:
    """``every 6 hours around the clock, first dose at 06:00: 12 doses over 3 days``; a day
    apart: ``every 24 hours: 2 doses, first dose at 10:00``."""
    if hours == 24:
        return f"every 24 hours: {count} doses, first dose at {first}"
    return (
        f"every {hours} hours around the clock, first dose at {first}: "
        f"{count} doses over {days} day{'s' if days != 1 else ''}"
    )


def take_is_food(take: str | None) -> bool:
    """Whether a phase's ``take`` just says "with food"."""
    words = (take or "").strip().lower().rstrip(".")
    return words in ("with food", "with a meal", "with meals", "with or after food", "after food")


# A ``take`` that reads on from "…once daily with breakfast": a phrase starting with one of
# these ("with food", "after meals", "in the morning"). Anything else is an instruction of the
# clinician's own ("swallow the capsules whole", "the first dose as soon as you wake"): it gets
# its own sentence, never run on into the dose (review L5).
RUN_ON = ("with", "after", "before", "in", "on", "at", "without", "between", "during")


def take_runs_on(take: str | None) -> bool:
    """Whether the phase's ``take`` joins the sentence of the dose, or stands alone."""
    words = (take or "").strip().lower().split()
    return bool(words) and words[0] in RUN_ON


def take_sentence(take: str) -> str:
    """The clinician's ``take`` as a sentence of its own: ``Swallow the capsules whole.``"""
    text = take.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def times_a_day(count: int) -> str:
    return {1: "once daily", 2: "twice daily"}.get(count, f"{count} times daily")


def strengths(phase: PhasePlan) -> set[tuple[Decimal, str]]:
    """The tablet strengths a phase uses."""
    return {(t.strength, t.unit) for step in phase.steps for d in step.doses for t in d.tablets}


def pharmacy_tablets(tablets: tuple[TabletCount, ...], one_strength: bool) -> str:
    """``3 tablets`` when the phase uses one strength, else ``1 tablet of 20 mg and 1 of 5 mg``."""
    if one_strength:
        total = tablets_total(tablets)
        return f"{count_text(total)} {tablet_word(total, tablets[0].form)}"
    parts = [
        f"{count_text(t.count)} {tablet_word(t.count, t.form)} of "
        f"{quantity_text(t.strength, t.unit)}"
        for t in tablets
    ]
    return and_list(parts)


def sig(plan: Plan, phase: PhasePlan) -> list[str]:
    """The label directions for one phase, in pharmacy wording: one line per step, the steps
    joined by "then", as one sentence."""
    if phase.route == "procedure" or phase.sessions:
        return [procedure_sig(phase)]
    one_strength = len(strengths(phase)) <= 1
    lines = [
        part
        for number, step in enumerate(phase.steps)
        if (part := step_sig(phase, step, one_strength, first=number == 0))
    ]
    lines = [line + ", then" for line in lines[:-1]] + lines[-1:]
    following = [
        p
        for p in plan.phases
        if p.index != phase.index
        and p.drug == phase.drug
        and p.route == phase.route
        and p.first_day > phase.last_day
    ]
    if following:
        nxt = min(following, key=lambda p: p.first_day)
        lines[-1] += f', then continue with "{nxt.name}" (from day {nxt.first_day})'
    elif plan.continues:
        # after = "continue": the plan's last day ends this supply, not the treatment.
        lines[-1] += "; keep taking it after that as your care team tells you: do not stop"
    elif phase.route == "oral":
        lines[-1] += ", then stop"
    lines[-1] += "."
    if phase.take and not take_runs_on(phase.take):
        lines.append(take_sentence(phase.take))
    if any(has_halves(d.tablets) for step in phase.steps for d in step.doses):
        lines.append("Half tablets: cut along the score line.")
    if phase.route in ("iv", "im", "sc") or phase.given_by != "patient":
        lines.insert(0, GIVER_WORDS[phase.given_by])
    return lines


def _dose_words(phase: PhasePlan, dose: StepDose, one_strength: bool) -> str:
    how_much = amount(dose.amount, dose.unit)
    if dose.tablets:
        return f"{pharmacy_tablets(dose.tablets, one_strength)} ({how_much})"
    if dose.volume_ml is not None:
        of = f" of {phase.liquid}" if phase.liquid else ""
        return f"{quantity_text(dose.volume_ml, 'mL')}{of} ({how_much})"
    return how_much


def _when_sig(dose: StepDose) -> str:
    return SLOT_WORDS.get(dose.slot or "", f"at {dose.time}")


def step_sig(phase: PhasePlan, step: StepPlan, one_strength: bool, *, first: bool) -> str:
    """One step of a sig: ``Take 3 tablets (60 mg) by mouth once daily with breakfast for 5
    days``."""
    doses = tuple(sorted(step.doses, key=lambda d: d.time))  # the order the day runs
    if not doses:
        # The rest between two cycles (every = "21 days", times = 6): said, never skipped,
        # or the cycles would read as one run of days.
        return f"{'No' if first else 'no'} dose for {count_words(step.days, 'day')}"
    verb = {"oral": "take", "iv": "give", "im": "inject", "sc": "inject"}.get(phase.route, "give")
    caregiver = phase.route == "oral" and phase.given_by == "caregiver"
    if caregiver:
        verb = "give your child"
    if phase.route == "oral" and doses[0].volume_ml is not None and not doses[0].tablets:
        verb = "measure"
    if first:
        verb = verb.capitalize()
    liquid = ""
    route = {
        "oral": "by mouth",
        "iv": "IV",
        "im": "into a muscle (IM)",
        "sc": "under the skin (SC)",
    }[phase.route]
    if phase.route == "oral" and verb.lower() == "measure":
        route = "and give to your child by mouth" if caregiver else "and take by mouth"
    over = (
        f" over {minutes_text(phase.duration_min)}"
        if phase.route == "iv" and phase.duration_min
        else ""
    )
    same = len({(d.amount, d.unit, d.tablets, d.volume_ml) for d in doses}) == 1
    # A take of the clinician's own is its own sentence, after the steps (sig).
    take = phase.take.strip() if take_runs_on(phase.take) and phase.take else ""
    if step.every_hours and step.series_doses:
        what = _dose_words(phase, doses[0], one_strength)
        series = series_sig(step.every_hours, step.series_doses, step.days, doses[0].time)
        text = f"{verb} {what} {route}{over} {series}"
        if take:
            text += f" {take}"
        if phase.where and phase.route != "oral":
            text += f" at {phase.where}"
        return text
    if same:
        what = _dose_words(phase, doses[0], one_strength)
        how_often = (
            times_a_day(len(doses))
            if step.every == 1
            else f"{times_a_day(len(doses)).replace('daily', 'a day')} {every_text(step.every)}"
            if len(doses) > 1
            else every_text(step.every)
        )
        slots = [d.slot for d in doses]
        if all(slot in SLOT_WORDS for slot in slots):
            when = " " + and_list([SLOT_WORDS[s] for s in slots if s is not None])
        else:
            when = " at " + and_list([d.time for d in doses])
        text = f"{verb} {what}{liquid} {route}{over} {how_often}{when}"
    else:
        pieces = [f"{_dose_words(phase, d, one_strength)} {_when_sig(d)}" for d in doses]
        daily = amount(step_total(step), doses[0].unit)
        often = "" if step.every == 1 else f" {every_text(step.every)}"
        how = f"{route}{over}" + (f" {take}" if take else "")
        text = f"{verb}{liquid} {how}: {and_list(pieces)} ({daily} a day){often}"
        take = ""
    meals = all(d.slot in MEALS for d in doses)
    # The slot and `take` joined once: "with breakfast", never "with breakfast with food" or
    # "with breakfast with breakfast" (L5).
    if take and not (meals and take_is_food(take)) and take.lower().rstrip(".") not in text.lower():
        text += f" {take}"
    text += f" for {count_words(step.days, 'day')}"
    if step.every > 1:
        doses_given = len(range(0, step.days, step.every))
        text += f" ({count_words(doses_given, 'dose')})"
    if phase.where and phase.route != "oral":
        text += f" {at_place(phase.where)}"
    return text


def procedure_sig(phase: PhasePlan) -> str:
    """A procedure phase on the staff sheets: sessions, how often, when, how long, where."""
    sessions = phase.sessions or 0
    step = phase.steps[0] if phase.steps else None
    every = step.every if step else 1
    often = "daily" if every == 1 else every_text(every)
    times = and_list(sorted(d.time for d in step.doses)) if step else ""
    length = f", each about {minutes_text(phase.duration_min)}" if phase.duration_min else ""
    where = f", {at_place(phase.where)}" if phase.where else ""
    return (
        f"{phase.drug_name}: {count_words(sessions, 'session')}, {often}, at {times}"
        f"{length}{where} ({days_text(phase.first_day, phase.last_day)}). "
        "Performed by staff; nothing to dispense."
    )
