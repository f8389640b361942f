"""The values the watch list's sentences take from the plan, in the patient's conventions,
and the filling-in of those sentences (``data/watch.toml`` holds the sentences themselves)."""

from __future__ import annotations

import re

from taper.records.plan import Plan
from taper.voice.lang import _, p_
from taper.voice.text import and_list, nb
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
        **{f"contact:{who}": call_contact(plan, who) for who in CONTACT_NAMES},
    }


def overlap_warning(sign: str, item_id: str, text: str, tier: str) -> str:
    """The ``watch-overlap`` warning: a prescriber's item about a sign a built-in item on the
    same page covers, and the id that ``replaces`` should name (staff words: English)."""
    return (
        f'this item is about {sign.replace("-", " ")}, and the built-in item "{item_id}" '
        f'("{text}", tier {tier}) is on the same page: add replaces = "{item_id}" so that the '
        "page gives one instruction for it"
    )


# The prescriber's own words that say whom to call or where to go ("call the ward", "go to
# the emergency department"): such a line keeps its words, and no number is added to it.
_SAYS_WHOM = re.compile(r"\b(call|phone|ring|go to|llame|llamar|acuda|vaya)\b", re.IGNORECASE)


def says_whom_to_call(text: str) -> bool:
    """Whether a prescriber's own watch line says whom to call (in English, as written)."""
    return _SAYS_WHOM.search(text) is not None


def more_urgent_warning(item_id: str, item_tier: str, tier: str) -> str:
    """The ``watch-more-urgent`` warning: a prescriber's item replaces a built-in item that is
    more urgent; the page keeps the built-in one (staff words: English)."""
    return (
        f'the built-in item "{item_id}" (tier {item_tier}) is more urgent than this item '
        f"(tier {tier}), so the page keeps it: a sign gets its most urgent instruction. To "
        f'replace it, give this item tier = "{item_tier}"'
    )


def contact_names() -> dict[str, str]:
    """Whom a watch item may tell the patient to call, when the care team does not name them."""
    return {
        "maternity": _("your maternity unit"),
        "oncology": _("your cancer centre's 24-hour line"),
    }


#: The contacts a watch item may name (``contact = "..."`` in watch.toml).
CONTACT_NAMES = ("maternity", "oncology")


def contact_of(plan: Plan, who: str) -> tuple[str, str | None]:
    """A named contact from ``[care_team]`` (``maternity``, ``oncology``): its name (or the
    plain description) and its phone, if given."""
    team = plan.care_team
    name = getattr(team, who, None) or contact_names()[who]
    return name, getattr(team, f"{who}_phone", None)


def call_contact(plan: Plan, who: str) -> str:
    """``Call St Mary's maternity unit at 020 7946 0000.``; without a phone, where to write it."""
    name, phone = contact_of(plan, who)
    if phone:
        # Translators: {name} is a maternity unit or "your cancer centre's 24-hour line".
        return _("Call {name} at {phone}.", name=name, phone=nb(phone))
    return _("Call {name} (ask for the number and write it here: ________________).", name=name)


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


def after_course_label(
    first: int, labels: dict[str, str], *, low_steps: bool = False, continues: bool = False
) -> str:
    """The heading of the weeks after a course: ``After the last dose (days 20–…)``; from the
    low steps of a long taper: ``The low doses at the end of the course, and after the last
    dose (days 50–…)``; for a treatment that goes on after the plan (after = "continue"):
    ``While you take this medicine, and if it is ever stopped (days 1–…)``."""
    key = "continues" if continues else "low_steps" if low_steps else "after"
    label = data_text(labels[key])
    return _("{label} ({days})", label=label, days=days_span(first, None))


def reminder_watch_line(lead: str, emergency: str, text: str) -> str:
    """A reminder's watch line: the tier's lead (``Call {emergency} if:``) and the item."""
    return f"{lead.replace('{emergency}', emergency)} {text}"
