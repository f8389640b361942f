"""VTIMEZONE components built from the zone's own transitions in the installed tzdata package.

A calendar client or server that reads the file resolves every ``DTSTART;TZID=`` with the file's
VTIMEZONE, and a shared server keeps the first definition it sees for a TZID, so the definition
must be right for any date a taper file may use, not only for this course (RFC 5545 3.6.5):

- every transition of the zone from :data:`HISTORY_FROM` (or the earliest event, if earlier) up
  to the year its current rule takes over, as onsets listed with RDATE, read from the zone's TZif
  file (RFC 8536) in the ``tzdata`` package, the same data :func:`taper.read.zones.zone` uses;
- from that year on, the rule in the TZif footer (a POSIX TZ string) as yearly RRULEs, so the
  definition holds for every later year; a zone without a rule keeps its last offset.

Onsets are local times in the offset in force before them (TZOFFSETFROM), so New York's spring
change is DTSTART 02:00 with TZOFFSETFROM -0500.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from taper.read.zones import TZDATA
from taper.read.zones import zone as _zone

if TYPE_CHECKING:
    from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

#: The first year every VTIMEZONE describes. 1970 is where the tz database vouches for every
#: zone (zones identical since then share one entry, with earlier history only in its
#: ``backzone``), and a course is never planned before it: earlier clock history would make every
#: file longer and be no more trustworthy.
HISTORY_FROM = 1970

#: Zone names that are UTC itself, written as UTC times (``Z``) rather than with a TZID.
UTC_NAMES = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu"}
)

# The last year a rule that RRULE cannot express is written out onset by onset. The tz database
# itself predicts no further than 2087 for the zones whose rules it lists one by one.
_FALLBACK_UNTIL = 2200

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February never used
_WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # POSIX day numbers: 0 is Sunday


class ZoneDataError(ValueError):
    """The zone's TZif data cannot be read (a damaged tzdata installation)."""


# -- the TZif file ---------------------------------------------------------------------------


class _Type(NamedTuple):
    offset: int  # seconds east of UTC
    isdst: bool
    abbr: str


class _TZif(NamedTuple):
    times: tuple[int, ...]  # UTC seconds of each transition
    kinds: tuple[_Type, ...]  # the type in force from each transition on
    first: _Type  # the type in force before the first transition
    footer: str


def read_tzif(name: str) -> _TZif:
    """The zone's TZif data from the tzdata package (the zone is validated by taper.read.zones)."""
    _zone(name)
    files = TZDATA / "zoneinfo"
    if files.is_dir():  # the file zoneinfo itself reads (taper.read.zones)
        data = files.joinpath(*name.split("/")).read_bytes()
    else:  # pragma: no cover - tzdata installed as a zip
        from importlib import resources

        data = resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).read_bytes()
    return parse_tzif(data)


def parse_tzif(data: bytes) -> _TZif:
    """Parse RFC 8536 TZif data, version 2 or later (the 64-bit block and the footer)."""
    header = struct.Struct(">4sc15x6l")
    if len(data) < header.size or data[:4] != b"TZif":
        raise ZoneDataError("not TZif data")
    _, version, *counts = header.unpack_from(data, 0)
    if version < b"2":
        raise ZoneDataError("TZif version 1 has no 64-bit data")
    # Skip the version 1 block (32-bit times) to the second header.
    isut, isstd, leap, timecnt, typecnt, charcnt = counts
    offset = header.size + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut
    _, _, *counts = header.unpack_from(data, offset)
    isut, isstd, leap, timecnt, typecnt, charcnt = counts
    offset += header.size
    times = struct.unpack_from(f">{timecnt}q", data, offset)
    offset += timecnt * 8
    indices = data[offset : offset + timecnt]
    offset += timecnt
    raw_types = [struct.unpack_from(">lBB", data, offset + 6 * n) for n in range(typecnt)]
    offset += typecnt * 6
    chars = data[offset : offset + charcnt]
    offset += charcnt + leap * 12 + isstd + isut
    if data[offset : offset + 1] != b"\n" or not data.endswith(b"\n"):
        raise ZoneDataError("TZif footer missing")
    footer = data[offset + 1 : -1].decode("ascii")

    def abbr(index: int) -> str:
        end = chars.index(b"\0", index)
        return chars[index:end].decode("ascii")

    types = [_Type(utoff, bool(dst), abbr(index)) for utoff, dst, index in raw_types]
    return _TZif(
        times=tuple(times),
        kinds=tuple(types[index] for index in indices),
        first=types[0],
        footer=footer,
    )


# -- the footer's POSIX TZ rule ----------------------------------------------------------------


class _When(NamedTuple):
    """A rule's date in a year: ``Mm.w.d`` (kind "M"), ``Jn`` ("J") or ``n`` ("n"); local
    time in seconds, which may be negative or past midnight (RFC 8536 3.3.1)."""

    kind: str
    month: int
    week: int
    day: int
    seconds: int

    def local(self, year: int) -> datetime:
        if self.kind == "M":
            first = date(year, self.month, 1)
            day = first + timedelta(days=(self.day - first.isoweekday() % 7) % 7)
            day += timedelta(weeks=self.week - 1)
            while self.week == 5 and (day + timedelta(weeks=1)).month == self.month:
                day += timedelta(weeks=1)
            if day.month != self.month:
                day -= timedelta(weeks=1)
        elif self.kind == "J":  # 1-365, February 29 never counted
            day = date(year, 1, 1) + timedelta(days=self.day - 1)
            if _leap(year) and self.day >= 60:
                day += timedelta(days=1)
        else:  # 0-365, February 29 counted
            day = date(year, 1, 1) + timedelta(days=self.day)
        return datetime(day.year, day.month, day.day) + timedelta(seconds=self.seconds)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class _Rule(NamedTuple):
    std: _Type
    dst: _Type | None
    start: _When | None  # into dst, local time in the standard offset
    end: _When | None  # back to standard, local time in the dst offset

    def transitions(self, year: int) -> list[tuple[int, _Type, _Type]]:
        """(UTC seconds, type before, type after) of the rule's changes in ``year``."""
        if self.dst is None or self.start is None or self.end is None:
            return []
        into = _epoch(self.start.local(year)) - self.std.offset
        back = _epoch(self.end.local(year)) - self.dst.offset
        return sorted([(into, self.std, self.dst), (back, self.dst, self.std)])


_NAME = r"(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)"
_OFFSET = r"[+-]?\d{1,3}(?::\d{1,2}){0,2}"
_WHEN = r"(?:M\d{1,2}\.\d\.\d|J\d{1,3}|\d{1,3})(?:/" + _OFFSET + ")?"
_TZ = re.compile(
    rf"(?P<std>{_NAME})(?P<stdoff>{_OFFSET})"
    rf"(?:(?P<dst>{_NAME})(?P<dstoff>{_OFFSET})?,(?P<start>{_WHEN}),(?P<end>{_WHEN}))?"
)


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(part) for part in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def _when(text: str) -> _When:
    spec, _, time = text.partition("/")
    seconds = _seconds(time) if time else 7200
    if spec.startswith("M"):
        month, week, day = (int(part) for part in spec[1:].split("."))
        return _When("M", month, week, day, seconds)
    if spec.startswith("J"):
        return _When("J", 0, 0, int(spec[1:]), seconds)
    return _When("n", 0, 0, int(spec), seconds)


def parse_rule(footer: str) -> _Rule | None:
    """The footer's rule (``None`` if the footer is empty)."""
    if not footer:
        return None
    match = _TZ.fullmatch(footer)
    if match is None:
        raise ZoneDataError(f"unsupported TZ string {footer!r}")
    std = _Type(-_seconds(match["stdoff"]), False, match["std"].strip("<>"))
    if match["dst"] is None:
        return _Rule(std, None, None, None)
    offset = -_seconds(match["dstoff"]) if match["dstoff"] else std.offset + 3600
    dst = _Type(offset, True, match["dst"].strip("<>"))
    start, end = _when(match["start"]), _when(match["end"])
    if (start.kind, start.day, start.seconds) == ("n", 0, 0) and (end.kind, end.day) == ("J", 365):
        # zic's way of writing daylight saving all year: no change ever happens.
        return _Rule(dst, None, None, None)
    return _Rule(std, dst, start, end)


# -- the transitions ----------------------------------------------------------------------------


class _Change(NamedTuple):
    at: int  # UTC seconds
    before: _Type
    after: _Type

    @property
    def onset(self) -> datetime:
        """Local time of the change in the offset before it (RFC 5545 3.6.5)."""
        return _local(self.at, self.before.offset)


def _epoch(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def _local(at: int, offset: int) -> datetime:
    return datetime(1970, 1, 1) + timedelta(seconds=at + offset)


def _year_start(year: int) -> int:
    return _epoch(datetime(year, 1, 1))


def _explicit(tzif: _TZif) -> list[_Change]:
    changes, before = [], tzif.first
    for at, after in zip(tzif.times, tzif.kinds, strict=True):
        if after != before:
            changes.append(_Change(at, before, after))
        before = after
    return changes


def _rule_changes(rule: _Rule, first_year: int, last_year: int) -> list[_Change]:
    return [
        _Change(at, before, after)
        for year in range(first_year, last_year + 1)
        for at, before, after in rule.transitions(year)
    ]


def _rule_from(explicit: list[_Change], rule: _Rule | None, last_time: int | None) -> int | None:
    """The instant (UTC seconds) from which the footer's rule alone gives every change: the
    earliest listed change from which on the list is what the rule predicts (None: no rule).

    RFC 8536 has the rule govern after the last listed change; zic's slim output lists no
    change the rule predicts, so a rule adopted mid-year (Goose Bay, November 2011) takes over
    there, and older data lists years the rule also gives.
    """
    if rule is None or rule.dst is None:
        return None
    if not explicit or last_time is None:
        return _year_start(HISTORY_FROM)
    last = explicit[-1]
    # The last transition in the data may change nothing but a flag (Goose Bay, 2011-11-01):
    # the rule takes over after it all the same.
    bound = max(last_time, last.at) + 1
    if _rule_state(rule, bound) != last.after:
        raise ZoneDataError("the TZ rule does not continue the listed changes")
    for index in range(len(explicit) - 1, -1, -1):
        change = explicit[index]
        first_year = _local(change.at, 0).year - 1
        predicted = [
            c
            for c in _rule_changes(rule, first_year, _local(bound, 0).year + 1)
            if change.at <= c.at < bound
        ]
        if predicted != explicit[index:] or _rule_state(rule, change.at - 1) != change.before:
            break
        bound = change.at
    return bound


def _rule_state(rule: _Rule, at: int) -> _Type:
    """The type the rule has in force at ``at`` (UTC seconds)."""
    year = _local(at, 0).year
    changes = [c for c in _rule_changes(rule, year - 1, year + 1) if c.at <= at]
    return changes[-1].after


def _in_force(explicit: list[_Change], at: int, first: _Type | None = None) -> _Type | None:
    current = explicit[0].before if explicit else first
    for change in explicit:
        if change.at > at:
            break
        current = change.after
    return current


# -- the component ------------------------------------------------------------------------------


class _Yearly(NamedTuple):
    """A yearly RRULE: ``BYDAY`` (``2SU``, or a weekday with ``days``), ``BYMONTH``, and the
    days of the month it may fall on (``BYMONTHDAY``), if any."""

    month: int
    byday: str
    days: tuple[int, ...] = ()

    def text(self) -> str:
        """The RRULE's value as icalendar writes a ``vRecur`` (its parts in RFC order)."""
        days = f";BYMONTHDAY={','.join(str(day) for day in self.days)}" if self.days else ""
        return f"FREQ=YEARLY;BYDAY={self.byday}{days};BYMONTH={self.month}"


class _Observance(NamedTuple):
    """One STANDARD or DAYLIGHT observance: its onsets (the first is DTSTART) or rule."""

    kind: str  # "STANDARD" or "DAYLIGHT"
    before: int  # TZOFFSETFROM, seconds east of UTC
    after: int  # TZOFFSETTO
    abbr: str  # TZNAME ("" for none)
    onsets: list[datetime]
    rrule: _Yearly | None


def observances(name: str, earliest: date | None = None) -> list[_Observance]:
    """The observances of ``name``'s VTIMEZONE, in the order it lists them: every change from
    HISTORY_FROM (or ``earliest``'s year, if earlier) and the current rule for all later
    years."""
    since = min(HISTORY_FROM, earliest.year) if earliest is not None else HISTORY_FROM
    tzif = read_tzif(name)
    rule = parse_rule(tzif.footer)
    explicit = _explicit(tzif)
    rule_from = _rule_from(explicit, rule, tzif.times[-1] if tzif.times else None)
    begin = _year_start(since)
    end = max(rule_from, begin) if rule_from is not None else None
    history = [c for c in explicit if c.at >= begin and (end is None or c.at < end)]

    in_force = _in_force(explicit, begin - 1, tzif.first)
    if in_force is None:  # pragma: no cover - every TZif has a first type
        raise ZoneDataError(f"{name}: no local time type")
    # The state at the start of the range, so that readers have an offset before any change.
    anchor_at = _local(begin, 0)
    anchor = _Change(begin - in_force.offset, in_force, in_force)
    groups: dict[tuple[str, int, int, str], list[datetime]] = {
        (_kind(anchor), in_force.offset, in_force.offset, in_force.abbr): [anchor_at]
    }
    for change in history:
        key = (_kind(change), change.before.offset, change.after.offset, change.after.abbr)
        groups.setdefault(key, []).append(change.onset)
    listed: list[_Observance] = []
    if rule is not None and rule.dst is not None and end is not None:
        _add_rule(groups, listed, rule, end)
    for (kind, before, after, abbr), onsets in groups.items():
        listed.append(_Observance(kind, before, after, abbr, onsets, None))
    # Readers list observances in any order; a fixed one keeps the bytes deterministic.
    listed.sort(key=lambda observance: observance.onsets[0])
    return listed


def vtimezone(name: str, earliest: date | None = None) -> Timezone:
    """The VTIMEZONE for ``name`` as icalendar's component (see ``observances``)."""
    from icalendar import Timezone

    component = Timezone()
    component.add("TZID", name)
    for observance in observances(name, earliest):
        component.add_component(_component(observance))
    return component


def vtimezone_lines(name: str, earliest: date | None = None) -> list[str]:
    """The VTIMEZONE for ``name`` as its content lines, unfolded: the text icalendar writes
    for ``vtimezone(name, earliest)`` (properties in its order: DTSTART, then by name), made
    without it (tests/test_vtimezone.py holds the two to the same bytes for every zone)."""
    since = min(HISTORY_FROM, earliest.year) if earliest is not None else HISTORY_FROM
    return list(_vtimezone_lines(name, since))


@lru_cache(maxsize=64)
def _vtimezone_lines(name: str, since: int) -> tuple[str, ...]:
    # Once per zone and first year in a process: a print run's or the server's packets mostly
    # share a zone, and the lines depend on nothing else.
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    for observance in observances(name, date(since, 1, 1)):
        lines += [f"BEGIN:{observance.kind}", f"DTSTART:{observance.onsets[0]:%Y%m%dT%H%M%S}"]
        if observance.rrule is not None:
            lines.append(f"RRULE:{observance.rrule.text()}")
        elif len(observance.onsets) > 1:
            lines += [f"RDATE:{onset:%Y%m%dT%H%M%S}" for onset in observance.onsets]
        if observance.abbr:
            # As it stands: a TZif abbreviation is letters, digits, "+" and "-" (RFC 8536
            # 3.2), nothing TEXT escapes.
            lines.append(f"TZNAME:{observance.abbr}")
        lines += [
            f"TZOFFSETFROM:{utc_offset(observance.before)}",
            f"TZOFFSETTO:{utc_offset(observance.after)}",
            f"END:{observance.kind}",
        ]
    lines.append("END:VTIMEZONE")
    return tuple(lines)


def utc_offset(seconds: int) -> str:
    """A UTC offset as icalendar writes it (``vUTCOffset``): ``+0530``, ``-0500``, ``+0000``,
    with seconds only when there are some (``-001915``)."""
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, rest = divmod(rest, 60)
    return f"{sign}{hours:02}{minutes:02}{rest:02}" if rest else f"{sign}{hours:02}{minutes:02}"


def _kind(change: _Change) -> str:
    # Daylight is a move forward into a daylight-saving type; Ireland's and Morocco's negative
    # daylight saving (a winter or Ramadan type flagged DST) reads as standard time.
    daylight = change.after.isdst and change.after.offset >= change.before.offset
    return "DAYLIGHT" if daylight else "STANDARD"


def _component(observance: _Observance) -> TimezoneStandard | TimezoneDaylight:
    from icalendar import TimezoneDaylight, TimezoneStandard, vRecur

    kind, before, after, abbr, onsets, rrule = observance
    sub = TimezoneDaylight() if kind == "DAYLIGHT" else TimezoneStandard()
    sub.add("DTSTART", onsets[0])
    sub.add("TZOFFSETFROM", timedelta(seconds=before))
    sub.add("TZOFFSETTO", timedelta(seconds=after))
    if abbr:
        sub.add("TZNAME", abbr)
    if rrule is not None:
        parts: dict[str, Any] = {"freq": "YEARLY", "bymonth": rrule.month, "byday": rrule.byday}
        if rrule.days:
            parts["bymonthday"] = list(rrule.days)
        sub.add("RRULE", vRecur(**parts))
    elif len(onsets) > 1:
        # One RDATE per onset, DTSTART's included: ical.js reads only the first value of an
        # RDATE list, and ignores DTSTART when an RDATE is present.
        for onset in onsets:
            sub.add("RDATE", onset)
    return sub


def _add_rule(
    groups: dict[tuple[str, int, int, str], list[datetime]],
    listed: list[_Observance],
    rule: _Rule,
    since: int,
) -> None:
    """The rule's two changes as observances from ``since`` (UTC seconds) on."""
    assert rule.dst is not None and rule.start is not None and rule.end is not None
    parts = (
        (rule.start, rule.std, rule.dst),
        (rule.end, rule.dst, rule.std),
    )
    for when, before, after in parts:
        kind = "DAYLIGHT" if after.offset > before.offset else "STANDARD"
        rrules = _rrules(when)
        if rrules is None:
            # Not expressible as a yearly RRULE: every onset up to a far year, listed.
            onsets = [
                _local(c.at, c.before.offset)
                for c in _rule_changes(rule, _local(since, 0).year - 1, _FALLBACK_UNTIL)
                if c.after == after and c.at >= since
            ]
            groups.setdefault((kind, before.offset, after.offset, after.abbr), []).extend(onsets)
            continue
        for month, weekday, rrule in rrules:
            first = _first_match(when, before, month, weekday, since)
            listed.append(
                _Observance(kind, before.offset, after.offset, after.abbr, [first], rrule)
            )


def _rrules(when: _When) -> list[tuple[int, int, _Yearly]] | None:
    """Yearly RRULEs giving ``when``'s date (its time of day is the DTSTART's).

    ``Mm.w.d`` at a time before midnight or past it lands on another weekday, maybe in the
    month before or after: its seven possible dates are split by month, and exactly one of
    them has the weekday in any year, so one RRULE fires each year.
    """
    if when.kind != "M":
        return None
    shift = when.seconds // 86400
    weekday = (when.day + shift) % 7
    if shift == 0:
        ordinal = -1 if when.week == 5 else when.week
        return [(when.month, weekday, _Yearly(when.month, f"{ordinal}{_WEEKDAYS[weekday]}"))]
    if when.week == 5:
        if when.month == 2:
            return None  # the last week of February moves with leap years
        length = _MONTH_DAYS[when.month - 1]
        days = range(length - 6 + shift, length + 1 + shift)
        # Days of the month as positive numbers: ical.js finds no day from a negative
        # BYMONTHDAY combined with BYDAY.
        inside = [day for day in days if 1 <= day <= length]
        after = [day - length for day in days if day > length]
        rules = [(when.month, inside)]
        if after:
            rules.append((when.month % 12 + 1, after))
    else:
        days = range(7 * when.week - 6 + shift, 7 * when.week + 1 + shift)
        if max(days) > 28 or (min(days) < 1 and when.month == 3):
            return None  # past the shortest month's end, or back into February
        inside = [day for day in days if day >= 1]
        before = [day + _MONTH_DAYS[when.month - 2] for day in days if day < 1]
        rules = [(when.month, inside)]
        if before:
            rules.insert(0, ((when.month - 2) % 12 + 1, before))
    if any(month != when.month for month, _ in rules) and when.month in (1, 12):
        return None  # the other month is in another year: keep it simple and list the onsets
    return [
        (month, weekday, _Yearly(month, _WEEKDAYS[weekday], tuple(days)))
        for month, days in rules
        if days
    ]


def _first_match(when: _When, before: _Type, month: int, weekday: int, since: int) -> datetime:
    """The first onset at or after ``since`` that falls in ``month`` (so on that RRULE)."""
    time = timedelta(seconds=when.seconds % 86400)
    year = _local(since, 0).year - 1
    for candidate in range(year, year + 30):
        onset = when.local(candidate)
        at = _epoch(onset) - before.offset
        if at >= since and onset.month == month and onset.isoweekday() % 7 == weekday:
            return datetime(onset.year, onset.month, onset.day) + time
    raise ZoneDataError("rule never matches")  # pragma: no cover - one of the rules always does


def is_utc(name: str) -> bool:
    return name in UTC_NAMES


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
