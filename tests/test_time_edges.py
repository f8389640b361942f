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


# -- item 5: the repeated hour names its instant --------------------------------------------

REPEATED = series(at="22:00", dose="250 mg", caps="", days=2)


def test_the_second_one_oclock_is_named_everywhere_it_is_printed() -> None:
    from taper.export.table import render_table
    from taper.voice.overview import calendar_lines, checklist_items
    from taper.voice.staff import appointments

    plan = plan_text(REPEATED)
    second = plan.doses[1]
    assert (second.time, second.starts.fold, second.starts.utcoffset().total_seconds()) == (
        "01:00",
        1,
        -5 * 3600,
    )
    after = "after the clocks go back"
    day2 = plan.days[1]
    # The patient's checklist and calendar (and the page's preview, which uses them).
    first_item = checklist_items(plan, day2)[0][0]
    assert first_item == "1:00\u00a0AM (after the clocks go back)"
    assert after in str(calendar_lines(plan, day2)[0])
    # The table (taper plan) and the nurse sheet.
    table_line = next(line for line in render_table(plan).splitlines() if "01:00" in line)
    assert "01:00 (after the clocks go back)" in table_line
    nurse = [row for row in appointments(plan) if row[1].startswith("01:00")]
    assert [row[1] for row in nurse] == ["01:00 (after the clocks go back)", "01:00"]
    # The warning that tells the nurse the clock times moved.
    moved = next(w for w in plan.warnings if w.code == "dst-interval")
    assert "01:00 (after the clocks go back) on 2027-11-07" in moved.message


def test_a_time_the_clocks_show_once_prints_plain() -> None:
    from taper.voice.overview import checklist_items

    plan = plan_text(REPEATED)
    assert checklist_items(plan, plan.days[2])[0][0] == "1:00\u00a0AM"


def test_the_first_of_a_repeated_time_is_named_too() -> None:
    from taper.voice.overview import checklist_items

    text = (
        'start = 2027-11-06\ntimezone = "America/New_York"\n'
        '[[phase]]\ndrug = "prednisone"\ndose = "10 mg"\ndays = 3\nat = ["01:30"]\n'
    )
    plan = plan_text(text)
    assert checklist_items(plan, plan.days[1])[0][0] == "1:30\u00a0AM (before the clocks go back)"


def test_a_time_the_clocks_skip_is_never_printed() -> None:
    from taper.export.table import render_table
    from taper.voice.overview import checklist_items

    text = (
        'start = 2027-03-13\ntimezone = "America/New_York"\n'
        '[[phase]]\ndrug = "prednisone"\ndose = "10 mg"\ndays = 3\nat = ["02:30"]\n'
    )
    plan = plan_text(text)
    assert checklist_items(plan, plan.days[1])[0][0] == "3:00\u00a0AM"
    day2 = next(line for line in render_table(plan).splitlines() if "2027-03-14" in line)
    assert "03:00" in day2 and "02:30" not in day2
