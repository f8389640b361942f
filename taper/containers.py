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

from taper.plan import ContainerLine, Dose
from taper.units import MASS_UNITS
from taper.voice.quantities import quantity_text

if TYPE_CHECKING:
    from taper.regimen import Phase


class _Scheduled(Protocol):
    @property
    def dose(self) -> Dose: ...
    @property
    def phase(self) -> Phase: ...


def container_lines(scheduled: Sequence[_Scheduled]) -> tuple[ContainerLine, ...]:
    """One line per phase dispensed in vials or injectors, in phase order."""
    by_phase: dict[str, list[_Scheduled]] = {}
    for item in scheduled:
        if item.phase.container is not None:
            by_phase.setdefault(item.phase.place, []).append(item)
    lines: list[ContainerLine] = []
    for items in by_phase.values():
        phase = items[0].phase
        container = phase.container
        assert container is not None
        doses = sorted((item.dose for item in items), key=lambda d: d.starts)
        liquid = phase.liquid.text if phase.liquid is not None else None
        if container.kind == "vial":
            assert container.volume_ml is not None
            count, used = _vials(doses, container.volume_ml)
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
            count = 0
            for dose in doses:
                if dose.amount is None or dose.unit is None:
                    continue
                if size.is_mass and dose.unit in MASS_UNITS:
                    count += int(dose.amount * MASS_UNITS[dose.unit] / size.in_mg())
                else:
                    count += int(dose.amount / size.value)
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


def _vials(doses: list[Dose], size: Decimal) -> tuple[int, Decimal]:
    """Whole vials for the doses in order, each dose drawn from one vial; and the mL used."""
    count = 0
    left = Decimal(0)
    used = Decimal(0)
    for dose in doses:
        volume = dose.volume_ml
        if volume is None:
            continue
        used += volume
        if volume > size:
            whole = -(-volume // size)  # a dose larger than a vial: fresh vials of its own
            count += int(whole)
            continue
        if volume > left:
            count += 1
            left = size
        left -= volume
    return count, used
