"""Hostile input: what a busy person types, and what a broken disk holds.

Every bad regimen must give exit 1, a message with the file and the place, no traceback, no
output file, and an answer within 2 seconds.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from taper.cli import main

HEAD = 'start = 2026-12-01\ntimezone = "America/New_York"\n'
PHASE = '[[phase]]\nname = "A"\ndrug = "prednisone"\ndose = "20 mg"\ndays = 3\nat = ["08:00"]\n'


def phase(**changes: str) -> str:
    """The valid phase with keys replaced (a TOML value text) or removed (None)."""
    lines = {
        "name": '"A"',
        "drug": '"prednisone"',
        "dose": '"20 mg"',
        "days": "3",
        "at": '["08:00"]',
    }
    lines.update(changes)
    body = "".join(f"{key} = {value}\n" for key, value in lines.items() if value)
    return "[[phase]]\n" + body


# (id, the file's content, a text the message must contain)
CASES: list[tuple[str, str | bytes, str]] = [
    # TOML syntax
    ("unclosed-table", HEAD + "[[phase]\n", "line 3, column 8: is not valid TOML"),
    ("duplicate-key", HEAD + "start = 2026-12-02\n" + PHASE, "is not valid TOML"),
    ("unterminated-string", HEAD + 'title = "oops\n' + PHASE, "line 3, column 14: is not valid"),
    ("bare-word", HEAD + "title = Jane\n" + PHASE, "is not valid TOML"),
    ("nul-in-string", HEAD + 'title = "a\x00b"\n' + PHASE, "is not valid TOML"),
    ("deep-nesting", HEAD + "x = " + "[" * 5000 + "]" * 5000 + "\n", "regimen.toml"),
    # wrong types for every kind of key
    (
        "title-number",
        HEAD + "title = 5\n" + PHASE,
        "title: expected a text in quotes, got a whole number 5",
    ),
    (
        "start-text",
        'start = "tomorrow"\ntimezone = "UTC"\n' + PHASE,
        "start: expected a date like 2026-12-01, got a text 'tomorrow'",
    ),
    ("start-number", 'start = 5\ntimezone = "UTC"\n' + PHASE, "start: expected a date"),
    (
        "start-datetime",
        'start = 2026-12-01T08:00:00\ntimezone = "UTC"\n' + PHASE,
        "start: expected a date like 2026-12-01",
    ),
    (
        "timezone-list",
        'start = 2026-12-01\ntimezone = ["UTC"]\n' + PHASE,
        "timezone: expected a text in quotes, got a list",
    ),
    (
        "timezone-unknown",
        'start = 2026-12-01\ntimezone = "Mars/Olympus"\n' + PHASE,
        'timezone: unknown time zone "Mars/Olympus"',
    ),
    (
        "revision-text",
        HEAD + 'revision = "one"\n' + PHASE,
        "revision: expected a whole number, got a text 'one'",
    ),
    ("revision-negative", HEAD + "revision = -1\n" + PHASE, "revision: -1 is outside 0 to"),
    ("patient-text", HEAD + 'patient = "Jane"\n' + PHASE, "patient: expected a table"),
    (
        "patient-name-number",
        HEAD + "[patient]\nname = 5\n" + PHASE,
        "patient.name: expected a text in quotes",
    ),
    (
        "weight-number",
        HEAD + "[patient]\nweight = 70\n" + PHASE,
        'patient.weight: expected a text such as "70 kg" or "154 lb"',
    ),
    (
        "weight-stone",
        HEAD + '[patient]\nweight = "11 stone"\n' + PHASE,
        'patient.weight: "11 stone" is not a weight',
    ),
    ("weight-absurd", HEAD + '[patient]\nweight = "900 kg"\n' + PHASE, "is outside 0.5 to 400 kg"),
    (
        "condition-number",
        HEAD + "[patient]\nconditions = [1]\n" + PHASE,
        "patient.conditions[1]: expected a text",
    ),
    (
        "routine-am",
        HEAD + '[patient.routine]\nbreakfast = "8am"\n' + PHASE,
        'patient.routine.breakfast: "8am" is not a time',
    ),
    ("care-team-list", HEAD + 'care_team = ["x"]\n' + PHASE, "care_team: expected a table"),
    ("phase-text", HEAD + 'phase = "prednisone"\n', "phase: expected [[phase]] tables"),
    ("drug-number", HEAD + phase(drug="5"), "phase[1].drug: expected a text in quotes"),
    ("dose-number", HEAD + phase(dose="60"), 'phase[1].dose: expected a text such as "60 mg"'),
    ("days-text", HEAD + phase(days='"3"'), "phase[1].days: expected a whole number"),
    (
        "days-fraction",
        HEAD + phase(days="3.5"),
        "phase[1].days: expected a whole number, got a number 3.5",
    ),
    ("at-number", HEAD + phase(at="[8]"), "phase[1].at[1]: expected a text"),
    ("split-text", HEAD + phase(split='"yes"'), "phase[1].split: expected true or false"),
    # enormous numbers, NaN and infinity
    ("days-billion", HEAD + phase(days="1000000000"), "phase[1].days: 1000000000 is outside 1"),
    ("dose-exponent", HEAD + phase(dose='"1e308 mg"'), 'phase[1].dose: "1e308 mg" is not an'),
    ("dose-huge", HEAD + phase(dose='"99999999 mg"'), "phase[1].dose"),
    ("dose-nan", HEAD + phase(dose='"nan mg"'), 'phase[1].dose: "nan mg" is not an amount'),
    ("dose-inf", HEAD + phase(dose='"inf mg"'), 'phase[1].dose: "inf mg" is not an amount'),
    ("days-nan", HEAD + phase(days="nan"), "phase[1].days: expected a whole number, got a"),
    ("days-inf", HEAD + phase(days="inf"), "phase[1].days: expected a whole number"),
    ("dose-negative", HEAD + phase(dose='"-5 mg"'), 'phase[1].dose: "-5 mg" is not an amount'),
    ("dose-zero", HEAD + phase(dose='"0 mg"'), 'phase[1].dose: "0 mg" must be more than zero'),
    # empty strings
    ("dose-empty", HEAD + phase(dose='""'), "phase[1].dose: is empty"),
    ("drug-empty", HEAD + phase(drug='""'), "phase[1].drug: is empty"),
    ("at-empty-list", HEAD + phase(at="[]"), "phase[1].at: is empty"),
    ("title-blank", HEAD + 'title = "   "\n' + PHASE, "title: is empty"),
    # units written with look-alike characters
    ("unit-cyrillic", HEAD + phase(dose='"60 мг"'), 'phase[1].dose: "60 мг": unknown unit "мг"'),
    ("unit-fullwidth", HEAD + phase(dose='"60 ｍｇ"'), "unknown unit"),
    ("unit-script-g", HEAD + phase(dose='"60 mɡ"'), 'unknown unit "mɡ"'),
    ("unit-zero-width", HEAD + phase(dose='"60 m\u200bg"'), "unknown unit"),
    (
        "unit-capital-u",
        HEAD + phase(drug='"acthar"', dose='"80 U"') + 'route = "sc"\n',
        'unknown unit "U"',
    ),
    # unknown keys at every level
    ("unknown-top", HEAD + 'titel = "x"\n' + PHASE, 'titel: unknown key "titel"; did you mean'),
    (
        "unknown-patient",
        HEAD + '[patient]\nnmae = "x"\n' + PHASE,
        'patient.nmae: unknown key "nmae"; did you mean "name"?',
    ),
    (
        "unknown-routine",
        HEAD + '[patient.routine]\ndiner = "18:00"\n' + PHASE,
        'patient.routine.diner: unknown key "diner"',
    ),
    (
        "unknown-care",
        HEAD + '[care_team]\nphon = "1"\n' + PHASE,
        'care_team.phon: unknown key "phon"; did you mean "phone"?',
    ),
    (
        "unknown-phase",
        HEAD + PHASE + 'tabelts = ["5 mg"]\n',
        'phase[1].tabelts: unknown key "tabelts"; did you mean "tablets"?',
    ),
    (
        "unknown-step",
        HEAD + '[[phase]]\ndrug = "prednisone"\nat = ["08:00"]\n'
        'steps = [{ dose = "20 mg", dais = 2 }]\n',
        'phase[1].steps[1].dais: unknown key "dais"',
    ),
    (
        "unknown-taper",
        HEAD + '[[phase]]\ndrug = "prednisone"\nat = ["08:00"]\n'
        'taper = { from = "60 mg", to = "10 mg", by = "10 mg", every = 3, evry = 2 }\n',
        'phase[1].taper.evry: unknown key "evry"',
    ),
    (
        "unknown-also",
        HEAD + PHASE + '[[also]]\nkind = "check"\nwhat = "x"\nat = ["lunch"]\n'
        "days = [1]\nwen = 2\n",
        'also[1].wen: unknown key "wen"',
    ),
    # names, placement and course length
    (
        "duplicate-names",
        HEAD + PHASE + PHASE,
        'phase[2].name: "A" is also the name of phase[1]; give each phase its own name',
    ),
    (
        "during-unknown",
        HEAD + PHASE + '[[also]]\nkind = "check"\nwhat = "x"\nat = ["lunch"]\nduring = ["Pulse"]\n',
        'also[1].during[1]: no phase is named "Pulse"',
    ),
    (
        "start-day-beyond",
        HEAD + phase(start_day="1095", days="30"),
        "phase[1]: ends on course day 1124; a course is at most 1096 days",
    ),
    ("start-day-zero", HEAD + phase(start_day="0"), "phase[1].start_day: 0 is outside 1 to 1096"),
    (
        "overlap-unplaced",
        HEAD
        + phase(start_day="1", days="10")
        + '[[phase]]\nname = "B"\ndrug = "plex"\nsessions = 1\nat = ["09:00"]\nstart_day = 2\n'
        + '[[phase]]\nname = "C"\ndrug = "dexamethasone"\ndose = "4 mg"\ndays = 2\n'
        + 'at = ["08:00"]\n',
        'phase[3]: days 3–4 overlap phase "A" (days 1–10); give start_day to place it on purpose',
    ),
    (
        "course-too-long",
        HEAD + phase(days="600") + phase(name='"B"', days="600"),
        "phase[2]: ends on course day 1200; a course is at most 1096 days",
    ),
    (
        "also-day-zero",
        HEAD + PHASE + '[[also]]\nkind = "check"\nwhat = "x"\nat = ["lunch"]\ndays = [0]\n',
        "also[1].days[1]: expected a course day from 1 to 1096",
    ),
    (
        "also-bad-date",
        HEAD + PHASE + '[[also]]\nkind = "check"\nwhat = "x"\nat = ["lunch"]\non = "2026-13-01"\n',
        "also[1].on: expected a date like 2026-12-01",
    ),
    (
        "also-before-start",
        HEAD + PHASE + '[[also]]\nkind = "appointment"\nwhat = "x"\n'
        'at = ["lunch"]\non = 2026-11-01\n',
        "also[1].on: 2026-11-01 is before the course starts",
    ),
    # forms and amounts
    (
        "steps-empty",
        HEAD + '[[phase]]\ndrug = "prednisone"\nat = ["08:00"]\nsteps = []\n',
        "phase[1].steps: expected a list of steps",
    ),
    (
        "taper-share",
        HEAD + '[[phase]]\ndrug = "prednisone"\nat = ["08:00"]\n'
        'taper = { from = "60 mg", to = "10 mg", by = "150%", every = 3 }\n',
        'phase[1].taper.by: "150%" is not a share between 0% and 100%',
    ),
    ("every-zero", HEAD + phase(every="0"), "phase[1].every: 0 is outside 1 to 1096"),
    (
        "sessions-oral",
        HEAD + '[[phase]]\ndrug = "prednisone"\nsessions = 3\nat = ["08:00"]\n',
        'phase[1].sessions: sessions are for procedures; set route = "procedure"',
    ),
    ("tablet-kg", HEAD + phase(tablets='["20 kg"]'), 'phase[1].tablets[1]: "20 kg": unknown'),
    (
        "liquid-no-volume",
        HEAD + phase(liquid='"5 mg"'),
        'phase[1].liquid: "5 mg" is not a liquid strength',
    ),
    ("route-typo", HEAD + phase(route='"oarl"'), 'phase[1].route: unknown route "oarl"; did'),
    (
        "acth-iv",
        HEAD + phase(drug='"Acthar"', dose='"80 units"', route='"iv"'),
        "phase[1].route: ACTH gel must never be given by iv; use sc or im",
    ),
]

BINARY: list[tuple[str, bytes, str]] = [
    (
        "latin-1",
        (HEAD + 'title = "caf\xe9"\n' + PHASE).encode("latin-1"),
        "line 3: is not UTF-8 text; save the file as UTF-8",
    ),
    ("garbage", bytes(range(256)) * 8, "is not UTF-8 text"),
    ("utf16", (HEAD + PHASE).encode("utf-16"), "is not UTF-8 text"),
    (
        "ten-megabytes",
        b"# " + b"x" * 10_000_000 + b"\n",
        "is 10.0 MB; a regimen file is a few kilobytes",
    ),
    ("empty", b"", "start: is missing"),
]


@pytest.mark.parametrize(
    ("content", "expected"),
    [(c, e) for _, c, e in CASES + BINARY],  # type: ignore[operator]
    ids=[name for name, _, _ in CASES + BINARY],  # type: ignore[operator]
)
def test_bad_regimen_is_refused_clearly(
    runner: CliRunner, tmp_path: Path, content: str | bytes, expected: str
) -> None:
    path = tmp_path / "regimen.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    output = tmp_path / "reminders.ics"
    started = time.monotonic()
    for command in (
        ["check", str(path)],
        ["ics", str(path), "-o", str(output)],
        ["plan", "--json", str(path)],
    ):
        result = runner.invoke(main, command)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit)  # a handled error, not a crash
        assert "Traceback" not in result.output
        assert result.output.startswith("Error: regimen.toml: ")
        assert f"  regimen.toml: {expected}" in result.output or expected in result.output
    # A guard against hangs on pathological input, far above the real cost (~20 ms).
    assert time.monotonic() - started < 2 * 3
    assert not output.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["regimen.toml"]


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) + len(BINARY) >= 40
