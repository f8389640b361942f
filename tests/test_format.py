"""Regimen format, round two: caps, body surface area, round-the-clock series, dose packs,
[[also]] rhythms, fill periods and long courses, from the regimen file to the JSON and .ics."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariant_strategies import stopping

from taper.api import load as load_plan
from taper.engine.schedules import build_plan
from taper.export.ics import render_ics
from taper.export.json import render_json
from taper.read.errors import RegimenError
from taper.read.regimen import parse_regimen
from taper.read.units import ceil_div
from taper.records.plan import Plan
from taper.voice.amounts import basis_text, bsa_text
from taper.voice.doses import dose_instructions
from taper.voice.words import words_of

REGIMENS = Path(__file__).parent / "regimens"
SCHEMA = json.loads(
    (Path(__file__).parent.parent / "taper" / "data" / "plan.schema.json").read_text("utf-8")
)
TODAY = date(2026, 11, 22)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)
D = Decimal


def plan_of(name: str) -> Plan:
    return load_plan(REGIMENS / name, today=TODAY)


def plan_text(text: str) -> Plan:
    import tomllib

    document = tomllib.loads(stopping(text), parse_float=Decimal)
    regimen, problems = parse_regimen(document, "r.toml")
    if regimen is None:
        raise RegimenError("r.toml", problems)
    return build_plan(regimen, problems, today=TODAY)


def as_json(plan: Plan) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_json(plan))
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    return document


# -- 1. per-weight doses with a cap --------------------------------------------------------


def test_a_capped_per_kg_liquid_gives_the_cap_and_keeps_the_arithmetic() -> None:
    plan = plan_of("format-child-asthma-capped.toml")
    doses = plan.doses
    assert len(doses) == 5
    for dose in doses:
        assert (dose.amount, dose.unit, dose.volume_ml) == (D(60), "mg", D(20))
        assert dose_instructions(dose, words_of(plan)).startswith(
            "Measure 20 mL of the 15 mg/5 mL liquid (60 mg)"
        )
        assert dose.basis is not None
        assert (dose.basis.uncapped, dose.basis.capped, dose.basis.cap_kind) == (
            D("69.8"),
            D(60),
            "max",
        )
    assert basis_text(doses[0].basis) == "2 mg/kg × 34.9 kg = 69.8 mg, capped at 60 mg"
    assert plan.warnings == ()  # the cap is the order, not a slip
    document = as_json(plan)
    basis = document["days"][0]["doses"][0]["basis"]
    assert basis == {
        "ordered": 2,
        "ordered_unit": "mg/kg",
        "per": "kg",
        "size": 34.9,
        "uncapped": 69.8,
        "capped": 60,
        "cap": 60,
        "cap_kind": "max",
        "unit": "mg",
    }
    assert document["phases"][0]["steps"][0]["max"] == "60 mg"
    assert document["liquids"] == [
        {"drug": "prednisolone", "liquid": "15 mg/5 mL", "volume_ml": 100}
    ]


def test_max_daily_shares_the_days_cap_among_divided_doses() -> None:
    plan = plan_of("format-divided-max-daily.toml")
    divided = [d for d in plan.doses if d.phase == "Divided"]
    assert [(d.day, d.time, d.amount) for d in divided[:2]] == [
        (1, "08:00", D(30)),
        (1, "18:00", D(30)),
    ]
    basis = divided[0].basis
    assert basis is not None and basis.cap_kind == "max_daily"
    assert basis_text(basis) == ("1 mg/kg × 34.9 kg = 34.9 mg, capped at 60 mg a day: 30 mg a dose")
    by_day: dict[int, Decimal] = defaultdict(Decimal)
    for dose in divided:
        assert dose.amount is not None
        by_day[dose.day] += dose.amount
    assert set(by_day.values()) == {D(60)}


def test_a_per_kg_taper_and_steps_take_the_phase_or_the_steps_cap() -> None:
    plan = plan_of("format-divided-max-daily.toml")
    taper = [d.amount for d in plan.doses if d.phase == "Per-kg taper"]
    # 1.5, 1 and 0.5 mg/kg × 34.9 kg = 52.35 (capped at 40), 34.9 (→ 35) and 17.45 (→ 17.5) mg
    assert taper == [D(40)] * 3 + [D(35)] * 3 + [D("17.5")] * 3
    steps = [
        (d.amount, d.basis.cap_kind if d.basis else None)
        for d in plan.doses
        if d.phase == "Per-kg steps"
    ]
    assert steps == [(D(30), "max")] * 2 + [(D("17.5"), None)] * 2
    codes = [w.code for w in plan.warnings]
    assert codes == ["per-kg-rounded"] * 3
    assert "taper-step-up" not in codes


def test_the_dose_checks_see_the_capped_dose() -> None:
    # 2 mg/kg for a 40 kg child is 80 mg a day: under a 60 mg cap it is 60 mg, which is
    # within the usual range, so no warning; without the cap it is above the usual range.
    # (20 mg/kg would be a 10× slip: an error with or without a cap, tests/test_safety.py.)
    body = (
        '[patient]\nweight = "40 kg"\n[[phase]]\ndrug = "prednisone"\ndose = "2 mg/kg"\n'
        'days = 3\nat = ["08:00"]\n'
    )
    head = 'start = 2026-12-01\ntimezone = "America/New_York"\n'
    capped = plan_text(head + body + 'max = "60 mg"\n')
    assert {d.amount for d in capped.doses} == {D(60)}
    assert "above-usual-dose" not in [w.code for w in capped.warnings]
    uncapped = plan_text(head + body)
    assert "above-usual-dose" in [w.code for w in uncapped.warnings]


# -- 2. body surface area -------------------------------------------------------------------


def test_mg_per_m2_uses_mosteller_and_the_cap() -> None:
    plan = plan_of("format-nephrotic-bsa.toml")
    # √(115 cm × 20 kg ÷ 3600) = 0.80 m² (clinical-reference-2 §5): 48 mg, then 32 mg
    assert plan.patient.bsa_m2 == D("0.80")
    daily = [d for d in plan.doses if d.phase == "Daily"]
    alternate = [d for d in plan.doses if d.phase == "Alternate days"]
    assert {d.amount for d in daily} == {D(48)}
    assert {d.amount for d in alternate} == {D(32)}
    assert [d.day for d in alternate][:3] == [29, 31, 33]
    assert daily[0].basis is not None
    assert basis_text(daily[0].basis) == "60 mg/m² × 0.80 m² = 48 mg"
    assert bsa_text(D(115), D(20), D("0.80")) == (
        "Body surface area (Mosteller) = √(115 cm × 20 kg ÷ 3600) = 0.80 m²"
    )
    document = as_json(plan)
    assert document["patient"]["bsa_m2"] == 0.8 and document["patient"]["height_cm"] == 115


def test_a_bigger_child_is_capped_on_bsa_too() -> None:
    text = (REGIMENS / "format-nephrotic-bsa.toml").read_text("utf-8")
    text = text.replace('weight = "20 kg"', 'weight = "45 kg"').replace(
        'height = "115 cm"', 'height = "60 in"'
    )
    plan = plan_text(text)
    assert plan.patient.height_cm == D("152.4")
    assert plan.patient.bsa_m2 == D("1.38")  # √(152.4 × 45 ÷ 3600)
    daily = [d for d in plan.doses if d.phase == "Daily"]
    assert {d.amount for d in daily} == {D(60)}  # 82.8 mg, capped at 60 mg
    assert daily[0].basis is not None
    assert basis_text(daily[0].basis) == "60 mg/m² × 1.38 m² = 82.8 mg, capped at 60 mg"


# -- 3. long courses and fill periods --------------------------------------------------------


def test_a_two_year_course_with_28_day_fills() -> None:
    plan = plan_of("format-gca-2-year.toml")
    assert plan.length == 700
    assert plan.fill_days == 28
    assert len(plan.fills) == 25
    assert [(f.first_day, f.last_day) for f in plan.fills[:2]] == [(1, 28), (29, 56)]
    assert plan.fills[-1].last_day == 700
    assert_fills_add_up(plan)
    first = {(line.strength, line.count) for line in plan.fills[0].dispense}
    assert first == {(D(50), D(28)), (D(10), D(28))}  # 60 mg = 50 + 10 for 28 days
    as_json(plan)


def test_the_course_limit_is_1096_days() -> None:
    head = 'start = 2026-12-01\ntimezone = "Europe/London"\n'
    phase = '[[phase]]\ndrug = "prednisone"\ndose = "5 mg"\nat = ["08:00"]\ndays = {}\n'
    assert plan_text(head + phase.format(1096)).length == 1096
    with pytest.raises(RegimenError) as caught:
        plan_text(head + phase.format(1097))
    assert "phase[1].days: 1097 is outside 1 to 1096" in caught.value.render()


def assert_fills_add_up(plan: Plan) -> None:
    tablets: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    volumes: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    packs: dict[str, int] = defaultdict(int)
    containers: dict[tuple[str, str], int] = defaultdict(int)
    covered: list[int] = []
    for fill in plan.fills:
        covered.extend(range(fill.first_day, fill.last_day + 1))
        for line in fill.dispense:
            tablets[(line.drug, line.strength)] += line.count
        for liquid in fill.liquids:
            volumes[(liquid.drug, liquid.liquid)] += liquid.volume_ml
        for pack in fill.packs:
            packs[pack.phase] += pack.packs
        for box in fill.containers:
            containers[(box.drug, box.size)] += box.count
    # Each fill in whole tablets (issue 18 item 3), adding up to the course's whole tablets.
    assert all(count == int(count) for count in tablets.values())
    assert tablets == {
        (line.drug, line.strength): ceil_div(line.count, 1) for line in plan.dispense
    }
    assert volumes == {(line.drug, line.liquid): line.volume_ml for line in plan.liquids}
    assert packs == {pack.phase: pack.packs for pack in plan.packs}
    assert containers == {(box.drug, box.size): box.count for box in plan.containers}
    dose_days = sorted({dose.day for dose in plan.doses})
    assert covered == list(range(1, dose_days[-1] + 1))


# -- 4. round-the-clock series ----------------------------------------------------------------


def test_every_6h_is_evenly_spaced_in_elapsed_hours_across_spring_forward() -> None:
    plan = plan_of("format-ontt-every-6h-dst.toml")
    iv = [d for d in plan.doses if d.phase == "IV methylprednisolone"]
    assert len(iv) == 12  # days = 3 at 6-hourly
    # Aware datetimes in one zone subtract as wall-clock times: compare them in UTC.
    utc = [d.starts.astimezone(UTC) for d in iv]
    gaps = {(b - a).total_seconds() / 3600 for a, b in itertools.pairwise(utc)}
    assert gaps == {6}
    assert [(d.day, d.time) for d in iv[:6]] == [
        (1, "18:00"),
        (2, "00:00"),
        (2, "07:00"),  # the clocks went forward at 02:00: still 6 hours after midnight
        (2, "13:00"),
        (2, "19:00"),
        (3, "01:00"),
    ]
    assert (iv[-1].day, iv[-1].time) == (4, "13:00")
    # The plan lists each day's doses in time order, on the dates they fall.
    day4 = plan.days[3]
    assert [(d.time, d.phase) for d in day4.doses] == [
        ("01:00", "IV methylprednisolone"),
        ("07:00", "IV methylprednisolone"),
        ("08:00", "Oral prednisone"),
        ("13:00", "IV methylprednisolone"),
    ]
    assert "dst-interval" in [w.code for w in plan.warnings]
    document = as_json(plan)
    assert document["phases"][0]["every_hours"] == 6
    assert document["phases"][0]["steps"][0]["doses_in_series"] == 12


def test_every_6h_reminders_are_at_the_right_instants() -> None:
    plan = plan_of("format-ontt-every-6h-dst.toml")
    calendar = icalendar.Calendar.from_ical(render_ics(plan, stamp=STAMP))
    starts = sorted(
        event.start.astimezone(UTC)
        for event in calendar.walk("VEVENT")
        if "Methylprednisolone" in str(event["SUMMARY"])
    )
    expected = [d.starts.astimezone(UTC) for d in plan.doses if d.route == "iv"]
    assert starts == expected


def test_a_dose_in_the_repeated_hour_is_written_in_utc() -> None:
    # Every 4 hours from 22:30 on 2026-10-31 (New York): the second dose is at 01:30 EST,
    # the second 01:30 of the fall-back night.
    text = (
        'start = 2026-10-31\ntimezone = "America/New_York"\n[[phase]]\n'
        'drug = "methylprednisolone"\nroute = "iv"\ndose = "250 mg"\nevery = "4h"\n'
        'days = 1\nat = ["22:30"]\nduration = "1 h"\n'
    )
    plan = plan_text(text)
    second = plan.doses[1]
    assert (second.day, second.time, second.starts.utcoffset()) == (
        2,
        "01:30",
        timedelta(hours=-5),
    )
    data = render_ics(plan, stamp=STAMP)
    calendar = icalendar.Calendar.from_ical(data)
    starts = sorted(event.start.astimezone(UTC) for event in calendar.walk("VEVENT"))
    assert starts == [d.starts.astimezone(UTC) for d in plan.doses]
    assert b"DTSTART:20261101T063000Z" in data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(
        ["America/New_York", "Europe/London", "Australia/Sydney", "Pacific/Auckland"]
    ),
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    hours=st.sampled_from([4, 6, 8, 12]),
    days=st.integers(1, 5),
)
def test_series_are_evenly_spaced_in_elapsed_hours(
    zone: str, start: date, hour: int, minute: int, hours: int, days: int
) -> None:
    text = (
        f'start = {start.isoformat()}\ntimezone = "{zone}"\n[[phase]]\n'
        'drug = "methylprednisolone"\nroute = "iv"\ndose = "250 mg"\n'
        f'every = "{hours}h"\ndays = {days}\nat = ["{hour:02d}:{minute:02d}"]\nduration = "1 h"\n'
    )
    plan = plan_text(text)
    doses = plan.doses
    assert len(doses) == days * 24 // hours
    instants = [d.starts.astimezone(UTC) for d in doses]
    assert all(b - a == timedelta(hours=hours) for a, b in itertools.pairwise(instants))
    local = ZoneInfo(zone)
    for dose in doses:
        wall = dose.starts.astimezone(local)
        assert dose.date == wall.date() and dose.time == wall.strftime("%H:%M")
        assert dose.day == (wall.date() - start).days + 1
    listed = [d.starts for day in plan.days for d in day.doses]
    assert listed == sorted(listed)


# -- 6. dose packs ----------------------------------------------------------------------------


def test_a_dose_pack_dispenses_one_pack() -> None:
    plan = plan_of("format-dose-pack.toml")
    assert plan.dispense == ()
    (pack,) = plan.packs
    assert (pack.pack, pack.packs, pack.tablets_per_pack, pack.used, pack.left_over) == (
        "methylprednisolone 4 mg dose pack",
        1,
        21,
        D(21),
        D(0),
    )
    assert "clinical-reference §2 and §3" in pack.source
    per_day = [sum(d.amount for d in day.doses if d.amount) for day in plan.days]
    assert per_day == [D(24), D(20), D(16), D(12), D(8), D(4)]
    assert "pack-left-over" not in [w.code for w in plan.warnings]
    document = as_json(plan)
    assert document["packs"][0]["packs"] == 1 and document["phases"][0]["pack"] == (
        "methylprednisolone 4 mg dose pack"
    )


def test_a_pack_started_late_warns_of_tablets_left_over() -> None:
    plan = plan_of("format-dose-pack-late.toml")
    (pack,) = plan.packs
    assert (pack.packs, pack.used, pack.left_over) == (1, D(18), D(3))
    (warning,) = [w for w in plan.warnings if w.code == "pack-left-over"]
    assert warning.place == "phase[1].pack"
    assert warning.message.startswith(
        "the plan gives 18 of the 21 tablets in 1 pack (21 tablets): 3 will be left over."
    )
    assert "taper-step-up" not in [w.code for w in plan.warnings]


# -- 7. [[also]] on a rhythm -------------------------------------------------------------------


def test_also_every_weekdays_and_session_days() -> None:
    plan = plan_of("format-also-rhythm.toml")

    def days_of(what: str) -> list[int]:
        return [e.day for e in plan.events if e.what == what]

    mondays = days_of("Alendronate 70 mg")
    assert mondays and all(plan.days[d - 1].date.weekday() == 0 for d in mondays)
    assert mondays == [d.day for d in plan.days if d.date.weekday() == 0]
    assert days_of("Blood test") == [3, 17, 31]
    assert days_of("Blood pressure") == [1, 3, 5, 7, 9]  # session days only
    assert days_of("Weigh yourself") == list(range(1, 10))  # every = 1 says every day
    as_json(plan)


def test_also_every_runs_from_its_on_date_and_within_during() -> None:
    head = 'start = 2026-12-01\ntimezone = "America/New_York"\n'
    body = (
        '[[phase]]\nname = "A"\ndrug = "prednisone"\ndose = "20 mg"\ndays = 30\n'
        'at = ["08:00"]\n[[phase]]\nname = "B"\ndrug = "prednisone"\ndose = "10 mg"\n'
        'days = 10\nat = ["08:00"]\n'
        '[[also]]\nkind = "check"\nwhat = "x"\nat = ["09:00"]\non = 2026-12-05\nevery = 10\n'
        '[[also]]\nkind = "check"\nwhat = "y"\nat = ["09:00"]\nduring = ["B"]\nevery = 4\n'
    )
    plan = plan_text(head + body)
    assert [e.day for e in plan.events if e.what == "x"] == [5, 15, 25, 35]
    assert [e.day for e in plan.events if e.what == "y"] == [31, 35, 39]


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    weight=st.decimals(min_value=D(3), max_value=D(120), places=1),
    height=st.integers(50, 190),
    per_m2=st.booleans(),
    ordered=st.sampled_from([D("0.5"), D(1), D("1.5"), D(2), D(40), D(60)]),
    cap=st.sampled_from([D(20), D(30), D(40), D(60)]),
    daily=st.booleans(),
    times=st.sampled_from([["08:00"], ["08:00", "18:00"], ["08:00", "13:00", "18:00"]]),
    form=st.sampled_from(["tablets", "split", "liquid"]),
)
def test_caps_are_never_exceeded(
    weight: Decimal,
    height: int,
    per_m2: bool,
    ordered: Decimal,
    cap: Decimal,
    daily: bool,
    times: list[str],
    form: str,
) -> None:
    if per_m2 != (ordered >= 40):
        ordered = D(60) if per_m2 else D(2)
    unit = "mg/m2" if per_m2 else "mg/kg"
    product = {
        "tablets": 'tablets = ["20 mg", "10 mg", "5 mg", "1 mg"]',
        "split": 'tablets = ["5 mg"]\nsplit = true',
        "liquid": 'liquid = "15 mg/5 mL"',
    }[form]
    key = "max_daily" if daily else "max"
    text = (
        f'start = 2026-12-01\ntimezone = "Europe/London"\n[patient]\nweight = "{weight} kg"\n'
        f'height = "{height} cm"\n[[phase]]\ndrug = "prednisolone"\n{product}\n'
        f'dose = "{ordered} {unit}"\n{key} = "{cap} mg"\ndays = 2\nat = {json.dumps(times)}\n'
        'allow = ["above-per-weight-ceiling", "large-liquid-volume"]\n'
    )
    try:
        plan = plan_text(text)
    except RegimenError as err:
        # Only a dose too small to make or measure may fail, or an order above the highest
        # documented 8 mg/kg a day (tests/test_safety.py); a cap never makes one fail.
        message = str(err)
        assert (
            "cannot be made" in message
            or "too little to measure" in message
            or "It cannot be allowed" in message
        ), message
        return
    by_day: dict[int, Decimal] = defaultdict(Decimal)
    for dose in plan.doses:
        assert dose.amount is not None and dose.basis is not None
        by_day[dose.day] += dose.amount
        if not daily:
            assert dose.amount <= cap
        if per_m2:
            assert plan.patient.bsa_m2 is not None
            assert dose.basis.size == plan.patient.bsa_m2
        if dose.basis.capped is not None:
            assert dose.amount <= dose.basis.capped  # rounding never goes above a cap
    if daily:
        assert all(total <= cap for total in by_day.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fill=st.integers(1, 60),
    days=st.lists(st.integers(1, 40), min_size=1, max_size=4),
    liquid=st.booleans(),
)
def test_fill_quantities_add_up_to_the_total(fill: int, days: list[int], liquid: bool) -> None:
    product = 'liquid = "5 mg/5 mL"' if liquid else 'tablets = ["20 mg", "5 mg", "1 mg"]'
    steps = ", ".join(
        f'{{ dose = "{max(1, 60 - 10 * n)} mg", days = {d} }}' for n, d in enumerate(days)
    )
    text = (
        f'start = 2026-12-01\ntimezone = "Europe/London"\nfill = "{fill} days"\n'
        f'[[phase]]\ndrug = "prednisone"\n{product}\nat = ["08:00"]\nsteps = [{steps}]\n'
        '[[phase]]\ndrug = "methylprednisolone"\npack = "methylprednisolone 4 mg dose pack"\n'
    )
    plan = plan_text(text)
    assert len(plan.fills) == -(-plan.doses[-1].day // fill)
    assert_fills_add_up(plan)


def test_max_daily_on_a_series_caps_the_days_doses_together() -> None:
    text = (
        'start = 2026-12-01\ntimezone = "Europe/London"\n[patient]\nweight = "70 kg"\n'
        '[[phase]]\ndrug = "methylprednisolone"\nroute = "iv"\ndose = "0.5 mg/kg"\n'
        'every = "6h"\ndays = 2\nat = ["00:00"]\nduration = "1 h"\nmax_daily = "100 mg"\n'
    )
    plan = plan_text(text)
    assert {d.amount for d in plan.doses} == {D(25)}  # 35 mg × 4 = 140 mg a day, capped at 100
    assert len(plan.doses) == 8
    basis = plan.doses[0].basis
    assert basis is not None
    assert basis_text(basis) == ("0.5 mg/kg × 70 kg = 35 mg, capped at 100 mg a day: 25 mg a dose")


# -- end to end: the three handouts ------------------------------------------------------------


def pdf_text(plan: Plan, audience: str, **options: Any) -> tuple[str, ...]:
    import io

    import pypdf

    from taper.export.pdf import render_pdf

    reader = pypdf.PdfReader(io.BytesIO(render_pdf(plan, audience, stamp=STAMP, **options)))
    return tuple(
        " ".join(page.extract_text().replace("\u00a0", " ").split()) for page in reader.pages
    )


def test_pharmacist_sheet_shows_the_cap_and_the_bsa_with_its_inputs() -> None:
    asthma = " ".join(pdf_text(plan_of("format-child-asthma-capped.toml"), "pharmacist"))
    assert "Burst, days 1–5: 2 mg/kg × 34.9 kg = 69.8 mg, capped at 60 mg" in asthma
    assert "Measure 20 mL of 15 mg/5 mL (60 mg)" in asthma
    patient = " ".join(pdf_text(plan_of("format-child-asthma-capped.toml"), "patient"))
    # The patient sees the dose to take; the arithmetic is the pharmacist's.
    assert "60 mg (20 mL) once a day" in patient
    assert "69.8" not in patient and "34.9 kg" not in patient
    nephrotic = " ".join(pdf_text(plan_of("format-nephrotic-bsa.toml"), "pharmacist"))
    assert "Body surface area (Mosteller) = √(115 cm × 20 kg ÷ 3600) = 0.80 m²" in nephrotic
    assert "Daily, days 1–28: 60 mg/m² × 0.80 m² = 48 mg" in nephrotic


def test_pharmacist_sheet_dispenses_packs_and_fills() -> None:
    pack = " ".join(pdf_text(plan_of("format-dose-pack-late.toml"), "pharmacist"))
    assert "methylprednisolone 4 mg dose pack 1 pack (21 tablets)" in pack
    assert "3 will be left over" in pack
    gca = " ".join(pdf_text(plan_of("format-gca-2-year.toml"), "pharmacist"))
    assert "Fill 1 of 25: days 1–28" in gca and "Fill 25 of 25: days 673–700" in gca
    assert "Prednisone 1 mg tablets 1120 tablets" in gca  # the course's total


def test_series_sig_and_patient_lines() -> None:
    plan = plan_of("format-ontt-every-6h-dst.toml")
    pharmacist = " ".join(pdf_text(plan, "pharmacist"))
    assert (
        "Give 250 mg IV over 1 h every 6 hours around the clock, first dose at 18:00: "
        "12 doses over 3 days" in pharmacist
    )
    patient = " ".join(pdf_text(plan, "patient"))
    assert "every 6 hours, day and night: 12 doses, the first at 6:00 PM" in patient
    nurse = " ".join(pdf_text(plan, "nurse"))
    assert "7:00 AM" in nurse or "07:00" in nurse  # the dose after the clock change


def test_a_two_year_patient_handout_stays_short() -> None:
    plan = plan_of("format-gca-2-year.toml")
    pages = pdf_text(plan, "patient")
    assert len(pages) <= 20
    text = " ".join(pages)
    assert "This checklist covers days 1 to 28 (your first supply)." in text
    assert "Day 28 of 700" in text and "Day 29 of 700" not in text
    for month in ("December 2026", "October 2028"):
        assert month in text
    # Europe/London: the 24-hour clock (taper.voice.words.words_for)
    assert "Alendronate 70 mg (as prescribed): 07:00 every Monday." in text
    assert "every 28 days" in text
    large = pdf_text(plan, "patient", large_print=True)
    assert len(large) <= 30


def test_the_checklist_of_another_fill_period(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from taper.cli import main

    plan = plan_of("format-gca-2-year.toml")
    text = " ".join(pdf_text(plan, "patient", fill=3))
    assert "This checklist covers days 57 to 84 (supply 3 of 25)." in text
    assert "Day 57 of 700" in text and "Day 84 of 700" in text
    assert "Day 56 of 700" not in text and "Day 85 of 700" not in text
    runner = CliRunner()
    out = tmp_path / "p.pdf"
    regimen = str(REGIMENS / "format-gca-2-year.toml")
    result = runner.invoke(
        main, ["pdf", regimen, "--for", "patient", "--fill", "26", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert (
        "Invalid value for --fill: this course has 25 fill periods; give a number from 1 to 25"
        in (result.output)
    )
    assert not out.exists()
    result = runner.invoke(
        main,
        ["pdf", regimen, "--for", "patient", "--fill", "25", "-o", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0 and out.exists()


ODD_VALUES = [
    0,
    -1,
    3,
    Decimal("1.5"),
    True,
    "",
    " ",
    "6h",
    "5h",
    "0h",
    "28 days",
    "0 days",
    "60 mg",
    "2 mg/kg",
    "60 mg/m2",
    "120 cm",
    "mon",
    ["mon"],
    ["xyz"],
    [],
    [3],
    {},
    {"a": 1},
    "methylprednisolone 4 mg dose pack",
    date(2026, 12, 3),
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    phase_values=st.dictionaries(
        st.sampled_from(["max", "max_daily", "every", "pack", "dose", "days", "at"]),
        st.sampled_from(ODD_VALUES),
    ),
    also_values=st.dictionaries(
        st.sampled_from(["every", "weekdays", "days", "during", "on"]), st.sampled_from(ODD_VALUES)
    ),
    top=st.dictionaries(st.sampled_from(["fill"]), st.sampled_from(ODD_VALUES)),
    patient=st.dictionaries(st.sampled_from(["height", "weight"]), st.sampled_from(ODD_VALUES)),
)
def test_new_keys_with_any_value_give_problems_never_a_crash(
    phase_values: dict[str, Any],
    also_values: dict[str, Any],
    top: dict[str, Any],
    patient: dict[str, Any],
) -> None:
    phase: dict[str, Any] = {
        "name": "A",
        "drug": "methylprednisolone",
        "dose": "4 mg",
        "days": 3,
        "at": ["08:00"],
    }
    phase.update(phase_values)
    also: dict[str, Any] = {"kind": "check", "what": "x", "at": ["09:00"]}
    also.update(also_values)
    document = {
        "start": date(2026, 12, 1),
        "timezone": "Europe/London",
        **top,
        "patient": patient,
        "phase": [phase],
        "also": [also],
    }
    regimen, problems = parse_regimen(document, "r.toml")
    if regimen is None:
        assert problems
        return
    try:
        build_plan(regimen, problems, today=TODAY)
    except RegimenError as err:
        assert err.problems
        assert all(p.message for p in err.problems)
