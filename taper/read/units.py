"""Amounts, units, durations and weights as people write them in a regimen file.

Every parser returns a value or raises ``ValueError`` with a message that says what is wrong
and how to write it instead; the regimen reader attaches the place.
"""

import re  # patterns are compiled on first use (re caches them): start-up matters
from decimal import Decimal
from typing import NamedTuple

# plain and unit_text live with the printed form of numbers (taper.read.quantities), which this
# module's Amount prints through; importable from here as before.
from taper.read.quantities import plain as plain
from taper.read.quantities import quantity_text
from taper.read.quantities import unit_text as unit_text

MASS_UNITS = {"mg": Decimal(1), "g": Decimal(1000), "mcg": Decimal("0.001")}
DOSE_UNITS = ("mg", "g", "mcg", "units", "mg/kg", "g/kg", "mg/m2", "g/m2")
PER_WEIGHT = ("/kg", "/m2")
_UNIT_ALIASES = {
    "mg": "mg",
    "g": "g",
    "gram": "g",
    "grams": "g",
    "mcg": "mcg",
    "µg": "mcg",  # micro sign
    "μg": "mcg",  # Greek small mu: people type either
    "ug": "mcg",
    "units": "units",
    "unit": "units",
    "mg/kg": "mg/kg",
    "g/kg": "g/kg",
    "mg/m2": "mg/m2",
    "mg/m²": "mg/m2",
    "mg/m^2": "mg/m2",
    "g/m2": "g/m2",
    "g/m²": "g/m2",
    "g/m^2": "g/m2",
}
# Amounts are plain decimals: no exponents, no signs, at most 7 digits before the point.
_NUMBER = r"(\d{1,7}(?:\.\d{1,4})?|\.\d{1,4})"
_AMOUNT = rf"^\s*{_NUMBER}\s*([^\s\d][^\d]*?(?:(?<=/m)2|(?<=/m\^)2)?)\s*$"
_LARGEST = Decimal(10) ** 7


class Amount(NamedTuple):
    """A positive amount in one of ``DOSE_UNITS``."""

    value: Decimal
    unit: str

    @property
    def per_kg(self) -> bool:
        return self.unit.endswith("/kg")

    @property
    def per_m2(self) -> bool:
        return self.unit.endswith("/m2")

    @property
    def per_weight(self) -> bool:
        """Per kg of body weight or per m² of body surface area."""
        return self.unit.endswith(PER_WEIGHT)

    @property
    def base_unit(self) -> str:
        """``mg/kg`` → ``mg``; ``g/m2`` → ``g``; others unchanged."""
        return self.unit.split("/", 1)[0]

    @property
    def is_mass(self) -> bool:
        return self.unit in MASS_UNITS

    def in_mg(self) -> Decimal:
        """The amount in milligrams (mass units only)."""
        return self.value * MASS_UNITS[self.unit]

    def __str__(self) -> str:
        return quantity_text(self.value, self.unit)


def parse_amount(text: object, *, allowed: tuple[str, ...] = DOSE_UNITS) -> Amount:
    """Parse ``"60 mg"``, ``"1 g"``, ``"0.4 g/kg"``, ``"80 units"``."""
    if not isinstance(text, str):
        raise ValueError(f'expected a text such as "60 mg", got {describe(text)}')
    if not text.strip():
        raise ValueError('is empty; write an amount with its unit, such as "60 mg"')
    match = re.match(_AMOUNT, text)
    if not match:
        raise ValueError(
            f'"{text}" is not an amount; write a plain number and a unit, such as "60 mg"'
        )
    number, raw_unit = match.groups()
    unit = _UNIT_ALIASES.get(raw_unit.strip().lower().replace(" ", ""))
    if unit is None and not raw_unit.isascii():
        _refuse_look_alike_unit(text, raw_unit, allowed)
    if unit is None or unit not in allowed:
        raise ValueError(f'"{text}": unknown unit "{raw_unit}"; use one of {", ".join(allowed)}')
    value = Decimal(number)
    if value <= 0:
        raise ValueError(f'"{text}" must be more than zero')
    if value >= _LARGEST:
        raise ValueError(f'"{text}" is far too large to be a dose; check the number')
    return Amount(value, unit)


def _refuse_look_alike_unit(text: str, raw_unit: str, allowed: tuple[str, ...]) -> None:
    """A unit that only looks like a known one ("mɡ" with a script g, full-width "ｍｇ", an
    invisible character inside) is an error that says so and names the unit to type."""
    from taper.read.text import look_alike_chars, skeleton

    meant = _UNIT_ALIASES.get(skeleton(raw_unit).strip().replace(" ", ""))
    if meant is not None and meant in allowed:
        raise ValueError(
            f'"{text}": unknown unit "{raw_unit}": it looks like {meant} but is written with '
            f'look-alike characters ({look_alike_chars(raw_unit)}); type "{meant}" with plain '
            "letters"
        )


_DURATION_PART = r"(?i)(\d{1,4}(?:\.\d{1,2})?)\s*(h|hr|hrs|hour|hours|m|min|mins|minute|minutes)\b"


def parse_duration(text: object) -> int:
    """``"1 h"``, ``"90 min"``, ``"1 h 30 min"``, ``"1.5 h"`` → minutes."""
    if not isinstance(text, str):
        raise ValueError(f'expected a text such as "1 h" or "30 min", got {describe(text)}')
    rest = text.strip()
    if not rest:
        raise ValueError('is empty; write a length such as "1 h" or "30 min"')
    minutes = Decimal(0)
    position = 0
    for match in re.finditer(_DURATION_PART, rest):
        if rest[position : match.start()].strip():
            break
        number, unit = match.groups()
        factor = 60 if unit.lower().startswith("h") else 1
        minutes += Decimal(number) * factor
        position = match.end()
    if position == 0 or rest[position:].strip():
        raise ValueError(f'"{text}" is not a length; write it like "1 h", "45 min" or "1 h 30 min"')
    if minutes != minutes.to_integral_value():
        raise ValueError(f'"{text}" is not a whole number of minutes')
    if minutes <= 0:
        raise ValueError(f'"{text}" must be longer than zero')
    if minutes > 24 * 60:
        raise ValueError(f'"{text}" is longer than a day; check the length')
    return int(minutes)


_WEIGHT = r"(?i)^\s*(\d{1,3}(?:\.\d{1,2})?)\s*(kg|lb|lbs)\s*$"
POUND = Decimal("0.45359237")


def parse_weight(text: object) -> Decimal:
    """``"70 kg"`` or ``"154 lb"`` → kilograms, to 0.1 kg."""
    if not isinstance(text, str):
        raise ValueError(f'expected a text such as "70 kg" or "154 lb", got {describe(text)}')
    match = re.match(_WEIGHT, text)
    if not match:
        raise ValueError(f'"{text}" is not a weight; write it like "70 kg" or "154 lb"')
    number, unit = match.groups()
    kg = Decimal(number) * (POUND if unit.lower().startswith("lb") else 1)
    kg = kg.quantize(Decimal("0.1"))
    if not Decimal("0.5") <= kg <= Decimal(400):
        raise ValueError(f'"{text}" is outside 0.5 to 400 kg; check the weight and its unit')
    return kg


_HEIGHT = r"(?i)^\s*(\d{1,3}(?:\.\d{1,2})?)\s*(cm|in|inch|inches|\")\s*$"
INCH = Decimal("2.54")


def parse_height(text: object) -> Decimal:
    """``"120 cm"`` or ``"47 in"`` → centimetres, to 0.1 cm."""
    if not isinstance(text, str):
        raise ValueError(f'expected a text such as "120 cm" or "47 in", got {describe(text)}')
    match = re.match(_HEIGHT, text)
    if not match:
        raise ValueError(f'"{text}" is not a height; write it like "120 cm" or "47 in"')
    number, unit = match.groups()
    cm = Decimal(number) * (INCH if unit.lower() != "cm" else 1)
    cm = cm.quantize(Decimal("0.1"))
    if not Decimal(20) <= cm <= Decimal(250):
        raise ValueError(f'"{text}" is outside 20 to 250 cm; check the height and its unit')
    return cm


def mosteller_bsa(height_cm: Decimal, weight_kg: Decimal) -> Decimal:
    """Body surface area in m², to 0.01 m²: √(height cm × weight kg ÷ 3600) (Mosteller 1987)."""
    from decimal import ROUND_HALF_EVEN

    return (height_cm * weight_kg / 3600).sqrt().quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def ceil_div(numerator: Decimal | int, denominator: Decimal | int) -> int:
    """The smallest whole number n with n × denominator ≥ numerator (denominator > 0): whole
    vials, tablets and packs to dispense.

    The one ceiling for quantities: ``-(-x // y)`` is not one with ``Decimal``, whose ``//``
    truncates toward zero (``-(-Decimal("1.5") // 1)`` is 1), nor is ``int(x / y)``.
    """
    if denominator <= 0:
        raise ValueError(f"a ceiling needs a positive denominator, not {denominator}")
    quotient, remainder = divmod(Decimal(numerator), Decimal(denominator))
    # divmod truncates toward zero: a positive remainder means the quotient is one short
    return int(quotient) + (1 if remainder > 0 else 0)


class Concentration(NamedTuple):
    """A liquid's strength: ``amount`` in ``per_ml`` millilitres."""

    amount: Amount
    per_ml: Decimal
    text: str

    def volume_for(self, value: Decimal, unit: str) -> Decimal:
        """Millilitres that hold ``value`` ``unit`` (mass units convert through mg)."""
        if unit in MASS_UNITS and self.amount.is_mass:
            wanted = value * MASS_UNITS[unit]
            have = self.amount.in_mg()
        elif unit == self.amount.unit:
            wanted, have = value, self.amount.value
        else:
            raise ValueError(f"a dose in {unit} cannot be measured from a {self.text} liquid")
        return wanted * self.per_ml / have


_LIQUID = r"(?i)^\s*(.+?)\s*/\s*(\d{0,4}(?:\.\d{1,2})?)\s*ml\s*$"


def parse_concentration(text: object) -> Concentration:
    """``"5 mg/5 mL"``, ``"1 mg/mL"``, ``"80 units/mL"``."""
    if not isinstance(text, str):
        raise ValueError(f'expected a text such as "5 mg/5 mL", got {describe(text)}')
    match = re.match(_LIQUID, text)
    if not match:
        raise ValueError(f'"{text}" is not a liquid strength; write it like "5 mg/5 mL"')
    amount_text, volume_text = match.groups()
    amount = parse_amount(amount_text, allowed=("mg", "g", "mcg", "units"))
    per_ml = Decimal(volume_text) if volume_text else Decimal(1)
    if per_ml <= 0:
        raise ValueError(f'"{text}": the volume must be more than zero')
    return Concentration(amount, per_ml, text.strip())


_CLOCK = r"^([01]\d|2[0-3]):([0-5]\d)$"


def is_clock_time(text: str) -> bool:
    return bool(re.match(_CLOCK, text))


def describe(value: object) -> str:
    """How a TOML value reads in a message: its kind and a short echo."""
    kinds = {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "a text",
        list: "a list",
        dict: "a table",
    }
    kind = next((name for tp, name in kinds.items() if type(value) is tp), None)
    if kind is None:
        kind = "a number" if isinstance(value, Decimal) else type(value).__name__
    echo = repr(value) if not isinstance(value, (list, dict)) else ""
    if isinstance(value, Decimal):
        echo = str(value)
    if len(echo) > 40:
        echo = echo[:37] + "..."
    return f"{kind} {echo}".strip()
