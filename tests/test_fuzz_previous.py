"""Fuzzing ``--previous``: forged plan.json and reminders.ics files never give a traceback.

Like the regimen fuzz (tests/test_fuzz.py): a real previous file, mutated (values swapped for
hostile ones, keys dropped, lists and objects put where numbers go, lines of the calendar
dropped, repeated or rewritten), must be read and compared, or refused with an OutputError that
names the file; through the command, exit 0 or 1 with the file in the message.
"""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from tests_strategies import regimens

from taper.cli import load, main
from taper.export.ics import render_ics
from taper.export.json import render_json
from taper.files.reading import read_previous_plan
from taper.read.errors import OutputError
from taper.records.plan import Plan

REGIMENS = Path(__file__).parent / "regimens"
STAMP = datetime(2026, 11, 22, tzinfo=UTC)

_R0: Plan = load(REGIMENS / "ics-reissue-r0.toml")
_R1: Plan = load(REGIMENS / "ics-reissue-r1.toml")
OLD_PLAN: dict[str, Any] = json.loads(render_json(_R0))
OLD_ICS: bytes = render_ics(_R0, stamp=STAMP)

# What a forger puts where taper writes a value: raw JSON text, spliced in as it is.
HOSTILE_JSON = st.sampled_from(
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "1e300",
        "-1e300",
        "1e100000",
        "1e1000000000",
        "9" * 400,
        "-20",
        "0",
        "0.5",
        "1.5",
        "true",
        "null",
        '""',
        '"mg"',
        '"mgs"',
        '"25:99"',
        '"2026-02-30"',
        '"\\u001b[31m"',
        '"\\u202e"',
        '"x"',
        "[]",
        '["mg"]',
        "{}",
        '{"a": 1}',
        "[" * 40 + "]" * 40,
        "2147483648",
        "-0",
        "1E2",
    ]
)


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the document (keys and indexes from the root)."""
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*here, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*here, index)))
    return found


PLACES = [place for place in _paths(OLD_PLAN) if place]
MARK = "\u2063fuzz\u2063"


@st.composite
def forged_plans(draw: st.DrawFn) -> bytes:
    document = copy.deepcopy(OLD_PLAN)
    splices: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        place = draw(st.sampled_from(PLACES))
        parent: Any = document
        try:
            for step in place[:-1]:
                parent = parent[step]
            action = draw(st.sampled_from(["splice", "drop", "duplicate"]))
            if action == "drop" and isinstance(parent, dict):
                parent.pop(place[-1], None)
            elif action == "duplicate" and isinstance(parent, list):
                parent.append(copy.deepcopy(parent[place[-1]]))
            else:
                parent[place[-1]] = f"{MARK}{len(splices)}"
                splices.append(draw(HOSTILE_JSON))
        except (KeyError, IndexError, TypeError):
            continue  # the place went with an earlier change
    text = json.dumps(document)
    for index, raw in enumerate(splices):
        text = text.replace(json.dumps(f"{MARK}{index}"), raw)
    return text.encode("utf-8")


def _use(previous: Any) -> None:
    """What the pharmacist sheet does with a previous plan."""
    from taper.voice.staff import changed_days, changes_heading, changes_intro, supply_changes

    changed_days(_R1, previous)
    supply_changes(_R1, previous)
    changes_heading(previous)
    changes_intro(_R1, previous)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forged_plans())
def test_forged_plan_json_is_read_or_refused_naming_the_file(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    from taper.checks.previous import read_previous

    path = tmp_path_factory.mktemp("fuzz") / "plan.json"
    path.write_bytes(data)
    try:
        previous = read_previous(path, _R1, read=read_previous_plan)
    except OutputError as err:
        assert str(path) in str(err)
        return
    # Accepted: every value it holds is one taper writes.
    for line in previous.dispense.values():
        assert line.is_finite() and line >= 0
    for (_, strength, unit), _count in previous.dispense.items():
        assert strength > 0 and unit in ("mg", "g", "mcg", "units")
    for keys in previous.doses.values():
        for key in keys:
            assert key.amount is None or (key.amount.is_finite() and key.amount > 0)
    assert 0 <= previous.revision < _R1.revision
    _use(previous)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_as_plan_json_are_refused(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    from taper.checks.previous import read_previous

    path = tmp_path_factory.mktemp("fuzz") / "plan.json"
    path.write_bytes(data)
    with pytest.raises(OutputError) as refused:
        read_previous(path, _R1, read=read_previous_plan)
    assert str(path) in str(refused.value)


def _lines() -> list[bytes]:
    return OLD_ICS.split(b"\r\n")


HOSTILE_ICS_VALUES = st.sampled_from(
    [
        b"",
        b"NaN",
        b"99999999999999999999",
        b"-1",
        b"2147483647",
        b"20261301T250000",
        b"\x00",
        b"\xff\xfe",
        b"BEGIN:VEVENT",
        b"END:VCALENDAR",
        b";;;;",
        b"TZID=Mars/Olympus:20261201T080000",
        b"X" * 5000,
    ]
)


@st.composite
def forged_calendars(draw: st.DrawFn) -> bytes:
    lines = _lines()
    for _ in range(draw(st.integers(1, 5))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "value", "swap"]))
        if action == "drop":
            del lines[index]
        elif action == "repeat":
            lines.insert(index, lines[index])
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        else:
            name, colon, _ = lines[index].partition(b":")
            lines[index] = name + (colon or b":") + draw(HOSTILE_ICS_VALUES)
        if not lines:
            break
    return b"\r\n".join(lines)


# Not shrunk: a calendar is ~300 lines and shrinking one takes minutes; the failing file is shown.
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]


@pytest.mark.slow  # a fuzzer of whole calendars: .ci/run runs it, the README's command does not
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=NO_SHRINK,
)
@given(forged_calendars())
def test_forged_previous_calendars_are_used_or_refused(data: bytes) -> None:
    with contextlib.suppress(OutputError):
        render_ics(_R1, stamp=STAMP, previous=data)


@pytest.mark.slow  # a fuzzer of whole calendars: .ci/run runs it, the README's command does not
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=NO_SHRINK,
)
@given(plan=forged_plans(), calendar=forged_calendars())
def test_through_the_command_exit_0_or_1_naming_the_file(
    tmp_path_factory: pytest.TempPathFactory, plan: bytes, calendar: bytes
) -> None:
    folder = tmp_path_factory.mktemp("cli")
    runner = CliRunner()
    for name, data, command in [
        ("plan.json", plan, "build"),
        ("old.ics", calendar, "ics"),
    ]:
        previous = folder / name
        previous.write_bytes(data)
        out = folder / f"out-{command}"
        result = runner.invoke(
            main,
            [
                command,
                str(REGIMENS / "ics-reissue-r1.toml"),
                "-o",
                str(out),
                "--previous",
                str(previous),
            ],
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code in (0, 1), result.output
        if result.exit_code == 1:
            assert str(previous) in result.output
            assert not out.exists()


def test_a_calendar_property_given_twice_is_refused_naming_the_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Found by the fuzz: SEQUENCE twice in one event was a TypeError traceback."""
    previous = tmp_path / "old.ics"
    previous.write_bytes(OLD_ICS.replace(b"SEQUENCE:0\r\n", b"SEQUENCE:0\r\nSEQUENCE:0\r\n", 1))
    result = runner.invoke(
        main,
        [
            "ics",
            str(REGIMENS / "ics-reissue-r1.toml"),
            "-o",
            str(tmp_path / "r.ics"),
            "--previous",
            str(previous),
        ],
    )
    assert result.exit_code == 1, result.output
    assert str(previous) in result.output and "is broken" in result.output


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((b"TZID:America/Chicago\r\n", b"TZID:America/Chicago\r\nTZID:X\r\n"), "readable"),
        ((b"SUMMARY:Peak flow\r\n", b"SUMMARY:Peak\x1b[2Jflow\r\n"), "SUMMARY with"),
        ((b"TRANSP:TRANSPARENT\r\n", b"TRANSP:TRANSPARENT\r\nTRANSP:OPAQUE\r\n"), "TRANSP more"),
    ],
    ids=["tzid-twice", "summary-escape", "transp-twice"],
)
def test_other_forged_calendar_lines_are_refused(
    runner: CliRunner, tmp_path: Path, change: tuple[bytes, bytes], expected: str
) -> None:
    """Found by the fuzz: TZID twice in the zone was an AttributeError traceback; a copied
    property given twice or holding control characters would reach the new calendar."""
    previous = tmp_path / "old.ics"
    assert change[0] in OLD_ICS
    previous.write_bytes(OLD_ICS.replace(*change, 1))
    out = tmp_path / "r.ics"
    regimen = str(REGIMENS / "ics-reissue-r1.toml")
    result = runner.invoke(main, ["ics", regimen, "-o", str(out), "--previous", str(previous)])
    assert result.exit_code == 1, result.output
    assert str(previous) in result.output and expected in result.output
    assert not out.exists()


def test_the_unmutated_files_are_accepted(tmp_path: Path) -> None:
    from taper.checks.previous import read_previous

    path = tmp_path / "plan.json"
    path.write_bytes(json.dumps(OLD_PLAN).encode())
    previous = read_previous(path, _R1, read=read_previous_plan)
    assert previous.revision == 0
    assert sum(previous.dispense.values(), Decimal(0)) > 0
    render_ics(_R1, stamp=STAMP, previous=OLD_ICS)


# -- the invariant: every plan taper writes is a previous plan it accepts --------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=regimens())
def test_every_plan_taper_writes_reads_back_as_a_previous_plan(
    tmp_path_factory: pytest.TempPathFactory, document: dict[str, Any]
) -> None:
    """The checks refuse only what taper never writes: a generated regimen's plan.json passes
    them and reads back to the same doses and quantities the plan has (the class of the
    issue-20 checks: too strict would refuse a real reissue, too loose a forged one)."""
    from datetime import date as day

    from taper.checks.previous import plan_doses, read_previous
    from taper.engine.schedules import build_plan
    from taper.read.regimen import parse_regimen

    regimen, problems = parse_regimen(document, "generated.toml")
    assume(regimen is not None)
    assert regimen is not None
    plan = build_plan(regimen, problems, today=day(2026, 1, 1))
    path = tmp_path_factory.mktemp("written") / "plan.json"
    path.write_bytes(render_json(plan))
    later = plan._replace(revision=plan.revision + 1)
    previous = read_previous(path, later, read=read_previous_plan)
    assert previous.doses == plan_doses(plan)
    assert previous.dispense == {
        (line.drug_name, line.strength, line.unit): line.count for line in plan.dispense
    }
