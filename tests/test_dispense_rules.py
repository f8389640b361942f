"""Dispensing at the edges (issue 18 items 1, 2, 3, 6): whole vials for a dose larger than a
vial, containers and whole tablets in every fill, and whole tablets before halves; each with a
regression test that failed before its fix, and the hypothesis properties for the class."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taper.engine.schedules import build_plan
from taper.export.json import render_json
from taper.read.errors import RegimenError
from taper.read.regimen import parse_regimen
from taper.read.units import ceil_div
from taper.records.plan import Plan
from taper.records.tablets import tablets_for
from taper.voice.amounts import fill_intro, fill_rows

TODAY = date(2026, 11, 22)
SCHEMA = json.loads(
    (Path(__file__).parent.parent / "taper" / "data" / "plan.schema.json").read_text("utf-8")
)
D = Decimal


def plan_text(text: str) -> Plan:
    # Written before the after key: each course stops on its last day (test_after.py).
    document = tomllib.loads('after = "stop"\n' + text, parse_float=Decimal)
    regimen, problems = parse_regimen(document, "r.toml")
    if regimen is None:
        raise RegimenError("r.toml", problems)
    return build_plan(regimen, problems, today=TODAY)


def course(phases: str, *, top: str = "") -> str:
    return (
        f'start = 2026-12-01\ntimezone = "America/New_York"\n{top}\n'
        f'[care_team]\nphone = "212-555-0100"\n[patient]\nweight = "75 kg"\n{phases}'
    )


def acth(dose: str, container: str, days: int = 14) -> str:
    return (
        '[[phase]]\ndrug = "acth"\nroute = "sc"\ngiven_by = "patient"\n'
        f'liquid = "80 units/mL"\ndose = "{dose}"\ndays = {days}\nat = ["09:00"]\n{container}\n'
    )


# -- the one ceiling --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        ("1.5", "1", 2),  # Decimal's -(-1.5 // 1) is 1: // truncates toward zero
        ("3", "1", 3),
        ("0.5", "5", 1),
        ("0", "5", 0),
        ("21", "5", 5),
        ("20", "5", 4),
        ("69.5", "1", 70),
        ("-1.5", "1", -1),
    ],
)
def test_ceil_div_is_a_ceiling(numerator: str, denominator: str, expected: int) -> None:
    assert ceil_div(D(numerator), D(denominator)) == expected


# -- item 1: a dose larger than a vial takes whole vials of its own ---------------------------


def test_a_dose_larger_than_a_vial_takes_two_vials() -> None:
    # 120 units = 1.5 mL of 80 units/mL; a 1 mL vial holds less than a dose: 2 vials a dose.
    plan = plan_text(course(acth("120 units", 'vial = "1 mL"')))
    (line,) = plan.containers
    assert (line.kind, line.count, line.used) == ("vial", 28, "21 mL")


# -- item 6: whole tablets whenever the strengths make the dose --------------------------------


@pytest.mark.parametrize(
    ("dose", "strengths", "expected"),
    [
        ("5", ["10", "5"], [("5", "1")]),  # not ½ × 10 mg
        ("7.5", ["10", "5"], [("5", "1.5")]),  # one half, not ½ × 10 + ½ × 5
        ("15", ["10", "5"], [("10", "1"), ("5", "1")]),
        ("10", ["20", "1"], [("1", "10")]),  # halves only where they must
        ("12.5", ["10", "5"], [("10", "1"), ("5", "0.5")]),
        ("5", ["10"], [("10", "0.5")]),  # no whole tablets make it: the half must be
        ("2.5", ["10", "5"], [("5", "0.5")]),
    ],
)
def test_whole_tablets_before_halves(
    dose: str, strengths: list[str], expected: list[tuple[str, str]]
) -> None:
    result = tablets_for(D(dose), tuple(D(s) for s in strengths), True)
    assert result == tuple((D(s), D(c)) for s, c in expected)


def test_a_course_on_10_and_5_mg_tablets_gives_5_mg_whole() -> None:
    plan = plan_text(
        course(
            '[[phase]]\ndrug = "prednisone"\ntablets = ["10 mg", "5 mg"]\nsplit = true\n'
            'at = ["08:00"]\n'
            'steps = [{ dose = "5 mg", days = 70 }, { dose = "7.5 mg", days = 7 }]\n'
        )
    )
    counts = {line.strength: line.count for line in plan.dispense}
    assert counts == {D(5): D("80.5")}  # 70 × 1 + 7 × 1½; no 10 mg tablet at all


def test_a_half_is_used_where_whole_tablets_would_be_over_the_limit() -> None:
    # 150 mg from 200 and 1 mg tablets: whole tablets need 150 at once (over the limit of 100),
    # so the half must be used: ½ × 200 mg + 50 × 1 mg.
    assert tablets_for(D(150), (D(200), D(1)), False) is None
    assert tablets_for(D(150), (D(200), D(1)), True) == ((D(200), D("0.5")), (D(1), D(50)))
    assert tablets_for(D(100), (D(200), D(1)), True) == ((D(1), D(100)),)  # within the limit


# -- item 2: each fill supplies the vials and injectors its days need -------------------------


@pytest.mark.parametrize(
    ("dose", "container", "per_fill", "total"),
    [
        ("120 units", 'vial = "1 mL"', [14, 14], 28),  # 2 vials a dose
        # 1 mL a dose from 5 mL vials: vials opened on days 1, 6 and 11; the vial of day 6 is
        # used on in fill 2 and counted once, in fill 1.
        ("80 units", 'vial = "5 mL"', [2, 1], 3),
        ("80 units", 'injector = "80 units"', [7, 7], 14),
        ("80 units", 'injector = "40 units"', [14, 14], 28),
    ],
)
def test_each_fill_supplies_its_vials_and_injectors(
    dose: str, container: str, per_fill: list[int], total: int
) -> None:
    plan = plan_text(course(acth(dose, container), top='fill = "7 days"'))
    (line,) = plan.containers
    assert line.count == total
    assert [sum(box.count for box in fill.containers) for fill in plan.fills] == per_fill
    rows = fill_rows(plan)
    assert not any("nothing to supply" in row[3] for row in rows)
    assert any(f"{per_fill[0]} " in row[3] and line.kind in row[3] for row in rows)
    document = render_json(plan).decode()
    assert '"containers":' in document.split('"fills":', 1)[1]


def test_a_fill_served_by_a_vial_opened_before_says_so() -> None:
    # 1 mL a day from a 5 mL vial, 2-day fills: fill 2 (days 3–4) opens no vial.
    plan = plan_text(course(acth("80 units", 'vial = "5 mL"', days=6), top='fill = "2 days"'))
    assert [fill.containers[0].count for fill in plan.fills] == [1, 0, 1]
    assert fill_rows(plan)[1][1:] == (
        "ACTH gel",
        "5 mL vials, 80 units/mL",
        "none: the doses use 2 mL from a vial supplied in an earlier fill",
    )
    assert "A vial opened in one fill and used on in the next" in fill_intro(plan)


# -- item 3: every fill dispenses whole tablets ------------------------------------------------


def test_each_fill_dispenses_whole_tablets_and_the_split_one_is_carried() -> None:
    # 15 mg = 1½ × 10 mg a day for 7 days, 3-day fills: the fills need 4½, 4½ and 1½ tablets.
    plan = plan_text(
        course(
            '[[phase]]\ndrug = "prednisone"\ntablets = ["10 mg"]\nsplit = true\n'
            'dose = "15 mg"\ndays = 7\nat = ["08:00"]\n',
            top='fill = "3 days"',
        )
    )
    assert [line.count for line in plan.dispense] == [D("10.5")]
    assert [[line.count for line in fill.dispense] for fill in plan.fills] == [[5], [4], [2]]
    assert all("½" not in row[3] for row in fill_rows(plan))
    intro = fill_intro(plan)
    assert "each fill is in whole tablets" in intro
    assert "the patient keeps the other half for the next fill" in intro
    # plan.json: whole counts in each fill, valid against the contract
    document = json.loads(render_json(plan))
    assert [f["dispense"][0]["count"] for f in document["fills"]] == [5, 4, 2]
    jsonschema.validate(document, SCHEMA)


def test_a_fill_that_needs_only_the_kept_half_supplies_none() -> None:
    # 5 mg = ½ × 10 mg a day, 1-day fills: a tablet every other fill.
    plan = plan_text(
        course(
            '[[phase]]\ndrug = "prednisone"\ntablets = ["10 mg"]\nsplit = true\n'
            'dose = "5 mg"\ndays = 3\nat = ["08:00"]\n',
            top='fill = "1 day"',
        )
    )
    assert [[line.count for line in fill.dispense] for fill in plan.fills] == [[1], [0], [1]]
    assert fill_rows(plan)[1][3] == "none: the half tablet kept from the fill before"


# -- the class: properties over generated orders -----------------------------------------------

STRENGTHS = [D(s) for s in ("1", "2", "2.5", "5", "10", "20", "25", "50")]


@settings(max_examples=150, deadline=None)
@given(
    strengths=st.lists(st.sampled_from(STRENGTHS), min_size=1, max_size=4, unique=True),
    picks=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 4)), min_size=1, max_size=3),
    half=st.booleans(),
)
def test_solve_never_splits_when_whole_tablets_make_the_dose(
    strengths: list[Decimal], picks: list[tuple[int, int]], half: bool
) -> None:
    ordered = sorted(strengths)
    dose = sum((ordered[i % len(ordered)] * n for i, n in picks), D(0))
    dose += ordered[0] / 2 if half else 0
    result = tablets_for(dose, tuple(strengths), True)
    assert result is not None  # the dose was made from these strengths
    assert sum((s * c for s, c in result), D(0)) == dose  # exactly
    assert all(s in strengths and c > 0 and c * 2 == int(c * 2) for s, c in result)
    halves = sum(1 for _, c in result if c != int(c))
    if tablets_for(dose, tuple(strengths), False) is not None:
        assert halves == 0  # whole tablets make it: no half
    else:
        assert halves == 1  # one half of the smallest strength was always enough here


def _fill_course(draw: st.DrawFn) -> str:
    strengths = draw(
        st.lists(
            st.sampled_from(["1", "2.5", "5", "10", "20"]), min_size=1, max_size=3, unique=True
        )
    )
    smallest = min(D(s) for s in strengths)
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        halves = draw(st.integers(1, 16))
        dose = smallest * halves / 2
        steps.append(f'{{ dose = "{dose.normalize():f} mg", days = {draw(st.integers(1, 12))} }}')
    tablets = ", ".join(f'"{s} mg"' for s in strengths)
    return course(
        f'[[phase]]\ndrug = "prednisone"\ntablets = [{tablets}]\nsplit = true\n'
        f'at = ["08:00"]\nsteps = [{", ".join(steps)}]\n',
        top=f'fill = "{draw(st.integers(1, 10))} days"',
    )


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_fill_dispenses_whole_tablets_that_cover_its_days(data: st.DataObject) -> None:
    plan = plan_text(data.draw(st.composite(lambda draw: _fill_course(draw))()))
    # An independent, plain count of what the days up to each fill's end use, per strength.
    needed: dict[Decimal, Decimal] = {}
    supplied: dict[Decimal, Decimal] = {}
    for fill in plan.fills:
        for day in plan.days[fill.first_day - 1 : fill.last_day]:
            for dose in day.doses:
                for tablet in dose.tablets:
                    needed[tablet.strength] = needed.get(tablet.strength, D(0)) + tablet.count
        for line in fill.dispense:
            assert line.count == int(line.count) and line.count >= 0  # whole tablets
            supplied[line.strength] = supplied.get(line.strength, D(0)) + line.count
        for strength, need in needed.items():
            # What is supplied so far covers the days so far, with less than a tablet to spare.
            assert need <= supplied.get(strength, D(0)) < need + 1
    course_total = {line.strength: ceil_div(line.count, 1) for line in plan.dispense}
    assert supplied == course_total  # the fills add up to the course's whole tablets


@settings(max_examples=40, deadline=None)
@given(
    doses=st.lists(st.sampled_from([40, 80, 120, 160, 200]), min_size=1, max_size=3),
    days=st.integers(1, 20),
    fill=st.integers(1, 10),
    container=st.sampled_from(['vial = "1 mL"', 'vial = "5 mL"', 'injector = "40 units"']),
)
def test_every_fill_supplies_the_containers_its_days_need(
    doses: list[int], days: int, fill: int, container: str
) -> None:
    steps = ", ".join(f'{{ dose = "{units} units", days = {days} }}' for units in doses)
    phase = acth("80 units", container).replace('dose = "80 units"\ndays = 14\n', "")
    phase += 'allow = ["above-documented-dose"]\n'  # 160 and 200 units: dispensing at the edge
    plan = plan_text(course(phase + f"steps = [{steps}]\n", top=f'fill = "{fill} days"'))
    (course_line,) = plan.containers
    per_fill = [sum(box.count for box in f.containers) for f in plan.fills]
    assert sum(per_fill) == course_line.count  # the fills add up to the course total
    # A plain re-count: every dose needs its own share; what is supplied up to each fill's end
    # holds what the doses up to then use (a vial is drawn from, never refilled).
    size_ml = D(1) if '"1 mL"' in container else D(5)
    used_ml = D(0)
    given_units = 0
    for f in plan.fills:
        for day in plan.days[f.first_day - 1 : f.last_day]:
            for dose in day.doses:
                assert dose.volume_ml is not None and dose.amount is not None
                used_ml += dose.volume_ml
                given_units += int(dose.amount)
        so_far = sum(per_fill[: f.number])
        if "injector" in container:
            assert so_far * 40 == given_units  # one 40-unit injector per 40 units
        else:
            assert so_far * size_ml >= used_ml
    if "injector" not in container:
        # A dose larger than a vial takes whole vials of its own.
        larger = [d.volume_ml for d in plan.doses if d.volume_ml and d.volume_ml > size_ml]
        assert course_line.count >= sum(ceil_div(v, size_ml) for v in larger)
