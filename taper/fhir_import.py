"""An EHR's order in HL7 FHIR R4 JSON → a regimen file (``taper import``, the page's "Start
from an EHR order").

Reads a MedicationRequest, or a Bundle (``searchset`` or ``collection``) of them with their
Medication, Patient, Observation (weight, height) and ServiceRequest (procedure sessions);
references are resolved by ``fullUrl``, ``Type/id`` or ``#contained``. The structured fields
decide every dose; the order's free text is kept as comments. What taper cannot plan without
guessing is refused (FHIR.md §3): every problem at once, each with its FHIRPath place (counting
from 0, as FHIR tools do) and a fix, and the regimen is written only when it passes
``taper check``.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from taper.read.errors import Problem, RegimenError

#: A FHIR order is larger than a regimen (narratives, codings); still, nothing real is near this.
FHIR_LIMIT = 4 * 1024 * 1024
_MAX_DEPTH = 64


def _input_spec() -> Any:
    from taper.files.reading import InputSpec

    return InputSpec("the order (.json)", FHIR_LIMIT, "an exported order is far smaller")


FHIR_INPUT = _input_spec()

UCUM = "http://unitsofmeasure.org"
# doseQuantity codes → taper's units. [USP'U] (ACTH gel) and [iU] are "units"; "U" is refused:
# in UCUM it is the enzyme unit, and on paper it is a classic misreading of a zero.
_MASS = {"mg": "mg", "g": "g", "ug": "mcg", "mcg": "mcg"}
_UNITS = {"[USP'U]": "units", "[iU]": "units", "[IU]": "units"}
_PER_WEIGHT = {"mg/kg": "mg/kg", "g/kg": "g/kg", "mg/m2": "mg/m2", "g/m2": "g/m2"}
_TABLET = ("TAB", "{tbl}", "{tablet}", "{tablets}", "tablet", "tablets", "tab")
_ML = ("mL", "ml")
_KNOWN_UNITS = (
    "mg, g, ug, [USP'U], [iU], mg/kg, g/kg, mg/m2, mL (with a liquid's strength) or TAB (with "
    "the tablet's strength)"
)

_ROUTE_CODES = {
    # HL7 v3 RouteOfAdministration
    "PO": "oral",
    "IV": "iv",
    "IVINJ": "iv",
    "IVINJBOL": "iv",
    "IVINFUS": "iv",
    "IM": "im",
    "IMINJ": "im",
    "SQ": "sc",
    "SC": "sc",
    "SUBCUT": "sc",
    "SQINJ": "sc",
    # SNOMED CT
    "26643006": "oral",
    "47625008": "iv",
    "78421000": "im",
    "34206005": "sc",
    # EDQM standard terms
    "20053000": "oral",
    "20045000": "iv",
    "20035000": "im",
    "20066000": "sc",
}
_ROUTE_WORDS = {
    "oral": "oral",
    "by mouth": "oral",
    "orally": "oral",
    "po": "oral",
    "swallow, oral": "oral",
    "voie orale": "oral",
    "intravenous": "iv",
    "iv": "iv",
    "intramuscular": "im",
    "im": "im",
    "subcutaneous": "sc",
    "sc": "sc",
    "sq": "sc",
}
# FHIR EventTiming → the routine's slots (FHIR.md §3: ACM/CM/MORN breakfast, PCD/CD lunch,
# PCV/CV supper, HS bedtime; WAKE, NOON and EVE have a slot of the same meaning).
_WHEN = {
    "WAKE": "wake",
    "MORN": "breakfast",
    "CM": "breakfast",
    "ACM": "breakfast",
    "PCM": "breakfast",
    "NOON": "lunch",
    "CD": "lunch",
    "ACD": "lunch",
    "PCD": "lunch",
    "EVE": "supper",
    "CV": "supper",
    "ACV": "supper",
    "PCV": "supper",
    "HS": "bedtime",
}
# Times assumed when an order gives neither timeOfDay nor when, by doses a day.
_ASSUMED = {
    1: ("breakfast",),
    2: ("breakfast", "supper"),
    3: ("breakfast", "lunch", "supper"),
    4: ("breakfast", "lunch", "supper", "bedtime"),
}
_SERIES_HOURS = (4, 6, 8, 12)
UNREADABLE = (
    "could not be read as a FHIR R4 order (an element of an unexpected type or size); "
    "export the order again as FHIR R4 JSON"
)
_LONGEST = 1096  # days: taper's longest course (3 years)
# Orders not to be given: FHIR.md §3 names cancelled and entered-in-error; a searchset of a
# patient's orders also returns old ones (completed, stopped), which are not this course either.
_NOT_TO_GIVE = ("entered-in-error", "cancelled", "completed", "stopped")
_WEIGHT_LOINC = "29463-7"
_HEIGHT_LOINC = "8302-2"


@dataclass(frozen=True)
class ImportOptions:
    timezone: str
    start: date | None = None
    weight: str | None = None  # "70 kg" (--weight): wins over an Observation


@dataclass
class _Dose:
    """One Dosage, read: when, how much, for how long."""

    place: str
    sequence: int | None
    index: int
    amount: Decimal
    unit: str  # taper's: mg | g | mcg | units | mg/kg | ...
    times: list[str]  # HH:MM or slot names
    every: int  # days between dose days
    start: date | None
    days: int | None
    hours: int | None = None  # an hourly series
    count: int | None = None
    first: datetime | None = None  # the series' first dose
    partial: dict[date, list[str]] = field(default_factory=dict)  # edge days the bounds cut
    cap: Decimal | None = None
    cap_daily: Decimal | None = None
    duration: str | None = None  # "1 h"


@dataclass
class _Step:
    start: date
    days: int
    every: int
    doses: dict[str, str]  # time or slot → "60 mg"
    place: str

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


@dataclass
class _Phase:
    name: str
    drug: str
    route: str
    steps: list[_Step]
    extra: dict[str, Any]
    series: _Dose | None = None
    sessions: int | None = None


class _Reader:
    """Collects problems with their places; the importer reports them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.comments: list[str] = []

    def problem(self, place: str, message: str) -> None:
        self.problems.append(Problem(place, message))

    def keep(self, place: str, text: Any) -> None:
        from taper.voice.fhir import imported_text

        if isinstance(text, str) and (clean := _clean(text)):
            self.comments.append(imported_text(place, clean))


def _clean(text: str) -> str:
    """Free text fit for a one-line comment: markup, control and invisible characters out."""
    text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    kept = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn") else ch
        for ch in text
    )
    kept = " ".join(kept.split())
    return kept if len(kept) <= 400 else kept[:399] + "…"


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


def _depth(value: Any, limit: int) -> bool:
    """Whether a parsed document nests deeper than ``limit`` (iteratively: no recursion)."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return False


def parse_json(data: bytes) -> tuple[Any, list[Problem]]:
    if len(data) > FHIR_LIMIT:
        return None, [
            Problem("", f"is over {FHIR_LIMIT // (1024 * 1024)} MB; export the order alone")
        ]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return None, [
            Problem("", f"is not UTF-8 text (byte {err.start}); export the order as FHIR JSON")
        ]
    try:
        document = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except RecursionError:
        return None, [Problem("", "is nested too deeply to be a FHIR order")]
    except ValueError as err:
        where = getattr(err, "lineno", None)
        at = f"line {where}" if where else ""
        return None, [
            Problem(at, f"is not JSON ({getattr(err, 'msg', err)}); export the order as FHIR JSON")
        ]
    if _depth(document, _MAX_DEPTH):
        return None, [Problem("", "is nested too deeply to be a FHIR order")]
    return document, []


class _Index:
    """The resources of a Bundle, for resolving references."""

    def __init__(self, entries: list[tuple[str, str | None, dict[str, Any]]]) -> None:
        self.entries = entries  # (place, fullUrl, resource)

    def find(self, reference: str, holder: dict[str, Any] | None) -> dict[str, Any] | None:
        if reference.startswith("#"):
            wanted = reference[1:]
            for item in _items(_obj(holder).get("contained")):
                if isinstance(item, dict) and item.get("id") == wanted:
                    return item
            # Some EHR exports put the "contained" resource beside the request in the Bundle.
            return next((r for _, _, r in self.entries if r.get("id") == wanted), None)
        for _, url, resource in self.entries:
            if url is not None and url == reference:
                return resource
        match = re.search(r"([A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(/_history/[^/]+)?$", reference)
        if match:
            kind, ident = match.group(1), match.group(2)
            for _, _url, resource in self.entries:
                if resource.get("resourceType") == kind and resource.get("id") == ident:
                    return resource
        return None


def _items(value: Any) -> list[Any]:
    """A list element as a list: anything else (a hostile or broken file) is no items."""
    return value if isinstance(value, list) else []


def _obj(value: Any) -> dict[str, Any]:
    """An object element as a dict: anything else is an empty one."""
    return value if isinstance(value, dict) else {}


def _dec(value: Any) -> Decimal | None:
    """A number of a size a dose, a count or a period can have (a hostile 1E+999999999 is
    none: expanding it would take the machine's memory)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**9:
        return Decimal(value)  # taper's own constants (JSON numbers are read as Decimal)
    if isinstance(value, Decimal) and value.is_finite() and -12 <= value.adjusted() <= 9:
        return value
    return None


def _int(value: Any) -> int | None:
    """A whole number from 0 to 100,000 (counts, periods, days), else None."""
    number = _dec(value) if not isinstance(value, bool) else None
    if number is not None and number == number.to_integral_value() and 0 <= number <= 100_000:
        return int(number)
    return None


def _in_range(day: date) -> bool:
    from taper.read.regimen import EARLIEST_START, LATEST_START

    return EARLIEST_START <= day <= LATEST_START + timedelta(days=1100)


def _date(text: Any) -> date | None:
    if isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return day if _in_range(day) else None
    return None


def _instant(text: Any) -> datetime | None:
    if not isinstance(text, str) or not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})", text
    ):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if _in_range(moment.date()) else None


# -- the drug ----------------------------------------------------------------------------------


def _drug_from_names(names: list[str]) -> tuple[str | None, list[str]]:
    """The catalogue drug the first name that names one stands for (``text`` before a coding's
    display). A name naming two catalogue drugs is skipped as ambiguous."""
    from taper.read.catalogue import _fold, _names, find_drug

    tried = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            continue
        tried.append(name.strip())
        drug = find_drug(name)
        if drug is not None:
            return drug.id, tried
        # Whole words only: "méthylprednisolone" splits at its accent and matches nothing, so a
        # look-alike spelling is never taken for a catalogue drug; the other words of
        # "PREDNISOLONE 20 mg comprimé" do not stand in the way.
        words = f" {' '.join(re.split(r'[^a-z0-9]+', _fold(name))).strip()} "
        found = {
            drug_id
            for known, drug_id in _names().items()
            if len(known) >= 4 and f" {known} " in words
        }
        if len(found) == 1:
            return found.pop(), tried
    return None, tried


def _concept_names(concept: Any) -> list[str]:
    if not isinstance(concept, dict):
        return []
    names = [concept.get("text")]
    names += [c.get("display") for c in _items(concept.get("coding")) if isinstance(c, dict)]
    return [n for n in names if isinstance(n, str)]


@dataclass
class _Product:
    drug: str | None
    tried: list[str]
    tablet: tuple[Decimal, str] | None = None  # strength per tablet
    liquid: tuple[Decimal, str, Decimal] | None = None  # amount, unit, per mL


def _strength(r: _Reader, medication: dict[str, Any], place: str) -> tuple[Any, Any]:
    """A Medication's strength: per tablet, or per mL of a liquid."""
    for number, ingredient in enumerate(_items(medication.get("ingredient"))):
        if not isinstance(ingredient, dict) or not isinstance(ingredient.get("strength"), dict):
            continue
        where = f"{place}.ingredient[{number}].strength"
        top, bottom = (
            ingredient["strength"].get("numerator"),
            ingredient["strength"].get("denominator"),
        )
        if not isinstance(top, dict) or not isinstance(bottom, dict):
            continue
        unit = _unit_of(top)
        value, per = _dec(top.get("value")), _dec(bottom.get("value"))
        below = _unit_of(bottom)
        if value is None or per is None or value <= 0 or per <= 0:
            r.problem(where, "needs a positive numerator and denominator value")
            continue
        taper_unit = _MASS.get(unit or "") or _UNITS.get(unit or "")
        if taper_unit is None:
            r.problem(where, f'has the unit "{unit}"; write the strength in mg, g, ug or [USP\'U]')
            continue
        if below in _TABLET:
            return (value / per, taper_unit), None
        if below in _ML:
            return None, (value, taper_unit, per)
        r.problem(where, f'is per "{below}"; write it per tablet (TAB) or per mL')
    return None, None


def _product(r: _Reader, request: dict[str, Any], place: str, index: _Index) -> _Product:
    names: list[str] = []
    tablet = liquid = None
    if isinstance(request.get("medicationReference"), dict):
        reference = request["medicationReference"].get("reference")
        medication = index.find(reference, request) if isinstance(reference, str) else None
        if medication is None or medication.get("resourceType") != "Medication":
            r.problem(
                f"{place}.medicationReference",
                f"{reference!r} is not a Medication in this file; export the order with its "
                "Medication (contained or in the Bundle)",
            )
            names += [
                *_concept_names(request["medicationReference"]),
                request["medicationReference"].get("display"),
            ]
        else:
            names += _concept_names(medication.get("code"))
            tablet, liquid = _strength(r, medication, f"{place}.medicationReference")
    elif isinstance(request.get("medicationCodeableConcept"), dict):
        names += _concept_names(request["medicationCodeableConcept"])
    else:
        r.problem(
            place,
            "names no medication; the order needs medicationCodeableConcept or medicationReference",
        )
    drug, tried = _drug_from_names([n for n in names if isinstance(n, str)])
    return _Product(drug, tried, tablet, liquid)


# -- doses and timing --------------------------------------------------------------------------


def _unit_of(quantity: dict[str, Any]) -> str | None:
    code, unit = quantity.get("code"), quantity.get("unit")
    if isinstance(code, str) and code.strip():
        return code.strip()
    return unit.strip() if isinstance(unit, str) else None


def _route(r: _Reader, dosage: dict[str, Any], place: str) -> str | None:
    route = dosage.get("route")
    if not isinstance(route, dict):
        return None
    for coding in _items(route.get("coding")):
        if (
            isinstance(coding, dict)
            and isinstance(coding.get("code"), str)
            and coding["code"] in _ROUTE_CODES
        ):
            return _ROUTE_CODES[coding["code"]]
    for name in _concept_names(route):
        found = _ROUTE_WORDS.get(" ".join(name.lower().split()))
        if found:
            return found
    r.problem(
        f"{place}.route",
        f"{' / '.join(_concept_names(route)) or 'this route'} is not a route taper knows; code it "
        "PO, IV, IM or SQ (HL7 v3 RouteOfAdministration)",
    )
    return None


def _times(
    r: _Reader, repeat: dict[str, Any], place: str, frequency: int
) -> tuple[list[str], bool]:
    """The dose times: timeOfDay, else when's slots, else assumed (flagged)."""
    if "timeOfDay" in repeat:
        times = []
        for number, value in enumerate(_items(repeat.get("timeOfDay"))):
            match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)(:00(\.0+)?)?", str(value))
            if not isinstance(value, str) or not match:
                r.problem(
                    f"{place}.timeOfDay[{number}]",
                    f"{value!r} is not a time to the minute; write it like 08:00:00",
                )
                continue
            times.append(f"{match.group(1)}:{match.group(2)}")
        return times, False
    if "when" in repeat:
        if "offset" in repeat:
            r.problem(
                f"{place}.offset",
                "moves the dose away from its routine time; give timeOfDay instead",
            )
        slots = []
        for number, code in enumerate(_items(repeat.get("when"))):
            slot = _WHEN.get(code) if isinstance(code, str) else None
            if slot is None:
                r.problem(
                    f"{place}.when[{number}]",
                    f"{code!r} has no routine slot in taper; give timeOfDay, or one of "
                    f"{', '.join(_WHEN)}",
                )
            else:
                slots.append(slot)
        return slots, False
    assumed = _ASSUMED.get(frequency)
    if assumed is None:
        r.problem(place, f"gives {frequency} doses a day with no times; give timeOfDay")
        return [], False
    return list(assumed), True


def _slot_time(time: str) -> str:
    from taper.read.regimen import DEFAULT_ROUTINE

    return DEFAULT_ROUTINE.get(time, time)


def _dose(
    r: _Reader, dosage: dict[str, Any], place: str, product: _Product
) -> tuple[Decimal, str] | None:
    if dosage.get("asNeededBoolean") is True or "asNeededCodeableConcept" in dosage:
        which = "asNeededBoolean" if "asNeededBoolean" in dosage else "asNeededCodeableConcept"
        r.problem(
            f"{place}.{which}",
            "is an as-needed dose; taper schedules every dose it lists, so an as-needed order "
            "cannot be planned: ask for a scheduled order",
        )
        return None
    rates = _items(dosage.get("doseAndRate"))
    if not isinstance(rates, list):
        rates = []
    ordered = [
        (n, item)
        for n, item in enumerate(rates)
        if isinstance(item, dict) and any(k.startswith("dose") for k in item)
    ]
    typed = [
        (n, item)
        for n, item in ordered
        if any(
            c.get("code") == "ordered"
            for c in _items(_obj(item.get("type")).get("coding"))
            if isinstance(c, dict)
        )
    ]
    if not ordered:
        what = "gives only a rate" if rates else "gives no dose"
        r.problem(f"{place}.doseAndRate", f"{what}; the order needs doseQuantity for each dose")
        return None
    number, item = (typed or ordered)[0]
    where = f"{place}.doseAndRate[{number}]"
    if "doseRange" in item:
        r.problem(
            f"{where}.doseRange",
            "is a dose range; taper gives one dose at a time: ask the prescriber for the dose",
        )
        return None
    quantity = item.get("doseQuantity")
    if not isinstance(quantity, dict):
        r.problem(where, "gives no doseQuantity")
        return None
    value = _dec(quantity.get("value"))
    unit = _unit_of(quantity)
    system = quantity.get("system")
    if value is None or value <= 0:
        r.problem(f"{where}.doseQuantity.value", "needs a dose above zero")
        return None
    if "comparator" in quantity:
        r.problem(f"{where}.doseQuantity.comparator", "makes the dose a limit, not a dose")
        return None
    ucum = system in (None, UCUM)
    if unit in _MASS and ucum:
        return value, _MASS[unit]
    if unit in _UNITS and ucum:
        return value, "units"
    if unit in _PER_WEIGHT and ucum:
        return value, _PER_WEIGHT[unit]
    if unit in _TABLET:
        if product.tablet is None:
            r.problem(
                f"{where}.doseQuantity",
                f"is {value} {unit} but the order does not say the tablet's strength; give the "
                "Medication's ingredient.strength (such as 5 mg per 1 TAB) or the dose in mg",
            )
            return None
        strength, strength_unit = product.tablet
        return value * strength, strength_unit
    if unit in _ML and ucum:
        if product.liquid is None:
            r.problem(
                f"{where}.doseQuantity",
                "is in mL but the order gives no strength for the liquid; give the Medication's "
                "ingredient.strength (such as 15 mg per 5 mL) or the dose in mg",
            )
            return None
        amount, liquid_unit, per = product.liquid
        worked = (value * amount / per).normalize()
        exponent = worked.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -4:
            r.problem(
                f"{where}.doseQuantity",
                f"{value} mL of {amount} {liquid_unit} per {per} mL is not a whole dose to "
                f"0.0001 {liquid_unit}; give the dose in {liquid_unit}",
            )
            return None
        return worked, liquid_unit
    hint = (
        '"U" is the enzyme unit in UCUM and is misread on paper; ACTH gel is [USP\'U]'
        if unit == "U"
        else "a spoon is not a dose a pharmacist can check"
        if unit and ("tsp" in unit or "tbs" in unit or "spoon" in unit)
        else f"the unit must be UCUM ({UCUM})"
        if not ucum
        else "it is not a unit taper knows"
    )
    r.problem(
        f"{where}.doseQuantity", f'has the unit "{unit}": {hint}; give the dose in {_KNOWN_UNITS}'
    )
    return None


def _cap(
    r: _Reader, dosage: dict[str, Any], place: str, per_weight: bool, amount: Decimal, unit: str
) -> tuple[Decimal | None, Decimal | None]:
    caps: list[Decimal | None] = []
    for key in ("maxDosePerAdministration", "maxDosePerPeriod"):
        value = dosage.get(key)
        if value is None:
            caps.append(None)
            continue
        quantity = (
            value.get("numerator")
            if key == "maxDosePerPeriod" and isinstance(value, dict)
            else value
        )
        if key == "maxDosePerPeriod" and isinstance(value, dict):
            denominator = value.get("denominator") or {}
            if not (_dec(denominator.get("value")) == 1 and _unit_of(denominator) == "d"):
                r.problem(f"{place}.{key}.denominator", "must be 1 d (a day's total)")
                caps.append(None)
                continue
        cap_value = _dec(quantity.get("value")) if isinstance(quantity, dict) else None
        cap_unit = _MASS.get(_unit_of(quantity) or "") if isinstance(quantity, dict) else None
        if cap_value is None or cap_unit is None:
            r.problem(f"{place}.{key}", "needs a value in mg or g")
            caps.append(None)
            continue
        from taper.read.units import MASS_UNITS

        in_mg = cap_value * MASS_UNITS[cap_unit]
        if not per_weight:
            # taper refuses a cap on a fixed dose: it is only kept when the dose is within it.
            dose_mg = amount * MASS_UNITS[unit] if unit in MASS_UNITS else None
            if key == "maxDosePerAdministration" and dose_mg is not None and dose_mg > in_mg:
                r.problem(
                    f"{place}.{key}", "is below the dose itself; ask the prescriber which is meant"
                )
            caps.append(None)
            continue
        caps.append(in_mg)
    return caps[0], caps[1]


_UNREAD = {
    "modifierExtension": "changes the meaning of the order in a way taper cannot read (a "
    "modifier extension); ask for the order without it, or write the regimen by hand",
    "event": "lists the doses as instants; taper reads timing.repeat (give the doses as a "
    "repeat with timeOfDay and bounds)",
    "dayOfWeek": "names weekdays; taper schedules every day or every N days: give the days as "
    "period (2: every other day) or as separate orders",
}


def _unread(r: _Reader, element: Any, place: str, keys: tuple[str, ...]) -> None:
    """Elements that would change when a dose is given, which taper does not read: refused
    rather than skipped (a skipped dayOfWeek would give a weekly dose every day)."""
    for key in keys:
        if isinstance(element, dict) and element.get(key) not in (None, [], {}):
            r.problem(f"{place}.{key}", _UNREAD[key])


# HL7 v3 GTSAbbreviation (timing.code) as the repeat it stands for: read only when the repeat
# itself does not say how often (the structured repeat wins when it does).
_CODES: dict[str, dict[str, Any]] = {
    "QD": {"frequency": 1, "period": 1, "periodUnit": "d"},
    "BID": {"frequency": 2, "period": 1, "periodUnit": "d"},
    "TID": {"frequency": 3, "period": 1, "periodUnit": "d"},
    "QID": {"frequency": 4, "period": 1, "periodUnit": "d"},
    "QOD": {"frequency": 1, "period": 2, "periodUnit": "d"},
    "AM": {"frequency": 1, "period": 1, "periodUnit": "d", "when": ["MORN"]},
    "PM": {"frequency": 1, "period": 1, "periodUnit": "d", "when": ["EVE"]},
    "BED": {"frequency": 1, "period": 1, "periodUnit": "d", "when": ["HS"]},
    "Q4H": {"frequency": 1, "period": 4, "periodUnit": "h"},
    "Q6H": {"frequency": 1, "period": 6, "periodUnit": "h"},
    "Q8H": {"frequency": 1, "period": 8, "periodUnit": "h"},
    "WK": {"frequency": 1, "period": 1, "periodUnit": "wk"},
    "MO": {"frequency": 1, "period": 1, "periodUnit": "mo"},
}


def _how_often(
    r: _Reader, timing: dict[str, Any], repeat: dict[str, Any], place: str
) -> dict[str, Any] | None:
    """The repeat with how often it says, or ``timing.code`` says. A repeat that names no
    period is daily only when it gives the times of day (timeOfDay, when); else the code
    decides (BID is twice a day, never once), or the order is refused. ``place``: the
    Timing's own (``...dosageInstruction[0].timing``)."""
    code = _obj(timing.get("code"))
    r.keep(f"{place}.code", " / ".join(_concept_names(code)))
    if "period" in repeat or "periodUnit" in repeat:
        if "periodUnit" not in repeat:
            r.problem(f"{place}.repeat.periodUnit", "is missing; a period needs its unit")
            return None
        return repeat
    if "timeOfDay" in repeat or "when" in repeat:
        return repeat  # times of day: every day
    for coding in _items(code.get("coding")):
        value = coding.get("code") if isinstance(coding, dict) else None
        meaning = _CODES.get(value) if isinstance(value, str) else None
        if meaning:
            return {**meaning, **repeat, **{k: v for k, v in meaning.items() if k != "when"}}
    r.problem(
        f"{place}.repeat",
        "says neither how often (frequency, period, periodUnit) nor when (timeOfDay, when); "
        "give them, or a timing.code such as BID",
    )
    return None


def _repeat_numbers(r: _Reader, repeat: dict[str, Any], place: str) -> tuple[int, int, str] | None:
    for key in ("frequencyMax", "periodMax"):
        if key in repeat:
            r.problem(
                f"{place}.{key}",
                "makes the number of doses a range; taper needs one frequency: ask the "
                "prescriber how often",
            )
            return None
    frequency = _int(repeat.get("frequency", Decimal(1)))
    period_value = repeat.get("period", Decimal(1))
    period = _int(period_value)
    unit = repeat.get("periodUnit", "d")
    if unit in ("mo", "a"):
        r.problem(
            f"{place}.periodUnit",
            f'"{unit}" (a {"month" if unit == "mo" else "year"}) is not a period taper can '
            "schedule: months and years have no fixed length; give the period in days (d) or "
            "weeks (wk)",
        )
        return None
    if unit not in ("d", "wk", "h"):
        r.problem(
            f"{place}.periodUnit", f"{unit!r} is not a period taper schedules; use d, wk or h"
        )
        return None
    if frequency is None or frequency < 1 or period is None or period < 1:
        r.problem(place, "needs a whole frequency and period of at least 1")
        return None
    return frequency, period, unit


def _read_dosage(
    r: _Reader,
    dosage: dict[str, Any],
    place: str,
    number: int,
    product: _Product,
    zone: ZoneInfo,
) -> _Dose | None:
    for key in ("text", "patientInstruction"):
        r.keep(f"{place}.{key}", dosage.get(key))
    for n, extra in enumerate(_items(dosage.get("additionalInstruction"))):
        if isinstance(extra, dict):
            r.keep(f"{place}.additionalInstruction[{n}]", extra.get("text"))
    sequence = dosage.get("sequence")
    dose = _dose(r, dosage, place, product)
    timing = dosage.get("timing")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if not isinstance(repeat, dict):
        r.problem(
            f"{place}.timing",
            "gives no timing.repeat; the order must say how often and for how long",
        )
        return None
    where = f"{place}.timing.repeat"
    _unread(r, dosage, place, ("modifierExtension",))
    _unread(r, timing, f"{place}.timing", ("modifierExtension", "event"))
    _unread(r, repeat, where, ("dayOfWeek",))
    repeat = _how_often(r, _obj(timing), repeat, f"{place}.timing")
    if repeat is None:
        return None
    numbers = _repeat_numbers(r, repeat, where)
    if dose is None or numbers is None:
        return None
    amount, unit = dose
    frequency, period, period_unit = numbers
    per_weight = "/" in unit
    cap, cap_daily = _cap(r, dosage, place, per_weight, amount, unit)
    duration = None
    if "duration" in repeat:
        length, length_unit = _dec(repeat.get("duration")), repeat.get("durationUnit")
        if length is not None and length_unit in ("min", "h") and length > 0:
            duration = f"{length.normalize():f} {length_unit}"
        else:
            r.problem(f"{where}.duration", "needs a length in min or h")
    item = _Dose(
        place,
        _int(sequence),
        number,
        amount,
        unit,
        [],
        1,
        None,
        None,
        cap=cap,
        cap_daily=cap_daily,
        duration=duration,
    )
    if period_unit == "h":
        return _series(r, repeat, where, item, frequency, period, zone)
    every = period * (7 if period_unit == "wk" else 1)
    if period_unit == "wk" and frequency != 1:
        r.problem(
            where,
            "gives several doses a week; give the days as a period in days or as separate orders",
        )
        return None
    times, assumed = _times(r, repeat, where, frequency if period_unit == "d" else 1)
    if assumed:
        from taper.voice.fhir import time_not_in_order

        r.comments.append(time_not_in_order(where, ", ".join(times)))
    elif times and period_unit == "d" and "frequency" in repeat and len(times) != frequency:
        r.problem(
            where, f"gives frequency {frequency} but {len(times)} times; give one time per dose"
        )
        return None
    if not times:
        return None
    item.times, item.every = times, every
    return _bounds(r, repeat, where, item, frequency, zone)


def _bounds(
    r: _Reader, repeat: dict[str, Any], where: str, item: _Dose, frequency: int, zone: ZoneInfo
) -> _Dose | None:
    count = _int(repeat.get("count")) if "count" in repeat else None
    if "countMax" in repeat:
        r.problem(f"{where}.countMax", "makes the number of doses a range; give count alone")
        return None
    if "boundsRange" in repeat:
        r.problem(
            f"{where}.boundsRange",
            "is not a length taper can schedule; give boundsPeriod or boundsDuration",
        )
        return None
    if "boundsDuration" in repeat:
        span = repeat["boundsDuration"]
        value = _int(span.get("value")) if isinstance(span, dict) else None
        unit = _unit_of(span) if isinstance(span, dict) else None
        if value is None or value < 1 or unit not in ("d", "wk"):
            r.problem(f"{where}.boundsDuration", "needs a whole number of days (d) or weeks (wk)")
            return None
        item.days = value * (7 if unit == "wk" else 1)
        return item
    period = repeat.get("boundsPeriod")
    if isinstance(period, dict):
        start, end = period.get("start"), period.get("end")
        if _date(start) and (end is None or _date(end)):
            item.start = _date(start)
            if end is not None:
                assert item.start is not None
                last = _date(end)
                assert last is not None
                if last < item.start:
                    r.problem(f"{where}.boundsPeriod", "ends before it starts")
                    return None
                item.days = (last - item.start).days + 1
        elif _instant(start) and (end is None or _instant(end)):
            first = _instant(start)
            assert first is not None
            if end is None:
                item.start = first.astimezone(zone).date()
            else:
                last = _instant(end)
                assert last is not None
                return _within(r, where, item, first, last, zone)
        else:
            r.problem(
                f"{where}.boundsPeriod",
                "needs a start (and end) as dates (2026-12-01) or instants with their offset "
                "(2026-12-01T08:00:00-05:00)",
            )
            return None
    if item.days is None and count is not None:
        if count < 1 or count % frequency:
            r.problem(
                f"{where}.count", f"is {count}, not a whole number of days at {frequency} a day"
            )
            return None
        item.days = (count // frequency - 1) * item.every + 1
    if item.days is None:
        r.problem(
            where,
            "has no end: no boundsPeriod.end, boundsDuration or count. taper plans a course "
            'with an end (an open-ended step such as "until 3 negative dipsticks" cannot be '
            "planned); ask the prescriber for a length, then give it in the order",
        )
        return None
    return item


def _within(
    r: _Reader, where: str, item: _Dose, first: datetime, last: datetime, zone: ZoneInfo
) -> _Dose | None:
    """Bounds as instants: a dose counts only when it falls inside them, in the course's zone
    (HL7 France's examples start steps at 18:17Z: each gives exactly its days' doses)."""
    day = first.astimezone(zone).date()
    final = last.astimezone(zone).date()
    if (final - day).days > _LONGEST:
        r.problem(f"{where}.boundsPeriod", "spans more than 3 years; taper plans courses up to 3")
        return None
    given: dict[date, list[str]] = {}
    while day <= final and len(given) <= 1100:
        inside = []
        for time in item.times:
            hour, minute = map(int, _slot_time(time).split(":"))
            moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            if first <= moment <= last:
                inside.append(time)
        if inside:
            given[day] = inside
        day += timedelta(days=1)
    if not given:
        r.problem(f"{where}.boundsPeriod", "holds no dose time; check the bounds and the times")
        return None
    days = sorted(given)
    if item.every > 1:
        from itertools import pairwise

        if all((b - a).days == 1 for a, b in pairwise(days)):
            days = days[:: item.every]
    full = [d for d in days if len(given[d]) == len(item.times)]
    if len(full) != len(days) and item.every > 1:
        r.problem(
            f"{where}.boundsPeriod", "cuts a dose day short on an every-other-day order; give dates"
        )
        return None
    item.start = days[0]
    item.days = (days[-1] - days[0]).days + 1
    item.partial = {d: given[d] for d in days if len(given[d]) != len(item.times)}
    return item


def _series(
    r: _Reader,
    repeat: dict[str, Any],
    where: str,
    item: _Dose,
    frequency: int,
    hours: int,
    zone: ZoneInfo,
) -> _Dose | None:
    """Round the clock: every N hours from a first dose, ``count`` times."""
    if frequency != 1 or hours not in _SERIES_HOURS:
        r.problem(
            where,
            f"every {hours} h is not a series taper schedules; use 4, 6, 8 or 12 h with "
            "frequency 1",
        )
        return None
    bounds = repeat.get("boundsPeriod")
    period: dict[str, Any] = bounds if isinstance(bounds, dict) else {}
    first = _instant(period.get("start"))
    if first is None:
        r.problem(
            f"{where}.boundsPeriod.start",
            "a series needs the first dose as an instant with its offset",
        )
        return None
    count = _int(repeat.get("count")) if "count" in repeat else None
    last = _instant(period.get("end"))
    if count is None and last is not None:
        count = int((last - first).total_seconds() // (hours * 3600)) + 1
    if count is None:
        r.problem(where, "a series needs count (or boundsPeriod.end) to end")
        return None
    per_day = 24 // hours
    if count < 1 or count % per_day:
        r.problem(
            f"{where}.count",
            f"{count} doses every {hours} h is not a whole number of days; taper schedules "
            "whole days of a series",
        )
        return None
    local = first.astimezone(zone)
    item.hours, item.count, item.first = hours, count, first
    item.start, item.days = local.date(), count // per_day
    item.times = [local.strftime("%H:%M")]
    return item


# -- steps and phases --------------------------------------------------------------------------


def _amount_text(amount: Decimal, unit: str) -> str:
    """``60 mg``, ``2 mg/kg``, ``13.96 g``: as a regimen file writes an amount."""
    return f"{_number(amount)} {unit}"


def _number(value: Decimal) -> str:
    """A plain number, no exponent, no trailing zeros: ``20``, ``2.5``."""
    from taper.read.quantities import plain

    return format(plain(value), "f")


def _steps(r: _Reader, doses: list[_Dose], start: date | None) -> list[_Step]:
    """The Dosages in ``sequence`` order (else array order); equal sequences are one divided
    step; boundsDuration steps follow the step before."""
    order = sorted(doses, key=lambda d: (d.sequence if d.sequence is not None else 10**9, d.index))
    groups: list[list[_Dose]] = []
    for dose in order:
        if groups and dose.sequence is not None and groups[-1][0].sequence == dose.sequence:
            groups[-1].append(dose)
            continue
        # Without a sequence, Dosages over the very same dates are doses of the same days (an
        # EHR writes "10 mg mornings, 5 mg evenings" so): one divided step, as equal sequences.
        same = next(
            (
                group
                for group in groups
                if dose.sequence is None
                and group[0].sequence is None
                and dose.start is not None
                and not dose.partial
                and not group[0].partial
                and (group[0].start, group[0].days, group[0].every)
                == (dose.start, dose.days, dose.every)
            ),
            None,
        )
        if same is not None:
            same.append(dose)
        else:
            groups.append([dose])
    steps: list[_Step] = []
    for group in groups:
        head = group[0]
        for other in group[1:]:
            if (other.start, other.days, other.every) != (head.start, head.days, head.every):
                r.problem(
                    other.place,
                    f"shares sequence {head.sequence} with {head.place} but not its bounds or "
                    "period; "
                    "give doses taken together the same bounds",
                )
        begin = head.start
        if begin is None:
            begin = steps[-1].end + timedelta(days=1) if steps else start
        if begin is None:
            r.problem(
                f"{head.place}.timing.repeat",
                "has no start date (boundsPeriod.start); pass --start DATE for the first day",
            )
            return []
        assert head.days is not None
        if head.days > _LONGEST:
            r.problem(head.place, "lasts more than 3 years; taper plans courses up to 3 years")
            return []
        table: dict[str, str] = {}
        for dose in group:
            for time in dose.times:
                if time in table:
                    r.problem(
                        dose.place, f"gives a second dose at {time} in sequence {head.sequence}"
                    )
                table[time] = _amount_text(dose.amount, dose.unit)
        partial = head.partial
        if partial:
            # A first or last day the bounds cut: its own one-day step with the doses inside.
            days = sorted(partial)
            inner_start, inner_days = begin, head.days
            if days[0] == begin:
                steps.append(_Step(begin, 1, 1, {t: table[t] for t in partial[begin]}, head.place))
                inner_start, inner_days = begin + timedelta(days=1), inner_days - 1
            tail = (
                head.start is not None
                and days[-1] == begin + timedelta(days=head.days - 1)
                and days[-1] != begin
            )
            if tail:
                inner_days -= 1
            if inner_days > 0:
                steps.append(_Step(inner_start, inner_days, head.every, table, head.place))
            if tail:
                steps.append(
                    _Step(days[-1], 1, 1, {t: table[t] for t in partial[days[-1]]}, head.place)
                )
            continue
        steps.append(_Step(begin, head.days, head.every, table, head.place))
    return steps


def _runs(r: _Reader, steps: list[_Step]) -> list[list[_Step]]:
    """Steps laid end to end form one phase; a gap starts another (medrx0303's steps leave
    days between them); an overlap is refused."""
    runs: list[list[_Step]] = []
    for step in steps:
        if runs and step.start == runs[-1][-1].end + timedelta(days=1):
            runs[-1].append(step)
        elif runs and step.start <= runs[-1][-1].end:
            r.problem(
                step.place,
                f"starts {step.start} before the step before it ends ({runs[-1][-1].end}); "
                "steps of one order must follow each other",
            )
        else:
            runs.append([step])
    return runs


def _phase_table(steps: list[_Step]) -> dict[str, Any]:
    """The dosing keys of one phase: ``dose``/``days``/``at``, or ``steps``."""
    times = list(steps[0].doses)
    same_times = all(list(s.doses) == times for s in steps) and all(
        len(set(s.doses.values())) == 1 for s in steps
    )
    table: dict[str, Any] = {}
    if len(steps) == 1 and same_times:
        step = steps[0]
        table["dose"] = next(iter(step.doses.values()))
        table["days"] = step.days
        if step.every != 1:
            table["every"] = step.every
        table["at"] = times
        return table
    if same_times:
        table["at"] = times
    items = []
    for step in steps:
        item: dict[str, Any] = {}
        if same_times:
            item["dose"] = next(iter(step.doses.values()))
        else:
            item["at"] = dict(sorted(step.doses.items(), key=lambda kv: _slot_time(kv[0])))
        item["days"] = step.days
        if step.every != 1:
            item["every"] = step.every
        items.append(item)
    table["steps"] = items
    return table


def _request_phases(
    r: _Reader,
    request: dict[str, Any],
    place: str,
    index: _Index,
    options: ImportOptions,
    zone: ZoneInfo,
    weights: Callable[[str], None],
) -> list[tuple[date, dict[str, Any]]]:
    from taper.read.catalogue import drugs

    _unread(r, request, place, ("modifierExtension",))
    if request.get("doNotPerform") is True:
        r.problem(
            f"{place}.doNotPerform",
            "is true: the order says NOT to give this medicine; it cannot become a course",
        )
    status = request.get("status")
    if status in _NOT_TO_GIVE:
        r.problem(
            f"{place}.status",
            f'is "{status}": this order is not to be given; export the active order instead',
        )  # the rest is still read: every problem at once
    for key in ("text",):
        narrative = request.get(key)
        if isinstance(narrative, dict) and narrative.get("status") != "generated":
            r.keep(f"{place}.text", narrative.get("div"))
    phase_name = None
    for number, note in enumerate(_items(request.get("note"))):
        if isinstance(note, dict) and isinstance(note.get("text"), str):
            match = re.fullmatch(r"Phase: (.{1,80})", note["text"].strip())
            if match and phase_name is None:
                phase_name = _clean(match.group(1))
            else:
                r.keep(f"{place}.note[{number}]", note["text"])
    product = _product(r, request, place, index)
    if product.drug is None:
        tried = ", ".join(f'"{n}"' for n in product.tried) or "no name"
        r.problem(
            f"{place}.medication",
            f"is not a drug in taper's catalogue (tried {tried}); taper plans corticosteroids, "
            "ACTH gel, IVIG and plasma exchange: check the order, or write the regimen by hand",
        )
    dosages = request.get("dosageInstruction")
    if not isinstance(dosages, list) or not dosages:
        r.problem(place, "has no dosageInstruction; taper needs the doses")
        return []
    read: list[_Dose] = []
    routes: set[str] = set()
    for number, dosage in enumerate(dosages):
        where = f"{place}.dosageInstruction[{number}]"
        if not isinstance(dosage, dict):
            r.problem(where, "is not a Dosage")
            continue
        route = _route(r, dosage, where)
        if route:
            routes.add(route)
        item = _read_dosage(r, dosage, where, number, product, zone)
        if item is not None:
            read.append(item)
            if "/" in item.unit:
                weights(item.unit)
    if len(routes) > 1:
        r.problem(f"{place}.dosageInstruction", "gives different routes; one order per route")
    if product.drug is None or not read or len(read) != len(dosages):
        return []
    drug = drugs()[product.drug]
    route = routes.pop() if routes else (drug.routes[0] if drug.routes else "oral")
    extra: dict[str, Any] = {}
    if product.liquid is not None:
        amount, unit, per = product.liquid
        per_text = "mL" if per == 1 else f"{_number(per)} mL"
        extra["liquid"] = f"{_amount_text(amount, unit)}/{per_text}"
    elif product.tablet is not None and route == "oral":
        extra["tablets"] = [_amount_text(*product.tablet)]
    if any(d.cap is not None for d in read):
        extra["max"] = _amount_text(max(d.cap for d in read if d.cap is not None), "mg")
    if any(d.cap_daily is not None for d in read):
        extra["max_daily"] = _amount_text(
            max(d.cap_daily for d in read if d.cap_daily is not None), "mg"
        )
    durations = {d.duration for d in read if d.duration}
    if durations:
        extra["duration"] = sorted(durations)[0]
    performer = request.get("performer")
    performer_type = " ".join(_concept_names(request.get("performerType"))).lower()
    subject = (
        _obj(request.get("subject")).get("reference")
        if isinstance(request.get("subject"), dict)
        else None
    )
    if route in ("sc", "im"):
        if isinstance(performer, dict) and subject and performer.get("reference") == subject:
            extra["given_by"] = "patient"
        elif "caregiver" in performer_type:
            extra["given_by"] = "caregiver"
        elif "staff" in performer_type or "nurse" in performer_type:
            extra["given_by"] = "staff"
        else:
            r.problem(
                f"{place}.performer",
                "does not say who gives the injection; the order needs performer (the Patient) "
                'or performerType ("caregiver", "staff")',
            )
    series = [d for d in read if d.hours]
    if series:
        if len(read) > 1:
            r.problem(
                f"{place}.dosageInstruction",
                "mixes a round-the-clock series with other doses; one order per series",
            )
            return []
        item = series[0]
        assert item.start is not None and item.days is not None
        table = {
            "name": phase_name or drug.display,
            "drug": drug.id,
            "route": route,
            **extra,
            "dose": _amount_text(item.amount, item.unit),
            "every": f"{item.hours}h",
            "days": item.days,
            "at": item.times,
        }
        return [(item.start, table)]
    steps = _steps(r, read, options.start)
    phases = []
    for number, run in enumerate(_runs(r, steps), 1):
        from taper.voice.fhir import imported_phase_name

        name = imported_phase_name(phase_name or drug.display, number)
        table = {"name": name, "drug": drug.id, "route": route, **extra, **_phase_table(run)}
        phases.append((run[0].start, table))
    return phases


def _service_phase(
    r: _Reader, service: dict[str, Any], place: str, zone: ZoneInfo, options: ImportOptions
) -> list[tuple[date, dict[str, Any]]]:
    from taper.read.catalogue import drugs

    status = service.get("status")
    if status in ("entered-in-error", "revoked", "completed"):
        r.problem(
            f"{place}.status",
            f'is "{status}": these sessions are not to be given; export the active order',
        )
        return []
    drug_id, tried = _drug_from_names(_concept_names(service.get("code")))
    if drug_id is None or "procedure" not in drugs()[drug_id].routes:
        shown = ", ".join(f'"{n}"' for n in tried) or "no name"
        r.problem(
            f"{place}.code",
            f"is not a procedure in taper's catalogue (tried {shown}); taper plans plasma "
            "exchange sessions",
        )
        return []
    name = None
    for number, note in enumerate(_items(service.get("note"))):
        if isinstance(note, dict) and isinstance(note.get("text"), str):
            match = re.fullmatch(r"Phase: (.{1,80})", note["text"].strip())
            if match and name is None:
                name = _clean(match.group(1))
            else:
                r.keep(f"{place}.note[{number}]", note["text"])
    r.keep(f"{place}.patientInstruction", service.get("patientInstruction"))
    timing = service.get("occurrenceTiming")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if not isinstance(repeat, dict):
        r.problem(
            f"{place}.occurrenceTiming", "is missing; give the sessions as occurrenceTiming.repeat"
        )
        return []
    where = f"{place}.occurrenceTiming.repeat"
    _unread(r, service, place, ("modifierExtension",))
    _unread(r, timing, f"{place}.occurrenceTiming", ("modifierExtension", "event"))
    _unread(r, repeat, where, ("dayOfWeek",))
    if service.get("doNotPerform") is True:
        r.problem(f"{place}.doNotPerform", "is true: the order says NOT to do these sessions")
    how = _how_often(r, _obj(timing), repeat, f"{place}.occurrenceTiming")
    if how is None:
        return []
    repeat = how
    numbers = _repeat_numbers(r, repeat, where)
    if numbers is None:
        return []
    frequency, period, unit = numbers
    if unit != "d" or frequency != 1:
        r.problem(where, "sessions are scheduled once on a day, every period days (periodUnit d)")
        return []
    times, assumed = _times(r, repeat, where, 1)
    item = _Dose(where, None, 0, Decimal(1), "mg", times, period, None, None)
    if assumed:
        from taper.voice.fhir import time_not_in_order

        r.comments.append(time_not_in_order(where, ", ".join(times)))
    bounded = _bounds(r, repeat, where, item, 1, zone)
    if bounded is None:
        return []
    begin = bounded.start or options.start
    if begin is None or bounded.days is None:
        r.problem(f"{where}.boundsPeriod.start", "has no start date; pass --start DATE")
        return []
    table: dict[str, Any] = {
        "name": name or drugs()[drug_id].display,
        "drug": drug_id,
        "route": "procedure",
        "sessions": len(range(0, bounded.days, period)),
        "every": period,
        "at": times,
    }
    if "duration" in repeat:
        length, length_unit = _dec(repeat.get("duration")), repeat.get("durationUnit")
        if length is not None and length_unit in ("min", "h"):
            table["duration"] = f"{length.normalize():f} {length_unit}"
    return [(begin, table)]


def _patient_key(index: _Index, subject: Any) -> Any:
    """What tells two requests' patients apart: the resolved Patient, else the reference."""
    if not isinstance(subject, dict):
        return None
    reference = subject.get("reference")
    if isinstance(reference, str):
        found = index.find(reference, None)
        return id(found) if found is not None else reference
    return subject.get("display") or None


def _same_patient(r: _Reader, index: _Index, first: Any, subject: Any, place: str) -> Any:
    """The first request's subject; a request for someone else is refused (a searchset can
    hold several patients' orders: one regimen is one patient's course)."""
    if first is None:
        return subject
    if _patient_key(index, subject) != _patient_key(index, first):
        r.problem(
            f"{place}.subject",
            "is another patient than the first order's; import one patient's orders at a time",
        )
    return first


def _patient(r: _Reader, index: _Index, subject: Any) -> tuple[str | None, dict[str, Any] | None]:
    patient = None
    if isinstance(subject, dict) and isinstance(subject.get("reference"), str):
        patient = index.find(subject["reference"], None)
    if patient is None:
        patients = [res for _, _, res in index.entries if res.get("resourceType") == "Patient"]
        patient = patients[0] if len(patients) == 1 else None
    name = None
    if patient is not None:
        for entry in _items(patient.get("name")):
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("text"), str):
                name = entry["text"]
            else:
                parts = [*_items(entry.get("given")), entry.get("family")]
                name = " ".join(p for p in parts if isinstance(p, str)) or None
            if name:
                break
    if name is None and isinstance(subject, dict) and isinstance(subject.get("display"), str):
        name = subject["display"]
    return (_clean(name) or None) if name else None, patient


def _observation(
    index: _Index, code: str, patient: dict[str, Any] | None
) -> tuple[Decimal, str] | None:
    """The latest Observation with this LOINC code, as (value, UCUM unit)."""
    found: list[tuple[str, Decimal, str]] = []
    for _, _, resource in index.entries:
        if resource.get("resourceType") != "Observation" or resource.get("status") in (
            "entered-in-error",
            "cancelled",
        ):
            continue
        subject = resource.get("subject")
        if patient is not None and isinstance(subject, dict):
            reference = subject.get("reference")
            if isinstance(reference, str) and index.find(reference, None) is not patient:
                continue  # another patient's weight
        codings = _items(_obj(resource.get("code")).get("coding"))
        if not any(isinstance(c, dict) and c.get("code") == code for c in codings):
            continue
        value = resource.get("valueQuantity")
        if isinstance(value, dict) and _dec(value.get("value")) is not None:
            when = str(resource.get("effectiveDateTime") or "")
            found.append((when, value["value"], _unit_of(value) or ""))
    if not found:
        return None
    _, value, unit = max(found, key=lambda item: item[0])
    return value, unit


def _after(requests: list[dict[str, Any]]) -> str | None:
    """The regimen's ``after`` from the orders' courseOfTherapyType: "continue" when any
    order is continuous long-term therapy, "stop" when every coded one is a short course;
    none when no order says."""
    codes = set()
    for request in requests:
        concept = _obj(request.get("courseOfTherapyType"))
        for coding in _items(concept.get("coding")):
            coding = _obj(coding)
            if coding.get("system") == _COURSE_OF_THERAPY_SYSTEM:
                codes.add(coding.get("code"))
    if "continuous" in codes:
        return "continue"
    if "acute" in codes:
        return "stop"
    return None


_COURSE_OF_THERAPY_SYSTEM = (
    "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"
)


def import_order(data: bytes, source: str, options: ImportOptions) -> str:
    """The regimen (TOML text) for an order; RegimenError with every problem otherwise."""
    from taper.read.zones import is_zone
    from taper.voice.fhir import imported_header
    from taper.web.tomltext import dumps

    document, problems = parse_json(data)
    if document is None:
        raise RegimenError(source, problems)
    r = _Reader()
    if not is_zone(options.timezone):
        raise RegimenError(source, [Problem("", f'"{options.timezone}" is not an IANA time zone')])
    zone = ZoneInfo(options.timezone)
    kind = document.get("resourceType") if isinstance(document, dict) else None
    entries: list[tuple[str, str | None, dict[str, Any]]] = []
    if kind == "Bundle":
        if document.get("type") not in ("searchset", "collection"):
            raise RegimenError(
                source,
                [
                    Problem(
                        "Bundle.type",
                        f'is "{document.get("type")}"; taper reads a searchset or collection '
                        "Bundle",
                    )
                ],
            )
        for number, entry in enumerate(_items(document.get("entry"))):
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
                entries.append((f"Bundle.entry[{number}].resource", url, entry["resource"]))
    elif kind in ("MedicationRequest", "ServiceRequest"):
        entries.append((kind, None, document))
    elif not isinstance(document, dict):
        raise RegimenError(
            source,
            [Problem("", "is not a FHIR resource (a JSON object with a resourceType)")],
        )
    else:
        raise RegimenError(
            source,
            [
                Problem(
                    "resourceType",
                    f"is {kind!r}; taper reads a MedicationRequest or a Bundle of them",
                )
            ],
        )
    index = _Index(entries)
    needed: set[str] = set()
    phases: list[tuple[date, dict[str, Any]]] = []
    subject = None
    for place, _, resource in entries:
        if resource.get("resourceType") not in ("MedicationRequest", "ServiceRequest"):
            continue
        subject = _same_patient(r, index, subject, resource.get("subject"), place)
        if resource.get("resourceType") == "MedicationRequest":
            phases += _request_phases(r, resource, place, index, options, zone, needed.add)
        else:
            phases += _service_phase(r, resource, place, zone, options)
    requests = [
        res
        for _, _, res in entries
        if res.get("resourceType") in ("MedicationRequest", "ServiceRequest")
    ]
    after = _after(requests)
    if not requests:
        r.problem("", "holds no MedicationRequest; export the order itself")
    name, patient = _patient(r, index, subject)
    patient_table: dict[str, Any] = {}
    if name:
        patient_table["name"] = name
    if needed:
        from taper.read.units import parse_weight

        if options.weight:
            patient_table["weight"] = options.weight.strip()
        else:
            weight = _observation(index, _WEIGHT_LOINC, patient)
            if weight is None:
                r.problem(
                    "",
                    "doses per kg or m² need the weight: pass --weight, or include an "
                    "Observation (LOINC 29463-7)",
                )
            else:
                value, unit = weight
                text = {"kg": "kg", "[lb_av]": "lb", "g": "g"}.get(unit)
                if text == "g":
                    value, text = value / 1000, "kg"
                if text is None:
                    r.problem(
                        "", f'the weight Observation is in "{unit}"; taper reads kg or [lb_av]'
                    )
                else:
                    patient_table["weight"] = f"{_number(value)} {text}"
        if "weight" in patient_table:
            try:
                parse_weight(patient_table["weight"])
            except ValueError as err:
                r.problem("--weight", str(err))
        if any(unit.endswith("/m2") for unit in needed):
            height = _observation(index, _HEIGHT_LOINC, patient)
            if height is None:
                r.problem("", "doses per m² need the height: include an Observation (LOINC 8302-2)")
            else:
                value, unit = height
                text = {"cm": "cm", "[in_i]": "in"}.get(unit)
                if text is None:
                    r.problem(
                        "", f'the height Observation is in "{unit}"; taper reads cm or [in_i]'
                    )
                else:
                    patient_table["height"] = f"{_number(value)} {text}"
    if r.problems:
        raise RegimenError(source, r.problems)
    if not phases:
        raise RegimenError(source, [Problem("", "holds no order taper can plan")])
    phases.sort(key=lambda item: item[0])
    start = phases[0][0]
    names: set[str] = set()
    tables = []
    for begin, table in phases:
        base, number = table["name"], 1
        while table["name"] in names:
            number += 1
            table["name"] = f"{base} ({number})"
        names.add(table["name"])
        ordered = {
            "name": table.pop("name"),
            "drug": table.pop("drug"),
            "route": table.pop("route"),
        }
        ordered["start_day"] = (begin - start).days + 1
        ordered.update(table)
        tables.append(ordered)

    document_out: dict[str, Any] = {  # no title: the reader's default names the drugs
        "start": start,
        "timezone": options.timezone,
    }
    if after is not None:
        document_out["after"] = after
    if patient_table:
        document_out["patient"] = patient_table
    document_out["phase"] = tables
    header = [f"# {imported_header(_clean(source) or 'the order')}"] + [
        f"# {line}" for line in dict.fromkeys(r.comments)
    ]
    return dumps(document_out, "\n".join(header))


def _check(text: str, source: str) -> list[Problem]:
    """``taper check``'s errors for the regimen text (none: it plans). The date is not
    checked: an order may start in the past (a warning), and the import adds no clock."""
    from taper.engine.schedules import build_plan
    from taper.read.regimen import parse_document, parse_regimen

    document, problems = parse_document(text.encode("utf-8"))
    if document is None:
        return problems
    regimen, more = parse_regimen(document, source)
    if regimen is None:
        return [*problems, *more]
    try:
        build_plan(regimen, [*problems, *more])
    except RegimenError as err:
        return list(err.problems)
    return []


def checked_import(
    data: bytes, source: str, options: ImportOptions, output_name: str = "regimen.toml"
) -> str:
    """``import_order``, then ``taper check`` on the result: only a regimen that passes comes
    back; its problems otherwise, in the regimen's own places."""
    try:
        text = import_order(data, source, options)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError) as err:
        # Every element is type-checked where it is read (the hostile-order property test
        # checks that this is never reached); should one slip through, the nurse still gets a
        # plain refusal, never a traceback.
        raise RegimenError(source, [Problem("", UNREADABLE)]) from err
    errors = _check(text, output_name)
    if errors:
        problems = [
            Problem(
                f"imported {output_name}: {p.place}" if p.place else f"imported {output_name}",
                p.message,
            )
            for p in errors
        ]
        if any(p.place == "care_team.emergency" for p in errors):
            # The regimen is not written yet: the zone is what the nurse can give now.
            problems.append(
                Problem(
                    "--timezone",
                    f'"{options.timezone}" gives no emergency number; pass the zone the patient '
                    "lives in, such as --timezone America/New_York",
                )
            )
        raise RegimenError(source, problems)
    return text
