"""Times and zones at their edges: the days the clocks change, the repeated and the skipped hour,
and zones that are not places (issue 18, items 4, 5 and 10)."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from taper.errors import RegimenError
from taper.plan import Plan
from taper.regimen import parse_regimen
from taper.schedules import build_plan

TODAY = date(2026, 11, 22)
D = Decimal


def plan_text(text: str) -> Plan:
    regimen, problems = parse_regimen(tomllib.loads(text, parse_float=Decimal), "r.toml")
    if regimen is None:
        raise RegimenError("r.toml", problems)
    return build_plan(regimen, problems, today=TODAY)


def series(
    *,
    start: str = "2027-11-06",
    zone: str = "America/New_York",
    at: str = "00:00",
    every: str = "4h",
    dose: str = "0.5 mg/kg",
    days: int = 3,
    caps: str = 'max_daily = "12 mg"\n',
) -> str:
    return (
        f'start = {start}\ntimezone = "{zone}"\n[patient]\nweight = "40 kg"\n'
        '[[phase]]\ndrug = "methylprednisolone"\nroute = "iv"\n'
        f'dose = "{dose}"\nevery = "{every}"\ndays = {days}\nat = ["{at}"]\n'
        f'duration = "30 min"\n{caps}'
    )


def mg_by_date(plan: Plan) -> dict[date, Decimal]:
    totals: dict[date, Decimal] = defaultdict(Decimal)
    for dose in plan.doses:
        assert dose.amount is not None
        totals[dose.starts.date()] += dose.amount * (1000 if dose.unit == "g" else 1)
    return totals


# -- item 4: max_daily on the day the clocks go back -------------------------------------------


def test_max_daily_is_not_exceeded_on_the_long_day_it_is_refused() -> None:
    # 2 mg every 4 hours from midnight: the 25-hour 2027-11-07 holds 7 doses, 14 mg.
    with pytest.raises(RegimenError) as caught:
        plan_text(series())
    message = str(caught.value)
    assert "phase[1].max_daily" in message
    assert "2027-11-07" in message
    assert "25 hours" in message
    assert "7 doses" in message and "14 mg" in message
    assert "12 mg" in message
    # The fix is named: a smaller dose, another first hour, or a cap the prescriber accepts.
    assert "smaller dose" in message and "first dose" in message


def test_max_daily_series_that_keeps_six_doses_on_the_long_day_is_planned() -> None:
    # From 22:00 the long day's doses are 01:00 (the second), 05:00 ... 21:00: six, 12 mg.
    plan = plan_text(series(at="22:00"))
    assert max(mg_by_date(plan).values()) <= 12


@pytest.mark.parametrize("every", ["6h", "8h", "12h"])
def test_max_daily_long_day_is_refused_for_every_interval(every: str) -> None:
    with pytest.raises(RegimenError, match="2027-11-07"):
        plan_text(series(every=every, dose="10 mg/kg", caps='max_daily = "40 mg"\n'))
