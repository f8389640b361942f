"""Whole vials and injectors to dispense (issue 11 item 5; issue 12 H4).

A product dispensed by the container is counted in whole containers, never as "31.5 mL":
- ``vial = "5 mL"`` (multi-dose, with ``liquid``): the doses are drawn in course order, each
  from one vial; a dose that no longer fits in what is left opens a new vial (a dose larger than
  a vial takes whole vials of its own). How long an opened vial may be used is product-specific
  (Cortrophin 5 mL: 28 days; Acthar: UNCONFIRMED, clinical-reference-2 §6): the pharmacist
  checks it against the label.
- ``injector = "80 units"`` (single-dose): one injector per ``80 units`` of each dose; the
  engine has already refused doses that are not whole injectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from taper.read.quantities import quantity_text
from taper.read.units import MASS_UNITS, Amount, ceil_div
from taper.records.plan import ContainerLine, Dose

if TYPE_CHECKING:
    from taper.read.regimen import Phase


class _Scheduled(Protocol):
    @property
    def dose(self) -> Dose: ...
    @property
    def phase(self) -> Phase: ...


def container_lines(
    scheduled: Sequence[_Scheduled], period: tuple[int, int] | None = None
) -> tuple[ContainerLine, ...]:
    """One line per phase dispensed in vials or injectors, in phase order.

    ``period`` (first day, last day), for one fill: the containers first opened on its days and
    what its doses use. Vials are always worked out over the whole course, so a vial opened in
    one fill and used on in the next is counted once, in the fill that opens it; the fills add
    up to the course's count.
    """
    by_phase: dict[str, list[_Scheduled]] = {}
    for item in scheduled:
        if item.phase.container is not None:
            by_phase.setdefault(item.phase.place, []).append(item)
    first, last = period if period is not None else (1, None)

    def within(day: int) -> bool:
        return day >= first and (last is None or day <= last)

    lines: list[ContainerLine] = []
    for items in by_phase.values():
        phase = items[0].phase
        container = phase.container
        assert container is not None
        doses = sorted((item.dose for item in items), key=lambda d: d.starts)
        if not any(within(dose.day) for dose in doses):
            continue
        liquid = phase.liquid.text if phase.liquid is not None else None
        if container.kind == "vial":
            assert container.volume_ml is not None
            opened = _vials(doses, container.volume_ml)
            count = sum(
                vials for dose, vials in zip(doses, opened, strict=True) if within(dose.day)
            )
            used = sum(
                (d.volume_ml for d in doses if d.volume_ml is not None and within(d.day)),
                Decimal(0),
            )
            lines.append(
                ContainerLine(
                    phase.drug_id,
                    phase.display,
                    "vial",
                    container.text,
                    count,
                    f"{quantity_text(used, 'mL')}",
                    liquid,
                )
            )
        else:
            assert container.amount is not None
            size = container.amount
            count = sum(_injectors(dose, size) for dose in doses if within(dose.day))
            lines.append(
                ContainerLine(
                    phase.drug_id,
                    phase.display,
                    "injector",
                    container.text,
                    count,
                    f"{count} × {quantity_text(size.value, size.unit)}",
                    liquid,
                )
            )
    return tuple(lines)


def _injectors(dose: Dose, size: Amount) -> int:
    """Single-dose injectors for one dose (the engine has refused part injectors)."""
    if dose.amount is None or dose.unit is None:
        return 0
    if size.is_mass and dose.unit in MASS_UNITS:
        return ceil_div(dose.amount * MASS_UNITS[dose.unit], size.in_mg())
    return ceil_div(dose.amount, size.value)


def _vials(doses: list[Dose], size: Decimal) -> list[int]:
    """The vials each dose opens, the doses drawn in order, each from one vial."""
    opened: list[int] = []
    left = Decimal(0)
    for dose in doses:
        volume = dose.volume_ml
        if volume is None:
            opened.append(0)
        elif volume > size:
            # A dose larger than a vial: fresh vials of its own, what is left of them discarded.
            opened.append(ceil_div(volume, size))
        elif volume > left:
            opened.append(1)
            left = size - volume
        else:
            opened.append(0)
            left -= volume
    return opened
