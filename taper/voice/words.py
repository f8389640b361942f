"""The patient's words, chosen once per plan: the language, the clock, the blood-sugar unit and
the country whose conventions the handout follows (the UK steroid card, for one).

``words_for`` is the one place these are decided: from the regimen's ``[patient] language``
and the course's time zone (the only place a regimen says where the patient is). Every voice
function that prints a time, a unit or a country's wording takes a ``Words``; the exports make
one with ``words_of(plan)`` and pass it down. A second language plugs in here: add its tag to
``LANGUAGES`` and let the voice functions look their messages up by ``words.language``.
"""

from typing import Literal, NamedTuple

from taper.checks.emergency import country_of
from taper.read.keys import DEFAULT_LANGUAGE, LANGUAGES
from taper.records.plan import Plan
from taper.voice.times import TimeStyle

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "TimeStyle", "Words", "words_for", "words_of"]

SugarUnit = Literal["mg/dL", "mmol/L"]


class Words(NamedTuple):
    """How the patient's text reads. Immutable: one per plan, passed to every voice function."""

    language: str  # BCP 47 primary tag: "en"
    clock: TimeStyle  # 12-hour ("6:00 PM", with "midnight" and "noon") or 24-hour ("18:00")
    sugar_unit: SugarUnit  # which blood-sugar unit a watch-list sentence gives first
    country: str | None  # ISO 3166 code of the zone's country; None for UTC and the like


def words_for(language: str, timezone: str) -> Words:
    """The patient's conventions from the language and the zone: the 12-hour clock for an
    ``America/*`` zone, 24-hour elsewhere; mg/dL first in a United States zone."""
    if language not in LANGUAGES:
        raise ValueError(f'"{language}" is not a supported language; use {_supported()}')
    country = country_of(timezone)
    return Words(
        language=language,
        clock="12h" if timezone.startswith("America/") else "24h",
        sugar_unit="mg/dL" if country == "US" else "mmol/L",
        country=country,
    )


def words_of(plan: Plan) -> Words:
    """The plan's ``Words`` (its language and its zone)."""
    return words_for(plan.language, plan.timezone)


def _supported() -> str:
    return " or ".join(f'"{tag}"' for tag in LANGUAGES)
