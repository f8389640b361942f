"""Writing a regimen document (the dict ``tomllib`` reads) back as TOML text.

The page edits a regimen as a document and shows it as the regimen file; this writes that file.
Top-level tables become ``[sections]``, lists of tables at the top (``phase``, ``also``,
``watch``) become ``[[arrays of tables]]``, and anything deeper is written inline (``steps`` one
step to a line). Reading the text back gives the same document.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from taper.read.keys import keys_in

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
# The order a regimen's keys are written in when the document has them (others follow): the
# order of the one table of keys (taper.read.keys), the arrays of tables last; a phase's first keys.
_ORDER = {
    "": tuple(key for key in keys_in("") if key not in ("phase", "also", "watch")),
    "patient": keys_in("patient"),
    "phase": keys_in("phase")[: keys_in("phase").index("every") + 1],
}


def key_text(key: str) -> str:
    return key if _BARE_KEY.match(key) else string_text(key)


def string_text(value: str) -> str:
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def value_text(value: Any) -> str:
    """One TOML value written inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if value.is_nan():
            return "nan"
        if value.is_infinite():
            return "-inf" if value < 0 else "inf"
        text = format(value, "f")
        return text if "." in text else f"{text}.0"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "-inf" if value < 0 else "inf"
        return repr(value)
    if isinstance(value, str):
        return string_text(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(value_text(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ", ".join(f"{key_text(str(k))} = {value_text(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"{type(value).__name__} is not a TOML value")


def _ordered(table: dict[str, Any], kind: str) -> list[str]:
    first = [key for key in _ORDER.get(kind, ()) if key in table]
    return first + [key for key in table if key not in first]


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _body(table: dict[str, Any], kind: str) -> list[str]:
    """The ``key = value`` lines of one table; lists of tables one item to a line."""
    lines = []
    for key in _ordered(table, kind):
        value = table[key]
        if _is_table_list(value):
            lines.append(f"{key_text(key)} = [")
            lines += [f"  {value_text(item)}," for item in value]
            lines.append("]")
        else:
            lines.append(f"{key_text(key)} = {value_text(value)}")
    return lines


def dumps(document: dict[str, Any], header: str = "") -> str:
    """The document as TOML text, after ``header`` (a comment block kept from the file)."""
    lines: list[str] = [header.rstrip("\n")] if header.strip() else []
    scalars = {
        k: v for k, v in document.items() if not isinstance(v, dict) and not _is_table_list(v)
    }
    if scalars:
        if lines:
            lines.append("")
        lines += _body(scalars, "")
    for key in _ordered(document, ""):
        value = document[key]
        if isinstance(value, dict):
            inner = {k: v for k, v in value.items() if not isinstance(v, dict)}
            lines += ["", f"[{key_text(key)}]", *_body(inner, key)]
            for sub, subtable in value.items():
                if isinstance(subtable, dict):
                    lines += ["", f"[{key_text(key)}.{key_text(sub)}]", *_body(subtable, sub)]
    for key in _ordered(document, ""):
        value = document[key]
        if _is_table_list(value):
            for item in value:
                lines += ["", f"[[{key_text(key)}]]", *_body(item, key)]
    return "\n".join(lines).lstrip("\n") + "\n"


def header_comment(text: str) -> str:
    """The file's opening comment block (a template's source and what to confirm)."""
    kept = []
    for line in text.splitlines():
        if line.startswith("#"):
            kept.append(line)
        else:
            break
    return "\n".join(kept)


def has_other_comments(text: str) -> bool:
    """Whether the text has comments after its opening block (form edits drop those)."""
    body = text.splitlines()[len(header_comment(text).splitlines()) :]
    quote = ""  # inside a string: its opening quote (multi-line strings are rare; good enough)
    for line in body:
        escaped = False
        for ch in line:
            if quote:
                if escaped:
                    escaped = False
                elif ch == "\\" and quote == '"':
                    escaped = True
                elif ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "#":
                return True
        quote = ""
    return False
