"""Oracles for the FHIR tests, written without taper's code: the regimens to export, the checks
the FHIR models do not make (invariants, UCUM codes, sequences), and an independent Timing
expander whose day-by-day doses must equal ``taper plan --json``."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).parent.parent
REGIMENS = Path(__file__).parent / "regimens"
TEMPLATES = ROOT / "templates"
FIXTURES = Path(__file__).parent / "fhir"
UCUM = "http://unitsofmeasure.org"
START = date(2026, 12, 1)

#: Every Quantity code the export may write: UCUM units and annotations. Never "U", which UCUM
#: defines as the enzyme unit.
UCUM_CODES = {
    "mg",
    "g",
    "ug",
    "mL",
    "d",
    "[USP'U]",
    "[iU]",
    "{tbl}",
    "{capsule}",
    "{pack}",
    "{vial}",
    "{injector}",
}
UNITS_OF_TIME = {"s", "min", "h", "d", "wk", "mo", "a"}
V3_ROUTES = {"PO": "oral", "IV": "iv", "IVINJ": "iv", "IM": "im", "SQ": "sc"}


def template_names() -> list[str]:
    return sorted(path.stem for path in TEMPLATES.glob("*.toml"))


def template_text(name: str, zone: str = "America/New_York") -> str:
    """A template as ``taper new`` writes it, with a weight and height for per-weight ones."""
    text = (TEMPLATES / f"{name}.toml").read_text(encoding="utf-8")
    return (
        text.replace("{{start}}", START.isoformat())
        .replace("{{timezone}}", zone)
        .replace("{{weight}}", 'weight = "34.9 kg"')
        .replace("{{height}}", 'height = "120 cm"')
    )


def regimen_names() -> list[str]:
    """The test regimens that plan (``clin-two-slips`` is an invalid one on purpose)."""
    return sorted(path.name for path in REGIMENS.glob("*.toml") if path.stem != "clin-two-slips")


# -- invariants the FHIR models do not check ------------------------------------------------


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    found = [(path, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for number, item in enumerate(value):
            found += _walk(item, f"{path}[{number}]")
    return found


def _moment(text: str) -> datetime:
    if len(text) == 10:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def violations(bundle: dict[str, Any]) -> list[str]:
    """tim-10, per-1, tim-1/2, periodUnit and durationUnit values, sequence 1..n, UCUM codes,
    references that resolve, one shared group identifier."""
    problems: list[str] = []
    for path, value in _walk(bundle):
        if not isinstance(value, dict):
            continue
        if path.endswith(".repeat"):
            if "when" in value and "timeOfDay" in value:
                problems.append(f"{path}: tim-10, when with timeOfDay")
            if "period" in value and value.get("periodUnit") not in UNITS_OF_TIME:
                problems.append(f"{path}: tim-2 / periodUnit {value.get('periodUnit')!r}")
            if "duration" in value and value.get("durationUnit") not in UNITS_OF_TIME:
                problems.append(f"{path}: tim-1 / durationUnit {value.get('durationUnit')!r}")
            if value.get("periodUnit") in ("mo", "a"):
                problems.append(f"{path}: a month or year period")
            for time in value.get("timeOfDay", []):
                if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d:00", time):
                    problems.append(f"{path}: timeOfDay {time!r}")
        start, end = value.get("start"), value.get("end")
        if path.endswith("Period") and start and end and _moment(start) > _moment(end):
            problems.append(f"{path}: per-1, start after end")
        if "system" in value and value.get("system") == UCUM and "code" in value:
            if value["code"] not in UCUM_CODES:
                problems.append(f"{path}: UCUM code {value['code']!r}")
            if value.get("code") == "U":
                problems.append(f"{path}: 'U' is the enzyme unit")
        if "reference" in value and isinstance(value["reference"], str):
            urls = {entry["fullUrl"] for entry in bundle["entry"]}
            if value["reference"] not in urls:
                problems.append(f"{path}: reference {value['reference']} does not resolve")
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    if len(set(urls)) != len(urls) or not all(
        re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", u) for u in urls
    ):
        problems.append("fullUrls are not unique urn:uuid values")
    groups = set()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "MedicationRequest":
            groups.add(json.dumps(resource["groupIdentifier"], sort_keys=True))
            sequences = [d["sequence"] for d in resource["dosageInstruction"]]
            if sorted(set(sequences)) != list(
                range(1, len(set(sequences)) + 1)
            ) or sequences != sorted(sequences):
                problems.append(f"sequence {sequences} is not 1..n in order")
            for dosage in resource["dosageInstruction"]:
                if "asNeededBoolean" in dosage or "asNeededCodeableConcept" in dosage:
                    problems.append("asNeeded written")
        if resource["resourceType"] == "ServiceRequest":
            groups.add(json.dumps(resource["requisition"], sort_keys=True))
    if len(groups) > 1:
        problems.append(f"requests carry {len(groups)} group identifiers")
    order = [e["resource"]["resourceType"] for e in bundle["entry"]]
    rank = {"Patient": 0, "Medication": 1, "MedicationRequest": 2, "ServiceRequest": 3}
    if order != sorted(order, key=rank.__getitem__) or order[:1] != ["Patient"]:
        problems.append(f"entries out of order: {order}")
    return problems


# -- the independent Timing expander ---------------------------------------------------------


def _wall(day: date, time: str, zone: ZoneInfo) -> str:
    """The wall-clock time a local time is scheduled at: itself, or, inside a spring-forward
    gap, the first minute after it that exists (the README's rule)."""
    moment = datetime.combine(day, datetime.strptime(time, "%H:%M").time(), tzinfo=zone)
    while moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment.replace(
        tzinfo=None
    ):
        moment += timedelta(minutes=1)
    return moment.strftime("%H:%M")


def _dated(text: str) -> date:
    return date.fromisoformat(text[:10])


def expand(
    bundle: dict[str, Any], zone_name: str
) -> list[tuple[str, str, str, str, str | None, str | None]]:
    """Every dose and session the Bundle orders: (date, local time, drug, route, amount, UCUM
    unit), sorted."""
    zone = ZoneInfo(zone_name)
    by_url = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}
    out = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        kind = resource["resourceType"]
        if kind == "MedicationRequest":
            if "medicationReference" in resource:
                drug = by_url[resource["medicationReference"]["reference"]]["code"]["text"]
            else:
                drug = resource["medicationCodeableConcept"]["text"]
            for dosage in resource["dosageInstruction"]:
                route = V3_ROUTES[dosage["route"]["coding"][0]["code"]]
                quantity = dosage["doseAndRate"][0]["doseQuantity"]
                amount = format(Decimal(str(quantity["value"])).normalize(), "f")
                for day, time in _times(dosage["timing"]["repeat"], zone):
                    out.append((day, time, drug, route, amount, quantity["code"]))
        elif kind == "ServiceRequest":
            for day, time in _times(resource["occurrenceTiming"]["repeat"], zone):
                out.append((day, time, resource["code"]["text"], "procedure", None, None))
    return sorted(out, key=lambda item: (item[0], item[1], item[2], item[4] or ""))


def _times(repeat: dict[str, Any], zone: ZoneInfo) -> list[tuple[str, str]]:
    unit = repeat["periodUnit"]
    if unit == "h":
        first = datetime.fromisoformat(repeat["boundsPeriod"]["start"])
        moments = [first + timedelta(hours=repeat["period"] * n) for n in range(repeat["count"])]
        return [
            (m.astimezone(zone).date().isoformat(), m.astimezone(zone).strftime("%H:%M"))
            for m in moments
        ]
    step = repeat["period"] * {"d": 1, "wk": 7}[unit]
    first = _dated(repeat["boundsPeriod"]["start"])
    last = _dated(repeat["boundsPeriod"]["end"])
    assert repeat["frequency"] == len(repeat["timeOfDay"])
    found = []
    day = first
    while day <= last:
        for time in repeat["timeOfDay"]:
            found.append((day.isoformat(), _wall(day, time[:5], zone)))
        day += timedelta(days=step)
    return found


def _unit(unit: str | None, drug: str) -> str | None:
    if unit is None:
        return None
    if unit == "units":
        return "[USP'U]" if drug == "acth" else "[iU]"
    return {"mcg": "ug"}.get(unit, unit)


def planned(plan_json: bytes) -> list[tuple[str, str, str, str, str | None, str | None]]:
    """The same tuples from ``taper plan --json``."""
    plan = json.loads(plan_json, parse_float=Decimal)
    out = []
    for day in plan["days"]:
        for dose in day["doses"]:
            amount = dose["amount"]
            out.append(
                (
                    day["date"],
                    dose["time"],
                    dose["drug_name"],
                    dose["route"],
                    None if amount is None else format(Decimal(str(amount)).normalize(), "f"),
                    _unit(dose["unit"], dose["drug"]),
                )
            )
    return sorted(out, key=lambda item: (item[0], item[1], item[2], item[4] or ""))


def plan_of(text: str | bytes) -> Any:
    """The plan of a regimen's text, as ``taper plan`` makes it (no date check)."""
    from taper.engine.schedules import build_plan
    from taper.read.errors import RegimenError
    from taper.read.regimen import parse_document, parse_regimen

    data = text.encode("utf-8") if isinstance(text, str) else text
    document, problems = parse_document(data)
    if document is None:
        raise RegimenError("regimen.toml", problems)
    regimen, more = parse_regimen(document, "regimen.toml")
    if regimen is None:
        raise RegimenError("regimen.toml", [*problems, *more])
    return build_plan(regimen, [*problems, *more])


def plan_json(plan: Any) -> bytes:
    """``taper plan --json``'s bytes."""
    from taper.export.json import render_json

    return render_json(plan)
