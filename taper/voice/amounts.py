"""Per-weight arithmetic, body surface area, dose packs, fill periods and round-the-clock
series, in the words the pharmacist and the patient read."""

from __future__ import annotations

from decimal import Decimal

from taper.plan import Basis
from taper.units import format_amount, format_number


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
