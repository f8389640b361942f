"""The package's data files: the drug catalogue and the known patient conditions."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from taper.units import Amount, parse_amount

DATA = Path(__file__).parent / "data"


def read_data(name: str) -> dict[str, Any]:
    """A TOML file from ``taper/data``, with decimals kept exact."""
    # A plain path: the package is installed as files, and importlib.resources costs start-up.
    text = (DATA / name).read_text(encoding="utf-8")
    return tomllib.loads(text, parse_float=Decimal)


class DoseLimit(NamedTuple):
    """The usual and the highest documented daily dose of a drug by one route."""

    route: str
    usual_per_day: Amount | None
    highest_per_day: Amount | None
    highest_per_dose_per_kg: Amount | None
    highest_per_course: Amount | None
    fastest_infusion_above: Amount | None
    shortest_infusion_minutes: int | None
    source: str


class Drug(NamedTuple):
    id: str
    display: str
    synonyms: tuple[str, ...]
    drug_class: str
    routes: tuple[str, ...]
    forbidden_routes: tuple[str, ...]
    tablets: tuple[Amount, ...]
    liquids: tuple[str, ...]
    prednisone_equivalent: Amount | None  # mg of this drug equal to prednisone 5 mg
    equivalence_approximate: bool
    fluorinated: bool
    limits: tuple[DoseLimit, ...]

    def limit_for(self, route: str) -> DoseLimit | None:
        return next((limit for limit in self.limits if limit.route == route), None)

    @property
    def is_steroid(self) -> bool:
        return self.drug_class == "steroid"


def _amount(value: Any) -> Amount | None:
    return parse_amount(value) if value is not None else None


@cache
def drugs() -> dict[str, Drug]:
    catalogue: dict[str, Drug] = {}
    for drug_id, entry in read_data("drugs.toml")["drug"].items():
        limits = tuple(
            DoseLimit(
                route=limit["route"],
                usual_per_day=_amount(limit.get("usual_per_day")),
                highest_per_day=_amount(limit.get("highest_per_day")),
                highest_per_dose_per_kg=_amount(limit.get("highest_per_dose_per_kg")),
                highest_per_course=_amount(limit.get("highest_per_course")),
                fastest_infusion_above=_amount(limit.get("fastest_infusion_above")),
                shortest_infusion_minutes=limit.get("shortest_infusion_minutes"),
                source=limit["source"],
            )
            for limit in entry.get("limit", [])
        )
        catalogue[drug_id] = Drug(
            id=drug_id,
            display=entry["display"],
            synonyms=tuple(entry.get("synonyms", [])),
            drug_class=entry["class"],
            routes=tuple(entry["routes"]),
            forbidden_routes=tuple(entry.get("forbidden_routes", [])),
            tablets=tuple(parse_amount(t) for t in entry.get("tablets", [])),
            liquids=tuple(entry.get("liquids", [])),
            prednisone_equivalent=_amount(entry.get("prednisone_equivalent")),
            equivalence_approximate=bool(entry.get("equivalence_approximate", False)),
            fluorinated=bool(entry.get("fluorinated", False)),
            limits=limits,
        )
    return catalogue


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for drug in drugs().values():
        for name in (drug.id, drug.id.replace("-", " "), drug.display, *drug.synonyms):
            names[_fold(name)] = drug.id
    return names


def _fold(name: str) -> str:
    return " ".join(name.lower().replace("_", " ").split())


def find_drug(name: str) -> Drug | None:
    """The catalogue entry for a generic, brand or common name, or None."""
    drug_id = _names().get(_fold(name))
    return drugs()[drug_id] if drug_id else None


def drug_suggestions(name: str) -> list[str]:
    """Known names close to ``name`` (a likely typo), best first."""
    import difflib

    return difflib.get_close_matches(_fold(name), list(_names()), n=3, cutoff=0.75)


@cache
def conditions() -> dict[str, str]:
    """Known condition ids and their labels."""
    return {cid: entry["label"] for cid, entry in read_data("conditions.toml")["condition"].items()}


class Pack(NamedTuple):
    """A dose pack: ``tablets`` tablets of one strength, with the pack's own day-by-day schedule."""

    id: str
    name: str
    drug: str  # catalogue drug id
    strength: Amount
    tablets: int
    schedule: tuple[tuple[tuple[str, int], ...], ...]  # per day: (routine slot, tablets)
    source: str
    synonyms: tuple[str, ...] = ()


@cache
def packs() -> dict[str, Pack]:
    catalogue: dict[str, Pack] = {}
    for pack_id, entry in read_data("packs.toml")["pack"].items():
        catalogue[pack_id] = Pack(
            id=pack_id,
            name=entry["name"],
            drug=entry["drug"],
            strength=parse_amount(entry["strength"]),
            tablets=int(entry["tablets"]),
            schedule=tuple(tuple(day.items()) for day in entry["schedule"]),
            source=entry["source"],
            synonyms=tuple(entry.get("synonyms", [])),
        )
    return catalogue


@cache
def _pack_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for pack in packs().values():
        for name in (pack.id, pack.name, *pack.synonyms):
            names[_fold(name.replace("-", " "))] = pack.id
    return names


def find_pack(name: str) -> Pack | None:
    """The dose pack a name denotes (``"methylprednisolone 4 mg dose pack"``), or None."""
    pack_id = _pack_names().get(_fold(name.replace("-", " ")))
    return packs()[pack_id] if pack_id else None


def pack_names() -> list[str]:
    return [pack.name for pack in packs().values()]
