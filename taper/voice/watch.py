"""The side-effect watch list of a course: what to watch for, in four tiers, and on which days.

Every item, its tier, what triggers it and its source live in ``data/watch.toml``; this module
only decides which items apply to a plan and on which days. Pure: it reads package data and the
plan, nothing else.

Triggers (documented with the data):
- ``steroid-high``: a day whose steroid doses by mouth or IV add up to at least the high-dose
  threshold in prednisone-equivalent (``[high_dose]`` in the data);
- ``steroid``: any other steroid day; ``steroid-iv``: a day with a steroid infusion;
- ``acth``, ``ivig``, ``plasma-exchange``: the days of a phase of that class;
- ``adrenal``: after the last steroid dose, when the plan carries the ``adrenal`` warning;
- ``condition:<id>``: the patient has that condition (``data/conditions.toml``).

The prescriber's own ``[[watch]]`` items join the built-in ones on their days; a depot
injection's items run about 6 weeks (``data/safety.toml``); the emergency heading carries the
plan's emergency number, never a fixed one.
"""

import re
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from taper.read.catalogue import conditions, find_drug, shared_data
from taper.read.rules import depot_days
from taper.read.units import MASS_UNITS
from taper.records.plan import ByPlan, Dose, PhasePlan, Plan, Warning
from taper.voice import people
from taper.voice.lang import language
from taper.voice.watchwords import (
    PRESCRIBER_SOURCE,
    after_course_label,
    data_text,
    group_label,
    lower_first,
    more_urgent_warning,
    overlap_warning,
    phase_watch_label,
    reminder_watch_line,
    says_whom_to_call,
    watch_sentence,
    watch_values,
)
from taper.voice.words import words_of

# In order of urgency; "now" is "call straight away, day or night" (clinical-reference-2 §7, §9).
TIERS = ("expected", "call", "now", "emergency")
GIVERS = ("staff", "patient", "caregiver")
DAY_TRIGGERS = ("steroid-high", "steroid", "steroid-iv", "acth", "ivig", "plasma-exchange")
DURING = ("course", "steroid-any", *DAY_TRIGGERS)
# The plan warning that brings in the after-the-last-dose items (taper/checks/safety.py).
ADRENAL_CODE = "adrenal"
# Routes on which a nurse gives the dose, so checks before it belong on the nurse sheet.
NURSE_ROUTES = ("iv", "im", "sc", "procedure")
_CLASS_TRIGGER = {"acth": "acth", "ivig": "ivig", "plasma-exchange": "plasma-exchange"}
# Whom an item may name: the regimen's [care_team] maternity / oncology contacts (M4).
CONTACTS = ("maternity", "oncology")
# An item without a contact (the prescriber's own included) is for the clinic.
CLINIC = "clinic"


# Records are NamedTuples: a frozen dataclass costs every command about 1 ms to create at
# import, a NamedTuple a quarter of that (this module is on every command's path).
class WatchItem(NamedTuple):
    """One thing to watch for; ``tier`` is ``expected``, ``call``, ``now`` or ``emergency``.
    ``id`` names a built-in item (for ``replaces``); ``signs`` are the signs it gives an
    instruction for; ``contact`` whom it says to call (``maternity``, ``oncology``)."""

    tier: str
    text: str
    trigger: str
    source: str
    id: str = ""
    signs: tuple[str, ...] = ()
    contact: str | None = None


class WatchGroup(NamedTuple):
    """The items that apply from course day ``first_day`` to ``last_day``, with a label."""

    label: str
    first_day: int
    last_day: int
    items: tuple[WatchItem, ...]


class WatchList(NamedTuple):
    """A course's watch list: groups by days, in course order.

    ``headings`` are the tier headings with the plan's emergency number filled in; ``advice``
    is how to look after a medicine used at home (storage, injecting, sharps).
    """

    groups: tuple[WatchGroup, ...]
    headings: tuple[tuple[str, str], ...] = ()
    advice: tuple[WatchItem, ...] = ()
    #: Whom each tier's heading says to call (``call_text``): the one contact every item of
    #: the tier uses, or ``None`` when they differ (each item then names its own).
    contacts: tuple[tuple[str, str | None], ...] = ()
    #: The ids of the built-in items left out because another item stands in for them.
    replaced: frozenset[str] = frozenset()

    def contact(self, tier: str) -> str | None:
        """The contact the tier's heading names (``clinic``, ``maternity``, ``oncology``), or
        ``None`` when its items name different ones."""
        return dict(self.contacts).get(tier, CLINIC)

    def by_tier(self) -> dict[str, list[WatchItem]]:
        """Every tier as a key; each item once (the first time its text appears), in order."""
        tiers: dict[str, list[WatchItem]] = {tier: [] for tier in TIERS}
        seen: set[tuple[str, str]] = set()
        for group in self.groups:
            for item in group.items:
                if (item.tier, item.text) not in seen:
                    seen.add((item.tier, item.text))
                    tiers[item.tier].append(item)
        return tiers


# -- the data -----------------------------------------------------------------------------------


# The key in a plan's watch values that marks a caregiver's page (never a {placeholder}).
CAREGIVER = "given_by_caregiver"


class _Spec(NamedTuple):
    tier: str
    text: str
    triggers: tuple[str, ...]
    during: str
    drug: str | None
    reminder: int | None
    source: str
    after_days: int = 0
    with_condition: str | None = None
    without_condition: str | None = None
    id: str = ""
    signs: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    contact: str | None = None
    caregiver: str | None = None  # the text for a caregiver's page ("Your child may...")


class _Advice(NamedTuple):
    trigger: str
    text: str
    given_by: tuple[str, ...]
    container: str | None
    source: str


class _Check(NamedTuple):
    condition: str
    drug_class: str
    text: str
    source: str


class _Data(NamedTuple):
    specs: tuple[_Spec, ...]
    checks: tuple[_Check, ...]
    high_dose_mg: Decimal
    adrenal_days: int
    low_dose_mg: Decimal
    headings: dict[str, str]
    reminders: dict[str, str]
    labels: dict[str, str]
    advice: tuple[_Advice, ...] = ()


def known_trigger(trigger: str) -> bool:
    """Whether the code knows how to apply ``trigger``."""
    if trigger.startswith("condition:"):
        return trigger.removeprefix("condition:") in conditions()
    return trigger in DAY_TRIGGERS or trigger == "adrenal"


def data_problems(raw: dict[str, Any]) -> list[str]:
    """What is wrong with a parsed ``watch.toml`` (empty when it is valid)."""
    problems: list[str] = []
    for number, item in enumerate(raw.get("item", []), 1):
        where = f"item[{number}]"
        for key in ("tier", "trigger", "text", "source"):
            if not item.get(key):
                problems.append(f"{where}: {key} is missing")
        unknown = set(item) - {
            "tier",
            "trigger",
            "text",
            "source",
            "during",
            "drug",
            "reminder",
            "after_days",
            "with",
            "without",
            "id",
            "signs",
            "replaces",
            "caregiver",
            "contact",
        }
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        if item.get("tier") and item["tier"] not in TIERS:
            problems.append(f"{where}: unknown tier {item['tier']!r}")
        triggers = item.get("trigger") or []
        for trigger in [triggers] if isinstance(triggers, str) else triggers:
            if not known_trigger(trigger):
                problems.append(f"{where}: unknown trigger {trigger!r}")
        during = item.get("during", "course")
        if during not in DURING:
            problems.append(f"{where}: unknown during {during!r}")
        if during != "course" and not all(
            str(t).startswith("condition:")
            for t in ([triggers] if isinstance(triggers, str) else triggers)
        ):
            problems.append(f"{where}: during is for condition items only")
        if "drug" in item and find_drug(item["drug"]) is None:
            problems.append(f"{where}: unknown drug {item['drug']!r}")
        if "reminder" in item and type(item["reminder"]) is not int:
            problems.append(f"{where}: reminder must be a whole number")
        if "after_days" in item and (
            type(item["after_days"]) is not int or not 0 <= item["after_days"] <= 366
        ):
            problems.append(f"{where}: after_days must be a whole number of days")
        for key in ("with", "without"):
            if key in item and item[key] not in conditions():
                problems.append(f"{where}: unknown condition {item[key]!r} in {key}")
        if item.get("contact", "maternity") not in CONTACTS:
            problems.append(f"{where}: contact must be one of {', '.join(CONTACTS)}")
    ids = [item["id"] for item in raw.get("item", []) if "id" in item]
    if len(ids) != len(set(ids)):
        problems.append("item ids must be unique")
    for number, item in enumerate(raw.get("item", []), 1):
        for replaced in item.get("replaces", []):
            if replaced not in ids:
                problems.append(f"item[{number}]: replaces unknown id {replaced!r}")
    problems += _sign_problems(raw.get("item", []))
    for number, advice in enumerate(raw.get("advice", []), 1):
        where = f"advice[{number}]"
        for key in ("trigger", "text", "source"):
            if not advice.get(key):
                problems.append(f"{where}: {key} is missing")
        unknown = set(advice) - {"trigger", "text", "source", "given_by", "container"}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        if advice.get("trigger") and advice["trigger"] not in DAY_TRIGGERS:
            problems.append(f"{where}: unknown trigger {advice['trigger']!r}")
        if any(g not in GIVERS for g in advice.get("given_by", [])):
            problems.append(f"{where}: given_by must list {', '.join(GIVERS)}")
        if advice.get("container", "vial") not in ("vial", "injector"):
            problems.append(f"{where}: container must be vial or injector")
    for number, check in enumerate(raw.get("check", []), 1):
        for key in ("condition", "drug_class", "text", "source"):
            if not check.get(key):
                problems.append(f"check[{number}]: {key} is missing")
        if check.get("condition") and check["condition"] not in conditions():
            problems.append(f"check[{number}]: unknown condition {check['condition']!r}")
    for tier in TIERS:
        for key in ("heading", "reminder"):
            if not raw.get("tier", {}).get(tier, {}).get(key):
                problems.append(f"tier.{tier}.{key} is missing")
    for section, key in (
        ("high_dose", "prednisone_equivalent_mg_per_day"),
        ("adrenal", "days_after_last_dose"),
    ):
        if not raw.get(section, {}).get(key) or not raw[section].get("source"):
            problems.append(f"{section}.{key} and {section}.source are required")
    return problems


def _urgency(tier: str) -> int:
    return TIERS.index(tier) if tier in TIERS else -1


def _sign_problems(items: list[dict[str, Any]]) -> list[str]:
    """One instruction for a sign on a page (issue 25): two items that share a sign must have
    one replace the other; the one that stands in is at least as urgent, and gives an
    instruction for every sign of the item it replaces (no sign leaves the page)."""
    problems: list[str] = []
    by_id = {item["id"]: item for item in items if "id" in item}
    for item in items:
        for name in item.get("replaces", []):
            other = by_id.get(name)
            if other is None:
                continue
            lost = set(other.get("signs", [])) - set(item.get("signs", []))
            if lost:
                problems.append(
                    f"item {item.get('id', item.get('text'))!r} replaces {name!r} but gives no "
                    f"instruction for {sorted(lost)}: split {name!r} into one item per sign"
                )
            if _urgency(item.get("tier", "")) < _urgency(other.get("tier", "")):
                problems.append(
                    f"item {item.get('id', item.get('text'))!r} replaces {name!r}, which is "
                    "more urgent: the most urgent instruction for a sign stays"
                )
    signed = [item for item in items if item.get("signs")]
    for number, item in enumerate(signed):
        for other in signed[number + 1 :]:
            shared = set(item["signs"]) & set(other["signs"])
            if not shared:
                continue
            if other.get("id") not in item.get("replaces", []) and item.get("id") not in other.get(
                "replaces", []
            ):
                problems.append(
                    f"items {item.get('id')!r} and {other.get('id')!r} both give an instruction "
                    f"for {sorted(shared)}: one must replace the other"
                )
    return problems


@cache
def _data() -> _Data:
    raw = shared_data("watch.toml")
    problems = data_problems(raw)
    if problems:
        raise ValueError("taper/data/watch.toml: " + "; ".join(problems))
    specs = []
    for item in raw["item"]:
        triggers = item["trigger"]
        specs.append(
            _Spec(
                tier=item["tier"],
                text=item["text"],
                triggers=(triggers,) if isinstance(triggers, str) else tuple(triggers),
                during=item.get("during", "course"),
                drug=item.get("drug"),
                reminder=item.get("reminder"),
                source=item["source"],
                after_days=item.get("after_days", 0),
                with_condition=item.get("with"),
                without_condition=item.get("without"),
                id=item.get("id", ""),
                signs=tuple(item.get("signs", ())),
                replaces=tuple(item.get("replaces", ())),
                contact=item.get("contact"),
                caregiver=item.get("caregiver"),
            )
        )
    advice = tuple(
        _Advice(
            a["trigger"],
            a["text"],
            tuple(a.get("given_by", GIVERS)),
            a.get("container"),
            a["source"],
        )
        for a in raw.get("advice", [])
    )
    checks = tuple(
        _Check(c["condition"], c["drug_class"], c["text"], c["source"])
        for c in raw.get("check", [])
    )
    return _Data(
        specs=tuple(specs),
        checks=checks,
        high_dose_mg=Decimal(raw["high_dose"]["prednisone_equivalent_mg_per_day"]),
        adrenal_days=int(raw["adrenal"]["days_after_last_dose"]),
        low_dose_mg=Decimal(raw["adrenal"]["low_dose_prednisone_mg"]),
        headings={tier: raw["tier"][tier]["heading"] for tier in TIERS},
        reminders={tier: raw["tier"][tier]["reminder"] for tier in TIERS},
        labels=dict(raw.get("labels", {})),
        advice=advice,
    )


# -- which days carry which triggers --------------------------------------------------------


def _class_of(phase: PhasePlan) -> str | None:
    if phase.drug_class is not None:
        return phase.drug_class
    drug = find_drug(phase.drug)
    return drug.drug_class if drug is not None else None


def _prednisone_mg(dose: Dose) -> Decimal | None:
    """The dose as prednisone-equivalent mg (oral and IV only, where the ratios hold)."""
    drug = find_drug(dose.drug)
    if (
        drug is None
        or drug.prednisone_equivalent is None
        or dose.amount is None
        or dose.unit not in MASS_UNITS
        or dose.route not in ("oral", "iv")
    ):
        return None
    mg = dose.amount * MASS_UNITS[dose.unit]
    return mg * 5 / drug.prednisone_equivalent.in_mg()


def _steroid_days(plan: Plan) -> dict[int, Decimal]:
    """Course days with a steroid dose, each with its prednisone-equivalent total."""
    steroid_phases = {p.name for p in plan.phases if _class_of(p) == "steroid"}
    days: dict[int, Decimal] = {}
    for dose in plan.doses:
        if dose.phase in steroid_phases:
            days[dose.day] = days.get(dose.day, Decimal(0)) + (_prednisone_mg(dose) or 0)
    return days


def _depot_days(phase: PhasePlan) -> int | None:
    return depot_days(phase.drug, phase.route)


def _phase_runs(plan: Plan, data: _Data) -> list[tuple[int, int, PhasePlan, frozenset[str]]]:
    """Runs of days within each phase that share the same day triggers.

    A depot injection's last run lasts as long as the depot works (about 6 weeks, M4).
    """
    totals = _steroid_days(plan)
    runs: list[tuple[int, int, PhasePlan, frozenset[str]]] = []
    for phase in plan.phases:
        drug_class = _class_of(phase)
        if drug_class == "steroid":
            dosed = sorted({d.day for d in plan.doses if d.phase == phase.name})
            dosed_set = set(dosed)
            current: frozenset[str] | None = None
            start = phase.first_day
            for day in range(phase.first_day, phase.last_day + 1):
                if day in dosed_set or current is None:
                    high = totals.get(day, Decimal(0)) >= data.high_dose_mg
                    kinds = {"steroid-high" if high else "steroid"}
                    if phase.route == "iv":
                        kinds.add("steroid-iv")
                    triggers = frozenset(kinds)
                    if current is not None and triggers != current:
                        runs.append((start, day - 1, phase, current))
                        start = day
                    current = triggers
            assert current is not None
            last = phase.last_day
            depot = _depot_days(phase)
            if depot is not None and dosed:
                last = max(last, dosed[-1] + depot - 1)
            runs.append((start, last, phase, current))
        elif drug_class == "plasma-exchange":
            # The line stays in until it is removed: to its removal day when the plan has one.
            last = max([phase.last_day, *_line_removal_days(plan, phase.last_day)])
            runs.append((phase.first_day, last, phase, frozenset({"plasma-exchange"})))
        elif drug_class in _CLASS_TRIGGER:
            runs.append(
                (phase.first_day, phase.last_day, phase, frozenset({_CLASS_TRIGGER[drug_class]}))
            )
        else:
            runs.append((phase.first_day, phase.last_day, phase, frozenset()))
    return runs


def _line_removal_days(plan: Plan, after: int) -> list[int]:
    """The first day, on or after ``after``, of an [[also]] item that takes the line out: its
    ``what`` names the line and its removal (``[line_removal]`` in the data), in any order."""
    words = shared_data("watch.toml")["line_removal"]
    days = sorted(
        event.day
        for event in plan.events
        if event.day >= after
        and (found := set(re.findall(r"[a-z]+", event.what.lower())))
        and found & set(words["line"])
        and found & set(words["removal"])
    )
    return days[:1]


def _phase_label(phase: PhasePlan, triggers: frozenset[str], data: _Data) -> str:
    return phase_watch_label(
        phase.drug_name,
        data.labels,
        iv_steroid=_class_of(phase) == "steroid" and phase.route == "iv",
        high_dose="steroid-high" in triggers and phase.route != "iv",
        depot=_depot_days(phase) is not None,
        no_watch_list=_class_of(phase) is None,
    )


def _applies(spec: _Spec, conditions_: tuple[str, ...], phase: PhasePlan | None) -> bool:
    """The item's own filters: the patient's other conditions, and the drug of a day trigger."""
    if spec.with_condition is not None and spec.with_condition not in conditions_:
        return False
    if spec.without_condition is not None and spec.without_condition in conditions_:
        return False
    is_condition = any(t.startswith("condition:") for t in spec.triggers)
    return is_condition or spec.drug is None or phase is None or phase.drug == spec.drug


def _items(
    specs: Iterable[_Spec],
    triggers: Iterable[str],
    values: dict[str, str],
    conditions_: tuple[str, ...] = (),
    phase: PhasePlan | None = None,
) -> tuple[tuple[WatchItem, int], ...]:
    """Matching items, each with its after_days."""
    wanted = list(triggers)
    items: list[tuple[WatchItem, int]] = []
    for spec in specs:
        match = next((t for t in spec.triggers if t in wanted), None)
        if match is not None and _applies(spec, conditions_, phase):
            # A caregiver's page speaks of the child: its own form of the sentence (L1).
            said = spec.caregiver if spec.caregiver and values.get(CAREGIVER) else spec.text
            text = watch_sentence(said, values)
            if spec.contact is not None:
                text = f"{text} {values[f'contact:{spec.contact}']}"
            item = WatchItem(
                spec.tier,
                text,
                match,
                spec.source,
                spec.id,
                spec.signs,
                spec.contact,
            )
            items.append((item, spec.after_days))
    return tuple(items)


def _values(plan: Plan) -> dict[str, str]:
    steroid_phases = {p.name for p in plan.phases if _class_of(p) == "steroid"}
    times = sorted({d.time for d in plan.doses if d.phase in steroid_phases})
    values = watch_values(plan, times, words_of(plan))
    home = [p for p in plan.phases if p.given_by != "staff" and _class_of(p) in ("steroid", "acth")]
    if home and all(p.given_by == "caregiver" for p in home):
        values[CAREGIVER] = "yes"
    return values


def _span(
    plan: Plan,
    during: str,
    drug: str | None,
    runs: list[tuple[int, int, PhasePlan, frozenset[str]]],
) -> tuple[int, int] | None:
    if during == "course":
        return (1, plan.length)
    if during == "steroid-any":
        days = sorted(_steroid_days(plan))
        return (days[0], days[-1]) if days else None
    firsts = [
        first
        for first, _, phase, triggers in runs
        if during in triggers and (drug is None or phase.drug == drug)
    ]
    lasts = [
        last
        for _, last, phase, triggers in runs
        if during in triggers and (drug is None or phase.drug == drug)
    ]
    return (min(firsts), max(lasts)) if firsts else None


def emergency_number(plan: Plan) -> str:
    """The number the handouts print for an emergency (never a made-up one)."""
    return people.emergency_number(plan)


def headings(plan: Plan) -> dict[str, str]:
    """Tier headings, with the plan's emergency number."""
    number = emergency_number(plan)
    return {
        tier: data_text(text).replace("{emergency}", number)
        for tier, text in _data().headings.items()
    }


# By plan and language: a calendar asks for one line per dose.
_WATCH_LISTS: ByPlan[WatchList] = ByPlan()


def watch_list(plan: Plan) -> WatchList:
    """The watch list of a course: groups by days, in course order."""
    return _WATCH_LISTS.get(plan, language(), lambda: _watch_list(plan))


def _runs_of(days: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _watch_list(plan: Plan, *, stand_in: bool = True) -> WatchList:
    data = _data()
    values = _values(plan)
    runs = _phase_runs(plan, data)
    patient_conditions = plan.patient.conditions
    dated: list[tuple[int, int, WatchGroup]] = []
    for first, last, phase, triggers in runs:
        found = _items(data.specs, triggers, values, patient_conditions, phase)
        label = _phase_label(phase, triggers, data)
        by_after: dict[int, list[WatchItem]] = {}
        for item, after in found:
            by_after.setdefault(after, []).append(item)
        if not found and not triggers:
            by_after[0] = []
        for after, items in sorted(by_after.items()):
            end = last + after
            label_text = group_label(first, end, label, data.labels, after_days=after)
            dated.append((first, 0, WatchGroup(label_text, first, end, tuple(items))))

    labels = conditions()
    for condition in patient_conditions:
        trigger = f"condition:{condition}"
        spans: dict[tuple[int, int], list[_Spec]] = {}
        for spec in data.specs:
            if trigger in spec.triggers and _applies(spec, patient_conditions, None):
                span = _span(plan, spec.during, spec.drug, runs)
                if span is not None:
                    spans.setdefault(span, []).append(spec)
        for (first, last), specs in spans.items():
            label = group_label(
                first,
                last,
                lower_first(data_text(labels[condition], "conditions.toml")),
                data.labels,
            )
            found = _items(specs, [trigger], values, patient_conditions)
            found_items = tuple(item for item, _ in found)
            dated.append((first, 1, WatchGroup(label, first, last, found_items)))

    for entry in plan.watch:
        for first, last in _runs_of(entry.days):
            label = group_label(first, last, data_text(data.labels["prescriber"]), data.labels)
            item = WatchItem(entry.tier, entry.text, "prescriber", PRESCRIBER_SOURCE)
            dated.append((first, 1, WatchGroup(label, first, last, (item,))))
    by_id = {spec.id: spec for spec in data.specs if spec.id}
    # The prescriber's item stands in for the built-in items it names, unless one of them is
    # more urgent: the most urgent instruction for a sign stays (taper check says so).
    replaced = {
        name
        for entry in plan.watch
        for name in entry.replaces
        if name not in by_id or _urgency(by_id[name].tier) <= _urgency(entry.tier)
    }

    if any(w.code == ADRENAL_CODE for w in plan.warnings):
        steroid_days = sorted(_steroid_days(plan) | _acth_days(plan))
        if steroid_days:
            first = steroid_days[-1] + 1
            low = low_steps_start(plan)
            after_items = tuple(item for item, _ in _items(data.specs, ["adrenal"], values))
            label = after_course_label(first, data.labels)
            if plan.continues:
                # The treatment goes on: the signs are watched for all along, not "after the
                # last dose" (after = "continue").
                first = steroid_days[0]
                label = after_course_label(first, data.labels, continues=True)
            elif low is not None:
                label = after_course_label(low, data.labels, low_steps=True)
                first = low
            last = first + data.adrenal_days - 1
            dated.append((first, 2, WatchGroup(label, first, last, after_items)))

    dated.sort(key=lambda entry: (entry[0], entry[1]))
    # One page, one instruction for a sign: an item another present item (or the prescriber's
    # own) stands in for is left out (issue 25, H2).
    present = {item.id for _, _, group in dated for item in group.items if item.id}
    replaced |= {name for item_id in present for name in by_id[item_id].replaces}
    if not stand_in:
        replaced = set()
    dated = [
        (first, rank, _without(group, replaced))
        for first, rank, group in dated
        if not group.items or _without(group, replaced).items
    ]
    merged = _merge_prescriber(dated)
    contacts = _tier_contacts(merged)
    return WatchList(
        tuple(_own_contacts(merged, contacts, people.call_clinic(plan))),
        tuple(headings(plan).items()),
        _advice(plan, data),
        tuple(contacts.items()),
        frozenset(replaced),
    )


def _contact_of(item: WatchItem) -> str:
    return item.contact or CLINIC


def _tier_contacts(groups: list[WatchGroup]) -> dict[str, str | None]:
    """Each tier's one contact, or ``None`` when its items name different ones (issue 25: a
    heading names a contact only if every item under it uses that contact)."""
    found: dict[str, set[str]] = {tier: set() for tier in TIERS}
    for group in groups:
        for item in group.items:
            found[item.tier].add(_contact_of(item))
    return {
        tier: (next(iter(names)) if len(names) == 1 else None if names else CLINIC)
        for tier, names in found.items()
    }


def _own_contacts(
    groups: list[WatchGroup], contacts: dict[str, str | None], clinic: str
) -> list[WatchGroup]:
    """In a tier whose items name different contacts, each item carries its own: a built-in
    item for the clinic gets the clinic's number; the prescriber's own line too, unless it
    says whom to call in its own words."""
    out: list[WatchGroup] = []
    for group in groups:
        items = tuple(
            item._replace(text=f"{item.text} {clinic}")
            if contacts.get(item.tier, CLINIC) is None
            and item.contact is None
            and not (item.trigger == "prescriber" and says_whom_to_call(item.text))
            else item
            for item in group.items
        )
        out.append(
            group
            if items == group.items
            else WatchGroup(group.label, group.first_day, group.last_day, items)
        )
    return out


def adrenal_signs(plan: Plan) -> list[str]:
    """The adrenal section's signs: the after-the-last-dose items to call the clinic about,
    less those another item on the page stands in for (pregnancy's belly pain is an
    emergency), so that the section too gives one instruction for a sign."""
    values = _values(plan)
    left_out = watch_list(plan).replaced
    return [
        item.text
        for item, _ in _items(_data().specs, ["adrenal"], values)
        if item.tier == "call" and item.id not in left_out
    ]


def triggered_signs(plan: Plan) -> frozenset[str]:
    """Every sign of every item the plan triggers, before any item stands in for another: the
    page must still give an instruction for each (an oracle for the tests)."""
    every = _watch_list(plan, stand_in=False)
    return frozenset(sign for group in every.groups for item in group.items for sign in item.signs)


def _without(group: WatchGroup, replaced: set[str]) -> WatchGroup:
    items = tuple(item for item in group.items if not item.id or item.id not in replaced)
    return (
        group
        if items == group.items
        else WatchGroup(group.label, group.first_day, group.last_day, items)
    )


def with_watch_overlaps(plan: Plan) -> Plan:
    """The plan with a ``watch-overlap`` warning for each prescriber's [[watch]] item about a
    sign a built-in item on the same page also covers, without ``replaces``: it names the id
    to replace, so that one page never gives two instructions for one sign (issue 25, H2)."""
    if not plan.watch:
        return plan
    warnings = tuple(
        Warning(
            "watch-overlap",
            overlap_warning(sign, item.id, item.text, item.tier),
            f"watch[{number}]",
        )
        for number, sign, item in prescriber_overlaps(plan)
    )
    return _with_warnings(plan, warnings + _more_urgent(plan))


def with_watch_warnings(plan: Plan) -> Plan:
    """The plan with the watch list's warnings for ``taper check``: a prescriber's item about
    a sign a built-in item covers (``watch-overlap``), or replacing a more urgent one
    (``watch-more-urgent``). (A title that names a condition the patient's list does not
    declare is an error of the reader: taper.read.regimen._condition_in_title.)"""
    return with_watch_overlaps(plan)


def _with_warnings(plan: Plan, warnings: tuple[Warning, ...]) -> Plan:
    return plan._replace(warnings=plan.warnings + warnings) if warnings else plan


def _more_urgent(plan: Plan) -> tuple[Warning, ...]:
    by_id = {spec.id: spec for spec in _data().specs if spec.id}
    return tuple(
        Warning(
            "watch-more-urgent",
            more_urgent_warning(name, by_id[name].tier, entry.tier),
            f"watch[{number}].replaces",
        )
        for number, entry in enumerate(plan.watch, 1)
        for name in entry.replaces
        if name in by_id and _urgency(by_id[name].tier) > _urgency(entry.tier)
    )


def prescriber_overlaps(plan: Plan) -> list[tuple[int, str, WatchItem]]:
    """The prescriber's ``[[watch]]`` items (by position, from 1) that name a sign a built-in
    item on the same page also gives an instruction for, without ``replaces``: each with the
    sign and the built-in item, so the fix can name the id (issue 25, H2)."""
    words: dict[str, list[str]] = shared_data("watch.toml").get("sign_words", {})
    built_in = [
        item
        for items in watch_list(plan).by_tier().values()
        for item in items
        if item.trigger != "prescriber" and item.id
    ]
    found: list[tuple[int, str, WatchItem]] = []
    for number, entry in enumerate(plan.watch, 1):
        text = f" {' '.join(re.findall(r'[a-z]+', entry.text.lower()))} "
        for sign, names in words.items():
            if not any(f" {name} " in text for name in names):
                continue
            for item in built_in:
                # A more urgent item it replaces stays: watch-more-urgent says so.
                if sign in item.signs and item.id not in entry.replaces:
                    found.append((number, sign, item))
    return found


def _merge_prescriber(dated: list[tuple[int, int, WatchGroup]]) -> list[WatchGroup]:
    """Prescriber items on the same days share one group, in the order the file gives them."""
    groups: list[WatchGroup] = []
    for _, _, group in dated:
        if (
            groups
            and group.items
            and all(i.trigger == "prescriber" for i in group.items)
            and groups[-1].label == group.label
        ):
            groups[-1] = WatchGroup(
                group.label, group.first_day, group.last_day, groups[-1].items + group.items
            )
        else:
            groups.append(group)
    return groups


def low_steps_start(plan: Plan) -> int | None:
    """The first day of the low steps that end a taper: the last run of steroid days at or below
    about 5 mg prednisone-equivalent a day, when it ends the course's steroid days (a course
    that is low all along has no "low steps")."""
    limit = _data().low_dose_mg
    totals = _steroid_days(plan)
    days = sorted(totals)
    if not days or any(totals[d] == 0 for d in days):
        return None  # a drug taper cannot convert: no dose to compare
    start = None
    for day in reversed(days):
        if totals[day] > limit:
            break
        start = day
    if start is None or start == days[0]:
        return None
    return start


def _acth_days(plan: Plan) -> dict[int, Decimal]:
    acth = {p.name for p in plan.phases if _class_of(p) == "acth"}
    return {dose.day: Decimal(0) for dose in plan.doses if dose.phase in acth}


def _advice(plan: Plan, data: _Data) -> tuple[WatchItem, ...]:
    """How to look after a medicine used at home, once each."""
    items: list[WatchItem] = []
    for phase in plan.phases:
        kinds = {_CLASS_TRIGGER.get(_class_of(phase) or "", "")}
        container = "vial" if phase.vial else "injector" if phase.injector else None
        for advice in data.advice:
            if (
                advice.trigger in kinds
                and phase.given_by in advice.given_by
                and (advice.container is None or advice.container == container)
            ):
                item = WatchItem("advice", data_text(advice.text), advice.trigger, advice.source)
                if item not in items:
                    items.append(item)
    return tuple(items)


# Reminder ranks for the prescriber's own items: an emergency item they wrote matters most.
PRESCRIBER_RANK = {"emergency": 1, "now": 2, "call": 3}


# By plan and language: worked out once per plan, not once per dose (a 366-day course with 12
# doses a day asks 4,392 times).
_REMINDER_LINES: ByPlan[dict[int, str]] = ByPlan()


def reminder_line(plan: Plan, dose: Dose) -> str | None:
    """The most important item for the dose's day, as one short line (None when none applies)."""
    return _REMINDER_LINES.get(plan, language(), lambda: _reminder_lines(plan)).get(dose.day)


def _reminder_lines(plan: Plan) -> dict[int, str]:
    """Each course day's reminder line: the item of lowest rank among the groups covering it
    (the prescriber's own items ranked by tier), with the plan's emergency number."""
    data = _data()
    priority = {(s.tier, s.text): s.reminder for s in data.specs if s.reminder is not None}
    values = _values(plan)
    priority = {
        (tier, watch_sentence(text, values)): rank for (tier, text), rank in priority.items()
    }
    best: dict[int, tuple[int, WatchItem]] = {}
    last_day = plan.length
    for group in watch_list(plan).groups:
        group_best: tuple[int, WatchItem] | None = None
        for item in group.items:
            if item.trigger == "prescriber":
                rank = PRESCRIBER_RANK.get(item.tier)
            else:
                # An item that names its contact carries the contact's number after its text.
                rank = priority.get((item.tier, item.text)) or next(
                    (
                        r
                        for (tier, text), r in priority.items()
                        if tier == item.tier and item.text.startswith(f"{text} ")
                    ),
                    None,
                )
            if rank is not None and (group_best is None or rank < group_best[0]):
                group_best = (rank, item)
        if group_best is None:
            continue
        # Reminders fall on course days only: a window past the course (the adrenal year, a
        # depot's 6 weeks) needs no line for the days after it.
        for day in range(group.first_day, min(group.last_day, last_day) + 1):
            if day not in best or group_best[0] < best[day][0]:
                best[day] = group_best
    number = emergency_number(plan)
    return {
        day: reminder_watch_line(data_text(data.reminders[item.tier]), number, item.text)
        for day, (_, item) in best.items()
    }


def checks_before(plan: Plan, dose: Dose) -> list[str]:
    """Checks the nurse does before a dose staff give (for example blood sugar with diabetes)."""
    if dose.route not in NURSE_ROUTES:
        return []
    phase = next((p for p in plan.phases if p.name == dose.phase), None)
    if phase is not None and phase.given_by != "staff":
        return []
    drug_class = _class_of(phase) if phase is not None else None
    checks: list[str] = []
    for check in _data().checks:
        if (
            check.condition in plan.patient.conditions
            and check.drug_class == drug_class
            and check.text not in checks
        ):
            checks.append(check.text)
    return checks


def watch_words() -> tuple[dict[str, str], dict[str, str]]:
    """The watch list's tier headings and labels (``data/watch.toml``), for the words module."""
    data = _data()
    return dict(data.headings), dict(data.labels)
