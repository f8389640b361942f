"""Dispensing at the edges (issue 18): whole vials for a dose larger than a vial, and whole
tablets before halves; each with a regression test that failed before its fix, and the
hypothesis properties for the class."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taper.errors import RegimenError
from taper.plan import Plan
from taper.regimen import parse_regimen
from taper.schedules import build_plan
from taper.tablets import tablets_for
from taper.units import ceil_div

TODAY = date(2026, 11, 22)
D = Decimal


def plan_text(text: str) -> Plan:
    regimen, problems = parse_regimen(tomllib.loads(text, parse_float=Decimal), "r.toml")
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
