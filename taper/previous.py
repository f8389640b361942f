"""The plan a reissue replaces, read back from its ``plan.json`` (``taper build --previous``).

Only what the pharmacist sheet compares is kept: each date's doses and the quantities to
dispense. The file must be a plan taper wrote (``schema`` ``taper-plan/1``), for the same patient,
with a lower revision than the plan being built; anything else is refused with a message naming
the file.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from taper.errors import OutputError
from taper.export.json import SCHEMA_ID
from taper.plan import Plan
from taper.previous_values import plan_file, read_plan_document

# A packet's plan.json of the longest course is a few MB; a bigger file is not one.
MAX_BYTES = 64 * 1024 * 1024


class DoseKey(NamedTuple):
    """What a dose is, for telling two plans apart: when, what and how much."""

    time: str
    drug: str
    drug_name: str
    route: str
    amount: Decimal | None
    unit: str | None


class PreviousPlan(NamedTuple):
    source: str
    revision: int
    patient: str | None
    doses: dict[date, tuple[DoseKey, ...]]
    # (drug, strength, unit) → tablets; (drug, liquid) → mL
    dispense: dict[tuple[str, Decimal, str], Decimal]
    liquids: dict[tuple[str, str], Decimal]


def plan_doses(plan: Plan) -> dict[date, tuple[DoseKey, ...]]:
    """The plan's doses by date, in day order."""
    days: dict[date, tuple[DoseKey, ...]] = {}
    for day in plan.days:
        if day.doses:
            days[day.date] = tuple(
                sorted(
                    DoseKey(d.time, d.drug, d.drug_name, d.route, d.amount, d.unit)
                    for d in day.doses
                )
            )
    return days


def read_previous(path: Path, plan: Plan) -> PreviousPlan:
    """The previous plan from a packet folder (its ``plan.json``) or a ``plan.json`` file."""
    document = read_plan_document(path, MAX_BYTES)
    file = plan_file(path)
    shown = f"{file.parent.name}/{file.name}" if file.parent.name else file.name
    try:
        previous = _parse(shown, document)
    except (ValueError, KeyError, TypeError, InvalidOperation, AttributeError) as err:
        # Not reached for a checked document; kept so that no value can become a traceback.
        raise OutputError(
            f"{file}: not a plan.json written by taper ({type(err).__name__}); give the "
            "previous packet's folder or its plan.json"
        ) from err
    if previous.patient != plan.patient.name:
        raise OutputError(
            f"{file}: is the plan of {previous.patient or 'a patient with no name'}, not of "
            f"{plan.patient.name or 'this patient (no name given)'}; give this patient's "
            "previous packet"
        )
    if previous.revision >= plan.revision:
        raise OutputError(
            f"{file}: is revision {previous.revision} and this plan is revision "
            f"{plan.revision}; a reissue needs a higher revision (set revision = "
            f"{previous.revision + 1} in the regimen)"
        )
    return previous


def _parse(source: str, document: dict[str, Any]) -> PreviousPlan:
    if document.get("schema") != SCHEMA_ID:
        raise ValueError(f"schema is not {SCHEMA_ID}")
    names = {dose["drug"]: dose["drug_name"] for day in document["days"] for dose in day["doses"]}
    doses: dict[date, tuple[DoseKey, ...]] = {}
    for day in document["days"]:
        keys = [
            DoseKey(
                str(dose["time"]),
                str(dose["drug"]),
                str(dose["drug_name"]),
                str(dose["route"]),
                None if dose["amount"] is None else Decimal(str(dose["amount"])),
                dose["unit"],
            )
            for dose in day["doses"]
        ]
        if keys:
            doses[date.fromisoformat(day["date"])] = tuple(sorted(keys))
    dispense = {
        (names.get(line["drug"], line["drug"]), Decimal(str(line["strength"])), line["unit"]): (
            Decimal(str(line["count"]))
        )
        for line in document["dispense"]
    }
    liquids = {
        (names.get(line["drug"], line["drug"]), str(line["liquid"])): Decimal(
            str(line["volume_ml"])
        )
        for line in document.get("liquids", [])
    }
    patient = document["patient"].get("name")
    return PreviousPlan(source, int(document["revision"]), patient, doses, dispense, liquids)
