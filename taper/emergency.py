"""The emergency number a handout prints (issue 12, H3): never a wrong one.

``care_team.emergency`` wins. Without it, the number comes from the country of the course's
time zone: IANA ``zone.tab``, shipped in the installed ``tzdata`` package (the same release
``taper.zones`` uses), gives one ISO 3166 country per zone, and ``data/emergency.toml`` holds the
numbers the clinical reference confirms for a few countries. Anything else has no number, and
the engine reports a problem asking for ``care_team.emergency``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import NamedTuple

from taper.catalogue import read_data


class Country(NamedTuple):
    code: str
    name: str
    number: str
    also: tuple[str, ...]
    source: str


class Wrong(NamedTuple):
    number: str
    why: str


def _tzdata_file(name: str) -> str:
    import tzdata

    return (Path(tzdata.__file__).parent / "zoneinfo" / name).read_text(encoding="utf-8")


@cache
def zone_countries() -> dict[str, str]:
    """Zone name → ISO country code, from ``zone.tab`` (one country per zone)."""
    countries: dict[str, str] = {}
    for line in _tzdata_file("zone.tab").splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            countries[fields[2]] = fields[0]
    return countries


@cache
def _links() -> dict[str, str]:
    """Link name → zone, from ``tzdata.zi`` ("US/Eastern" → "America/New_York")."""
    links: dict[str, str] = {}
    for line in _tzdata_file("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            links[alias] = target
    return links


def country_of(zone: str) -> str | None:
    """The ISO 3166 country of an IANA zone, or None (UTC, Etc/*, ocean zones...).

    A link ("US/Eastern") takes its zone's country; the link table is read only then.
    """
    countries = zone_countries()
    if zone in countries:
        return countries[zone]
    target = _links().get(zone)
    return countries.get(target) if target else None


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
