"""The plan a reissue replaces, read back from its ``plan.json`` (``taper build --previous``).

Only what the pharmacist sheet compares is kept: each date's doses and the quantities to
dispense. The file must be a plan taper wrote (``schema`` ``taper-plan/1``), for the same patient
and the same course (``taper.read.identity``: the identity the calendar's UIDs are made from),
with a lower revision than the plan being built; anything else is refused with a message naming
the file and what differs.

A plan.json written before plans carried ``course`` is compared on the fields its identity was
made from (the patient's name, the title and the first day), which it always holds.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from taper.checks.previous_values import Reader, plan_file, read_plan_document
from taper.read.errors import OutputError
from taper.read.identity import course_uid
from taper.records.plan import SCHEMA_ID, Plan


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
    title: str
    start: date
    course: str | None  # the regimen's course = "..." (None: not given, or an older plan.json)
    drugs: tuple[str, ...]  # the phases' drug names, for saying what differs
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


def read_previous(path: Path, plan: Plan, *, read: Reader) -> PreviousPlan:
    """The previous plan from a packet folder (its ``plan.json``) or a ``plan.json`` file,
    whose bytes ``read`` gives (the front end's one reader: taper.reading.read_input)."""
    document = read_plan_document(path, read)
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
    _same_course(file, previous, plan)
    if previous.revision >= plan.revision:
        raise OutputError(
            f"{file}: is revision {previous.revision} and this plan is revision "
            f"{plan.revision}; a reissue needs a higher revision (set revision = "
            f"{previous.revision + 1} in the regimen)"
        )
    return previous


def _same_course(file: Path, previous: PreviousPlan, plan: Plan) -> None:
    """Refuse a previous plan of another course of this patient, naming what differs."""
    mine = course_uid(plan.patient.name, plan.title, plan.start, plan.course)
    theirs = course_uid(previous.patient, previous.title, previous.start, previous.course)
    if mine == theirs:
        return
    differs: list[str] = []
    if previous.course != plan.course:
        if previous.course is None:
            differs.append(f'it has no course name and this regimen has course = "{plan.course}"')
        elif plan.course is None:
            differs.append(f'it is course "{previous.course}" and this regimen names no course')
        else:
            differs.append(f'it is course "{previous.course}", not "{plan.course}"')
    if previous.start != plan.start:
        differs.append(f"its first day is {previous.start}, not {plan.start}")
    if previous.title != plan.title:
        differs.append(f'its title is "{previous.title}", not "{plan.title}"')
    drugs = tuple(dict.fromkeys(phase.drug_name for phase in plan.phases))
    if set(previous.drugs) != set(drugs):
        differs.append(f"its drugs are {', '.join(previous.drugs)}, not {', '.join(drugs)}")
    if plan.course is not None and previous.course is not None:
        fix = "give the previous packet of this course"
    else:
        fix = (
            "give the previous packet of this course. If this course was moved to a new first "
            'day or retitled, name it in both regimens with the same course = "..." (from its '
            "first issue: a course named only now cannot update the old reminders; delete the "
            "old course calendar and import the new file)"
        )
    raise OutputError(f"{file}: is another course of this patient: {'; '.join(differs)}; {fix}")


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
    title = document["title"]
    start = date.fromisoformat(document["start"])
    if not isinstance(title, str) or (patient is not None and not isinstance(patient, str)):
        raise TypeError("title or patient name is not text")
    course: str | None = None
    recorded = document.get("course")
    if recorded is not None:
        course = recorded["id"]
        if course is not None and not isinstance(course, str):
            raise TypeError("course.id is not text")
        if recorded["uid"] != course_uid(patient, title, start, course):
            # Hand-edited or made by something else: its identity cannot be trusted.
            raise ValueError("course.uid does not match the plan it is in")
    drugs = tuple(dict.fromkeys(str(phase["drug_name"]) for phase in document["phases"]))
    return PreviousPlan(
        source,
        int(document["revision"]),
        patient,
        title,
        start,
        course,
        drugs,
        doses,
        dispense,
        liquids,
    )
