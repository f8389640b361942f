"""The patient and the care team in words: names, contacts, the course line, weight."""

from __future__ import annotations

from datetime import date, datetime

from taper.read.quantities import quantity_text
from taper.records.plan import CareTeam, Plan
from taper.voice.lang import _, language, n_, p_
from taper.voice.text import Rich, Strong, count_words, nb
from taper.voice.times import long_date


def person(plan: Plan) -> str:
    return plan.patient.name or _("Patient (no name given)")


def team_entries(team: CareTeam) -> list[tuple[str, str | None]]:
    """The care team's contacts with the labels both handouts print."""
    return [
        (p_("contact", "Clinic"), team.clinic),
        (p_("contact", "Phone"), team.phone),
        (p_("contact", "After hours"), team.after_hours),
        (p_("contact", "Prescriber"), team.prescriber),
        (p_("contact", "Nurse"), team.nurse),
        (p_("contact", "Pharmacy"), team.pharmacy),
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
    if plan.emergency is not None:
        return plan.emergency.number
    return _("your local emergency number")


def team_lines(plan: Plan) -> list[Rich]:
    """The patient's care-team box: each contact given, then what to do in an emergency."""
    lines: list[Rich] = [
        (_("{label}: ", label=label), Strong(value))
        for label, value in team_entries(plan.care_team)
        if value
    ]
    number = emergency_number(plan)
    lines.append((_("In an emergency: "), Strong(_("call {number}", number=number))))
    if language() != "en":
        # One English line under the translated one, for a bystander or EMS (SPANISH.md (c)).
        english = plan.emergency.number if plan.emergency is not None else NO_EMERGENCY_NUMBER
        lines.append(emergency_in_english(english))
    return lines


def emergency_in_english(number: str) -> Rich:
    """The one English line a translated handout keeps: ``In an emergency: call 911``."""
    return ("In an emergency: ", Strong(f"call {number}"))


def call_clinic(plan: Plan) -> str:
    """How to reach the clinic the same day: ``Call City Clinic at 555-0100.``"""
    team = plan.care_team
    call = None
    if team.phone:
        if team.clinic:
            call = _("Call {clinic} at {phone}.", clinic=team.clinic, phone=nb(team.phone))
        else:
            call = _("Call the clinic at {phone}.", phone=nb(team.phone))
    after = (
        _("After hours, call {phone}.", phone=nb(team.after_hours)) if team.after_hours else None
    )
    if call and after:
        return _("{call} {after_hours}", call=call, after_hours=after)
    return call or after or no_phone()


def no_phone() -> str:
    return _(
        "Your care team's phone number is not on this plan. Ask for it, and write it here: "
        "________________"
    )


def call_the_clinic(plan: Plan) -> str:
    """``call the clinic at 555-0100``, inside a sentence; without a phone, whom to ask."""
    team = plan.care_team
    if team.phone and team.clinic:
        return _("call {clinic} at {phone}", clinic=team.clinic, phone=nb(team.phone))
    if team.phone:
        return _("call the clinic at {phone}", phone=nb(team.phone))
    return _("call your care team (ask them for their number and write it on the first page)")


def for_line(plan: Plan) -> Rich:
    return (_("For "), Strong(person(plan)))


def course_dates(plan: Plan) -> Rich:
    """``From Tuesday, December 1, 2026 to …, 2026 (14 days)``."""
    if language() != "en":
        # Translators: the whole course line; "Del lunes, 7 de diciembre de 2026 al sábado,
        # 12 de diciembre de 2026 (6 días)". CLDR writes the weekday in lower case.
        text = n_(
            "From {start} to {end} ({n} day)",
            "From {start} to {end} ({n} days)",
            plan.length,
            start=long_date(plan.start),
            end=long_date(plan.end),
        )
        return (Strong(text[:1].upper() + text[1:]),)
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


# The staff sheets name the patient's language in English (they stay English: SPANISH.md (c)).
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


def language_line(plan: Plan) -> str | None:
    """``Spanish — handout and reminders in Spanish: counsel with an interpreter``; None for
    English, so an English packet's staff sheets are unchanged."""
    if plan.language == "en":
        return None
    name = LANGUAGE_NAMES.get(plan.language, plan.language)
    return (
        f"{name} — the patient's handout and reminders are in {name}: counsel with an "
        f"interpreter and hand out the {name} copy"
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
    return _(
        "Revised plan — revision {revision}, issued {date} — replaces all earlier copies",
        revision=plan.revision,
        date=long_date(issued),
    )
