"""Small pieces of wording every other voice module uses: lists, counts, emphasis."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"


class Strong(str):
    """Words to stress: bold in a handout, ``<strong>`` on a web page."""

    __slots__ = ()


# Text with stressed parts: plain ``str`` pieces and ``Strong`` pieces, read in order.
Rich = tuple[str, ...]


def nb(text: str) -> str:
    """``text`` that must not wrap inside ("12:30 PM", "60 mg")."""
    return text.replace(" ", NBSP)


def plain_text(text: str) -> str:
    """``text`` for a plain-text output (the .ics, the terminal, JSON): the no-break spaces the
    handouts use to keep ``8:00 AM`` or ``60 mg`` on one line become ordinary spaces.

    Decided here, for every output: a handout breaks its own lines and needs them; a calendar
    app, a terminal or a program reading the text breaks lines its own way, and a search for
    "8:00 AM" typed with an ordinary space would not find them."""
    # Two replaces, not str.translate: a translation table is looked up character by
    # character in Python objects, about 20 times slower on a calendar's descriptions.
    return text.replace(NBSP, " ").replace(NARROW_NBSP, " ")


def and_list(parts: Sequence[str]) -> str:
    """``a``; ``a and b``; ``a, b and c``; in Spanish ``a, b y c`` (CLDR's list pattern)."""
    from taper.voice import lang

    if lang.language() != "en" and len(parts) > 1:
        return lang.list_of(list(parts))
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def count_words(number: int, word: str) -> str:
    """``1 day``, ``3 days``."""
    return f"{number} {word}{'' if number == 1 else 's'}"


def count_text(count: Decimal) -> str:
    """``3``, ``1½``, ``½``."""
    whole = int(count)
    if count == whole:
        return str(whole)
    return f"{whole}½" if whole else "½"


def minutes_text(minutes: int | None) -> str:
    """``45 min``, ``2 h``, ``1 h 30 min``; empty for none."""
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def lower_first(text: str) -> str:
    """``Prednisone`` → ``prednisone``, but ``IVIG`` stays."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]
