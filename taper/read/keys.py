"""The regimen's keys, declared once: name, type, default, help, the page's widget, and where
each may appear.

The reader (``taper.read.regimen``) takes its lists of known keys and the routine's defaults from
here, the page's form (``taper.web.form``, ``form.html``, ``tomltext``) its fields, and the
README's key reference is rendered from it (``scripts/format_reference.py``);
``tests/test_keys.py`` fails when the README or the form is out of step. To add a key: add a
``Key`` here, read and check its value in ``taper.read.regimen``, and regenerate the README section.
(After khal's ``khal.spec`` and sqlite-utils' ``test_docs.py``.)

Read floor: this module imports nothing of taper's.
"""

from typing import NamedTuple

#: The languages a patient's handout and reminders can be written in ([patient] language).
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"

# The page's widgets: the kinds ``taper.web.form`` reads a field as, plus ``choice`` (a select,
# read as text) and ``section`` (a table the form shows as its own fieldset or rows).
TEXT, WHOLE, DATE, LIST, DAYS, CHECKS, FLAG, DIVIDED = (
    "text",
    "whole",
    "date",
    "list",
    "days",
    "checks",
    "flag",
    "divided",
)
CHOICE, SECTION = "choice", "section"


class Key(NamedTuple):
    """One key of a regimen file."""

    where: str  # the table it may appear in: "" (the top), "patient", "phase.steps", ...
    name: str
    type: str  # as the format reference says it: "text", "whole number", "date", ...
    default: str  # as the reference prints it; "required" or "" (none) where there is none
    help: str  # one line for the reference
    widget: str | None  # the page's field (above); None: edited in the TOML text only

    @property
    def place(self) -> str:
        """``phase.given_by``, ``title``."""
        return f"{self.where}.{self.name}" if self.where else self.name


_ROUTINE = (
    ("wake", "07:00"),
    ("breakfast", "08:00"),
    ("lunch", "12:30"),
    ("supper", "18:00"),
    ("bedtime", "22:00"),
)

KEYS: tuple[Key, ...] = (
    Key("", "title", "text", "the drugs' names", "the course's title on every output", TEXT),
    Key("", "start", "date", "required", "course day 1, such as 2026-12-01", DATE),
    Key(
        "", "timezone", "text", "required", 'the IANA zone of the times ("America/New_York")', TEXT
    ),
    Key("", "revision", "whole number", "0", "bump when the plan is reissued", WHOLE),
    Key("", "course", "text", "", "the course's name, kept across revisions (its identity)", TEXT),
    Key("", "fill", "text", "", '"28 days": quantities per fill; none: the whole course', TEXT),
    Key(
        "",
        "after",
        "text",
        "",
        'after the last day: "stop" (the course ends) or "continue" (more supply follows)',
        None,
    ),
    Key("", "patient", "table", "", "who the course is for", SECTION),
    Key("", "care_team", "table", "", "whom the patient calls", SECTION),
    Key("", "phase", "array of tables", "required", "the course's phases, in order", SECTION),
    Key("", "also", "array of tables", "", "medicines, checks and appointments alongside", SECTION),
    Key("", "watch", "array of tables", "", "the prescriber's own watch-list items", SECTION),
    # [patient]
    Key("patient", "name", "text", "", "printed on every output", TEXT),
    Key("patient", "weight", "text", "", '"70 kg" or "154 lb"; per-kg and per-m² doses', TEXT),
    Key("patient", "height", "text", "", '"170 cm" or "67 in"; per-m² doses', TEXT),
    Key("patient", "conditions", "list of texts", "", "known ids (taper check lists them)", CHECKS),
    Key(
        "patient",
        "language",
        "text",
        DEFAULT_LANGUAGE,
        "the handout's and reminders' language: " + ", ".join(f'"{t}"' for t in LANGUAGES),
        CHOICE,
    ),
    Key("patient", "routine", "table", "", "the patient's day; `at` can name its slots", SECTION),
    *(
        Key("patient.routine", slot, "time", time, f"the {slot} slot, 24-hour", TEXT)
        for slot, time in _ROUTINE
    ),
    # [care_team]
    Key("care_team", "clinic", "text", "", "the clinic's name", TEXT),
    Key("care_team", "phone", "text", "", "the clinic's phone (without it: a warning)", TEXT),
    Key("care_team", "after_hours", "text", "", "the after-hours phone", TEXT),
    Key("care_team", "emergency", "text", "the zone's country's", "the emergency number", TEXT),
    Key("care_team", "prescriber", "text", "", "the prescriber's name", TEXT),
    Key("care_team", "nurse", "text", "", "the nurse's name", TEXT),
    Key("care_team", "pharmacy", "text", "", "the pharmacy's name and phone", TEXT),
    # Named contacts the watch list's items point to (issue 25, M4).
    Key("care_team", "maternity", "text", "", "the maternity unit's name (pregnancy)", None),
    Key("care_team", "maternity_phone", "text", "", "the maternity unit's phone", None),
    Key("care_team", "oncology", "text", "", "a cancer centre's 24-hour line (name)", None),
    Key("care_team", "oncology_phone", "text", "", "the cancer centre's 24-hour phone", None),
    # [[phase]]
    Key("phase", "name", "text", "the drug's name", "the phase's name (unique)", TEXT),
    Key("phase", "drug", "text", "required", "generic, brand or common name", TEXT),
    Key("phase", "route", "text", "the drug's usual", "oral | iv | im | sc | procedure", CHOICE),
    Key(
        "phase",
        "given_by",
        "text",
        "by route",
        "staff | patient | caregiver; required for sc and im",
        CHOICE,
    ),
    Key("phase", "dose", "text", "", '"40 mg", "1 mg/kg": given at each time in `at`', TEXT),
    Key("phase", "max", "text", "", "the cap on each per-weight dose", TEXT),
    Key("phase", "max_daily", "text", "", "the cap on a day's per-weight total", TEXT),
    Key("phase", "days", "whole number", "", "how many days the dose runs", WHOLE),
    Key(
        "phase",
        "every",
        "whole number or text",
        "1",
        'every N-th day ("7 days", "3 weeks" too), or "6h" round the clock',
        WHOLE,
    ),
    Key(
        "phase",
        "times",
        "whole number",
        "",
        'with every = "7 days": how many times the dose (or the steps) is given',
        WHOLE,
    ),
    Key(
        "phase",
        "round",
        "text",
        "the label's, or nearest",
        "up | nearest | down: how a per-weight dose is rounded to a makeable one",
        TEXT,
    ),
    Key("phase", "sessions", "whole number", "", "a procedure's number of sessions", WHOLE),
    Key("phase", "start_day", "whole number", "after the last", "the course day it starts", WHOLE),
    Key("phase", "at", "list of times or slots", "required", '["breakfast"] or ["09:00"]', LIST),
    Key("phase", "take", "text", "", 'how to take it ("with food")', TEXT),
    Key("phase", "duration", "text", "", "an infusion's or visit's length (\"1 h\")", TEXT),
    Key("phase", "where", "text", "", "where it is given", TEXT),
    Key("phase", "tablets", "list of texts", "the usual strengths", "strengths dispensed", LIST),
    Key("phase", "split", "true/false", "false", "true: half tablets allowed", FLAG),
    Key(
        "phase",
        "form",
        "text",
        "the catalogue's, else tablet",
        'tablet | capsule: what the strengths dispensed are ("capsule" is never split)',
        None,  # not on the page yet: its own "form" is the dosing form
    ),
    Key("phase", "liquid", "text", "", 'an oral or injectable liquid ("15 mg/5 mL")', TEXT),
    Key("phase", "pack", "text", "", "a dose pack from the catalogue", TEXT),
    Key("phase", "allow", "list of texts", "", "checks the prescriber overrides", CHECKS),
    Key("phase", "steps", "array of inline tables", "", "steps laid end to end", SECTION),
    Key("phase", "taper", "inline table", "", "a taper rule (from, to, by, every)", SECTION),
    Key("phase", "vial", "text", "", 'dispense whole multi-dose vials ("5 mL")', None),
    Key("phase", "injector", "text", "", 'whole single-dose injectors ("80 units")', None),
    Key(
        "phase",
        "class",
        "text",
        "",
        'a drug not in the catalogue: "glucocorticoid" or "other" (required then)',
        None,
    ),
    Key("phase", "missed", "text", "", "the prescriber's missed-dose advice", None),
    # phase.steps
    Key("phase.steps", "dose", "text", "", "the step's dose at each time", TEXT),
    Key("phase.steps", "days", "whole number", "required", "the step's days", WHOLE),
    Key("phase.steps", "every", "whole number", "1", "every N-th day", WHOLE),
    Key("phase.steps", "at", "list or table", "the phase's", "times, or a dose per slot", DIVIDED),
    Key("phase.steps", "max", "text", "", "the cap on each per-weight dose", TEXT),
    Key("phase.steps", "max_daily", "text", "", "the cap on a day's per-weight total", TEXT),
    # phase.taper
    Key("phase.taper", "from", "text", "required", "the first dose", TEXT),
    Key("phase.taper", "to", "text", "required", "the last dose", TEXT),
    Key("phase.taper", "by", "text", "required", 'the step down ("10 mg" or "25%")', TEXT),
    Key("phase.taper", "every", "whole number", "required", "days each dose is held", WHOLE),
    # [[also]]
    Key("also", "kind", "text", "required", "medication | check | appointment", TEXT),
    Key("also", "what", "text", "required", "what it is, as the patient reads it", TEXT),
    Key("also", "at", "list of times or slots", "required", "when in the day", LIST),
    Key("also", "during", "list of texts", "", "the phases it runs in", LIST),
    Key("also", "days", "list of day numbers", "", "the course days it runs on", DAYS),
    Key("also", "on", "date", "", "the one date it is on", DATE),
    Key("also", "every", "whole number", "", "every N-th day", WHOLE),
    Key("also", "weekdays", "list of texts", "", '["mon", "thu"]', LIST),
    Key("also", "duration", "text", "", "an appointment's length", TEXT),
    Key("also", "where", "text", "", "where it is", TEXT),
    # [[watch]]
    Key("watch", "tier", "text", "required", "emergency | now | call | expected", TEXT),
    Key("watch", "text", "text", "required", "the item, as the patient reads it", TEXT),
    Key("watch", "during", "list of texts", "", "the phases it applies to", LIST),
    Key(
        "watch",
        "days",
        "list of day numbers",
        "",
        "the course days; neither: the whole course",
        DAYS,
    ),
    Key("watch", "replaces", "list of texts", "", "ids of built-in items it stands in for", None),
)


def keys_in(where: str) -> tuple[str, ...]:
    """The names of the keys a table may hold, in the table's order."""
    return tuple(key.name for key in KEYS if key.where == where)


def defaults_in(where: str) -> dict[str, str]:
    """Each key's default in a table (the routine's slots: their times)."""
    return {key.name: key.default for key in KEYS if key.where == where}


def form_fields(where: str) -> dict[str, str]:
    """The page's fields of a table: name → how the form reads it (a choice reads as text)."""
    return {
        key.name: TEXT if key.widget == CHOICE else key.widget
        for key in KEYS
        if key.where == where and key.widget not in (None, SECTION)
    }


def reference() -> str:
    """The README's key reference: one Markdown table of every key."""
    lines = [
        "| key (its table, then its name) | type | default | what it says |",
        "|---|---|---|---|",
    ]
    for key in KEYS:
        what = key.help.replace("|", "\\|")  # "oral | iv" inside a Markdown table cell
        lines.append(f"| `{key.place}` | {key.type} | {key.default or '—'} | {what} |")
    return "\n".join(lines) + "\n"
