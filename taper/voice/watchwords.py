"""The values the watch list's sentences take from the plan, in the patient's conventions,
and the filling-in of those sentences (``data/watch.toml`` holds the sentences themselves)."""

from __future__ import annotations

import re

from taper.records.plan import Plan
from taper.voice.lang import _, p_
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


def data_text(text: str, source: str = "watch.toml") -> str:
    """A sentence of a data file in the patient's language (context: the file's name)."""
    return p_(source, text)


def watch_sentence(text: str, values: dict[str, str]) -> str:
    """A watch-list sentence with the plan's values filled in and, for a United States
    patient, blood sugar in mg/dL first."""
    filled = data_text(text).format_map(values)
    if values.get("units") == "mg/dL":
        filled = _SUGAR.sub(r"\2 mg/dL (\1 mmol/L)", filled)
    return filled


def lower_first(text: str) -> str:
    """``Prednisone`` → ``prednisone`` in the middle of a label; ``IVIG`` stays as it is."""
    first = text.split(" ", 1)[0]
    if any(letter.isupper() for letter in first[1:]):  # IVIG, IgIV, ACTH
        return text
    return text[:1].lower() + text[1:]


def days_span(first: int, last: int | None) -> str:
    """``day 3``, ``days 1–3``, or ``days 5–…`` for a window with no end."""
    if last is None:
        return p_("course days", "days {first}–…", first=first)
    if first == last:
        return p_("course day", "day {day}", day=first)
    return p_("course days", "days {first}–{last}", first=first, last=last)


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
    from taper.voice.doses import drug_word

    name = lower_first(drug_word(drug_name))
    if iv_steroid:
        # Translators: {drug} is a steroid given into a vein: "metilprednisolona IV".
        name = _("IV {drug}", drug=name)
    if high_dose:
        name = _(
            "{name}, {label}", name=name, label=data_text(labels.get("steroid-high", "high dose"))
        )
    if depot:
        name = _("{name} ({label})", name=name, label=data_text(labels["depot"]))
    if no_watch_list and labels.get("no_watch_list"):
        name = _("{name}: {label}", name=name, label=data_text(labels["no_watch_list"]))
    return name


def group_label(
    first: int, last: int, about: str, labels: dict[str, str], *, after_days: int = 0
) -> str:
    """A group's heading: ``Days 1–3, IV methylprednisolone`` (and how long after the last
    dose it runs on, when it does)."""
    if after_days:
        after = data_text(labels["after_days"]).format(days=after_days)
        about = _("{name} {label}", name=about, label=after)
    span = days_span(first, last)
    return _("{days}, {about}", days=span[:1].upper() + span[1:], about=about)


def after_course_label(first: int, labels: dict[str, str]) -> str:
    """The heading of the weeks after a course: ``After the last dose (days 20–…)``."""
    return _("{label} ({days})", label=data_text(labels["after"]), days=days_span(first, None))


def reminder_watch_line(lead: str, emergency: str, text: str) -> str:
    """A reminder's watch line: the tier's lead (``Call {emergency} if:``) and the item."""
    return f"{lead.replace('{emergency}', emergency)} {text}"
