"""`taper ics`: reminders as iCalendar, checked against parsers and a server nobody here wrote.

The golden file tests/golden/ics-course.ics is the output for tests/regimens/ics-course.toml
with SOURCE_DATE_EPOCH fixed by conftest. After an intended change to the output, regenerate it
with ``UPDATE_GOLDEN=1 pytest tests/test_ics.py -k golden`` and review the diff before committing.
"""

from __future__ import annotations

import base64
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import vobject
from click.testing import CliRunner, Result
from dateutil import tz as dateutil_tz
from ical.calendar_stream import IcsCalendarStream

import taper.voice.reminders
from taper.api import load as load_plan
from taper.cli import main
from taper.export.ics import render_ics
from taper.records.plan import Plan
from taper.voice.doses import dose_instructions, dose_summary
from taper.voice.words import words_of

REGIMENS = Path(__file__).parent / "regimens"
GOLDEN = Path(__file__).parent / "golden"
TODAY = date(2026, 11, 22)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)  # the SOURCE_DATE_EPOCH conftest sets
# The identity taper writes into the calendar of tests/regimens/ics-course.toml.
COURSE_UID = b"course-e09325f92fb60129494fac522e8bd7ad@taper"
ALL = ["ics-course.toml", "ics-hostile-text.toml", "ics-dst-gap.toml", "pulse-then-taper.toml"]


def plan_of(name: str) -> Plan:
    return load_plan(REGIMENS / name, today=TODAY)


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def vevents(data: bytes) -> list[icalendar.Event]:
    return list(parse(data).events)


def calendar_names(calendar: icalendar.Calendar) -> tuple[str, str]:
    """NAME and X-WR-CALNAME as TEXT (icalendar 7.3 reads both without unescaping them)."""
    return (unescape_text(str(calendar["NAME"])), unescape_text(str(calendar["X-WR-CALNAME"])))


def unescape_text(raw: str) -> str:
    """RFC 5545 3.3.11 TEXT unescaping."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], raw)


def stdout_text(result: Result) -> str:
    """Standard output with its CRLF line ends (Result.stdout turns them into LF)."""
    return result.stdout_bytes.decode("utf-8")


@dataclass(frozen=True)
class Expected:
    uid_kind: str
    starts_utc: datetime
    wall: str  # YYYYmmddTHHMM in the plan's zone
    summary: str
    minutes: int
    where: str | None


def expected(plan: Plan) -> list[Expected]:
    """Every dose and [[also]] event, day by day in time order (a dose first at a tie)."""
    rows = []
    for day in plan.days:
        todays = []
        for dose in day.doses:
            todays.append(
                Expected(
                    "dose",
                    dose.starts.astimezone(UTC),
                    f"{dose.date:%Y%m%d}T{dose.time.replace(':', '')}",
                    dose_summary(dose),
                    dose.duration_min or 15,
                    dose.where,
                )
            )
        for item in day.events:
            todays.append(
                Expected(
                    "also",
                    item.starts.astimezone(UTC),
                    f"{item.date:%Y%m%d}T{item.time.replace(':', '')}",
                    item.what,
                    item.duration_min or 15,
                    item.where,
                )
            )
        rows.extend(sorted(todays, key=lambda row: row.starts_utc))
    return rows


def actual(data: bytes) -> list[Expected]:
    rows = []
    for event in vevents(data):
        start = event.DTSTART
        rows.append(
            Expected(
                str(event["UID"]).split("-")[0],
                start.astimezone(UTC),
                f"{start:%Y%m%dT%H%M}",
                str(event["SUMMARY"]),
                int(event.duration.total_seconds() // 60),
                str(event["LOCATION"]) if "LOCATION" in event else None,
            )
        )
    return rows


def run_ics(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(main, ["ics", *args])
    return result.exit_code, result.output


# -- the file against the plan ---------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_every_event_matches_the_plan(name: str) -> None:
    plan = plan_of(name)
    data = render_ics(plan, stamp=STAMP)
    assert actual(data) == expected(plan)
    assert len(expected(plan)) == len(plan.doses) + len(plan.events)
    calendar = parse(data)
    uids = [str(event["UID"]) for event in calendar.events]
    assert len(set(uids)) == len(uids)
    # No METHOD: a calendar to import or upload, not an iTIP message (README, "Reminders").
    assert "METHOD" not in calendar
    assert str(calendar["PRODID"]).startswith("-//taper//taper reminders ")
    for event in calendar.events:
        assert event["DTSTART"].params["TZID"] == plan.timezone
        assert event["SEQUENCE"] == plan.revision
        assert event.DTSTAMP == STAMP
        (alarm,) = event.subcomponents
        assert (alarm["ACTION"], alarm["TRIGGER"].dt) == ("DISPLAY", timedelta(0))
        assert alarm["DESCRIPTION"] == event["SUMMARY"]
    assert [tz.tz_name for tz in calendar.timezones] == [plan.timezone]


def test_calendar_name_summaries_durations_and_descriptions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The watch list's lines are tested below; here the description without them.
    monkeypatch.setattr(taper.voice.reminders, "reminder_line", lambda plan, dose: None)
    plan = plan_of("ics-course.toml")
    data = render_ics(plan, stamp=STAMP)
    calendar = parse(data)
    name = "MS relapse: IV pulse, plasma exchange, prednisone taper (Jane Doe)"
    assert calendar_names(calendar) == (name, name)
    by_start = {f"{e.DTSTART:%Y-%m-%d %H:%M}": e for e in calendar.events}
    pulse = by_start["2026-12-01 09:00"]
    assert pulse["SUMMARY"] == "Methylprednisolone 1 g IV infusion"
    assert pulse.duration == timedelta(hours=1)
    assert pulse["LOCATION"] == "Infusion center, 3rd floor"
    assert pulse["DESCRIPTION"] == (
        "Methylprednisolone 1 g infusion over 1 h at Infusion center, 3rd floor.\n"
        "Day 1 of 12 · Pulse\n"
        "Questions: call MS Center at 212-555-0100\n"
        "After hours: 212-555-0199"
    )
    assert pulse["TRANSP"] == "OPAQUE"
    exchange = by_start["2026-12-04 13:00"]
    assert exchange["SUMMARY"] == "Plasma exchange session 2 of 3"
    assert exchange.duration == timedelta(hours=2, minutes=30)
    assert exchange["DESCRIPTION"].splitlines()[1] == "Day 4 of 12 · Exchange"
    tablets = by_start["2026-12-09 08:00"]
    assert tablets["SUMMARY"] == "Prednisone 40 mg: 2 × 20 mg tablets"
    assert tablets["DESCRIPTION"].splitlines()[:2] == [
        "Take 2 × 20 mg tablets (40 mg) by mouth, with food.",
        "Day 9 of 12 · Taper",
    ]
    assert tablets.duration == timedelta(minutes=15)
    assert tablets["TRANSP"] == "TRANSPARENT"
    visit = by_start["2026-12-09 10:30"]
    assert (visit["SUMMARY"], visit.duration, visit["LOCATION"], visit["TRANSP"]) == (
        "Neurology follow-up",
        timedelta(minutes=45),
        "MS Center, room 12",
        "OPAQUE",
    )
    assert visit["DESCRIPTION"].splitlines()[0] == "Day 9 of 12 · Taper"
    check = by_start["2026-12-02 18:00"]
    assert check["DESCRIPTION"].splitlines()[0] == "Day 2 of 12 · Pulse, Exchange"
    assert check.duration == timedelta(minutes=15)


def test_vtimezone_holds_the_zones_full_rules() -> None:
    """Not a window around the course: history from 1970 and the current rule (RRULE)."""
    data = render_ics(plan_of("ics-course.toml"), stamp=STAMP).decode("utf-8")
    assert data.count("BEGIN:VTIMEZONE") == 1
    assert "COMMENT" not in data
    (zone,) = parse(data.encode()).timezones
    observances = zone.subcomponents
    first = observances[0].DTSTART
    assert first == datetime(1970, 1, 1)
    rules = [(o.name, o.DTSTART, o["RRULE"].to_ical()) for o in observances if "RRULE" in o]
    assert rules == [
        ("DAYLIGHT", datetime(2007, 3, 11, 2), b"FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"),
        ("STANDARD", datetime(2007, 11, 4, 2), b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"),
    ]


def test_watch_reminder_line_is_appended(monkeypatch: pytest.MonkeyPatch) -> None:
    def reminder_line(plan: Plan, dose: object) -> str | None:
        return f"Watch: {plan.patient.name}" if getattr(dose, "drug", "") == "prednisone" else None

    monkeypatch.setattr(taper.voice.reminders, "reminder_line", reminder_line)
    events = vevents(render_ics(plan_of("ics-course.toml"), stamp=STAMP))
    lines = {str(e["SUMMARY"]): str(e["DESCRIPTION"]).splitlines() for e in events}
    assert lines["Prednisone 40 mg: 2 × 20 mg tablets"][2] == "Watch: Jane Doe"
    assert "Watch: Jane Doe" not in lines["Methylprednisolone 1 g IV infusion"]


def test_the_watch_list_line_is_in_the_description() -> None:
    from taper.voice import watch

    plan = plan_of("ics-course.toml")
    events = vevents(render_ics(plan, stamp=STAMP))
    lines = [line for dose in plan.doses if (line := watch.reminder_line(plan, dose))]
    assert lines, "the watch list has a reminder line for this diabetic patient's course"
    by_start = {e.DTSTART.astimezone(UTC): str(e["DESCRIPTION"]).splitlines() for e in events}
    for dose in plan.doses:
        line = watch.reminder_line(plan, dose)
        described = by_start[dose.starts.astimezone(UTC)]
        assert described[:2] == [
            dose_instructions(dose, words_of(plan)),
            f"Day {dose.day} of 12 · {dose.phase}",
        ]
        # The watch list keeps its no-break spaces for the handouts; a calendar gets plain ones.
        assert described[2:-2] == ([line.replace("\u00a0", " ")] if line else [])


def test_plain_spaces_in_the_calendar() -> None:
    """The watch sentence's "6:00 PM" has a no-break space for the handout's line breaking; the
    .ics, plain text for a calendar app, has an ordinary one (and no no-break space at all)."""
    from taper.voice import watch

    plan = plan_of("ics-course.toml")
    lines = [line for dose in plan.doses if (line := watch.reminder_line(plan, dose))]
    assert any("6:00\u00a0PM" in line for line in lines)
    data = render_ics(plan, stamp=STAMP)
    assert "\u00a0".encode() not in data
    descriptions = [str(e["DESCRIPTION"]) for e in vevents(data)]
    assert any("(about 12:30 PM) and supper (about 6:00 PM)" in text for text in descriptions)


# -- independent parsers -----------------------------------------------------------------------


OPTIONS: list[dict[str, object]] = [
    {},
    {"floating": True},
    {"alarm": None},
    {"alarm": timedelta(minutes=15)},
]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("options", OPTIONS, ids=["zoned", "floating", "no-alarm", "alarm-15m"])
def test_strict_ical_package_reads_every_event(name: str, options: dict[str, object]) -> None:
    plan = plan_of(name)
    data = render_ics(plan, stamp=STAMP, **options)  # type: ignore[arg-type]
    calendar = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    rows = expected(plan)
    assert len(calendar.events) == len(rows)
    for event, row in zip(calendar.events, rows, strict=True):
        assert event.summary == row.summary
        assert event.end - event.dtstart == timedelta(minutes=row.minutes)
        if options.get("floating"):
            assert event.dtstart.tzinfo is None
            assert f"{event.dtstart:%Y%m%dT%H%M}" == row.wall
        else:
            assert event.dtstart.astimezone(UTC) == row.starts_utc
        if options.get("alarm", 0) is None:
            assert event.alarm == []
        else:
            (alarm,) = event.alarm
            assert (alarm.action, alarm.trigger) == (
                "DISPLAY",
                -(options.get("alarm") or timedelta(0)),
            )


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("floating", [False, True], ids=["zoned", "floating"])
def test_vobject_validates_and_reserializes(name: str, floating: bool) -> None:
    plan = plan_of(name)
    data = render_ics(plan, stamp=STAMP, floating=floating)
    calendar = vobject.readOne(data.decode("utf-8"))
    assert calendar.validate()
    rows = expected(plan)
    events = calendar.vevent_list
    assert [e.summary.value for e in events] == [row.summary for row in rows]
    # vobject keeps the first VTIMEZONE it sees per TZID for the whole process, so compare
    # wall-clock times here and instants with the strict parser and dateutil.
    assert [f"{e.dtstart.value:%Y%m%dT%H%M}" for e in events] == [row.wall for row in rows]
    again = vobject.readOne(calendar.serialize())
    assert [e.uid.value for e in again.vevent_list] == [e.uid.value for e in events]
    assert [e.description.value for e in again.vevent_list] == [e.description.value for e in events]


@pytest.mark.parametrize("name", ALL)
def test_recurring_ical_events_counts_the_course(name: str) -> None:
    plan = plan_of(name)
    calendar = parse(render_ics(plan, stamp=STAMP))
    window = recurring_ical_events.of(calendar).between(plan.start, plan.end + timedelta(days=1))
    assert len(window) == len(plan.doses) + len(plan.events)
    before = recurring_ical_events.of(calendar).between(plan.start - timedelta(days=30), plan.start)
    assert before == []


# -- a real CalDAV server ----------------------------------------------------------------------


class Radicale:
    def __init__(self, url: str) -> None:
        self.url = url
        self.auth = "Basic " + base64.b64encode(b"nurse:unused").decode("ascii")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.url + path,
            data=body,
            method=method,
            headers={"Authorization": self.auth, **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    """Radicale on a loopback port, anyone may log in, each user sees only their own folder."""
    folder = tmp_path_factory.mktemp("radicale")
    port = _free_port()
    config = folder / "config"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        "[auth]\ntype = none\n"
        "[rights]\ntype = owner_only\n"
        f"[storage]\nfilesystem_folder = {folder / 'collections'}\n"
        "[web]\ntype = none\n"
        "[logging]\nlevel = error\n",
        encoding="utf-8",
    )
    log = (folder / "log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Radicale(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                status, _ = server.request("OPTIONS", "/")
                if status < 500:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Radicale did not start: {(folder / 'log').read_text()}")
            time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _one_event_calendars(data: bytes) -> dict[str, bytes]:
    """Each VEVENT in a calendar of its own, with the zones, as CalDAV clients upload them."""
    calendar = parse(data)
    files = {}
    for event in calendar.events:
        single = icalendar.Calendar()
        for name in ("VERSION", "PRODID"):
            single[name] = calendar[name]
        for zone in calendar.timezones:
            single.add_component(zone)
        single.add_component(event)
        files[str(event["UID"])] = single.to_ical()
    return files


REPORT = b"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter>
  </C:filter>
</C:calendar-query>"""


# A real CalDAV server on a loopback port: its requests can time out on a crowded machine, so
# the README's quick command leaves it to .ci/run.
@pytest.mark.slow
@pytest.mark.oracle
@pytest.mark.parametrize("name", ["ics-course.toml", "ics-hostile-text.toml"])
def test_radicale_stores_every_event(radicale: Radicale, name: str) -> None:
    plan = plan_of(name)
    data = render_ics(plan, stamp=STAMP)
    uids = {str(event["UID"]) for event in parse(data).events}
    collection = f"/nurse/{name.removesuffix('.toml')}/"
    assert radicale.request("MKCALENDAR", collection)[0] == 201
    for number, (uid, body) in enumerate(sorted(_one_event_calendars(data).items())):
        status, answer = radicale.request(
            "PUT",
            f"{collection}{number}.ics",
            body,
            {"Content-Type": "text/calendar; charset=utf-8"},
        )
        assert status == 201, (uid, answer)
    status, answer = radicale.request(
        "REPORT", collection, REPORT, {"Depth": "1", "Content-Type": "application/xml"}
    )
    assert status == 207
    stored = re.findall(rb"UID:(\S+@taper)", answer)
    assert sorted(uid.decode() for uid in stored) == sorted(uids)

    whole = f"/nurse/{name.removesuffix('.toml')}-whole/"
    status, answer = radicale.request(
        "PUT", whole, data, {"Content-Type": "text/calendar; charset=utf-8"}
    )
    assert status == 201, answer
    status, back = radicale.request("GET", whole)
    assert status == 200
    events = vevents(back)
    assert len(events) == len(plan.doses) + len(plan.events)
    assert {str(e["UID"]) for e in events} == uids
    ours = {str(e["UID"]): e for e in parse(data).events}
    for event in events:
        original = ours[str(event["UID"])]
        for prop in ("SUMMARY", "DESCRIPTION", "DTSTART", "DURATION"):
            assert event[prop].to_ical() == original[prop].to_ical()


# -- daylight saving ---------------------------------------------------------------------------

DST_REGIMEN = """\
title = "Daily prednisone"
start = {start}
timezone = "{zone}"

[[phase]]
name = "Course"
drug = "prednisone"
tablets = ["10 mg"]
at = ["08:00"]
dose = "10 mg"
days = 3
"""

DST_CASES = [
    # zone, day 1, UTC offsets (hours) of 08:00 on days 1-3
    ("America/New_York", "2027-03-13", (-5, -4, -4)),
    ("America/New_York", "2026-10-31", (-4, -5, -5)),
    ("Europe/London", "2027-03-27", (0, 1, 1)),
    ("Europe/London", "2026-10-24", (1, 0, 0)),
    ("Australia/Sydney", "2027-04-03", (11, 10, 10)),
    ("Australia/Sydney", "2026-10-03", (10, 11, 11)),
    ("Pacific/Auckland", "2027-04-03", (13, 12, 12)),
    ("Pacific/Auckland", "2026-09-26", (12, 13, 13)),
    ("Asia/Kolkata", "2027-03-13", (5.5, 5.5, 5.5)),
]


def _instants_from_own_vtimezone(data: bytes) -> list[datetime]:
    """DTSTARTs resolved with the file's VTIMEZONE (dateutil), not the tz database."""
    calendar = parse(data)
    (zone,) = calendar.timezones
    tzinfo = dateutil_tz.tzical(io.StringIO(zone.to_ical().decode("utf-8"))).get()
    instants = []
    for event in calendar.events:
        wall = datetime.strptime(event["DTSTART"].to_ical().decode(), "%Y%m%dT%H%M%S")
        instants.append(wall.replace(tzinfo=tzinfo).astimezone(UTC))
    return instants


@pytest.mark.parametrize(
    ("zone", "start", "offsets"), DST_CASES, ids=[f"{z}-{s}" for z, s, _ in DST_CASES]
)
def test_eight_oclock_stays_eight_oclock_across_daylight_saving(
    write_regimen: Callable[..., Path], zone: str, start: str, offsets: tuple[float, ...]
) -> None:
    plan = load_plan(write_regimen(DST_REGIMEN.format(start=start, zone=zone)), today=TODAY)
    data = render_ics(plan, stamp=STAMP)
    text = data.decode("utf-8")
    day1 = date.fromisoformat(start)
    walls = [f"{day1 + timedelta(days=n):%Y%m%d}T080000" for n in range(3)]
    assert re.findall(rf"DTSTART;TZID={zone}:(\d{{8}}T\d{{6}})", text) == walls
    expected_utc = [
        datetime.combine(day1 + timedelta(days=n), datetime.min.time(), UTC)
        + timedelta(hours=8 - offset)
        for n, offset in enumerate(offsets)
    ]
    assert _instants_from_own_vtimezone(data) == expected_utc
    strict = IcsCalendarStream.calendar_from_ics(text)
    assert [e.dtstart.astimezone(UTC) for e in strict.events] == expected_utc


def test_spring_gap_moves_the_reminder_and_warns(runner: CliRunner, tmp_path: Path) -> None:
    regimen = REGIMENS / "ics-dst-gap.toml"
    plan = plan_of("ics-dst-gap.toml")
    assert [w.code for w in plan.warnings] == ["dst-moved"]
    data = render_ics(plan, stamp=STAMP)
    checks = [e for e in parse(data).events if e["SUMMARY"] == "Check blood pressure"]
    assert [f"{e.DTSTART:%Y-%m-%d %H:%M}" for e in checks] == [
        "2027-03-13 02:30",
        "2027-03-14 03:00",
        "2027-03-15 02:30",
    ]
    assert [e.DTSTART.astimezone(UTC) for e in checks] == [
        datetime(2027, 3, 13, 7, 30, tzinfo=UTC),
        datetime(2027, 3, 14, 7, 0, tzinfo=UTC),
        datetime(2027, 3, 15, 6, 30, tzinfo=UTC),
    ]
    assert _instants_from_own_vtimezone(data) == [
        e.DTSTART.astimezone(UTC) for e in parse(data).events
    ]
    out = tmp_path / "gap.ics"
    result = runner.invoke(main, ["ics", str(regimen), "-o", str(out)])
    assert result.exit_code == 0
    assert result.stderr == (
        "ics-dst-gap.toml: also[1].at: warning [dst-moved]: 02:30 does not exist on 2027-03-14 "
        "(the clocks go forward); the reminder is at 03:00 instead\n"
    )
    assert out.read_bytes() == data


def test_fall_back_repeated_time_is_the_first_one(write_regimen: Callable[..., Path]) -> None:
    text = DST_REGIMEN.format(start="2026-10-31", zone="America/New_York").replace(
        'at = ["08:00"]', 'at = ["01:30"]'
    )
    plan = load_plan(write_regimen(text), today=TODAY)
    data = render_ics(plan, stamp=STAMP)
    # RFC 5545 3.3.5: a local time that occurs twice means the first occurrence (EDT); clients
    # disagree (ical.js and libical take the second), so that one dose is written in UTC.
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert plan.doses[1].starts.astimezone(UTC) == first
    starts = [e["DTSTART"] for e in parse(data).events]
    assert [s.to_ical() for s in starts] == [
        b"20261031T013000",
        b"20261101T053000Z",
        b"20261102T013000",
    ]
    assert [s.params.get("TZID") for s in starts] == ["America/New_York", None, "America/New_York"]
    assert [e.DTSTART.astimezone(UTC) for e in parse(data).events][1] == first


# -- the command -------------------------------------------------------------------------------


def test_golden_file(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "reminders.ics"
    result = runner.invoke(
        main, ["ics", str(REGIMENS / "ics-course.toml"), "-o", str(out)], catch_exceptions=False
    )
    assert (result.exit_code, result.output) == (0, "")
    golden = GOLDEN / "ics-course.ics"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(out.read_bytes())
    assert out.read_bytes() == golden.read_bytes()


def test_two_runs_are_byte_identical(runner: CliRunner, tmp_path: Path) -> None:
    outputs = []
    for name in ("a.ics", "b.ics"):
        result = runner.invoke(
            main,
            ["ics", str(REGIMENS / "ics-hostile-text.toml"), "-o", str(tmp_path / name)],
            catch_exceptions=False,
        )
        assert result.exit_code == 0
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert b"DTSTAMP:20261122T000000Z\r\n" in outputs[0]


def test_only_dtstamp_depends_on_the_stamp() -> None:
    plan = plan_of("ics-course.toml")
    one = render_ics(plan, stamp=STAMP)
    two = render_ics(plan, stamp=datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert one.replace(b"DTSTAMP:20261122T000000Z", b"DTSTAMP:20270102T030405Z") == two


def test_floating_times_have_no_zone(runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        ["ics", str(REGIMENS / "ics-course.toml"), "-o", "-", "--floating"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    text = stdout_text(result)
    assert "TZID" not in text
    assert "VTIMEZONE" not in text
    assert "DTSTART:20261201T090000\r\n" in text
    events = vevents(result.stdout_bytes)
    assert all(e.DTSTART.tzinfo is None for e in events)


@pytest.mark.parametrize(
    ("option", "trigger"),
    [
        ([], "TRIGGER:P0D"),
        (["--alarm", "15m"], "TRIGGER:-PT15M"),
        (["--alarm", "1h"], "TRIGGER:-PT1H"),
    ],
)
def test_alarm_lead_time(runner: CliRunner, option: list[str], trigger: str) -> None:
    result = runner.invoke(
        main, ["ics", str(REGIMENS / "ics-course.toml"), "-o", "-", *option], catch_exceptions=False
    )
    assert result.exit_code == 0
    plan = plan_of("ics-course.toml")
    count = len(plan.doses) + len(plan.events)
    assert stdout_text(result).count("BEGIN:VALARM\r\nACTION:DISPLAY\r\n") == count
    assert stdout_text(result).count(f"{trigger}\r\n") == count


def test_no_alarm(runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        ["ics", str(REGIMENS / "ics-course.toml"), "-o", "-", "--no-alarm"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    assert "VALARM" not in result.stdout
    assert result.stdout.count("BEGIN:VEVENT") == 18


def test_bad_lead_time_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["ics", str(REGIMENS / "ics-course.toml"), "-o", "-", "--alarm", "soon"]
    )
    assert result.exit_code == 2
    assert (
        "Invalid value for '--alarm': 'soon' is not a lead time; write it like 15m or 1h"
        in result.output
    )


def test_hostile_free_text_round_trips() -> None:
    plan = plan_of("ics-hostile-text.toml")
    data = render_ics(plan, stamp=STAMP)
    name = f"{plan.title} ({plan.patient.name})"
    assert '"' in name and "\\" in name and "Σοφία" in name
    (dose,) = (d for d in plan.doses if d.day == 1)
    (item,) = plan.events

    calendar = parse(data)
    assert calendar_names(calendar) == (name, name)
    first, visit = calendar.events[0], calendar.events[1]
    assert str(first["DESCRIPTION"]).split("\nDay 1 of 2")[0] == dose_instructions(
        dose, words_of(plan)
    )
    assert "\n" in dose_instructions(dose, words_of(plan))
    assert str(first["DESCRIPTION"]).endswith(
        f"Questions: call {plan.care_team.clinic} at {plan.care_team.phone}\n"
        f"After hours: {plan.care_team.after_hours}"
    )
    assert first["LOCATION"] == dose.where
    assert f"· {dose.phase}\n" in str(first["DESCRIPTION"])
    assert (visit["SUMMARY"], visit["LOCATION"]) == (item.what, item.where)

    strict = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    assert strict.events[0].description == str(first["DESCRIPTION"])
    assert (strict.events[1].summary, strict.events[1].location) == (item.what, item.where)
    other = vobject.readOne(data.decode("utf-8"))
    assert other.x_wr_calname.value == name
    assert other.vevent_list[1].summary.value == item.what
    assert other.vevent_list[0].location.value == dose.where
    # Lines fold at 75 octets without splitting a UTF-8 sequence.
    for line in data.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")


def test_stdout(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["ics", str(REGIMENS / "ics-course.toml"), "-o", "-"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert result.stdout_bytes == (GOLDEN / "ics-course.ics").read_bytes()
    assert result.stderr == ""


def test_refuses_to_overwrite_without_force(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "reminders.ics"
    out.write_bytes(b"keep me")
    regimen = str(REGIMENS / "ics-course.toml")
    result = runner.invoke(main, ["ics", regimen, "-o", str(out)])
    assert result.exit_code == 1
    assert result.output == f"Error: {out} already exists; add --force to replace it\n"
    assert out.read_bytes() == b"keep me"
    result = runner.invoke(
        main, ["ics", regimen, "-o", str(out), "--force"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert out.read_bytes() == (GOLDEN / "ics-course.ics").read_bytes()


def test_a_bad_regimen_writes_nothing(
    runner: CliRunner, write_regimen: Callable[..., Path], tmp_path: Path
) -> None:
    regimen = write_regimen('title = "x"\nstart = 2026-12-01\ntimezone = "Mars/Olympus"\n')
    out = tmp_path / "reminders.ics"
    result = runner.invoke(main, ["ics", str(regimen), "-o", str(out)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: regimen.toml: ")
    assert "Traceback" not in result.output
    assert not out.exists()


def test_does_not_import_reportlab(tmp_path: Path) -> None:
    out = tmp_path / "reminders.ics"
    code = (
        "import sys\n"
        "from taper.cli import main\n"
        f"main(['ics', {str(REGIMENS / 'ics-course.toml')!r}, '-o', {str(out)!r}],"
        " standalone_mode=False)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'reportlab')\n"
        "print('reportlab modules:', loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "reportlab modules: []\n", "")
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")


# -- reissued plans ----------------------------------------------------------------------------


def _uids_by_day(data: bytes) -> dict[tuple[str, str], icalendar.Event]:
    return {
        (f"{e.DTSTART:%Y-%m-%d %H:%M}", str(e["UID"]).split("-")[0]): e for e in parse(data).events
    }


def test_reissue_keeps_uids_of_unchanged_events() -> None:
    old = render_ics(plan_of("ics-reissue-r0.toml"), stamp=STAMP)
    new = render_ics(plan_of("ics-reissue-r1.toml"), stamp=STAMP)
    before, after = _uids_by_day(old), _uids_by_day(new)
    assert set(after) < set(before)
    for key, event in after.items():
        assert event["UID"] == before[key]["UID"]
        assert event["SEQUENCE"] == 1
    assert after[("2026-12-03 08:00", "dose")]["SUMMARY"] == (
        "Prednisone 15 mg: 1 × 10 mg + 1 × 5 mg tablets"
    )
    assert before[("2026-12-03 08:00", "dose")]["SUMMARY"] == "Prednisone 20 mg: 1 × 20 mg tablet"


def test_previous_cancels_events_that_are_gone(runner: CliRunner, tmp_path: Path) -> None:
    old = tmp_path / "r0.ics"
    new = tmp_path / "r1.ics"
    assert (
        runner.invoke(
            main, ["ics", str(REGIMENS / "ics-reissue-r0.toml"), "-o", str(old)]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        main,
        ["ics", str(REGIMENS / "ics-reissue-r1.toml"), "-o", str(new), "--previous", str(old)],
        catch_exceptions=False,
    )
    assert (result.exit_code, result.output) == (0, "")
    before = {str(e["UID"]): e for e in vevents(old.read_bytes())}
    after = {str(e["UID"]): e for e in vevents(new.read_bytes())}
    assert set(after) == set(before)
    cancelled = {uid: e for uid, e in after.items() if e.get("STATUS") == "CANCELLED"}
    assert sorted(
        f"{before[uid].DTSTART:%m-%d %H:%M} {e['SUMMARY']}" for uid, e in cancelled.items()
    ) == [
        "12-05 08:00 Cancelled: Prednisone 10 mg: 1 × 10 mg tablet",
        "12-05 22:00 Cancelled: Peak flow",
        "12-06 08:00 Cancelled: Prednisone 10 mg: 1 × 10 mg tablet",
        "12-06 22:00 Cancelled: Peak flow",
    ]
    for uid, event in cancelled.items():
        assert event["SEQUENCE"] == 1
        assert event.subcomponents == []  # no alarm for a cancelled dose
        # The same instant, written in UTC: no zone of the old file is needed to read it.
        assert event.DTSTART == before[uid].DTSTART
        assert event["DTSTART"].to_ical().endswith(b"Z")
        assert "TZID" not in event["DTSTART"].params
        assert event.duration == before[uid].duration
        assert event["DESCRIPTION"] == (
            "This reminder is cancelled because your plan changed. Follow your new plan."
        )
    kept = [e for uid, e in after.items() if uid not in cancelled]
    assert len(kept) == 8
    assert all(e["SEQUENCE"] == 1 and "STATUS" not in e for e in kept)

    # Every parser still reads the file; the cancelled events keep their zone.
    strict = IcsCalendarStream.calendar_from_ics(new.read_text(encoding="utf-8"))
    assert sum(1 for e in strict.events if e.status == "CANCELLED") == 4
    assert vobject.readOne(new.read_text(encoding="utf-8")).validate()

    # Reissued again: the cancellations are carried forward, one sequence higher.
    r2 = tmp_path / "r2.toml"
    r2.write_text(
        (REGIMENS / "ics-reissue-r1.toml")
        .read_text(encoding="utf-8")
        .replace("revision = 1", "revision = 2"),
        encoding="utf-8",
    )
    third = tmp_path / "r2.ics"
    result = runner.invoke(
        main, ["ics", str(r2), "-o", str(third), "--previous", str(new)], catch_exceptions=False
    )
    assert result.exit_code == 0
    again = {str(e["UID"]): e for e in vevents(third.read_bytes())}
    assert set(again) == set(before)
    for uid in cancelled:
        assert again[uid]["SEQUENCE"] == 2
        assert str(again[uid]["SUMMARY"]).count("Cancelled: ") == 1


def test_previous_with_the_same_plan_cancels_nothing() -> None:
    plan = plan_of("ics-course.toml")
    first = render_ics(plan, stamp=STAMP)
    assert render_ics(plan, stamp=STAMP, previous=first) == first


def test_changed_plan_without_revision_bump_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    old = tmp_path / "r0.ics"
    assert (
        runner.invoke(
            main, ["ics", str(REGIMENS / "ics-reissue-r0.toml"), "-o", str(old)]
        ).exit_code
        == 0
    )
    # Every remaining reminder changed: the 15 mg dose, and "Day N of 6" became "of 4".
    same_revision = tmp_path / "changed.toml"
    same_revision.write_text(
        (REGIMENS / "ics-reissue-r1.toml")
        .read_text(encoding="utf-8")
        .replace("revision = 1", "revision = 0"),
        encoding="utf-8",
    )
    out = tmp_path / "changed.ics"
    result = runner.invoke(
        main, ["ics", str(same_revision), "-o", str(out), "--previous", str(old)]
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {old}: 8 reminders changed since the previous calendar file (first: "
        "Prednisone 40 mg: 2 × 20 mg tablets on 2026-12-01 08:00) but revision is still 0; "
        "increase revision in the regimen so that calendars replace the old reminders\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"this is not a calendar\n",
            "the previous calendar file is not an iCalendar file (it does not start with "
            "BEGIN:VCALENDAR as UTF-8 text); give the reminders.ics written for the plan this "
            "one replaces",
        ),
        (
            b"",
            "the previous calendar file is not an iCalendar file (it does not start with "
            "BEGIN:VCALENDAR as UTF-8 text); give the reminders.ics written for the plan this "
            "one replaces",
        ),
        (
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar//EN\r\n"
            b"END:VCALENDAR\r\n",
            "the previous calendar file was not written by taper (PRODID: '-//Google Inc//Google "
            "Calendar//EN'); give the reminders.ics written for the plan this one replaces",
        ),
        (
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//taper//taper reminders 0.1.0//EN\r\n"
            b"UID:"
            + COURSE_UID
            + b"\r\nBEGIN:VEVENT\r\nUID:x@taper\r\nDTSTAMP:20261122T000000Z\r\nDTSTART:tomorrow\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n",
            "the previous calendar file: event 1 ('x@taper') is broken ('Cannot access 'dt' on "
            "broken property 'DTSTART'...); give the reminders.ics written for the plan this one "
            "replaces",
        ),
    ],
)
def test_unreadable_previous_file(
    runner: CliRunner, tmp_path: Path, content: bytes, message: str
) -> None:
    previous = tmp_path / "old.ics"
    previous.write_bytes(content)
    out = tmp_path / "new.ics"
    result = runner.invoke(
        main,
        ["ics", str(REGIMENS / "ics-course.toml"), "-o", str(out), "--previous", str(previous)],
    )
    assert result.exit_code == 1
    head, _, tail = message.partition("...")
    assert result.output.startswith(f"Error: {previous}: {head}")
    assert result.output.endswith(f"{tail}\n")
    assert "Traceback" not in result.output
    assert not out.exists()


# -- --previous: only this course's calendar, never a crash, never raw bytes (issue 10) ---------


def _r0(runner: CliRunner, tmp_path: Path) -> Path:
    old = tmp_path / "r0.ics"
    code, output = run_ics(runner, str(REGIMENS / "ics-reissue-r0.toml"), "-o", str(old))
    assert (code, output) == (0, "")
    return old


ANOTHER_COURSE = (
    "the previous calendar file was written for another course (another patient, title or "
    "first day); give this patient's reminders.ics for this course. If the name, title or "
    "first day was corrected, the reminders cannot be updated in place: delete the old course "
    "calendar and import the new file\n"
)


@pytest.mark.parametrize(
    ("old_text", "new_text"),
    [
        ('name = "Sam Lee"', 'name = "Kim Park"'),  # another patient (F6)
        ('title = "Asthma flare: prednisone taper"', 'title = "COPD flare: prednisone"'),
        ("start = 2026-12-01", "start = 2026-12-08"),
    ],
    ids=["another-patient", "another-title", "another-start"],
)
def test_previous_of_another_course_is_refused(
    runner: CliRunner, tmp_path: Path, old_text: str, new_text: str
) -> None:
    """Another patient's calendar would copy its drug, doses and place into this patient's
    file as cancellations: only the calendar of the same course is accepted."""
    old = _r0(runner, tmp_path)
    text = (REGIMENS / "ics-reissue-r1.toml").read_text(encoding="utf-8")
    assert old_text in text
    other = tmp_path / "other.toml"
    other.write_text(text.replace(old_text, new_text), encoding="utf-8")
    out = tmp_path / "new.ics"
    code, output = run_ics(runner, str(other), "-o", str(out), "--previous", str(old))
    assert (code, output) == (1, f"Error: {old}: {ANOTHER_COURSE}")
    assert not out.exists()
    # The same course is accepted.
    code, output = run_ics(
        runner, str(REGIMENS / "ics-reissue-r1.toml"), "-o", str(out), "--previous", str(old)
    )
    assert (code, output) == (0, "")
    assert b"Kim Park" not in out.read_bytes()


@pytest.mark.parametrize(
    ("sequence", "why"),
    [
        (2147483647, "the largest a calendar accepts"),
        (99999999999999999999, "the largest a calendar accepts"),
        (-1, "below 0"),
    ],
)
def test_previous_sequence_at_its_limit(
    runner: CliRunner, tmp_path: Path, sequence: int, why: str
) -> None:
    """F18: a cancellation one SEQUENCE above the maximum cannot be written; a clear error,
    not a crash, and nothing written."""
    old = _r0(runner, tmp_path)
    data = old.read_bytes()
    assert data.count(b"SEQUENCE:0\r\n") == 12
    old.write_bytes(data.replace(b"SEQUENCE:0\r\n", f"SEQUENCE:{sequence}\r\n".encode(), 1))
    out = tmp_path / "new.ics"
    code, output = run_ics(
        runner, str(REGIMENS / "ics-reissue-r1.toml"), "-o", str(out), "--previous", str(old)
    )
    assert (code, output) == (
        1,
        f"Error: {old}: the previous calendar file: event 1 has SEQUENCE {sequence}, {why}, so "
        "no update can replace it; delete the old course calendar and import the new file "
        "instead\n",
    )
    assert not out.exists()


HOSTILE_PREVIOUS = [
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    b"\x1b[2J\x1b[31mBEGIN:VCALENDAR\r\n",
    b"BEGIN:VCALENDAR\r\n\xff\xfe\x1b[31m\r\nEND:VCALENDAR\r\n",
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:\x1b]0;owned\x07\x1b[2J" + b"A" * 500 + b"\r\n"
    b"END:VCALENDAR\r\n",
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//taper//taper reminders 0.1.0//EN\r\n"
    b"UID:" + COURSE_UID + b"\r\nBEGIN:VEVENT\r\nUID:\x1b[31mred\x9b\r\nDTSTAMP:20261122T000000Z"
    b"\r\nDTSTART:\x1b[2J\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    b"BEGIN:VCALENDAR\r\n\x00\x00\x00\r\n",
]


@pytest.mark.parametrize("content", HOSTILE_PREVIOUS)
def test_binary_previous_is_never_echoed_raw(
    runner: CliRunner, tmp_path: Path, content: bytes
) -> None:
    """F26: whatever the file holds, the error shows no control character and no long run of
    it, and the command fails cleanly."""
    previous = tmp_path / "old.ics"
    previous.write_bytes(content)
    out = tmp_path / "new.ics"
    result = runner.invoke(
        main,
        ["ics", str(REGIMENS / "ics-course.toml"), "-o", str(out), "--previous", str(previous)],
    )
    assert result.exit_code == 1
    message = result.output
    assert message.startswith(f"Error: {previous}: the previous calendar file")
    assert message.endswith("\n")
    assert all(char.isprintable() for char in message[:-1]), message
    assert "Traceback" not in message
    assert "A" * 100 not in message
    assert not out.exists()
