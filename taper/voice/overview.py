"""The patient handout's words for the course: the overview rows, the calendar cells, the
checklist and the watch-list tiers. Each cell is a list of lines; each line is ``Rich``."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from taper.records.plan import Day, Event, PhasePlan, Plan
from taper.voice.amounts import rhythm_text
from taper.voice.doses import (
    about_minutes,
    at_place,
    calendar_dose,
    drug_word,
    every_text,
    iv_push,
    patient_dose,
    patient_step,
    phase_name,
    strengths_in_use,
    take_words,
)
from taper.voice.lang import _, language, n_, np_, p_
from taper.voice.people import call_clinic, emergency_number
from taper.voice.text import Rich, Strong, and_list, minutes_text
from taper.voice.times import clock, date_of, date_range, medium_date, moment, weekday_name
from taper.voice.watch import CLINIC, watch_list
from taper.voice.watchwords import call_contact
from taper.voice.words import Words

# A row of a two-column table: the "When" cell and the "What" cell, each as lines.
Row = tuple[list[Rich], list[Rich]]

NO_DOSE = "no dose"


def phase_mark(number: int) -> str:
    """The mark of the phase at 0-based ``number`` in the calendar and its legend: ①, ②…"""
    return chr(0x2460 + number) if number < 20 else f"({number + 1})"


NO_DOSE_TODAY = "No dose today."


def no_dose() -> str:
    """A calendar day of the course with nothing to take: ``no dose``; ``sin dosis``."""
    return p_("calendar mark", "no dose")


def no_dose_today() -> str:
    return _("No dose today.")


def days_count(days: int) -> str:
    """``1 day``, ``14 days``; ``1 día``, ``14 días``."""
    return n_("{n} day", "{n} days", days)


def _dates_cell(plan: Plan, first_day: int, last_day: int, *, days: int | None) -> list[Rich]:
    dates = date_range(date_of(plan, first_day), date_of(plan, last_day))
    lines: list[Rich] = [(Strong(dates),)]
    if days is not None:
        lines.append((days_count(days),))
    return lines


def phase_rows(plan: Plan, phase: PhasePlan, words: Words) -> list[Row]:
    """A phase in the course at a glance: its dates, then what to take; one row per step when
    the phase has more than one."""
    parts = []
    label = _label_name(phase)
    if phase.drug_name.casefold() != phase.name.casefold():
        drug = drug_word(phase.drug_name)
        if label:
            # Translators: the English label name once, as the US pharmacy bottle prints it.
            drug = _("{name} (on the label: {label})", name=drug, label=label)
            label = None
        parts.append(drug)
    route = {
        # Translators: glossary 15: the dose lines say "por vía oral"; glossed here, once.
        "oral": p_("route", "by mouth"),
        "iv": _("as an injection into a vein")
        if iv_push(phase.drug, phase.duration_min)
        else _("by infusion (IV drip)"),
        "im": p_("route", "into a muscle"),
        "sc": p_("route", "under the skin"),
    }.get(phase.route)
    if route:
        parts.append(route)
    if phase.take:
        parts.append(take_words(phase.take))
    if phase.duration_min and phase.route != "oral":
        parts.append(_("about {length} each", length=minutes_text(phase.duration_min)))
    if phase.where and phase.route != "oral":
        parts.append(at_place(phase.where))
    about = ", ".join(parts)
    name = phase_name(phase)
    if label:
        name = _("{name} (on the label: {label})", name=name, label=label)
    head: Rich = (Strong(name), f": {about}") if about else (Strong(name),)
    style = words.clock
    when = _dates_cell(
        plan, phase.first_day, phase.last_day, days=phase.last_day - phase.first_day + 1
    )
    if phase.route == "procedure" or phase.sessions:
        step = phase.steps[0] if phase.steps else None
        every = step.every if step else 1
        times = (
            and_list([clock(t, style) for t in sorted(d.time for d in step.doses)]) if step else ""
        )
        sessions = phase.sessions or 0
        if every == 1:
            # Translators: "3 sesiones, una al día, a las 9:00 a.m.".
            text = np_(
                "sessions",
                "{n} session, one a day, at {times}.",
                "{n} sessions, one a day, at {times}.",
                sessions,
                times=times,
            )
        else:
            text = np_(
                "sessions",
                "{n} session, {often}, at {times}.",
                "{n} sessions, {often}, at {times}.",
                sessions,
                often=every_text(every),
                times=times,
            )
        return [(when, [head, (text,)])]
    texts = []
    for step in phase.steps:
        text = patient_step(phase, step, style)
        if step.every > 1:
            texts.append(_("{step}. The days between are no-dose days.", step=_unstopped(text)))
        else:
            texts.append(_("{step}.", step=_unstopped(text)))
    if len(phase.steps) == 1:
        return [(when, [head, (texts[0],)])]
    rows: list[Row] = [(when, [head])]
    for step, text in zip(phase.steps, texts, strict=True):
        first, last = date_of(plan, step.first_day), date_of(plan, step.last_day)
        rows.append(([(date_range(first, last),), (days_count(step.days),)], [(text,)]))
    return rows


def _unstopped(text: str) -> str:
    """``text`` without a final full stop, when it ends with one ("a las 9:00 a.m."): the
    message adds its own, and "a.m.." is never printed."""
    return text[:-1] if text.endswith(".") else text


def _label_name(phase: PhasePlan) -> str | None:
    """The English name on the US pharmacy label, when the handout names the drug otherwise:
    ``Prednisone`` beside ``Prednisona`` (SPANISH.md (c)); None in English or when the same."""
    # Only a steroid the patient takes home: the pharmacy's bottle prints the generic name in
    # English. (ACTH gel's box says Acthar or Cortrophin; an infusion has no label to match.)
    if language() == "en" or phase.drug_class != "steroid" or phase.route != "oral":
        return None
    if drug_word(phase.drug_name) == phase.drug_name:
        return None
    return phase.drug_name


def also_rows(plan: Plan, words: Words) -> list[Row]:
    """The [[also]] medicines, checks and appointments, one row each."""
    rows: list[Row] = []
    style = words.clock
    by_index: dict[int, list[Event]] = defaultdict(list)
    for event in plan.events:
        by_index[event.index].append(event)
    for events in by_index.values():
        first = events[0]
        days = sorted({e.day for e in events})
        times = and_list([clock(t, style) for t in sorted({e.time for e in events})])
        label = event_label(first.kind)
        what = first.what
        if first.duration_min:
            what = _("{what}, {detail}", what=what, detail=about_minutes(first.duration_min))
        if first.where:
            what = _("{what}, {detail}", what=what, detail=at_place(first.where))
        if len(days) == 1:
            detail = _("{what}: {times}.", what=what, times=times)
        elif days == list(range(days[0], days[-1] + 1)):
            detail = _("{what}: {times} every day.", what=what, times=times)
        else:
            rhythm = rhythm_text(plan, days)
            if rhythm:
                detail = _("{what}: {times}{rhythm}.", what=what, times=times, rhythm=rhythm)
            else:
                detail = _("{what}: {times} on the days shown.", what=what, times=times)
        span = days[-1] - days[0] + 1 if len(days) > 1 else None
        rows.append(
            (_dates_cell(plan, days[0], days[-1], days=span), [(Strong(label), f": {detail}")])
        )
    return rows


def calendar_lines(plan: Plan, day: Day, words: Words, limit: int | None = None) -> list[Rich]:
    """What a calendar cell says under the date: each dose and appointment with its time, in
    the order the day runs; past ``limit`` lines, the rest is counted and left to the
    day-by-day list."""
    style = words.clock
    named = strengths_in_use(plan)
    items: list[tuple[datetime, Rich]] = []
    for dose in day.doses:
        time, what = calendar_dose(dose, style, strengths=dose.drug in named)
        items.append((dose.starts, (Strong(time), f" {what}")))
    for event in day.events:
        if event.kind == "appointment":
            items.append((event.starts, (Strong(moment(event.starts, style)), f" {event.what}")))
    lines: list[Rich] = []
    if not items and not day.phases and day.events:
        lines.append((no_dose(),))
    items.sort(key=lambda item: item[0])
    if not day.doses and day.phases:
        lines.append((no_dose(),))
    if limit is not None and len(items) > limit:
        more = len(items) - (limit - 1)
        # Translators: a full calendar cell's last line; "Día por día" is the checklist's title.
        rest = _("and {n} more: see Day by day", n=more)
        items = [*items[: limit - 1], (items[-1][0], (rest,))]
    lines.extend(line for _, line in items)
    return lines


def checklist_day(plan: Plan, day: Day) -> list[Rich]:
    """The checklist's day label: weekday, date, day N of M."""
    on = day.date
    weekday = weekday_name(on)
    return [
        (Strong(weekday[:1].upper() + weekday[1:]),),
        (medium_date(on),),
        (_("Day {day} of {days}", day=day.day, days=plan.length),),
    ]


def checklist_quiet_days(plan: Plan, first: Day, last: Day) -> list[Rich]:
    """The label of a run of days with nothing to tick (weekly infusions, the rest between
    cycles): their dates, and which days of the course they are."""
    return [
        (Strong(date_range(first.date, last.date)),),
        # Translators: a run of days in the checklist: "Days 9–13 of 84".
        (_("Days {first}–{last} of {days}", first=first.day, last=last.day, days=plan.length),),
    ]


def no_dose_days(count: int) -> str:
    """What a run of days with nothing to tick says."""
    return n_("No dose on this {n} day.", "No dose on these {n} days.", count)


def event_label(kind: str) -> str:
    """``Also take``, ``Check``, ``Appointment``."""
    if kind == "medication":
        return _("Also take")
    if kind == "check":
        # Translators: a check to do (a blood test, blood sugar): "Control", not "Revise".
        return p_("a check to do", "Check")
    return _("Appointment")


def checklist_items(plan: Plan, day: Day, words: Words) -> list[tuple[str, str]]:
    """The checklist's lines for a day as (time, what), doses before checks at the same time."""
    style = words.clock
    items: list[tuple[datetime, int, str, str]] = []
    for dose in day.doses:
        items.append((dose.starts, 0, moment(dose.starts, style), patient_dose(plan, dose)))
    for event in day.events:
        text = event.what
        if event.kind != "check":
            text = _("{label}: {what}", label=event_label(event.kind), what=text)
        if event.duration_min:
            text = _("{what}, {detail}", what=text, detail=about_minutes(event.duration_min))
        if event.where:
            text = _("{what}, {detail}", what=text, detail=at_place(event.where))
        items.append((event.starts, 1, moment(event.starts, style), text))
    items.sort(key=lambda item: (item[0], item[1]))
    return [(time, text) for _, _, time, text in items]


ADVICE_HEADING = "Looking after your medicine at home"


def advice_heading() -> str:
    return _("Looking after your medicine at home")


def tier_call(plan: Plan, contact: str | None) -> str:
    """Whom a tier's heading says to call: the clinic, a named contact, or (when its items
    name different ones) the number each item gives."""
    if contact is None:
        return _("Call the number given with each item below.")
    if contact == CLINIC:
        return call_clinic(plan)
    return call_contact(plan, contact)


def watch_tiers(plan: Plan) -> list[tuple[str, str, str]]:
    """The watch list's tiers as (tier, heading, what to do); "call now" only when it has items
    (line infections, pregnancy red flags), and the plan's own emergency number."""
    number = emergency_number(plan)
    watch = watch_list(plan)
    tiers = [
        (
            "expected",
            _("Expected and usually mild"),
            _("These are common. Tell your care team at your next visit."),
        ),
        ("call", _("Call the clinic today"), tier_call(plan, watch.contact("call"))),
    ]
    if watch.by_tier()["now"]:
        # The heading names whom to call only when every item under it says the same (a
        # maternity unit, a cancer centre's 24-hour line); otherwise each item names its own,
        # with its number (issue 25, M4).
        tiers.append(
            (
                "now",
                _("Call now, day or night"),
                _(
                    "Do not wait until the next day. {call}",
                    call=tier_call(plan, watch.contact("now")),
                ),
            )
        )
    tiers.append(
        (
            "emergency",
            _("Emergency: call {number}", number=number),
            _("Call {number} or go to the nearest emergency department now.", number=number),
        )
    )
    return tiers
