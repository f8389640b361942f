"""The pharmacist's arithmetic as one line each: a per-weight dose worked out, a body surface
area, a count of dose packs.

Engine layer: the engine's problems and warnings quote these lines (``2 mg/kg × 34.9 kg =
69.8 mg, capped at 60 mg``), and the pharmacist's sheet prints the same lines through
``taper.voice.amounts``. Staff text: it stays English in every language (SPANISH.md (c)).
"""

from __future__ import annotations

from decimal import Decimal

from taper.read.quantities import derived_text, number_text, quantity_text
from taper.records.plan import Basis

__all__ = ["basis_text", "bsa_number", "pack_count_text", "size_text"]


def bsa_number(bsa_m2: Decimal) -> str:
    """A body surface area to 0.01 m², as it was worked out: ``0.80``."""
    return number_text(bsa_m2, "m2")


def size_text(basis: Basis) -> str:
    """``34.9 kg`` or ``0.80 m²``."""
    if basis.per == "kg":
        return quantity_text(basis.size, "kg")
    return f"{bsa_number(basis.size)} m²"


def basis_text(basis: Basis) -> str:
    """``2 mg/kg × 34.9 kg = 69.8 mg, capped at 60 mg`` (the pharmacist's arithmetic). The
    product and a share of a daily cap are worked out, so they print as derived figures
    (:func:`taper.read.quantities.derived_text`)."""
    text = (
        f"{quantity_text(basis.ordered, basis.ordered_unit)} × {size_text(basis)} = "
        f"{derived_text(basis.uncapped, basis.unit)}"
    )
    if basis.capped is None or basis.cap is None:
        return text
    if basis.cap_kind == "max_daily":
        return (
            f"{text}, capped at {quantity_text(basis.cap, basis.unit)} a day: "
            f"{derived_text(basis.capped, basis.unit, share_of_cap=True)} a dose"
        )
    return f"{text}, capped at {quantity_text(basis.cap, basis.unit)}"


def pack_count_text(packs: int, tablets: int) -> str:
    """``1 pack (21 tablets)``; ``2 packs (42 tablets)``."""
    return f"{packs} pack{'s' if packs != 1 else ''} ({packs * tablets} tablets)"
