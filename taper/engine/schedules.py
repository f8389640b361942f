"""The schedule engine: a validated regimen in, an immutable day-by-day ``Plan`` out.

Pure: no click, no file I/O, no clock (``today`` is passed in). Problems found while scheduling
(a dose the tablets cannot make, a dose above the highest documented one, overlapping phases)
are collected with those the reader found, and raised together as one ``RegimenError``.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

from taper.checks import safety
from taper.read.errors import Problem, RegimenError
from taper.read.instants import moment
from taper.read.quantities import number_text, quantity_text
from taper.read.regimen import (
    DECLARED_CLASSES,
    MAX_COURSE_DAYS,
    MAX_REMINDERS,
    MAX_REMINDERS_PER_DAY,
    Cap,
    Given,
    Phase,
    Regimen,
    Step,
    TimeOfDay,
)
from taper.read.units import MASS_UNITS, Amount, ceil_div, plain
from taper.records.arithmetic import basis_text, pack_count_text
from taper.records.containers import container_lines
from taper.records.plan import (
    Basis,
    CareTeam,
    Day,
    DispenseLine,
    Dose,
    Event,
    FillPeriod,
    LiquidLine,
    PackLine,
    Patient,
    PhasePlan,
    Plan,
    PrescriberWatch,
    StepDose,
    StepPlan,
    TabletCount,
    Total,
    Warning,
)
from taper.records.tablets import nearest_makeable, tablets_for


def build_plan(
    regimen: Regimen, problems: list[Problem] | None = None, today: date | None = None
) -> Plan:
    """Expand a regimen into a plan. ``problems`` are those already found by the reader."""
    engine = _Engine(regimen, list(problems or []), today)
    plan = engine.run()
    if engine.problems:
        raise RegimenError(regimen.source, engine.problems)
    assert plan is not None
    return plan


class _Made(NamedTuple):
    """A dose made ready to give: tablets or a volume, and the amount it really is."""

    amount: Decimal
    unit: str
    tablets: tuple[TabletCount, ...]
    volume_ml: Decimal | None
    exact_volume_ml: Decimal | None = None  # before rounding to what a syringe measures


class _ScheduledDose(NamedTuple):
    dose: Dose
    place: str  # where in the regimen this dose was written
    phase: Phase


class _Planned(NamedTuple):
    """One dose of a step, made: its time, what is given, where it was written, its basis."""

    time: TimeOfDay
    made: _Made
    place: str
    basis: Basis | None


class _Maker:
    """Makes a phase's doses from its tablets or liquid, and finds makeable doses near a target."""

    def __init__(self, phase: Phase) -> None:
        self.phase = phase
        self.tablet_mode = phase.route == "oral" and phase.liquid is None and bool(phase.strengths)
        self.strengths_mg = tuple(s.in_mg() for s in phase.strengths)

    def make(self, value: Decimal, unit: str) -> _Made:
        """Raise ValueError (with the fix) when the dose cannot be given as written."""
        phase = self.phase
        if self.tablet_mode:
            if unit not in MASS_UNITS:
                raise ValueError(f"a dose in {unit} cannot be made from tablets in mg")
            dose_mg = value * MASS_UNITS[unit]
            combination = tablets_for(dose_mg, self.strengths_mg, phase.split)
            if combination is None:
                strengths = ", ".join(str(s) for s in phase.strengths)
                fixes = "list a strength that makes it"
                if phase.solid_form == "capsule":
                    # A capsule cannot be cut: never suggest split for it.
                    raise ValueError(
                        f"{quantity_text(value, unit)} cannot be made from {strengths} capsules "
                        f"(a capsule cannot be split, at most 100 at once); {fixes}, "
                        "or change the dose to one whole capsules make"
                    )
                halves = "half tablets allowed" if phase.split else "no half tablets"
                if not phase.split:
                    fixes += ", allow half tablets with split = true"
                raise ValueError(
                    f"{quantity_text(value, unit)} cannot be made from {strengths} tablets "
                    f"({halves}, at most 100 at once); {fixes}, or change the dose"
                )
            by_mg = {s.in_mg(): s for s in phase.strengths}
            tablets = tuple(
                TabletCount(
                    plain(by_mg[strength].value), by_mg[strength].unit, count, phase.solid_form
                )
                for strength, count in combination
            )
            return _Made(plain(value), unit, tablets, None)
        if phase.liquid is not None:
            volume = phase.liquid.volume_for(value, unit)
            # Rounded once, to the marks of the syringe that measures it (safety.toml, M6).
            measured = safety.measured_volume(volume)
            if measured <= 0:
                raise ValueError(
                    f"{quantity_text(value, unit)} is {quantity_text(volume, 'mL')} of "
                    f"{phase.liquid.text}, too little to measure; use a weaker liquid"
                )
            return _Made(plain(value), unit, (), plain(measured), plain(volume))
        return _Made(plain(value), unit, (), None)

    def quantum(self, unit: str) -> Decimal:
        return Decimal("0.1") if unit == "g" else Decimal(1)

    def nearest(
        self,
        target: Decimal,
        unit: str,
        below: Decimal | None = None,
        direction: str = "nearest",
    ) -> Decimal | None:
        """The makeable dose nearest ``target`` (in ``unit``), strictly under ``below``;
        ``direction`` "up" or "down" (``round`` on a per-weight phase): at or above, or at or
        below, ``target``."""
        if self.tablet_mode and unit in MASS_UNITS:
            factor = MASS_UNITS[unit]
            found = nearest_makeable(
                target * factor,
                self.strengths_mg,
                self.phase.split,
                below * factor if below is not None else None,
                direction,
            )
            return plain(found / factor) if found is not None else None
        step = self.quantum(unit)
        mode = {"up": ROUND_CEILING, "down": ROUND_FLOOR}.get(direction, ROUND_HALF_EVEN)
        rounded = (target / step).to_integral_value(rounding=mode) * step
        if below is not None and rounded >= below:
            rounded = below - step
        return plain(rounded) if rounded > 0 else None


class _Engine:
    def __init__(self, regimen: Regimen, problems: list[Problem], today: date | None) -> None:
        self.regimen = regimen
        self.problems = problems
        self.today = today
        self.warnings: list[Warning] = []
        from taper.read.zones import zone

        self.zone: tzinfo = zone(regimen.timezone)

    def problem(self, place: str, message: str) -> None:
        self.problems.append(Problem(place, message))

    def warn(self, code: str, message: str, place: str = "") -> None:
        warning = Warning(code, message, place)
        if warning not in self.warnings:
            self.warnings.append(warning)

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> Plan | None:
        regimen = self.regimen
        placed: list[tuple[Phase, int, int, tuple[Step, ...]]] = []
        cursor = 1
        for phase in regimen.phases:
            steps = self.expand(phase)
            if phase.form == "sessions":
                sessions = phase.sessions or 0
                length = (sessions - 1) * phase.session_every + 1 if sessions else 0
            else:
                length = sum(step.days for step in steps)
            if length == 0:
                continue
            first = phase.start_day or cursor
            last = first + length - 1
            if last > MAX_COURSE_DAYS:
                self.problem(
                    phase.place,
                    f"ends on course day {last}; a course is at most "
                    f"{MAX_COURSE_DAYS} days. Check the days.",
                )
                continue
            if placed and phase.start_day is None:
                self.check_rhythm(placed[-1], phase, first)
            placed.append((phase, first, last, steps))
            cursor = last + 1

        # Before any work that grows with the number of phases or doses.
        if placed and not self.within_reminder_limits(placed, max(p[2] for p in placed)):
            return None
        self.check_overlaps(placed)
        self.check_watch_days(placed)
        if not placed:
            if not self.problems:
                self.problem("phase", "no phase has a dose to schedule")
            return None

        scheduled: list[_ScheduledDose] = []
        phase_plans: list[PhasePlan] = []
        session_days: dict[str, list[int]] = {}
        for phase, first, last, steps in placed:
            doses, step_plans = self.schedule_phase(phase, first, steps)
            scheduled.extend(doses)
            # A round-the-clock series can run past midnight into the day after its last day.
            last_dose = max((item.dose.day for item in doses), default=last)
            phase_plans.append(self.phase_plan(phase, first, max(last, last_dose), step_plans))
            if phase.form == "sessions":
                session_days[phase.name] = sorted({item.dose.day for item in doses})

        end_day = max(plan.last_day for plan in phase_plans)
        events = self.schedule_also(placed, end_day, session_days)
        if events:
            end_day = max(end_day, max(event.day for event in events))

        safety.check(self, scheduled, phase_plans, end_day)
        if self.problems:
            return None
        return self.assemble(scheduled, phase_plans, events, end_day)

    # -- expanding dosing forms ------------------------------------------------------------

    def expand(self, phase: Phase) -> tuple[Step, ...]:
        if phase.taper is None:
            return phase.steps
        rule = phase.taper
        maker = _Maker(phase)
        unit = rule.start.unit  # a per-weight taper steps down in mg/kg (or mg/m²)
        start = rule.start.value
        end = _convert(rule.end, unit)
        doses: list[Decimal] = []
        if rule.by is not None and start < end:
            # A build-up (from below to): up by ``by`` at each step, to ``to`` at most.
            by = _convert(rule.by, unit)
            value = start
            while value < end and len(doses) < MAX_COURSE_DAYS:
                doses.append(value)
                value += by
            doses.append(end)
        elif rule.by is not None:
            by = _convert(rule.by, unit)
            value = start
            while value > end and len(doses) < MAX_COURSE_DAYS:
                doses.append(value)
                value -= by
            doses.append(end)
        else:
            assert rule.percent is not None
            share = 1 - rule.percent / 100
            value = start
            while value > end and len(doses) < MAX_COURSE_DAYS:
                doses.append(value)
                lower = maker.nearest(value * share, unit, below=value)
                if lower is None or lower <= end:
                    break
                value = lower
            doses.append(end)
        steps = []
        for number, value in enumerate(doses, 1):
            amount = Amount(plain(value), unit)
            steps.append(
                Step(
                    f"{rule.place}[{number}]",
                    rule.every,
                    1,
                    tuple(Given(t, amount, rule.place) for t in phase.at),
                    phase.cap,
                )
            )
        return tuple(steps)

    # -- placing ---------------------------------------------------------------------------

    def check_rhythm(
        self, before: tuple[Phase, int, int, tuple[Step, ...]], phase: Phase, first: int
    ) -> None:
        """A phase placed the day after one that doses every few days (weekly infusions, 21-day
        cycles) starts before that rhythm's next dose: say so, with the start_day that keeps
        the rhythm. (Both are real orders: IV weekly then tablets the next day, or 500 mg
        weekly then 250 mg weekly; taper does not guess which.)"""
        previous, _, last, _ = before
        if previous.period is None or previous.period <= 1:
            return
        rhythm_day = last - (previous.run - 1) + previous.period
        if first >= rhythm_day:
            return
        self.warn(
            "rhythm-follow-on",
            f"starts on course day {first}, {first - last} day{'s' if first - last != 1 else ''} "
            "after the last "
            f'dose of "{previous.name}", which came every {previous.period} days; if this phase '
            f"keeps that rhythm, add start_day = {rhythm_day}",
            phase.place,
        )

    def check_overlaps(self, placed: list[tuple[Phase, int, int, tuple[Step, ...]]]) -> None:
        for i, (a, a_first, a_last, _) in enumerate(placed):
            for b, b_first, b_last, _ in placed[i + 1 :]:
                if a_first > b_last or b_first > a_last:
                    continue
                on_purpose = (a.start_day is not None and b.start_day is not None) or (
                    b.start_day is not None and a.start_day is None and b_first >= 1
                )
                same_drug = a.drug_id == b.drug_id
                allowed = "overlap" in a.allow or "overlap" in b.allow
                if allowed:
                    continue
                if same_drug:
                    self.problem(
                        b.place,
                        f'days {b_first}–{b_last} overlap phase "{a.name}" (days '
                        f"{a_first}–{a_last}) of the same drug, which would double the dose; "
                        'fix start_day, or add allow = ["overlap"] if both are intended',
                    )
                elif not on_purpose:
                    self.problem(
                        b.place,
                        f'days {b_first}–{b_last} overlap phase "{a.name}" (days '
                        f"{a_first}–{a_last}); give start_day to place it on purpose",
                    )

    def check_watch_days(self, placed: list[tuple[Phase, int, int, tuple[Step, ...]]]) -> None:
        last = max((end for _, _, end, _ in placed), default=0)
        for entry in self.regimen.watch:
            for number, day in enumerate(entry.days, 1):
                if day > last:
                    self.problem(
                        f"{entry.place}.days[{number}]",
                        f"course day {day} is after the last dose (day {last}); "
                        "give days within the course",
                    )

    def within_reminder_limits(
        self, placed: list[tuple[Phase, int, int, tuple[Step, ...]]], end_day: int
    ) -> bool:
        """Count the reminders (doses and [[also]] items) per day before making any: at most
        ``MAX_REMINDERS_PER_DAY`` on a day and ``MAX_REMINDERS`` in the course."""
        per_day: dict[int, int] = defaultdict(int)
        for phase, first, _, steps in placed:
            if phase.form == "sessions":
                for number in range(phase.sessions or 0):
                    per_day[first + number * phase.session_every] += len(phase.at)
                continue
            if phase.interval_hours is not None:
                # A round-the-clock series: its doses a day, over its days and the day after.
                for offset in range(sum(step.days for step in steps) + 1):
                    per_day[first + offset] += 24 // phase.interval_hours
                continue
            day = first
            for step in steps:
                for offset in range(0, step.days, step.every):
                    per_day[day + offset] += len(step.doses)
                day += step.days
        ranges = {phase.name: (first, last) for phase, first, last, _ in placed}
        for item in self.regimen.also:
            days: set[int] = set()
            for name in item.during:
                if name in ranges:
                    days.update(range(ranges[name][0], ranges[name][1] + 1))
            days.update(day for day in item.days if day <= end_day or not item.every)
            if item.on is not None:
                days.add((item.on - self.regimen.start).days + 1)
            if (item.every is not None or item.weekdays) and not item.during:
                # A rhythm runs from its first day (course day 1 by default) to the last day.
                first_day = min(days, default=1)
                days.update(range(first_day, end_day + 1, item.every or 1))
            if item.weekdays:
                days = {day for day in days if self.date_of(day).weekday() in item.weekdays}
            for day in days:
                per_day[day] += len(item.at)
        total = sum(per_day.values())
        busy = sorted(day for day, count in per_day.items() if count > MAX_REMINDERS_PER_DAY)
        if busy:
            day = busy[0]
            more = f" (and {len(busy) - 1} more days)" if len(busy) > 1 else ""
            self.problem(
                "phase",
                f"course day {day}{more} has {per_day[day]} reminders (doses and [[also]] "
                f"items); at most {MAX_REMINDERS_PER_DAY} a day can be scheduled. Check the at "
                "lists and the phases and [[also]] items on that day",
            )
        if total > MAX_REMINDERS:
            self.problem(
                "phase",
                f"the course has {total:,} reminders (doses and [[also]] items); at most "
                f"{MAX_REMINDERS:,} can be scheduled. Check days, every and the at lists",
            )
        return not busy and total <= MAX_REMINDERS

    def schedule_also(
        self,
        placed: list[tuple[Phase, int, int, tuple[Step, ...]]],
        end_day: int,
        session_days: dict[str, list[int]],
    ) -> list[Event]:
        ranges = {phase.name: (first, last) for phase, first, last, _ in placed}
        events: list[Event] = []
        for item in self.regimen.also:
            days: list[int] = []
            if item.during:
                for name in item.during:
                    if name not in ranges:
                        continue
                    first, last = ranges[name]
                    if item.every is not None:
                        days.extend(range(first, last + 1, item.every))
                    elif name in session_days:
                        # During a sessions phase: the session days, not the days between.
                        days.extend(session_days[name])
                    else:
                        days.extend(range(first, last + 1))
            elif item.every is not None or item.weekdays:
                first = 1
                if item.days:
                    first = item.days[0]
                elif item.on is not None:
                    first = (item.on - self.regimen.start).days + 1
                if first > end_day:
                    where = f"{item.place}.days[1]" if item.days else f"{item.place}.on"
                    self.problem(
                        where,
                        f"course day {first} is after the course's last day ({end_day})",
                    )
                    continue
                days.extend(range(first, end_day + 1, item.every or 1))
            elif item.days:
                # A day after the last dose is a follow-up (a blood test the day after), as a
                # date in `on` is (issue 25 L7): the plan runs on to it, "after the course".
                days.extend(item.days)
            elif item.on is not None:
                day = (item.on - self.regimen.start).days + 1
                if day > MAX_COURSE_DAYS:
                    self.problem(
                        f"{item.place}.on",
                        f"{item.on} is more than {MAX_COURSE_DAYS} days after the start",
                    )
                    continue
                days.append(day)
            if item.weekdays:
                days = [day for day in days if self.date_of(day).weekday() in item.weekdays]
            for day in sorted(set(days)):
                for time in item.at:
                    placed_at = self.local(day, time, f"{item.place}.at")
                    if placed_at is None:
                        continue
                    when, clock = placed_at
                    events.append(
                        Event(
                            day,
                            self.date_of(day),
                            clock,
                            when,
                            item.kind,
                            item.what,
                            item.index,
                            item.duration_min,
                            item.where,
                            time.slot,
                        )
                    )
        return events

    # -- dates and times -------------------------------------------------------------------

    def date_of(self, day: int) -> date:
        # Plain calendar arithmetic: a course day is a date, never an instant, so it cannot
        # shift east or west of UTC.
        return self.regimen.start + timedelta(days=day - 1)

    def local(self, day: int, time: TimeOfDay, place: str) -> tuple[datetime, str] | None:
        """The instant of a local wall-clock time, moved out of a spring-forward gap; None on
        a date the zone skips whole (Samoa's 2011-12-30)."""
        on = self.date_of(day)
        hour, minute = (int(part) for part in time.time.split(":"))
        wall = datetime(on.year, on.month, on.day, hour, minute)
        when = wall.replace(tzinfo=self.zone)
        if _wall(when) != wall:
            moved = wall
            for _ in range(48 * 60):
                moved += timedelta(minutes=1)
                if _wall(moved.replace(tzinfo=self.zone)) == moved:
                    break
            if moved.date() != on:
                # Course days count by date, so the day keeps its number, but nothing happens
                # on it: moving its doses to the next day would double them there. The patient
                # lives one day from the day before to the day after, so the doses around the
                # gap stay a day apart.
                self.warn(
                    "day-skipped",
                    f"{on.isoformat()} (course day {day}) does not exist in "
                    f"{self.regimen.timezone}: the clocks skip that whole day, so nothing is "
                    "scheduled on it and its doses are not given; if every dose of the order "
                    "is intended, add a day",
                    place,
                )
                return None
            when = moved.replace(tzinfo=self.zone)
            clock = moved.strftime("%H:%M")
            self.warn(
                "dst-moved",
                f"{time.time} does not exist on {on.isoformat()} (the clocks go forward); "
                f"the reminder is at {clock} instead",
                place,
            )
            return when, clock
        if when.utcoffset() != when.replace(fold=1).utcoffset():
            self.warn(
                "dst-repeated",
                f"{time.time} happens twice on {on.isoformat()} (the clocks go back); "
                "the reminder is at the first one",
                place,
            )
        return when, time.time

    # -- doses -----------------------------------------------------------------------------

    def schedule_phase(
        self, phase: Phase, first: int, steps: tuple[Step, ...]
    ) -> tuple[list[_ScheduledDose], list[StepPlan]]:
        maker = _Maker(phase)
        scheduled: list[_ScheduledDose] = []
        step_plans: list[StepPlan] = []
        if phase.form == "sessions":
            sessions = phase.sessions or 0
            for number in range(1, sessions + 1):
                day = first + (number - 1) * phase.session_every
                for time in phase.at:
                    placed_at = self.local(day, time, f"{phase.place}.at")
                    if placed_at is None:
                        continue
                    when, clock = placed_at
                    dose = Dose(
                        day,
                        self.date_of(day),
                        clock,
                        when,
                        phase.name,
                        phase.drug_id,
                        phase.display,
                        phase.route,
                        None,
                        None,
                        (),
                        None,
                        phase.duration_min,
                        phase.where,
                        time.slot,
                        number,
                        sessions,
                        take=phase.take,
                    )
                    scheduled.append(_ScheduledDose(dose, f"{phase.place}.sessions", phase))
            session_doses = [StepDose(t.time, t.slot, None, None, (), None) for t in phase.at]
            last = first + (sessions - 1) * phase.session_every
            step_plans.append(
                StepPlan(first, last, last - first + 1, phase.session_every, tuple(session_doses))
            )
            return scheduled, step_plans

        if phase.interval_hours is not None:
            return self.schedule_series(phase, first, steps[0], maker)

        day = first
        for step in steps:
            made_at = self.make_step(maker, phase, step)
            cap = _cap_of(phase, step)
            first_of_step = len(scheduled)
            step_plans.append(
                StepPlan(
                    day,
                    day + step.days - 1,
                    step.days,
                    step.every,
                    tuple(
                        StepDose(t.time, t.slot, m.amount, m.unit, m.tablets, m.volume_ml, basis)
                        for t, m, _, basis in made_at
                    ),
                    max_dose=str(cap.dose) if cap.dose else None,
                    max_daily=str(cap.daily) if cap.daily else None,
                )
            )
            for offset in range(step.days):
                if offset % step.every == 0:
                    for time, made, place, basis in made_at:
                        placed_at = self.local(day + offset, time, f"{phase.place}.at")
                        if placed_at is None:
                            continue
                        when, clock = placed_at
                        on = self.date_of(day + offset)
                        dose = _made_dose(
                            phase, made, basis, day + offset, on, clock, when, time.slot
                        )
                        scheduled.append(_ScheduledDose(dose, place, phase))
            self.check_daily_cap(cap, scheduled[first_of_step:])
            day += step.days
        return scheduled, step_plans

    def check_daily_cap(
        self, cap: Cap, scheduled: list[_ScheduledDose], hours: int | None = None
    ) -> None:
        """No calendar day above ``max_daily``, whatever the clocks do that day.

        A round-the-clock series gives ``24 // hours`` doses a day, and ``max_daily`` was shared
        among those; a day of 25 hours (the clocks go back) can hold one dose more. taper never
        changes a dose on one day by itself, so such a day is an error naming the fixes.
        """
        if cap.daily is None or not scheduled:
            return
        limit = _in_base(cap.daily)
        by_date: dict[date, list[Dose]] = defaultdict(list)
        for item in scheduled:
            by_date[item.dose.date].append(item.dose)
        for on, doses in sorted(by_date.items()):
            total = sum(
                (_mg(d.amount, d.unit) for d in doses if d.amount is not None and d.unit),
                Decimal(0),
            )
            if total <= limit:
                continue
            unit = doses[0].unit or "mg"
            one = _mg(Decimal(1), unit)
            given = quantity_text(plain(total / one), unit)
            each = plain((limit / len(doses) / one).quantize(Decimal("0.001"), ROUND_DOWN))
            length = self.day_hours(on)
            why = (
                f"{on.isoformat()} (course day {doses[0].day}) has {length} hours "
                "(the clocks go back)"
                if length > 24
                else f"on {on.isoformat()} (course day {doses[0].day})"
            )
            fixes = "give a smaller dose"
            if hours is not None:
                fixes += (
                    f" (at most {quantity_text(each, unit)} each), or choose a first dose time "
                    f"that leaves {len(doses) - 1} doses on that day"
                )
            self.problem(
                f"{cap.place}.max_daily",
                f"{why}: {len(doses)} doses, {given}, above max_daily {cap.daily}; taper does "
                f"not change a dose by itself: {fixes}, or raise max_daily if the prescriber "
                f"accepts {given} that day",
            )

    def day_hours(self, on: date) -> int:
        """How many hours the calendar date ``on`` has in the course's zone (23, 24 or 25)."""
        midnight = datetime(on.year, on.month, on.day, tzinfo=self.zone)
        following = on + timedelta(days=1)
        next_midnight = datetime(following.year, following.month, following.day, tzinfo=self.zone)
        elapsed = next_midnight.astimezone(UTC) - midnight.astimezone(UTC)
        return round(elapsed.total_seconds() / 3600)

    def schedule_series(
        self, phase: Phase, first: int, step: Step, maker: _Maker
    ) -> tuple[list[_ScheduledDose], list[StepPlan]]:
        """``every = "6h"``: doses evenly spaced in elapsed hours from the first dose's instant.

        The wall-clock times follow the instants: across a daylight-saving change the doses stay
        6 hours apart, so their clock times move by the hour the clocks moved.
        """
        hours = phase.interval_hours
        assert hours is not None
        made_at = self.make_step(maker, phase, step)
        if not made_at:
            return [], []
        time, made, place, basis = made_at[0]
        placed_at = self.local(first, time, f"{phase.place}.at")
        if placed_at is None:
            self.problem(
                f"{phase.place}.at",
                f"the series' first day (course day {first}) does not exist in "
                f"{self.regimen.timezone}; start the series a day later with start_day",
            )
            return [], []
        start = placed_at[0]
        count = step.days * 24 // hours
        origin = start.astimezone(UTC)
        scheduled: list[_ScheduledDose] = []
        clocks: set[str] = set()
        for number in range(count):
            when = (origin + timedelta(hours=number * hours)).astimezone(self.zone)
            on = when.date()
            day = (on - self.regimen.start).days + 1
            clock = when.strftime("%H:%M")
            clocks.add(clock)
            dose = _made_dose(phase, made, basis, day, on, clock, when)
            scheduled.append(_ScheduledDose(dose, place, phase))
        hour, minute = (int(part) for part in time.time.split(":"))
        expected = {f"{(hour + h) % 24:02d}:{minute:02d}" for h in range(0, 24, hours)}
        if clocks - expected:
            first_moved = next(item.dose for item in scheduled if item.dose.time not in expected)
            self.warn(
                "dst-interval",
                # One whole sentence: which dose is the first to move, and from what clock
                # time to what (review 02: "from the dose at 11:00 ... they fall at 11:00").
                f"the clocks change during the every {hours} hours series, and the doses stay "
                f"exactly {hours} hours apart, so the doses from {moment(first_moved.starts)} "
                f"on {first_moved.date.isoformat()} onward are at "
                f"{', '.join(sorted(clocks - expected))} by the clock, not at "
                f"{', '.join(sorted(expected))}",
                f"{phase.place}.every",
            )
        cap = _cap_of(phase, step)
        self.check_daily_cap(cap, scheduled, hours)
        last = scheduled[-1].dose.day
        step_plans = [
            StepPlan(
                first,
                last,
                step.days,
                1,
                (
                    StepDose(
                        time.time,
                        time.slot,
                        made.amount,
                        made.unit,
                        made.tablets,
                        made.volume_ml,
                        basis,
                    ),
                ),
                every_hours=hours,
                series_doses=count,
                max_dose=str(cap.dose) if cap.dose else None,
                max_daily=str(cap.daily) if cap.daily else None,
            )
        ]
        return scheduled, step_plans

    def make_step(self, maker: _Maker, phase: Phase, step: Step) -> list[_Planned]:
        """Each dose of a step made ready to give; per-weight doses worked out and capped.

        ``max`` caps each dose; ``max_daily`` caps the day's total, sharing it among the doses
        in proportion. A dose is then rounded to one the tablets or the syringe make, never
        above what the cap allows.
        """
        cap = _cap_of(phase, step)
        weight = self.regimen.weight_kg
        bsa = self.regimen.bsa_m2
        bases: list[Basis | None] = []
        for given in step.doses:
            amount = given.amount
            if not amount.per_weight:
                bases.append(None)
                continue
            size = weight if amount.per_kg else bsa
            assert size is not None  # the reader requires the weight (and height) for these
            unit = amount.base_unit
            uncapped = plain(amount.value * size)
            basis = Basis(amount.value, amount.unit, size, uncapped, unit)
            if cap.dose is not None:
                limit = _convert(cap.dose, unit)
                if uncapped > limit:
                    basis = basis._replace(capped=plain(limit), cap=plain(limit), cap_kind="max")
            bases.append(basis)

        daily_limit = _in_base(cap.daily) if cap.daily is not None else None
        # A round-the-clock series gives its one dose several times a day.
        per_day = 24 // phase.interval_hours if phase.interval_hours else 1
        if daily_limit is not None:
            fixed = per_day * sum(
                (_in_base(g.amount) for g, b in zip(step.doses, bases, strict=True) if b is None),
                Decimal(0),
            )
            weighed = per_day * sum(
                (_mg(b.allowed, b.unit) for b in bases if b is not None), Decimal(0)
            )
            if fixed + weighed > daily_limit:
                if fixed >= daily_limit:
                    self.problem(
                        f"{cap.place}.max_daily",
                        f"the fixed doses alone give {quantity_text(plain(fixed), 'mg')} a day, "
                        "at or "
                        f"above max_daily {cap.daily}; check the doses and the cap",
                    )
                    return []
                share = (daily_limit - fixed) / weighed
                assert cap.daily is not None
                bases = [
                    b._replace(
                        capped=plain((b.allowed * share).quantize(Decimal("0.0001"))),
                        cap=plain(_convert(cap.daily, b.unit)),
                        cap_kind="max_daily",
                    )
                    if b is not None
                    else None
                    for b in bases
                ]

        planned: list[_Planned] = []
        for given, worked in zip(step.doses, bases, strict=True):
            if worked is None:
                made = self.make(maker, given.amount, given.place)
            else:
                made = self.make_weighed(maker, given, worked, cap)
            if made is not None:
                planned.append(_Planned(given.time, made, given.place, worked))
        if daily_limit is not None and len(planned) == len(step.doses):
            total = per_day * sum((_mg(p.made.amount, p.made.unit) for p in planned), Decimal(0))
            if total > daily_limit:
                # Rounding each dose up passed the day's cap: round the per-weight ones down.
                planned = [
                    p
                    if p.basis is None
                    else p._replace(
                        made=self.make_weighed(maker, given, p.basis, cap, down=True) or p.made
                    )
                    for p, given in zip(planned, step.doses, strict=True)
                ]
        return planned

    def make_weighed(
        self, maker: _Maker, given: Given, basis: Basis, cap: Cap, *, down: bool = False
    ) -> _Made | None:
        """A per-weight dose rounded to a makeable one, never above the cap."""
        unit = basis.unit
        target = basis.allowed
        ceiling = basis.capped
        if ceiling is None and cap.dose is not None:
            ceiling = _convert(cap.dose, unit)
        if down:
            ceiling = target if ceiling is None else min(ceiling, target)
        if maker.phase.liquid is not None and not maker.tablet_mode:
            return self.make_weighed_liquid(maker, given, basis, ceiling)
        direction = "down" if down else maker.phase.rounding
        rounded = maker.nearest(target, unit, direction=direction)
        if rounded is None and direction == "down":  # nothing makeable at or below it
            rounded = maker.nearest(target, unit)
        if rounded is not None and ceiling is not None and rounded > ceiling:
            rounded = maker.nearest(ceiling, unit)
            if rounded is not None and rounded > ceiling:
                rounded = maker.nearest(ceiling, unit, below=ceiling)
        words = basis_text(basis)
        if rounded is None:
            self.problem(
                given.place,
                f"{words}, which cannot be made; check the dose, the cap and the tablets",
            )
            return None
        if rounded != target:
            how = {"up": "rounded up", "down": "rounded down"}.get(maker.phase.rounding, "rounded")
            ordered = f' (round = "{maker.phase.rounding}")' if maker.phase.round_given else ""
            self.warn(
                "per-kg-rounded" if basis.per == "kg" else "per-m2-rounded",
                f"{words}, {how} to {quantity_text(rounded, unit)}{ordered}",
                given.place,
            )
        return self.make(maker, Amount(rounded, unit), given.place)

    def make_weighed_liquid(
        self, maker: _Maker, given: Given, basis: Basis, ceiling: Decimal | None
    ) -> _Made | None:
        """A per-weight liquid dose, rounded once (M6; DECISIONS 2): the volume to the marks of
        the syringe that measures it, and the dose is what that volume holds; one mark lower
        when the measured volume would pass the cap."""
        liquid = maker.phase.liquid
        assert liquid is not None
        unit = basis.unit
        try:
            made = maker.make(basis.allowed, unit)
        except ValueError as err:
            self.problem(given.place, str(err))
            return None
        assert made.volume_ml is not None
        per_ml = _convert(liquid.amount, unit) / liquid.per_ml
        volume = made.volume_ml
        rounding = maker.phase.rounding
        drug = maker.phase.drug
        label_step = drug.liquid_step_ml if drug is not None else None

        def step_of(volume_ml: Decimal) -> Decimal:
            # The product's own measure (its label and dispenser) over the syringe's marks.
            return label_step if label_step is not None else safety.syringe_step(volume_ml)

        if label_step is not None:  # to the label's measure, in the direction asked
            exact = basis.allowed / per_ml
            direction = {"up": ROUND_CEILING, "down": ROUND_FLOOR}.get(rounding, ROUND_HALF_EVEN)
            volume = plain((exact / label_step).to_integral_value(rounding=direction) * label_step)
        elif rounding == "down":
            while volume * per_ml > basis.allowed and volume > 0:
                volume = plain(volume - step_of(volume))
        elif rounding == "up" and volume * per_ml < basis.allowed:
            volume = plain(volume + step_of(volume))
        while ceiling is not None and volume * per_ml > ceiling and volume > 0:
            volume = plain(volume - step_of(volume))
        if volume <= 0:
            self.problem(given.place, f"{basis_text(basis)}, which cannot be measured")
            return None
        amount = plain(volume * per_ml)
        if amount != basis.allowed:
            exact = (made.exact_volume_ml or volume).quantize(Decimal("0.001"))
            self.warn(
                "per-kg-rounded" if basis.per == "kg" else "per-m2-rounded",
                f"{basis_text(basis)}: {quantity_text(exact, 'mL-exact')} of {liquid.text}; "
                f"measure "
                f"{quantity_text(volume, 'mL')}, which is {quantity_text(amount, unit)}",
                given.place,
            )
        return made._replace(amount=amount, volume_ml=volume, exact_volume_ml=volume)

    def make(self, maker: _Maker, amount: Amount, place: str) -> _Made | None:
        value, unit = amount.value, amount.unit
        try:
            made = maker.make(value, unit)
        except ValueError as err:
            self.problem(place, str(err))
            # Keep the dose as written so the dose checks still see it: a "60 g" slip is
            # reported as above the highest documented dose, not only as unmakeable.
            return _Made(plain(value), unit, (), None)
        if made.exact_volume_ml is not None and made.exact_volume_ml != made.volume_ml:
            assert made.volume_ml is not None and maker.phase.liquid is not None
            self.warn(
                "volume-rounded",
                f"{quantity_text(made.amount, made.unit)} is "
                f"{quantity_text(made.exact_volume_ml, 'mL-exact')} of "
                f"{maker.phase.liquid.text}; measure {quantity_text(made.volume_ml, 'mL')}",
                place,
            )
        return made

    def phase_plan(self, phase: Phase, first: int, last: int, steps: list[StepPlan]) -> PhasePlan:
        return PhasePlan(
            index=phase.index,
            name=phase.name,
            drug=phase.drug_id,
            drug_name=phase.display,
            route=phase.route,
            first_day=first,
            last_day=last,
            steps=tuple(steps),
            take=phase.take,
            where=phase.where,
            duration_min=phase.duration_min,
            allow=phase.allow,
            split=phase.split,
            liquid=phase.liquid.text if phase.liquid else None,
            sessions=phase.sessions,
            known_drug=phase.drug is not None,
            drug_class=phase.drug.drug_class
            if phase.drug
            else DECLARED_CLASSES.get(phase.declared_class or ""),
            given_by=phase.given_by,
            missed=phase.missed,
            solid_form=phase.solid_form,
            vial=phase.container.text
            if phase.container and phase.container.kind == "vial"
            else None,
            injector=phase.container.text
            if phase.container and phase.container.kind == "injector"
            else None,
            every_hours=phase.interval_hours,
            pack=phase.pack.name if phase.pack else None,
        )

    # -- the plan --------------------------------------------------------------------------

    def assemble(
        self,
        scheduled: list[_ScheduledDose],
        phase_plans: list[PhasePlan],
        events: list[Event],
        end_day: int,
    ) -> Plan:
        regimen = self.regimen
        doses_by_day: dict[int, list[Dose]] = defaultdict(list)
        for item in scheduled:
            doses_by_day[item.dose.day].append(item.dose)
        events_by_day: dict[int, list[Event]] = defaultdict(list)
        for event in events:
            events_by_day[event.day].append(event)
        days = []
        for day in range(1, end_day + 1):
            phases = tuple(p.name for p in phase_plans if p.first_day <= day <= p.last_day)
            days.append(
                Day(
                    day,
                    self.date_of(day),
                    tuple(sorted(doses_by_day[day], key=lambda d: (d.starts, d.phase))),
                    tuple(sorted(events_by_day[day], key=lambda e: (e.starts, e.index))),
                    phases,
                )
            )

        packs = self.pack_lines(scheduled)
        dispense, liquids = _quantities(scheduled)
        last_dose_day = max((item.dose.day for item in scheduled), default=end_day)
        fill = regimen.fill_days or last_dose_day
        fills = []
        supplied: dict[tuple[str, Decimal, str], int] = defaultdict(int)
        needed: dict[tuple[str, Decimal, str], Decimal] = defaultdict(Decimal)
        for number, first in enumerate(range(1, last_dose_day + 1, fill), 1):
            last = min(first + fill - 1, last_dose_day)
            period = [item for item in scheduled if first <= item.dose.day <= last]
            period_dispense, period_liquids = _quantities(period)
            fills.append(
                FillPeriod(
                    number,
                    first,
                    last,
                    _whole_tablets(period_dispense, needed, supplied),
                    period_liquids,
                    tuple(pack for pack in packs if first <= pack.first_day <= last),
                    container_lines(scheduled, (first, last)),
                )
            )
        return Plan(
            title=regimen.title,
            timezone=regimen.timezone,
            start=regimen.start,
            end=self.date_of(end_day),
            revision=regimen.revision,
            course=regimen.course,
            after=regimen.after,
            patient=Patient(
                regimen.patient_name,
                regimen.weight_kg,
                regimen.weight_text,
                regimen.conditions,
                regimen.height_cm,
                regimen.height_text,
                regimen.bsa_m2,
            ),
            care_team=CareTeam(**dict(regimen.care_team)),
            routine=regimen.routine,
            phases=tuple(phase_plans),
            days=tuple(days),
            dispense=dispense,
            totals=_totals([item.dose for item in scheduled]),
            warnings=tuple(self.warnings),
            liquids=liquids,
            source=regimen.source,
            packs=packs,
            fills=tuple(fills),
            fill_days=regimen.fill_days,
            containers=container_lines(scheduled),
            emergency=safety.emergency_for(regimen),
            watch=self.prescriber_watch(phase_plans, end_day),
            language=regimen.language,
        )

    def prescriber_watch(
        self, phase_plans: list[PhasePlan], end_day: int
    ) -> tuple[PrescriberWatch, ...]:
        """The ``[[watch]]`` items on their course days: during phases, days, or the course."""
        ranges = {phase.name: (phase.first_day, phase.last_day) for phase in phase_plans}
        items: list[PrescriberWatch] = []
        for entry in self.regimen.watch:
            if entry.during:
                days = sorted(
                    {
                        day
                        for name in entry.during
                        if name in ranges
                        for day in range(ranges[name][0], ranges[name][1] + 1)
                    }
                )
            elif entry.days:
                days = list(entry.days)
            else:
                days = list(range(1, end_day + 1))
            items.append(PrescriberWatch(entry.tier, entry.text, tuple(days), entry.replaces))
        return tuple(items)

    def pack_lines(self, scheduled: list[_ScheduledDose]) -> tuple[PackLine, ...]:
        """Whole packs for each pack phase; a plan that leaves tablets in them is warned about."""
        lines = []
        for phase in self.regimen.phases:
            pack = phase.pack
            if pack is None:
                continue
            doses = [item.dose for item in scheduled if item.phase is phase]
            if not doses:
                continue
            used = sum((t.count for d in doses for t in d.tablets), Decimal(0))
            count = max(1, ceil_div(used, pack.tablets))
            left = count * pack.tablets - used
            lines.append(
                PackLine(
                    pack.drug,
                    phase.display,
                    pack.name,
                    count,
                    pack.tablets,
                    pack.strength.value,
                    pack.strength.unit,
                    plain(used),
                    plain(left),
                    phase.name,
                    doses[0].day,
                    pack.source,
                )
            )
            if left > 0:
                self.warn(
                    "pack-left-over",
                    f"the plan gives {number_text(used, 'tablets')} of the {count * pack.tablets} "
                    f"tablets in {pack_count_text(count, pack.tablets)}: "
                    f"{number_text(left, 'tablets')} will be left over. The days printed on the "
                    "pack "
                    "will not match the plan: go through the plan with the patient",
                    f"{phase.place}.pack",
                )
        return tuple(lines)


def _quantities(
    scheduled: list[_ScheduledDose],
) -> tuple[tuple[DispenseLine, ...], tuple[LiquidLine, ...]]:
    """Loose tablets per strength and liquid volumes; tablets from a dose pack are in its packs."""
    dispense: dict[tuple[str, Decimal, str], Decimal] = defaultdict(Decimal)
    names: dict[str, str] = {}
    forms: dict[tuple[str, Decimal, str], str] = {}
    liquids: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for item in scheduled:
        dose = item.dose
        names[dose.drug] = dose.drug_name
        if item.phase.pack is None:
            for tablet in dose.tablets:
                dispense[(dose.drug, tablet.strength, tablet.unit)] += tablet.count
                forms[(dose.drug, tablet.strength, tablet.unit)] = tablet.form
        if (
            dose.volume_ml is not None
            and item.phase.liquid is not None
            and item.phase.container is None  # dispensed as whole vials or injectors
        ):
            liquids[(dose.drug, item.phase.liquid.text)] += dose.volume_ml
    dispense_lines = tuple(
        DispenseLine(drug, names[drug], strength, unit, plain(count), forms[(drug, strength, unit)])
        for (drug, strength, unit), count in sorted(
            dispense.items(), key=lambda kv: (kv[0][0], -_mg(kv[0][1], kv[0][2]))
        )
    )
    liquid_lines = tuple(
        LiquidLine(drug, names[drug], liquid, plain(volume))
        for (drug, liquid), volume in sorted(liquids.items())
    )
    return dispense_lines, liquid_lines


def _whole_tablets(
    period: tuple[DispenseLine, ...],
    needed: dict[tuple[str, Decimal, str], Decimal],
    supplied: dict[tuple[str, Decimal, str], int],
) -> tuple[DispenseLine, ...]:
    """A fill's tablets in whole tablets: what the course needs up to its last day, rounded up,
    less what the fills before it supplied. A tablet split in one fill is dispensed in that fill
    and its other half used in the next; the fills add up to the course's whole tablets.

    ``needed`` and ``supplied`` run over the fills in order (updated here).
    """
    lines = []
    for line in period:
        key = (line.drug, line.strength, line.unit)
        needed[key] += line.count
        whole = ceil_div(needed[key], 1) - supplied[key]
        supplied[key] += whole
        lines.append(line._replace(count=Decimal(whole)))
    return tuple(lines)


def _cap_of(phase: Phase, step: Step) -> Cap:
    """A step's own max and max_daily win over the phase's."""
    return step.cap if (step.cap.dose or step.cap.daily) else phase.cap


def _in_base(amount: Amount) -> Decimal:
    return amount.in_mg() if amount.is_mass else amount.value


def _wall(when: datetime) -> datetime:
    return when.astimezone(UTC).astimezone(when.tzinfo).replace(tzinfo=None)


def _mg(value: Decimal, unit: str) -> Decimal:
    return value * MASS_UNITS.get(unit, Decimal(1))


def _convert(amount: Amount, unit: str) -> Decimal:
    """``amount`` in ``unit``: mass units convert, and so do per-kg (or per-m²) mass units."""
    if amount.unit == unit:
        return amount.value
    if amount.per_weight:
        return amount.value * MASS_UNITS[amount.base_unit] / MASS_UNITS[unit.split("/", 1)[0]]
    return amount.in_mg() / MASS_UNITS[unit]


def _totals(doses: list[Dose]) -> tuple[Total, ...]:
    from taper.read.catalogue import find_drug

    by_drug: dict[str, list[Dose]] = defaultdict(list)
    for dose in doses:
        if dose.amount is not None and dose.unit is not None:
            by_drug[dose.drug].append(dose)
    totals = []
    for drug_id, drug_doses in sorted(by_drug.items()):
        units = {dose.unit for dose in drug_doses}
        if len(units) == 1:
            unit = units.pop()
            assert unit is not None
            amount = sum((d.amount for d in drug_doses if d.amount is not None), Decimal(0))
        else:
            unit = "mg"
            amount = sum(
                (
                    _mg(d.amount, d.unit)
                    for d in drug_doses
                    if d.amount is not None and d.unit is not None
                ),
                Decimal(0),
            )
        drug = find_drug(drug_id)
        equivalent = None
        approximate = False
        note = None
        if drug is not None and drug.prednisone_equivalent is not None and unit in MASS_UNITS:
            if not any(d.route in ("oral", "iv") for d in drug_doses):
                # The equivalence table holds for oral and IV use only (clinical-reference §1):
                # an injection into a muscle has none, never 0 mg (M4).
                depot = any(safety.depot_days(d.drug, d.route) for d in drug_doses)
                note = "depot" if depot else "im"  # worded by taper.voice.staff
                totals.append(
                    Total(drug_id, drug_doses[0].drug_name, plain(amount), unit, None, False, note)
                )
                continue
            equivalent_mg = sum(
                (
                    _mg(d.amount, d.unit)
                    for d in drug_doses
                    if d.amount is not None and d.unit is not None and d.route in ("oral", "iv")
                ),
                Decimal(0),
            )
            equivalent = plain(equivalent_mg * 5 / drug.prednisone_equivalent.in_mg())
            approximate = drug.equivalence_approximate
        totals.append(
            Total(drug_id, drug_doses[0].drug_name, plain(amount), unit, equivalent, approximate)
        )
    return tuple(totals)


# -- a dose carries numbers and keys; the voice words it (taper.voice.doses) -------------------


def _made_dose(
    phase: Phase,
    made: _Made,
    basis: Basis | None,
    day: int,
    on: date,
    clock: str,
    when: datetime,
    slot: str | None = None,
) -> Dose:
    """A dose made from the phase's tablets, liquid or units, at one local time."""
    return Dose(
        day,
        on,
        clock,
        when,
        phase.name,
        phase.drug_id,
        phase.display,
        phase.route,
        made.amount,
        made.unit,
        made.tablets,
        made.volume_ml,
        phase.duration_min,
        phase.where,
        slot,
        basis=basis,
        take=phase.take,
        liquid=phase.liquid.text if phase.liquid is not None else None,
        push=safety.is_iv_push(phase.drug_id, phase.route, phase.duration_min),
        caregiver=phase.given_by == "caregiver",
    )
