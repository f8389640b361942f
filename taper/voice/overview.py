"""The patient handout's words for the course: the overview rows, the calendar cells, the
checklist and the watch-list tiers. Each cell is a list of lines; each line is ``Rich``."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from taper.records.plan import Day, Event, PhasePlan, Plan
from taper.voice.amounts import rhythm_text
from taper.voice.doses import (
    ROUTE_WORDS,
    at_place,
    calendar_dose,
    every_text,
    iv_push,
    patient_dose,
    patient_step,
    strengths_in_use,
)
from taper.voice.people import call_clinic, emergency_number
from taper.voice.text import Rich, Strong, and_list, count_words, minutes_text
from taper.voice.times import MONTHS, WEEKDAYS, clock, date_of, date_range, moment
from taper.voice.watch import watch_list
from taper.voice.words import Words

# A row of a two-column table: the "When" cell and the "What" cell, each as lines.
Row = tuple[list[Rich], list[Rich]]

NO_DOSE = "no dose"


def phase_mark(number: int) -> str:
    """The mark of the phase at 0-based ``number`` in the calendar and its legend: ①, ②…"""
    return chr(0x2460 + number) if number < 20 else f"({number + 1})"


NO_DOSE_TODAY = "No dose today."


def _dates_cell(plan: Plan, first_day: int, last_day: int, *, days: int | None) -> list[Rich]:
    dates = date_range(date_of(plan, first_day), date_of(plan, last_day))
    lines: list[Rich] = [(Strong(dates),)]
    if days is not None:
        lines.append((count_words(days, "day"),))
    return lines


def phase_rows(plan: Plan, phase: PhasePlan, words: Words) -> list[Row]:
    """A phase in the course at a glance: its dates, then what to take; one row per step when
    the phase has more than one."""
    route = "" if phase.route == "procedure" else f", {ROUTE_WORDS[phase.route]}"
    if phase.route == "iv":
        route = (
            ", as an injection into a vein"
            if iv_push(phase.drug, phase.duration_min)
            else ", by infusion (IV drip)"
        )
    take = f", {phase.take.strip()}" if phase.take else ""
    where = f", {at_place(phase.where)}" if phase.where and phase.route != "oral" else ""
    length = (
        f", about {minutes_text(phase.duration_min)} each"
        if phase.duration_min and phase.route != "oral"
        else ""
    )
    what = phase.drug_name if phase.drug_name.casefold() != phase.name.casefold() else ""
    about = (what + route + take + length + where).lstrip(", ")
    head: Rich = (Strong(phase.name), f": {about}") if about else (Strong(phase.name),)
    style = words.clock
    when = _dates_cell(
        plan, phase.first_day, phase.last_day, days=phase.last_day - phase.first_day + 1
    )
    if phase.route == "procedure" or phase.sessions:
        step = phase.steps[0] if phase.steps else None
        every = step.every if step else 1
        often = "one a day" if every == 1 else every_text(every)
        times = (
            and_list([clock(t, style) for t in sorted(d.time for d in step.doses)]) if step else ""
        )
        text = f"{count_words(phase.sessions or 0, 'session')}, {often}, at {times}."
        return [(when, [head, (text,)])]
    texts = []
    for step in phase.steps:
        text = patient_step(phase, step, style)
        if step.every > 1:
            text += ". The days between are no-dose days"
        texts.append(text + ".")
    if len(phase.steps) == 1:
        return [(when, [head, (texts[0],)])]
    rows: list[Row] = [(when, [head])]
    for step, text in zip(phase.steps, texts, strict=True):
        first, last = date_of(plan, step.first_day), date_of(plan, step.last_day)
        rows.append(([(date_range(first, last),), (count_words(step.days, "day"),)], [(text,)]))
    return rows


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
        label = {"medication": "Also take", "check": "Check", "appointment": "Appointment"}[
            first.kind
        ]
        extra = []
        if first.duration_min:
            extra.append(f"about {minutes_text(first.duration_min)}")
        if first.where:
            extra.append(at_place(first.where))
        often = (
            ""
            if len(days) == 1
            else (
                " every day"
                if days == list(range(days[0], days[-1] + 1))
                else rhythm_text(plan, days) or " on the days shown"
            )
        )
        detail = f"{first.what}{', ' + ', '.join(extra) if extra else ''}: {times}{often}."
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
        lines.append((NO_DOSE,))
    items.sort(key=lambda item: item[0])
    if not day.doses and day.phases:
        lines.append((NO_DOSE,))
    if limit is not None and len(items) > limit:
        more = len(items) - (limit - 1)
        items = [*items[: limit - 1], (items[-1][0], (f"and {more} more: see Day by day",))]
    lines.extend(line for _, line in items)
    return lines


def checklist_day(plan: Plan, day: Day) -> list[Rich]:
    """The checklist's day label: weekday, date, day N of M."""
    on = day.date
    return [
        (Strong(WEEKDAYS[on.weekday()]),),
        (f"{MONTHS[on.month - 1][:3]} {on.day}, {on.year}",),
        (f"Day {day.day} of {plan.length}",),
    ]


def checklist_items(plan: Plan, day: Day, words: Words) -> list[tuple[str, str]]:
    """The checklist's lines for a day as (time, what), doses before checks at the same time."""
    style = words.clock
    items: list[tuple[datetime, int, str, str]] = []
    for dose in day.doses:
        items.append((dose.starts, 0, moment(dose.starts, style), patient_dose(plan, dose)))
    for event in day.events:
        lead = {"check": "", "medication": "Also take: ", "appointment": "Appointment: "}
        extra = []
        if event.duration_min:
            extra.append(f"about {minutes_text(event.duration_min)}")
        if event.where:
            extra.append(at_place(event.where))
        text = lead[event.kind] + event.what + (", " + ", ".join(extra) if extra else "")
        items.append((event.starts, 1, moment(event.starts, style), text))
    items.sort(key=lambda item: (item[0], item[1]))
    return [(time, text) for _, _, time, text in items]


ADVICE_HEADING = "Looking after your medicine at home"


def watch_tiers(plan: Plan) -> list[tuple[str, str, str]]:
    """The watch list's tiers as (tier, heading, what to do); "call now" only when it has items
    (line infections, pregnancy red flags), and the plan's own emergency number."""
    number = emergency_number(plan)
    tiers = [
        (
            "expected",
            "Expected and usually mild",
            "These are common. Tell your care team at your next visit.",
        ),
        ("call", "Call the clinic today", call_clinic(plan)),
    ]
    if watch_list(plan).by_tier()["now"]:
        tiers.append(
            (
                "now",
                "Call now, day or night",
                "Do not wait until the next day. " + call_clinic(plan),
            )
        )
    tiers.append(
        (
            "emergency",
            f"Emergency: call {number}",
            f"Call {number} or go to the nearest emergency department now.",
        )
    )
    return tiers
