"""The plan as the page shows it: the day-by-day checklist and the month calendar.

Every word comes from ``taper.voice``, the module the handouts use: the page shows the plan in
the patient handout's own words (times like "8:00 AM", "3 tablets"). This module only arranges
them into weeks and rows; ``Rich`` text keeps its stressed parts for the template to mark up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import wraps
from typing import ParamSpec, TypeVar

from taper.records.plan import Plan
from taper.voice import people, times
from taper.voice.doses import phase_heading
from taper.voice.lang import speaking
from taper.voice.overview import calendar_lines, checklist_items
from taper.voice.text import Rich, Strong
from taper.voice.times import month_title, short_date
from taper.voice.words import words_of

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _in_patients_language(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """The preview in the handout's language (the plan's ``[patient] language``): the page's
    form stays English, the handout it previews does not."""

    @wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        plan = args[0]
        assert isinstance(plan, Plan)
        with speaking(words_of(plan).language):
            return function(*args, **kwargs)

    return wrapper


@_in_patients_language
def for_line(plan: Plan) -> Rich:
    return people.for_line(plan)


@_in_patients_language
def course_dates(plan: Plan) -> Rich:
    return people.course_dates(plan)


@_in_patients_language
def week_heads(plan: Plan) -> tuple[str, ...]:
    return times.week_heads()


__all__ = ["Strong", "course_dates", "for_line", "headings", "months", "rows", "week_heads"]


@dataclass(frozen=True)
class Row:
    day: int
    label: str  # "Tue Dec 1"
    items: tuple[tuple[str, str], ...]  # (time, what) in the handout checklist's words


@dataclass(frozen=True)
class Cell:
    date: date
    in_course: bool
    phase: int  # which phase colours the day (0: none)
    lines: tuple[Rich, ...]


@dataclass(frozen=True)
class Month:
    title: str
    weeks: tuple[tuple[Cell | None, ...], ...]  # Sunday first; None outside the month


@_in_patients_language
def headings(plan: Plan) -> list[str]:
    return [phase_heading(phase) for phase in plan.phases]


@_in_patients_language
def rows(plan: Plan) -> list[Row]:
    words = words_of(plan)
    return [
        Row(day.day, short_date(day.date), tuple(checklist_items(plan, day, words)))
        for day in plan.days
    ]


@_in_patients_language
def months(plan: Plan) -> list[Month]:
    words = words_of(plan)
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
                found = by_date.get(cursor) if cursor.month == first.month else None
                if cursor.month != first.month:
                    week.append(None)
                else:
                    week.append(
                        Cell(
                            cursor,
                            found is not None,
                            numbers.get(found.phases[0], 0) if found and found.phases else 0,
                            tuple(calendar_lines(plan, found, words)) if found else (),
                        )
                    )
                cursor += timedelta(days=1)
            weeks.append(tuple(week))
        result.append(Month(month_title(*key), tuple(weeks)))
    return result
