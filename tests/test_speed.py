"""Linear cost, the print run (``taper build A.toml B.toml … -o OUTDIR``) and reportlab's settings.

Timing lives in ``bench/bench.py``; these tests check behaviour only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from taper import watch
from taper.errors import RegimenError
from taper.plan import Dose, Plan
from taper.schedules import load_plan
from taper.templates import list_templates, render_template

REGIMENS = Path(__file__).parent / "regimens"
TODAY = date(2026, 11, 21)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)


def template_plans(tmp_path: Path) -> list[Plan]:
    plans = []
    for info in list_templates():
        text = render_template(
            info.name, start=date(2026, 12, 1), weight="70 kg", timezone="America/New_York"
        )
        path = tmp_path / f"{info.name}.toml"
        path.write_text(text, encoding="utf-8")
        plans.append(load_plan(path, today=TODAY))
    return plans


def reference_line(plan: Plan, dose: Dose) -> str | None:
    """The reminder line worked out from the whole watch list for one dose, as it used to be."""
    data = watch._data()
    values = watch._values(plan)
    priority = {
        (s.tier, s.text.format_map(values)): s.reminder
        for s in data.specs
        if s.reminder is not None
    }
    best: tuple[int, watch.WatchItem] | None = None
    for group in watch.watch_list(plan).groups:
        if not group.first_day <= dose.day <= group.last_day:
            continue
        for item in group.items:
            rank = priority.get((item.tier, item.text))
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, item)
    return None if best is None else f"{data.reminders[best[1].tier]} {best[1].text}"


def test_reminder_lines_worked_out_once_match_the_per_dose_answer(tmp_path: Path) -> None:
    plans = template_plans(tmp_path)
    for path in sorted(REGIMENS.glob("*.toml")):
        try:
            plans.append(load_plan(path, today=TODAY))
        except RegimenError:  # the regimens that show errors
            continue
    compared = with_line = 0
    for plan in plans:
        for dose in plan.doses:
            expected = reference_line(plan, dose)
            assert watch.reminder_line(plan, dose) == expected, (plan.title, dose.day)
            compared += 1
            with_line += expected is not None
    assert compared > 200
    assert with_line > 50  # the comparison covers real lines, not just None


def test_reminder_lines_are_worked_out_once_per_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    from taper.export.ics import render_ics

    calls: list[Plan] = []
    original = watch._reminder_lines

    def counting(plan: Plan) -> dict[int, str]:
        calls.append(plan)
        return original(plan)

    monkeypatch.setattr(watch, "_reminder_lines", counting)
    plan = load_plan(REGIMENS / "pulse-then-taper.toml", today=TODAY)
    assert len(plan.doses) > 10
    render_ics(plan, stamp=STAMP)
    render_ics(plan, stamp=STAMP)
    assert calls == [plan]
