"""The page's form and the regimen document: fields named by their place in the file.

Every field is named by the place ``taper check`` gives its problems (``phase[2].steps[3].dose``),
so an error's place is the field it belongs to. The form edits a document (the dict ``tomllib``
reads from the regimen file): ``apply_form`` writes the submitted fields over it, leaving every
key the form has no field for as it was; ``edit`` adds, removes and moves phases, steps and
items. Nothing here knows about doses: values are written as typed and the checker judges them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from taper.read.keys import (  # noqa: F401 (LANGUAGES: read by form.html)
    CHECKS,
    DATE,
    DAYS,
    DIVIDED,
    FLAG,
    LANGUAGES,  # the page's choice of the patient's language (form.html)
    LIST,
    TEXT,
    WHOLE,
    form_fields,
)

# The fields of each table come from the one table of keys (taper.read.keys): name → how the
# form reads the field. form.html lays them out; tests/test_keys.py checks it shows them all.
TOP_FIELDS = form_fields("")
PATIENT_FIELDS = form_fields("patient")
ROUTINE_SLOTS = tuple(form_fields("patient.routine"))
CARE_TEAM_FIELDS = tuple(form_fields("care_team"))
PHASE_FIELDS = form_fields("phase")
STEP_FIELDS = form_fields("phase.steps")
TAPER_FIELDS = form_fields("phase.taper")
ALSO_FIELDS = form_fields("also")
WATCH_FIELDS = form_fields("watch")
DOSING_FORMS = ("dose", "steps", "taper", "sessions")
MARK = ".present"  # a hidden field beside a checkbox group: the group was on the form

_PART = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)(?:\[(\d+)\])?")


class FormData(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[str]: ...

    def __contains__(self, key: object) -> bool: ...


def field_id(place: str) -> str:
    """The HTML id of a place's field: ``phase[2].steps[3].dose`` → ``f-phase-2-steps-3-dose``."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", place).strip("-")


def error_id(place: str) -> str:
    return "e" + field_id(place)[1:]


def lookup(document: Mapping[str, Any], place: str) -> Any:
    """The value at ``place`` in the document, or None."""
    value: Any = document
    for match in _PART.finditer(place):
        key, index = match.group(1), match.group(2)
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
        if index is not None:
            if not isinstance(value, list) or not 1 <= int(index) <= len(value):
                return None
            value = value[int(index) - 1]
    return value


def shown(value: Any) -> str:
    """A document value as the form field shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, list):
        return ", ".join(shown(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {shown(item)}" for key, item in value.items())
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def dosing_form(phase: Mapping[str, Any]) -> str:
    """Which dosing form a phase uses (``dose`` when it has none yet)."""
    for form in DOSING_FORMS:
        if form in phase:
            return form
    if str(phase.get("route", "")).strip().lower() == "procedure":
        return "sessions"
    return "dose"


def _typed(kind: str, text: str) -> Any:
    """A field's text as the document value it stands for (the checker judges it)."""
    if kind == WHOLE:
        return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else text
    if kind == DATE:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return text
    if kind == LIST:
        return [item.strip() for item in text.split(",") if item.strip()]
    if kind == DAYS:
        items = [item.strip() for item in text.split(",") if item.strip()]
        return [int(i) if i.isascii() and i.isdigit() and len(i) < 10 else i for i in items]
    if kind == DIVIDED:
        divided: dict[str, Any] = {}
        for item in text.split(","):
            slot, colon, amount = item.partition(":")
            if item.strip():
                divided[slot.strip()] = amount.strip() if colon else ""
        return divided
    return text


def _apply(table: dict[str, Any], prefix: str, fields: Mapping[str, str], form: FormData) -> None:
    for key, kind in fields.items():
        name = f"{prefix}{key}"
        if kind in (CHECKS, FLAG):
            if name + MARK not in form:
                continue
            if kind == FLAG:
                if name in form:
                    table[key] = True
                elif table.get(key) is True:
                    del table[key]
                continue
            chosen = [item for item in form.getlist(name) if item]
            if chosen:
                # Keep items the checkboxes do not list (an unknown one the checker names).
                table[key] = chosen
            else:
                table.pop(key, None)
            continue
        if name not in form:
            continue
        text = str(form.get(name, "")).strip()
        if not text:
            table.pop(key, None)
            continue
        value = _typed(kind, text)
        # Only what the nurse changed: a value that shows the same is kept as the file has it.
        if shown(table.get(key)) != shown(value):
            table[key] = value


def _tables(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = document.get(key)
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


def _section(document: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = document.get(key)
    if value is None:
        value = document[key] = {}
    return value if isinstance(value, dict) else None


def apply_form(document: Mapping[str, Any], form: FormData) -> dict[str, Any]:
    """A copy of the document with the submitted fields written over it."""
    doc = copy.deepcopy(dict(document))
    _apply(doc, "", TOP_FIELDS, form)
    patient = _section(doc, "patient")
    if patient is not None:
        _apply(patient, "patient.", PATIENT_FIELDS, form)
        if any(f"patient.routine.{slot}" in form for slot in ROUTINE_SLOTS):
            routine = patient.get("routine")
            if routine is None:
                routine = {}
            if isinstance(routine, dict):
                _apply(routine, "patient.routine.", dict.fromkeys(ROUTINE_SLOTS, TEXT), form)
                if routine:
                    patient["routine"] = routine
                else:
                    patient.pop("routine", None)
    care = _section(doc, "care_team")
    if care is not None:
        _apply(care, "care_team.", dict.fromkeys(CARE_TEAM_FIELDS, TEXT), form)
    for number, phase in enumerate(_tables(doc, "phase"), 1):
        place = f"phase[{number}]"
        _apply(phase, f"{place}.", PHASE_FIELDS, form)
        steps = phase.get("steps")
        if isinstance(steps, list):
            for step_number, step in enumerate(steps, 1):
                if isinstance(step, dict):
                    _apply(step, f"{place}.steps[{step_number}].", STEP_FIELDS, form)
        taper = phase.get("taper")
        if isinstance(taper, dict):
            _apply(taper, f"{place}.taper.", TAPER_FIELDS, form)
    for number, item in enumerate(_tables(doc, "also"), 1):
        _apply(item, f"also[{number}].", ALSO_FIELDS, form)
    for number, item in enumerate(_tables(doc, "watch"), 1):
        _apply(item, f"watch[{number}].", WATCH_FIELDS, form)
    for key in ("patient", "care_team"):
        if doc.get(key) == {} and key not in document:
            del doc[key]
    return doc


class EditError(ValueError):
    """Raised for an edit the page never sends (a bad action name or number)."""


def _move(items: list[Any], index: int, offset: int) -> None:
    other = index + offset
    if not (0 <= index < len(items) and 0 <= other < len(items)):
        raise EditError("nothing to move there")
    items[index], items[other] = items[other], items[index]


def edit(document: Mapping[str, Any], action: str) -> tuple[dict[str, Any], str]:
    """Apply one structural edit; return the document and the place to focus next.

    Actions: ``phase-add``, ``phase-remove:N``, ``phase-up:N``, ``phase-down:N``,
    ``form:N:steps`` (dose | steps | taper | sessions), ``step-add:N``, ``step-remove:N:M``,
    ``step-up:N:M``, ``step-down:N:M``, ``also-add``, ``also-remove:N``, ``watch-add``,
    ``watch-remove:N``.
    """
    doc = copy.deepcopy(dict(document))
    verb, *args = action.split(":")
    try:
        numbers = [int(arg) for arg in args if arg.isascii() and arg.isdigit()]
    except ValueError as err:  # pragma: no cover - isdigit() guards int()
        raise EditError(action) from err
    if verb in ("phase-add", "also-add", "watch-add"):
        key = verb.removesuffix("-add")
        items = doc.get(key)
        if items is None:
            items = doc[key] = []
        if not isinstance(items, list):
            raise EditError(f"{key} is not a list of tables")
        items.append({})
        first = {"phase": "drug", "also": "kind", "watch": "tier"}[key]
        return doc, f"{key}[{len(items)}].{first}"
    if verb in ("phase-remove", "phase-up", "phase-down", "also-remove", "watch-remove"):
        key = verb.split("-")[0]
        items = doc.get(key)
        if not isinstance(items, list) or len(numbers) != 1 or not 1 <= numbers[0] <= len(items):
            raise EditError(f"no {key}[{numbers[0] if numbers else '?'}]")
        index = numbers[0] - 1
        if verb.endswith("remove"):
            del items[index]
            if not items and key != "phase":
                del doc[key]
            return doc, f"{key}-add"
        offset = -1 if verb.endswith("up") else 1
        _move(items, index, offset)
        return doc, f"{key}[{index + 1 + offset}].{verb.split('-')[1]}"
    phases = _tables(doc, "phase")
    if not numbers or not 1 <= numbers[0] <= len(phases):
        raise EditError(f"unknown action {action!r}")
    phase = phases[numbers[0] - 1]
    place = f"phase[{numbers[0]}]"
    if verb == "form":
        chosen = args[-1] if args else ""
        if chosen not in DOSING_FORMS:
            raise EditError(f"unknown dosing form {chosen!r}")
        if chosen == dosing_form(phase) and (chosen in phase or chosen == "dose"):
            return doc, f"{place}.form-change"
        for key in (*DOSING_FORMS, "days", "every"):
            phase.pop(key, None)
        if chosen == "steps":
            phase["steps"] = [{}]
        elif chosen == "taper":
            phase["taper"] = {}
        elif chosen == "sessions":
            phase["route"] = "procedure"
        elif str(phase.get("route", "")).lower() == "procedure":
            del phase["route"]
        return doc, f"{place}.form-change"
    steps = phase.get("steps")
    if verb == "step-add":
        if steps is None:
            raise EditError(f"{place} has no steps")
        if not isinstance(steps, list):
            raise EditError(f"{place}.steps is not a list")
        steps.append({})
        return doc, f"{place}.steps[{len(steps)}].dose"
    if not isinstance(steps, list) or len(numbers) != 2 or not 1 <= numbers[1] <= len(steps):
        raise EditError(f"unknown action {action!r}")
    index = numbers[1] - 1
    if verb == "step-remove":
        del steps[index]
        return doc, f"{place}.steps-add"
    if verb in ("step-up", "step-down"):
        offset = -1 if verb == "step-up" else 1
        _move(steps, index, offset)
        return doc, f"{place}.steps[{index + 1 + offset}].{verb.split('-')[1]}"
    raise EditError(f"unknown action {action!r}")


def field_for(place: str, known: set[str]) -> str | None:
    """The field (or group) an error's place belongs to: the place, or its nearest parent."""
    current = place
    while current:
        if current in known:
            return current
        trimmed = re.sub(r"(\[\d+\]|\.[^.\[\]]+)$", "", current)
        if trimmed == current:
            break
        current = trimmed
    return None


def blank_document(start: date, timezone: str | None) -> dict[str, Any]:
    """The regimen a blank page starts from: the course's dates, one empty phase. Without a
    ``timezone`` (this machine's names no place) the field is left for the nurse to fill."""
    doc: dict[str, Any] = {"start": start}
    if timezone is not None:
        doc["timezone"] = timezone
    doc.update({"patient": {}, "care_team": {}, "phase": [{}]})
    return doc
