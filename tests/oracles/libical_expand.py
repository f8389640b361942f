"""Reads an .ics file with libical 3 (Evolution's library) and prints what it understood as JSON.

Run with the system Python, which has python3-gi and the libical GObject bindings
(gir1.2-ical-3.0):  /usr/bin/python3 libical_expand.py FILE [LIMIT]

Prints the calendar's METHOD, the problems libical's restriction check (RFC 5545 and RFC 5546
iTIP rules) reports, and every event's occurrences (RRULEs expanded), each with its wall-clock
time, its zone and its instant in UTC. TZIDs resolve against the file's own VTIMEZONEs.
"""

import json
import sys
from datetime import UTC, datetime

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as ICal  # noqa: E402


def occurrence(time, utc_zone):
    zone = time.get_timezone()
    if time.is_utc():
        name = "UTC"
    elif zone is None:
        name = "floating"
    else:
        name = zone.get_tzid()
    wall = time.as_ical_string().replace("Z", "")
    if name == "floating":
        return {"wall": wall, "zone": name, "utc": None}
    seconds = time.as_timet_with_zone(zone if zone is not None else utc_zone)
    instant = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"wall": wall, "zone": name, "utc": instant}


def main():
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    with open(path, encoding="utf-8") as handle:
        calendar = ICal.Component.new_from_string(handle.read())
    if calendar is None:
        print(json.dumps({"error": "libical could not parse the file"}))
        return 1
    utc_zone = ICal.Timezone.get_utc_timezone()
    events = []
    event = calendar.get_first_component(ICal.ComponentKind.VEVENT_COMPONENT)
    while event is not None:
        start = event.get_dtstart()
        times = []
        rule = event.get_first_property(ICal.PropertyKind.RRULE_PROPERTY)
        if rule is not None:
            iterator = ICal.RecurIterator.new(rule.get_rrule(), start)
            while len(times) < limit:
                next_time = iterator.next()
                if next_time is None or next_time.is_null_time():
                    break
                next_time.set_timezone(start.get_timezone())
                times.append(next_time)
        else:
            times.append(start)
        status = event.get_first_property(ICal.PropertyKind.STATUS_PROPERTY)
        events.append(
            {
                "uid": event.get_uid(),
                "summary": event.get_summary(),
                "status": status.get_value_as_string() if status is not None else None,
                "occurrences": [occurrence(time, utc_zone) for time in times],
            }
        )
        event = calendar.get_next_component(ICal.ComponentKind.VEVENT_COMPONENT)
    method = calendar.get_first_property(ICal.PropertyKind.METHOD_PROPERTY)
    # The restriction check writes X-LIC-ERROR properties into the components it faults.
    calendar.check_restrictions()
    problems = []
    for component in [calendar, *iter_components(calendar)]:
        prop = component.get_first_property(ICal.PropertyKind.XLICERROR_PROPERTY)
        while prop is not None:
            problems.append(prop.get_value_as_string())
            prop = component.get_next_property(ICal.PropertyKind.XLICERROR_PROPERTY)
    print(
        json.dumps(
            {
                "method": method.get_value_as_string() if method is not None else None,
                "problems": problems,
                "events": events,
            }
        )
    )
    return 0


def iter_components(parent):
    child = parent.get_first_component(ICal.ComponentKind.ANY_COMPONENT)
    while child is not None:
        yield child
        yield from iter_components(child)
        child = parent.get_next_component(ICal.ComponentKind.ANY_COMPONENT)


if __name__ == "__main__":
    sys.exit(main())
