"""One time-zone database everywhere: the ``tzdata`` package taper installs, never the host's.

A plan must be the same on every machine, so zone rules come from the installed ``tzdata``
package (``zoneinfo`` falls back to it when its search path is empty). Every module that needs a
zone, pendulum's included, gets it after this module is imported: ``taper/__init__.py`` imports
it first, before any zone is loaded and cached.
"""

from __future__ import annotations

import zoneinfo
from functools import cache

import tzdata

zoneinfo.reset_tzpath(to=())
# A zone some other code loaded from the host's files before taper was imported (a test
# runner, a web server) must not be reused from zoneinfo's cache.
zoneinfo.ZoneInfo.clear_cache()

#: The IANA release of the zone rules in use, printed in the plan and on the pharmacist sheet.
TZDATA_VERSION: str = tzdata.IANA_VERSION


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone ``name`` from the tzdata package; ``zoneinfo.ZoneInfoNotFoundError`` if unknown."""
    return zoneinfo.ZoneInfo(name)


@cache
def names() -> frozenset[str]:
    """Every zone name the tzdata package holds (``zoneinfo.available_timezones()`` with the
    host's folders out of its search path)."""
    return frozenset(zoneinfo.available_timezones())


def is_zone(name: str) -> bool:
    """Whether ``name`` is a zone of the tzdata package (no path tricks, no host files)."""
    return name in names()
