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

import tzdata

#: The IANA release of the zone rules in use, printed in the plan and on the pharmacist sheet.
TZDATA_VERSION: str = tzdata.IANA_VERSION


@cache
def use_bundled_zones() -> None:
    """Take every zone from the tzdata package from now on (once per process)."""
    zoneinfo.reset_tzpath(to=())
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
    return frozenset(zoneinfo.available_timezones())


def is_zone(name: str) -> bool:
    """Whether ``name`` is a zone of the tzdata package (no path tricks, no host files)."""
    return name in names()
