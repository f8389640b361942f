"""Where the patient's conventions are decided, once: the clock (12- or 24-hour) and which
blood-sugar unit comes first. Both follow the course's time zone, the only place a regimen
says where the patient is."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import tzdata

from taper.plan import Plan

_ZONEINFO = Path(tzdata.__file__).resolve().parent / "zoneinfo"


@cache
def _countries() -> dict[str, str]:
    """Zone name → ISO country code, from the installed tzdata's ``zone.tab``; a link
    (``US/Eastern``) gets its target's country."""
    countries: dict[str, str] = {}
    for line in (_ZONEINFO / "zone.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, _, name, *_ = line.split("\t")
            countries[name] = code
    for line in (_ZONEINFO / "tzdata.zi").read_text(encoding="utf-8").splitlines():
        if line.startswith("L "):
            _, target, link = line.split()
            if target in countries:
                countries.setdefault(link, countries[target])
    return countries


def country_of(timezone: str) -> str | None:
    """The ISO country of a zone (``America/Chicago`` → ``US``); None for UTC and the like."""
    return _countries().get(timezone)


def mg_dl_first(plan: Plan) -> bool:
    """Whether blood sugar reads in mg/dL first (a course in a United States zone)."""
    return country_of(plan.timezone) == "US"
