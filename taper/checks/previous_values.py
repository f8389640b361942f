"""A previous plan read as hostile input: strict JSON, then every value checked before use.

``taper build --previous`` reads a ``plan.json`` anyone can hand over. ``json.loads`` alone
accepts what taper never writes and cannot survive some of it: nesting 200,000 deep
(RecursionError), ``NaN`` and ``Infinity`` (they print as "Prednisone NaN mg"), a number such as
``1e1000000000`` (turning it into an integer takes minutes and ignores SIGTERM, since the
conversion never returns to Python to run the handler) or an integer of millions of digits.
So the text is read with a depth limit and with hooks that refuse such literals before they are
converted; then each value the pharmacist sheet uses is checked against what taper itself writes
(types, finite and positive numbers, small integers, known units and routes, clock times, ISO
dates, text a handout can print). A bad value is reported with its JSON path (``$.days[3].doses
[0].amount``), all problems at once.
"""

import json
import os
import re
import stat
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from taper.read.errors import InputFileError, OutputError
from taper.read.text import refused
from taper.read.units import DOSE_UNITS, is_clock_time
from taper.records.plan import SCHEMA_ID

# taper's plan.json is 6 levels deep (root, days, a day, doses, a dose, its tablets, basis).
MAX_DEPTH = 16
# Number literals taper writes: Python's repr of a float or an int (at most ~24 characters).
MAX_NUMBER_CHARS = 40
MAX_EXPONENT = 400
# The largest amount, strength, count or volume taper accepts in a regimen is under 10**7.
LARGEST = Decimal(10) ** 7
# `revision` in a regimen is 0 to 1,000,000 (taper.regimen).
MAX_REVISION = 1_000_000
MAX_TEXT = 500  # characters of a name or drug: far beyond any taper writes
MAX_PROBLEMS = 20  # shown at once; the count says how many more

ROUTES = ("oral", "iv", "im", "sc", "procedure")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FLOAT = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE]([+-]?\d+))?$")
# A JSON string, its escapes included (the unrolled form: linear, no backtracking).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


class JsonRefused(ValueError):
    """The text is not JSON taper could have written; the message says why (no place)."""


class Refused(NamedTuple):
    """A number literal taper never writes (NaN, Infinity, 1e1000000000, a million digits),
    kept unconverted so that the check can name its place."""

    shown: str


def _constant(name: str) -> Refused:
    return Refused(name)


def _shown_literal(literal: str) -> str:
    if len(literal) <= MAX_NUMBER_CHARS:
        return literal
    return f"{literal[:12]}… (a number of {len(literal)} characters)"


def _integer(literal: str) -> int | Refused:
    if len(literal.lstrip("-")) > 15:  # before int(): millions of digits take long to convert
        return Refused(_shown_literal(literal))
    return int(literal)


def _float(literal: str) -> Decimal | Refused:
    match = _FLOAT.match(literal) if len(literal) <= MAX_NUMBER_CHARS else None
    if match is None or abs(int(match.group(1) or 0)) > MAX_EXPONENT:
        return Refused(_shown_literal(literal))  # never converted: 1e1000000000 stays text
    return Decimal(literal)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise JsonRefused(f"has the key {json.dumps(twice[:40])} twice in one object")
    return document


def nesting_depth_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON text nests arrays and objects more than ``limit`` deep (or leaves more
    than ``limit`` brackets unpaired). Linear passes at C speed: strings out, then all that is
    not a bracket, then innermost pairs removed ``limit`` times."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(limit):
        if not brackets:
            return False
        shorter = _INNERMOST.sub("", brackets)
        if shorter == brackets:  # unpaired: not JSON; json.loads says where, unless deep
            return len(brackets) > limit
        brackets = shorter
    return bool(brackets)


def strict_loads(data: bytes) -> Any:
    """JSON as taper writes it: UTF-8, at most MAX_DEPTH deep, no key twice. Floats are
    Decimal; NaN, Infinity and numbers of no sane size are kept as ``Refused`` (unconverted),
    for ``check_plan_document`` to report with their place. Raises JsonRefused."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise JsonRefused(f"is not UTF-8 text (byte {err.start})") from None
    if nesting_depth_exceeds(text, MAX_DEPTH):
        raise JsonRefused(f"nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(
            text,
            parse_float=_float,
            parse_int=_integer,
            parse_constant=_constant,
            object_pairs_hook=_pairs,
        )
    except RecursionError:  # a backstop: the depth check above should have caught it
        raise JsonRefused(f"nests deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as err:
        raise JsonRefused(f"is not JSON ({err.msg} at line {err.lineno})") from None


# -- the values -----------------------------------------------------------------------------


class _Checker:
    """Checks a parsed plan.json's values; collects problems as (JSON path, message)."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def bad(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def get(self, parent: dict[str, Any], key: str, path: str) -> Any:
        if key not in parent:
            self.bad(f"{path}.{key}", "is missing")
            return None
        return parent[key]

    def obj(self, value: Any, path: str) -> dict[str, Any] | None:
        if isinstance(value, Refused):
            return None  # reported by _refused_numbers
        if not isinstance(value, dict):
            self.bad(path, f"is {_kind(value)}, not an object")
            return None
        return value

    def array(self, value: Any, path: str) -> list[Any]:
        if isinstance(value, Refused):
            return []
        if not isinstance(value, list):
            self.bad(path, f"is {_kind(value)}, not a list")
            return []
        return value

    def text(self, value: Any, path: str, *, optional: bool = False) -> str | None:
        if (value is None and optional) or isinstance(value, Refused):
            return None
        if not isinstance(value, str):
            self.bad(path, f"is {_kind(value)}, not text")
            return None
        if not value.strip() or len(value) > MAX_TEXT:
            self.bad(path, f"is {'empty' if not value.strip() else 'too long'} text")
            return None
        if refused(value):
            self.bad(path, "holds characters taper never writes (control or invisible)")
            return None
        return value

    def choice(self, value: Any, path: str, allowed: tuple[str, ...]) -> str | None:
        if isinstance(value, Refused):
            return None
        if not isinstance(value, str) or value not in allowed:
            shown = json.dumps(value)[:40] if isinstance(value, str) else _kind(value)
            self.bad(path, f"is {shown}, not one of {', '.join(allowed)}")
            return None
        return value

    def amount(self, value: Any, path: str, *, zero: bool = False) -> Decimal | None:
        """A finite number above 0 (or at 0 with ``zero``) and below 10**7."""
        if isinstance(value, Refused):
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.bad(path, f"is {_kind(value)}, not a number")
            return None
        number = Decimal(value)
        low_ok = number >= 0 if zero else number > 0
        if not number.is_finite() or not low_ok or number >= LARGEST:
            lowest = "0 or more" if zero else "above 0"
            self.bad(path, f"is {_shown_number(number)}; taper writes {lowest} and under 10000000")
            return None
        return number


def _refused_numbers(check: _Checker, value: Any, path: str) -> None:
    """Every number literal taper never writes, anywhere in the document, with its path."""
    if isinstance(value, Refused):
        check.bad(path, f"is {value.shown}, a number taper never writes")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refused_numbers(check, item, f"{path}.{_key(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refused_numbers(check, item, f"{path}[{index}]")


def _key(key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,40}", key):
        return key
    return f"[{json.dumps(key[:40])}]"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | Decimal):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _shown_number(value: Decimal) -> str:
    if not value.is_finite():
        return str(value)
    text = f"{value:g}" if abs(value.adjusted()) > 12 else str(value)
    return text if len(text) <= 24 else text[:24] + "…"


def check_plan_document(document: Any) -> list[tuple[str, str]]:
    """Every value of a plan.json the pharmacist sheet uses, checked against what taper writes:
    the problems as (JSON path, message); none when it can be used."""
    check = _Checker()
    _refused_numbers(check, document, "$")
    root = check.obj(document, "$")
    if root is None:
        return check.problems
    if root.get("schema") != SCHEMA_ID:
        check.bad("$.schema", f"is not {SCHEMA_ID}")
        return check.problems  # another kind of file: its values mean something else
    revision = check.get(root, "revision", "$")
    if (
        revision is not None
        and not isinstance(revision, Refused)
        and (
            isinstance(revision, bool)
            or not isinstance(revision, int)
            or not 0 <= revision <= MAX_REVISION
        )
    ):
        check.bad("$.revision", f"is not a whole number from 0 to {MAX_REVISION}")
    patient = check.obj(check.get(root, "patient", "$"), "$.patient") or {}
    check.text(patient.get("name"), "$.patient.name", optional=True)
    # The course's identity (taper.identity): its title, first day, course = "..." and uid.
    check.text(check.get(root, "title", "$"), "$.title")
    start = check.get(root, "start", "$")
    if not isinstance(start, str) or not _DATE.match(start) or not _is_date(start):
        check.bad("$.start", "is not a date written like 2026-12-01")
    if root.get("course") is not None:
        course = check.obj(root["course"], "$.course") or {}
        check.text(check.get(course, "uid", "$.course"), "$.course.uid")
        check.text(check.get(course, "id", "$.course"), "$.course.id", optional=True)
    for i, phase in enumerate(check.array(check.get(root, "phases", "$"), "$.phases")):
        entry = check.obj(phase, f"$.phases[{i}]")
        if entry is not None:
            check.text(check.get(entry, "drug_name", f"$.phases[{i}]"), f"$.phases[{i}].drug_name")
    _check_days(check, check.array(check.get(root, "days", "$"), "$.days"))
    lines = set()
    for i, line in enumerate(check.array(check.get(root, "dispense", "$"), "$.dispense")):
        path = f"$.dispense[{i}]"
        entry = check.obj(line, path)
        if entry is None:
            continue
        drug = check.text(check.get(entry, "drug", path), f"{path}.drug")
        strength = check.amount(check.get(entry, "strength", path), f"{path}.strength")
        unit = check.choice(check.get(entry, "unit", path), f"{path}.unit", DOSE_UNITS)
        check.amount(check.get(entry, "count", path), f"{path}.count", zero=True)
        key = (drug, strength, unit)
        if None not in key and key in lines:
            check.bad(path, "lists a strength already listed; taper lists each once")
        lines.add(key)
    for i, line in enumerate(check.array(root.get("liquids", []), "$.liquids")):
        path = f"$.liquids[{i}]"
        entry = check.obj(line, path)
        if entry is None:
            continue
        check.text(check.get(entry, "drug", path), f"{path}.drug")
        check.text(check.get(entry, "liquid", path), f"{path}.liquid")
        check.amount(check.get(entry, "volume_ml", path), f"{path}.volume_ml", zero=True)
    return check.problems


def _check_days(check: _Checker, days: list[Any]) -> None:
    seen: set[str] = set()
    for i, day in enumerate(days):
        path = f"$.days[{i}]"
        entry = check.obj(day, path)
        if entry is None:
            continue
        when = check.get(entry, "date", path)
        if not isinstance(when, str) or not _DATE.match(when) or not _is_date(when):
            check.bad(f"{path}.date", "is not a date written like 2026-12-01")
        elif when in seen:
            check.bad(f"{path}.date", f"{when} appears twice; taper writes each day once")
        else:
            seen.add(when)
        for j, dose in enumerate(check.array(check.get(entry, "doses", path), f"{path}.doses")):
            _check_dose(check, dose, f"{path}.doses[{j}]")


def _check_dose(check: _Checker, dose: Any, path: str) -> None:
    entry = check.obj(dose, path)
    if entry is None:
        return
    time = check.get(entry, "time", path)
    if not isinstance(time, str) or not is_clock_time(time):
        check.bad(f"{path}.time", "is not a clock time written like 08:00")
    check.text(check.get(entry, "drug", path), f"{path}.drug")
    check.text(check.get(entry, "drug_name", path), f"{path}.drug_name")
    check.choice(check.get(entry, "route", path), f"{path}.route", ROUTES)
    amount, unit = check.get(entry, "amount", path), check.get(entry, "unit", path)
    if amount is None and unit is None:
        return  # a procedure: no amount
    if amount is None or unit is None:
        check.bad(path, "has an amount without a unit, or a unit without an amount")
        return
    check.amount(amount, f"{path}.amount")
    check.choice(unit, f"{path}.unit", DOSE_UNITS)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def describe_problems(problems: list[tuple[str, str]]) -> str:
    """``$.days[3].doses[0].amount is NaN; …``, at most MAX_PROBLEMS, then how many more."""
    shown = [f"{path} {message}" for path, message in problems[:MAX_PROBLEMS]]
    more = len(problems) - MAX_PROBLEMS
    if more > 0:
        shown.append(f"and {more} more")
    return "; ".join(shown)


# -- reading the file ---------------------------------------------------------------------


def plan_file(path: Path) -> Path:
    """``path``, or ``path/plan.json`` when ``path`` is a folder (a previous packet)."""
    try:
        is_folder = stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        is_folder = False  # read_input says what is wrong with the path
    return path / "plan.json" if is_folder else path


# Reads a file's bytes (a regular file, within the plan's size limit), raising InputFileError
# with what is wrong: the front end's one reader, given in (it lives on a higher floor).
Reader = Callable[[Path], bytes]


def read_plan_document(path: Path, read: Reader) -> dict[str, Any]:
    """A previous packet's plan.json (``path`` or ``path/plan.json``), read as hostile input:
    its bytes from ``read``, strict JSON, and every value the comparison uses checked. Raises
    OutputError naming the file, and the JSON path of each bad value."""
    file = plan_file(path)
    try:
        data = read(file)
    except InputFileError as err:
        if file != path and "no such file" in str(err):
            raise OutputError(
                f"{file}: no plan.json there; give the folder of the previous packet or its "
                "plan.json"
            ) from err
        raise OutputError(f"{file}: {err}") from err
    try:
        document = strict_loads(data)
    except JsonRefused as err:
        raise OutputError(
            f"{file}: not a plan.json written by taper: it {err}; give the previous packet's "
            "folder or its plan.json"
        ) from err
    problems = check_plan_document(document)
    if problems:
        count = len(problems)
        raise OutputError(
            f"{file}: not a plan.json written by taper: {count} value"
            f"{'s' if count != 1 else ''} taper never writes: {describe_problems(problems)}; "
            "give the previous packet's folder or its plan.json"
        )
    return dict(document)
