"""The course as an HL7 FHIR R4 Bundle (``taper fhir``, ``plan.fhir.json`` in the packet).

The shapes are the contract's (FHIR.md §2): a ``collection`` Bundle holding one Patient, any
Medication (a liquid's strength per mL), one MedicationRequest per phase with a Dosage per step
(one per amount for divided doses, sharing the step's ``sequence``), and one ServiceRequest per
procedure phase. Every identifier is a UUIDv5 of the course, so the same plan gives the same
bytes. Words come from ``taper.voice``; this module only arranges them. The JSON is written here
(no FHIR library at run time); the tests validate it with ``fhir.resources``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from taper.read.units import parse_amount, parse_concentration
from taper.records.plan import Dose, PhasePlan, Plan, StepDose, StepPlan

UCUM = "http://unitsofmeasure.org"
URI = "urn:ietf:rfc:3986"
V3_ROUTE = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
#: HL7 v3 RouteOfAdministration (CC0), with the display the published code system gives.
ROUTE_CODES = {
    "oral": ("PO", "Swallow, oral"),
    "iv": ("IV", "Infusion, intravenous"),
    "iv-push": ("IVINJ", "Injection, intravenous"),
    "im": ("IM", "Injection, intramuscular"),
    "sc": ("SQ", "Injection, subcutaneous"),
}
#: taper's units as UCUM codes. ``units`` of ACTH gel are USP units, a UCUM arbitrary unit;
#: never ``U``, which UCUM defines as the enzyme unit (µmol/min).
UCUM_UNITS = {"mg": "mg", "g": "g", "mcg": "ug", "mL": "mL"}
# A fixed namespace, so that the UUIDs are the same on every machine and every run.
NAMESPACE = uuid.UUID("6f1c7a52-2d0e-5b8f-9c43-7a8e0f5d2b61")


def course_key(plan: Plan) -> str:
    """What names the course: its patient, title and first day, or its ``course`` name when the
    regimen gives one (``taper.identity``, as the calendar's UIDs: a course moved to a new
    first day keeps its identifiers). The revision is added apart."""
    from taper.read.identity import course_key as identity

    return "\x1f".join(identity(plan.patient.name, plan.title, plan.start, plan.course))


def course_uuid(plan: Plan, *parts: object) -> str:
    return "urn:uuid:" + str(
        uuid.uuid5(NAMESPACE, "\x1f".join([course_key(plan), *map(str, parts)]))
    )


def phase_identifier(plan: Plan, phase: PhasePlan, revision: int) -> dict[str, str]:
    """The stable identifier of one phase's request at one revision."""
    return {"system": URI, "value": course_uuid(plan, "phase", phase.name, revision)}


def group_identifier(plan: Plan) -> dict[str, str]:
    return {"system": URI, "value": course_uuid(plan, "group", plan.revision)}


def number(value: Decimal | int) -> int | float:
    """A JSON number: an int when whole, else the shortest float that reads back the same."""
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def unit_code(unit: str, drug_class: str | None) -> str:
    if unit == "units":
        return "[USP'U]" if drug_class == "acth" else "[iU]"
    return UCUM_UNITS[unit]


def quantity(value: Decimal | int, unit: str, drug_class: str | None = None) -> dict[str, Any]:
    code = unit_code(unit, drug_class)
    shown = {"[USP'U]": "USP units", "[iU]": "IU", "ug": "mcg"}.get(code, code)
    return {"value": number(value), "unit": shown, "system": UCUM, "code": code}


def _count(value: Decimal | int, unit: str, code: str) -> dict[str, Any]:
    return {"value": number(value), "unit": unit, "system": UCUM, "code": code}


def _days(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "days", "system": UCUM, "code": "d"}


def _route(phase: PhasePlan) -> dict[str, Any]:
    from taper.voice.doses import iv_push

    key = (
        "iv-push"
        if phase.route == "iv" and iv_push(phase.drug, phase.duration_min)
        else phase.route
    )
    code, display = ROUTE_CODES[key]
    return {"coding": [{"system": V3_ROUTE, "code": code, "display": display}]}


def _seconds(time: str) -> str:
    return f"{time}:00"


def _duration(repeat: dict[str, Any], phase: PhasePlan) -> None:
    """The infusion's (or session's) length, in minutes or whole hours."""
    if phase.duration_min and phase.route in ("iv", "procedure"):
        if phase.duration_min % 60 == 0:
            repeat["duration"], repeat["durationUnit"] = phase.duration_min // 60, "h"
        else:
            repeat["duration"], repeat["durationUnit"] = phase.duration_min, "min"


def _by_phase(plan: Plan) -> dict[str, list[Dose]]:
    """Each phase's doses in time order, binned in one pass (a long course has hundreds of
    days and dozens of phases and steps)."""
    binned: dict[str, list[Dose]] = {}
    for day in plan.days:
        for dose in day.doses:
            binned.setdefault(dose.phase, []).append(dose)
    for doses in binned.values():
        doses.sort(key=lambda d: d.starts)
    return binned


def _step_of(phase: PhasePlan, doses: list[Dose]) -> list[tuple[StepPlan, list[Dose]]]:
    """Each step with the plan's doses it gives, in one pass over the phase's doses (in time
    order): a daily step takes the doses of its days; a series counts its doses (the last may
    fall after midnight, on a day the next phase also covers)."""
    out: list[tuple[StepPlan, list[Dose]]] = []
    at = 0
    for step in phase.steps:
        if step.every_hours and step.series_doses:
            mine = doses[at : at + step.series_doses]
            at += len(mine)
        else:
            last = step.first_day + step.days - 1
            end = at
            while end < len(doses) and doses[end].day <= last:
                end += 1
            mine = [d for d in doses[at:end] if d.day >= step.first_day]
            at = end
        out.append((step, mine))
    return out


def _caps(step: StepPlan, drug_class: str | None) -> dict[str, Any]:
    caps: dict[str, Any] = {}
    if step.max_dose:
        cap = parse_amount(step.max_dose)
        caps["maxDosePerAdministration"] = quantity(cap.value, cap.unit, drug_class)
    if step.max_daily:
        cap = parse_amount(step.max_daily)
        caps["maxDosePerPeriod"] = {
            "numerator": quantity(cap.value, cap.unit, drug_class),
            "denominator": {"value": 1, "unit": "day", "system": UCUM, "code": "d"},
        }
    return caps


def _amount_groups(step: StepPlan) -> list[list[StepDose]]:
    """The step's doses by amount, in the order the day runs: one Dosage each."""
    groups: dict[tuple[Decimal | None, str | None], list[StepDose]] = {}
    for dose in sorted(step.doses, key=lambda d: d.time):
        groups.setdefault((dose.amount, dose.unit), []).append(dose)
    return list(groups.values())


def _dosages(plan: Plan, phase: PhasePlan, doses: list[Dose]) -> list[dict[str, Any]]:
    from taper.records.arithmetic import basis_text
    from taper.voice.doses import dose_instructions
    from taper.voice.fhir import dosage_text
    from taper.voice.sigs import step_sig, strengths
    from taper.voice.words import words_of

    words = words_of(plan)

    one_strength = len(strengths(phase)) <= 1
    dosages: list[dict[str, Any]] = []
    # A step without doses (the rest between two cycles: every = "21 days", times = N) has no
    # Dosage; its dates are the gap between its neighbours' bounds. So the sequence counts the
    # dosed steps only, 1..n in order (FHIR.md §2).
    dosed = [(step, given) for step, given in _step_of(phase, doses) if step.doses]
    for sequence, (step, given) in enumerate(dosed, 1):
        sig = step_sig(phase, step, one_strength, first=True)
        for group in _amount_groups(step):
            first = group[0]
            if first.amount is None or first.unit is None:
                continue
            basis = next((d.basis for d in group if d.basis is not None), None)
            times = {d.time for d in group}
            said = next((d for d in given if d.amount == first.amount and d.time in times), None)
            said = said or next((d for d in given if d.amount == first.amount), None)
            repeat: dict[str, Any]
            if step.every_hours and step.series_doses and given:
                repeat = {
                    "boundsPeriod": {"start": given[0].starts.isoformat()},
                    "count": step.series_doses,
                    "frequency": 1,
                    "period": step.every_hours,
                    "periodUnit": "h",
                }
            else:
                repeat = {
                    "boundsPeriod": {
                        "start": _date(plan, step.first_day),
                        "end": _date(plan, step.first_day + step.days - 1),
                    },
                    "frequency": len(group),
                    "period": step.every,
                    "periodUnit": "d",
                    "timeOfDay": [_seconds(d.time) for d in group],
                }
            _duration(repeat, phase)
            dosage: dict[str, Any] = {
                "sequence": sequence,
                "text": dosage_text(sig, basis_text(basis) if basis else None),
            }
            if phase.take and phase.take.strip():
                dosage["additionalInstruction"] = [{"text": phase.take.strip()}]
            if said is not None:
                dosage["patientInstruction"] = dose_instructions(said, words)
            dosage["timing"] = {"repeat": repeat}
            dosage["route"] = _route(phase)
            dosage["doseAndRate"] = [
                {"doseQuantity": quantity(first.amount, first.unit, phase.drug_class)}
            ]
            dosage.update(_caps(step, phase.drug_class))
            dosages.append(dosage)
    return dosages


def _date(plan: Plan, day: int) -> str:
    from datetime import timedelta

    return (plan.start + timedelta(days=day - 1)).isoformat()


def _dispense(plan: Plan, phase: PhasePlan, doses: list[Dose]) -> dict[str, Any]:
    """The supply: the phase's days (or one fill, repeated), and the quantity when the phase
    dispenses one product (a tablet strength, a liquid, packs, vials or injectors)."""
    days = phase.last_day - phase.first_day + 1
    fills = [
        f for f in plan.fills if f.first_day <= phase.last_day and f.last_day >= phase.first_day
    ]
    request: dict[str, Any] = {}
    if plan.fill_days and len(fills) > 1:
        request["numberOfRepeatsAllowed"] = len(fills) - 1
        request["expectedSupplyDuration"] = _days(plan.fill_days)
        return request  # a quantity would be one fill's; they differ along a taper
    same_drug = [p for p in plan.phases if p.drug == phase.drug]
    packs = [line for line in plan.packs if line.phase == phase.name]
    containers = [line for line in plan.containers if line.drug == phase.drug]
    strengths = {(t.strength, t.unit) for d in doses for t in d.tablets}
    if packs:
        request["quantity"] = _count(sum(p.packs for p in packs), "pack", "{pack}")
    elif containers and len(containers) == 1 and len(same_drug) == 1:
        kind = containers[0].kind
        request["quantity"] = _count(containers[0].count, kind, "{" + kind + "}")
    elif len(strengths) == 1:
        count = sum((t.count for d in doses for t in d.tablets), Decimal(0))
        if phase.solid_form == "capsule":
            # A UCUM annotation, as {tbl} is for tablets: a count of whole capsules.
            request["quantity"] = _count(count, "capsule", "{capsule}")
        else:
            request["quantity"] = _count(count, "tablet", "{tbl}")
    elif not strengths and doses and all(d.volume_ml is not None for d in doses):
        volume = sum((d.volume_ml or Decimal(0) for d in doses), Decimal(0))
        request["quantity"] = _count(volume, "mL", "mL")
    request["expectedSupplyDuration"] = _days(days)
    return request


def _medication(plan: Plan, phase: PhasePlan) -> dict[str, Any] | None:
    """A liquid's (or ACTH gel's) Medication: its strength, so that mL can be read as mg."""
    if not phase.liquid:
        return None
    strength = parse_concentration(phase.liquid)
    return {
        "resourceType": "Medication",
        "code": {"text": phase.drug_name},
        "ingredient": [
            {
                "itemCodeableConcept": {"text": phase.drug_name},
                "isActive": True,
                "strength": {
                    "numerator": quantity(
                        strength.amount.value, strength.amount.unit, phase.drug_class
                    ),
                    "denominator": _count(strength.per_ml, "mL", "mL"),
                },
            }
        ],
    }


COURSE_OF_THERAPY_SYSTEM = (
    "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"
)
#: The regimen's ``after`` as FHIR R4's MedicationRequest.courseOfTherapyType.
COURSE_OF_THERAPY = {
    "continue": {
        "system": COURSE_OF_THERAPY_SYSTEM,
        "code": "continuous",
        "display": "Continuous long term therapy",
    },
    "stop": {
        "system": COURSE_OF_THERAPY_SYSTEM,
        "code": "acute",
        "display": "Short course (acute) therapy",
    },
}


def _common(plan: Plan, phase: PhasePlan) -> dict[str, Any]:
    return {
        "identifier": [phase_identifier(plan, phase, plan.revision)],
        "status": "active",
        "intent": "order",
    }


def _performer(phase: PhasePlan, patient_url: str) -> dict[str, Any]:
    """Who gives the doses: the patient (a reference to the Patient), else who, in words."""
    if phase.given_by == "patient":
        return {"performer": {"reference": patient_url}}
    return {"performerType": {"text": phase.given_by}}


def _request(
    plan: Plan, phase: PhasePlan, doses: list[Dose], patient_url: str, medication_url: str | None
) -> dict[str, Any]:
    from taper.voice.fhir import phase_note

    request: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        **_common(plan, phase),
    }
    if medication_url is not None:
        request["medicationReference"] = {"reference": medication_url}
    else:
        request["medicationCodeableConcept"] = {"text": phase.drug_name}
    request["subject"] = {"reference": patient_url}
    request["groupIdentifier"] = group_identifier(plan)
    if plan.revision > 0:
        request["priorPrescription"] = {
            "identifier": phase_identifier(plan, phase, plan.revision - 1)
        }
    request.update(_performer(phase, patient_url))
    if plan.after is not None:
        # after = "continue" | "stop": whether the treatment goes on after this plan's last day
        # (FHIR R4's course-of-therapy codes; absent when the regimen does not say, so that a
        # plan without the key exports as before).
        request["courseOfTherapyType"] = {"coding": [COURSE_OF_THERAPY[plan.after]]}
    request["note"] = [{"text": phase_note(phase.name)}]
    request["dosageInstruction"] = _dosages(plan, phase, doses)
    request["dispenseRequest"] = _dispense(plan, phase, doses)
    return request


def _service(plan: Plan, phase: PhasePlan, patient_url: str) -> dict[str, Any]:
    from taper.voice.doses import patient_step
    from taper.voice.fhir import phase_note
    from taper.voice.words import words_of

    step = phase.steps[0]
    repeat: dict[str, Any] = {
        "boundsPeriod": {
            "start": _date(plan, step.first_day),
            "end": _date(plan, step.first_day + step.days - 1),
        },
        "frequency": len(step.doses),
        "period": step.every,
        "periodUnit": "d",
        "timeOfDay": [_seconds(d.time) for d in sorted(step.doses, key=lambda d: d.time)],
    }
    _duration(repeat, phase)
    return {
        "resourceType": "ServiceRequest",
        **_common(plan, phase),
        "requisition": group_identifier(plan),
        "code": {"text": phase.drug_name},
        "subject": {"reference": patient_url},
        "occurrenceTiming": {"repeat": repeat},
        "note": [{"text": phase_note(phase.name)}],
        "patientInstruction": patient_step(phase, step, words_of(plan).clock),
    }


def is_procedure(phase: PhasePlan) -> bool:
    return phase.route == "procedure" or bool(phase.sessions)


def bundle(plan: Plan) -> dict[str, Any]:
    """The Bundle as a JSON-ready dict."""
    patient_url = course_uuid(plan, "patient")
    patient: dict[str, Any] = {"resourceType": "Patient"}
    if plan.patient.name:
        patient["name"] = [{"text": plan.patient.name}]
    entries: list[tuple[str, dict[str, Any]]] = [(patient_url, patient)]
    medications: dict[str, str] = {}
    for phase in plan.phases:
        medication = None if is_procedure(phase) else _medication(plan, phase)
        if medication is not None:
            url = course_uuid(plan, "medication", phase.name)
            medications[phase.name] = url
            entries.append((url, medication))
    by_phase = _by_phase(plan)
    for phase in plan.phases:
        if not is_procedure(phase):
            url = course_uuid(plan, "request", phase.name, plan.revision)
            doses = by_phase.get(phase.name, [])
            request = _request(plan, phase, doses, patient_url, medications.get(phase.name))
            entries.append((url, request))
    for phase in plan.phases:
        if is_procedure(phase):
            url = course_uuid(plan, "service", phase.name, plan.revision)
            entries.append((url, _service(plan, phase, patient_url)))
    return {
        "resourceType": "Bundle",
        "identifier": {"system": URI, "value": course_uuid(plan, "bundle", plan.revision)},
        "type": "collection",
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }


def render_fhir(plan: Plan) -> bytes:
    """``plan.fhir.json``: the Bundle as UTF-8 JSON, two-space indented, ending in a newline."""
    return (json.dumps(bundle(plan), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def resources(document: dict[str, Any], kind: str) -> Iterable[dict[str, Any]]:
    """The resources of one type in a Bundle (for tests and the importer's round trip)."""
    for entry in document.get("entry", []):
        if entry.get("resource", {}).get("resourceType") == kind:
            yield entry["resource"]
