"""VTIMEZONE components from the zone's TZif data (taper.export.vtimezone).

Every zone is checked against the tz data in tests/test_ics_clients.py; these pin the forms the
rules take in the file."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from taper.export.vtimezone import (
    HISTORY_FROM,
    parse_tzif,
    read_tzif,
    vtimezone,
    vtimezone_lines,
)


def observances(name: str, earliest: date | None = None) -> list[tuple[str, str, str, str]]:
    """(kind, DTSTART, TZOFFSETFROM→TZOFFSETTO, RRULE) of each observance with an RRULE."""
    rows = []
    for sub in vtimezone(name, earliest).subcomponents:
        if "RRULE" in sub:
            rows.append(
                (
                    sub.name,
                    sub["DTSTART"].to_ical().decode(),
                    f"{sub['TZOFFSETFROM'].to_ical()}→{sub['TZOFFSETTO'].to_ical()}",
                    sub["RRULE"].to_ical().decode(),
                )
            )
    return rows


def test_new_york_spring_onset_is_before_the_jump() -> None:
    """RFC 5545 3.6.5: the onset is local time in the offset before it, 02:00 EST."""
    assert observances("America/New_York") == [
        ("DAYLIGHT", "20070311T020000", "-0500→-0400", "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"),
        ("STANDARD", "20071104T020000", "-0400→-0500", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"),
    ]
    text = vtimezone("America/New_York").to_ical().decode()
    assert "RDATE:20060402T020000\r\n" in text  # the old rule's last spring change, listed


def test_rules_at_other_times_of_day_and_across_months() -> None:
    # Cairo: the Friday after the last Thursday of October, at 00:00 (so it may be 1 November).
    assert observances("Africa/Cairo")[1:] == [
        (
            "STANDARD",
            "20231027T000000",
            "+0300→+0200",
            "FREQ=YEARLY;BYDAY=FR;BYMONTHDAY=26,27,28,29,30,31;BYMONTH=10",
        ),
        (
            "STANDARD",
            "20241101T000000",
            "+0300→+0200",
            "FREQ=YEARLY;BYDAY=FR;BYMONTHDAY=1;BYMONTH=11",
        ),
    ]
    # Nuuk: last Sunday of March at -1:00, the Saturday before at 23:00.
    assert observances("America/Nuuk")[0][1:] == (
        "20240330T230000",
        "-0200→-0100",
        "FREQ=YEARLY;BYDAY=SA;BYMONTHDAY=24,25,26,27,28,29,30;BYMONTH=3",
    )


def test_negative_daylight_saving_and_a_rule_adopted_mid_year() -> None:
    # Dublin's winter time is flagged DST in the data (negative DST); summer reads as DAYLIGHT.
    assert [row[:3] for row in observances("Europe/Dublin")] == [
        ("DAYLIGHT", "19960331T010000", "+0000→+0100"),
        ("STANDARD", "19961027T020000", "+0100→+0000"),
    ]
    # Goose Bay moved its changes from 00:01 to 02:00 in November 2011.
    assert [row[1] for row in observances("America/Goose_Bay")] == [
        "20111106T020000",
        "20120311T020000",
    ]


def test_history_starts_in_1970_or_at_an_earlier_course() -> None:
    first = vtimezone("Europe/Berlin").subcomponents[0]
    start = first.DTSTART
    assert start == datetime(HISTORY_FROM, 1, 1)
    assert (first["TZOFFSETFROM"].td, first["TZOFFSETTO"].td) == (timedelta(hours=1),) * 2
    earlier = vtimezone("Europe/Berlin", date(1945, 6, 1))
    start = earlier.subcomponents[0].DTSTART
    assert start == datetime(1945, 1, 1)
    assert "RDATE:19450524T020000\r\n" in earlier.to_ical().decode()  # Berlin's 1945 "midsummer"


def test_a_zone_without_changes_is_one_observance() -> None:
    (only,) = vtimezone("Asia/Kolkata").subcomponents
    assert (only.name, only["TZOFFSETTO"].to_ical()) == ("STANDARD", "+0530")


def test_damaged_tzif_data_is_refused() -> None:
    assert read_tzif("Europe/Berlin").footer == "CET-1CEST,M3.5.0,M10.5.0/3"
    with pytest.raises(ValueError, match="not TZif data"):
        parse_tzif(b"not a zone")
    with pytest.raises(ValueError, match="version 1"):
        parse_tzif(b"TZif\0" + bytes(15) + bytes(24))


def test_a_rule_no_rrule_can_say_is_listed_onset_by_onset() -> None:
    """A day shift out of February's last week (its length moves with leap years) has no
    yearly RRULE: its onsets are listed up to a far year instead."""
    from taper.export.vtimezone import _add_rule, _rrules, _when, parse_rule
    from taper.export.vtimezone import observances as listed_observances

    assert _rrules(_when("M2.5.0/25")) is None
    assert _rrules(_when("J60")) is None
    rule = parse_rule("AAA-1BBB,M2.5.0/25,M10.5.0")
    assert rule is not None
    groups: dict[tuple[str, int, int, str], list[datetime]] = {}
    listed = listed_observances("Europe/Berlin")
    before = len(listed)
    _add_rule(groups, listed, rule, 0)
    ((key, onsets),) = groups.items()
    assert key == ("DAYLIGHT", 3600, 7200, "BBB")
    # The day after the last Sunday of February, at 01:00: Monday 23 February 1970, and in
    # 2024, a leap year, Monday 26 February.
    assert onsets[0] == datetime(1970, 2, 23, 1)
    assert datetime(2024, 2, 26, 1) in onsets
    assert onsets[-1].year == 2200
    assert len(listed) == before + 1  # October's change as an RRULE


def test_utc_names_are_written_in_utc() -> None:
    from taper.export.vtimezone import is_utc

    assert all(is_utc(name) for name in ("UTC", "Etc/UTC", "Etc/Universal", "Zulu"))
    assert not any(is_utc(name) for name in ("Europe/London", "Africa/Abidjan", "Etc/GMT"))


def test_the_text_vtimezone_is_icalendars_for_every_zone() -> None:
    """``vtimezone_lines`` (what reminders.ics holds) against icalendar's component for every
    zone of the tz database, from 1970, from a course's year and with early history."""
    from icalendar.parser import Contentline

    from taper.read.zones import names

    for name in sorted(names()):
        for earliest in (None, date(1900, 1, 1), date(2026, 3, 1)):
            reference = vtimezone(name, earliest).to_ical()
            lines = vtimezone_lines(name, earliest)
            text = b"".join(Contentline(line).to_ical() + b"\r\n" for line in lines)
            assert text == reference, (name, earliest)


@pytest.mark.parametrize("seconds", [0, 1, -1, 59, 3600, -18000, 19800, 20700, -1172, 50400])
def test_utc_offsets_are_written_as_icalendar_writes_them(seconds: int) -> None:
    from icalendar import vUTCOffset

    from taper.export.vtimezone import utc_offset

    assert utc_offset(seconds) == vUTCOffset(timedelta(seconds=seconds)).to_ical()
