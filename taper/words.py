"""Short texts about doses that every output shares (table, reminders, handouts)."""

from __future__ import annotations

from decimal import Decimal

from taper.plan import Basis, Dose, Event, PhasePlan, TabletCount
from taper.units import format_amount, format_number

ROUTE_WORDS = {
    "oral": "by mouth",
    "iv": "IV",
    "im": "into a muscle",
    "sc": "under the skin",
    "procedure": "procedure",
}


def count_text(count: Decimal) -> str:
    """``3``, ``1½``, ``½``."""
    whole = int(count)
    if count == whole:
        return str(whole)
    return f"{whole}½" if whole else "½"


def tablet_phrase(tablets: tuple[TabletCount, ...]) -> str:
    """``3 × 20 mg tablets``; ``1 × 20 mg + 1 × 5 mg tablets``; ``1½ × 10 mg tablets``."""
    parts = [f"{count_text(t.count)} × {format_amount(t.strength, t.unit)}" for t in tablets]
    total = sum((t.count for t in tablets), Decimal(0))
    return f"{' + '.join(parts)} {'tablet' if total <= 1 else 'tablets'}"


def minutes_text(minutes: int | None) -> str:
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def dose_summary(dose: Dose) -> str:
    """What to take, at a glance: ``Prednisone 40 mg: 2 × 20 mg tablets``."""
    if dose.amount is None or dose.unit is None:
        if dose.session is not None:
            return f"{dose.drug_name} session {dose.session} of {dose.sessions}"
        return dose.drug_name
    amount = format_amount(dose.amount, dose.unit)
    if dose.tablets:
        return f"{dose.drug_name} {amount}: {tablet_phrase(dose.tablets)}"
    volume = f" ({format_number(dose.volume_ml)} mL)" if dose.volume_ml is not None else ""
    if dose.route == "oral":
        if dose.volume_ml is not None:
            return f"{dose.drug_name} {amount}: {format_number(dose.volume_ml)} mL by mouth"
        return f"{dose.drug_name} {amount} by mouth"
    if dose.route == "iv":
        return f"{dose.drug_name} {amount} IV infusion{volume}"
    if dose.route in ("im", "sc"):
        return f"{dose.drug_name} {amount} injection {ROUTE_WORDS[dose.route]}{volume}"
    return f"{dose.drug_name} {amount}"


def event_summary(event: Event) -> str:
    return event.what


def phase_heading(phase: PhasePlan) -> str:
    days = (
        f"day {phase.first_day}"
        if phase.first_day == phase.last_day
        else f"days {phase.first_day}–{phase.last_day}"
    )
    route = "" if phase.route == "procedure" else f" {ROUTE_WORDS[phase.route]}"
    return f"{phase.name}: {phase.drug_name}{route}, {days}"


def size_text(basis: Basis) -> str:
    """``34.9 kg`` or ``0.86 m²``."""
    return f"{format_number(basis.size)} {'kg' if basis.per == 'kg' else 'm²'}"


def basis_text(basis: Basis) -> str:
    """``2 mg/kg × 34.9 kg = 69.8 mg, capped at 60 mg`` (the pharmacist's arithmetic)."""
    text = (
        f"{format_amount(basis.ordered, basis.ordered_unit)} × {size_text(basis)} = "
        f"{format_amount(basis.uncapped, basis.unit)}"
    )
    if basis.capped is None or basis.cap is None:
        return text
    if basis.cap_kind == "max_daily":
        return (
            f"{text}, capped at {format_amount(basis.cap, basis.unit)} a day: "
            f"{format_amount(basis.capped, basis.unit)} a dose"
        )
    return f"{text}, capped at {format_amount(basis.cap, basis.unit)}"


def bsa_text(height_cm: Decimal, weight_kg: Decimal, bsa_m2: Decimal) -> str:
    """The body surface area with its inputs, for the pharmacist."""
    return (
        f"Body surface area (Mosteller) = √({format_number(height_cm)} cm × "
        f"{format_number(weight_kg)} kg ÷ 3600) = {format_number(bsa_m2)} m²"
    )


def pack_count_text(packs: int, tablets: int) -> str:
    """``1 pack (21 tablets)``; ``2 packs (42 tablets)``."""
    return f"{packs} pack{'s' if packs != 1 else ''} ({packs * tablets} tablets)"


def fill_period_text(number: int, first_day: int, last_day: int, periods: int) -> str:
    """``Fill 2 of 26: days 29–56``."""
    days = f"day {first_day}" if first_day == last_day else f"days {first_day}–{last_day}"
    return f"Fill {number} of {periods}: {days}"


def every_hours_text(hours: int, count: int, days: int) -> str:
    """``every 6 hours, 12 doses over 3 days``."""
    return f"every {hours} hours, {count} doses over {days} day{'s' if days != 1 else ''}"
