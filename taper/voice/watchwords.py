"""The values the watch list's sentences take from the plan, in the patient's conventions,
and the filling-in of those sentences (``data/watch.toml`` holds the sentences themselves)."""

from __future__ import annotations

import re

from taper.records.plan import Plan
from taper.voice.text import and_list
from taper.voice.times import clock
from taper.voice.words import Words

#: Where a prescriber's own ``[[watch]]`` item comes from, as its source line says.
PRESCRIBER_SOURCE = "the prescriber ([[watch]])"

# "12 mmol/L (216 mg/dL)" in a sentence, to put mg/dL first for a United States patient.
_SUGAR = re.compile(r"(\d+(?:\.\d+)?) mmol/L \((\d+(?:\.\d+)?) mg/dL\)")


def watch_values(plan: Plan, dose_times: list[str], words: Words) -> dict[str, str]:
    """``{dose_times}``, ``{lunch}`` and ``{supper}`` for the sentences, in the plan's clock."""
    style = words.clock
    routine = dict(plan.routine)
    return {
        "dose_times": and_list([clock(t, style) for t in sorted(dose_times)]),
        "lunch": clock(routine.get("lunch", "12:30"), style),
        "supper": clock(routine.get("supper", "18:00"), style),
        "units": words.sugar_unit,
    }


def watch_sentence(text: str, values: dict[str, str]) -> str:
    """A watch-list sentence with the plan's values filled in and, for a United States
    patient, blood sugar in mg/dL first."""
    filled = text.format_map(values)
    if values.get("units") == "mg/dL":
        filled = _SUGAR.sub(r"\2 mg/dL (\1 mmol/L)", filled)
    return filled


def lower_first(text: str) -> str:
    """``Prednisone`` → ``prednisone`` in the middle of a label; ``IVIG`` stays as it is."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def days_span(first: int, last: int | None) -> str:
    """``day 3``, ``days 1–3``, or ``days 5–…`` for a window with no end."""
    if last is None:
        return f"days {first}–…"
    return f"day {first}" if first == last else f"days {first}–{last}"


def phase_watch_label(
    drug_name: str,
    labels: dict[str, str],
    *,
    iv_steroid: bool,
    high_dose: bool,
    depot: bool,
    no_watch_list: bool,
) -> str:
    """What a watch-list group is about: ``IV methylprednisolone``, ``prednisone, high dose``."""
    name = lower_first(drug_name)
    if iv_steroid:
        name = f"IV {name}"
    if high_dose:
        name += f", {labels.get('steroid-high', 'high dose')}"
    if depot:
        name += f" ({labels['depot']})"
    if no_watch_list:
        name += f": {labels.get('no_watch_list', '')}".rstrip(": ")
    return name


def group_label(
    first: int, last: int, about: str, labels: dict[str, str], *, after_days: int = 0
) -> str:
    """A group's heading: ``Days 1–3, IV methylprednisolone`` (and how long after the last
    dose it runs on, when it does)."""
    if after_days:
        about += " " + labels["after_days"].format(days=after_days)
    return f"{days_span(first, last).capitalize()}, {about}"


def after_course_label(first: int, labels: dict[str, str]) -> str:
    """The heading of the weeks after a course: ``After the last dose (days 20–…)``."""
    return f"{labels['after']} ({days_span(first, None)})"


def reminder_watch_line(lead: str, emergency: str, text: str) -> str:
    """A reminder's watch line: the tier's lead (``Call {emergency} if:``) and the item."""
    return f"{lead.replace('{emergency}', emergency)} {text}"
