"""The reminders as iCalendar (``taper ics``, ``reminders.ics``), per SPEC section 5.

One VEVENT per dose time, check and appointment, at the plan's local wall-clock times. UIDs are
hashes of what identifies a reminder in the regimen (never of its amount), so a reissued plan
updates the same events in the patient's calendar instead of adding a second set; events of the
previous file that are gone are written again as cancelled.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from taper import __version__
from taper.export.vtimezone import is_utc, vtimezone, vtimezone_lines
from taper.read.errors import OutputError
from taper.read.identity import course_key, hash_uid
from taper.read.zones import zone
from taper.records.plan import Dose, Event, Plan
from taper.voice.lang import speaking
from taper.voice.reminders import (
    calendar_name,
    cancelled_note,
    cancelled_title,
    dose_description,
    dose_title,
    event_description,
    event_title,
)
from taper.voice.words import words_of

if TYPE_CHECKING:
    from icalendar import Calendar, Component
    from icalendar import Event as VEvent

PRODID_PREFIX = "-//taper//taper reminders"
PRODID = f"{PRODID_PREFIX} {__version__}//EN"
# Tablets and checks take moments; a short block keeps them visible without filling the day.
DEFAULT_MINUTES = 15
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
    """The reminders in the patient's language (``[patient] language``): see ``_render``."""
    with speaking(words_of(plan).language):
        return _render(plan, stamp=stamp, floating=floating, alarm=alarm, previous=previous)


def _render(
    plan: Plan,
    *,
    stamp: datetime,
    floating: bool,
    alarm: timedelta | None,
    previous: bytes | None,
) -> bytes:
    """The plan's reminders as an RFC 5545 calendar (UTF-8 bytes, CRLF lines).

    ``stamp`` (aware) becomes every DTSTAMP; ``alarm`` is the lead time of the display alarm
    (``None``: no alarm); ``previous`` is the calendar this plan replaces, whose events that are
    gone from this plan are written again as cancelled.
    """
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError("stamp must be an aware datetime")
    stamp = stamp.astimezone(UTC)
    if previous is None and not _FORCE_ICALENDAR:
        return _render_as_text(plan, stamp=stamp, floating=floating, alarm=alarm)
    return _render_with_icalendar(
        plan, stamp=stamp, floating=floating, alarm=alarm, previous=previous
    )


# Tests set this to compare the text writer with icalendar's objects on the same plans.
_FORCE_ICALENDAR = False


def render_ics_with_icalendar(
    plan: Plan,
    *,
    stamp: datetime,
    floating: bool = False,
    alarm: timedelta | None = timedelta(0),
    previous: bytes | None = None,
) -> bytes:
    """The calendar built from icalendar's components, in the patient's language: the
    reference the text writer (``_render_as_text``) must match byte for byte, and the way a
    reissue with a previous calendar is made (it reads that calendar and compares events)."""
    with speaking(words_of(plan).language):
        return _render_with_icalendar(
            plan, stamp=stamp, floating=floating, alarm=alarm, previous=previous
        )


def _render_with_icalendar(
    plan: Plan,
    *,
    stamp: datetime,
    floating: bool,
    alarm: timedelta | None,
    previous: bytes | None,
) -> bytes:
    stamp = stamp.astimezone(UTC)
    zone = None if floating else _Zone(plan.timezone)
    events = [
        _event(reminder, stamp=stamp, sequence=plan.revision, alarm=alarm)
        for reminder in _reminders(plan, zone)
    ]

    course_uid = hash_uid("course", _course_key(plan))  # the same as plan.json's course.uid
    if previous is not None:
        old_events = _parse_previous(previous, course_uid)
        _check_updates(plan, old_events, events)
        current = {str(event["UID"]) for event in events}
        events.extend(_cancellations(plan, old_events, current, stamp))

    # No METHOD: the file is a calendar to import or upload, not an iTIP message. PUBLISH would
    # need an ORGANIZER (RFC 5546 3.2.1) that taper cannot truthfully name, and CalDAV servers
    # must refuse a METHOD in a stored calendar (RFC 4791 4.1).
    return _to_ical(_calendar(plan, course_uid, events, zone is not None and zone.used))


def _calendar(plan: Plan, course_uid: str, events: list[VEvent], zoned: bool) -> Calendar:
    from icalendar import Calendar, vText

    calendar = Calendar.new(prodid=PRODID, uid=course_uid, subcomponents=events)
    # TEXT with its escapes, marked VALUE=TEXT: ical.js (Thunderbird) leaves the escapes of
    # properties it does not know in place unless told the value is TEXT.
    name = vText(calendar_name(plan))
    name.params["VALUE"] = "TEXT"
    calendar["NAME"] = name
    calendar["X-WR-CALNAME"] = name
    if zoned:
        # The zone's full rules (every change since 1970 and its current rule), so the
        # definition is right for any date, whichever file a shared server sees first.
        calendar.subcomponents.insert(0, vtimezone(plan.timezone, plan.start - timedelta(days=1)))
    return calendar


def _to_ical(calendar: Calendar) -> bytes:
    """``calendar.to_ical()``, the same bytes sooner: icalendar folds each content line
    character by character; a line under 75 octets is never folded, so it is taken as it is
    (most of a calendar's lines; the long ones are still folded by icalendar)."""
    lines = []
    for line in calendar.content_lines():
        if line:
            data = line.encode("utf-8")
            lines.append(data if len(data) < 75 and "\n" not in line else line.to_ical())
    return b"\r\n".join(lines) + b"\r\n"


# -- the events as text ------------------------------------------------------------------------
#
# icalendar builds a component object per event and a content-line object per property, then
# folds each line character by character: most of a calendar's cost on a long course, and
# importing it costs a build about 40 ms. The calendar is written here as the text icalendar
# writes for it (property order, TEXT escapes, value formats, folding), its VTIMEZONE by
# ``vtimezone_lines``. The tests hold this writer to icalendar's bytes on every template and
# test regimen and on generated regimens (``render_ics_with_icalendar`` is the oracle), the
# VTIMEZONE on every zone, and the folding on generated lines; anything it was not written for
# (a previous calendar, a zone name that would need quoting) goes to icalendar.

_SAFE_ZONE = re.compile(r"[A-Za-z0-9/_+\-]+")


def _render_as_text(
    plan: Plan, *, stamp: datetime, floating: bool, alarm: timedelta | None
) -> bytes:
    zone = None if floating else _Zone(plan.timezone)
    if zone is not None and not _SAFE_ZONE.fullmatch(zone.name):
        return _render_with_icalendar(
            plan, stamp=stamp, floating=floating, alarm=alarm, previous=None
        )
    stamp_text = _value_text(stamp)
    trigger = None if alarm is None else _duration_text(-alarm)
    lines: list[str] = []
    for reminder in _reminders(plan, zone):
        lines += _event_lines(reminder, stamp=stamp_text, sequence=plan.revision, trigger=trigger)
    course_uid = hash_uid("course", _course_key(plan))
    name = _escape(calendar_name(plan))
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_escape(PRODID)}",
        # TEXT with its escapes, marked VALUE=TEXT (see _calendar).
        f"NAME;VALUE=TEXT:{name}",
        f"X-WR-CALNAME;VALUE=TEXT:{name}",
        f"UID:{_escape(course_uid)}",
    ]
    if zone is not None and zone.used:
        head += vtimezone_lines(plan.timezone, plan.start - timedelta(days=1))
    return b"".join(
        (data if len(data) < 75 else fold(line)) + b"\r\n"
        for line in (*head, *lines, "END:VCALENDAR")
        for data in (line.encode("utf-8"),)
    )


def _event_lines(
    reminder: _Reminder, *, stamp: str, sequence: int, trigger: str | None
) -> list[str]:
    """One VEVENT's content lines (unfolded), in icalendar's order: SUMMARY, DTSTART,
    DURATION, DTSTAMP, UID, SEQUENCE first, then the others by name, then the alarm."""
    uid, start, minutes, summary = reminder.uid, reminder.start, reminder.minutes, reminder.summary
    description, where, quick = reminder.description, reminder.where, reminder.quick
    title = _escape(summary)
    lines = ["BEGIN:VEVENT"]
    if summary:
        lines.append(f"SUMMARY:{title}")
    lines += [
        f"DTSTART{_start_text(start)}",
        f"DURATION:{_duration_text(timedelta(minutes=minutes))}",
        f"DTSTAMP:{stamp}",
        f"UID:{_escape(uid)}",
        f"SEQUENCE:{sequence}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{_escape(description)}")
    if where:
        lines.append(f"LOCATION:{_escape(where)}")
    lines.append("TRANSP:TRANSPARENT" if quick else "TRANSP:OPAQUE")
    if trigger is not None:
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY"]
        if summary:
            lines.append(f"DESCRIPTION:{title}")
        lines += [f"TRIGGER:{trigger}", "END:VALARM"]
    lines.append("END:VEVENT")
    return lines


def _escape(text: str) -> str:
    """RFC 5545 TEXT escapes, as icalendar writes them (``vText``)."""
    if not any(c in text for c in "\\;,\r\n"):
        return text
    return (
        text.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def fold(line: str) -> bytes:
    """A content line folded as icalendar folds it (RFC 5545 3.1): each piece the longest run
    of whole characters under 75 octets, continued after CRLF and a space, and an escape's
    backslash (or an RFC 6868 caret) carried on with the character it escapes."""
    data = line.encode("utf-8")
    pieces = []
    at = 0
    while len(data) - at > 74:
        end = at + 74
        while data[end] & 0xC0 == 0x80:  # not inside a character: back to where it starts
            end -= 1
        if data[end - 1] in b"\\^" and end - 1 > at:
            end -= 1
        pieces.append(data[at:end])
        at = end
    pieces.append(data[at:])
    return b"\r\n ".join(pieces)


def _start_text(start: datetime | _Zoned) -> str:
    """``;TZID=zone:wall-time``, ``:UTC-timeZ`` or ``:floating-time``."""
    if isinstance(start, _Zoned):
        return f";TZID={start.tzid}:{_value_text(start.wall)}"
    return f":{_value_text(start)}"


def _value_text(moment: datetime) -> str:
    text = f"{moment:%Y%m%dT%H%M%S}"
    if moment.tzinfo is None:
        return text
    if moment.utcoffset() == timedelta(0):
        return text + "Z"
    raise AssertionError("a start is written in its zone with TZID, in UTC, or floating")


@cache
def _duration_text(length: timedelta) -> str:
    """A DURATION as icalendar writes it (``vDuration``): ``PT15M``, ``PT1H30M``, ``P1D``,
    ``-PT15M``, ``P0D``."""
    sign = ""
    if length.days < 0:
        sign, length = "-", -length
    time = ""
    if length.seconds:
        hours, rest = divmod(length.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        time = "T" + (f"{hours}H" if hours else "")
        time += f"{minutes}M" if minutes or (hours and seconds) else ""
        time += f"{seconds}S" if seconds else ""
    if length.days == 0 and time:
        return f"{sign}P{time}"
    return f"{sign}P{length.days}D{time}"


class _Zoned(NamedTuple):
    """A DTSTART written as a wall-clock time in the plan's zone (``;TZID=``)."""

    wall: datetime  # naive
    tzid: str


class _Zone:
    """The plan's zone for DTSTARTs: a local time with TZID where the time is unambiguous."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.info = zone(name)
        self.used = False

    def start(self, starts: datetime) -> datetime | _Zoned:
        moment = starts.astimezone(UTC)
        if is_utc(self.name):
            # UTC itself: a UTC time (Z) is the same wall-clock time, with no VTIMEZONE needed.
            return moment
        wall = moment.astimezone(self.info).replace(tzinfo=None)
        first = wall.replace(tzinfo=self.info, fold=0).astimezone(UTC)
        second = wall.replace(tzinfo=self.info, fold=1).astimezone(UTC)
        if first != second:
            # A time the clocks show twice (or never): clients disagree on which one a TZID
            # time means (ical.js and libical take the second), so the instant is written in UTC.
            return moment
        self.used = True
        return _Zoned(wall, self.name)


# -- one event per dose, check or appointment ----------------------------------------------


class _Reminder(NamedTuple):
    """What one event says, whichever writer writes it."""

    starts: datetime
    uid: str
    start: datetime | _Zoned  # DTSTART as written (see _start)
    minutes: int
    summary: str
    description: str
    where: str | None
    quick: bool  # takes a moment: shown as free time


def _reminders(plan: Plan, zone: _Zone | None) -> list[_Reminder]:
    """Every dose, check and appointment as an event, day by day in time order (so the file
    reads like the day; a dose stays before a check at its time)."""
    uids = _Uids()
    words = words_of(plan)
    reminders: list[_Reminder] = []
    for day in plan.days:
        # Pills and a liquid take a moment and should not mark the patient busy; an infusion,
        # injection or procedure is a visit that does, and so is an appointment.
        todays = [
            _Reminder(
                dose.starts,
                uids.dose(plan, dose),
                _start(dose.starts, zone),
                dose.duration_min or DEFAULT_MINUTES,
                dose_title(dose),
                dose_description(plan, dose, words),
                dose.where,
                dose.route == "oral",
            )
            for dose in day.doses
        ]
        todays += [
            _Reminder(
                item.starts,
                uids.also(plan, item),
                _start(item.starts, zone),
                item.duration_min or DEFAULT_MINUTES,
                event_title(item),
                event_description(plan, item),
                item.where,
                item.kind != "appointment",
            )
            for item in day.events
        ]
        reminders += sorted(todays, key=lambda reminder: reminder.starts)
    return reminders


def _event(
    reminder: _Reminder, *, stamp: datetime, sequence: int, alarm: timedelta | None
) -> VEvent:
    from icalendar import Alarm, vDDDTypes
    from icalendar import Event as VEvent
    from icalendar.enums import TRANSP

    uid, start, minutes, summary = reminder.uid, reminder.start, reminder.minutes, reminder.summary
    description, where, quick = reminder.description, reminder.where, reminder.quick

    event = VEvent.new(
        uid=uid,
        stamp=stamp,
        sequence=sequence,
        summary=summary,
        description=description,
        location=where or None,
        transparency=TRANSP.TRANSPARENT if quick else TRANSP.OPAQUE,
    )
    # Set after the others: VEvent.new would write a TZID from a tzinfo, not ours.
    if isinstance(start, _Zoned):
        value = vDDDTypes(start.wall)
        value.params["TZID"] = start.tzid
        event["DTSTART"] = value
    else:
        event["DTSTART"] = vDDDTypes(start)
    event.duration = timedelta(minutes=minutes)
    if alarm is not None:
        event.add_component(Alarm.new_display(description=summary, trigger=-alarm))
    return event


def _start(starts: datetime, zone: _Zone | None) -> datetime | _Zoned:
    if zone is None:
        # Floating: the wall-clock time the engine chose, which a traveller keeps wherever
        # they are.
        return starts.replace(tzinfo=None)
    # A time the clocks show twice (either of them, an every-"6h" series' second one
    # included) is written in UTC: see _Zone.start.
    return zone.start(starts)


# -- identities ------------------------------------------------------------------------------


def _course_key(plan: Plan) -> tuple[str, ...]:
    return course_key(plan.patient.name, plan.title, plan.start, plan.course)


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
        return self.unique(hash_uid("dose", key))

    def also(self, plan: Plan, item: Event) -> str:
        key = (*_course_key(plan), item.index, item.kind, item.what, item.day, item.time)
        return self.unique(hash_uid("also", key))


# -- the previous calendar ------------------------------------------------------------------

_GIVE = "give the reminders.ics written for the plan this one replaces"
# RFC 5545 3.3.8: SEQUENCE is a 32-bit signed INTEGER.
SEQUENCE_MAX = 2**31 - 1
_WHAT = "the previous calendar file"


class _OldEvent(NamedTuple):
    uid: str
    start: date
    sequence: int
    component: Component


def _shown(value: object, limit: int = 60) -> str:
    """Text from the previous file as an error may show it: printable, short, quoted."""
    text = str(value)
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[:limit])
    return f"'{shown}{'…' if len(text) > limit else ''}'"


# icalendar is not hardened against hostile files: a property given twice, or in the wrong
# component, surfaces as one of these rather than ValueError (found by tests/test_fuzz_previous).
_PARSER_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError)
# The properties of an old event that are compared or copied into the new file.
_USED = ("UID", "DTSTART", "SEQUENCE", "SUMMARY", "DESCRIPTION", "DURATION", "LOCATION", "STATUS")


def _check_old_event(component: Component, number: int, uid: str) -> None:
    """An old event's properties taper uses appear once each (taper writes each once), and its
    text is text a calendar can show (no control or invisible characters)."""
    from taper.read.text import refused

    shown = _shown(uid)
    for name in (*_USED, "TRANSP"):
        if isinstance(component.get(name), list):
            raise OutputError(
                f"{_WHAT}: event {number} ({shown}) has {name} more than once; taper writes "
                f"it once; {_GIVE}"
            )
    for name in ("SUMMARY", "LOCATION"):
        multiline = name == "LOCATION"  # from `where`, which may span lines
        if name in component and refused(str(component[name]), multiline=multiline):
            raise OutputError(
                f"{_WHAT}: event {number} ({shown}) has {name} with characters taper never "
                f"writes (control or invisible); {_GIVE}"
            )


def _parse_previous(data: bytes, course_uid: str) -> list[_OldEvent]:
    what = _WHAT
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if not text or "\0" in text or not text.lstrip("\ufeff").startswith("BEGIN:VCALENDAR"):
        # Binary or other data: nothing of it is shown (it may hold control codes).
        raise OutputError(
            f"{what} is not an iCalendar file (it does not start with "
            f"BEGIN:VCALENDAR as UTF-8 text); {_GIVE}"
        )
    from icalendar import Calendar

    try:
        calendars = Calendar.from_ical(data, multiple=True)
    except _PARSER_ERRORS as err:
        raise OutputError(
            f"{what} is not a readable iCalendar file ({_shown(err, 120)}); {_GIVE}"
        ) from err
    if len(calendars) != 1 or calendars[0].name != "VCALENDAR":
        raise OutputError(f"{what} does not hold exactly one calendar; {_GIVE}")
    calendar = calendars[0]
    prodid = str(calendar.get("PRODID", ""))
    if not prodid.startswith(PRODID_PREFIX):
        # Cancelling every event of someone's own calendar would be far worse than refusing.
        raise OutputError(
            f"{what} was not written by taper (PRODID: {_shown(prodid) if prodid else 'none'}); "
            f"{_GIVE}"
        )
    if str(calendar.get("UID", "")) != course_uid:
        # The calendar's UID is the course's identity (patient, title and start day): another
        # patient's or another course's file would copy its reminders into this one.
        raise OutputError(
            f"{what} was written for another course (another patient, title or first day); "
            "give this patient's reminders.ics for this course. If the name, title or first "
            "day was corrected, the reminders cannot be updated in place: delete the old "
            "course calendar and import the new file"
        )
    events = []
    for number, component in enumerate(calendar.events, 1):
        uid = str(component.get("UID", ""))
        try:
            start = component.DTSTART
            sequence = component.sequence
        except _PARSER_ERRORS as err:  # TypeError: SEQUENCE given twice
            raise OutputError(
                f"{what}: event {number} ({_shown(uid) if uid else 'no UID'}) is broken "
                f"({_shown(err, 120)}); {_GIVE}"
            ) from err
        if not uid or not isinstance(start, date):
            raise OutputError(f"{what}: event {number} has no UID or no start; {_GIVE}")
        _check_old_event(component, number, uid)
        if not 0 <= sequence < SEQUENCE_MAX:
            raise OutputError(
                f"{what}: event {number} has SEQUENCE {sequence}, "
                + ("the largest a calendar accepts" if sequence >= SEQUENCE_MAX else "below 0")
                + ", so no update can replace it; delete the old course calendar and import the "
                "new file instead"
            )
        events.append(_OldEvent(uid, start, sequence, component))
    return events


def _check_updates(plan: Plan, old: list[_OldEvent], events: list[VEvent]) -> None:
    """Refuse a changed event whose SEQUENCE is not above the old one: calendars would keep
    the old version (a changed dose left at its old amount)."""
    from icalendar import Event as VEvent

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
    from icalendar import Event as VEvent
    from icalendar import vDDDTypes
    from icalendar.enums import STATUS

    cancelled = []
    written: set[str] = set()
    for before in old:
        if before.uid in current or before.uid in written:
            continue
        written.add(before.uid)
        event = VEvent.new(uid=before.uid, stamp=stamp)
        # The old instant in UTC (or the old floating time as it was): no zone of the old file
        # comes into this one, where it would change how a reader takes the new floating times.
        event["DTSTART"] = vDDDTypes(_instant(before.start))
        for name in ("DURATION", "LOCATION", "TRANSP"):
            if name in before.component:
                event[name] = before.component[name]
        event.summary = cancelled_title(str(before.component.get("SUMMARY", "")))
        event.description = cancelled_note()
        event.sequence = max(before.sequence + 1, plan.revision)
        # Without its alarm: a cancelled reminder must not ring.
        event.status = STATUS.CANCELLED
        cancelled.append(event)
    return cancelled


def _instant(moment: date) -> date:
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return moment
