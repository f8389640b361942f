"""One time-zone database everywhere: the ``tzdata`` package taper installs, never the host's.

A plan must be the same on every machine, so zone rules come from the installed ``tzdata``
package (``zoneinfo`` falls back to it when its search path is empty). Every module that needs a
zone, pendulum's included, gets it after this module is imported: ``taper/__init__.py`` imports
it first, before any zone is loaded and cached.
"""

from __future__ import annotations

import zoneinfo

import tzdata

zoneinfo.reset_tzpath(to=())

#: The IANA release of the zone rules in use, printed in the plan and on the pharmacist sheet.
TZDATA_VERSION: str = tzdata.IANA_VERSION


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone ``name`` from the tzdata package; ``zoneinfo.ZoneInfoNotFoundError`` if unknown."""
    return zoneinfo.ZoneInfo(name)
