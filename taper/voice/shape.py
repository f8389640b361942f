"""The course's shape, read from the plan: whether the dose ever changes and whether it comes
down before the end. Sentences that describe the shape ("as your dose comes down near the end
of the course", "the dose changes on the dates shown", "changes from day to day") are printed
only when the plan has it: taper never invents a taper, and the words must not either."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from taper.records.plan import Day, PhasePlan, Plan


def _day_amounts(day: Day, drugs: set[str] | None = None) -> tuple[tuple[str, str, Decimal], ...]:
    """What a day gives of each medicine: (drug, unit, total), in a fixed order."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for dose in day.doses:
        if dose.amount is None or dose.unit is None:
            continue
        if drugs is not None and dose.drug not in drugs:
            continue
        totals[(dose.drug, dose.unit)] += dose.amount
    return tuple(sorted((drug, unit, total) for (drug, unit), total in totals.items()))


def dose_changes(plan: Plan) -> bool:
    """True when the amounts of one dosing day differ from another's (a taper, a step, a
    second phase): a course with the same dose every dosing day has no dose change."""
    amounts = {_day_amounts(day) for day in plan.days if day.doses}
    return len(amounts) > 1


def steroid_comes_down(plan: Plan) -> bool:
    """True when a steroid's daily amount is lower on its last dosing day than at its most:
    the course ends on a lower dose than it reached (a taper, or a lower last step)."""
    steroids = {p.drug for p in plan.phases if p.drug_class == "steroid"}
    by_drug: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for day in plan.days:
        for drug, unit, total in _day_amounts(day, steroids):
            by_drug[(drug, unit)].append(total)
    return any(totals[-1] < max(totals) for totals in by_drug.values())


def daily_amount_varies(phase: PhasePlan) -> bool:
    """True when a phase's daily total differs between its dosing days."""
    totals = {
        sum((d.amount for d in step.doses if d.amount is not None), Decimal(0))
        for step in phase.steps
        if step.doses
    }
    return len(totals) > 1
