"""Times, dates and spans of days, as a patient or a pharmacist reads them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from taper.read.instants import named_pass
from taper.records.plan import Plan
from taper.voice import lang
from taper.voice.lang import p_
from taper.voice.text import NBSP

TimeStyle = Literal["12h", "24h"]  # chosen once per plan: taper.voice.words.words_for

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def clock(time: str, style: TimeStyle) -> str:
    """A local ``HH:MM`` as the patient reads it: ``6:00 PM`` or ``18:00``; ``midnight`` and
    ``noon`` in either style (never 12:00 AM or 12:00 PM)."""
    hour, minute = (int(part) for part in time.split(":"))
    if minute == 0 and hour in (0, 12):
        # Translators: printed alone as a time: "medianoche", "mediodía" (never 12:00 a.m./p.m.).
        return p_("time of day", "midnight") if hour == 0 else p_("time of day", "noon")
    if style == "24h":
        return f"{hour:02d}:{minute:02d}"
    if lang.language() != "en":
        return lang.clock_in(hour, minute)
    suffix = "AM" if hour < 12 else "PM"
    return f"{hour % 12 or 12}:{minute:02d}{NBSP}{suffix}"


def at_clock(time: str, style: TimeStyle) -> str:
    """``at 6:00 PM``; ``a las 6:00 p.m.``, ``a la 1:00 p.m.``, ``a medianoche``."""
    return lang.at_time(time, clock(time, style))


def moment(when: datetime, style: TimeStyle | None) -> str:
    """One instant's clock time, as a person reads it, naming one instant: ``1:00 AM (after the
    clocks go back)`` for the second 1:00 on the night the clocks show it twice, ``1:00 AM
    (before the clocks go back)`` for the first, and the plain time on every other night.

    ``when`` is the aware instant the engine planned (a dose's or event's ``starts``); its own
    wall-clock time is printed, so a time the clocks skip is never printed. ``style`` None is
    the staff sheets' ``HH:MM``; otherwise the patient's clock (:func:`clock`). Every dose or
    event time printed for people goes through here.
    """
    wall = when.strftime("%H:%M")
    text = wall if style is None else clock(wall, style)
    if lang.language() == "en":
        return named_pass(when, text)
    if when.replace(fold=1 - when.fold).utcoffset() == when.utcoffset():
        return text
    # fold 1 is the later of the two (PEP 495), whichever way a zone's offsets are named.
    if when.fold:
        # Translators: {time} is 1:30 a.m.; the second time the clocks show it that night.
        return p_("repeated time", "{time} (after the clocks go back)", time=text)
    # Translators: {time} is 1:30 a.m.; the first time the clocks show it that night.
    return p_("repeated time", "{time} (before the clocks go back)", time=text)


def weekday_name(day: date) -> str:
    """``Monday``; ``lunes`` (CLDR, lower case as Spanish writes it)."""
    if lang.language() != "en":
        return lang.weekday_names("wide")[day.weekday()]
    return WEEKDAYS[day.weekday()]


def medium_date(day: date) -> str:
    """``Mar 5, 2027``; ``5 mar 2027`` (CLDR skeleton yMMMd)."""
    if lang.language() != "en":
        return lang.date_pattern(day, "yMMMd")
    return f"{MONTHS[day.month - 1][:3]} {day.day}, {day.year}"


def date_of(plan: Plan, day: int) -> date:
    """The date of course day ``day`` (day 1 is the start)."""
    return plan.start + timedelta(days=day - 1)


def long_date(day: date) -> str:
    """``Tuesday, December 1, 2026``; ``martes, 1 de diciembre de 2026`` (CLDR)."""
    if lang.language() != "en":
        return lang.long_date_in(day)
    return f"{WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}, {day.year}"


def short_date(day: date) -> str:
    """``Tue Dec 1``; ``mar, 1 de dic`` (CLDR skeleton MMMEd)."""
    if lang.language() != "en":
        return lang.date_pattern(day, "MMMEd")
    return f"{WEEKDAYS[day.weekday()][:3]} {MONTHS[day.month - 1][:3]} {day.day}"


def date_range(first: date, last: date) -> str:
    """``Tue Dec 1`` or ``Tue Dec 1 – Fri Dec 4``; with the years when the range crosses one
    (``Mon Dec 28, 2026 – Fri Jan 8, 2027``)."""
    if first == last:
        return short_date(first)
    if first.year != last.year:
        if lang.language() != "en":
            return f"{lang.date_pattern(first, 'yMMMEd')} – {lang.date_pattern(last, 'yMMMEd')}"
        return f"{short_date(first)}, {first.year} – {short_date(last)}, {last.year}"
    return f"{short_date(first)} – {short_date(last)}"


def days_text(first: int, last: int) -> str:
    """``day 3`` or ``days 3–9``."""
    if first == last:
        return p_("course day", "day {day}", day=first)
    # Translators: a span of course days, "días 3–9".
    return p_("course days", "days {first}–{last}", first=first, last=last)


def month_title(year: int, month: int) -> str:
    """``December 2026``; ``Diciembre de 2026`` (a heading: capitalised)."""
    if lang.language() != "en":
        title = lang.date_pattern(date(year, month, 1), "yMMMM")
        return title[:1].upper() + title[1:]
    return f"{MONTHS[month - 1]} {year}"


def week_heads() -> tuple[str, ...]:
    """The calendar's column heads, Sunday first."""
    if lang.language() != "en":
        names = lang.weekday_names("abbreviated")
        return tuple(n[:1].upper() + n[1:] for n in (names[6], *names[:6]))
    return tuple(name[:3] for name in (WEEKDAYS[6], *WEEKDAYS[:6]))
