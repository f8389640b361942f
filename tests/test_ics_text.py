"""The calendar's events written as text are icalendar's bytes, exactly.

``render_ics`` writes the events' content lines itself (taper.export.ics, "the events as text"):
icalendar's component objects cost most of a long course's calendar. icalendar stays the
oracle: ``render_ics_with_icalendar`` builds the same calendar from icalendar's components, and
the two must agree byte for byte on every template, every test regimen, every alarm and zone
option, in English and in Spanish (the patient's language: accented text, «», ¿¡, multi-byte
characters where a line folds at 75 octets), and on generated regimens with hostile text. (The
calendar clients' tests in test_ics.py and test_ics_clients.py read what ``render_ics``
writes.)
"""

from __future__ import annotations

import copy
import itertools
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests_strategies import regimens

from taper.api import load
from taper.engine.schedules import build_plan
from taper.export.ics import render_ics, render_ics_with_icalendar
from taper.read.errors import RegimenError
from taper.read.regimen import parse_regimen
from taper.read.templates import list_templates, render_template
from taper.records.plan import Plan

REGIMENS = Path(__file__).parent / "regimens"
STAMP = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
OPTIONS: list[dict[str, Any]] = [
    {},
    {"floating": True},
    {"alarm": None},
    {"alarm": timedelta(minutes=30)},
    {"alarm": timedelta(hours=2, minutes=5)},
]


def _loadable(path: Path) -> bool:
    try:
        load(path)
    except RegimenError:
        return False
    return True


REGIMEN_FILES = [p.name for p in sorted(REGIMENS.glob("*.toml")) if _loadable(p)]


def same(plan: Plan, **options: Any) -> None:
    text = render_ics(plan, stamp=STAMP, **options)
    reference = render_ics_with_icalendar(plan, stamp=STAMP, **options)
    if text != reference:  # the first differing line, rather than two whole files
        for ours, theirs in zip(text.split(b"\r\n"), reference.split(b"\r\n"), strict=False):
            assert ours == theirs
    assert text == reference


LANGUAGES = ["en", "es"]


def speaking(plan: Plan, language: str) -> Plan:
    """The plan with its patient's language (as ``--lang``)."""
    return plan._replace(language=language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", REGIMEN_FILES)
def test_every_test_regimen(name: str, language: str) -> None:
    plan = speaking(load(REGIMENS / name), language)
    for options in OPTIONS:
        same(plan, **options)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", [info.name for info in list_templates()])
@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/London", "UTC", "Australia/Lord_Howe"]
)
def test_every_template(name: str, zone: str, language: str) -> None:
    text = render_template(
        name, start=date(2026, 12, 1), weight="70 kg", height="170 cm", timezone=zone
    )
    try:
        plan = load(text.encode("utf-8"))
    except RegimenError:  # a template that asks for more in this zone (an emergency number)
        text = text.replace("[care_team]", '[care_team]\nemergency = "112"', 1)
        plan = load(text.encode("utf-8"))
    plan = speaking(plan, language)
    for options in OPTIONS[:2]:
        same(plan, **options)


def test_enough_regimens_are_compared() -> None:
    assert len(REGIMEN_FILES) >= 10


def test_spanish_reminders_are_in_spanish() -> None:
    """The comparisons above do compare Spanish text: both writers speak the plan's language."""
    plan = speaking(load(REGIMENS / "pulse-then-taper.toml"), "es")
    text = render_ics(plan, stamp=STAMP).decode("utf-8")
    assert "Día 1 de" in text
    assert render_ics_with_icalendar(plan, stamp=STAMP).decode("utf-8") == text


# A clinic's name with two- and three-byte characters (and text escapes), shifted by one
# character at a time so that octet 75 of its lines falls inside a character, before it and
# after it: icalendar folds between characters, never inside one.
CLINICS = [
    "x" * pad + "Clínica «Corazón» – Año Ñandú, €; señal ¿dónde? ¡aquí! " * 2 for pad in range(6)
]


def _with_clinic(clinic: str, language: str) -> Plan:
    text = (REGIMENS / "pulse-then-taper.toml").read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if not line.startswith("clinic = ")]
    at = lines.index("[care_team]") + 1
    lines.insert(at, f"clinic = {clinic!r}")
    return speaking(load("\n".join(lines).encode("utf-8")), language)


def _physical_lines(plan: Plan) -> list[bytes]:
    return render_ics(plan, stamp=STAMP).split(b"\r\n")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("clinic", CLINICS)
def test_folding_at_75_octets_never_splits_a_character(clinic: str, language: str) -> None:
    plan = _with_clinic(clinic, language)
    for options in OPTIONS[:3]:
        same(plan, **options)
    lines = _physical_lines(plan)
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # each folded line is whole characters
    unfolded = b"\r\n".join(lines).replace(b"\r\n ", b"").decode("utf-8")
    assert clinic.replace(",", "\\,").replace(";", "\\;") in unfolded


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_clinics_do_fold_inside_a_character(language: str) -> None:
    """The names above do put a multi-byte character across octet 75: some fold stops short
    of 75 octets and the next line begins with that character."""
    short = 0
    for clinic in CLINICS:
        lines = _physical_lines(_with_clinic(clinic, language))
        short += sum(
            len(line) < 75 and following.startswith(b" ") and not following[1:2].isascii()
            for line, following in itertools.pairwise(lines)
        )
    assert short > 0


# Text a regimen may hold (control characters and scripts its fonts lack are refused) with
# every character TEXT escapes or folding treats specially, and multi-byte ones at fold points.
HOSTILE = st.text(
    alphabet=st.sampled_from(list("aZ ,;:\\\"'É·–—éß=^NñÑ¿¡«»€")),
    min_size=1,
    max_size=90,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regimens(), HOSTILE, HOSTILE, HOSTILE, st.sampled_from(LANGUAGES))
def test_generated_regimens_with_hostile_text(
    document: dict[str, Any], title: str, clinic: str, name: str, language: str
) -> None:
    document = copy.deepcopy(document)
    document["title"] = title
    document["patient"] = {"name": name, "language": language}
    document["care_team"] = {"clinic": clinic, "phone": "212-555-0100"}
    try:
        regimen, problems = parse_regimen(document, "fuzz.toml")
        assume(regimen is not None)
        assert regimen is not None
        plan = build_plan(regimen, problems, today=date(2026, 1, 1))
    except RegimenError:
        assume(False)
        raise
    same(plan)
    same(plan, floating=True, alarm=None)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    st.text(
        alphabet=st.sampled_from(["a", "Z", " ", "\\", "^", ";", ",", ":", "é", "ñ", "€", "😀"]),
        max_size=400,
    )
)
def test_lines_are_folded_as_icalendar_folds_them(line: str) -> None:
    """``fold`` against icalendar's folding (Contentline.to_ical), multi-octet characters and
    escapes at the break included."""
    from icalendar.parser import Contentline

    from taper.export.ics import fold

    assert fold(line) == Contentline(line).to_ical()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(min_value=-3 * 86400, max_value=30 * 86400))
def test_durations_are_written_as_icalendar_writes_them(seconds: int) -> None:
    from icalendar import vDuration

    from taper.export.ics import _duration_text

    length = timedelta(seconds=seconds)
    assert _duration_text(length) == vDuration(length).to_ical().decode("ascii")


def test_a_build_does_not_import_icalendar(tmp_path: Path) -> None:
    """The reminders are written as text: icalendar (about 40 ms of start-up) is imported only
    to read a previous calendar, and by the tests as the oracle."""
    code = (
        "import sys; from taper.cli import main; sys.argv[0] = 'taper'\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('icalendar' in sys.modules)"
    )
    regimen = Path(__file__).parent / "regimens" / "pulse-then-taper.toml"
    result = subprocess.run(
        [sys.executable, "-c", code, "build", str(regimen), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1795305600"},
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
    assert (tmp_path / "out" / "reminders.ics").exists()
