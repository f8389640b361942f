"""What the commands print on a terminal: the words of ``taper plan``'s table, ``taper check``'s
summary and warnings, and ``taper watch``'s list. Plain text: a terminal breaks its own lines, so
the handouts' no-break spaces become ordinary spaces here (``text.plain_text``).

The table's layout (its columns, its ``==`` rules, one row per item) stays in
``taper/export/table.py``; every word it prints comes from here."""

from __future__ import annotations

from decimal import Decimal

from taper.read.quantities import number_text, quantity_text
from taper.records.plan import (
    Day,
    DispenseLine,
    Dose,
    Event,
    LiquidLine,
    PhasePlan,
    Plan,
    Total,
    Warning,
)
from taper.voice.doses import dose_summary, phase_heading, tablet_word, take_of
from taper.voice.lang import _, p_
from taper.voice.overview import NO_DOSE, tier_call
from taper.voice.people import call_clinic
from taper.voice.text import count_words, plain_text
from taper.voice.watch import TIERS, WatchList, watch_list, watch_words


class Table:
    """The fixed words of ``taper plan``'s table."""

    after_course = "after the course"
    no_dose = NO_DOSE
    dispense = "Dispense:"
    totals = "Totals:"
    warnings = "Warnings:"


# -- taper plan -------------------------------------------------------------------------------


def course_summary(plan: Plan) -> str:
    """The line under the title: ``Jane Doe · 2026-12-01 to 2026-12-12 (12 days) · times in
    America/New_York``."""
    who = f"{plan.patient.name} · " if plan.patient.name else ""
    return plain_text(
        f"{who}{plan.start.isoformat()} to {plan.end.isoformat()} "
        f"({count_words(plan.length, 'day')}) · times in {plan.timezone}"
    )


def fingerprint_line(code: str) -> str:
    """The line under the summary: the fingerprint every page of the handouts carries."""
    return f"Plan {code} (the fingerprint on every page of this plan's handouts)"


def table_heading(phase: PhasePlan) -> str:
    """A phase's heading in the table: ``Taper: Prednisone by mouth, days 4–17``."""
    return plain_text(phase_heading(phase))


def day_label(day: Day) -> str:
    """The first column of a day's first row: ``Tue 2026-12-01  day   1`` (the day number right
    aligned, so the rows line up)."""
    return f"{day.date.strftime('%a')} {day.date.isoformat()}  day {day.day:>3}"


def table_dose(plan: Plan, dose: Dose) -> str:
    """A dose in the table: ``Prednisone 40 mg: 2 × 20 mg tablets, with food``. The phase's own
    words ("with food", up to its first full stop) follow a dose of tablets."""
    text = dose_summary(dose)
    take = take_of(plan, dose) if dose.tablets else None
    if take:
        first = take.split(". ", 1)[0].rstrip(".")
        if first:
            text += f", {first}"
    return plain_text(text)


def table_event(event: Event) -> str:
    """A check, appointment or medicine in the table: ``check: Check blood sugar``."""
    return plain_text(f"{event.kind}: {event.what}")


def dispense_line(line: DispenseLine) -> str:
    """``Prednisone 20 mg tablets: 14``."""
    return (
        f"{line.drug_name} {quantity_text(line.strength, line.unit)} "
        f"{tablet_word(Decimal(2), line.form)}: {number_text(line.count, 'tablets')}"
    )


def liquid_line(liquid: LiquidLine) -> str:
    """``Prednisolone 15 mg/5 mL liquid: 120 mL``."""
    return f"{liquid.drug_name} {liquid.liquid} liquid: {quantity_text(liquid.volume_ml, 'mL')}"


def total_line(total: Total) -> str:
    """``Methylprednisolone: 3 g (prednisone equivalent: 3750 mg)``: the equivalent for a drug
    other than prednisone, where the catalogue gives one."""
    equivalent = ""
    if total.prednisone_equivalent_mg is not None and total.drug != "prednisone":
        about = "about " if total.equivalence_approximate else ""
        mg = quantity_text(total.prednisone_equivalent_mg, "mg-equivalent")
        equivalent = f" (prednisone equivalent: {about}{mg})"
    return f"{total.drug_name}: {quantity_text(total.amount, total.unit)}{equivalent}"


def table_warning(warning: Warning) -> str:
    """``[adrenal] message (phase[2])``."""
    place = f" ({warning.place})" if warning.place else ""
    return plain_text(f"[{warning.code}] {warning.message}{place}")


# -- taper check, taper ics, taper watch ------------------------------------------------------


def check_summary(file_name: str, plan: Plan) -> str:
    """``jane.toml: valid: 12 days, 24 doses, 1 warning`` (``1 day``, never ``1 days``)."""
    return (
        f"{file_name}: valid: {count_words(plan.length, 'day')}, "
        f"{count_words(len(plan.doses), 'dose')}, "
        f"{count_words(len(plan.warnings) + len(language_warnings(plan)), 'warning')}"
    )


def file_warning(file_name: str, warning: Warning) -> str:
    """A warning as a command reports it: ``jane.toml: phase[2].at: warning [dst-gap]: …``."""
    place = f"{warning.place}: " if warning.place else ""
    return plain_text(f"{file_name}: {place}warning [{warning.code}]: {warning.message}")


#: The warning a translated handout gets for the clinician's own words (SPANISH.md (c)).
FREE_TEXT_CODE = "free-text-language"


def language_warnings(plan: Plan) -> list[Warning]:
    """For a handout in another language than English: each piece of the clinician's own text
    the handout prints as written (title, phase names, places, other medicines, watch items,
    a ``take`` that is not one of the standard values), so the nurse writes it in that
    language. A warning, not an error: the text may already be in it. Not a plan warning, so
    plan.json and the staff sheets stay as they are."""
    from taper.voice.people import LANGUAGE_NAMES

    if plan.language == "en":
        return []
    name = LANGUAGE_NAMES.get(plan.language, plan.language)
    return [
        Warning(
            FREE_TEXT_CODE,
            f"the patient's handout and reminders are in {name}, but this text is printed as "
            f"written: {text!r}. Write it in {name} if it is not already",
            place,
        )
        for place, text in free_texts(plan)
    ]


def free_texts(plan: Plan) -> list[tuple[str, str]]:
    """The clinician's own words a translated handout prints as written, with their places."""
    from taper.voice.doses import drug_word, take_words
    from taper.voice.lang import speaking

    found: list[tuple[str, str]] = []
    if plan.title:
        found.append(("title", plan.title))
    if plan.care_team.clinic:
        found.append(("care_team.clinic", plan.care_team.clinic))
    for contact in ("maternity", "oncology"):
        name = getattr(plan.care_team, contact)
        if name:
            found.append((f"care_team.{contact}", name))
    with speaking(plan.language):
        for number, phase in enumerate(plan.phases, start=1):
            if drug_word(phase.name) == phase.name and phase.name != phase.drug_name:
                found.append((f"phase[{number}].name", phase.name))
            if phase.where:
                found.append((f"phase[{number}].where", phase.where))
            if phase.take and take_words(phase.take) == phase.take.strip():
                found.append((f"phase[{number}].take", phase.take))
            if phase.missed:
                found.append((f"phase[{number}].missed", phase.missed))
    seen: set[int] = set()
    for event in plan.events:
        if event.index not in seen:
            seen.add(event.index)
            found.append((f"also[{event.index}].what", event.what))
            if event.where:
                found.append((f"also[{event.index}].where", event.where))
    for number, item in enumerate(plan.watch, start=1):
        found.append((f"watch[{number}].text", item.text))
    return found


def watch_text(plan: Plan) -> str:
    """The course's watch list as ``taper watch`` prints it, in plain spaces."""
    watch = watch_list(plan)
    calls = {tier: tier_call(plan, watch.contact(tier)) for tier in ("call", "now")}
    return plain_text(render_watch_text(watch, call_clinic(plan), calls))


def render_watch_text(
    watch: WatchList, contact: str = "", calls: dict[str, str] | None = None
) -> str:
    """The watch list as plain text: by tier, then by days (what ``taper watch`` prints).

    ``contact`` is how to reach the care team (``taper.voice.people.call_clinic``), printed
    under the call tiers; ``calls`` whom each tier's heading names, when it is not the clinic.
    """
    default_headings, labels = watch_words()
    titles = dict(watch.headings) or default_headings
    lines: list[str] = []
    for tier, items in watch.by_tier().items():
        if tier == "now" and not items:
            continue  # the tier for line infections and pregnancy red flags: only when used
        lines.append(f"== {titles[tier]} ==")
        call = (calls or {}).get(tier, contact)
        if tier in ("call", "now") and call:
            lines.append(f"  ({call})")
        lines.extend(f"  - {item.text}" for item in items)
        if not items:
            lines.append("  " + _("(nothing listed)"))
        lines.append("")
    if watch.advice:
        advice = p_("watch.toml", labels["advice"])
        lines.append(f"== {advice} ==")
        lines.extend(f"  - {item.text}" for item in watch.advice)
        lines.append("")
    by_days = _("By days")
    lines.append(f"== {by_days} ==")
    tier_words = {
        # Translators: the tiers' short names in taper watch's "by days" list.
        "expected": p_("tier", "expected"),
        "call": p_("tier", "call"),
        "now": p_("tier", "now"),
        "emergency": p_("tier", "emergency"),
    }
    for group in watch.groups:
        lines.append(group.label)
        for tier in TIERS:
            word = tier_words.get(tier, tier)
            lines.extend(f"  {word}: {item.text}" for item in group.items if item.tier == tier)
    return "\n".join(lines) + "\n"
