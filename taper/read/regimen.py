"""Reading a regimen file: TOML in, an immutable ``Regimen`` out, with every problem found.

The reader never stops at the first problem. It walks the whole document, records each problem
with its place (``phase[2].steps[3].dose``) and a fix, and returns what it could read so that the
engine can check the well-formed parts too. Places count from 1, as people do.
"""

import re
import tomllib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from taper.read.catalogue import (
    Drug,
    Pack,
    condition_title_words,
    conditions,
    drug_suggestions,
    find_pack,
    identify_drug,
    pack_names,
)
from taper.read.errors import Problem
from taper.read.keys import DEFAULT_LANGUAGE, LANGUAGES, defaults_in, keys_in
from taper.read.text import MULTILINE_KEYS
from taper.read.units import (
    DOSE_UNITS,
    Amount,
    Concentration,
    describe,
    is_clock_time,
    mosteller_bsa,
    parse_amount,
    parse_concentration,
    parse_duration,
    parse_height,
    parse_weight,
    plain,
)

#: The largest regimen file read: a long course written day by day is tens of kilobytes, and
#: the TOML parser's cost must stay bounded (the CLI's own reads use this limit too).
MAX_REGIMEN_BYTES = 256 * 1024
MAX_FILE_BYTES = MAX_REGIMEN_BYTES  # the earlier name
#: Parts of a dotted key (``patient.routine.breakfast`` has 3) and levels of nested arrays and
#: inline tables, checked before parsing; a regimen needs 3 of each at most.
MAX_KEY_PARTS = 16
MAX_NESTING = 32
MAX_COURSE_DAYS = 1096  # three years: giant cell arteritis tapers run 1–2 years
#: Reminders (doses and [[also]] items) a plan may hold: on one day, and in the whole course.
#: 24 a day is a dose every hour, above any real order (4-hourly dosing is 6 a day, divided
#: doses 4, a few checks besides); 10,000 in a course holds a 3-year course (1,096 days) at 6
#: doses a day with two daily [[also]] items (8,768), while bounding the work of every export.
MAX_REMINDERS_PER_DAY = 24
MAX_REMINDERS = 10_000
#: The first and last dates a course may start on: wide enough for any real course (and for
#: historical zone changes, such as Samoa's skipped day in 2011), far from the ends of the
#: calendar (years 1 and 9999), where date arithmetic overflows.
EARLIEST_START = date(1900, 1, 1)
LATEST_START = date(2199, 12, 31)
ROUTES = ("oral", "iv", "im", "sc", "procedure")
ALSO_KINDS = ("medication", "check", "appointment")
DEFAULT_ROUTINE = defaults_in("patient.routine")
ALLOWANCES = {
    "above-documented-dose": "give a dose above the highest documented regimen",
    "below-usual-dose": "give a dose below the low end of the drug's usual range",
    "overlap": "let this phase overlap another phase of the same drug",
    "above-per-weight-ceiling": "give oral prednisone or prednisolone above 2 mg/kg a day",
    "high-oral-dose": "give 5 times the usual daily oral dose or more outside a documented pulse",
    "large-liquid-volume": "give a single oral liquid dose above the largest usual volume",
    "uneven-doses": "give one of a day's doses ten times another of the same day or more",
}
# The keys each table may hold, from the one table of keys (taper.read.keys).
TOP_KEYS = keys_in("")
PATIENT_KEYS = keys_in("patient")
CARE_TEAM_KEYS = keys_in("care_team")
PHASE_KEYS = keys_in("phase")
STEP_KEYS = keys_in("phase.steps")
TAPER_KEYS = keys_in("phase.taper")
ALSO_KEYS = keys_in("also")
# every = "6h": round-the-clock series; "24h": a day apart in elapsed hours (antenatal
# betamethasone, 2 doses 24 hours apart across a clock change too)
INTERVAL_HOURS = (4, 6, 8, 12, 24)
#: ``class`` on a phase: what a drug taper's catalogue does not list is (issue 25, H1). A
#: systemic glucocorticoid gets the general steroid counselling, judged by the course's length
#: (its dose cannot be checked or converted); another medicine gets no steroid counselling.
DECLARED_CLASSES = {"glucocorticoid": "steroid", "other": None}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CAP_UNITS = ("mg", "g", "mcg", "units")
DOSING_FORMS = ("dose", "steps", "taper", "sessions")


class TimeOfDay(NamedTuple):
    """A time from ``at``: the clock time and the routine slot it came from, if any."""

    time: str  # HH:MM
    slot: str | None


class Given(NamedTuple):
    """An amount given at one time of day, with the place in the file it was written."""

    time: TimeOfDay
    amount: Amount
    place: str


class Cap(NamedTuple):
    """``max`` (each dose) and ``max_daily`` (the day's total) on per-weight doses."""

    dose: Amount | None = None
    daily: Amount | None = None
    place: str = ""  # where the cap was written (the phase or the step)


class Step(NamedTuple):
    """Days with the same doses, given on every ``every``-th day of the step."""

    place: str
    days: int
    every: int
    doses: tuple[Given, ...]
    cap: Cap = Cap()


class TaperRule(NamedTuple):
    """``taper = { from, to, by, every }``; ``by`` is an amount or a share (``percent``)."""

    place: str
    start: Amount
    end: Amount
    by: Amount | None
    percent: Decimal | None
    every: int


class Container(NamedTuple):
    """What an injection is dispensed in: multi-dose ``vial``s of ``volume_ml``, or single-dose
    ``injector``s each holding ``amount``."""

    kind: str  # vial | injector
    text: str  # as entered: "5 mL", "80 units"
    volume_ml: Decimal | None  # a vial's volume
    amount: Amount | None  # an injector's dose


class WatchEntry(NamedTuple):
    """A prescriber's own watch item (``[[watch]]``): whole course unless during or days."""

    index: int  # type: ignore[assignment]  # 1-based position in the file, shadows tuple.index
    place: str
    tier: str  # emergency | call | expected
    text: str
    during: tuple[str, ...]
    days: tuple[int, ...]
    replaces: tuple[str, ...] = ()  # ids of built-in items this one stands in for


class Phase(NamedTuple):
    index: int  # type: ignore[assignment]  # 1-based position in the file, shadows tuple.index
    place: str
    name: str
    drug_text: str
    drug: Drug | None
    route: str
    form: str  # dose | steps | taper | sessions
    steps: tuple[Step, ...]  # empty for taper (expanded by the engine) and sessions
    taper: TaperRule | None
    sessions: int | None
    session_every: int
    strengths: tuple[Amount, ...]  # tablets for an oral phase without a liquid
    split: bool
    liquid: Concentration | None
    at: tuple[TimeOfDay, ...]
    take: str | None
    duration_min: int | None
    where: str | None
    start_day: int | None
    allow: tuple[str, ...]
    cap: Cap = Cap()  # the phase's max and max_daily; a step's own cap wins
    interval_hours: int | None = None  # every = "6h": a dose every N hours for ``days`` days
    interval_days: int = 0  # the series' length in days (with interval_hours)
    pack: Pack | None = None
    given_by: str = "patient"  # staff | patient | caregiver (see _delivery)
    container: Container | None = None  # whole vials or injectors to dispense
    # A rhythm: a dose every `period` days (every = 7, or every = "21 days" with times), each
    # time on `run` days in a row; a phase that follows without start_day is checked against it.
    period: int | None = None
    run: int = 1
    rounding: str = "nearest"  # round = "up" | "nearest" | "down": a per-weight dose's rounding
    round_given: bool = False  # the file said round = ... (the warning says so)
    declared_class: str | None = None  # class = "glucocorticoid" | "other" (unknown drugs)
    missed: str | None = None  # the prescriber's missed-dose advice for this phase
    solid_form: str = "tablet"  # tablet | capsule: form = "capsule", or the catalogue's form

    @property
    def display(self) -> str:
        return self.drug.display if self.drug else self.drug_text.strip()

    @property
    def drug_id(self) -> str:
        return self.drug.id if self.drug else " ".join(self.drug_text.lower().split())


class Also(NamedTuple):
    index: int  # type: ignore[assignment]  # 1-based position in the file, shadows tuple.index
    place: str
    kind: str
    what: str
    at: tuple[TimeOfDay, ...]
    during: tuple[str, ...]
    days: tuple[int, ...]
    on: date | None
    duration_min: int | None
    where: str | None
    every: int | None = None  # every N days from its first day
    weekdays: tuple[int, ...] = ()  # 0 = Monday


class Regimen(NamedTuple):
    source: str
    title: str
    start: date
    timezone: str
    revision: int
    patient_name: str | None
    weight_kg: Decimal | None
    weight_text: str | None
    height_cm: Decimal | None
    height_text: str | None
    bsa_m2: Decimal | None  # Mosteller, from height and weight
    fill_days: int | None  # days supplied per fill; None: the whole course at once
    conditions: tuple[str, ...]
    routine: tuple[tuple[str, str], ...]
    care_team: tuple[tuple[str, str], ...]
    phases: tuple[Phase, ...]
    also: tuple[Also, ...]
    complete: bool  # False when a problem kept part of the file from being read
    watch: tuple[WatchEntry, ...] = ()
    course: str | None = None  # the course's name, kept across revisions (taper.read.identity)
    # after = "stop" | "continue": what happens after the plan's last day; None: not said (a
    # long course ending above the adrenal dose, or a maintenance drug, is then refused)
    after: str | None = None
    language: str = DEFAULT_LANGUAGE  # [patient] language: the handout's and reminders' language


T = TypeVar("T")

# When `at` is missing or wrong, a phase is still scheduled at this one time so that its doses
# are checked in the same run: one dose a day is the least the order can mean, so a dose found
# too high with it is too high as written. The missing `at` is a problem, so such a phase never
# reaches any output.
_CHECK_ONLY_AT = (TimeOfDay("12:00", None),)


def _did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    import difflib  # only on the error path

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, place: str, message: str) -> None:
        self.problems.append(Problem(place, message))

    # -- generic shape checks -------------------------------------------------------------

    def known_keys(self, table: dict[str, Any], place: str, known: tuple[str, ...]) -> None:
        for key in map(str, table):  # TOML keys are text; a document built in code may not be
            if key not in known:
                where = f"{place}.{key}" if place else key
                self.problem(
                    where,
                    f'unknown key "{key}"{_did_you_mean(key, known)} '
                    f"(known keys here: {', '.join(known)})",
                )

    def table(self, value: Any, place: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.problem(place, f"expected a table, got {describe(value)}")
        return None

    def text(
        self,
        table: dict[str, Any],
        key: str,
        place: str,
        *,
        required: bool = False,
        fix: str = "",
        example: str = "",
    ) -> str | None:
        where = f"{place}.{key}" if place else key
        if key not in table:
            if required:
                self.problem(where, f"is missing{'; ' + fix if fix else ''}")
            return None
        value = table[key]
        if not isinstance(value, str):
            wanted = f"a text such as {example}" if example else "a text in quotes"
            self.problem(where, f"expected {wanted}, got {describe(value)}")
            return None
        if not value.strip():
            self.problem(where, f"is empty{'; ' + fix if fix else ''}")
            return None
        if len(value) > 2000:
            self.problem(where, "is longer than 2000 characters; shorten it")
            return None
        return value

    def whole(
        self,
        table: dict[str, Any],
        key: str,
        place: str,
        *,
        low: int,
        high: int,
        required: bool = False,
        fix: str = "",
    ) -> int | None:
        where = f"{place}.{key}" if place else key
        if key not in table:
            if required:
                self.problem(where, f"is missing{'; ' + fix if fix else ''}")
            return None
        value = table[key]
        if type(value) is not int:
            self.problem(where, f"expected a whole number, got {describe(value)}")
            return None
        if not low <= value <= high:
            self.problem(where, f"{value} is outside {low} to {high}")
            return None
        return value

    def flag(self, table: dict[str, Any], key: str, place: str) -> bool:
        if key not in table:
            return False
        value = table[key]
        if type(value) is not bool:
            self.problem(f"{place}.{key}", f"expected true or false, got {describe(value)}")
            return False
        return value

    def texts(self, table: dict[str, Any], key: str, place: str) -> list[tuple[str, str]] | None:
        """A list of texts, each with its place; a single text is taken as a list of one."""
        where = f"{place}.{key}" if place else key
        if key not in table:
            return None
        value = table[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(where, f"expected a list of texts, got {describe(value)}")
            return None
        items: list[tuple[str, str]] = []
        for number, item in enumerate(value, 1):
            if not isinstance(item, str) or not item.strip():
                self.problem(f"{where}[{number}]", f"expected a text, got {describe(item)}")
                continue
            items.append((item, f"{where}[{number}]"))
        return items

    def parsed(self, parse: Callable[[Any], T], value: Any, where: str) -> T | None:
        try:
            return parse(value)
        except ValueError as err:
            self.problem(where, str(err))
            return None

    def a_date(self, value: Any, where: str) -> date | None:
        if isinstance(value, date) and type(value) is date:
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(where, f"expected a date like 2026-12-01, got {describe(value)}")
        return None


def _size_text(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1_000_000 else f"{size / 1024:.0f} KiB"


def too_large(size: int) -> Problem:
    """The problem of a regimen of ``size`` bytes, over ``MAX_REGIMEN_BYTES``."""
    return Problem(
        "",
        f"is {_size_text(size)}; a regimen file is a few kilobytes (at most "
        f"{MAX_REGIMEN_BYTES // 1024} KiB). Check that this is the right file.",
    )


def parse_document(data: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse a regimen's bytes. The work is bounded before TOML parsing starts: the size
    (``MAX_REGIMEN_BYTES``) and, by a linear pre-scan, the parts of a dotted key and the
    nesting depth (``MAX_KEY_PARTS``, ``MAX_NESTING``), beyond which tomllib's cost grows
    with the square of the input (an 80 KB dotted key took over a minute)."""
    if len(data) > MAX_REGIMEN_BYTES:
        return None, [too_large(len(data))]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return None, [Problem(f"line {line}", "is not UTF-8 text; save the file as UTF-8")]
    if text.startswith("\ufeff"):
        text = text[1:]
    scan = _prescan(text)
    if scan.problem is not None:
        return None, [scan.problem]
    try:
        return tomllib.loads(text, parse_float=Decimal), []
    except tomllib.TOMLDecodeError as err:
        return None, [_toml_problem(str(err), scan.unclosed)]
    except RecursionError:
        return None, [Problem("", "is nested too deeply to be a regimen")]


def _toml_problem(message: str, unclosed: tuple[str, int, str] | None) -> Problem:
    """tomllib's message with its place; an unclosed construct named by the line it opens on."""
    place = ""
    if "(at line" in message:
        message, _, rest = message.partition(" (at ")
        place = rest.rstrip(")")
    elif "(at end of document)" in message:
        message = message.replace(" (at end of document)", "")
        place = "end of file"
    message = message[:1].lower() + message[1:]
    at_end = place == "end of file"
    if unclosed is not None and (at_end or "unclosed" in message or "unterminated" in message):
        # An unclosed array, table or string shows only where the file ends (or where the
        # next thing no longer fits): name the line where it was opened.
        what, line, closer = unclosed
        if at_end:
            place = f"line {line}"
            message = f"the {what} opened on this line is never closed; close it with {closer}"
        else:
            message = f"{message}: the {what} opened on line {line} is never closed"
    return Problem(place, f"is not valid TOML: {message}; see the regimen format in the README")


class _Scan(NamedTuple):
    problem: Problem | None
    unclosed: tuple[str, int, str] | None  # what was left open at the end: its line, closer


# Strings (multi-line first, each possibly unterminated), comments, line breaks, brackets,
# dots, and runs of anything else (bare keys, numbers, dates, words).
_TOKEN = (
    r'"""(?:[^"\\]|\\.|"(?!""))*(?:"""|\Z)'
    r"|'''(?:[^']|'(?!''))*(?:'''|\Z)"
    r'|"(?:[^"\\\n]|\\.)*"?'
    r"|'[^'\n]*'?"
    r"|#[^\n]*"
    r"|\n"
    r"|[\[\]{}.=,]"
    r"|[^\s\[\]{}.=,\"'#]+"
    r"|\s+"
)
_OPEN = {"[": ("array", "]"), "{": ("inline table", "}")}


def _prescan(text: str) -> _Scan:
    """One linear pass over the text: dotted keys and nesting within the limits, and what is
    left open at the end (for the TOML error's line). Strings and comments are skipped whole.
    A number such as 2.5 reads as two parts, well within the limit."""
    import re

    line = 1
    open_: list[tuple[str, str, int]] = []  # (what, its closing character, line)
    parts = 0  # parts of the dotted key (or number) being read
    after_dot = False
    line_start = True
    header = 0  # inside a [table] or [[array of tables]] header: its brackets
    unclosed_string: tuple[str, int, str] | None = None
    for match in re.finditer(_TOKEN, text):
        token = match.group()
        first = token[0]
        if first == "\n" or (first.isspace() and "\n" in token):
            line += token.count("\n")
            line_start, parts, after_dot = True, 0, False
            continue
        if first.isspace() or first == "#":
            continue
        if token == ".":
            after_dot = True
            continue
        if first not in "[]{}=,":  # a key part, a string or a bare value
            if first in "\"'":
                quote = token[:3] if token[:3] in ('"""', "'''") else first
                if len(token) < 2 * len(quote) or not token.endswith(quote):
                    unclosed_string = ("string", line, quote)
            parts = parts + 1 if after_dot else 1
            after_dot = False
            if parts > MAX_KEY_PARTS:
                return _Scan(
                    Problem(
                        f"line {line}",
                        f"has a dotted key of more than {MAX_KEY_PARTS} parts; a regimen's "
                        "keys have three at most (such as patient.routine.breakfast)",
                    ),
                    None,
                )
            line += token.count("\n")
            line_start = False
            continue
        parts, after_dot = 0, False
        if first == "[" and (header or (line_start and not open_)):
            header += 1  # a header's brackets: [table], [[array of tables]]
            line_start = False
            continue
        if first == "]" and header:
            header -= 1
            continue
        line_start = False
        if first in _OPEN:
            what, closer = _OPEN[first]
            open_.append((what, closer, line))
            if len(open_) > MAX_NESTING:
                return _Scan(
                    Problem(
                        f"line {line}",
                        f"nests arrays or tables more than {MAX_NESTING} levels deep; "
                        "a regimen needs three at most",
                    ),
                    None,
                )
        elif open_ and first == open_[-1][1]:
            open_.pop()
    if open_:
        what, closer, line = open_[-1]
        return _Scan(None, (what, line, closer))
    return _Scan(None, unclosed_string)


def parse_regimen(document: dict[str, Any], source: str) -> tuple[Regimen | None, list[Problem]]:
    """Turn a parsed TOML document into a Regimen, with every problem found."""
    reader = _Reader()
    _screen_text(reader, document)
    regimen = _regimen(reader, document, source)
    return regimen, reader.problems


def _screen_text(r: _Reader, value: Any, place: str = "", key: str = "") -> None:
    """Every key and text of the document checked against the one text rule (taper.read.text):
    no control, bidirectional or invisible characters, nothing a handout cannot print, each
    problem at its place. (Messages echo values as they are; the CLI escapes what it prints.)"""
    from taper.read.text import char_name, refused, terminal

    if isinstance(value, str):
        found = refused(value, multiline=key in MULTILINE_KEYS)
        shown = terminal(value, keep_lines=False)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        for ch, why in found:
            r.problem(place, f'the character {char_name(ch)} in "{shown}" {why}')
    elif isinstance(value, dict):
        for item_key, item in value.items():
            name = str(item_key)
            where = f"{place}.{name}" if place else name
            for ch, why in refused(name):
                r.problem(where, f"the key's character {char_name(ch)} {why}")
            _screen_text(r, item, where, name)
    elif isinstance(value, list):
        for number, item in enumerate(value, 1):
            _screen_text(r, item, f"{place}[{number}]", key)


def _regimen(r: _Reader, doc: dict[str, Any], source: str) -> Regimen | None:
    r.known_keys(doc, "", TOP_KEYS)
    start = None
    if "start" not in doc:
        r.problem("start", "is missing; add the course's first day, such as start = 2026-12-01")
    else:
        start = _start_date(r, doc["start"])

    timezone = r.text(
        doc,
        "timezone",
        "",
        required=True,
        fix='add the IANA time zone, such as timezone = "America/New_York"',
    )
    if timezone is not None:
        timezone = _check_timezone(r, timezone)

    title = r.text(doc, "title", "")
    revision = r.whole(doc, "revision", "", low=0, high=1_000_000) or 0
    course = r.text(doc, "course", "")
    if course is not None and not course.strip():
        r.problem(
            "course",
            'is empty; name the course, such as course = "jane-ms-relapse-2027", or remove it',
        )
        course = None
    after = _after(r, doc)

    patient = r.table(doc.get("patient", {}), "patient") or {}
    r.known_keys(patient, "patient", PATIENT_KEYS)
    patient_name = r.text(patient, "name", "patient")
    weight_text = r.text(patient, "weight", "patient", example='"70 kg" or "154 lb"')
    weight_kg = (
        r.parsed(parse_weight, weight_text, "patient.weight") if weight_text is not None else None
    )
    body = _body(r, patient, weight_kg)
    fill_days = _fill(r, doc)
    named_conditions = r.texts(patient, "conditions", "patient") or []
    known_conditions = conditions() if named_conditions else {}
    condition_ids: list[str] = []
    for condition, where in named_conditions:
        key = condition.strip().lower().replace(" ", "-").replace("_", "-")
        if key in known_conditions:
            if key not in condition_ids:
                condition_ids.append(key)
        else:
            r.problem(
                where,
                f'unknown condition "{condition}"{_did_you_mean(key, list(known_conditions))} '
                f"(known: {', '.join(known_conditions)})",
            )

    _condition_in_title(r, title, condition_ids)
    language = _language(r, patient)
    routine = dict(DEFAULT_ROUTINE)
    if "routine" in patient:
        table = r.table(patient["routine"], "patient.routine") or {}
        r.known_keys(table, "patient.routine", tuple(DEFAULT_ROUTINE))
        for slot in DEFAULT_ROUTINE:
            value = r.text(table, slot, "patient.routine")
            if value is not None:
                clock = _clock(value)
                if clock is None:
                    r.problem(
                        f"patient.routine.{slot}",
                        f'"{value}" is not a time; write 24-hour time like "08:00"',
                    )
                else:
                    routine[slot] = clock

    care = r.table(doc.get("care_team", {}), "care_team") or {}
    r.known_keys(care, "care_team", CARE_TEAM_KEYS)
    care_team = tuple(
        (key, value)
        for key in CARE_TEAM_KEYS
        if key != "emergency" and (value := r.text(care, key, "care_team")) is not None
    )
    emergency = _emergency_number(r, care)
    if emergency is not None:
        care_team += (("emergency", emergency),)

    phases: list[Phase] = []
    raw_phases = doc.get("phase")
    complete = True
    if raw_phases is None:
        r.problem("phase", "no [[phase]] is given; a regimen needs at least one phase")
    elif not isinstance(raw_phases, list):
        r.problem("phase", "expected [[phase]] tables (an array of tables)")
    else:
        if not raw_phases:
            r.problem("phase", "no [[phase]] is given; a regimen needs at least one phase")
        for number, raw in enumerate(raw_phases, 1):
            before = len(r.problems)
            phase = _phase(r, raw, number, routine, body)
            # A phase with a problem still goes to the engine, so that its doses are checked
            # in the same run ("all problems at once"); the problem keeps it from any output.
            if phase is not None:
                phases.append(phase)
            if phase is None or len(r.problems) != before:
                complete = False
        names: dict[str, int] = {}
        for phase in phases:
            key = phase.name.casefold()
            if key in names:
                r.problem(
                    f"{phase.place}.name",
                    f'"{phase.name}" is also the name of phase[{names[key]}]; '
                    "give each phase its own name",
                )
            else:
                names[key] = phase.index

    also: list[Also] = []
    raw_also = doc.get("also", [])
    if not isinstance(raw_also, list):
        r.problem("also", "expected [[also]] tables (an array of tables)")
    else:
        all_names = (
            [p.get("name") for p in raw_phases or [] if isinstance(p, dict)]
            if isinstance(raw_phases, list)
            else []
        )
        for number, raw in enumerate(raw_also, 1):
            item = _also(
                r, raw, number, routine, [n for n in all_names if isinstance(n, str)], start
            )
            if item is not None:
                also.append(item)

    raw_names = [
        name
        for raw in (raw_phases if isinstance(raw_phases, list) else [])
        if isinstance(raw, dict) and isinstance(name := raw.get("name"), str)
    ]
    watch = _watch_entries(
        r, doc.get("watch", []), list(dict.fromkeys([*raw_names, *(p.name for p in phases)]))
    )

    if start is None or timezone is None:
        return None
    return Regimen(
        source=source,
        title=title or _default_title(phases),
        start=start,
        timezone=timezone,
        revision=revision,
        patient_name=patient_name,
        weight_kg=weight_kg,
        weight_text=weight_text,
        height_cm=body.height_cm,
        height_text=body.height_text,
        bsa_m2=body.bsa_m2,
        fill_days=fill_days,
        conditions=tuple(condition_ids),
        routine=tuple(routine.items()),
        care_team=care_team,
        phases=tuple(phases),
        also=tuple(also),
        complete=complete and not r.problems,
        watch=watch,
        course=course.strip() if course is not None else None,
        after=after,
        language=language,
    )


#: ``after``'s values: the course stops on its last day, or the patient keeps taking the drug.
AFTER_VALUES = ("stop", "continue")


def _after(r: _Reader, doc: dict[str, Any]) -> str | None:
    """``after = "stop" | "continue"``: what happens after the plan's last day (the plan may
    be one prescription of a treatment that goes on)."""
    text = r.text(doc, "after", "", example='"stop" or "continue"')
    if text is None:
        return None
    value = text.strip().lower()
    if value not in AFTER_VALUES:
        r.problem(
            "after",
            f'"{text}" is not a choice; say after = "stop" if the course ends on its last day, '
            'or after = "continue" if the patient keeps taking the drug after it',
        )
        return None
    return value


def _language(r: _Reader, patient: dict[str, Any]) -> str:
    """``[patient] language``: the handout's and the reminders' language (default English)."""
    text = r.text(patient, "language", "patient", example='"en"')
    if text is None:
        return DEFAULT_LANGUAGE
    if text not in LANGUAGES:
        supported = " or ".join(f'"{tag}"' for tag in LANGUAGES)
        r.problem("patient.language", f'"{text}" is not a supported language; use {supported}')
        return DEFAULT_LANGUAGE
    return text


class _Body(NamedTuple):
    """What per-weight doses are worked out from."""

    weight_kg: Decimal | None
    height_cm: Decimal | None
    height_text: str | None
    bsa_m2: Decimal | None


def _body(r: _Reader, patient: dict[str, Any], weight_kg: Decimal | None) -> _Body:
    """``patient.height`` and the body surface area (Mosteller) it gives with the weight."""
    height_text = r.text(patient, "height", "patient", example='"120 cm" or "47 in"')
    height_cm = (
        r.parsed(parse_height, height_text, "patient.height") if height_text is not None else None
    )
    bsa = (
        mosteller_bsa(height_cm, weight_kg)
        if height_cm is not None and weight_kg is not None
        else None
    )
    return _Body(weight_kg, height_cm, height_text, bsa)


def _fill(r: _Reader, doc: dict[str, Any]) -> int | None:
    """``fill = "28 days"``: how many days each fill supplies (default: the whole course)."""
    if "fill" not in doc:
        return None
    value = doc["fill"]
    fix = 'write it like fill = "28 days" or fill = "4 weeks"'
    if not isinstance(value, str):
        r.problem("fill", f'expected a text such as "28 days", got {describe(value)}; {fix}')
        return None
    words = value.strip().lower().split()
    days = None
    if (
        len(words) == 2
        and words[0].isascii()
        and words[0].isdigit()
        and words[1] in ("day", "days", "week", "weeks")
    ):
        days = int(words[0]) * (7 if words[1].startswith("week") else 1)
    if days is None:
        r.problem("fill", f'"{value}" is not a length in days; {fix}')
        return None
    if not 1 <= days <= MAX_COURSE_DAYS:
        r.problem("fill", f'"{value}" is outside 1 to {MAX_COURSE_DAYS} days; {fix}')
        return None
    return days


def _start_date(r: _Reader, value: Any) -> date | None:
    """``start``, within the years a course can be planned for: a year far outside is a typo
    (0226 for 2026), and dates near year 1 or 9999 would overflow the calendar arithmetic."""
    start = r.a_date(value, "start")
    if start is not None and not EARLIEST_START <= start <= LATEST_START:
        r.problem(
            "start",
            f"{start.isoformat()} is not a date a course can start on; give a date from "
            f"{EARLIEST_START.isoformat()} to {LATEST_START.isoformat()} (check the year)",
        )
        return None
    return start


def _default_title(phases: list[Phase]) -> str:
    """The course's title when the regimen gives none (the ``title`` key's default):
    ``Methylprednisolone then Prednisone course``, each drug once, in the order of the phases.
    The plan carries it as if the clinician had written it (``plan.json``'s ``title``)."""
    names = list(dict.fromkeys(phase.display for phase in phases))
    return " then ".join(names) + " course" if names else "Treatment course"


def _check_timezone(r: _Reader, name: str) -> str | None:
    from taper.read.zones import is_zone, names, place_problem

    if is_zone(name):
        problem = place_problem(name)
        if problem is None:
            return name
        r.problem("timezone", problem)
        return None
    r.problem(
        "timezone",
        f'unknown time zone "{name}"{_did_you_mean(name, sorted(names()))} '
        '(use an IANA name such as "America/New_York" or "Europe/London")',
    )
    return None


def _clock(text: str) -> str | None:
    text = text.strip()
    if len(text) == 4 and text[1] == ":":
        text = "0" + text
    return text if is_clock_time(text) else None


def _time_of_day(r: _Reader, text: str, where: str, routine: dict[str, str]) -> TimeOfDay | None:
    clock = _clock(text)
    if clock is not None:
        return TimeOfDay(clock, None)
    slot = text.strip().lower()
    if slot in routine:
        return TimeOfDay(routine[slot], slot)
    r.problem(
        where,
        f'"{text}" is neither a time like "09:00" nor a routine slot'
        f"{_did_you_mean(slot, list(routine))} (slots: {', '.join(routine)})",
    )
    return None


def _times(
    r: _Reader, table: dict[str, Any], place: str, routine: dict[str, str]
) -> tuple[TimeOfDay, ...] | None:
    items = r.texts(table, "at", place)
    if items is None:
        return None
    if len(items) > MAX_REMINDERS_PER_DAY:
        r.problem(
            f"{place}.at",
            f"lists {len(items)} times; at most {MAX_REMINDERS_PER_DAY} doses a day can be "
            "scheduled",
        )
        return ()
    times: list[TimeOfDay] = []
    for text, where in items:
        time = _time_of_day(r, text, where, routine)
        if time is None:
            continue
        if any(t.time == time.time for t in times):
            r.problem(where, f"{time.time} is listed twice; list each time once")
            continue
        times.append(time)
    if not items:
        r.problem(f"{place}.at", 'is empty; list at least one time, such as at = ["breakfast"]')
    return tuple(times)


def _phase(r: _Reader, raw: Any, number: int, routine: dict[str, str], body: _Body) -> Phase | None:
    """One ``[[phase]]``: each part read in the order its problems are reported."""
    place = f"phase[{number}]"
    table = r.table(raw, place)
    if table is None:
        return None
    r.known_keys(table, place, PHASE_KEYS)
    drug_text, drug, misspelt = _phase_drug(r, table, place)
    declared_class = _declared_class(r, table, place, drug, drug_text, reported=misspelt)
    missed = r.text(table, "missed", place, example='"Call the clinic before your infusion."')
    route = _phase_route(r, table, place, drug)
    given_name = r.text(table, "name", place)
    name = (given_name or (drug.display if drug else drug_text) or f"Phase {number}").strip()
    pack = _pack(r, table, place, drug)
    form = _dosing_form(r, table, place, pack)
    if form is None:
        return None
    at = _times(r, table, place, routine)
    take = r.text(table, "take", place)
    where = r.text(table, "where", place)
    duration = _duration(r, table, place)
    start_day = r.whole(table, "start_day", place, low=1, high=MAX_COURSE_DAYS)
    allow = _allowances(r, table, place)
    split = r.flag(table, "split", place)
    liquid = _phase_liquid(r, table, place, route)
    strengths = _strengths(
        r, table, place, _Drug(drug_text, drug, misspelt), route, liquid, pack, form
    )
    if split and route != "oral":
        r.problem(f"{place}.split", "half tablets are for oral phases; remove split")
    solid_form = _solid_form(r, table, place, drug, strengths, split)
    dosing = _dosing(r, table, place, form, _DoseReader(r, body, route), at, routine, pack)
    if "times" in table and (form not in ("dose", "steps") or dosing.interval_hours is not None):
        r.problem(
            f"{place}.times",
            'times repeats a dose (or steps) every few days, such as every = "7 days", '
            "times = 6; it does not go with "
            + ("every in hours" if dosing.interval_hours else form),
        )
    if route == "procedure" and form != "sessions":
        r.problem(place, "a procedure is scheduled with sessions and every, not a dose")
    given_by, container = _delivery(r, table, place, route, liquid)
    _check_caps(r, place, dosing.cap, dosing.steps, dosing.taper, form)
    rounding = _rounding(r, table, place, dosing.steps, dosing.taper)
    if pack is not None and form == "pack":
        form = "steps"
    steps = dosing.steps
    return Phase(  # every field by name: a Phase has 28
        index=number,
        place=place,
        name=name,
        drug_text=drug_text or "",
        drug=drug,
        route=route,
        form=form,
        steps=tuple(steps),
        taper=dosing.taper,
        sessions=dosing.sessions,
        session_every=dosing.session_every,
        strengths=strengths,
        split=split,
        liquid=liquid,
        at=at or (_CHECK_ONLY_AT if dosing.taper is not None else ()),
        take=take,
        duration_min=duration,
        where=where,
        start_day=start_day,
        allow=tuple(allow),
        cap=dosing.cap,
        interval_hours=dosing.interval_hours if form == "dose" else None,
        interval_days=steps[0].days if dosing.interval_hours is not None and steps else 0,
        pack=pack,
        given_by=given_by,
        container=container,
        rounding=rounding or (drug.per_weight_round if drug else None) or "nearest",
        round_given=rounding is not None,
        **_rhythm(table, steps),
        declared_class=declared_class,
        missed=missed,
        solid_form=solid_form,
    )


SOLID_FORMS = ("tablet", "capsule")


def _solid_form(
    r: _Reader,
    table: dict[str, Any],
    place: str,
    drug: Drug | None,
    strengths: tuple[Amount, ...],
    split: bool,
) -> str:
    """``form``: whether the strengths dispensed are tablets or capsules. Without it, the
    catalogue's form for the strengths listed (Entocort EC 3 mg is a capsule), else tablet."""
    written = r.text(table, "form", place)
    capsule_strengths = {c.in_mg() for c in drug.capsules} if drug is not None else set()
    listed = {s.in_mg() for s in strengths}
    if written is not None:
        form = written.strip().lower()
        if form not in SOLID_FORMS:
            r.problem(f"{place}.form", f'is "{written}"; write form = "tablet" or form = "capsule"')
            return "tablet"
        if not strengths:
            r.problem(
                f"{place}.form",
                "says which solid form the strengths dispensed are; this phase has no tablets "
                "or capsules (a liquid, pack or infusion): remove form",
            )
            return "tablet"
    elif listed and listed <= capsule_strengths:
        form = "capsule"
    else:
        form = "tablet"
        mixed = sorted(listed & capsule_strengths)
        if mixed and drug is not None:
            r.problem(
                f"{place}.tablets",
                f"{drug.display} {', '.join(str(s) for s in strengths if s.in_mg() in mixed)} "
                "is a capsule and the other strengths listed are tablets: give each form in a "
                'phase of its own, or say which it is with form = "tablet" or form = "capsule"',
            )
    if form == "capsule" and split:
        r.problem(
            f"{place}.split",
            "a capsule cannot be cut in half; remove split = true and give doses the whole "
            "capsules make (or list a strength that makes them)",
        )
    return form


def _declared_class(
    r: _Reader,
    table: dict[str, Any],
    place: str,
    drug: Drug | None,
    drug_text: str | None,
    *,
    reported: bool,
) -> str | None:
    """``class`` on a phase. A drug the catalogue does not know must say what it is: a systemic
    glucocorticoid taper does not list would otherwise get no steroid counselling at all (no
    "do not stop suddenly", no card, no adrenal signs, an empty emergency tier: issue 25, H1)."""
    text = r.text(table, "class", place, example='"glucocorticoid"')
    value = text.strip().lower() if text is not None else None
    if value is not None and value not in DECLARED_CLASSES:
        r.problem(
            f"{place}.class",
            f'unknown class "{text}"; use "glucocorticoid" (a steroid taken by mouth or '
            'injection that taper does not list) or "other" (any other medicine)',
        )
        return None
    if drug is not None:
        if value is not None and DECLARED_CLASSES[value] != drug.drug_class:
            r.problem(
                f"{place}.class",
                f"{drug.display} is in taper's drug list (class {drug.drug_class}); remove class",
            )
        return None
    if value is None and drug_text and not reported:
        r.problem(
            f"{place}.drug",
            f'"{drug_text}" is not in taper\'s drug list. If it is a steroid taken by mouth or '
            'injection (a systemic glucocorticoid), add class = "glucocorticoid" to the phase: '
            "the handouts then give the general steroid advice, judged by the course's length, "
            'and its dose is not checked. For any other medicine add class = "other" (it gets '
            "no steroid advice; add its warning signs with [[watch]])",
        )
    return value


def _duration(r: _Reader, table: dict[str, Any], place: str) -> int | None:
    """``duration``: an infusion's or a visit's length in minutes."""
    text = r.text(table, "duration", place)
    return r.parsed(parse_duration, text, f"{place}.duration") if text is not None else None


class _Drug(NamedTuple):
    """A phase's drug as written and as identified (None: unknown); ``misspelt``: the reader
    reported it as a likely slip (its tablets follow once it is fixed)."""

    text: str | None
    drug: Drug | None
    misspelt: bool


def _phase_drug(
    r: _Reader, table: dict[str, Any], place: str
) -> tuple[str | None, Drug | None, bool]:
    """``drug``: the catalogue's drug, or a problem for a look-alike or a likely misspelling."""
    drug_text = r.text(
        table, "drug", place, required=True, fix='name the medicine, such as drug = "prednisone"'
    )
    drug, not_as_written = identify_drug(drug_text) if drug_text else (None, None)
    close: list[str] = []
    if not_as_written is not None:
        r.problem(f"{place}.drug", not_as_written)
    elif drug_text and drug is None:
        close = drug_suggestions(drug_text)
        if close:
            r.problem(
                f"{place}.drug",
                f'unknown drug "{drug_text}"; did you mean "{close[0]}"? '
                "(a misspelt drug would skip every dose check)",
            )
    return drug_text, drug, bool(not_as_written) or bool(close)


def _phase_route(r: _Reader, table: dict[str, Any], place: str, drug: Drug | None) -> str:
    """``route``: as written, or the drug's only route; checked against the drug's routes."""
    route = "oral"
    if "route" in table:
        text = r.text(table, "route", place)
        if text is not None:
            if text.strip().lower() in ROUTES:
                route = text.strip().lower()
            else:
                r.problem(
                    f"{place}.route",
                    f'unknown route "{text}"'
                    f"{_did_you_mean(text.lower(), ROUTES)}; "
                    f"use one of {', '.join(ROUTES)}",
                )
    elif drug is not None and "oral" not in drug.routes:
        route = drug.routes[0]
        if len(drug.routes) > 1:
            r.problem(
                f"{place}.route",
                f"is missing; {drug.display} is given by {' or '.join(drug.routes)}: say which",
            )
    if drug is not None and route not in drug.routes:
        if route in drug.forbidden_routes:
            r.problem(
                f"{place}.route",
                f"{drug.display} must never be given by {route}; use {' or '.join(drug.routes)}",
            )
        else:
            r.problem(
                f"{place}.route",
                f"{drug.display} is not given by {route} (known routes: {', '.join(drug.routes)})",
            )
    return route


def _dosing_form(r: _Reader, table: dict[str, Any], place: str, pack: Pack | None) -> str | None:
    """The phase's one dosing form (dose, steps, taper, sessions or pack), or None with a
    problem (a pack's own problem is reported by ``_pack``)."""
    forms = [form for form in DOSING_FORMS if form in table]
    if not forms and pack is not None:
        forms = ["pack"]
    if not forms and "pack" in table:
        return None  # the pack's problem is reported above
    if len(forms) != 1:
        if forms:
            r.problem(
                place,
                f"gives {' and '.join(forms)}; give exactly one dosing form: "
                "dose + days, steps, taper, or sessions",
            )
        else:
            r.problem(
                place,
                "has no dose; give exactly one dosing form: dose + days, steps, taper, "
                "sessions, or a dose pack",
            )
        return None
    return forms[0]


def _condition_in_title(r: _Reader, title: str | None, declared: list[str]) -> None:
    """A title that names a condition with red flags of its own (giant cell arteritis,
    polymyalgia) which ``patient.conditions`` does not declare is a likely slip: the handout
    would send a change in eyesight to "call the clinic today" instead of the emergency
    department. The format has no key for what a course treats, so the condition is declared,
    never guessed from free text: an error, with both fixes."""
    if not title:
        return
    words = f" {' '.join(re.findall(r'[a-z]+', title.lower()))} "
    for condition, names in condition_title_words().items():
        named = [name for name in names if f" {name} " in words]
        if named and condition not in declared:
            r.problem(
                "title",
                f'the title names "{named[0]}", but patient.conditions does not list '
                f'"{condition}": add "{condition}" to conditions under [patient], so that the '
                "handout gives its red flags, or reword the title if the course is not for it",
            )


def _allowances(r: _Reader, table: dict[str, Any], place: str) -> list[str]:
    """``allow``: the checks the prescriber overrides, each a known allowance."""
    allow: list[str] = []
    for item, where_item in r.texts(table, "allow", place) or []:
        if item in ALLOWANCES:
            allow.append(item)
        else:
            r.problem(
                where_item,
                f'unknown allowance "{item}"'
                f"{_did_you_mean(item, list(ALLOWANCES))} "
                f"(known: {', '.join(ALLOWANCES)})",
            )
    return allow


def _phase_liquid(
    r: _Reader, table: dict[str, Any], place: str, route: str
) -> Concentration | None:
    """``liquid``: the concentration (none for a procedure)."""
    liquid = None
    if "liquid" in table:
        liquid_text = r.text(table, "liquid", place)
        if liquid_text is not None:
            liquid = r.parsed(parse_concentration, liquid_text, f"{place}.liquid")
        if route == "procedure":
            r.problem(f"{place}.liquid", "a procedure has no liquid; remove it")
    return liquid


def _strengths(
    r: _Reader,
    table: dict[str, Any],
    place: str,
    named: _Drug,
    route: str,
    liquid: Concentration | None,
    pack: Pack | None,
    form: str,
) -> tuple[Amount, ...]:
    """``tablets``: the strengths dispensed, as written, or the pack's, or the drug's usual."""
    if pack is not None and "tablets" not in table:
        return (pack.strength,)
    if "tablets" in table:
        if route != "oral":
            r.problem(f"{place}.tablets", f"tablets are for oral phases; this one is {route}")
        elif liquid is not None or "liquid" in table:
            r.problem(f"{place}.tablets", "give tablets or a liquid, not both")
        items = r.texts(table, "tablets", place) or []
        parsed = [
            r.parsed(lambda v: parse_amount(v, allowed=("mg", "g", "mcg")), text, where_item)
            for text, where_item in items
        ]
        if not items:
            r.problem(f"{place}.tablets", 'is empty; list the strengths, such as ["20 mg", "5 mg"]')
        return tuple(p for p in parsed if p is not None)
    if route == "oral" and liquid is None and "liquid" not in table and form != "sessions":
        drug = named.drug
        if drug is not None and drug.tablets:
            return drug.tablets
        if drug is None and named.text and named.misspelt:
            return ()  # a misspelt drug is reported above; its tablets follow once it is fixed
        what = drug.display if drug else f'"{named.text}"'
        r.problem(
            f"{place}.tablets",
            f"is missing; taper has no usual tablets for {what}: "
            'list them, such as tablets = ["5 mg"], or give a liquid',
        )
    return ()


class _DoseReader:
    """Reads a dose amount in a phase: parsed, with the body it needs, never for a procedure."""

    def __init__(self, r: _Reader, body: _Body, route: str) -> None:
        self.r, self.body, self.route = r, body, route

    def __call__(self, value: Any, where_dose: str) -> Amount | None:
        amount = self.r.parsed(parse_amount, value, where_dose)
        if amount is None:
            return None
        if not _body_known(self.r, amount, value, where_dose, self.body):
            return None
        if self.route == "procedure":
            self.r.problem(where_dose, "a procedure has no dose; use sessions and every")
            return None
        return amount


class _Dosing(NamedTuple):
    """What a phase's dosing form gives: its steps, or a taper rule, or sessions."""

    steps: list[Step]
    taper: TaperRule | None
    sessions: int | None
    session_every: int
    cap: Cap
    interval_hours: int | None


def _dosing(
    r: _Reader,
    table: dict[str, Any],
    place: str,
    form: str,
    dose_amount: _DoseReader,
    at: tuple[TimeOfDay, ...] | None,
    routine: dict[str, str],
    pack: Pack | None,
) -> _Dosing:
    """The phase's doses, read by its dosing form."""
    phase_cap = _cap(r, table, place)
    interval_hours = _interval(r, table, place, form)
    steps: list[Step] = []
    taper: TaperRule | None = None
    sessions: int | None = None
    session_every = 1
    if form == "dose" and interval_hours is not None:
        steps = _series_steps(r, table, place, dose_amount, at, interval_hours)
    elif form == "pack":
        assert pack is not None
        steps.extend(_pack_steps(r, pack, place, routine, at))
    elif form == "dose" and "times" in table:
        steps = _cycled_dose_steps(r, table, place, dose_amount, at)
    elif form == "dose":
        steps = _dose_steps(r, table, place, dose_amount, at)
    elif form == "steps":
        steps = _listed_steps(r, table, place, dose_amount, at, routine, interval_hours)
    elif form == "taper":
        taper = _taper(r, table["taper"], f"{place}.taper", dose_amount)
        if "days" in table:
            r.problem(
                f"{place}.days", "with taper, every sets how long each dose is held; remove days"
            )
        if at is None:
            r.problem(f"{place}.at", 'is missing; say when, such as at = ["breakfast"]')
    else:
        sessions, session_every = _sessions(r, table, place, dose_amount.route, at, interval_hours)
    return _Dosing(steps, taper, sessions, session_every, phase_cap, interval_hours)


def _series_steps(
    r: _Reader,
    table: dict[str, Any],
    place: str,
    dose_amount: _DoseReader,
    at: tuple[TimeOfDay, ...] | None,
    interval_hours: int,
) -> list[Step]:
    """``dose`` with ``every = "6h"``: one step from the first dose's time."""
    amount = dose_amount(table["dose"], f"{place}.dose")
    days = r.whole(
        table,
        "days",
        place,
        low=1,
        high=MAX_COURSE_DAYS,
        required=True,
        fix=f'say how many days the every "{interval_hours}h" series runs, such as days = 3',
    )
    if at is None or len(at) != 1:
        r.problem(
            f"{place}.at",
            f'with every = "{interval_hours}h", give the first dose\'s time only, '
            'such as at = ["06:00"]; the others follow every '
            f"{interval_hours} hours",
        )
    elif amount is not None and days is not None:
        return [Step(place, days, 1, (Given(at[0], amount, f"{place}.dose"),))]
    return []


def _dose_steps(
    r: _Reader,
    table: dict[str, Any],
    place: str,
    dose_amount: _DoseReader,
    at: tuple[TimeOfDay, ...] | None,
) -> list[Step]:
    """``dose`` + ``days`` (+ ``every``): one step, the dose at each time."""
    amount = dose_amount(table["dose"], f"{place}.dose")
    days, every = _days_and_every(r, table, place, "the phase")
    if at is None:
        r.problem(f"{place}.at", 'is missing; say when, such as at = ["breakfast"] or ["09:00"]')
    if amount is None or days is None:
        return []
    given = tuple(Given(t, amount, f"{place}.dose") for t in at or _CHECK_ONLY_AT)
    return [Step(place, days, every, given)]


def _cycled_dose_steps(
    r: _Reader,
    table: dict[str, Any],
    place: str,
    dose_amount: _DoseReader,
    at: tuple[TimeOfDay, ...] | None,
) -> list[Step]:
    """``dose`` + ``every = "7 days"`` + ``times``: the dose (on ``days`` days in a row,
    default 1) repeated ``times`` times (``_cycle``)."""
    amount = dose_amount(table["dose"], f"{place}.dose")
    run = r.whole(table, "days", place, low=1, high=MAX_COURSE_DAYS) or 1
    if at is None:
        r.problem(f"{place}.at", 'is missing; say when, such as at = ["breakfast"] or ["09:00"]')
    if amount is None:
        return []
    given = tuple(Given(t, amount, f"{place}.dose") for t in at or _CHECK_ONLY_AT)
    return _cycle(r, table, place, [Step(place, run, 1, given)])


def _listed_steps(
    r: _Reader,
    table: dict[str, Any],
    place: str,
    dose_amount: _DoseReader,
    at: tuple[TimeOfDay, ...] | None,
    routine: dict[str, str],
    interval_hours: int | None,
) -> list[Step]:
    """``steps``: each step read in turn; days and every belong in the steps."""
    if "days" in table:
        r.problem(f"{place}.days", "with steps, give days in each step, not in the phase")
    if "every" in table and interval_hours is None and "times" not in table:
        r.problem(
            f"{place}.every",
            "with steps, give every in each step, not in the phase (or, to repeat the "
            'steps as a cycle, every = "21 days" with times = N)',
        )
    raw_steps = table["steps"]
    if not isinstance(raw_steps, list) or not raw_steps:
        r.problem(
            f"{place}.steps", 'expected a list of steps, such as [{ dose = "60 mg", days = 4 }]'
        )
        return []
    steps: list[Step] = []
    for step_number, raw_step in enumerate(raw_steps, 1):
        step = _step(r, raw_step, f"{place}.steps[{step_number}]", at, routine, dose_amount)
        if step is not None:
            steps.append(step)
    if "times" in table:
        # Every step read: repeat them as a cycle (else their problems are reported already).
        return _cycle(r, table, place, steps) if len(steps) == len(raw_steps) else []
    return steps


def _sessions(
    r: _Reader,
    table: dict[str, Any],
    place: str,
    route: str,
    at: tuple[TimeOfDay, ...] | None,
    interval_hours: int | None,
) -> tuple[int | None, int]:
    """``sessions`` (+ ``every``): a procedure's sessions and the days between them."""
    sessions = r.whole(table, "sessions", place, low=1, high=100)
    session_every = 1
    if interval_hours is None:
        session_every = r.whole(table, "every", place, low=1, high=30) or 1
    if route != "procedure":
        r.problem(
            f"{place}.sessions",
            'sessions are for procedures; set route = "procedure", or give a dose',
        )
    if "days" in table:
        r.problem(
            f"{place}.days",
            "with sessions, the days follow from sessions and every; remove days",
        )
    if at is None:
        r.problem(f"{place}.at", 'is missing; say when each session starts, such as at = ["09:00"]')
    return sessions, session_every


def _body_known(r: _Reader, amount: Amount, value: Any, where: str, body: _Body) -> bool:
    """A per-kg dose needs the weight; a per-m² dose the weight and the height."""
    if amount.per_kg and body.weight_kg is None:
        r.problem(
            where,
            f'"{value}" is per kg, but patient.weight is missing; add it, such as weight = "70 kg"',
        )
        return False
    if amount.per_m2 and (body.weight_kg is None or body.height_cm is None):
        missing = [
            f"patient.{key}"
            for key, known in (("height", body.height_cm), ("weight", body.weight_kg))
            if known is None
        ]
        example = " and ".join(
            f'{key.removeprefix("patient.")} = "{"120 cm" if "height" in key else "22 kg"}"'
            for key in missing
        )
        r.problem(
            where,
            f'"{value}" is per m² of body surface area, worked out from height and weight '
            f"(Mosteller), but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            f"missing; add {example} under [patient]",
        )
        return False
    return True


def _cap(r: _Reader, table: dict[str, Any], place: str) -> Cap:
    """``max`` and ``max_daily`` of a phase or a step: plain amounts, never per kg."""
    found: dict[str, Amount | None] = {}
    for key in ("max", "max_daily"):
        if key not in table:
            found[key] = None
            continue
        value = table[key]
        amount = r.parsed(lambda v: parse_amount(v, allowed=DOSE_UNITS), value, f"{place}.{key}")
        if amount is not None and amount.per_weight:
            r.problem(
                f"{place}.{key}",
                f'"{value}" is per {"kg" if amount.per_kg else "m²"}; {key} is the most '
                'given in mg, such as "60 mg"',
            )
            amount = None
        found[key] = amount
    dose_cap, daily = found["max"], found["max_daily"]
    if (
        dose_cap is not None
        and daily is not None
        and _same_family(dose_cap, daily)
        and _base(dose_cap) > _base(daily)
    ):
        r.problem(
            f"{place}.max",
            f"{dose_cap} a dose is more than max_daily {daily} a day; check the two caps",
        )
    return Cap(dose_cap, daily, place)


def _check_caps(
    r: _Reader,
    place: str,
    cap: Cap,
    steps: list[Step],
    taper: TaperRule | None,
    form: str,
) -> None:
    """A cap needs a per-weight dose to cap, in the same kind of unit."""
    given = [g.amount for step in steps for g in step.doses]
    if taper is not None:
        given += [taper.start, taper.end]
    per_weight = [a for a in given if a.per_weight]
    for key, amount in (("max", cap.dose), ("max_daily", cap.daily)):
        if amount is None:
            continue
        if form == "sessions":
            r.problem(f"{place}.{key}", "a procedure has no dose to cap; remove it")
        elif not per_weight and (given or form != "steps"):
            r.problem(
                f"{place}.{key}",
                f"caps a per-weight dose (mg/kg or mg/m²), but this phase's doses are fixed "
                f"amounts; remove {key}, or write the dose per kg or per m², such as "
                f'dose = "2 mg/kg" with {key} = "{amount}"',
            )
        elif per_weight and not all(
            _same_family(Amount(a.value, a.base_unit), amount) for a in per_weight
        ):
            r.problem(
                f"{place}.{key}",
                f"{amount} is not in the same kind of unit as the dose "
                f"({per_weight[0]}); write it in {per_weight[0].base_unit}",
            )


def _interval(r: _Reader, table: dict[str, Any], place: str, form: str) -> int | None:
    """``every = "6h"`` on a phase: a round-the-clock series. A whole number is in days."""
    value = table.get("every")
    if not isinstance(value, str) or period_days(value) is not None:
        return None  # a whole number of days, or "7 days" / "3 weeks" (_days_and_every, _cycle)
    allowed = ", ".join(f'"{h}h"' for h in INTERVAL_HOURS)
    text = value.strip().lower().replace(" ", "")
    for suffix in ("hours", "hour", "hrs", "hr", "h"):
        if text.endswith(suffix):
            text = text.removesuffix(suffix)
            break
    else:
        text = ""
    hours = int(text) if text.isascii() and text.isdigit() else None
    if hours is None or hours not in INTERVAL_HOURS:
        r.problem(
            f"{place}.every",
            f'"{value}" is not a dosing interval taper schedules; use {allowed} '
            'for doses round the clock, or days such as every = 2 or every = "7 days"',
        )
        return None
    if form != "dose":
        r.problem(
            f"{place}.every",
            f'every = "{value}" goes with dose and days, such as dose = "250 mg", '
            'days = 3, at = ["06:00"]',
        )
        return None
    return hours


def _rhythm(table: dict[str, Any], steps: list[Step]) -> dict[str, int]:
    """The phase's rhythm (``Phase.period`` and ``run``): repeated cycles (``times``), or a
    phase whose last step gives a dose every few days."""
    if "times" in table and len(steps) > 1:
        every = table.get("every")
        period = period_days(every) or (every if type(every) is int else None)
        rests = [step.days for step in steps if not step.doses]
        if period:  # each cycle: its run of days, then the rest
            return {"period": period, "run": period - (rests[0] if rests else 0)}
    if steps and steps[-1].every > 1:
        return {"period": steps[-1].every, "run": 1}
    return {}


ROUNDINGS = ("up", "nearest", "down")


def _rounding(
    r: _Reader, table: dict[str, Any], place: str, steps: list[Step], taper: TaperRule | None
) -> str | None:
    """``round = "up" | "nearest" | "down"``: how a per-weight dose is rounded to one the
    tablets or the syringe make (labels such as deflazacort's say which). None: not given, the
    nearest (a cap always wins)."""
    if "round" not in table:
        return None
    text = r.text(table, "round", place)
    if text is None:
        return None
    value = text.strip().lower()
    if value not in ROUNDINGS:
        r.problem(
            f"{place}.round",
            f'"{text}" is not a rounding{_did_you_mean(value, ROUNDINGS)}; use "up", '
            '"nearest" or "down"',
        )
        return None
    given = [g.amount for step in steps for g in step.doses]
    if taper is not None:
        given += [taper.start, taper.end]
    if given and not any(amount.per_weight for amount in given):
        r.problem(
            f"{place}.round",
            "rounds a per-weight dose (mg/kg or mg/m²), but this phase's doses are fixed "
            "amounts; remove round",
        )
    return value


_PERIOD = re.compile(r"(?i)^\s*0*([1-9]\d{0,3})\s*(days?|d|weeks?|wk|w)\s*$")


def period_days(value: Any) -> int | None:
    """``"7 days"``, ``"3 weeks"``, ``"21d"`` in days; None for anything else."""
    if not isinstance(value, str):
        return None
    match = _PERIOD.match(value)
    if match is None:
        return None
    number = int(match.group(1))
    return number * 7 if match.group(2).lower().startswith("w") else number


def _cycle(r: _Reader, table: dict[str, Any], place: str, cycle: list[Step]) -> list[Step]:
    """``every = "21 days", times = 6``: the cycle's steps (a dose on one day or a few, or a
    phase's steps) given ``times`` times, each start ``every`` days after the one before.

    A one-day cycle is one step with ``every`` (a dose every 7 days: the days between are
    no-dose days of the phase); a longer one is its steps, then a rest step with no dose, again
    and again. Nothing is moved or merged: the doses are exactly the cycle's, on its days."""
    times = r.whole(table, "times", place, low=1, high=MAX_COURSE_DAYS)
    every = table.get("every")
    period = period_days(every)
    if period is None and type(every) is int and every >= 1:
        period = every
    if period is None:
        r.problem(
            f"{place}.every" if "every" in table else place,
            'with times, say how often the course repeats, such as every = "7 days" or '
            'every = "3 weeks"',
        )
        return []
    length = sum(step.days for step in cycle)
    if period < length:
        r.problem(
            f"{place}.every",
            f"every {period} days is shorter than one cycle ({length} days); the cycles "
            "would overlap",
        )
        return []
    if times is None or not cycle:
        return []
    if period * (times - 1) + length > MAX_COURSE_DAYS:
        r.problem(
            f"{place}.times",
            f"{times} times every {period} days is longer than a course "
            f"({MAX_COURSE_DAYS} days at most)",
        )
        return []
    if len(cycle) == 1 and cycle[0].days == 1:
        step = cycle[0]
        return [step._replace(days=period * (times - 1) + 1, every=period)]
    steps: list[Step] = []
    rest = period - length
    for number in range(times):
        steps.extend(cycle)
        if rest and number < times - 1:
            steps.append(Step(f"{place}.every", rest, 1, ()))  # a rest: no dose
    return steps


def _pack(r: _Reader, table: dict[str, Any], place: str, drug: Drug | None) -> Pack | None:
    """``pack = "methylprednisolone 4 mg dose pack"``: a dose pack from the catalogue."""
    name = r.text(table, "pack", place)
    if name is None:
        return None
    pack = find_pack(name)
    known = pack_names()
    if pack is None:
        r.problem(
            f"{place}.pack",
            f'unknown dose pack "{name}" (known: {", ".join(known)})',
        )
        return None
    if drug is not None and drug.id != pack.drug:
        r.problem(
            f"{place}.pack",
            f'the {pack.name} holds {pack.drug}, not {drug.display}; set drug = "{pack.drug}"',
        )
        return None
    if "tablets" in table:
        r.problem(
            f"{place}.tablets",
            f"a {pack.name} holds {pack.strength} tablets only; remove tablets",
        )
    if "liquid" in table:
        r.problem(f"{place}.liquid", "a dose pack holds tablets; remove liquid or pack")
    for key in ("taper", "sessions"):
        if key in table:
            r.problem(
                f"{place}.{key}",
                "a dose pack is given by its own schedule, or by steps; remove " + key,
            )
    return pack


def _pack_steps(
    r: _Reader,
    pack: Pack,
    place: str,
    routine: dict[str, str],
    at: tuple[TimeOfDay, ...] | None,
) -> list[Step]:
    """The pack's own schedule as one-day steps at the routine's slots."""
    if at is not None:
        r.problem(
            f"{place}.at",
            f"the {pack.name} has its own times (before breakfast, after lunch, after supper, "
            "bedtime, from the routine); remove at, or write the days as steps",
        )
    steps = []
    for number, day in enumerate(pack.schedule, 1):
        doses = tuple(
            sorted(
                (
                    Given(
                        TimeOfDay(routine[slot], slot),
                        Amount(pack.strength.value * count, pack.strength.unit),
                        f"{place}.pack",
                    )
                    for slot, count in day
                ),
                key=lambda given: given.time.time,
            )
        )
        steps.append(Step(f"{place}.pack[day {number}]", 1, 1, doses))
    return steps


def _days_and_every(
    r: _Reader, table: dict[str, Any], place: str, span: str
) -> tuple[int | None, int]:
    """``days`` (required) and ``every`` (default 1) of a phase or a step."""
    days = r.whole(
        table,
        "days",
        place,
        low=1,
        high=MAX_COURSE_DAYS,
        required=True,
        fix="say for how many days, such as days = 3",
    )
    period = period_days(table.get("every"))
    if period is not None:  # every = "7 days" is every = 7
        every = period
    elif isinstance(table.get("every"), str):
        if span == "the step":
            r.problem(
                f"{place}.every",
                f'"{table["every"]}": every in hours goes on a phase with dose and days; '
                "in a step, every is a whole number of days, such as every = 2",
            )
        return days, 1  # a phase's every in hours is read (and checked) by _interval
    else:
        every = r.whole(table, "every", place, low=1, high=MAX_COURSE_DAYS) or 1
    if days is not None and every > days:
        r.problem(
            f"{place}.every",
            f"every {every} days is longer than the {days} day{'s' if days != 1 else ''} of {span}",
        )
    return days, every


def _step(
    r: _Reader,
    raw: Any,
    place: str,
    phase_at: tuple[TimeOfDay, ...] | None,
    routine: dict[str, str],
    dose_amount: Callable[[Any, str], Amount | None],
) -> Step | None:
    table = r.table(raw, place)
    if table is None:
        return None
    r.known_keys(table, place, STEP_KEYS)
    days, every = _days_and_every(r, table, place, "the step")
    cap = _cap(r, table, place)
    doses: list[Given] = []
    if ("dose" in table) == ("at" in table):
        r.problem(
            place,
            "give either dose (taken at the phase's times) or at = { breakfast = "
            '"8 mg", ... } for divided doses',
        )
        return None
    if "dose" in table:
        amount = dose_amount(table["dose"], f"{place}.dose")
        if phase_at is None:
            r.problem(
                f"{place}.dose",
                "the phase has no at; say when, such as "
                'at = ["breakfast"], or give at = { breakfast = "8 mg" } '
                "in the step",
            )
        if amount is not None:
            doses = [Given(t, amount, f"{place}.dose") for t in phase_at or _CHECK_ONLY_AT]
    else:
        divided = r.table(table["at"], f"{place}.at")
        if divided is None:
            return None
        if not divided:
            r.problem(f"{place}.at", 'is empty; give the doses, such as { breakfast = "8 mg" }')
        if len(divided) > MAX_REMINDERS_PER_DAY:
            r.problem(
                f"{place}.at",
                f"gives {len(divided)} times; at most {MAX_REMINDERS_PER_DAY} doses a day can "
                "be scheduled",
            )
            return None
        for key, value in divided.items():
            label = str(key)
            where = f"{place}.at.{label}"
            time = _time_of_day(r, label, where, routine)
            amount = dose_amount(value, where)
            if time is None or amount is None:
                continue
            if any(given.time.time == time.time for given in doses):
                r.problem(where, f"{time.time} is given twice in this step")
                continue
            doses.append(Given(time, amount, where))
        doses.sort(key=lambda given: given.time.time)
    for key, amount in (("max", cap.dose), ("max_daily", cap.daily)):
        if amount is not None and doses and not any(g.amount.per_weight for g in doses):
            r.problem(
                f"{place}.{key}",
                f"caps a per-weight dose (mg/kg or mg/m²), but this step's doses are fixed "
                f'amounts; remove {key}, or write the dose per kg, such as dose = "2 mg/kg"',
            )
    if days is None or not doses:
        return None
    return Step(place, days, every, tuple(doses), cap)


def _taper(
    r: _Reader, raw: Any, place: str, dose_amount: Callable[[Any, str], Amount | None]
) -> TaperRule | None:
    table = r.table(raw, place)
    if table is None:
        return None
    r.known_keys(table, place, TAPER_KEYS)
    missing = [key for key in TAPER_KEYS if key not in table]
    if missing:
        r.problem(
            place,
            f"is missing {', '.join(missing)}; write it like "
            '{ from = "60 mg", to = "10 mg", by = "10 mg", every = 3 }',
        )
        return None
    start = dose_amount(table["from"], f"{place}.from")
    end = dose_amount(table["to"], f"{place}.to")
    every = r.whole(table, "every", place, low=1, high=MAX_COURSE_DAYS)
    by_text = table["by"]
    by: Amount | None = None
    percent: Decimal | None = None
    if isinstance(by_text, str) and by_text.strip().endswith("%"):
        number = by_text.strip()[:-1].strip()
        try:
            percent = Decimal(number)
        except ArithmeticError:
            percent = None
        if percent is None or not percent.is_finite() or not 0 < percent < 100:
            r.problem(f"{place}.by", f'"{by_text}" is not a share between 0% and 100%')
            percent = None
    else:
        by = dose_amount(by_text, f"{place}.by")
    if percent is not None and start is not None and start.per_weight:
        r.problem(
            f"{place}.by",
            f"a per-{'kg' if start.per_kg else 'm²'} taper goes down by an amount, "
            f'such as by = "0.5 {start.unit}"; a share works with mg doses',
        )
        return None
    if start is None or end is None or every is None or (by is None and percent is None):
        return None
    if not _same_family(start, end) or (by is not None and not _same_family(start, by)):
        r.problem(place, "from, to and by must be in the same kind of unit")
        return None
    if _base(start) < _base(end) and percent is not None:
        # A rising course (a build-up, issue 25 L6) climbs by an amount: a share of a rising
        # dose, rounded to what the tablets make, could stall or overshoot.
        r.problem(
            f"{place}.by",
            f"a course that goes up from {start} to {end} rises by an amount, "
            f'such as by = "5 {start.unit}"; a share works for a dose that goes down',
        )
        return None
    return TaperRule(place, start, end, by, percent, every)


def _same_family(a: Amount, b: Amount) -> bool:
    if a.per_weight or b.per_weight:
        return a.unit.split("/", 1)[1:] == b.unit.split("/", 1)[1:] and _same_family(
            Amount(a.value, a.base_unit), Amount(b.value, b.base_unit)
        )
    return (a.is_mass and b.is_mass) or a.unit == b.unit


def _base(amount: Amount) -> Decimal:
    if amount.per_weight:
        return _base(Amount(amount.value, amount.base_unit))
    return amount.in_mg() if amount.is_mass else amount.value


def _also(
    r: _Reader,
    raw: Any,
    number: int,
    routine: dict[str, str],
    phase_names: list[str],
    start: date | None,
) -> Also | None:
    place = f"also[{number}]"
    table = r.table(raw, place)
    if table is None:
        return None
    r.known_keys(table, place, ALSO_KEYS)
    kind_text = r.text(
        table, "kind", place, required=True, fix=f"say which: {', '.join(ALSO_KINDS)}"
    )
    kind = None
    if kind_text is not None:
        if kind_text.strip().lower() in ALSO_KINDS:
            kind = kind_text.strip().lower()
        else:
            r.problem(
                f"{place}.kind",
                f'unknown kind "{kind_text}"'
                f"{_did_you_mean(kind_text.lower(), ALSO_KINDS)}; "
                f"use one of {', '.join(ALSO_KINDS)}",
            )
    what = r.text(
        table,
        "what",
        place,
        required=True,
        fix='say what it is, such as what = "Check blood sugar"',
    )
    at = _times(r, table, place, routine)
    if at is None:
        r.problem(f"{place}.at", 'is missing; say when, such as at = ["lunch"] or ["14:00"]')
    placements = [key for key in ("during", "days", "on") if key in table]
    every, weekdays = _also_rhythm(r, table, place)
    rhythm = every is not None or bool(weekdays)
    rhythm_written = "every" in table or "weekdays" in table
    if len(placements) > 1 or (not placements and not rhythm_written):
        r.problem(
            place,
            "say when in the course with exactly one of during = [phase names], "
            "days = [course days] or on = a date (with every = N or weekdays = [...] for a "
            "rhythm, which on its own runs over the whole course)",
        )
    during = _phases_named(r, r.texts(table, "during", place), phase_names)
    days = _course_days(r, table, place)
    on = r.a_date(table["on"], f"{place}.on") if "on" in table else None
    if on is not None and start is not None and on < start:
        r.problem(f"{place}.on", f"{on} is before the course starts on {start}")
        on = None
    duration_text = r.text(table, "duration", place)
    duration = (
        r.parsed(parse_duration, duration_text, f"{place}.duration")
        if duration_text is not None
        else None
    )
    location = r.text(table, "where", place)
    if rhythm and "days" in table and len(days) > 1:
        r.problem(
            f"{place}.days",
            "with every or weekdays, days gives the first day only, such as days = [3]; "
            "or list every day and remove the rhythm",
        )
    if kind is None or what is None or not at or len(placements) > 1:
        return None
    if not placements and not rhythm:
        return None
    return Also(
        number,
        place,
        kind,
        what,
        at,
        tuple(during),
        tuple(sorted(days)),
        on,
        duration,
        location,
        every,
        weekdays,
    )


def _also_rhythm(
    r: _Reader, table: dict[str, Any], place: str
) -> tuple[int | None, tuple[int, ...]]:
    """``every = N`` days or ``weekdays = ["mon", "thu"]`` on an ``[[also]]`` item."""
    every = None
    if "every" in table:
        if isinstance(table["every"], str):
            r.problem(
                f"{place}.every",
                f'"{table["every"]}": every on an [[also]] item is a whole number of days, '
                "such as every = 7",
            )
        else:
            every = r.whole(table, "every", place, low=1, high=MAX_COURSE_DAYS)
    weekdays: list[int] = []
    if "weekdays" in table:
        items = r.texts(table, "weekdays", place) or []
        if not items and isinstance(table["weekdays"], list):
            r.problem(f"{place}.weekdays", 'is empty; list days such as ["mon", "thu"]')
        for text, where in items:
            key = text.strip().lower()[:3]
            if key in WEEKDAYS and text.strip().lower() in (
                key,
                {
                    "mon": "monday",
                    "tue": "tuesday",
                    "wed": "wednesday",
                    "thu": "thursday",
                    "fri": "friday",
                    "sat": "saturday",
                    "sun": "sunday",
                }[key],
            ):
                if WEEKDAYS.index(key) not in weekdays:
                    weekdays.append(WEEKDAYS.index(key))
            else:
                r.problem(
                    where,
                    f'"{text}" is not a day of the week'
                    f"{_did_you_mean(text.strip().lower(), WEEKDAYS)}; "
                    f"use {', '.join(WEEKDAYS)}",
                )
        if every is not None and "every" in table:
            r.problem(place, "give every = N days or weekdays = [...], not both")
    return every, tuple(sorted(weekdays))


# -- who gives it, what it is dispensed in, the emergency number, the prescriber's watch items --
# (issue 11 items 5, 8 and 9; each in a function of its own)

GIVERS = ("staff", "patient", "caregiver")
# Who gives a dose when the phase does not say: staff for infusions and procedures, the patient
# for medicines by mouth. An injection under the skin or into a muscle may be given by anyone:
# the phase must say who (given_by), so a home course is never "administered by staff".
DEFAULT_GIVER = {"oral": "patient", "iv": "staff", "procedure": "staff"}
WATCH_KEYS = keys_in("watch")
# "now": call straight away, day or night (a fever after chemotherapy, issue 25 H2).
WATCH_TIERS = ("emergency", "now", "call", "expected")
WATCH_TEXT_MAX = 300
_ROUTE_NAMES = {"im": "into a muscle (im)", "sc": "under the skin (sc)"}


def _delivery(
    r: _Reader, table: dict[str, Any], place: str, route: str, liquid: Concentration | None
) -> tuple[str, Container | None]:
    """``given_by``, and ``vial`` or ``injector`` (issue 11 item 5)."""
    given_by = DEFAULT_GIVER.get(route, "")
    text = r.text(table, "given_by", place, example='"patient"')
    if text is not None:
        key = text.strip().lower()
        if key in GIVERS:
            given_by = key
        else:
            r.problem(
                f"{place}.given_by",
                f'unknown giver "{text}"{_did_you_mean(key, GIVERS)}; use one of '
                f"{', '.join(GIVERS)}",
            )
    elif "given_by" not in table and route in _ROUTE_NAMES:
        r.problem(
            f"{place}.given_by",
            f"is missing; an injection {_ROUTE_NAMES[route]} may be given by staff, the "
            'patient or a caregiver: say who, such as given_by = "patient"',
        )
    if route == "procedure" and given_by != "staff" and text is not None:
        r.problem(f"{place}.given_by", 'a procedure is done by staff; set given_by = "staff"')
        given_by = "staff"

    container: Container | None = None
    if "vial" in table and "injector" in table:
        r.problem(place, "gives both vial and injector; give the one the medicine comes in")
        return given_by, None
    if "vial" in table:
        vial = r.text(table, "vial", place, example='"5 mL"')
        if vial is not None:
            volume = r.parsed(_parse_ml, vial, f"{place}.vial")
            if route not in ("iv", "im", "sc"):
                r.problem(
                    f"{place}.vial",
                    "vials are for injections and infusions; a liquid by mouth is dispensed "
                    "by volume: remove vial",
                )
            elif liquid is None and "liquid" not in table:
                r.problem(
                    f"{place}.vial",
                    "a vial needs the strength of its liquid to count vials; add it, such "
                    'as liquid = "80 units/mL"',
                )
            elif volume is not None:
                container = Container("vial", vial.strip(), volume, None)
    if "injector" in table:
        injector = r.text(table, "injector", place, example='"80 units"')
        if injector is not None:
            amount = r.parsed(
                lambda v: parse_amount(v, allowed=("mg", "g", "mcg", "units")),
                injector,
                f"{place}.injector",
            )
            if route not in ("im", "sc"):
                r.problem(
                    f"{place}.injector",
                    "an injector is for injections under the skin (sc) or into a muscle (im); "
                    f"this phase is {route}: remove injector",
                )
            elif amount is not None:
                container = Container("injector", injector.strip(), None, amount)
    return given_by, container


def _parse_ml(text: object) -> Decimal:
    """``"5 mL"`` → 5 (a vial's volume)."""
    import re

    match = re.match(r"(?i)^\s*(\d{1,4}(?:\.\d{1,2})?)\s*ml\s*$", str(text))
    value = Decimal(match.group(1)) if match else Decimal(0)
    if not 0 < value <= 1000:
        raise ValueError(f'"{text}" is not a vial volume; write it in mL, such as "5 mL"')
    return plain(value)


def _emergency_number(r: _Reader, care: dict[str, Any]) -> str | None:
    """``care_team.emergency``: the digits to dial (issue 11 item 9)."""
    text = r.text(care, "emergency", "care_team", example='"999"')
    if text is None:
        return None
    number = text.strip()
    if not (number.isascii() and number.isdigit() and 2 <= len(number) <= 6):
        r.problem(
            "care_team.emergency",
            f'"{text}" is not an emergency number; write the digits to dial, such as '
            'emergency = "999"',
        )
        return None
    return number


def _watch_entries(r: _Reader, raw: Any, phase_names: list[str]) -> tuple[WatchEntry, ...]:
    """The prescriber's ``[[watch]]`` items (issue 11 item 8)."""
    if not isinstance(raw, list):
        r.problem("watch", "expected [[watch]] tables (an array of tables)")
        return ()
    entries: list[WatchEntry] = []
    for number, item in enumerate(raw, 1):
        place = f"watch[{number}]"
        table = r.table(item, place)
        if table is None:
            continue
        before = len(r.problems)
        r.known_keys(table, place, WATCH_KEYS)
        tier_text = r.text(
            table, "tier", place, required=True, fix=f"say which: {', '.join(WATCH_TIERS)}"
        )
        tier = tier_text.strip().lower() if tier_text is not None else None
        if tier_text is not None and tier not in WATCH_TIERS:
            r.problem(
                f"{place}.tier",
                f'unknown tier "{tier_text}"{_did_you_mean(str(tier), WATCH_TIERS)}; use '
                f"{', '.join(WATCH_TIERS)}",
            )
        text = r.text(
            table,
            "text",
            place,
            required=True,
            fix='say what to watch for, such as text = "Sudden loss of vision: go to the '
            'emergency department."',
        )
        if text is not None and len(text.strip()) > WATCH_TEXT_MAX:
            r.problem(
                f"{place}.text",
                f"is {len(text.strip())} characters; a watch item is one short line "
                f"(at most {WATCH_TEXT_MAX}): shorten it",
            )
        if "during" in table and "days" in table:
            r.problem(place, "give during (phase names) or days (course days), not both")
        names = r.texts(table, "during", place)
        if names == []:
            r.problem(f"{place}.during", "is empty; name a phase, or remove during")
        during = _phases_named(r, names, phase_names)
        days = _course_days(r, table, place)
        replaces = _replaced_items(r, table, place)
        if len(r.problems) == before and tier is not None and text is not None:
            entries.append(
                WatchEntry(
                    number,
                    place,
                    tier,
                    " ".join(text.split()),
                    tuple(during),
                    tuple(sorted(days)),
                    tuple(replaces),
                )
            )
    return tuple(entries)


def _replaced_items(r: _Reader, table: dict[str, Any], place: str) -> list[str]:
    """``replaces``: the built-in watch items (by id) the prescriber's item stands in for, so
    that one page never gives two instructions for one sign (issue 25, H2)."""
    from taper.read.catalogue import watch_item_ids

    known = watch_item_ids()
    replaced: list[str] = []
    for name, where in r.texts(table, "replaces", place) or []:
        if name.strip() in known:
            replaced.append(name.strip())
        else:
            r.problem(
                where,
                f'no built-in watch item is called "{name}"'
                f"{_did_you_mean(name.strip(), sorted(known))}; the ids are listed in the "
                f"README (The watch list): {', '.join(sorted(known))}",
            )
    return replaced


def _phases_named(
    r: _Reader, names: list[tuple[str, str]] | None, phase_names: list[str]
) -> list[str]:
    """The phases a ``during`` list names; each unknown name is a problem at its place."""
    during: list[str] = []
    for name, where in names or []:
        if name in phase_names:
            during.append(name)
        else:
            r.problem(
                where,
                f'no phase is named "{name}"{_did_you_mean(name, phase_names)}'
                f" (phases: {', '.join(phase_names) or 'none'})",
            )
    return during


def _course_days(r: _Reader, table: dict[str, Any], place: str) -> list[int]:
    """The course days a ``days`` list names, each once, in the order written."""
    days: list[int] = []
    if "days" not in table:
        return days
    value = table["days"]
    if not isinstance(value, list) or not value:
        r.problem(
            f"{place}.days",
            f"expected a list of course days such as [1, 2, 3], got {describe(value)}",
        )
        return days
    for day_number, day in enumerate(value, 1):
        if type(day) is not int or not 1 <= day <= MAX_COURSE_DAYS:
            r.problem(
                f"{place}.days[{day_number}]",
                f"expected a course day from 1 to {MAX_COURSE_DAYS}, got {describe(day)}",
            )
        elif day not in days:
            days.append(day)
    return days


__all__ = [
    "Also",
    "Container",
    "Given",
    "Phase",
    "Regimen",
    "Step",
    "TaperRule",
    "TimeOfDay",
    "WatchEntry",
    "parse_regimen",
]
