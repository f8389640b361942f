"""The one rule for text: what a regimen may hold, what every export can print, and how any
text is shown safely on a terminal.

The reader (``taper check`` and every command) refuses, with its place, each character that
any output would refuse or could be spoofed by: control characters (a terminal obeys them),
bidirectional overrides and invisible characters (they change what a reader sees), and
characters the PDF handouts cannot print (the PDF calls ``unprintable`` too, so ``check`` and
``build`` can never disagree). ``terminal`` escapes whatever reaches a terminal all the same:
file names come from the command line, not the regimen.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from functools import cache
from pathlib import Path

#: Keys whose text may span lines (an instruction, an address, what an [[also]] item is): a
#: line break is meaningful there. Everywhere else (titles, names, drugs, amounts, times, phone
#: numbers) it is an error. Handouts print such a break as a space, the terminal table too.
MULTILINE_KEYS = frozenset({"take", "where", "what"})

# Line breaks and tabs print as spaces in the handouts; in a multi-line field they are kept.
_BREAKS = "\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029"
_SPACES = str.maketrans(dict.fromkeys(_BREAKS, " "))
# Characters that change how the text around them reads without being seen themselves.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_INVISIBLE = frozenset("\u200b\u2060\ufeff\u180e\u2061\u2062\u2063\u2064")
_FONTS = Path(__file__).resolve().parents[1] / "data" / "fonts"


def is_control(ch: str) -> bool:
    """C0 (U+0000–U+001F), DEL and C1 (U+0080–U+009F): characters a terminal obeys."""
    point = ord(ch)
    return point < 0x20 or 0x7F <= point <= 0x9F


def char_name(ch: str) -> str:
    """``U+001B (ESCAPE)``: how a message names one character."""
    name = unicodedata.name(ch, "") or _CONTROL_NAMES.get(ord(ch), "a control character")
    return f"U+{ord(ch):04X} ({name})"


_CONTROL_NAMES = {
    0x00: "NULL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x09: "TAB",
    0x0A: "LINE FEED",
    0x0B: "VERTICAL TAB",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
    0x9B: "CONTROL SEQUENCE INTRODUCER",
}


def spoofing(text: str, *, multiline: bool = False) -> list[tuple[str, str]]:
    """The characters of ``text`` a regimen must not hold, each with the fix.

    Control characters (but a line break or tab where ``multiline``), bidirectional controls
    and invisible characters."""
    if text.isascii() and text.isprintable():
        return []
    found: list[tuple[str, str]] = []
    for ch in dict.fromkeys(text):
        if ch in "\n\t" and multiline:
            continue
        if ch == "\n":
            found.append((ch, "is a line break; keep this value on one line"))
        elif is_control(ch):
            found.append(
                (ch, "is a control character, which can change what a terminal shows; delete it")
            )
        elif ch in _BIDI or unicodedata.category(ch) in ("Zl", "Zp"):
            found.append(
                (ch, "changes the direction or layout of the text around it unseen; delete it")
            )
        elif ch in _INVISIBLE:
            found.append((ch, "is an invisible character; delete it"))
    return found


@cache
def _coverage() -> tuple[tuple[int, ...], tuple[int, ...]]:
    lows: list[int] = []
    highs: list[int] = []
    for line in (_FONTS / "coverage.txt").read_text(encoding="ascii").splitlines():
        if line and not line.startswith("#"):
            low, _, high = line.partition("-")
            lows.append(int(low, 16))
            highs.append(int(high, 16))
    return tuple(lows), tuple(highs)


def in_font(ch: str) -> bool:
    """Whether both embedded handout fonts (DejaVu Sans, regular and bold) draw ``ch``."""
    lows, highs = _coverage()
    at = bisect_right(lows, ord(ch)) - 1
    return at >= 0 and ord(ch) <= highs[at]


def printable_form(text: str) -> str:
    """``text`` as a handout prints it: composed characters (é, not e + ◌́), and any line break
    or tab as a plain space."""
    return unicodedata.normalize("NFC", text).translate(_SPACES)


def unprintable(text: str) -> list[tuple[str, str]]:
    """The characters of ``text`` the PDF handouts cannot print, each with the reason."""
    if text.isascii() and text.isprintable():
        return []  # printable ASCII: all in the font, none right-to-left
    found: list[tuple[str, str]] = []
    for ch in dict.fromkeys(printable_form(text)):
        if unicodedata.bidirectional(ch) in ("R", "AL", "RLE", "RLO", "RLI"):
            found.append((ch, "is right-to-left text, which the handout cannot lay out"))
        elif ord(ch) > 0xFFFF:
            # reportlab draws these glyphs but writes their text as a wrong 16-bit character,
            # so the PDF would read back (copy, search, screen readers) as something else.
            found.append((ch, "is an emoji or rare symbol the PDF cannot store as text"))
        elif not in_font(ch):
            found.append((ch, "has no glyph in the handout font (DejaVu Sans)"))
    return found


def refused(text: str, *, multiline: bool = False) -> list[tuple[str, str]]:
    """Every character of ``text`` that a regimen must not hold, each with the reason: the one
    rule the reader applies to every text, and the PDF to every text it prints."""
    found = spoofing(text, multiline=multiline)
    seen = {ch for ch, _ in found}
    if multiline:
        seen |= {"\n", "\t"}
    found += [
        (ch, f"{why}; replace it or leave it out")
        for ch, why in unprintable(text)
        if ch not in seen and ch != " "
    ]
    return found


def one_line(text: str) -> str:
    """``text`` on one line: line breaks and tabs as spaces (a table row, a message)."""
    return text.translate(_SPACES)


def terminal(text: str, *, keep_lines: bool = True) -> str:
    """``text`` safe to print on a terminal: control, bidirectional and invisible characters
    written as visible escapes (``\\x1b``, ``\\u202e``). Line breaks stay when ``keep_lines``."""
    if text.isascii() and text.isprintable():
        return text
    out: list[str] = []
    for ch in text:
        if ch == "\n" and keep_lines:
            out.append(ch)
        elif is_control(ch):
            out.append(f"\\x{ord(ch):02x}")
        elif ch in _BIDI or ch in _INVISIBLE or unicodedata.category(ch) in ("Zl", "Zp"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


# -- look-alike letters (F9) -------------------------------------------------------------------


def skeleton(text: str) -> str:
    """What ``text`` looks like, in plain Latin letters and lower case: compatibility forms
    folded (NFKC: full-width, ligatures), invisible characters dropped, accents dropped, and each
    look-alike from another alphabet (Cyrillic р, Greek ο) read as the Latin letter it imitates,
    from Unicode's confusables data (the ``confusable-homoglyphs`` package)."""
    folded = unicodedata.normalize("NFKC", text)
    if folded.isascii():
        return folded.lower()
    from confusable_homoglyphs import confusables  # about 15 ms: only for non-ASCII names

    out: list[str] = []
    for ch in folded:
        if unicodedata.category(ch) == "Cf":
            continue
        if not ch.isascii():
            parts = unicodedata.normalize("NFD", ch)
            bare = "".join(c for c in parts if not unicodedata.combining(c))
            if bare and bare.isascii():
                ch = bare
            else:
                for glyph in confusables.confusables_data.get(ch, ()):
                    if glyph["c"].isascii():
                        ch = glyph["c"]
                        break
        out.append(ch)
    return "".join(out).lower()


def scripts(text: str) -> list[str]:
    """The alphabets (Unicode scripts) of the letters in ``text``, in order of appearance:
    ``["LATIN", "CYRILLIC"]``. Digits, spaces and punctuation belong to none."""
    found: dict[str, None] = {}
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isascii():
            if ch.isalpha():
                found["LATIN"] = None
            continue
        if not ch.isalpha():
            continue
        from confusable_homoglyphs import categories

        found[str(categories.alias(ch))] = None
    return list(found)


def look_alike_chars(text: str) -> str:
    """The characters of ``text`` that are not plain ASCII, named: for a message."""
    odd = [ch for ch in dict.fromkeys(text) if not ch.isascii()]
    named = ", ".join(f"{terminal(ch)} {char_name(ch)}" for ch in odd[:3])
    return named + (f" and {len(odd) - 3} more" if len(odd) > 3 else "")
