"""The plan as the page shows it: the day-by-day table and the month calendar.

The words come from the module every output shares (``taper.words``), never from here.
"""

from __future__ import annotations

from calendar import month_name
from dataclasses import dataclass
from datetime import date, timedelta

from taper.plan import Day, Plan
from taper.words import dose_summary, phase_heading


@dataclass(frozen=True)
class Item:
    time: str
    text: str
    kind: str  # dose | medication | check | appointment


@dataclass(frozen=True)
class Cell:
    date: date
    in_course: bool
    phase: int  # which phase colours the day (0: none)
    items: tuple[Item, ...]
    no_dose: bool


@dataclass(frozen=True)
class Month:
    title: str
    weeks: tuple[tuple[Cell | None, ...], ...]  # Sunday first; None outside the month


def day_items(day: Day) -> tuple[Item, ...]:
    items = [
        Item(dose.time, _with_instructions(dose_summary(dose), dose.instructions), "dose")
        for dose in day.doses
    ]
    items += [Item(event.time, event.what, event.kind) for event in day.events]
    return tuple(sorted(items, key=lambda item: item.time))


def _with_instructions(summary: str, instructions: str) -> str:
    # The phase's own words after the dose ("with food"), as the table prints them.
    if ", " in instructions and instructions.startswith("Take "):
        extra = instructions.split(", ", 1)[1].rstrip(".").split(". ")[0]
        return f"{summary}, {extra}"
    return summary


def headings(plan: Plan) -> list[str]:
    return [phase_heading(phase) for phase in plan.phases]


def months(plan: Plan) -> list[Month]:
    by_date = {day.date: day for day in plan.days}
    numbers = {phase.name: number for number, phase in enumerate(plan.phases, 1)}
    result: list[Month] = []
    seen: set[tuple[int, int]] = set()
    for day in plan.days:
        key = (day.date.year, day.date.month)
        if key in seen:
            continue
        seen.add(key)
        first = date(*key, 1)
        cursor = first - timedelta(days=(first.weekday() + 1) % 7)
        weeks: list[tuple[Cell | None, ...]] = []
        while cursor.month == first.month or cursor < first:
            week: list[Cell | None] = []
            for _ in range(7):
                if cursor.month != first.month:
                    week.append(None)
                else:
                    found = by_date.get(cursor)
                    week.append(
                        Cell(
                            cursor,
                            found is not None,
                            numbers.get(found.phases[0], 0) if found and found.phases else 0,
                            day_items(found) if found else (),
                            bool(found and found.phases and not found.doses),
                        )
                    )
                cursor += timedelta(days=1)
            weeks.append(tuple(week))
        result.append(Month(f"{month_name[first.month]} {first.year}", tuple(weeks)))
    return result
