"""The package's data files: the drug catalogue and the known patient conditions."""

import re
import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from taper.read.units import Amount, parse_amount

DATA = Path(__file__).resolve().parents[1] / "data"


def read_data(name: str) -> dict[str, Any]:
    """A TOML file from ``taper/data``, with decimals kept exact: a fresh copy each call.

    Parsed ahead by scripts/compile_data.py (``taper.read.parsed_data``: tomllib costs every
    command ~16 ms of start-up); that copy is used only while the file is still the one it was
    made from, else the file is parsed here."""
    import zlib

    from taper.read.parsed_data import FILES

    # A plain path: the package is installed as files, and importlib.resources costs start-up.
    data = (DATA / name).read_bytes()
    parsed = FILES.get(name)
    if parsed is not None and parsed[:2] == (len(data), zlib.crc32(data)):
        return parsed[2]()
    return tomllib.loads(data.decode("utf-8"), parse_float=Decimal)


@cache
def shared_data(name: str) -> dict[str, Any]:
    """``read_data(name)`` read once per process and shared by every caller, so never
    changed (watch.toml alone takes a build about 8 ms to read, and three parts read it)."""
    return read_data(name)


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
    # The highest dose is a guard taper keeps against slips, not a confirmed fact: the checks
    # never print it as "the highest documented" (clinical-reference-3 §4: UNCONFIRMED).
    highest_unconfirmed: bool = False


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
    # What the patient handout says about taking this product (grapefruit, crushing, mixing),
    # each (form, text): form "tablets", "liquid" or "" for both.
    notes: tuple[tuple[str, str], ...] = ()
    # A steroid with no prednisone equivalence (oral budesonide): the card, vaccine, bone and
    # adrenal rules go by the course's length alone.
    counsel_by_length: bool = False
    # Strengths the label sells only as capsules (Entocort EC 3 mg): a phase listing only these
    # gives capsules unless it says form = "tablet".
    capsules: tuple[Amount, ...] = ()
    # Routes whose doses taper cannot check, each with why (its citation): the catalogue says so
    # for every route without a [[limit]], so that no drug skips the dose checks silently.
    unchecked_routes: tuple[tuple[str, str], ...] = ()
    # The label's rounding of a per-weight dose ("up": deflazacort), used when the phase gives
    # no `round`; and the volume its liquid is measured to (deflazacort: 0.1 mL with the
    # dispenser supplied), over the general syringe marks.
    per_weight_round: str | None = None
    liquid_step_ml: Decimal | None = None
    # Routes on which the drug is a replacement or maintenance treatment that goes on after one
    # prescription (oral hydrocortisone, deflazacort), each with its source: a course of it
    # must say whether it stops or continues after its last day (the regimen's ``after``).
    maintenance_routes: tuple[tuple[str, str], ...] = ()

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
                highest_unconfirmed=bool(limit.get("highest_unconfirmed", False)),
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
            notes=tuple((n.get("form", ""), n["text"]) for n in entry.get("note", [])),
            counsel_by_length=bool(entry.get("counsel_by_length", False)),
            capsules=tuple(parse_amount(c) for c in entry.get("capsules", [])),
            unchecked_routes=tuple(
                (route, str(why)) for route, why in entry.get("unchecked_routes", {}).items()
            ),
            per_weight_round=entry.get("per_weight_round"),
            liquid_step_ml=(
                Decimal(str(entry["liquid_step_ml"])) if "liquid_step_ml" in entry else None
            ),
            maintenance_routes=tuple(
                (route, str(why)) for route, why in entry.get("maintenance", {}).items()
            ),
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


def identify_drug(name: str) -> tuple[Drug | None, str | None]:
    """The catalogue drug ``name`` stands for, or why it cannot be taken as written.

    A name is the catalogue drug only when it is one of the catalogue's names as typed (any
    case and spacing). A name that only *looks like* one (letters from another alphabet, full-
    width or accented letters, invisible characters), a name mixing alphabets, and a name that
    holds a catalogue drug among other words (a salt or product the catalogue does not list)
    are errors: each would otherwise skip every dose check. ``(None, None)`` is a name that
    resembles nothing known (the engine warns that its doses are not checked). With an error,
    the drug the name resembles comes back too, so that its doses are still checked and every
    problem is reported in one run; the error keeps the regimen from being used."""
    drug = find_drug(name)
    if drug is not None:
        return drug, None
    from taper.read.text import look_alike_chars, scripts, skeleton

    plain = _fold(skeleton(name))
    alphabets = scripts(name)
    drug_id = _names().get(plain)
    if drug_id is not None:
        display = drugs()[drug_id].display
        return drugs()[drug_id], (
            f'"{name}" looks like {display} but is written with look-alike characters '
            f"({look_alike_chars(name)}); retype it with plain letters, such as "
            f'drug = "{drug_id}" (a look-alike name would skip every dose check)'
        )
    if len(alphabets) > 1:
        return None, (
            f'"{name}" mixes letters of different alphabets ({", ".join(alphabets).lower()}: '
            f"{look_alike_chars(name)}); retype the name with plain letters"
        )
    words = f" {' '.join(re.split(r'[^a-z0-9]+', plain)).strip()} "
    for drug in drugs().values():
        for generic in dict.fromkeys((drug.id.replace("-", " "), _fold(drug.display))):
            if len(generic) >= 4 and f" {generic} " in words:
                return drug, (
                    f'"{name}" names {drug.display} with other words the catalogue does not '
                    f'know; write drug = "{drug.id}" (or a listed brand or salt name) so that '
                    "the dose checks apply"
                )
    return None, None


def drug_suggestions(name: str) -> list[str]:
    """Known names close to ``name`` (a likely typo), best first."""
    import difflib

    from taper.read.text import skeleton

    return difflib.get_close_matches(_fold(skeleton(name)), list(_names()), n=3, cutoff=0.75)


@cache
def watch_item_ids() -> frozenset[str]:
    """The ids of the built-in watch items (``data/watch.toml``): a regimen's ``[[watch]]
    replaces`` names one (issue 25, H2)."""
    return frozenset(item["id"] for item in shared_data("watch.toml")["item"] if "id" in item)


@cache
def condition_title_words() -> dict[str, tuple[str, ...]]:
    """Each condition's ``title_words``: words of a title that name it (conditions.toml)."""
    return {
        cid: tuple(entry.get("title_words", ()))
        for cid, entry in read_data("conditions.toml")["condition"].items()
    }


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
