"""One time-zone database everywhere: the ``tzdata`` package taper installs, never the host's.

A plan must be the same on every machine, so zone rules come from the installed ``tzdata``
package (``zoneinfo`` falls back to it when its search path is empty). Every zone taper uses
comes through this module, which empties the process's zone search path the first time one is
asked for (``use_bundled_zones``), not when taper is imported: a program that imports taper and
never asks it for a zone keeps its own.
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from pathlib import Path

import tzdata

#: The IANA release of the zone rules in use, printed in the plan and on the pharmacist sheet.
TZDATA_VERSION: str = tzdata.IANA_VERSION

#: The tzdata package's folder: its zone files (``zoneinfo/``) and their list (``zones``).
TZDATA = Path(tzdata.__file__).parent


@cache
def use_bundled_zones() -> None:
    """Take every zone from the tzdata package from now on (once per process)."""
    # The package's own folder as the only search path: zoneinfo opens a zone's file there
    # directly. With an empty path it would find the same file through importlib.resources,
    # which costs every command a few milliseconds of start-up. (A package installed as a zip
    # has no folder: then the empty path, and zoneinfo's own way to it.)
    files = TZDATA / "zoneinfo"
    zoneinfo.reset_tzpath(to=(str(files),) if files.is_dir() else ())
    # A zone some other code loaded from the host's files before taper asked for one (a test
    # runner, a web server) must not be reused from zoneinfo's cache.
    zoneinfo.ZoneInfo.clear_cache()


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone ``name`` from the tzdata package; ``zoneinfo.ZoneInfoNotFoundError`` if unknown."""
    use_bundled_zones()
    return zoneinfo.ZoneInfo(name)


@cache
def names() -> frozenset[str]:
    """Every zone name the tzdata package holds (``zoneinfo.available_timezones()`` with the
    host's folders out of its search path)."""
    use_bundled_zones()
    listing = TZDATA / "zones"
    if listing.is_file():  # the list available_timezones() reads first, read without it
        names = (line.strip() for line in listing.read_text(encoding="utf-8").splitlines())
        return frozenset(name for name in names if name) - {"posixrules"}
    return frozenset(zoneinfo.available_timezones())


def is_zone(name: str) -> bool:
    """Whether ``name`` is a zone of the tzdata package (no path tricks, no host files)."""
    return name in names()


#: The names of UTC a course may use (a course kept in UTC gives its emergency number itself).
UTC_NAMES = frozenset({"UTC", "Etc/UTC"})

# Other names of UTC or GMT: not places, and "GMT" is often London, whose clocks change.
_UTC_ALIASES = frozenset(
    {
        "GMT",
        "GMT0",
        "GMT+0",
        "GMT-0",
        "Greenwich",
        "UCT",
        "Universal",
        "Zulu",
        "Etc/GMT",
        "Etc/GMT0",
        "Etc/GMT+0",
        "Etc/GMT-0",
        "Etc/Greenwich",
        "Etc/UCT",
        "Etc/Universal",
        "Etc/Zulu",
    }
)

# Zones that are a fixed offset or a daylight-saving rule, not a place: a place's own zone
# holds its past and future changes, these hold none or one country's rule of today. Each with
# the place zone meant most often (tzdata's own comments on these names).
_NOT_PLACES: dict[str, str] = {
    "EST": '"America/New_York" (or "America/Panama", "America/Jamaica", where the clocks never '
    "change)",
    "EST5EDT": '"America/New_York"',
    "CST6CDT": '"America/Chicago"',
    "MST": '"America/Phoenix" (Arizona, where the clocks never change) or "America/Denver"',
    "MST7MDT": '"America/Denver"',
    "PST8PDT": '"America/Los_Angeles"',
    "HST": '"Pacific/Honolulu"',
    "CET": 'the place\'s own, such as "Europe/Paris" or "Europe/Berlin"',
    "MET": 'the place\'s own, such as "Europe/Paris" or "Europe/Berlin"',
    "EET": 'the place\'s own, such as "Europe/Athens" or "Europe/Helsinki"',
    "WET": '"Europe/Lisbon" (or the place\'s own)',
    "Factory": 'the place\'s own, such as "America/New_York" or "Europe/London"',
}


def place_problem(name: str) -> str | None:
    """Why the known zone ``name`` cannot be a course's zone, naming the zone to use; None for
    a place (a zone of ``zone.tab``, or a link to one, such as ``US/Eastern``) or UTC.

    A fixed offset (``EST``, ``Etc/GMT+5``) or a rule (``EST5EDT``) is not a place: ``EST``
    puts every New York reminder an hour late from March to November.
    """
    if name in UTC_NAMES:
        return None
    if name in _UTC_ALIASES:
        return (
            f'"{name}" is another name of UTC, not a place: write "UTC" for a course kept in '
            'UTC, or the place\'s own zone, such as "Europe/London" where the clocks change'
        )
    if name in _NOT_PLACES:
        return (
            f'"{name}" is a fixed offset or a daylight-saving rule, not a place, so it misses '
            f"the changes of the place's own clocks: use {_NOT_PLACES[name]}"
        )
    if name.startswith("Etc/GMT"):
        offset = zone(name).utcoffset(None)
        hours = int(offset.total_seconds() // 3600) if offset is not None else 0
        return (
            f'"{name}" is a fixed offset (UTC{hours:+d} all year; the Etc sign is reversed), '
            'not a place: name the place\'s own zone, such as "America/New_York" or '
            '"Europe/Paris"'
        )
    if country_of(name) is None:
        return (
            f'"{name}" is not a place: name the place\'s own zone, such as "America/New_York" '
            'or "Europe/London"'
        )
    return None


# -- which country a zone is in (zone.tab): the emergency number and the place check -----


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
