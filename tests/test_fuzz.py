"""Fuzzing: generated regimens, valid and mutated, never produce a traceback.

Anything wrong must come out as a RegimenError (a message with places); anything valid must
schedule with its invariants intact and export to JSON, iCalendar and PDF.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_strategies import regimens

from taper.engine.schedules import build_plan
from taper.read.errors import RegimenError
from taper.read.regimen import parse_document, parse_regimen
from taper.records.plan import Plan

STAMP = datetime(2026, 11, 22, tzinfo=UTC)

# Values of every type TOML can hold, plus the awkward ones people type.
toml_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "60 mg",
            "1e308 mg",
            "nan mg",
            "-5 mg",
            "0 mg",
            "60 мг",
            "1 g/kg",
            "80 units",
            "5 mg/5 mL",
            "breakfast",
            "25:00",
            "08:00",
            "25%",
            "70 kg",
            "Mars/Olympus",
            "UTC",
            "America/New_York",
            "prednisne",
            "plex",
            "iv",
            "procedure",
            "\u200b",
            "\x00",
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.decimals(allow_nan=True, allow_infinity=True, places=3),
    st.booleans(),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    st.times(),
    st.lists(st.sampled_from(["08:00", "lunch", 3, "x"]), max_size=3),
    st.dictionaries(
        st.sampled_from(["dose", "days", "at", "from", "x"]),
        st.sampled_from(["10 mg", 2, "08:00"]),
        max_size=3,
    ),
)


def _places(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_places(value, (*prefix, key)))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(draw(regimens()))
    document.setdefault("patient", {"weight": "70 kg", "conditions": ["diabetes"]})
    document.setdefault(
        "also", [{"kind": "check", "what": "Sugar", "at": ["lunch"], "during": ["Phase 1"]}]
    )
    for _ in range(draw(st.integers(1, 4))):
        places = _places(document)
        place = draw(st.sampled_from(places))
        parent: Any = document
        for key in place[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "unknown-key"]))
        if action == "replace":
            parent[place[-1]] = draw(toml_values)
        elif action == "delete":
            del parent[place[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["dosee", "tabelts", "evry", "x"]))] = draw(toml_values)
    return document


def schedule(document: dict[str, Any]) -> Plan | None:
    """The plan, or None when the regimen was refused with a RegimenError."""
    try:
        regimen, problems = parse_regimen(document, "fuzz.toml")
        if regimen is None:
            assert problems
            return None
        return build_plan(regimen, problems, today=date(2026, 1, 1))
    except RegimenError as err:
        assert err.problems
        assert all(isinstance(p.message, str) and p.message for p in err.problems)
        return None


def export_all(plan: Plan, pdf: bool) -> None:
    from taper.export.ics import render_ics
    from taper.export.json import render_json

    document = json.loads(render_json(plan))
    assert len(document["days"]) == plan.length
    calendar = render_ics(plan, stamp=STAMP)
    assert calendar.count(b"BEGIN:VEVENT") == len(plan.doses) + len(plan.events)
    if pdf:
        from taper.export.pdf import render_pdf

        for audience in ("patient", "pharmacist", "nurse"):
            assert render_pdf(plan, audience, stamp=STAMP).startswith(b"%PDF-")


@pytest.mark.slow  # a minute or more: .ci/run runs it, the README's command does not
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_regimens_never_crash(document: dict[str, Any]) -> None:
    plan = schedule(document)
    if plan is not None:
        export_all(plan, pdf=False)


@pytest.mark.slow  # a minute or more: .ci/run runs it, the README's command does not
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regimens())
def test_valid_regimens_export_everywhere(document: dict[str, Any]) -> None:
    plan = schedule(document)
    if plan is not None:
        export_all(plan, pdf=True)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_refused(data: bytes) -> None:
    document, problems = parse_document(data)
    assert (document is None) == bool(problems)
    if document is not None:
        schedule(document)


HEAD = 'start = 2026-12-01\ntimezone = "America/New_York"\n[[phase]]\ndrug = "prednisone"\n'


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_in_a_regimen_is_read_or_refused(text: str) -> None:
    document, _ = parse_document((HEAD + text).encode("utf-8", "surrogatepass"))
    if document is not None:
        schedule(document)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "dose",
                "days",
                "every",
                "at",
                "taper",
                "steps",
                "sessions",
                "tablets",
                "split",
                "liquid",
                "route",
                "start_day",
                "allow",
                "duration",
            ]
        ),
        toml_values,
        max_size=6,
    )
)
def test_any_phase_table_is_read_or_refused(phase: dict[str, Any]) -> None:
    schedule(
        {"start": date(2026, 12, 1), "timezone": "UTC", "phase": [{"drug": "prednisone", **phase}]}
    )


# The pre-scan that bounds the parser's work (F14) must never refuse a file tomllib reads,
# short of its two limits: any text in TOML's own alphabet that tomllib parses, parses the same.
@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab1.=\"'[]{},#\n \\t", max_size=60))
def test_the_pre_scan_never_refuses_what_toml_reads(text: str) -> None:
    import tomllib
    from decimal import Decimal

    try:
        expected = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError:
        document, problems = parse_document(text.encode("utf-8"))
        assert document is None and problems
        return
    assert parse_document(text.encode("utf-8")) == (expected, [])


# One text rule (F8, F12): whatever text the reader accepts, every export prints, and no
# output carries a raw control character.
_GOOD = [*"Ana é ß Σ Ж — ½ ☕ ", "\n", "\t"]
_BAD = [*"\r\x1b\x9b\u202e\u200b\x00\u2028", "💊", "ש", "漢", "─", "\ufffd"]
_TEXTS = st.one_of(
    st.text(alphabet=st.sampled_from(_GOOD), max_size=12),
    st.text(alphabet=st.sampled_from(_GOOD), max_size=12),
    st.text(alphabet=st.sampled_from(_GOOD + _BAD), max_size=6),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_TEXTS, name=_TEXTS, take=_TEXTS)
def test_text_the_reader_accepts_every_export_prints(title: str, name: str, take: str) -> None:
    from taper.export.pdf import render_pdf
    from taper.export.table import render_table
    from taper.read.text import is_control

    document = {
        "title": title or "x",
        "start": date(2026, 12, 1),
        "timezone": "UTC",
        "patient": {"name": name or "x"},
        "phase": [
            {"drug": "prednisone", "dose": "20 mg", "days": 1, "at": ["08:00"], "take": take or "x"}
        ],
    }
    plan = schedule(document)
    if plan is None:
        return
    table = render_table(plan)
    assert not [ch for ch in table if is_control(ch) and ch != "\n"]
    export_all(plan, pdf=False)
    for audience in ("patient", "pharmacist", "nurse"):
        assert render_pdf(plan, audience, stamp=STAMP).startswith(b"%PDF-")
