"""The reminders as iCalendar (``taper ics``, ``reminders.ics``), per SPEC section 5.

One VEVENT per dose time, check and appointment, at the plan's local wall-clock times. UIDs are
hashes of what identifies a reminder in the regimen (never of its amount), so a reissued plan
updates the same events in the patient's calendar instead of adding a second set; events of the
previous file that are gone are written again as cancelled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Component, vText
from icalendar import Event as VEvent
from icalendar.enums import STATUS, TRANSP

from taper import __version__
from taper.errors import OutputError
from taper.plan import Dose, Event, Plan
from taper.voice.doses import dose_summary, event_summary
from taper.watch import reminder_line

PRODID_PREFIX = "-//taper//taper reminders"
PRODID = f"{PRODID_PREFIX} {__version__}//EN"
UID_DOMAIN = "taper"
# Tablets and checks take moments; a short block keeps them visible without filling the day.
DEFAULT_MINUTES = 15
CANCELLED_PREFIX = "Cancelled: "
CANCELLED_NOTE = "This reminder is cancelled because your plan changed. Follow your new plan."
# Properties whose change a calendar must see; DTSTAMP and SEQUENCE are bookkeeping.
_CONTENT = ("SUMMARY", "DTSTART", "DURATION", "DESCRIPTION", "LOCATION", "STATUS")


def render_ics(
    plan: Plan,
    *,
    stamp: datetime,
    floating: bool = False,
    alarm: timedelta | None = timedelta(0),
    previous: bytes | None = None,
) -> bytes:
    """The plan's reminders as an RFC 5545 calendar (UTF-8 bytes, CRLF lines).

    ``stamp`` (aware) becomes every DTSTAMP; ``alarm`` is the lead time of the display alarm
    (``None``: no alarm); ``previous`` is the calendar this plan replaces, whose events that are
    gone from this plan are written again as cancelled.
    """
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError("stamp must be an aware datetime")
    stamp = stamp.astimezone(ZoneInfo("UTC"))
    zone = None if floating else ZoneInfo(plan.timezone)
    events: list[VEvent] = []
    uids = _Uids()
    for day in plan.days:
        todays: list[tuple[datetime, VEvent]] = []
        for dose in day.doses:
            todays.append(
                (
                    dose.starts,
                    _dose_event(plan, dose, uids.dose(plan, dose), stamp, zone, alarm),
                )
            )
        for item in day.events:
            todays.append(
                (item.starts, _also_event(plan, item, uids.also(plan, item), stamp, zone, alarm))
            )
        # In time order, so the file reads like the day; a dose stays before a check at its time.
        events.extend(event for _, event in sorted(todays, key=lambda pair: pair[0]))

    first, last = plan.start, plan.end
    old: Calendar | None = None
    if previous is not None:
        old, old_events = _parse_previous(previous)
        _check_updates(plan, old_events, events)
        current = {str(event["UID"]) for event in events}
        events.extend(_cancellations(plan, old_events, current, stamp))
        for before in old_events:
            if before.uid not in current:
                day_of = before.start.date() if isinstance(before.start, datetime) else before.start
                first, last = min(first, day_of), max(last, day_of)

    calendar = Calendar.new(
        prodid=PRODID,
        method="PUBLISH",
        uid=_hash_uid("course", _course_key(plan)),
        subcomponents=events,
    )
    # Set as TEXT ourselves: icalendar 7.3's ``calendar_name`` stores the name unescaped, so a
    # comma, semicolon or newline in a title or patient name would corrupt the file.
    name = _calendar_name(plan)
    calendar["NAME"] = vText(name)
    calendar["X-WR-CALNAME"] = vText(name)
    if zone is not None or old is not None:
        # VTIMEZONE needs to cover only the events in this file: an instant on the last day is
        # after that day's midnight, and the day before the first keeps early alarms inside.
        calendar.add_missing_timezones(
            first_date=first - timedelta(days=1), last_date=last + timedelta(days=1)
        )
        if old is not None:
            _copy_unknown_timezones(calendar, old)
    data: bytes = calendar.to_ical()
    return data


# -- one event per dose, check or appointment ----------------------------------------------


def _dose_event(
    plan: Plan,
    dose: Dose,
    uid: str,
    stamp: datetime,
    zone: ZoneInfo | None,
    alarm: timedelta | None,
) -> VEvent:
    summary = dose_summary(dose)
    lines = [dose.instructions, _day_line(plan, dose.day, (dose.phase,))]
    extra = reminder_line(plan, dose)
    if extra:
        lines.append(extra)
    lines.extend(_contact_lines(plan))
    # Pills and a liquid take a moment and should not mark the patient busy; an infusion,
    # injection or procedure is a visit that does.
    quick = dose.route == "oral"
    return _event(
        uid=uid,
        stamp=stamp,
        sequence=plan.revision,
        start=_start(dose.starts, zone),
        minutes=dose.duration_min or DEFAULT_MINUTES,
        summary=summary,
        description="\n".join(lines),
        where=dose.where,
        alarm=alarm,
        quick=quick,
    )


def _also_event(
    plan: Plan,
    item: Event,
    uid: str,
    stamp: datetime,
    zone: ZoneInfo | None,
    alarm: timedelta | None,
) -> VEvent:
    phases = plan.days[item.day - 1].phases
    lines = [_day_line(plan, item.day, phases), *_contact_lines(plan)]
    return _event(
        uid=uid,
        stamp=stamp,
        sequence=plan.revision,
        start=_start(item.starts, zone),
        minutes=item.duration_min or DEFAULT_MINUTES,
        summary=event_summary(item),
        description="\n".join(lines),
        where=item.where,
        alarm=alarm,
        quick=item.kind != "appointment",
    )


def _event(
    *,
    uid: str,
    stamp: datetime,
    sequence: int,
    start: datetime,
    minutes: int,
    summary: str,
    description: str,
    where: str | None,
    alarm: timedelta | None,
    quick: bool,
) -> VEvent:
    event = VEvent.new(
        uid=uid,
        stamp=stamp,
        sequence=sequence,
        start=start,
        summary=summary,
        description=description,
        location=where or None,
        transparency=TRANSP.TRANSPARENT if quick else TRANSP.OPAQUE,
    )
    event.duration = timedelta(minutes=minutes)
    if alarm is not None:
        event.add_component(Alarm.new_display(description=summary, trigger=-alarm))
    return event


def _start(starts: datetime, zone: ZoneInfo | None) -> datetime:
    if zone is None:
        # Floating: the wall-clock time the engine chose, which a traveller keeps wherever
        # they are.
        return starts.replace(tzinfo=None)
    # The same instant in the standard library's zone, whose key icalendar writes as TZID.
    local = starts.astimezone(zone)
    if local.fold and local.utcoffset() != local.replace(fold=0).utcoffset():
        # The second of a repeated hour (fall-back): a TZID time means the first one
        # (RFC 5545 §3.3.5), so a dose of an every-"6h" series there is written in UTC.
        return starts.astimezone(UTC)
    return local


def _day_line(plan: Plan, day: int, phases: Iterable[str]) -> str:
    names = ", ".join(phases)
    return f"Day {day} of {plan.length}" + (f" · {names}" if names else "")


def _contact_lines(plan: Plan) -> list[str]:
    team = plan.care_team
    lines = []
    if team.phone:
        who = f"{team.clinic} at " if team.clinic else ""
        lines.append(f"Questions: call {who}{team.phone}")
    if team.after_hours:
        lines.append(f"After hours: {team.after_hours}")
    return lines


def _calendar_name(plan: Plan) -> str:
    name = plan.patient.name
    return f"{plan.title} ({name})" if name else plan.title


# -- identities ------------------------------------------------------------------------------


def _course_key(plan: Plan) -> tuple[str, ...]:
    return (plan.patient.name or "", plan.title, plan.start.isoformat())


def _hash_uid(kind: str, key: Iterable[object]) -> str:
    # Fields are joined with a separator that cannot appear in TOML strings unescaped, so
    # ("a b", "c") and ("a", "b c") differ; the patient's name never appears in the file.
    text = "\x1f".join(str(part) for part in (kind, *key))
    return f"{kind}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]}@{UID_DOMAIN}"


class _Uids:
    """UIDs from the regimen's identities, made unique within one file."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def unique(self, uid: str) -> str:
        candidate, number = uid, 1
        while candidate in self.seen:
            number += 1
            local, _, domain = uid.partition("@")
            candidate = f"{local}-{number}@{domain}"
        self.seen.add(candidate)
        return candidate

    def dose(self, plan: Plan, dose: Dose) -> str:
        key = (*_course_key(plan), dose.phase, dose.day, dose.time, dose.drug)
        return self.unique(_hash_uid("dose", key))

    def also(self, plan: Plan, item: Event) -> str:
        key = (*_course_key(plan), item.index, item.kind, item.what, item.day, item.time)
        return self.unique(_hash_uid("also", key))


# -- the previous calendar ------------------------------------------------------------------

_GIVE = "give the reminders.ics written for the plan this one replaces"


@dataclass(frozen=True)
class _OldEvent:
    uid: str
    start: date
    sequence: int
    component: Component


def _parse_previous(data: bytes) -> tuple[Calendar, list[_OldEvent]]:
    what = "the previous calendar file"
    try:
        calendars = Calendar.from_ical(data, multiple=True)
    except ValueError as err:
        raise OutputError(f"{what} is not a readable iCalendar file ({err}); {_GIVE}") from err
    if len(calendars) != 1 or calendars[0].name != "VCALENDAR":
        raise OutputError(f"{what} does not hold exactly one calendar; {_GIVE}")
    calendar = calendars[0]
    prodid = str(calendar.get("PRODID", ""))
    if not prodid.startswith(PRODID_PREFIX):
        # Cancelling every event of someone's own calendar would be far worse than refusing.
        raise OutputError(f"{what} was not written by taper (PRODID: {prodid or 'none'}); {_GIVE}")
    events = []
    for number, component in enumerate(calendar.events, 1):
        uid = str(component.get("UID", ""))
        try:
            start = component.DTSTART
            sequence = component.sequence
        except ValueError as err:
            raise OutputError(
                f"{what}: event {number} ({uid or 'no UID'}) is broken ({err}); {_GIVE}"
            ) from err
        if not uid or not isinstance(start, date):
            raise OutputError(f"{what}: event {number} has no UID or no start; {_GIVE}")
        events.append(_OldEvent(uid, start, sequence, component))
    return calendar, events


def _check_updates(plan: Plan, old: list[_OldEvent], events: list[VEvent]) -> None:
    """Refuse a changed event whose SEQUENCE is not above the old one: calendars would keep
    the old version (a changed dose left at its old amount)."""
    previous = {event.uid: event for event in old}
    changed = []
    for event in events:
        before = previous.get(str(event["UID"]))
        if before is None or before.sequence < plan.revision:
            continue
        # Compared as parsed back, as the old one was: TZID is a parameter only once written.
        if _content(before.component) != _content(VEvent.from_ical(event.to_ical())):
            changed.append(event)
    if changed:
        first = changed[0]
        raise OutputError(
            f"{len(changed)} reminder{'s' if len(changed) != 1 else ''} changed since the "
            f"previous calendar file (first: {first['SUMMARY']} on "
            f"{first.DTSTART:%Y-%m-%d %H:%M}) but revision is still {plan.revision}; increase "
            "revision in the regimen so that calendars replace the old reminders"
        )


def _content(event: Component) -> tuple[bytes, ...]:
    values = [_bytes(event[name].to_ical()) if name in event else b"" for name in _CONTENT]
    start = event.get("DTSTART")
    tzid = start.params.get("TZID", "") if start is not None else ""
    return (*values, str(tzid).encode("utf-8"))


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def _cancellations(
    plan: Plan, old: list[_OldEvent], current: set[str], stamp: datetime
) -> list[VEvent]:
    cancelled = []
    written: set[str] = set()
    for before in old:
        if before.uid in current or before.uid in written:
            continue
        written.add(before.uid)
        event = VEvent.new(uid=before.uid, stamp=stamp)
        for name in ("DTSTART", "DTEND", "DURATION", "LOCATION", "TRANSP"):
            if name in before.component:
                event[name] = before.component[name]
        summary = str(before.component.get("SUMMARY", ""))
        if not summary.startswith(CANCELLED_PREFIX):
            summary = CANCELLED_PREFIX + summary
        event.summary = summary
        event.description = CANCELLED_NOTE
        event.sequence = max(before.sequence + 1, plan.revision)
        # Without its alarm: a cancelled reminder must not ring.
        event.status = STATUS.CANCELLED
        cancelled.append(event)
    return cancelled


def _copy_unknown_timezones(calendar: Calendar, old: Calendar) -> None:
    """Zones the old events use that the tz database does not name come from the old file."""
    missing = calendar.get_missing_tzids()
    for timezone in old.timezones:
        if timezone.tz_name in missing:
            calendar.subcomponents.insert(0, timezone)
