"""The patient's language: message lookup in the gettext catalogues and CLDR dates and times.

Every patient sentence is an English message (a whole sentence with named placeholders) looked
up here in ``taper/locale/<lang>/LC_MESSAGES/taper.po``. The ``.po`` is read with Babel at run
time (no compile step, nothing to keep in step with it), once per process, so the same catalogue
gives the same bytes on every machine: the system locale is never asked (no ``setlocale``).

The language is the plan's (``Words.language``): an export renders one plan's patient text
inside ``speaking(words.language)``, a context variable, so two requests of the web server in two
languages never see each other's (no process-wide ``gettext.install``). Staff text never calls
these functions and stays English.

A message missing from the catalogue, or marked fuzzy, prints in English; the tests fail on
one (tests/test_spanish.py), so a released catalogue has none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

from taper.read.keys import DEFAULT_LANGUAGE

__all__ = [
    "CATALOGUES",
    "_",
    "at_time",
    "cldr_locale",
    "language",
    "list_of",
    "long_date_in",
    "n_",
    "np_",
    "p_",
    "speaking",
]

CATALOGUES = Path(__file__).resolve().parent.parent / "locale"
_LANGUAGE: ContextVar[str] = ContextVar("taper_language", default=DEFAULT_LANGUAGE)
# The CLDR locale of each language: only US Spanish is in scope (SPANISH.md (d)).
_CLDR = {"en": "en_US", "es": "es_US"}
NBSP = "\u00a0"


def language() -> str:
    """The language the patient text being rendered is in."""
    return _LANGUAGE.get()


def cldr_locale() -> str:
    return _CLDR[language()]


@contextmanager
def speaking(tag: str) -> Iterator[None]:
    """Render the patient text inside in ``tag`` ("en", "es")."""
    token = _LANGUAGE.set(tag)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


Key = tuple[str | None, str]  # (context, msgid)


@cache
def catalogue(tag: str) -> dict[Key, str | tuple[str, ...]]:
    """The translated, non-fuzzy messages of a language's ``.po``."""
    if tag == "en":
        return {}
    from babel.messages.pofile import read_po  # only a translated packet pays the import

    path = CATALOGUES / tag / "LC_MESSAGES" / "taper.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=tag)
    found: dict[Key, str | tuple[str, ...]] = {}
    for message in po:
        if not message.id or message.fuzzy:
            continue
        msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
        if isinstance(message.string, (list, tuple)):
            if all(message.string):
                found[(message.context, msgid)] = tuple(message.string)
        elif message.string:
            found[(message.context, msgid)] = message.string
    return found


def _fill(text: str, values: dict[str, Any]) -> str:
    filled = text.format_map(values) if values else text
    # A sentence that ends on a time ends on its abbreviation's full stop: "9:00 a.m.", never
    # "9:00 a.m.." (typography, the same in every message).
    filled = filled.replace("a.m..", "a.m.").replace("p.m..", "p.m.")
    if language() == "es":
        # Units are symbols in every language (mg, mL), but for the one that is a word: ACTH's
        # "80 units", "80 units/mL" read "80 unidades", "80 unidades/mL" (glossary 128).
        filled = _UNITS.sub(lambda _match: _lookup("unit of a dose", "units"), filled)
    return filled


_UNITS = re.compile(r"(?<=\d )units\b")


def _units_message() -> str:
    """Only here for the catalogue: the word ``_fill`` puts for "units" after a number."""
    return p_("unit of a dose", "units")


def _lookup(context: str | None, msgid: str) -> str:
    found = catalogue(language()).get((context, msgid))
    return found if isinstance(found, str) else msgid


def _(msgid: str, **values: Any) -> str:
    """A whole sentence, translated, its ``{named}`` placeholders filled."""
    return _fill(_lookup(None, msgid), values)


def p_(context: str, msgid: str, **values: Any) -> str:
    """A message whose English is ambiguous without its ``context`` ("Time" as a column)."""
    return _fill(_lookup(context, msgid), values)


def _plural(context: str | None, singular: str, plural: str, n: Any) -> str:
    found = catalogue(language()).get((context, singular))
    if isinstance(found, tuple):
        # gettext's rule for English and Spanish: nplurals=2; plural=(n != 1).
        return found[0 if n == 1 else 1]
    return singular if n == 1 else plural


def n_(singular: str, plural: str, n: Any, **values: Any) -> str:
    """A counted message: ``n`` chooses the form; ``{n}`` is filled with it unless given."""
    values.setdefault("n", n)
    return _fill(_plural(None, singular, plural, n), values)


def np_(context: str, singular: str, plural: str, n: Any, **values: Any) -> str:
    values.setdefault("n", n)
    return _fill(_plural(context, singular, plural, n), values)


# -- CLDR through Babel: dates, times, lists ----------------------------------------------------


def _babel_text(text: str) -> str:
    # CLDR puts U+202F before "p.m." and in ranges; reportlab breaks a line at it: U+00A0.
    return text.replace("\u202f", NBSP)


def long_date_in(day: date) -> str:
    """``lunes, 7 de diciembre de 2026`` (CLDR full date)."""
    from babel.dates import format_date

    return _babel_text(format_date(day, "full", locale=cldr_locale()))


def date_pattern(day: date, skeleton: str) -> str:
    """A CLDR skeleton (``MMMEd`` → ``lun, 7 de dic``; ``yMMMM`` → ``diciembre de 2026``)."""
    from babel.dates import format_skeleton

    return _babel_text(format_skeleton(skeleton, day, locale=cldr_locale()))


def weekday_names(width: Literal["abbreviated", "wide"]) -> tuple[str, ...]:
    """Monday first: ``lunes`` … (``wide``), ``lun`` … (``abbreviated``)."""
    from babel.dates import get_day_names

    names = get_day_names(width, locale=cldr_locale())
    return tuple(_babel_text(names[i]) for i in range(7))


def clock_in(hour: int, minute: int) -> str:
    """``6:00 p.m.``; ``1:30 a.m.`` (CLDR ``h:mm a``); noon and midnight are the callers'."""
    from datetime import time

    from babel.dates import format_time

    text = _babel_text(format_time(time(hour, minute), "h:mm a", locale=cldr_locale()))
    return text.replace(" ", NBSP)  # "6:00 p.m." never wraps inside, as "6:00 PM" does not


def at_time(time: str, clock: str) -> str:
    """A time with its preposition, as a sentence needs it: ``at 6:00 PM``; in Spanish
    ``a las 6:00 p.m.``, ``a la 1:00 p.m.`` (one o'clock is singular), ``a medianoche``,
    ``al mediodía``. ``clock`` is the printed time (taper.voice.times.clock)."""
    hour, minute = (int(part) for part in time.split(":"))
    if minute == 0 and hour == 0:
        return p_("at a time", "at midnight")
    if minute == 0 and hour == 12:
        return p_("at a time", "at noon")
    if clock.startswith("1:"):
        # Translators: {time} is 1:00 p.m. or 1:30 a.m.: "a la 1:30 p.m." (singular).
        return p_("at one o'clock", "at {time}", time=clock)
    # Translators: {time} is 6:00 p.m. or 18:00: "a las 6:00 p.m.".
    return p_("at a time", "at {time}", time=clock)


def list_of(parts: list[str], style: str = "standard") -> str:
    """``a, b y c`` (CLDR list patterns: ``y`` becomes ``e`` before an i- sound)."""
    from babel.lists import format_list

    if not parts:
        return ""
    text = format_list(parts, style=style, locale=cldr_locale())  # type: ignore[arg-type]
    last = parts[-1].casefold()
    # RAE: "y" becomes "e" before a word that starts with the sound i (not "hie-", "hia-").
    if (
        language() == "es"
        and len(parts) > 1
        and last.startswith(("i", "hi", "í", "hí"))
        and not last.startswith(("hie", "hia", "hio", "hiu"))
    ):
        head = text[: len(text) - len(parts[-1])]
        if head.endswith(" y "):
            text = head[:-3] + " e " + parts[-1]
    return text
