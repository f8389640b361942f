"""Dispensing at the edges (issue 18): whole vials for a dose larger than a vial, each with a
regression test that failed before its fix."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal

import pytest

from taper.errors import RegimenError
from taper.plan import Plan
from taper.regimen import parse_regimen
from taper.schedules import build_plan
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
