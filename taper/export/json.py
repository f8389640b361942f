"""The plan as JSON (``taper plan --json``, ``plan.json``), per ``data/plan.schema.json``."""

from __future__ import annotations

import base64
import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from taper.read.identity import course_uid
from taper.read.keys import DEFAULT_LANGUAGE
from taper.read.units import plain
from taper.read.zones import TZDATA_VERSION
from taper.records.plan import (
    SCHEMA_ID,
    Basis,
    ContainerLine,
    DispenseLine,
    Dose,
    LiquidLine,
    PackLine,
    Plan,
    TabletCount,
)
from taper.voice.doses import dose_instructions
from taper.voice.lang import speaking
from taper.voice.words import Words, words_of

__all__ = ["SCHEMA_ID", "plan_to_dict"]

# -- the plan's fingerprint ----------------------------------------------------------------------
# A short code that every page of every handout and plan.json carry, so that loose pages can
# be matched to one plan revision. Defined once, here: the first FINGERPRINT_LENGTH characters
# of the base32 (RFC 4648: A-Z, 2-7) SHA-256 of the canonical plan JSON (plan_to_dict, keys
# sorted, no spaces, UTF-8), without its warnings and without the fingerprint itself. The
# warnings are left out because one depends on the day of the build, not on the plan
# (start-in-past); every fact they are about is in the rest of the plan. Nothing else depends on
# when or where the plan was built (no build time is in it), so builds of the same regimen a day
# apart or on another machine carry the same fingerprint, and any change to a dose, a date, a
# time, the patient or the revision gives another. 50 bits: two given plans share one by a
# one-in-a-quadrillion chance, and ten characters can be read aloud over the phone.

FINGERPRINT_LENGTH = 10
#: Keys of the plan JSON that are not part of what the fingerprint vouches for.
FINGERPRINT_LEFT_OUT = ("warnings", "fingerprint")

# One plan is fingerprinted by every file of its packet: remember the last one (by identity, so
# a plan that is equal but not the same object is worked out again, which is always right).
_last: tuple[Plan, str] | None = None


def fingerprint_of(document: dict[str, Any]) -> str:
    """The fingerprint of a plan's JSON document (``plan_to_dict``)."""
    content = {key: value for key, value in document.items() if key not in FINGERPRINT_LEFT_OUT}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii")[:FINGERPRINT_LENGTH]


def fingerprint(plan: Plan, document: dict[str, Any] | None = None) -> str:
    """The plan's fingerprint, such as ``K7Q2M4XZPA``; ``document``: the plan's JSON document,
    when the caller has it already (``render_json``)."""
    global _last
    if _last is not None and _last[0] is plan:
        return _last[1]
    if document is None:
        document = plan_to_dict(plan)
    code = fingerprint_of(document)
    _last = (plan, code)
    return code


def number(value: Decimal) -> int | float:
    """A Decimal as the JSON number that reads the same (2.5, not 2.5000000001)."""
    value = plain(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _optional(value: Decimal | None) -> int | float | None:
    return None if value is None else number(value)


# A prednisone equivalent is a division by an approximate ratio (dexamethasone 0.75 mg = 5 mg):
# its exact decimal never ends, and a float of it (1493.3333333333333) is the float's digits,
# not the plan's. plan.json gives it to 0.001 mg; every other number in it is exact.
EQUIVALENT_STEP = Decimal("0.001")


def _equivalent(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(EQUIVALENT_STEP, rounding=ROUND_HALF_UP)


def _tablets(tablets: tuple[TabletCount, ...]) -> list[dict[str, Any]]:
    return [
        {"strength": number(t.strength), "unit": t.unit, "count": number(t.count)} for t in tablets
    ]


def _basis(basis: Basis) -> dict[str, Any]:
    """A per-weight dose's arithmetic: ordered × weight (or BSA) = uncapped, then the cap."""
    return {
        "ordered": number(basis.ordered),
        "ordered_unit": basis.ordered_unit,
        "per": basis.per,
        "size": number(basis.size),
        "uncapped": number(basis.uncapped),
        "capped": _optional(basis.capped),
        "cap": _optional(basis.cap),
        "cap_kind": basis.cap_kind,
        "unit": basis.unit,
    }


def _dispense(lines: tuple[DispenseLine, ...]) -> list[dict[str, Any]]:
    return [
        {
            "drug": line.drug,
            "strength": number(line.strength),
            "unit": line.unit,
            "count": number(line.count),
        }
        for line in lines
    ]


def _liquids(lines: tuple[LiquidLine, ...]) -> list[dict[str, Any]]:
    return [
        {"drug": line.drug, "liquid": line.liquid, "volume_ml": number(line.volume_ml)}
        for line in lines
    ]


def _packs(lines: tuple[PackLine, ...]) -> list[dict[str, Any]]:
    return [
        {
            "drug": line.drug,
            "pack": line.pack,
            "packs": line.packs,
            "tablets_per_pack": line.tablets_per_pack,
            "strength": number(line.strength),
            "unit": line.unit,
            "tablets_used": number(line.used),
            "tablets_left_over": number(line.left_over),
            "phase": line.phase,
            "source": line.source,
        }
        for line in lines
    ]


def _dose(dose: Dose, words: Words) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "time": dose.time,
        "phase": dose.phase,
        "drug": dose.drug,
        "drug_name": dose.drug_name,
        "route": dose.route,
        "amount": _optional(dose.amount),
        "unit": dose.unit,
        "tablets": _tablets(dose.tablets),
        "volume_ml": _optional(dose.volume_ml),
        "duration_min": dose.duration_min,
        "instructions": dose_instructions(dose, words),
        "starts": dose.starts.isoformat(),
    }
    if dose.where:
        entry["where"] = dose.where
    if dose.session is not None:
        entry["session"] = dose.session
        entry["sessions"] = dose.sessions
    if dose.basis is not None:
        entry["basis"] = _basis(dose.basis)
    return entry


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan's JSON document. The record is in English whatever language a handout around
    it is being rendered in: its instructions, and so the fingerprint, never depend on the
    caller (a handout's footer asked for the fingerprint inside Spanish once gave another)."""
    with speaking(DEFAULT_LANGUAGE):
        return _plan_document(plan)


def _plan_document(plan: Plan) -> dict[str, Any]:
    words = words_of(plan)
    team = {k: v for k, v in plan.care_team._asdict().items() if v is not None}
    return {
        "schema": SCHEMA_ID,
        "title": plan.title,
        "timezone": plan.timezone,
        "tzdata": TZDATA_VERSION,
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "revision": plan.revision,
        "course": {
            "uid": course_uid(plan.patient.name, plan.title, plan.start, plan.course),
            "id": plan.course,
        },
        "patient": {
            **({"name": plan.patient.name} if plan.patient.name is not None else {}),
            "weight_kg": _optional(plan.patient.weight_kg),
            **(
                {"height_cm": number(plan.patient.height_cm)}
                if plan.patient.height_cm is not None
                else {}
            ),
            **({"bsa_m2": number(plan.patient.bsa_m2)} if plan.patient.bsa_m2 is not None else {}),
            "conditions": list(plan.patient.conditions),
        },
        "care_team": team,
        "phases": [
            {
                "name": phase.name,
                "drug": phase.drug,
                "drug_name": phase.drug_name,
                "route": phase.route,
                "first_day": phase.first_day,
                "last_day": phase.last_day,
                "allow": list(phase.allow),
                **({"every_hours": phase.every_hours} if phase.every_hours else {}),
                **({"pack": phase.pack} if phase.pack else {}),
                "given_by": phase.given_by,
                **({"vial": phase.vial} if phase.vial else {}),
                **({"injector": phase.injector} if phase.injector else {}),
                "steps": [
                    {
                        "first_day": step.first_day,
                        "last_day": step.last_day,
                        "days": step.days,
                        "every": step.every,
                        **(
                            {"every_hours": step.every_hours, "doses_in_series": step.series_doses}
                            if step.every_hours
                            else {}
                        ),
                        **({"max": step.max_dose} if step.max_dose else {}),
                        **({"max_daily": step.max_daily} if step.max_daily else {}),
                        "doses": [
                            {
                                "time": d.time,
                                "amount": _optional(d.amount),
                                "unit": d.unit,
                                "tablets": _tablets(d.tablets),
                                "volume_ml": _optional(d.volume_ml),
                                **({"basis": _basis(d.basis)} if d.basis else {}),
                            }
                            for d in step.doses
                        ],
                    }
                    for step in phase.steps
                ],
            }
            for phase in plan.phases
        ],
        "days": [
            {
                "day": day.day,
                "date": day.date.isoformat(),
                "weekday": day.date.strftime("%A"),
                "phases": list(day.phases),
                "doses": [_dose(dose, words) for dose in day.doses],
                "events": [
                    {
                        "time": event.time,
                        "kind": event.kind,
                        "what": event.what,
                        "duration_min": event.duration_min,
                        "where": event.where,
                    }
                    for event in day.events
                ],
            }
            for day in plan.days
        ],
        "dispense": _dispense(plan.dispense),
        "liquids": _liquids(plan.liquids),
        "packs": _packs(plan.packs),
        "fill_days": plan.fill_days,
        "fills": [
            {
                "fill": fill.number,
                "first_day": fill.first_day,
                "last_day": fill.last_day,
                "dispense": _dispense(fill.dispense),
                "liquids": _liquids(fill.liquids),
                "packs": _packs(fill.packs),
                # The vials and injectors of each fill (issue 18 item 2), in courses with them.
                **({"containers": _containers(fill.containers)} if plan.containers else {}),
            }
            for fill in plan.fills
        ],
        "totals": [
            {
                "drug": total.drug,
                "amount": number(total.amount),
                "unit": total.unit,
                "prednisone_equivalent_mg": _optional(_equivalent(total.prednisone_equivalent_mg)),
                "approximate": total.equivalence_approximate,
                **({"equivalence_note": total.equivalence_note} if total.equivalence_note else {}),
            }
            for total in plan.totals
        ],
        "warnings": [
            {"code": w.code, "message": w.message, "place": w.place} for w in plan.warnings
        ],
        # Extra properties (the contract allows them): issue 11 items 5, 8, 9; issue 12 H3, H4.
        "emergency": plan.emergency._asdict() if plan.emergency is not None else None,
        "containers": _containers(plan.containers),
        "watch": [
            {"tier": item.tier, "text": item.text, "days": list(item.days)} for item in plan.watch
        ],
    }


def _containers(lines: tuple[ContainerLine, ...]) -> list[dict[str, Any]]:
    return [
        {
            "drug": line.drug,
            "kind": line.kind,
            "size": line.size,
            "count": line.count,
            "used": line.used,
            "liquid": line.liquid,
        }
        for line in lines
    ]


def _with_fingerprint(document: dict[str, Any], code: str) -> dict[str, Any]:
    """The document with its ``fingerprint`` (``fingerprint``) after ``revision``."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        out[key] = value
        if key == "revision":
            out["fingerprint"] = code
    return out


def render_json(plan: Plan) -> bytes:
    """One top-level key a line, and one line per item of a list (a day, a phase, ...).

    Readable and diffable, and every line is encoded by json's C encoder: ``indent=`` would
    switch to its pure-Python encoder, several times slower on a long course.
    """

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["{"]
    document = plan_to_dict(plan)
    document = _with_fingerprint(document, fingerprint(plan, document))
    for number, (key, value) in enumerate(document.items()):
        comma = "," if number < len(document) - 1 else ""
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {dump(item)}" for item in value)
            lines.append(f"  {dump(key)}: [\n{items}\n  ]{comma}")
        else:
            lines.append(f"  {dump(key)}: {dump(value)}{comma}")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")
