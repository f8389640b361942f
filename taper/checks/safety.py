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

from taper.checks import emergency as numbers
from taper.read.catalogue import Drug, find_drug
from taper.read.quantities import number_text, quantity_text
from taper.read.rules import (
    ACTH_ADRENAL_DAYS,
    ADRENAL_HIGH_DAYS,
    ADRENAL_HIGH_MG,
    ADRENAL_LOW_DAYS,
    ADRENAL_LOW_MG,
    EVENING_FROM,
    EVENING_UNTIL,
    MANY_TABLETS,
    Pulse,
    depot_days,
    exposure_runs,
    is_iv_push,
    longest_exposure,
    measured_volume,
    rules,
    syringe_step,
)
from taper.read.units import MASS_UNITS, Amount, parse_amount, plain

# The rule tables live in taper.read.rules; these names stay importable from here for callers.
__all__ = [
    "check",
    "depot_days",
    "emergency_for",
    "is_iv_push",
    "measured_volume",
    "rules",
    "syringe_step",
]

if TYPE_CHECKING:
    from taper.read.regimen import Phase, Regimen
    from taper.records.plan import Dose, Emergency, PhasePlan


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
    _check_care_team(engine)
    _check_limits(engine, scheduled)
    _check_below_usual(engine, scheduled)
    _check_per_weight(engine, scheduled)
    _check_high_oral(engine, scheduled)
    _check_liquid_volume(engine, scheduled)
    _check_uneven_day(engine, scheduled)
    _check_injectors(engine, scheduled)
    _check_phases(engine, scheduled)
    _check_taper_direction(engine, phases, regimen)
    per_day = _prednisone_days(scheduled, phases)
    _check_adrenal(engine, scheduled, per_day)
    _check_after(engine, scheduled, per_day)
    if "pregnancy" in regimen.conditions:
        for phase in regimen.phases:
            if phase.drug is not None and phase.drug.fluorinated:
                # Into a muscle, it is the antenatal course given for the baby's lungs
                # (clinical-reference-3 §3): the same fact, said for what it is for.
                purpose = (
                    ": that is the purpose of antenatal corticosteroids (for the baby's lungs, "
                    "given into a muscle); confirm that this is the indication"
                    if phase.route == "im"
                    else "; confirm the choice for a pregnant patient"
                )
                engine.warn(
                    "pregnancy-fluorinated",
                    f"{phase.drug.display} reaches the baby far more than prednisolone "
                    f"or methylprednisolone{purpose}",
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
    return quantity_text(plain(base / MASS_UNITS.get(unit, Decimal(1))), unit)


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
                    f"{quantity_text(dose.amount, dose.unit)} at {dose.time} on day {dose.day} "
                    f"is above the highest documented dose, {limit.highest_per_dose_per_kg} "
                    f"({quantity_text(plain(per_dose), 'mg')} for {quantity_text(weight, 'kg')})",
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
                said = (
                    "taper's guard against slips (not a confirmed highest dose), "
                    if limit.highest_unconfirmed
                    else "the highest documented "
                )
                for item, days in _by_phase(over, owners[key]):
                    top = max(by_day[day] for day in days)
                    up_to = "" if all(by_day[day] == top for day in days) else "up to "
                    _above(
                        engine,
                        item,
                        drug,
                        f"{up_to}{_in_unit(top, item.dose.unit or 'mg')} a day "
                        f"{ROUTE_WORDS[route]} "
                        f"({_days_text(days)}) is above {said}"
                        f"{_per_day(highest.value, highest.unit, weight)}",
                    )
        if highest is None and limit.usual_per_day is not None:
            _check_slip_guard(engine, drug, route, limit.usual_per_day, by_day, owners[key])
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
                    f"{quantity_text(weight or Decimal(0), 'kg')})",
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


def _check_slip_guard(
    engine: _Engine,
    drug: Drug,
    route: str,
    usual: Amount,
    by_day: dict[int, Decimal],
    owners: dict[int, _Scheduled],
) -> None:
    """A drug whose documented dose has no documented highest one (deflazacort, antenatal
    betamethasone, replacement hydrocortisone): a day at ``times_usual`` times that dose or more
    is a slip (10×, per kg for mg) unless allowed. The guard is taper's, and says so: it is
    never printed as a documented highest dose (clinical-reference §5's purpose, issue 25)."""
    weight = engine.regimen.weight_kg
    documented = _limit_amount(usual.value, usual.unit, weight)
    if documented is None:
        return  # per kg without a weight: warned as dose-not-checked
    times = rules().times_usual
    guard = documented * times
    over = sorted(day for day, total in by_day.items() if total >= guard)
    for item, days in _by_phase(over, owners):
        top = max(by_day[day] for day in days)
        up_to = "" if all(by_day[day] == top for day in days) else "up to "
        _above(
            engine,
            item,
            drug,
            f"{up_to}{_in_unit(top, item.dose.unit or 'mg')} a day {ROUTE_WORDS[route]} "
            f"({_days_text(days)}) is {_times(top, documented)} times the documented "
            f"{_per_day(usual.value, usual.unit, weight)}; no higher dose is documented, and "
            f"taper refuses {times} times it or more",
        )


def _times(amount: Decimal, documented: Decimal) -> str:
    """``10`` or ``5.5``: how many times the documented dose a day's total is."""
    return format(plain((amount / documented).quantize(Decimal("0.1"))), "f")


def _check_below_usual(engine: _Engine, scheduled: Sequence[_Scheduled]) -> None:
    """A day's total below the low end of the drug's usual range by that route: a downward
    g/mg (1 mg for 1 g) or mg/mcg slip, which the upper limits cannot see."""
    weight = engine.regimen.weight_kg
    lowest = rules().lowest
    daily: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    owners: dict[tuple[str, str], dict[int, _Scheduled]] = defaultdict(dict)
    for item in scheduled:
        dose = item.dose
        if dose.amount is None or dose.unit is None or item.phase.drug is None:
            continue
        key = (dose.drug, dose.route)
        if key not in lowest:
            continue
        hours = item.phase.interval_hours
        if hours:
            # A round-the-clock series' first and last calendar days hold only some of its
            # doses: judge it by the daily rate it was ordered at, not by those part-days.
            rate = _ordered(item, weight) * 24 / hours
            daily[key][dose.day] = max(daily[key][dose.day], rate)
        else:
            daily[key][dose.day] += _ordered(item, weight)
        owners[key].setdefault(dose.day, item)
    for key, by_day in daily.items():
        low = lowest[key]
        floors: list[tuple[Decimal, str]] = []
        if low.per_day is not None and low.per_day_text is not None:
            floors.append((low.per_day, f"{parse_amount(low.per_day_text)} a day"))
        if low.per_kg_per_day is not None and low.per_kg_text is not None and weight is not None:
            per_kg = parse_amount(low.per_kg_text)
            floors.append(
                (
                    low.per_kg_per_day * weight,
                    f"{per_kg} a day ({_in_unit(low.per_kg_per_day * weight, per_kg.base_unit)} "
                    f"for {quantity_text(weight, 'kg')})",
                )
            )
        if not floors:
            continue  # a per-kg floor without a weight: not checked (the weight is warned of)
        floor, floor_text = min(floors)
        under = sorted(day for day, total in by_day.items() if total < floor)
        for item, days in _by_phase(under, owners[key]):
            drug = item.phase.drug
            assert drug is not None
            least = min(by_day[day] for day in days)
            as_low = "" if all(by_day[day] == least for day in days) else "as little as "
            what = (
                f"{as_low}{_in_unit(least, item.dose.unit or 'mg')} a day "
                f"{ROUTE_WORDS[key[1]]} ({_days_text(days)}) is below the usual {floor_text}"
            )
            if "below-usual-dose" in item.phase.allow:
                engine.warn(
                    "below-usual-allowed",
                    f"{drug.display}: {what}; allowed by the prescriber "
                    '(allow = ["below-usual-dose"])',
                    item.place,
                )
            elif low.error:
                engine.problem(
                    item.place,
                    f"{drug.display}: {what}. Check for a g/mg slip (1 mg written for 1 g) or "
                    'mcg for mg; if this dose is intended, add allow = ["below-usual-dose"] to '
                    "the phase",
                )
            else:
                engine.warn(
                    "below-usual-dose",
                    f"{drug.display}: {what}; check for a g/mg or mcg/mg slip",
                    item.place,
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
    text = f"{quantity_text(value, unit)} a day"
    if unit.endswith("/kg") and weight is not None:
        base = _limit_amount(value, unit, weight)
        assert base is not None
        text += f" ({_in_unit(base, _mass_of(unit))} for {quantity_text(weight, 'kg')})"
    return text


def _allowed_or_refused(
    engine: _Engine, phase: Phase, place: str, allowance: str, code: str, text: str, fix: str
) -> None:
    """A likely slip: a warning (``code``) when the phase says ``allow = [allowance]``, else an
    error whose ``fix`` ends in "...; if this dose is intended," before the allowance to add."""
    if allowance in phase.allow:
        engine.warn(code, f'{text}; allowed by the prescriber (allow = ["{allowance}"])', place)
    else:
        engine.problem(place, f'{text}. {fix} add allow = ["{allowance}"] to the phase')


def _above(engine: _Engine, item: _Scheduled, drug: Drug, what: str) -> None:
    _allowed_or_refused(
        engine,
        item.phase,
        item.place,
        "above-documented-dose",
        "above-documented-allowed",
        f"{drug.display}: {what}",
        "Check for a g/mg or per-kg slip; if this dose is intended,",
    )


def _check_phases(engine: _Engine, scheduled: Sequence[_Scheduled]) -> None:
    seen_unknown: set[str] = set()
    for phase in engine.regimen.phases:
        if phase.drug is None and phase.drug_id not in seen_unknown:
            seen_unknown.add(phase.drug_id)
            if phase.declared_class == "glucocorticoid":
                said = (
                    "its doses are not checked or converted to prednisone; as a declared "
                    "glucocorticoid it gets taper's general steroid advice, with the card, "
                    "vaccine and adrenal advice judged by the course's length alone"
                )
            else:
                said = "its doses are not checked and it has no watch list"
            engine.warn(
                "unknown-drug",
                f'"{phase.drug_text}" is not in taper\'s drug list: {said}',
                f"{phase.place}.drug",
            )
        drug = phase.drug
        if drug is None or phase.route != "iv":
            continue
        if phase.duration_min is None and not is_iv_push(drug.id, phase.route, None):
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
    many: dict[str, Decimal] = {}
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
        if count >= MANY_TABLETS and count > many.get(item.phase.place, Decimal(0)):
            many[item.phase.place] = count
    for place, times in evening.items():
        engine.warn(
            "evening-dose",
            f"a steroid dose at {', '.join(sorted(times))} can keep the patient awake; "
            "morning doses are usual unless the order says otherwise",
            f"{place}.at",
        )
    capsule_places = {p.place for p in engine.regimen.phases if p.solid_form == "capsule"}
    for place, count in many.items():
        units = "capsules" if place in capsule_places else "tablets"
        engine.warn(
            "many-tablets",
            f"up to {number_text(count, 'tablets')} {units} at one time; tell the patient to "
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
        rising: list[int] = []
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
                rising.append(number)
            previous = total
        # One warning a phase (issue 25 L6): a planned build-up rises at every step, and a
        # warning per step buried the others.
        if not rising:
            continue
        if phase.form == "taper" and phase.taper is not None:
            rule = phase.taper
            engine.warn(
                "taper-step-up",
                f"the dose goes up from {rule.start} to {rule.end} in {len(plan.steps)} steps "
                "(a build-up); check that the dose is meant to go up",
                rule.place,
            )
        elif len(rising) == 1:
            number = rising[0]
            engine.warn(
                "taper-step-up",
                f"step {number} gives more a day than step {number - 1}; "
                "check that the dose is meant to go up",
                f"{phase.place}.steps[{number}]",
            )
        else:
            engine.warn(
                "taper-step-up",
                f"steps {_numbers(rising)} each give more a day than the step before; "
                "check that the dose is meant to go up",
                f"{phase.place}.steps[{rising[0]}]",
            )


def _numbers(numbers: Sequence[int]) -> str:
    """``2, 3 and 5``."""
    words = [str(number) for number in numbers]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _prednisone_days(
    scheduled: Sequence[_Scheduled], phases: Sequence[PhasePlan]
) -> dict[int, Decimal]:
    """Each course day's prednisone-equivalent total (oral and IV, where the ratios hold).

    Every day of an every-other-day (or every-N-day) step counts at the step's daily average,
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
            # Every day of the step, its dose days too, counts at the daily average: a run of
            # days above 5 mg must not be made of 10 mg dose days alone (10 mg every other day
            # is 5 mg a day), now that runs join across the days between them.
            for day in range(step.first_day, step.last_day + 1):
                per_day[day] += given * ratio / step.every
                if not (day - step.first_day) % step.every:
                    per_day[day] -= given * ratio
    return per_day


def _check_adrenal(
    engine: _Engine, scheduled: Sequence[_Scheduled], per_day: dict[int, Decimal]
) -> None:
    """The §6 rule, on prednisone-equivalent daily totals (``_prednisone_days``)."""
    # Counted in continuous runs (taper.read.rules.exposure_runs): cycles weeks apart are short
    # courses, each judged alone (clinical-reference §6: no taper under 3-4 weeks).
    above_low = longest_exposure(per_day, lambda total: total > ADRENAL_LOW_MG)
    above_high = longest_exposure(per_day, lambda total: total > ADRENAL_HIGH_MG)
    long_enough = above_low >= ADRENAL_LOW_DAYS or above_high > ADRENAL_HIGH_DAYS
    acth_days = {
        item.dose.day: Decimal(1)
        for item in scheduled
        if item.phase.drug is not None and item.phase.drug.drug_class == "acth"
    }
    if not long_enough and acth_days:
        span = longest_exposure(acth_days, lambda _: True)
        if span >= ACTH_ADRENAL_DAYS:
            # A course that goes on after this plan (after = "continue") has no end here to
            # confirm: the plan for stopping is what to agree, whenever it comes.
            confirm = (
                "Agree how it will be tapered when it is to stop"
                if engine.regimen.after == "continue"
                else "Confirm how the course ends"
            )
            engine.warn(
                "adrenal",
                f"ACTH gel is given over {span} days: the label warns that prolonged use can "
                f"suppress the adrenal glands and advises tapering rather than stopping "
                f"suddenly. {confirm}, and watch for adrenal insufficiency after it",
            )
    by_length = {
        item.dose.day: Decimal(1)
        for item in scheduled
        if _counted_by_length(item.phase) and item.dose.amount is not None
    }
    if not long_enough and by_length:
        span = longest_exposure(by_length, lambda _: True)
        if span >= ADRENAL_LOW_DAYS:
            engine.warn(
                "adrenal",
                f"a glucocorticoid with no prednisone equivalence in taper is given over {span} "
                "days: judged by length alone, this course can suppress the adrenal glands. "
                "Taper rather than stop suddenly, and watch for adrenal insufficiency after it",
            )
    if long_enough:
        engine.warn(
            "adrenal",
            f"this course gives more than prednisone {ADRENAL_LOW_MG} mg a day (or its "
            f"equivalent) over a run of {above_low} days and more than {ADRENAL_HIGH_MG} mg over "
            f"a run of {above_high} days (days without a dose count inside a run; only a break "
            f"of {rules().exposure_break_days} days or more ends it): long and high enough to "
            "suppress the adrenal glands. Taper rather than stop suddenly, and watch for adrenal "
            "insufficiency after the course",
        )


def _check_after(
    engine: _Engine, scheduled: Sequence[_Scheduled], per_day: dict[int, Decimal]
) -> None:
    """A course that does not say what follows its last day (``after``) is refused when its end
    looks like the end of one prescription of a treatment that goes on, not a stop: the last
    day's dose is above the adrenal rule's low dose after a long run above it (§6: "taper
    rather than stop"), or the last day gives a drug the catalogue marks as replacement or
    maintenance (oral hydrocortisone, deflazacort). Printing "then stop" and "your last dose"
    on such a plan tells the patient to stop a steroid that must not stop suddenly."""
    if engine.regimen.after is not None:
        return
    steroid_days = [
        item.dose.day
        for item in scheduled
        if item.phase.drug is not None
        and item.phase.drug.is_steroid
        and item.dose.amount is not None
    ]
    if not steroid_days:
        return
    last = max(steroid_days)
    fix = (
        'say after = "stop" if it really stops there (then taper it down), or after = '
        '"continue" if the patient keeps taking it after this plan'
    )
    ends_at = per_day.get(last, Decimal(0))
    if ends_at > ADRENAL_LOW_MG:
        run = next(
            (
                (first, end)
                for first, end in exposure_runs(per_day, lambda total: total > ADRENAL_LOW_MG)
                if first <= last <= end
            ),
            None,
        )
        if run is not None and run[1] - run[0] + 1 >= ADRENAL_LOW_DAYS:
            days = run[1] - run[0] + 1
            weeks = f" ({days // 7} weeks)" if days >= 14 else ""
            engine.problem(
                "after",
                f"the course ends at {plain(ends_at.quantize(Decimal('0.1')))} mg a day "
                f"prednisone-equivalent, above {ADRENAL_LOW_MG} mg, after {days} days{weeks} "
                f"above {ADRENAL_LOW_MG} mg a day: a long course is not stopped suddenly; {fix}",
            )
            return
    maintained: dict[str, str] = {}
    for item in scheduled:
        drug = item.phase.drug
        if item.dose.day != last or drug is None:
            continue
        if item.dose.route in dict(drug.maintenance_routes):
            maintained.setdefault(drug.display, ROUTE_WORDS.get(item.dose.route, item.dose.route))
    for display, route in maintained.items():
        engine.problem(
            "after",
            f"the course ends with {display} {route}, a replacement or long-term treatment that "
            f"is not stopped suddenly; {fix}",
        )


def _counted_by_length(phase: Phase) -> bool:
    """A steroid phase whose dose has no prednisone equivalence in taper (a declared
    glucocorticoid, oral budesonide): its rules go by the course's length (issue 25, H1)."""
    if phase.drug is None:
        return phase.declared_class == "glucocorticoid"
    return bool(phase.drug.drug_class == "steroid" and phase.drug.counsel_by_length)


# -- issue 12: emergency number and care team (H3, M3) -----------------------------------------


def emergency_for(regimen: Regimen) -> Emergency | None:
    """The emergency number the handouts print: ``care_team.emergency``, else the zone's country."""
    from taper.records.plan import Emergency

    code = numbers.country_of(regimen.timezone)
    given = dict(regimen.care_team).get("emergency")
    if given:
        return Emergency(given, code, "care_team.emergency")
    found = numbers.country(code)
    if found is None:
        return None
    return Emergency(
        found.number,
        found.code,
        f"time zone {regimen.timezone} ({found.name}): {found.source}",
    )


def _check_care_team(engine: _Engine) -> None:
    regimen = engine.regimen
    team = dict(regimen.care_team)
    code = numbers.country_of(regimen.timezone)
    found = numbers.country(code)
    given = team.get("emergency")
    if given:
        why = numbers.wrong_number(code, given)
        if why is not None:
            fix = f'use emergency = "{found.number}"' if found else "give the emergency number"
            engine.problem("care_team.emergency", f"{why}; {fix}")
        elif found is not None and given != found.number and given not in found.also:
            engine.warn(
                "emergency-number-unconfirmed",
                f'the handouts will print "{given}", but the emergency number taper knows for '
                f"{found.name} (time zone {regimen.timezone}) is {found.number}; check it",
                "care_team.emergency",
            )
    elif found is None:
        where = (
            f"its country ({code}) is not one whose emergency number taper's reference confirms"
            if code
            else "it belongs to no country"
        )
        engine.problem(
            "care_team.emergency",
            f'is missing, and the time zone "{regimen.timezone}" cannot give the emergency '
            f"number: {where}. Add the number the patient should call, such as "
            'emergency = "112" in [care_team]; a handout must never print a wrong one',
        )
    if not team.get("phone"):
        engine.warn(
            "no-clinic-phone",
            "the care team has no phone number: the handouts cannot say whom to call about a "
            'problem. Add it in [care_team], such as phone = "212-555-0100"',
            "care_team.phone",
        )
    # The watch list names these contacts for what cannot wait (issue 25, M4).
    for condition, key, who in (
        ("pregnancy", "maternity_phone", "the maternity unit"),
        ("chemotherapy", "oncology_phone", "the cancer centre's 24-hour line"),
    ):
        if condition in regimen.conditions and not team.get(key):
            engine.warn(
                "no-contact-phone",
                f"the patient has {condition}, and the handout tells them to call {who} "
                "straight away for some signs, but its number is not given: the handout asks "
                f'the patient to write it in. Add it in [care_team], such as {key} = "..."',
                f"care_team.{key}",
            )


# -- issue 12 H1: 10x slips ---------------------------------------------------------------------


def _two(value: Decimal) -> str:
    return number_text(value, "per-weight-rate")


def _check_per_weight(engine: _Engine, scheduled: Sequence[_Scheduled]) -> None:
    """Oral prednisone/prednisolone ordered per kg (or per m²): 2 mg/kg (60 mg/m²) a day unless
    allowed, never above 8 mg/kg a day. Checked on the order before any cap: "20 mg/kg" is a
    slip even when a ``max`` brings it down to a sane dose."""
    found = rules()
    weight = engine.regimen.weight_kg
    # (drug, day) → [mg as ordered (uncapped), mg/m² ordered]
    days: dict[tuple[str, int], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    owners: dict[str, dict[int, _Scheduled]] = defaultdict(dict)
    for item in scheduled:
        dose, phase = item.dose, item.phase
        if (
            phase.drug is None
            or phase.drug.id not in found.per_weight_drugs
            or dose.route != found.per_weight_route
            or dose.amount is None
        ):
            continue
        record = days[(phase.drug.id, dose.day)]
        basis = dose.basis
        if basis is None:
            record[0] += _base(dose)
            continue
        record[0] += basis.uncapped * MASS_UNITS.get(basis.unit, Decimal(1))
        if basis.per != "kg":
            record[1] += basis.ordered * MASS_UNITS.get(basis.unit, Decimal(1))
        owners[phase.drug.id].setdefault(dose.day, item)
    for drug_id, by_day in owners.items():
        drug = find_drug(drug_id)
        assert drug is not None
        never: list[int] = []
        above: list[int] = []
        for day in sorted(by_day):
            mg, per_m2 = days[(drug_id, day)]
            per_kg = mg / weight if weight else None
            if per_kg is not None and per_kg > found.highest_per_kg:
                never.append(day)
            elif (per_m2 > found.usual_per_m2) or (
                per_kg is not None and not per_m2 and per_kg > found.usual_per_kg
            ):
                above.append(day)
        for item, group in _by_phase(never, by_day):
            mg = max(days[(drug_id, day)][0] for day in group)
            assert weight is not None
            engine.problem(
                item.place,
                f"{drug.display}: {_two(mg / weight)} mg/kg a day by mouth ({_days_text(group)}: "
                f"{_in_unit(mg, 'mg')} a day for {quantity_text(weight, 'kg')}, before any cap) is "
                f"above {quantity_text(found.highest_per_kg, 'mg/kg')} a day, the highest "
                "documented oral regimen (infantile spasms). This is almost certainly a slip "
                "(10× or mg/kg for mg): check the dose. It cannot be allowed",
            )
        for item, group in _by_phase(above, by_day):
            mg, per_m2 = max(days[(drug_id, day)] for day in group)
            if per_m2:
                usual = quantity_text(found.usual_per_m2, "mg/m2")
                what = f"{_two(per_m2)} mg/m² a day is above {usual} a day"
            else:
                assert weight is not None
                what = (
                    f"{_two(mg / weight)} mg/kg a day ({_in_unit(mg, 'mg')} for "
                    f"{quantity_text(weight, 'kg')}, before any cap) is above "
                    f"{quantity_text(found.usual_per_kg, 'mg/kg')} a day"
                )
            text = (
                f"{drug.display} by mouth ({_days_text(group)}): {what}, the usual top in "
                "the guidelines (asthma bursts, nephrotic syndrome)"
            )
            _allowed_or_refused(
                engine,
                item.phase,
                item.place,
                "above-per-weight-ceiling",
                "above-per-weight-allowed",
                text,
                "Check for a 10× or per-kg slip; if this dose is intended (such as infantile "
                f"spasms, up to {quantity_text(found.highest_per_kg, 'mg/kg')} a day),",
            )


def _check_high_oral(engine: _Engine, scheduled: Sequence[_Scheduled]) -> None:
    """A fixed daily oral dose ≥ 5× the usual one is an error unless it is a documented pulse."""
    found = rules()
    totals: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    owners: dict[str, dict[int, _Scheduled]] = defaultdict(dict)
    weight_based: set[tuple[str, int]] = set()
    for item in scheduled:
        dose, drug = item.dose, item.phase.drug
        if drug is None or dose.route != "oral" or dose.amount is None or dose.unit is None:
            continue
        if dose.unit not in MASS_UNITS:
            continue
        if dose.basis is not None and drug.id in found.per_weight_drugs:
            # Judged per kg by _check_per_weight. Another drug's per-kg dose is judged here on
            # its daily total: "60 mg/kg" of methylprednisolone is 10x its usual dose too.
            weight_based.add((drug.id, dose.day))
        totals[drug.id][dose.day] += _base(dose)
        owners[drug.id].setdefault(dose.day, item)
    for drug_id, by_day in totals.items():
        drug = find_drug(drug_id)
        assert drug is not None
        limit = drug.limit_for("oral")
        if limit is None or limit.usual_per_day is None or limit.usual_per_day.per_kg:
            continue
        if limit.highest_per_day is None:
            continue  # no documented highest dose: the slip guard in _check_limits
        usual = limit.usual_per_day.in_mg()
        threshold = usual * found.times_usual
        highest = (
            limit.highest_per_day.in_mg()
            if limit.highest_per_day is not None and not limit.highest_per_day.per_kg
            else None
        )
        high = [
            day
            for day in sorted(by_day)
            if by_day[day] >= threshold
            and (drug_id, day) not in weight_based
            and not (highest is not None and by_day[day] > highest)  # already an error
        ]
        pulses = [p for p in found.pulses if p.drug == drug_id and p.route == "oral"]
        slips = [day for day in high if not _documented_pulse(day, by_day, pulses)]
        for item, group in _by_phase(slips, owners[drug_id]):
            top = max(by_day[day] for day in group)
            documented = "; ".join(p.text for p in pulses)
            text = (
                f"{drug.display}: {_in_unit(top, item.dose.unit or 'mg')} a day by mouth "
                f"({_days_text(group)}) is {found.times_usual} times the usual "
                f"{limit.usual_per_day} a day or more, and not a documented pulse"
                + (f" ({documented})" if documented else "")
            )
            _allowed_or_refused(
                engine,
                item.phase,
                item.place,
                "high-oral-dose",
                "high-oral-dose-allowed",
                text,
                "Check for a slip (an extra 0, g for mg, a per-kg dose written in mg); if this "
                "dose is intended,",
            )


def _documented_pulse(day: int, by_day: dict[int, Decimal], pulses: list[Pulse]) -> bool:
    """The day gives a documented pulse dose, in a run of such days no longer than documented."""
    total = by_day[day]
    for pulse in pulses:
        if total != pulse.per_day_mg:
            continue
        # Count the run around the day, stopping once it is longer than documented: linear
        # in the pulse's days, whatever the course's length.
        length = 1
        for step in (-1, 1):
            other = day + step
            while by_day.get(other) == total and length <= pulse.days:
                length += 1
                other += step
        if length <= pulse.days:
            return True
    return False


#: One of a day's doses of a phase this many times another of them is a likely slip.
UNEVEN_DAY_TIMES = 10


def _check_uneven_day(engine: _Engine, scheduled: Sequence[_Scheduled]) -> None:
    """A day whose doses of one phase differ tenfold or more (hydrocortisone 100 mg on waking,
    5 mg at noon and 5 mg in the evening: the waking 10 mg written as 100) is a likely slip.
    A day's total can stay under every daily limit while one dose is ten times what was meant
    (the second clinical review's order); divided doses in use differ by a few times at most
    (a dose pack's 8 and 4 mg, hydrocortisone's 10, 5 and 5 mg)."""
    by_day: dict[tuple[str, int], list[_Scheduled]] = defaultdict(list)
    for item in scheduled:
        if item.dose.amount is not None and item.dose.amount > 0:
            by_day[(item.phase.place, item.dose.day)].append(item)
    reported: set[str] = set()
    for (place, _day), items in sorted(by_day.items(), key=lambda entry: entry[0]):
        if place in reported or len({item.dose.unit for item in items}) != 1:
            continue
        high = max(items, key=lambda item: item.dose.amount or 0)
        low = min(items, key=lambda item: item.dose.amount or 0)
        assert high.dose.amount is not None and low.dose.amount is not None
        if high.dose.amount < low.dose.amount * UNEVEN_DAY_TIMES:
            continue
        reported.add(place)
        unit = high.dose.unit or "mg"
        text = (
            f"{high.phase.display}: on day {high.dose.day}, "
            f"{quantity_text(high.dose.amount, unit)} at {high.dose.time} is "
            f"{_times(high.dose.amount, low.dose.amount)} times the "
            f"{quantity_text(low.dose.amount, unit)} at {low.dose.time}"
        )
        _allowed_or_refused(
            engine,
            high.phase,
            high.place,
            "uneven-doses",
            "uneven-doses-allowed",
            text,
            "Check for a 10× slip in one dose; if these doses are intended,",
        )


def _check_liquid_volume(engine: _Engine, scheduled: Sequence[_Scheduled]) -> None:
    """A single oral liquid dose above the largest sane volume (data/safety.toml)."""
    largest = rules().largest_liquid_ml
    worst: dict[str, _Scheduled] = {}
    for item in scheduled:
        volume = item.dose.volume_ml
        if item.dose.route != "oral" or volume is None or volume <= largest:
            continue
        seen = worst.get(item.phase.place)
        if seen is None or volume > (seen.dose.volume_ml or 0):
            worst[item.phase.place] = item
    for item in worst.values():
        dose, phase = item.dose, item.phase
        assert dose.volume_ml is not None and phase.liquid is not None
        assert dose.amount is not None and dose.unit is not None
        text = (
            f"{phase.display} {quantity_text(dose.amount, dose.unit)} is "
            f"{quantity_text(dose.volume_ml, 'mL')} of {phase.liquid.text} to take at one time, "
            f"more than {quantity_text(largest, 'mL')}"
        )
        _allowed_or_refused(
            engine,
            phase,
            item.place,
            "large-liquid-volume",
            "large-liquid-volume-allowed",
            text,
            "Check for a 10× or per-kg slip, or use a stronger liquid; if this volume is intended,",
        )


def _check_injectors(engine: _Engine, scheduled: Sequence[_Scheduled]) -> None:
    """Single-dose injectors: a known product for the drug, and whole injectors per dose."""
    found = rules()
    for phase in engine.regimen.phases:
        container = phase.container
        if container is None or container.kind != "injector" or container.amount is None:
            continue
        known = found.injectors.get(phase.drug.id) if phase.drug else None
        if known is not None:
            if phase.route not in known["routes"]:
                engine.problem(
                    f"{phase.place}.injector",
                    f"{phase.display} injectors are for {' or '.join(known['routes'])} only "
                    f"(route here: {phase.route}); use a vial for {phase.route}",
                )
            sizes = [parse_amount(size) for size in known["sizes"]]
            if container.amount not in sizes:
                engine.problem(
                    f"{phase.place}.injector",
                    f"{phase.display} injectors come as {' or '.join(known['sizes'])}; "
                    "check the product",
                )
    size_of = {
        phase.place: phase.container.amount
        for phase in engine.regimen.phases
        if phase.container is not None and phase.container.amount is not None
    }
    reported: set[str] = set()
    for item in scheduled:
        size = size_of.get(item.phase.place)
        dose = item.dose
        if size is None or dose.amount is None or dose.unit is None or item.place in reported:
            continue
        if size.is_mass and dose.unit in MASS_UNITS:
            count = _base(dose) / size.in_mg()
        elif size.unit == dose.unit:
            count = dose.amount / size.value
        else:
            reported.add(item.place)
            engine.problem(
                f"{item.phase.place}.injector",
                f"{size} injectors cannot give a dose in {dose.unit}; check the injector",
            )
            continue
        if count != count.to_integral_value():
            reported.add(item.place)
            engine.problem(
                item.place,
                f"{quantity_text(dose.amount, dose.unit)} cannot be given with {size} "
                "injectors (one dose each, no part doses); use a smaller injector, or a vial "
                '(vial = "5 mL" with its liquid)',
            )
