"""Every quantity a person reads, rounded in one place.

The plan keeps exact numbers; only their printed form is rounded here, to a precision decided
per kind of quantity (README, "How numbers are printed"). Trailing zeros are dropped and no
number is ever printed with an exponent, except a body surface area, which always shows its
two decimals ("0.80 m²") because that is how it was worked out.

Amounts the regimen names (a dose, a strength, a cap, a total) print to 0.0001 of their unit,
the precision the regimen format accepts, so every amount prints as typed and every dose the
tablets make prints exactly (½ × 0.75 mg = 0.375 mg). Figures that come from a division are
rounded further: a prednisone equivalent (itself approximate) to 0.1 mg, a per-kg rate worked
out from a daily total to 0.01 mg/kg, a volume to 0.01 mL (the finest syringe mark).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal


def plain(value: Decimal) -> Decimal:
    """The number without trailing zeros or an exponent: ``20.0`` → ``20``, ``2.50`` → ``2.5``."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def unit_text(unit: str) -> str:
    """A unit as people read it: ``mg/m2`` → ``mg/m²``."""
    return unit.replace("/m2", "/m²")


# The step each kind of quantity is printed to. The keys are the units a plan carries, plus
# the kinds whose precision depends on what the number is rather than its unit.
PRECISION: dict[str, Decimal] = {
    "mg": Decimal("0.0001"),
    "g": Decimal("0.0001"),
    "mcg": Decimal("0.0001"),
    "units": Decimal("0.0001"),
    "mg/kg": Decimal("0.0001"),
    "g/kg": Decimal("0.0001"),
    "mg/m2": Decimal("0.0001"),
    "g/m2": Decimal("0.0001"),
    "mL": Decimal("0.01"),
    "kg": Decimal("0.1"),
    "cm": Decimal("0.1"),
    "m2": Decimal("0.01"),
    "tablets": Decimal("0.5"),
    # prednisone-equivalent mg: the equivalence ratios are approximate
    "mg-equivalent": Decimal("0.1"),
    # mg/kg or mg/m² a day worked out from a daily total (the safety checks' messages)
    "per-weight-rate": Decimal("0.01"),
    # the exact volume a dose would need, beside the volume measured (one more digit, so the
    # reader sees why it was rounded)
    "mL-exact": Decimal("0.001"),
}

# The unit printed after a number of each kind.
_PRINTED_UNIT = {"mg-equivalent": "mg", "mL-exact": "mL", "m2": "m²"}


def rounded(value: Decimal, kind: str) -> Decimal:
    """``value`` rounded (half up) to the precision of ``kind``; exact values shorter than that
    are unchanged."""
    step = PRECISION[kind]
    if kind == "tablets":
        return (value * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 2
    return value.quantize(step, rounding=ROUND_HALF_UP)


def number_text(value: Decimal, kind: str) -> str:
    """The number alone, as a person reads it: ``1493.3``, ``0.375``, ``0.80`` (m²)."""
    if kind == "m2":
        return format(rounded(value, kind), "f")
    return format(plain(rounded(value, kind)), "f")


def quantity_text(value: Decimal, kind: str) -> str:
    """The number with its unit: ``60 mg``, ``2.5 mL``, ``0.80 m²``, ``2 mg/m²``."""
    return f"{number_text(value, kind)} {unit_text(_PRINTED_UNIT.get(kind, kind))}"


# A figure the pharmacist's arithmetic works out by a multiplication or a division (a per-kg
# dose times the weight, a daily cap shared between the day's doses) is not an amount anyone
# typed or measures: it prints to 0.01 of its unit. A share of a cap is rounded down, so the
# printed share never adds up to more than the cap it divides.
DERIVED_STEP = Decimal("0.01")


def derived_text(value: Decimal, unit: str, *, share_of_cap: bool = False) -> str:
    """``69.8 mg``; ``4.66 mg`` for 28 mg a day shared by 6 doses (rounded down)."""
    rounding = ROUND_DOWN if share_of_cap else ROUND_HALF_UP
    shown = plain(value.quantize(DERIVED_STEP, rounding=rounding))
    return f"{format(shown, 'f')} {unit_text(_PRINTED_UNIT.get(unit, unit))}"
