"""The clinical rule tables, loaded once: ``data/safety.toml`` (issue 12's limits, each with its
source beside it) and the fixed thresholds of the checks, with their references.

Data on the read floor: ``taper.checks.safety`` (the checks) applies them, the engine measures
liquid volumes with ``measured_volume``, the voice asks ``is_iv_push``, the watch list
``depot_days``.
"""

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from typing import Any, NamedTuple

from taper.read.catalogue import read_data
from taper.read.units import MASS_UNITS, parse_amount, plain

__all__ = [
    "ACTH_ADRENAL_DAYS",
    "ADRENAL_HIGH_DAYS",
    "ADRENAL_HIGH_MG",
    "ADRENAL_LOW_DAYS",
    "ADRENAL_LOW_MG",
    "EVENING_FROM",
    "EVENING_UNTIL",
    "MANY_TABLETS",
    "Lowest",
    "Pulse",
    "Rules",
    "depot_days",
    "exposure_runs",
    "is_iv_push",
    "longest_exposure",
    "measured_volume",
    "rules",
    "syringe_step",
]

# A steroid dose at or after 20:00, or before 05:00, keeps people awake (clinical-reference §7).
EVENING_FROM = "20:00"
EVENING_UNTIL = "05:00"
# "Many tablets at one time": a note for the patient sheet (25 × 50 mg for 1250 mg prednisone).
MANY_TABLETS = 10
# The adrenal rule, clinical-reference §6 (ESE/Endocrine Society 2024; BNF).
ADRENAL_LOW_MG, ADRENAL_LOW_DAYS = Decimal(5), 21  # > 5 mg-eq a day for ≥ 21 days
ADRENAL_HIGH_MG, ADRENAL_HIGH_DAYS = Decimal(40), 7  # > 40 mg-eq a day for > 7 days
# ACTH gel has no prednisone equivalent (clinical-reference-2 §6: none found). The label warns of
# adrenal suppression after prolonged therapy; a course over 21 days or more raises the same
# note (the §6 rule's 21 days; clinical-reference-2 §6 product note, H4: "a 21-day 80–120 unit
# course should raise an adrenal-type note").
ACTH_ADRENAL_DAYS = 21


class Pulse(NamedTuple):
    drug: str
    route: str
    per_day_mg: Decimal
    days: int
    text: str


class Lowest(NamedTuple):
    """The low end of a drug's usual range by a route (issue 18 item 9; data/safety.toml)."""

    per_day: Decimal | None  # mg or units
    per_day_text: str | None
    per_kg_per_day: Decimal | None  # mg (or units) per kg
    per_kg_text: str | None
    error: bool  # a floor the label states: an error unless allowed; else a warning


def _lowest(entry: dict[str, Any]) -> Lowest:
    per_day = parse_amount(entry["per_day"]) if "per_day" in entry else None
    per_kg = parse_amount(entry["per_kg_per_day"]) if "per_kg_per_day" in entry else None
    return Lowest(
        None if per_day is None else per_day.value * MASS_UNITS.get(per_day.unit, Decimal(1)),
        entry.get("per_day"),
        None if per_kg is None else per_kg.value * MASS_UNITS.get(per_kg.base_unit, Decimal(1)),
        entry.get("per_kg_per_day"),
        bool(entry["error"]),
    )


class Rules(NamedTuple):
    per_weight_drugs: tuple[str, ...]
    per_weight_route: str
    usual_per_kg: Decimal
    usual_per_m2: Decimal
    highest_per_kg: Decimal
    largest_liquid_ml: Decimal
    syringe: tuple[tuple[Decimal, Decimal], ...]  # (up to mL, step mL), smallest first
    times_usual: int
    pulses: tuple[Pulse, ...]
    depots: dict[tuple[str, str], int]  # (drug, route) → watch days
    iv_push: frozenset[str]
    injectors: dict[str, dict[str, Any]]
    lowest: dict[tuple[str, str], Lowest]  # (drug, route) → the low end of the usual range
    exposure_break_days: int  # a break this long or longer ends a course (data/safety.toml)


@cache
def rules() -> Rules:
    """``data/safety.toml``: the issue 12 rules, with their sources beside them."""
    raw = read_data("safety.toml")
    per_weight = raw["per_weight"]
    pulses = tuple(
        Pulse(
            p["drug"],
            p["route"],
            parse_amount(p["per_day"]).in_mg(),
            int(p["days"]),
            f"{p['per_day']} a day for up to {p['days']} days",
        )
        for p in raw["pulse"]
    )
    return Rules(
        per_weight_drugs=tuple(per_weight["drugs"]),
        per_weight_route=per_weight["route"],
        usual_per_kg=Decimal(per_weight["usual_top_per_kg"]),
        usual_per_m2=Decimal(per_weight["usual_top_per_m2"]),
        highest_per_kg=Decimal(per_weight["highest_per_kg"]),
        largest_liquid_ml=Decimal(raw["liquid"]["largest_single_dose_ml"]),
        syringe=tuple(
            sorted((Decimal(s["up_to_ml"]), Decimal(s["step_ml"])) for s in raw["syringe"])
        ),
        times_usual=int(raw["high_oral"]["times_usual"]),
        pulses=pulses,
        depots={(d["drug"], d["route"]): int(d["watch_days"]) for d in raw["depot"]},
        iv_push=frozenset(d["drug"] for d in raw["iv_push"]),
        injectors={d["drug"]: d for d in raw["injector"]},
        lowest={(d["drug"], d["route"]): _lowest(d) for d in raw["lowest"]},
        exposure_break_days=int(raw["exposure"]["break_days"]),
    )


def exposure_runs(
    days: Mapping[int, Decimal], meets: Callable[[Decimal], bool], *, join_breaks: bool = True
) -> list[tuple[int, int]]:
    """The continuous runs of a course's exposure, as (first day, last day): the days whose
    amount ``meets`` the rule's dose, joined across breaks shorter than ``exposure.break_days``
    (data/safety.toml) when ``join_breaks``, else across no break at all.

    Every judgement by a course's length counts days with this one function (the adrenal
    warning, the steroid card, bone and vaccine advice): three 3-day chemotherapy cycles three
    weeks apart are three short courses, never one 9-day one (issue 25 review, could-harm 2)."""
    longest_break = rules().exposure_break_days - 1 if join_breaks else 0
    runs: list[tuple[int, int]] = []
    for day in sorted(day for day, amount in days.items() if meets(amount)):
        if runs and day - runs[-1][1] - 1 <= longest_break:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def longest_exposure(
    days: Mapping[int, Decimal], meets: Callable[[Decimal], bool], *, join_breaks: bool = True
) -> int:
    """The days of the longest run (``exposure_runs``), its breaks included; 0 for none."""
    runs = exposure_runs(days, meets, join_breaks=join_breaks)
    return max((last - first + 1 for first, last in runs), default=0)


def syringe_step(volume_ml: Decimal) -> Decimal:
    """The marks of the oral syringe that measures ``volume_ml`` (M6; data/safety.toml)."""
    for up_to, step in rules().syringe:
        if volume_ml <= up_to:
            return step
    return rules().syringe[-1][1]


def measured_volume(volume_ml: Decimal) -> Decimal:
    """``volume_ml`` rounded once, to a volume the syringe measures."""
    step = syringe_step(volume_ml)
    return plain((volume_ml / step).to_integral_value(rounding=ROUND_HALF_EVEN) * step)


def is_iv_push(drug: str, route: str, duration_min: int | None) -> bool:
    """An IV dose given as an injection (no infusion length ordered), not an infusion."""
    return route == "iv" and duration_min is None and drug in rules().iv_push


def depot_days(drug: str, route: str) -> int | None:
    """How many days a depot injection's watch items run (M4), or None when not a depot."""
    return rules().depots.get((drug, route))
