"""The side-effect watch list of a course: what to watch for, in three tiers, and on which days.

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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from taper.catalogue import conditions, find_drug, read_data
from taper.plan import Dose, PhasePlan, Plan
from taper.units import MASS_UNITS
from taper.voice.watchwords import watch_sentence, watch_values

TIERS = ("expected", "call", "emergency")
DAY_TRIGGERS = ("steroid-high", "steroid", "steroid-iv", "acth", "ivig", "plasma-exchange")
DURING = ("course", "steroid-any", *DAY_TRIGGERS)
# The plan warning that brings in the after-the-last-dose items (taper/safety.py).
ADRENAL_CODE = "adrenal"
# Routes on which a nurse gives the dose, so checks before it belong on the nurse sheet.
NURSE_ROUTES = ("iv", "im", "sc", "procedure")
_CLASS_TRIGGER = {"acth": "acth", "ivig": "ivig", "plasma-exchange": "plasma-exchange"}


@dataclass(frozen=True)
class WatchItem:
    """One thing to watch for; ``tier`` is ``expected``, ``call`` or ``emergency``."""

    tier: str
    text: str
    trigger: str
    source: str


@dataclass(frozen=True)
class WatchGroup:
    """The items that apply from course day ``first_day`` to ``last_day``, with a label."""

    label: str
    first_day: int
    last_day: int
    items: tuple[WatchItem, ...]


@dataclass(frozen=True)
class WatchList:
    """A course's watch list: groups by days, in course order."""

    groups: tuple[WatchGroup, ...]

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


@dataclass(frozen=True)
class _Spec:
    tier: str
    text: str
    triggers: tuple[str, ...]
    during: str
    drug: str | None
    reminder: int | None
    source: str


@dataclass(frozen=True)
class _Check:
    condition: str
    drug_class: str
    text: str
    source: str


@dataclass(frozen=True)
class _Data:
    specs: tuple[_Spec, ...]
    checks: tuple[_Check, ...]
    high_dose_mg: Decimal
    adrenal_days: int
    headings: dict[str, str]
    reminders: dict[str, str]
    labels: dict[str, str]


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
        unknown = set(item) - {"tier", "trigger", "text", "source", "during", "drug", "reminder"}
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


@cache
def _data() -> _Data:
    raw = read_data("watch.toml")
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
            )
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
        headings={tier: raw["tier"][tier]["heading"] for tier in TIERS},
        reminders={tier: raw["tier"][tier]["reminder"] for tier in TIERS},
        labels=dict(raw.get("labels", {})),
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


def _days(first: int, last: int | None) -> str:
    if last is None:
        return f"days {first}–…"
    return f"day {first}" if first == last else f"days {first}–{last}"


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _phase_runs(plan: Plan, data: _Data) -> list[tuple[int, int, PhasePlan, frozenset[str]]]:
    """Runs of days within each phase that share the same day triggers."""
    totals = _steroid_days(plan)
    runs: list[tuple[int, int, PhasePlan, frozenset[str]]] = []
    for phase in plan.phases:
        drug_class = _class_of(phase)
        if drug_class == "steroid":
            dosed = {d.day for d in plan.doses if d.phase == phase.name}
            current: frozenset[str] | None = None
            start = phase.first_day
            for day in range(phase.first_day, phase.last_day + 1):
                if day in dosed or current is None:
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
            runs.append((start, phase.last_day, phase, current))
        elif drug_class in _CLASS_TRIGGER:
            runs.append(
                (phase.first_day, phase.last_day, phase, frozenset({_CLASS_TRIGGER[drug_class]}))
            )
        else:
            runs.append((phase.first_day, phase.last_day, phase, frozenset()))
    return runs


def _phase_label(phase: PhasePlan, triggers: frozenset[str], data: _Data) -> str:
    name = _lower_first(phase.drug_name)
    if _class_of(phase) == "steroid" and phase.route == "iv":
        name = f"IV {name}"
    if "steroid-high" in triggers and phase.route != "iv":
        name += f", {data.labels.get('steroid-high', 'high dose')}"
    if _class_of(phase) is None:
        name += f": {data.labels.get('no_watch_list', '')}".rstrip(": ")
    return name


def _items(
    specs: Iterable[_Spec], triggers: Iterable[str], values: dict[str, str]
) -> tuple[WatchItem, ...]:
    wanted = list(triggers)
    items: list[WatchItem] = []
    for spec in specs:
        match = next((t for t in spec.triggers if t in wanted), None)
        if match is not None:
            items.append(
                WatchItem(spec.tier, watch_sentence(spec.text, values), match, spec.source)
            )
    return tuple(items)


def _values(plan: Plan) -> dict[str, str]:
    steroid_phases = {p.name for p in plan.phases if _class_of(p) == "steroid"}
    times = sorted({d.time for d in plan.doses if d.phase in steroid_phases})
    return watch_values(plan, times)


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


# The last few lists built, by plan identity: a calendar asks for one line per dose.
_RECENT: list[tuple[Plan, WatchList]] = []


def watch_list(plan: Plan) -> WatchList:
    """The watch list of a course: groups by days, in course order."""
    for seen, built in _RECENT:
        if seen is plan:
            return built
    built = _watch_list(plan)
    _RECENT.insert(0, (plan, built))
    del _RECENT[4:]
    return built


def _watch_list(plan: Plan) -> WatchList:
    data = _data()
    values = _values(plan)
    runs = _phase_runs(plan, data)
    dated: list[tuple[int, int, WatchGroup]] = []
    for first, last, phase, triggers in runs:
        items = _items(data.specs, triggers, values)
        if items or not triggers:
            label = f"{_days(first, last).capitalize()}, {_phase_label(phase, triggers, data)}"
            dated.append((first, 0, WatchGroup(label, first, last, items)))

    labels = conditions()
    for condition in plan.patient.conditions:
        trigger = f"condition:{condition}"
        spans: dict[tuple[int, int], list[_Spec]] = {}
        for spec in data.specs:
            if trigger in spec.triggers:
                span = _span(plan, spec.during, spec.drug, runs)
                if span is not None:
                    spans.setdefault(span, []).append(spec)
        for (first, last), specs in spans.items():
            label = f"{_days(first, last).capitalize()}, {_lower_first(labels[condition])}"
            dated.append(
                (first, 1, WatchGroup(label, first, last, _items(specs, [trigger], values)))
            )

    if any(w.code == ADRENAL_CODE for w in plan.warnings):
        steroid_days = sorted(_steroid_days(plan))
        if steroid_days:
            first = steroid_days[-1] + 1
            items = _items(data.specs, ["adrenal"], values)
            label = f"{data.labels.get('after', 'After the last dose')} ({_days(first, None)})"
            dated.append((first, 2, WatchGroup(label, first, first + data.adrenal_days - 1, items)))

    dated.sort(key=lambda entry: (entry[0], entry[1]))
    return WatchList(tuple(group for _, _, group in dated))


# The reminder lines of the last few plans, by plan identity: worked out once per plan, not once
# per dose (a 366-day course with 12 doses a day asks 4,392 times).
_RECENT_LINES: list[tuple[Plan, dict[int, str]]] = []


def reminder_line(plan: Plan, dose: Dose) -> str | None:
    """The most important item for the dose's day, as one short line (None when none applies)."""
    for seen, lines in _RECENT_LINES:
        if seen is plan:
            return lines.get(dose.day)
    lines = _reminder_lines(plan)
    _RECENT_LINES.insert(0, (plan, lines))
    del _RECENT_LINES[4:]
    return lines.get(dose.day)


def _reminder_lines(plan: Plan) -> dict[int, str]:
    """Each course day's reminder line: the item of lowest rank among the groups covering it."""
    data = _data()
    priority = {(s.tier, s.text): s.reminder for s in data.specs if s.reminder is not None}
    values = _values(plan)
    priority = {
        (tier, watch_sentence(text, values)): rank for (tier, text), rank in priority.items()
    }
    best: dict[int, tuple[int, WatchItem]] = {}
    for group in watch_list(plan).groups:
        group_best: tuple[int, WatchItem] | None = None
        for item in group.items:
            rank = priority.get((item.tier, item.text))
            if rank is not None and (group_best is None or rank < group_best[0]):
                group_best = (rank, item)
        if group_best is None:
            continue
        for day in range(group.first_day, group.last_day + 1):
            if day not in best or group_best[0] < best[day][0]:
                best[day] = group_best
    return {day: f"{data.reminders[item.tier]} {item.text}" for day, (_, item) in best.items()}


def checks_before(plan: Plan, dose: Dose) -> list[str]:
    """Checks the nurse does before a dose they give (for example blood sugar with diabetes)."""
    if dose.route not in NURSE_ROUTES:
        return []
    phase = next((p for p in plan.phases if p.name == dose.phase), None)
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


def render_watch_text(watch: WatchList) -> str:
    """The watch list as plain text: by tier, then by days (what ``taper watch`` prints)."""
    data = _data()
    lines: list[str] = []
    for tier, items in watch.by_tier().items():
        lines.append(f"== {data.headings[tier]} ==")
        lines.extend(f"  - {item.text}" for item in items)
        if not items:
            lines.append("  (nothing listed)")
        lines.append("")
    lines.append("== By days ==")
    for group in watch.groups:
        lines.append(group.label)
        for tier in TIERS:
            lines.extend(f"  {tier}: {item.text}" for item in group.items if item.tier == tier)
    return "\n".join(lines) + "\n"
