"""The emergency number a handout prints (issue 12, H3): never a wrong one.

``care_team.emergency`` wins. Without it, the number comes from the country of the course's
time zone: IANA ``zone.tab``, shipped in the installed ``tzdata`` package (the same release
``taper.read.zones`` uses), gives one ISO 3166 country per zone, and ``data/emergency.toml``
holds the numbers the clinical reference confirms for a few countries. Anything else has no
number, and the engine reports a problem asking for ``care_team.emergency``.
"""

from functools import cache
from typing import NamedTuple

from taper.read.catalogue import read_data
from taper.read.zones import country_of as country_of
from taper.read.zones import zone_countries as zone_countries


class Country(NamedTuple):
    code: str
    name: str
    number: str
    also: tuple[str, ...]
    source: str


class Wrong(NamedTuple):
    number: str
    why: str


@cache
def _data() -> tuple[dict[str, Country], dict[tuple[str, str], Wrong]]:
    raw = read_data("emergency.toml")
    countries = {
        code: Country(
            code, entry["name"], entry["number"], tuple(entry.get("also", [])), entry["source"]
        )
        for code, entry in raw["country"].items()
    }
    wrong = {
        (item["country"], item["number"]): Wrong(item["number"], item["why"])
        for item in raw.get("not_emergency", [])
    }
    return countries, wrong


def country(code: str | None) -> Country | None:
    """The confirmed emergency number of a country, or None when the reference has none."""
    return _data()[0].get(code) if code else None


def wrong_number(code: str | None, number: str) -> str | None:
    """Why ``number`` is not the emergency number in country ``code`` (None when no reason)."""
    found = _data()[1].get((code, number)) if code else None
    return found.why if found else None
