"""The pharmacist's and the nurse's words: dispensing, totals, supplies for staff, the step
check, overrides, warnings, appointments and checks. Tables come back as rows of strings."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from taper.checks.previous import DoseKey, PreviousPlan, plan_doses
from taper.read.quantities import number_text, quantity_text
from taper.read.units import ceil_div
from taper.read.zones import TZDATA_VERSION
from taper.records.plan import Day, Dose, Event, PhasePlan, Plan
from taper.voice.amounts import container_rows, pack_rows
from taper.voice.doses import (
    ROUTE_WORDS,
    amount,
    by_staff,
    every_text,
    phase_heading,
    staff_dose,
    tablet_phrase,
    tablet_word,
    tablets_total,
)
from taper.voice.text import Rich, Strong, count_text, minutes_text
from taper.voice.times import date_of, date_range, days_text, moment, short_date
from taper.voice.watch import checks_before

ALLOWANCE_WORDS = {
    "above-documented-dose": "dose above the highest documented regimen",
    "below-usual-dose": "dose below the low end of the usual range",
    "overlap": "overlaps another phase of the same drug",
}


def zone_rules_line(plan: Plan) -> str:
    """Which time-zone rules the times were worked out with (the installed tzdata package)."""
    return f"Times are in {plan.timezone}, by the IANA time zone rules {TZDATA_VERSION}."


def phase_title(plan: Plan, phase: PhasePlan) -> str:
    """``Taper: Prednisone by mouth, days 4–17 (Fri Dec 4 – Thu Dec 17)``."""
    dates = date_range(date_of(plan, phase.first_day), date_of(plan, phase.last_day))
    return f"{phase_heading(phase)} ({dates})"


def dispense_rows(plan: Plan) -> list[tuple[str, str, str]]:
    """What to supply for the course: (drug, strength or form, quantity)."""
    rows: list[tuple[str, str, str]] = []
    for line in plan.dispense:
        quantity = f"{count_text(line.count)} {tablet_word(line.count, line.form)}"
        if line.count != int(line.count):
            quantity += f" (supply {ceil_div(line.count, 1)} whole tablets)"
        units = tablet_word(Decimal(2), line.form)
        strength = quantity_text(line.strength, line.unit)
        rows.append((line.drug_name, f"{strength} {units}", quantity))
    for liquid in plan.liquids:
        rows.append(
            (
                liquid.drug_name,
                f"{liquid.liquid} (liquid)",
                f"{quantity_text(liquid.volume_ml, 'mL')}",
            )
        )
    rows.extend(pack_rows(plan.packs))
    rows.extend(container_rows(plan.containers))
    return rows


# Why a total has no prednisone equivalent (M4): the table holds for oral and IV use only.
EQUIVALENCE_NOTES = {"depot": "depot injection", "im": "injection into a muscle"}


def total_rows(plan: Plan) -> list[tuple[str, str, str]]:
    """Each drug's total for the course with its prednisone equivalent."""
    rows: list[tuple[str, str, str]] = []
    for total in plan.totals:
        if total.prednisone_equivalent_mg is None:
            equivalent = "not applicable"
            if total.equivalence_note:
                equivalent += f" ({EQUIVALENCE_NOTES[total.equivalence_note]})"
        else:
            equivalent = f"{quantity_text(total.prednisone_equivalent_mg, 'mg-equivalent')}"
            if total.equivalence_approximate:
                equivalent = f"about {equivalent} (approximate)"
        rows.append((total.drug_name, quantity_text(total.amount, total.unit), equivalent))
    return rows


def staff_supply_rows(plan: Plan) -> list[tuple[str, str, str, str, str]]:
    """Doses staff give from the unit's stock: (phase, drug and route, each, doses, total)."""
    groups: dict[tuple[str, str, str], list[Dose]] = defaultdict(list)
    # Given at home, or dispensed as whole vials or injectors: in the Dispense table instead.
    home = {p.name for p in plan.phases if p.given_by != "staff" or p.vial or p.injector}
    for dose in plan.doses:
        # Doses measured from a dispensed liquid are in the Dispense table already.
        if (
            dose.phase not in home
            and dose.route in ("iv", "im", "sc")
            and dose.amount is not None
            and dose.unit
            and dose.volume_ml is None
        ):
            groups[(dose.phase, dose.drug_name, dose.route)].append(dose)
    rows = []
    for (phase, name, route), doses in groups.items():
        each = sorted({amount(d.amount, d.unit) for d in doses})
        unit = doses[0].unit
        total = sum((d.amount for d in doses if d.amount is not None), Decimal(0))
        same_unit = all(d.unit == unit for d in doses)
        rows.append(
            (
                phase,
                f"{name} {ROUTE_WORDS[route]}",
                ", ".join(each),
                str(len(doses)),
                amount(total, unit) if same_unit else "see doses",
            )
        )
    return rows


def step_rows(plan: Plan, phase: PhasePlan) -> list[tuple[str, str, str, str, str, str, str]]:
    """The step-by-step check of a tablet or liquid phase: (days, dates, time, dose, tablets or
    volume, doses, step total); days and dates only on a step's first line."""
    rows = []
    for step in phase.steps:
        given = step.series_doses or len(range(0, step.days, step.every))
        first, last = date_of(plan, step.first_day), date_of(plan, step.last_day)
        for number, dose in enumerate(step.doses):
            if dose.tablets:
                what = tablet_phrase(dose.tablets)
                total = tablets_total(dose.tablets) * given
                step_total = f"{count_text(total)} {tablet_word(total, dose.tablets[0].form)}"
            elif dose.volume_ml is not None:
                what = f"{quantity_text(dose.volume_ml, 'mL')}"
                step_total = f"{quantity_text(dose.volume_ml * given, 'mL')}"
            else:
                what = step_total = ""
            every = "" if step.every == 1 else f" ({every_text(step.every)})"
            if step.every_hours:
                every = f" (every {step.every_hours} hours)"
            rows.append(
                (
                    days_text(step.first_day, step.last_day) + every if number == 0 else "",
                    date_range(first, last) if number == 0 else "",
                    dose.time + (f" ({dose.slot})" if dose.slot else ""),
                    amount(dose.amount, dose.unit),
                    what,
                    str(given),
                    step_total,
                )
            )
    return rows


def override_rows(plan: Plan) -> list[tuple[str, str, str]]:
    """Each prescriber override: (phase and place, override, details)."""
    rows = []
    for phase in plan.phases:
        place = f"phase[{phase.index}]"
        details = [
            w.message
            for w in plan.warnings
            if w.code == "above-documented-allowed"
            and (w.place == place or w.place.startswith(place + "."))
        ]
        for allowance in phase.allow:
            words = ALLOWANCE_WORDS.get(allowance, allowance)
            relevant = details if allowance == "above-documented-dose" else []
            rows.append(
                (
                    f"{phase.name} ({place})",
                    f"{allowance}: {words}",
                    " ".join(relevant) or "allowed by the prescriber",
                )
            )
    return rows


def warning_rows(plan: Plan) -> list[tuple[str, str, str]]:
    return [(w.code, w.message, w.place or "whole course") for w in plan.warnings]


def appointment_date(plan: Plan, day: Day) -> list[Rich]:
    """The nurse's date cell: ``Tue Dec 1`` / ``2026`` / ``day 1 of 5``."""
    return [
        (Strong(short_date(day.date)),),
        (str(day.date.year),),
        (f"day {day.day} of {plan.length}",),
    ]


def length_text(minutes: int | None) -> str:
    return minutes_text(minutes) or "—"


def check_text(check: Event) -> str:
    """A check done before an appointment: ``Blood sugar (07:30)``."""
    return f"{check.what} ({moment(check.starts, None)})"


def event_rows(plan: Plan, kind: str) -> list[tuple[str, str, str]]:
    """The [[also]] items of one kind: (what, times, days and dates)."""
    by_index: dict[int, list[Event]] = defaultdict(list)
    for event in plan.events:
        if event.kind == kind:
            by_index[event.index].append(event)
    rows = []
    for events in by_index.values():
        days = sorted({e.day for e in events})
        times = ", ".join(dict.fromkeys(e.time for e in events))
        if days == list(range(days[0], days[-1] + 1)):
            span = days_text(days[0], days[-1])
        else:
            span = "days " + ", ".join(str(d) for d in days)
        dates = date_range(date_of(plan, days[0]), date_of(plan, days[-1]))
        rows.append((events[0].what, times, f"{span} ({dates})"))
    return rows


# One row of the nurse's appointments: (date lines, time, length, what, where, check lines).
Appointment = tuple[list[Rich], str, str, str, str, list[Rich]]


def appointments(plan: Plan) -> list[Appointment]:
    """The infusions, injections, procedures and appointments staff give, day by day, each
    with the checks due before it (the regimen's checks that day, then the watch list's)."""
    rows: list[Appointment] = []

    def row(
        day: Day, time: str, minutes: int | None, what: str, where: str | None, before: list[str]
    ) -> Appointment:
        checks: list[Rich] = [(f"☐ {check}",) for check in before] or [("—",)]
        return (
            appointment_date(plan, day),
            time,
            length_text(minutes),
            what,
            where or "—",
            checks,
        )

    for day in plan.days:
        checks = [e for e in day.events if e.kind == "check"]
        for dose in day.doses:
            if not by_staff(plan, dose):
                continue
            before = [check_text(c) for c in checks if c.starts <= dose.starts]
            listed = {c.what.casefold() for c in checks if c.starts <= dose.starts}
            before += [text for text in checks_before(plan, dose) if text.casefold() not in listed]
            what = staff_dose(plan, dose)
            rows.append(
                row(day, moment(dose.starts, None), dose.duration_min, what, dose.where, before)
            )
        for event in day.events:
            if event.kind == "appointment":
                before = [check_text(c) for c in checks if c.starts <= event.starts]
                when = moment(event.starts, None)
                rows.append(row(day, when, event.duration_min, event.what, event.where, before))
    return rows


def warning_lines(plan: Plan) -> list[str]:
    """The engine's warnings as the nurse reads them: ``message [code]``."""
    return [f"{w.message} [{w.code}]" for w in plan.warnings]


# -- what changed since the plan a reissue replaces (taper build --previous) --------------------


def _doses_text(keys: tuple[DoseKey, ...]) -> str:
    if not keys:
        return "no dose"
    return "; ".join(
        f"{key.drug_name} {amount(key.amount, key.unit) or key.route} at {key.time}" for key in keys
    )


def changed_days(plan: Plan, previous: PreviousPlan) -> list[tuple[str, str, str]]:
    """The dates whose doses differ from the previous plan: (dates, before, now); runs of days
    with the same change are one row."""
    now = plan_doses(plan)
    rows: list[tuple[str, str, str]] = []
    run: tuple[date, date, tuple[DoseKey, ...], tuple[DoseKey, ...]] | None = None
    for on in sorted(set(now) | set(previous.doses)):
        before, after = previous.doses.get(on, ()), now.get(on, ())
        if before == after:
            continue
        if run is not None and run[1] + timedelta(days=1) == on and run[2:] == (before, after):
            run = (run[0], on, before, after)
            continue
        if run is not None:
            rows.append((date_range(run[0], run[1]), _doses_text(run[2]), _doses_text(run[3])))
        run = (on, on, before, after)
    if run is not None:
        rows.append((date_range(run[0], run[1]), _doses_text(run[2]), _doses_text(run[3])))
    return rows


def _signed(value: Decimal, unit: str) -> str:
    if value == 0:
        return "none"
    sign = "+" if value > 0 else "−"
    kind = "mL" if unit == "mL" else "tablets"
    return f"{sign}{number_text(abs(value), kind)} {unit}"


def supply_changes(plan: Plan, previous: PreviousPlan) -> list[tuple[str, str, str, str, str]]:
    """Per tablet strength and liquid: (drug, strength or liquid, before, now, still to supply),
    the last as +N (supply more) or −N (more than the new plan needs) against the previous
    plan."""
    rows: list[tuple[str, str, str, str, str]] = []
    now = {(line.drug_name, line.strength, line.unit): line.count for line in plan.dispense}
    # The form is this plan's (the previous plan.json does not record it): capsules stay capsules.
    forms = {(line.drug_name, line.strength, line.unit): line.form for line in plan.dispense}
    for key in sorted(set(now) | set(previous.dispense), key=lambda k: (k[0], -k[1], k[2])):
        name, strength, unit = key
        before, after = previous.dispense.get(key, Decimal(0)), now.get(key, Decimal(0))
        form = forms.get(key, "tablet")
        units = tablet_word(Decimal(2), form)
        rows.append(
            (
                name,
                f"{quantity_text(strength, unit)} {units}",
                number_text(before, "tablets"),
                number_text(after, "tablets"),
                _signed(after - before, tablet_word(abs(after - before), form)),
            )
        )
    liquids = {(line.drug_name, line.liquid): line.volume_ml for line in plan.liquids}
    for name, liquid in sorted(set(liquids) | set(previous.liquids)):
        before = previous.liquids.get((name, liquid), Decimal(0))
        after = liquids.get((name, liquid), Decimal(0))
        rows.append(
            (
                name,
                f"{liquid} (liquid)",
                f"{quantity_text(before, 'mL')}",
                f"{quantity_text(after, 'mL')}",
                _signed(after - before, "mL"),
            )
        )
    return rows


def changes_heading(previous: PreviousPlan) -> str:
    return f"What changed since revision {previous.revision}"


def changes_intro(plan: Plan, previous: PreviousPlan) -> str:
    return (
        f"Compared with revision {previous.revision} ({previous.source}). Still to supply: "
        "what this plan needs beyond the previous one (+), or what the patient already has "
        "beyond what it needs (−)."
    )


# -- the pharmacist's sign-off (issue 25) ------------------------------------------------------


def signoff_intro(code: str) -> str:
    """The sentence above the sign-off: what the signature vouches for."""
    return (
        f"Sign only when every page of this sheet shows plan {code} and what was supplied "
        "matches the quantities above. Fill in by hand whatever is blank."
    )


def signoff_rows(checked_by: str | None, issued: date | None) -> list[tuple[str, str]]:
    """The sign-off's fields: (label, value); an empty value is a line for a pen.

    The checking pharmacist's name is printed when the build gave it (``--checked-by``), with
    the day the sheet was printed beside it; who entered the order and the signature are always
    written by hand."""
    from taper.voice.times import long_date

    named = checked_by is not None and issued is not None
    return [
        ("Entered by (name)", ""),
        ("Checked by (pharmacist)", checked_by or ""),
        ("Date checked", long_date(issued) if named and issued is not None else ""),
        ("Pharmacist's signature", ""),
    ]


def supplied_rows(plan: Plan) -> list[tuple[str, str]]:
    """One line per product for what was supplied: (product, quantity the plan needs). The
    supplied quantity, brand, batch and expiry are written by hand."""
    rows = [(f"{drug}, {form}", quantity) for drug, form, quantity in dispense_rows(plan)]
    rows += [
        (f"{drug_route} (given by staff)", f"{doses} doses, {total}")
        for _phase, drug_route, _each, doses, total in staff_supply_rows(plan)
    ]
    return rows
