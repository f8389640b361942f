"""Dose checks and safety warnings over a scheduled course.

Limits and rules come from the drug catalogue (``data/drugs.toml``), whose entries carry their
sources (clinical-reference §4–§7). Errors stop every command; warnings carry a stable ``code``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from taper.catalogue import Drug, find_drug
from taper.units import MASS_UNITS, format_amount, format_number, plain

if TYPE_CHECKING:
    from taper.plan import Dose, PhasePlan
    from taper.regimen import Phase, Regimen

# A steroid dose at or after 20:00, or before 05:00, keeps people awake (clinical-reference §7).
EVENING_FROM = "20:00"
EVENING_UNTIL = "05:00"
# "Many tablets at one time": a note for the patient sheet (25 × 50 mg for 1250 mg prednisone).
MANY_TABLETS = 10
# The adrenal rule, clinical-reference §6 (ESE/Endocrine Society 2024; BNF).
ADRENAL_LOW_MG, ADRENAL_LOW_DAYS = Decimal(5), 21  # > 5 mg-eq a day for ≥ 21 days
ADRENAL_HIGH_MG, ADRENAL_HIGH_DAYS = Decimal(40), 7  # > 40 mg-eq a day for > 7 days


class _Scheduled(Protocol):
    @property
    def dose(self) -> Dose: ...
    @property
    def place(self) -> str: ...
    @property
    def phase(self) -> Phase: ...


class _Engine(Protocol):
    regimen: Regimen
    today: date | None

    def problem(self, place: str, message: str) -> None: ...
    def warn(self, code: str, message: str, place: str = "") -> None: ...


def check(
    engine: _Engine, scheduled: Sequence[_Scheduled], phases: Sequence[PhasePlan], end_day: int
) -> None:
    regimen = engine.regimen
    if engine.today is not None and regimen.start < engine.today:
        engine.warn(
            "start-in-past",
            f"the course starts on {regimen.start}, which is in the past; check the start date",
            "start",
        )
    _check_limits(engine, scheduled)
    _check_phases(engine, scheduled)
    _check_taper_direction(engine, phases, regimen)
    _check_adrenal(engine, scheduled, phases)
    if "pregnancy" in regimen.conditions:
        for phase in regimen.phases:
            if phase.drug is not None and phase.drug.fluorinated:
                engine.warn(
                    "pregnancy-fluorinated",
                    f"{phase.drug.display} reaches the baby far more than prednisolone "
                    "or methylprednisolone; confirm the choice for a pregnant patient",
                    f"{phase.place}.drug",
                )


def _base(dose: Dose) -> Decimal:
    assert dose.amount is not None and dose.unit is not None
    return dose.amount * MASS_UNITS.get(dose.unit, Decimal(1))


def _ordered(item: _Scheduled, weight: Decimal | None) -> Decimal:
    """The dose as ordered, in mg (or units), for the dose limits.

    A per-weight dose is checked as ordered (dose × weight, or × body surface area, after any
    ``max`` or ``max_daily`` cap), not as rounded to a makeable dose: the rounding is taper's
    own (and is warned about), and 0.4 g/kg for 5 days must not fail the 2 g/kg course limit
    because 27.96 g a day was rounded to 28 g.
    """
    basis = item.dose.basis
    if basis is not None:
        return basis.allowed * MASS_UNITS.get(basis.unit, Decimal(1))
    return _base(item.dose)


def _in_unit(base: Decimal, unit: str) -> str:
    """A daily total (mg or units) written in the unit the dose was ordered in."""
    return format_amount(plain(base / MASS_UNITS.get(unit, Decimal(1))), unit)


ROUTE_WORDS = {"oral": "by mouth", "iv": "IV", "im": "IM", "sc": "SC"}


def _days_text(days: list[int]) -> str:
    runs: list[str] = []
    start = previous = days[0]
    for day in [*days[1:], None]:
        if day is not None and day == previous + 1:
            previous = day
            continue
        runs.append(f"{start}" if start == previous else f"{start}–{previous}")
        if day is not None:
            start = previous = day
    return ("day " if len(days) == 1 else "days ") + ", ".join(runs)


def _limit_amount(limit_text: Decimal, unit: str, weight: Decimal | None) -> Decimal | None:
    """A limit in base units (mg or units); per-kg limits need the weight."""
    if unit.endswith("/kg"):
        if weight is None:
            return None
        return limit_text * weight * MASS_UNITS.get(unit.removesuffix("/kg"), Decimal(1))
    return limit_text * MASS_UNITS.get(unit, Decimal(1))


def _check_limits(engine: _Engine, scheduled: Sequence[_Scheduled]) -> None:
    weight = engine.regimen.weight_kg
    daily: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    owners: dict[tuple[str, str], dict[int, _Scheduled]] = defaultdict(dict)
    course: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    unchecked: set[tuple[str, str]] = set()
    for item in scheduled:
        dose = item.dose
        if dose.amount is None or dose.unit is None:
            continue
        drug = item.phase.drug
        key = (dose.drug, dose.route)
        if drug is None:
            continue
        limit = drug.limit_for(dose.route)
        if limit is None:
            if key not in unchecked:
                unchecked.add(key)
                engine.warn(
                    "dose-not-checked",
                    f"taper has no documented dose range for {drug.display} by "
                    f"{dose.route}; the dose was not checked",
                    item.phase.place,
                )
            continue
        amount = _ordered(item, weight)
        daily[key][dose.day] += amount
        owners[key].setdefault(dose.day, item)
        course[key] += amount
        if limit.highest_per_dose_per_kg is not None and weight is not None:
            per_dose = _limit_amount(
                limit.highest_per_dose_per_kg.value, limit.highest_per_dose_per_kg.unit, weight
            )
            if per_dose is not None and amount > per_dose:
                _above(
                    engine,
                    item,
                    drug,
                    f"{format_amount(dose.amount, dose.unit)} at {dose.time} on day {dose.day} "
                    f"is above the highest documented dose, {limit.highest_per_dose_per_kg} "
                    f"({format_amount(plain(per_dose), 'mg')} for {format_number(weight)} kg)",
                )

    for key, by_day in daily.items():
        drug_id, route = key
        drug = find_drug(drug_id)
        assert drug is not None
        limit = drug.limit_for(route)
        assert limit is not None
        first = next(iter(owners[key].values()))
        uses_kg = any(
            a is not None and a.per_kg for a in (limit.highest_per_day, limit.usual_per_day)
        )
        if uses_kg and weight is None:
            engine.warn(
                "dose-not-checked",
                f"{drug.display} limits are per kg and patient.weight is missing; "
                "add the weight so the dose can be checked",
                first.phase.place,
            )
        highest = limit.highest_per_day
        skip_daily_highest = limit.highest_per_dose_per_kg is not None and weight is not None
        if highest is not None and not skip_daily_highest:
            ceiling = _limit_amount(highest.value, highest.unit, weight)
            if ceiling is not None:
                over = sorted(day for day, total in by_day.items() if total > ceiling)
                for item, days in _by_phase(over, owners[key]):
                    top = max(by_day[day] for day in days)
                    up_to = "" if all(by_day[day] == top for day in days) else "up to "
                    _above(
                        engine,
                        item,
                        drug,
                        f"{up_to}{_in_unit(top, item.dose.unit or 'mg')} a day "
                        f"{ROUTE_WORDS[route]} "
                        f"({_days_text(days)}) is above the highest documented "
                        f"{_per_day(highest.value, highest.unit, weight)}",
                    )
        if limit.highest_per_course is not None:
            ceiling = _limit_amount(
                limit.highest_per_course.value, limit.highest_per_course.unit, weight
            )
            if ceiling is not None and course[key] > ceiling:
                _above(
                    engine,
                    first,
                    drug,
                    f"the course gives {_in_unit(course[key], first.dose.unit or 'mg')} "
                    f"{ROUTE_WORDS[route]}, "
                    f"above the highest documented {limit.highest_per_course} per course "
                    f"({_in_unit(ceiling, _mass_of(limit.highest_per_course.unit))} for "
                    f"{format_number(weight or Decimal(0))} kg)",
                )
        usual = limit.usual_per_day
        if usual is not None:
            ceiling = _limit_amount(usual.value, usual.unit, weight)
            if ceiling is not None:
                over = sorted(day for day, total in by_day.items() if total > ceiling)
                for item, days in _by_phase(over, owners[key]):
                    top = max(by_day[day] for day in days)
                    up_to = "" if all(by_day[day] == top for day in days) else "up to "
                    engine.warn(
                        "above-usual-dose",
                        f"{drug.display} {up_to}{_in_unit(top, item.dose.unit or 'mg')} a "
                        f"day {ROUTE_WORDS[route]} ({_days_text(days)}) is above the usual "
                        f"{_per_day(usual.value, usual.unit, weight)}; check the order",
                        item.phase.place,
                    )


def _by_phase(days: list[int], owners: dict[int, _Scheduled]) -> list[tuple[_Scheduled, list[int]]]:
    """Days grouped by the phase that gives their first dose, each with that first dose."""
    groups: dict[str, tuple[_Scheduled, list[int]]] = {}
    for day in days:
        item = owners[day]
        groups.setdefault(item.phase.place, (item, []))[1].append(day)
    return list(groups.values())


def _mass_of(unit: str) -> str:
    """The unit a per-kg limit is written in: ``g/kg`` → ``g``; mg otherwise."""
    base = unit.removesuffix("/kg")
    return base if base in MASS_UNITS else "mg"


def _per_day(value: Decimal, unit: str, weight: Decimal | None) -> str:
    text = f"{format_amount(value, unit)} a day"
    if unit.endswith("/kg") and weight is not None:
        base = _limit_amount(value, unit, weight)
        assert base is not None
        text += f" ({_in_unit(base, _mass_of(unit))} for {format_number(weight)} kg)"
    return text


def _above(engine: _Engine, item: _Scheduled, drug: Drug, what: str) -> None:
    phase = item.phase
    if "above-documented-dose" in phase.allow:
        engine.warn(
            "above-documented-allowed",
            f"{drug.display}: {what}; allowed by the prescriber "
            '(allow = ["above-documented-dose"])',
            item.place,
        )
    else:
        engine.problem(
            item.place,
            f"{drug.display}: {what}. Check for a g/mg or per-kg slip; if this dose "
            'is intended, add allow = ["above-documented-dose"] to the phase',
        )


def _check_phases(engine: _Engine, scheduled: Sequence[_Scheduled]) -> None:
    seen_unknown: set[str] = set()
    for phase in engine.regimen.phases:
        if phase.drug is None and phase.drug_id not in seen_unknown:
            seen_unknown.add(phase.drug_id)
            engine.warn(
                "unknown-drug",
                f'"{phase.drug_text}" is not in taper\'s drug list: its doses are not '
                "checked and it has no watch list",
                f"{phase.place}.drug",
            )
        drug = phase.drug
        if drug is None or phase.route != "iv":
            continue
        if phase.duration_min is None:
            engine.warn(
                "infusion-length-missing",
                f"{drug.display} is an infusion but no duration is given; add "
                'duration = "1 h" (or the length ordered)',
                f"{phase.place}.duration",
            )
        limit = drug.limit_for("iv")
        if (
            limit is not None
            and limit.fastest_infusion_above is not None
            and limit.shortest_infusion_minutes is not None
            and phase.duration_min is not None
            and phase.duration_min < limit.shortest_infusion_minutes
        ):
            threshold = limit.fastest_infusion_above.in_mg()
            fast = [
                item.dose
                for item in scheduled
                if item.phase is phase
                and item.dose.amount is not None
                and _base(item.dose) > threshold
            ]
            if fast:
                engine.warn(
                    "fast-infusion",
                    f"{drug.display} above {limit.fastest_infusion_above} should run "
                    f"over at least {limit.shortest_infusion_minutes} minutes; this "
                    f"phase runs {phase.duration_min} minutes",
                    f"{phase.place}.duration",
                )

    evening: dict[str, list[str]] = defaultdict(list)
    many: dict[str, tuple[Decimal, str]] = {}
    for item in scheduled:
        dose = item.dose
        drug = item.phase.drug
        late = dose.time >= EVENING_FROM or dose.time < EVENING_UNTIL
        if (
            drug is not None
            and drug.is_steroid
            and late
            and dose.time not in evening[item.phase.place]
        ):
            evening[item.phase.place].append(dose.time)
        count = sum((t.count for t in dose.tablets), Decimal(0))
        if count >= MANY_TABLETS and count > many.get(item.phase.place, (Decimal(0), ""))[0]:
            many[item.phase.place] = (count, dose.instructions)
    for place, times in evening.items():
        engine.warn(
            "evening-dose",
            f"a steroid dose at {', '.join(sorted(times))} can keep the patient awake; "
            "morning doses are usual unless the order says otherwise",
            f"{place}.at",
        )
    for place, (count, _) in many.items():
        engine.warn(
            "many-tablets",
            f"up to {format_number(count)} tablets at one time; tell the patient to "
            "count them out and take them a few at a time with food",
            place,
        )


def _check_taper_direction(engine: _Engine, phases: Sequence[PhasePlan], regimen: Regimen) -> None:
    by_index = {phase.index: phase for phase in regimen.phases}
    for plan in phases:
        phase = by_index[plan.index]
        if phase.form not in ("steps", "taper") or phase.pack is not None:
            continue  # a dose pack started late rises from day 1 to 2: pack-left-over says so
        previous: Decimal | None = None
        for number, step in enumerate(plan.steps, 1):
            total = sum(
                (
                    d.amount * MASS_UNITS.get(d.unit, Decimal(1))
                    for d in step.doses
                    if d.amount is not None and d.unit is not None
                ),
                Decimal(0),
            )
            if previous is not None and total > previous:
                engine.warn(
                    "taper-step-up",
                    f"step {number} gives more a day than step {number - 1}; "
                    "check that the dose is meant to go up",
                    f"{phase.place}.steps[{number}]",
                )
            previous = total


def _check_adrenal(
    engine: _Engine, scheduled: Sequence[_Scheduled], phases: Sequence[PhasePlan]
) -> None:
    """The §6 rule, on prednisone-equivalent daily totals (oral and IV, where the ratios hold).

    The days between every-other-day (or every-N-day) doses count at the step's daily average,
    so that 40 mg every other day for 30 days is a month of 20 mg a day, not 15 days of 40 mg
    and 15 days of nothing.
    """
    per_day: dict[int, Decimal] = defaultdict(Decimal)
    for item in scheduled:
        dose = item.dose
        drug = item.phase.drug
        if (
            drug is None
            or drug.prednisone_equivalent is None
            or dose.amount is None
            or dose.route not in ("oral", "iv")
            or dose.unit not in MASS_UNITS
        ):
            continue
        per_day[dose.day] += _base(dose) * 5 / drug.prednisone_equivalent.in_mg()
    for phase in phases:
        drug = find_drug(phase.drug)
        if drug is None or drug.prednisone_equivalent is None or phase.route not in ("oral", "iv"):
            continue
        ratio = 5 / drug.prednisone_equivalent.in_mg()
        for step in phase.steps:
            if step.every <= 1:
                continue
            given = sum(
                (
                    d.amount * MASS_UNITS[d.unit]
                    for d in step.doses
                    if d.amount is not None and d.unit in MASS_UNITS
                ),
                Decimal(0),
            )
            for day in range(step.first_day, step.last_day + 1):
                if (day - step.first_day) % step.every:
                    per_day[day] += given * ratio / step.every
    above_low = sum(1 for total in per_day.values() if total > ADRENAL_LOW_MG)
    above_high = sum(1 for total in per_day.values() if total > ADRENAL_HIGH_MG)
    if above_low >= ADRENAL_LOW_DAYS or above_high > ADRENAL_HIGH_DAYS:
        engine.warn(
            "adrenal",
            f"this course gives more than prednisone {ADRENAL_LOW_MG} mg a day (or its "
            f"equivalent) on {above_low} days and more than {ADRENAL_HIGH_MG} mg on {above_high} "
            "days: long and high enough to suppress the adrenal glands. Taper rather than stop "
            "suddenly, and watch for adrenal insufficiency after the course",
        )
