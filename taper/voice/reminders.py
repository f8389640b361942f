"""The reminders' words (``reminders.ics``): what each event says, the calendar's name, and what
a cancelled reminder says. Plain text: a calendar app breaks its own lines, so the no-break
spaces of the handouts' words become ordinary spaces here (``text.plain_text``)."""

from __future__ import annotations

from collections.abc import Iterable

from taper.records.plan import Dose, Event, Plan
from taper.voice.doses import dose_instructions, dose_summary, event_summary
from taper.voice.lang import _
from taper.voice.text import plain_text
from taper.voice.watch import reminder_line
from taper.voice.words import Words

CANCELLED_PREFIX = "Cancelled: "
CANCELLED_NOTE = "This reminder is cancelled because your plan changed. Follow your new plan."


def cancelled_note() -> str:
    return _("This reminder is cancelled because your plan changed. Follow your new plan.")


def dose_title(dose: Dose) -> str:
    """A dose reminder's title (and its alarm's text): ``Prednisone 40 mg: 2 × 20 mg tablets``."""
    return plain_text(dose_summary(dose))


def event_title(event: Event) -> str:
    """A check's, an appointment's or a medicine's title: what the regimen calls it."""
    return plain_text(event_summary(event))


def dose_description(plan: Plan, dose: Dose, words: Words) -> str:
    """What a dose reminder says: the dose's instructions, the course day, the watch list's
    most important line for that day (if any), then whom to call."""
    lines = [dose_instructions(dose, words), day_line(plan, dose.day, (dose.phase,))]
    extra = reminder_line(plan, dose)
    if extra:
        lines.append(extra)
    lines.extend(contact_lines(plan))
    return plain_text("\n".join(lines))


def event_description(plan: Plan, event: Event) -> str:
    """What a check's, an appointment's or a medicine's reminder says: the course day (with the
    phases running that day), then whom to call."""
    phases = plan.days[event.day - 1].phases
    return plain_text("\n".join([day_line(plan, event.day, phases), *contact_lines(plan)]))


def day_line(plan: Plan, day: int, phases: Iterable[str]) -> str:
    """``Day 9 of 12 · Taper``; ``Day 2 of 12 · Pulse, Exchange``."""
    from taper.voice.doses import drug_word

    names = ", ".join(drug_word(name) for name in phases)
    line = _("Day {day} of {days}", day=day, days=plan.length)
    return f"{line} · {names}" if names else line


def contact_lines(plan: Plan) -> list[str]:
    """``Questions: call MS Center at 212-555-0100`` and ``After hours: 212-555-0199``, for
    the contacts the regimen gives."""
    team = plan.care_team
    lines = []
    if team.phone and team.clinic:
        # Translators: "Preguntas: llame a {clinic} al {phone}".
        lines.append(_("Questions: call {clinic} at {phone}", clinic=team.clinic, phone=team.phone))
    elif team.phone:
        lines.append(_("Questions: call {phone}", phone=team.phone))
    if team.after_hours:
        lines.append(_("After hours: {phone}", phone=team.after_hours))
    return lines


def calendar_name(plan: Plan) -> str:
    """The calendar's name in the app: ``MS relapse: IV pulse (Jane Doe)``."""
    name = plan.patient.name
    return plain_text(f"{plan.title} ({name})" if name else plan.title)


def cancelled_title(title: str) -> str:
    """A cancelled reminder's title: ``Cancelled: …``, never twice."""
    prefix = _("Cancelled: ")
    return title if title.startswith(prefix) else _("Cancelled: {title}", title=title)
