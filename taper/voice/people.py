"""The patient and the care team in words: names, contacts, the course line, weight."""

from __future__ import annotations

from datetime import date, datetime

from taper.read.quantities import quantity_text
from taper.records.plan import CareTeam, Plan
from taper.voice.text import Rich, Strong, count_words, nb
from taper.voice.times import long_date


def person(plan: Plan) -> str:
    return plan.patient.name or "Patient (no name given)"


def team_entries(team: CareTeam) -> list[tuple[str, str | None]]:
    """The care team's contacts with the labels both handouts print."""
    return [
        ("Clinic", team.clinic),
        ("Phone", team.phone),
        ("After hours", team.after_hours),
        ("Prescriber", team.prescriber),
        ("Nurse", team.nurse),
        ("Pharmacy", team.pharmacy),
    ]


# When a plan carries no emergency number (a plan not built by the engine): never a made-up one.
NO_EMERGENCY_NUMBER = "your local emergency number"
# M3: the handouts never say "call your clinic" without a number.
NO_PHONE = (
    "Your care team's phone number is not on this plan. Ask for it, and write it here: "
    "________________"
)


def emergency_number(plan: Plan) -> str:
    """The number to call in an emergency: ``care_team.emergency``, or the one taper's reference
    confirms for the time zone's country (``taper.checks.safety.emergency_for``); never a fixed
    one."""
    return plan.emergency.number if plan.emergency is not None else NO_EMERGENCY_NUMBER


def team_lines(plan: Plan) -> list[Rich]:
    """The patient's care-team box: each contact given, then what to do in an emergency."""
    lines: list[Rich] = [
        (f"{label}: ", Strong(value)) for label, value in team_entries(plan.care_team) if value
    ]
    lines.append(("In an emergency: ", Strong(f"call {emergency_number(plan)}")))
    return lines


def call_clinic(plan: Plan) -> str:
    """How to reach the clinic the same day: ``Call City Clinic at 555-0100.``"""
    team = plan.care_team
    phones = []
    if team.phone:
        phones.append(f"Call {team.clinic or 'the clinic'} at {nb(team.phone)}.")
    if team.after_hours:
        phones.append(f"After hours, call {nb(team.after_hours)}.")
    return " ".join(phones) or NO_PHONE


def call_the_clinic(plan: Plan) -> str:
    """``call the clinic at 555-0100``, inside a sentence; without a phone, whom to ask."""
    team = plan.care_team
    if team.phone:
        return f"call {team.clinic or 'the clinic'} at {nb(team.phone)}"
    return "call your care team (ask them for their number and write it on the first page)"


def for_line(plan: Plan) -> Rich:
    return ("For ", Strong(person(plan)))


def course_dates(plan: Plan) -> Rich:
    """``From Tuesday, December 1, 2026 to …, 2026 (14 days)``."""
    return (
        "From ",
        Strong(long_date(plan.start)),
        " to ",
        Strong(long_date(plan.end)),
        f" ({count_words(plan.length, 'day')})",
    )


def course_line(plan: Plan) -> str:
    """The course on the staff sheets: title, dates, length and the zone of its times."""
    return (
        f"{plan.title}: {long_date(plan.start)} to {long_date(plan.end)} "
        f"({count_words(plan.length, 'day')}); times are local, {plan.timezone}"
    )


def weight_text(plan: Plan) -> str:
    weight = plan.patient
    if weight.weight_kg is None:
        return "not given"
    text = f"{quantity_text(weight.weight_kg, 'kg')}"
    if weight.weight and not weight.weight.strip().lower().endswith("kg"):
        text += f" (entered as {weight.weight})"
    return text


def conditions_text(plan: Plan) -> str:
    from taper.read.catalogue import conditions

    labels = conditions()
    return ", ".join(labels.get(c, c) for c in plan.patient.conditions) or "none recorded"


def issued_on(plan: Plan, stamp: datetime) -> date:
    """The day a packet is issued: the build's moment, in the course's zone."""
    from taper.read.zones import zone

    return stamp.astimezone(zone(plan.timezone)).date()


def revision_banner(plan: Plan, stamp: datetime) -> str | None:
    """What every page of a reissued plan says at its top; None for the first issue."""
    if not plan.revision:
        return None
    issued = issued_on(plan, stamp)
    return (
        f"Revised plan — revision {plan.revision}, issued {long_date(issued)} — "
        "replaces all earlier copies"
    )
