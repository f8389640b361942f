"""Per-weight arithmetic, body surface area, dose packs, fill periods and round-the-clock
series, in the words the pharmacist and the patient read."""

from __future__ import annotations

import itertools
from decimal import Decimal

from taper.read.quantities import quantity_text
from taper.records.arithmetic import basis_text, bsa_number, pack_count_text
from taper.records.plan import Basis, ContainerLine, Day, DispenseLine, FillPeriod, PackLine, Plan
from taper.voice.doses import drug_word, tablet_word
from taper.voice.lang import _
from taper.voice.shape import dose_changes
from taper.voice.text import count_text, nb
from taper.voice.times import date_of, date_range, days_text, weekday_name


def bsa_text(height_cm: Decimal, weight_kg: Decimal, bsa_m2: Decimal) -> str:
    """The body surface area with its inputs, for the pharmacist."""
    return (
        f"Body surface area (Mosteller) = √({quantity_text(height_cm, 'cm')} × "
        f"{quantity_text(weight_kg, 'kg')} ÷ 3600) = {bsa_number(bsa_m2)} m²"
    )


def fill_period_text(number: int, first_day: int, last_day: int, periods: int) -> str:
    """``Fill 2 of 26: days 29–56``."""
    days = f"day {first_day}" if first_day == last_day else f"days {first_day}–{last_day}"
    return f"Fill {number} of {periods}: {days}"


def basis_lines(plan: Plan) -> list[str]:
    """How each per-weight dose was worked out, once per phase and step, for the pharmacist:
    ``Burst, days 1–5: 2 mg/kg × 34.9 kg = 69.8 mg, capped at 60 mg``."""
    lines: list[str] = []
    for phase in plan.phases:
        for step in phase.steps:
            for dose in step.doses:
                if dose.basis is None:
                    continue
                line = (
                    f"{phase.name}, {days_text(step.first_day, step.last_day)}: "
                    f"{basis_text(dose.basis)}"
                )
                if dose.amount is not None and dose.unit is not None:
                    given = quantity_text(dose.amount, dose.unit)
                    # Only what is true of every rounding rule: the volume measured and the dose
                    # it gives, or that the tablets make the dose (not that it is the nearest).
                    if dose.basis.allowed != dose.amount and dose.volume_ml is not None:
                        volume = quantity_text(dose.volume_ml, "mL")
                        line += f"; measured as {volume}, which gives {given}"
                    elif dose.basis.allowed != dose.amount and dose.tablets:
                        line += f"; given as {given}, a dose the tablets make"
                    elif dose.basis.allowed != dose.amount:
                        line += f"; given as {given}"
                if line not in lines:
                    lines.append(line)
    return lines


def body_text(plan: Plan) -> str | None:
    """The height and the body surface area with its inputs, when per-m² doses used them."""
    patient = plan.patient
    if patient.height_cm is None or patient.weight_kg is None or patient.bsa_m2 is None:
        return None
    height = f"{quantity_text(patient.height_cm, 'cm')}"
    if patient.height and not patient.height.strip().lower().endswith("cm"):
        height += f" (entered as {patient.height})"
    return f"{height}. {bsa_text(patient.height_cm, patient.weight_kg, patient.bsa_m2)}"


def pack_rows(packs: tuple[PackLine, ...]) -> list[tuple[str, str, str]]:
    """Dose packs to dispense: (drug, pack, quantity)."""
    return [
        (line.drug_name, line.pack, pack_count_text(line.packs, line.tablets_per_pack))
        for line in packs
    ]


def fill_rows(plan: Plan) -> list[tuple[str, str, str, str]]:
    """The quantities of each fill period: (period, drug, strength or form, quantity)."""
    rows: list[tuple[str, str, str, str]] = []
    count = len(plan.fills)
    for fill in plan.fills:
        label = fill_period_text(fill.number, fill.first_day, fill.last_day, count)
        dates = date_range(date_of(plan, fill.first_day), date_of(plan, fill.last_day))
        items: list[tuple[str, str, str]] = []
        for line in fill.dispense:
            quantity = f"{count_text(line.count)} {tablet_word(line.count, line.form)}"
            if line.count == 0:
                quantity = "none: the half tablet kept from the fill before"
            units = tablet_word(Decimal(2), line.form)
            items.append(
                (line.drug_name, f"{quantity_text(line.strength, line.unit)} {units}", quantity)
            )
        for liquid in fill.liquids:
            items.append(
                (
                    liquid.drug_name,
                    f"{liquid.liquid} (liquid)",
                    f"{quantity_text(liquid.volume_ml, 'mL')}",
                )
            )
        items.extend(pack_rows(fill.packs))
        items.extend(container_rows(fill.containers, fill_period=True))
        if not items:
            items.append(("", "", "nothing to supply"))
        for number, (drug, form, quantity) in enumerate(items):
            rows.append((f"{label} ({dates})" if number == 0 else "", drug, form, quantity))
    return rows


def fill_intro(plan: Plan) -> str:
    """The lines above the fill table: what the fills add up to, and how a split tablet and an
    opened vial are carried from one fill to the next (issue 18 items 2 and 3)."""
    forms = {line.form for line in plan.dispense}
    solids = {
        frozenset({"capsule"}): "capsules",
        frozenset({"tablet", "capsule"}): "tablets and capsules",
    }.get(frozenset(forms), "tablets")
    text = (
        f'Supplied {plan.fill_days} days at a time (fill = "{plan.fill_days} days"): '
        f"each fill is in whole {solids}, packs, vials and injectors, and the fills add up to "
        "the totals for the course above."
    )
    if any(line.count != int(line.count) for fill in plan.fills for line in _needs(plan, fill)):
        text += (
            " A tablet split in one fill is dispensed in that fill; the patient keeps the other "
            "half for the next fill, which is supplied that much less, so the course total "
            "counts the tablet once."
        )
    if any(line.kind == "vial" for line in plan.containers):
        text += (
            " A vial opened in one fill and used on in the next is supplied with the fill that "
            "opens it and counted once; check its in-use period on the label."
        )
    return text


def _needs(plan: Plan, fill: FillPeriod) -> tuple[DispenseLine, ...]:
    """The tablets a fill's own days use (halves included), from its days' doses."""
    counts: dict[tuple[str, Decimal, str], Decimal] = {}
    names: dict[str, str] = {}
    forms: dict[tuple[str, Decimal, str], str] = {}
    for day in plan.days[fill.first_day - 1 : fill.last_day]:
        for dose in day.doses:
            names[dose.drug] = dose.drug_name
            for tablet in dose.tablets:
                key = (dose.drug, tablet.strength, tablet.unit)
                counts[key] = counts.get(key, Decimal(0)) + tablet.count
                forms[key] = tablet.form
    return tuple(
        DispenseLine(drug, names[drug], strength, unit, count, forms[(drug, strength, unit)])
        for (drug, strength, unit), count in counts.items()
    )


def container_rows(
    containers: tuple[ContainerLine, ...], *, fill_period: bool = False
) -> list[tuple[str, str, str]]:
    """Whole vials or injectors to supply, never "31.5 mL" (issue 12 H4): (drug, form, quantity).
    In a fill, a vial opened in an earlier fill may serve its doses: no vial to supply."""
    rows: list[tuple[str, str, str]] = []
    for box in containers:
        form = f"{box.size} {box.kind}s" + (f", {box.liquid}" if box.liquid else "")
        kind = box.kind if box.count == 1 else f"{box.kind}s"
        if fill_period and box.count == 0:
            quantity = f"none: the doses use {box.used} from a vial supplied in an earlier fill"
        else:
            quantity = f"{box.count} {kind} (the doses use {box.used})"
        rows.append((box.drug_name, form, quantity))
    return rows


# -- a long course on paper: the patient handout grows with dose changes, not days -------------

LONG_COURSE_DAYS = 92  # over about three months: months in miniature, the first supply's checklist
CHECKLIST_DAYS = 28  # the checklist of a long course without fill = "...": its first 28 days


def is_long(plan: Plan) -> bool:
    return plan.length > LONG_COURSE_DAYS


def checklist_days(plan: Plan, fill: int = 1) -> tuple[int, int]:
    """The days the patient's tick-box checklist covers: all of a short course; one fill period
    of a long one (the first unless ``fill`` says which), or its first 28 days without fills.

    Raises ValueError (with the fix) for a fill period the course does not have.
    """
    periods = len(plan.fills) if plan.fill_days is not None else 1
    if not 1 <= fill <= periods:
        raise ValueError(
            f"this course has {periods} fill period{'s' if periods != 1 else ''}; "
            f"give a number from 1 to {periods}"
            + ("" if plan.fill_days is not None else ' (set fill = "28 days" for more)')
        )
    if not is_long(plan):
        return 1, plan.length
    if plan.fill_days is not None:
        period = plan.fills[fill - 1]
        return period.first_day, period.last_day
    return 1, min(CHECKLIST_DAYS, plan.length)


def checklist_note(plan: Plan, first_day: int, last_day: int) -> str | None:
    """What a shortened checklist covers, and where the rest of the course is; "they show
    every dose change" only for a course whose dose changes."""
    if first_day == 1 and last_day >= plan.length:
        return None
    values = {"first": first_day, "last": last_day}
    if plan.fill_days is None:
        note = _(
            "This checklist covers days {first} to {last}. For the other days, "
            'follow "Your course at a glance" and the calendar.',
            **values,
        )
    elif (number := next(f.number for f in plan.fills if f.first_day == first_day)) == 1:
        note = _(
            "This checklist covers days {first} to {last} (your first supply). For the other "
            'days, follow "Your course at a glance" and the calendar.',
            **values,
        )
    else:
        note = _(
            "This checklist covers days {first} to {last} (supply {number} of {fills}). For the "
            'other days, follow "Your course at a glance" and the calendar.',
            number=number,
            fills=len(plan.fills),
            **values,
        )
    if dose_changes(plan):
        return " ".join((note, _("They show every dose change.")))
    return note


def compact_calendar_intro(plan: Plan, *, caregiver: bool = False) -> str:
    """The months in miniature's introduction; "the dose changes" only when it does, and to a
    caregiver about the child."""
    if caregiver:
        sentences = [_("Each day shows how much to give that day.")]
    else:
        sentences = [_("Each day shows how much to take that day.")]
    if dose_changes(plan):
        sentences.append(_('The dose changes on the dates shown in "Your course at a glance".'))
    if caregiver:
        sentences.append(
            _(
                'Days marked "–" are part of the course, but your child takes nothing from '
                "this plan that day."
            )
        )
    else:
        sentences.append(
            _(
                'Days marked "–" are part of your course, but you take nothing from this plan '
                "that day."
            )
        )
    return " ".join(sentences)


def compact_cell(day: Day) -> str:
    """A day in the miniature months of a long course: the day's amount of each medicine.

    An oral liquid is shown as what the patient measures, in mL only (reference 2, §4): each
    dose's volume, ``0.85 mL`` or ``2 × 0.85 mL``. Each amount is one unbreakable word."""
    totals: dict[str, tuple[Decimal, str]] = {}
    volumes: dict[str, list[Decimal]] = {}
    for dose in day.doses:
        name = drug_word(dose.drug_name)
        if dose.route == "oral" and dose.volume_ml is not None:
            volumes.setdefault(name, []).append(dose.volume_ml)
            continue
        if dose.amount is None or dose.unit is None:
            totals.setdefault(name, (Decimal(0), ""))
            continue
        so_far = totals.get(name, (Decimal(0), dose.unit))[0]
        totals[name] = (so_far + dose.amount, dose.unit)
    if not totals and not volumes:
        return "–" if day.phases else ""
    named = len(totals) + len(volumes) > 1
    lines = [
        (f"{name} " if named else "") + nb(quantity_text(total, unit)) if unit else name
        for name, (total, unit) in totals.items()
    ]
    lines += [(f"{name} " if named else "") + measured_text(each) for name, each in volumes.items()]
    return "\n".join(lines)


def measured_text(volumes: list[Decimal]) -> str:
    """A day's measured doses of one liquid: ``0.85 mL``, ``2 × 0.85 mL``, ``1 mL + 2 mL``."""
    if len(set(volumes)) == 1:
        one = nb(quantity_text(volumes[0], "mL"))
        return one if len(volumes) == 1 else nb(f"{len(volumes)} × ") + one
    return " + ".join(nb(quantity_text(volume, "mL")) for volume in volumes)


def rhythm_text(plan: Plan, days: list[int]) -> str | None:
    """`` every Monday`` or `` every 28 days`` for an [[also]] item on a rhythm, else None."""
    gaps = {b - a for a, b in itertools.pairwise(days)}
    if len(gaps) != 1:
        return None
    gap = gaps.pop()
    if gap == 7:
        # Translators: follows the times: " todos los lunes" (with its leading space).
        return _(" every {weekday}", weekday=weekday_name(date_of(plan, days[0])))
    return _(" every {n} days", n=gap)


def given_basis_text(basis: Basis, amount: Decimal, unit: str, volume_ml: Decimal | None) -> str:
    """Why a per-weight dose is what it is, for the nurse's page: ``2 mg/kg × 20 kg = 40 mg;
    given as 40.5 mg (13.5 mL): rounded to a volume the syringe measures``. The arithmetic is
    the pharmacist's (:func:`basis_text`); the reason is a sentence of its own."""
    text = basis_text(basis)
    worked = basis.capped if basis.capped is not None else basis.uncapped
    if (worked, basis.unit) == (amount, unit):
        return text
    given = quantity_text(amount, unit)
    if volume_ml is not None:
        return _(
            "{basis}; given as {dose} ({volume}): rounded to a volume the syringe measures",
            basis=text,
            dose=given,
            volume=quantity_text(volume_ml, "mL"),
        )
    return _("{basis}; given as {dose}: rounded to a dose the tablets make", basis=text, dose=given)
