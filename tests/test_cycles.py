"""Issue 25: orders the format could not express, and round three's L6 and L7.

- a dose every 7 days for N doses, and a few days every 21 days for N cycles
  (``every = "7 days"``/``"3 weeks"`` with ``times = N``);
- ``round = "up" | "nearest" | "down"`` on a per-weight dose;
- a planned build-up warns once per phase, and ``taper`` accepts a rising course (L6);
- an ``[[also]]`` item on the day after the last dose (L7).

Each is checked where it shows: the plan's days, the warnings, the pharmacist's sig and the
patient's course at a glance read back from the PDFs."""

from __future__ import annotations

import io
import itertools
import json
from datetime import UTC, datetime
from decimal import Decimal

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taper.api import load
from taper.export.pdf import render_pdf
from taper.read.errors import RegimenError
from taper.records.plan import Plan

STAMP = datetime(2026, 11, 22, tzinfo=UTC)
HEAD = (
    'after = "stop"\nstart = 2027-01-04\ntimezone = "America/Chicago"\n'
    '[patient]\nweight = "23.4 kg"\n[care_team]\nphone = "312-555-0100"\n'
)


def plan_of(text: str) -> Plan:
    return _load((HEAD + text).encode("utf-8"), "order.toml")


def problems_of(text: str) -> list[str]:
    with pytest.raises(RegimenError) as caught:
        plan_of(text)
    return [f"{p.place}: {p.message}" for p in caught.value.problems]


def pdf_text(plan: Plan, audience: str) -> str:
    data = render_pdf(plan, audience, stamp=STAMP)
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def dose_days(plan: Plan) -> list[int]:
    return sorted({dose.day for dose in plan.doses})


WEEKLY = """
[[phase]]
name = "Weekly pulse"
drug = "methylprednisolone"
route = "iv"
dose = "500 mg"
every = "7 days"
times = 6
at = ["09:00"]
duration = "1 h"
"""


# -- every = "7 days", times = N ---------------------------------------------------------------


def test_a_dose_every_7_days_for_6_doses() -> None:
    plan = plan_of(WEEKLY)
    assert dose_days(plan) == [1, 8, 15, 22, 29, 36]
    assert len(plan.doses) == 6
    assert plan.length == 36
    # The same plan as the long-hand every = 7 over 36 days, and as "1 week".
    spelled = plan_of(WEEKLY.replace('every = "7 days"\ntimes = 6', "every = 7\ndays = 36"))
    assert spelled.doses == plan.doses
    assert plan_of(WEEKLY.replace('"7 days"', '"1 week"')).doses == plan.doses
    sig = pdf_text(plan, "pharmacist")
    assert "Give 500 mg IV over 1 h every 7 days at 09:00 for 36 days (6 doses)." in sig


def test_three_days_every_21_days_for_6_cycles() -> None:
    plan = plan_of(
        """
[[phase]]
name = "Premedication"
drug = "dexamethasone"
tablets = ["4 mg"]
dose = "8 mg"
days = 3
every = "3 weeks"
times = 6
at = ["breakfast", "supper"]
take = "with food"
"""
    )
    cycles = [1 + 21 * k for k in range(6)]
    assert dose_days(plan) == sorted(day + d for day in cycles for d in range(3))
    assert len(plan.doses) == 36
    assert plan.length == 21 * 5 + 3
    assert {line.strength: line.count for line in plan.dispense} == {Decimal(4): Decimal(72)}
    sheet = pdf_text(plan, "pharmacist")
    take = "take 2 tablets (8 mg) by mouth twice daily with breakfast and with supper for 3 days"
    # Every rest is said: the cycles never read as one run of days.
    assert sheet.lower().count(f"{take}, then no dose for 18 days, then") == 5
    assert f"{take}, then stop." in sheet
    glance = pdf_text(plan, "patient")
    assert glance.count("18 days no dose.") == 5


def test_steps_repeated_as_a_cycle() -> None:
    plan = plan_of(
        """
[[phase]]
drug = "prednisone"
at = ["breakfast"]
every = "28 days"
times = 3
steps = [{ dose = "60 mg", days = 2 }, { dose = "40 mg", days = 2 }]
"""
    )
    by_day = {dose.day: dose.amount for dose in plan.doses}
    assert by_day == {
        **{1 + 28 * k: Decimal(60) for k in range(3)},
        **{2 + 28 * k: Decimal(60) for k in range(3)},
        **{3 + 28 * k: Decimal(40) for k in range(3)},
        **{4 + 28 * k: Decimal(40) for k in range(3)},
    }


@pytest.mark.parametrize(
    ("order", "said"),
    [
        (
            'dose = "8 mg"\ndays = 3\nevery = "2 days"\ntimes = 4',
            "phase[1].every: every 2 days is shorter than one cycle (3 days)",
        ),
        (
            'dose = "8 mg"\ntimes = 4',
            'with times, say how often the course repeats, such as every = "7 days"',
        ),
        (
            'dose = "8 mg"\nevery = "6h"\ndays = 2\ntimes = 4',
            "phase[1].times: times repeats a dose",
        ),
        (
            'dose = "8 mg"\nevery = "7 days"\ntimes = 200',
            "phase[1].times: 200 times every 7 days is longer than a course",
        ),
        ('dose = "8 mg"\nevery = "0 days"\ntimes = 3', 'phase[1].every: "0 days" is not'),
        (
            'dose = "8 mg"\nevery = "7 fortnights"\ndays = 14',
            'phase[1].every: "7 fortnights" is not',
        ),
        (
            'steps = [{ dose = "8 mg", days = 2 }]\nevery = "7 days"',
            "phase[1].every: with steps, give every in each step",
        ),
    ],
)
def test_cycles_that_cannot_be_scheduled_say_why(order: str, said: str) -> None:
    text = f'[[phase]]\ndrug = "dexamethasone"\ntablets = ["4 mg"]\nat = ["breakfast"]\n{order}\n'
    assert any(said in problem for problem in problems_of(text)), problems_of(text)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    run=st.integers(1, 5),
    rest=st.integers(0, 30),
    times=st.integers(1, 12),
    doses_a_day=st.integers(1, 3),
)
def test_cycles_give_exactly_the_ordered_doses_on_the_ordered_days(
    run: int, rest: int, times: int, doses_a_day: int
) -> None:
    """Whatever the cycle: `times` cycles, each starting `every` days after the one before, each
    with its `days` dose days in a row, and nothing on any other day."""
    every = run + rest
    at = ", ".join(f'"{hour:02d}:00"' for hour in (8, 14, 20)[:doses_a_day])
    plan = plan_of(
        f'[[phase]]\ndrug = "dexamethasone"\ntablets = ["4 mg"]\ndose = "4 mg"\ndays = {run}\n'
        f'every = "{every} days"\ntimes = {times}\nat = [{at}]\n'
    )
    expected = sorted(1 + every * k + d for k in range(times) for d in range(run))
    assert dose_days(plan) == expected
    assert len(plan.doses) == len(expected) * doses_a_day
    assert plan.length == expected[-1]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    steps=st.lists(st.sampled_from([8, 4, 2]), min_size=1, max_size=3),
    run=st.integers(1, 3),
    rest=st.integers(0, 20),
    times=st.integers(1, 6),
)
def test_every_cycle_exports_fhir_whose_timing_gives_the_plan(
    steps: list[int], run: int, rest: int, times: int
) -> None:
    """The FHIR export of any cycle (one dose or steps, repeated): Dosages numbered 1..n with
    no gap (the rests have none: a rest step is no Dosage), whose bounds, expanded by the
    independent oracle, give exactly the plan's doses."""
    from fhir_oracle import expand, plan_json, planned, violations

    from taper.export.fhir import render_fhir

    every = run * len(steps) + rest
    listed = ", ".join(f'{{ dose = "{mg} mg", days = {run} }}' for mg in steps)
    plan = plan_of(
        f'[[phase]]\ndrug = "dexamethasone"\ntablets = ["2 mg"]\nat = ["breakfast"]\n'
        f'every = "{every} days"\ntimes = {times}\nsteps = [{listed}]\n'
        if len(steps) > 1
        else f'[[phase]]\ndrug = "dexamethasone"\ntablets = ["2 mg"]\nat = ["breakfast"]\n'
        f'dose = "{steps[0]} mg"\ndays = {run}\nevery = "{every} days"\ntimes = {times}\n'
    )
    bundle = json.loads(render_fhir(plan))
    assert violations(bundle) == []
    assert expand(bundle, plan.timezone) == planned(plan_json(plan))


# -- round = "up" | "nearest" | "down" ---------------------------------------------------------


def per_kg(rounding: str | None) -> Plan:
    line = f'round = "{rounding}"\n' if rounding else ""
    return plan_of(
        '[[phase]]\ndrug = "prednisone"\ntablets = ["5 mg", "1 mg"]\ndose = "0.9 mg/kg"\n'
        f'days = 2\nat = ["breakfast"]\n{line}'
    )


def test_round_up_nearest_and_down() -> None:
    # 0.9 mg/kg × 23.4 kg = 21.06 mg, made from 5 mg and 1 mg tablets.
    assert per_kg(None).doses[0].amount == Decimal(21)
    assert per_kg("nearest").doses[0].amount == Decimal(21)
    assert per_kg("down").doses[0].amount == Decimal(21)
    up = per_kg("up")
    assert up.doses[0].amount == Decimal(22)
    assert [w.message for w in up.warnings if w.code == "per-kg-rounded"] == [
        '0.9 mg/kg × 23.4 kg = 21.06 mg, rounded up to 22 mg (round = "up")'
    ]
    # The same arithmetic reaches the pharmacist.
    assert "21.06 mg, rounded up to 22 mg" in pdf_text(up, "pharmacist")


def test_round_never_passes_a_cap() -> None:
    plan = plan_of(
        '[[phase]]\ndrug = "prednisone"\ntablets = ["5 mg"]\ndose = "2 mg/kg"\nmax = "46 mg"\n'
        'days = 2\nat = ["breakfast"]\nround = "up"\n'
    )
    assert plan.doses[0].amount == Decimal(45)  # 46.8 mg capped at 46 mg: 45, not 50


def test_round_down_on_a_liquid_measures_no_more_than_ordered() -> None:
    plan = plan_of(
        '[[phase]]\ndrug = "prednisolone"\nliquid = "15 mg/5 mL"\ndose = "1 mg/kg"\n'
        'days = 2\nat = ["breakfast"]\nround = "down"\n'
    )
    dose = plan.doses[0]
    assert dose.amount is not None and dose.amount <= Decimal("23.4")
    nearest = plan_of(
        '[[phase]]\ndrug = "prednisolone"\nliquid = "15 mg/5 mL"\ndose = "1 mg/kg"\n'
        'days = 2\nat = ["breakfast"]\n'
    )
    assert nearest.doses[0].volume_ml is not None and dose.volume_ml is not None
    assert dose.volume_ml <= nearest.doses[0].volume_ml


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('dose = "20 mg"\nround = "up"', "phase[1].round: rounds a per-weight dose"),
        ('dose = "1 mg/kg"\nround = "upwards"', 'phase[1].round: "upwards" is not a rounding'),
    ],
)
def test_round_refused_where_it_means_nothing(line: str, said: str) -> None:
    text = f'[[phase]]\ndrug = "prednisone"\ndays = 2\nat = ["breakfast"]\n{line}\n'
    assert any(said in problem for problem in problems_of(text))


# -- L6: a build-up warns once, and taper rises ------------------------------------------------


def step_ups(plan: Plan) -> list[tuple[str, str]]:
    return [(w.place, w.message) for w in plan.warnings if w.code == "taper-step-up"]


def test_a_planned_build_up_warns_once_per_phase() -> None:
    steps = ", ".join(f'{{ dose = "{mg} mg", days = 2 }}' for mg in (10, 20, 30, 40, 50))
    plan = plan_of(f'[[phase]]\ndrug = "prednisone"\nat = ["breakfast"]\nsteps = [{steps}]\n')
    assert step_ups(plan) == [
        (
            "phase[1].steps[2]",
            "steps 2, 3, 4 and 5 each give more a day than the step before; check that the dose "
            "is meant to go up",
        )
    ]


def test_the_taper_form_accepts_a_rising_course() -> None:
    plan = plan_of(
        '[[phase]]\nname = "Build-up"\ndrug = "prednisolone"\ntablets = ["5 mg"]\n'
        'at = ["breakfast"]\ntaper = { from = "10 mg", to = "40 mg", by = "10 mg", every = 3 }\n'
    )
    amounts = [step.doses[0].amount for step in plan.phases[0].steps]
    assert amounts == [Decimal(10), Decimal(20), Decimal(30), Decimal(40)]
    assert plan.length == 12
    assert step_ups(plan) == [
        (
            "phase[1].taper",
            "the dose goes up from 10 mg to 40 mg in 4 steps (a build-up); check that the dose "
            "is meant to go up",
        )
    ]
    # Not past `to` when `by` does not land on it.
    uneven = plan_of(
        '[[phase]]\ndrug = "prednisolone"\ntablets = ["5 mg"]\nat = ["breakfast"]\n'
        'taper = { from = "10 mg", to = "25 mg", by = "10 mg", every = 2 }\n'
    )
    assert [s.doses[0].amount for s in uneven.phases[0].steps] == [10, 20, 25]
    # A share cannot climb: said, with the fix.
    assert any(
        'rises by an amount, such as by = "5 mg"' in problem
        for problem in problems_of(
            '[[phase]]\ndrug = "prednisolone"\ntablets = ["5 mg"]\nat = ["breakfast"]\n'
            'taper = { from = "10 mg", to = "40 mg", by = "25%", every = 2 }\n'
        )
    )


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    start=st.integers(1, 12),
    end=st.integers(1, 12),
    by=st.integers(1, 4),
    every=st.integers(1, 3),
)
def test_a_taper_moves_from_from_to_to_one_way_and_warns_at_most_once(
    start: int, end: int, by: int, every: int
) -> None:
    plan = plan_of(
        '[[phase]]\ndrug = "prednisone"\ntablets = ["5 mg"]\nat = ["breakfast"]\n'
        f'taper = {{ from = "{start * 5} mg", to = "{end * 5} mg", by = "{by * 5} mg", '
        f"every = {every} }}\n"
    )
    amounts = [step.doses[0].amount for step in plan.phases[0].steps]
    assert amounts[0] == start * 5 and amounts[-1] == end * 5
    pairs = list(itertools.pairwise(amounts))
    if start <= end:
        assert all(a is not None and b is not None and a < b for a, b in pairs)
    else:
        assert all(a is not None and b is not None and a > b for a, b in pairs)
    assert len(step_ups(plan)) == (1 if start < end else 0)


# -- L7: an [[also]] item the day after the last dose ------------------------------------------


def test_a_blood_test_the_day_after_the_last_dose() -> None:
    plan = plan_of(
        '[[phase]]\ndrug = "prednisone"\ndose = "40 mg"\ndays = 5\nat = ["breakfast"]\n'
        '[[also]]\nkind = "check"\nwhat = "Blood test: glucose"\nat = ["09:00"]\ndays = [6]\n'
    )
    assert [(e.day, e.what) for e in plan.events] == [(6, "Blood test: glucose")]
    assert plan.length == 6
    assert plan.days[-1].doses == ()
    # The same item by date, as on = DATE always allowed.
    dated = plan_of(
        '[[phase]]\ndrug = "prednisone"\ndose = "40 mg"\ndays = 5\nat = ["breakfast"]\n'
        '[[also]]\nkind = "check"\nwhat = "Blood test: glucose"\nat = ["09:00"]\non = 2027-01-09\n'
    )
    assert dated.events == plan.events
    assert "Blood test: glucose" in pdf_text(plan, "patient")


def test_a_rhythm_still_starts_within_the_course() -> None:
    problems = problems_of(
        '[[phase]]\ndrug = "prednisone"\ndose = "40 mg"\ndays = 5\nat = ["breakfast"]\n'
        '[[also]]\nkind = "check"\nwhat = "Weight"\nat = ["09:00"]\ndays = [9]\nevery = 7\n'
    )
    assert any("course day 9 is after the course's last day (5)" in p for p in problems)


# -- a phase after a rhythm ----------------------------------------------------------------------


def test_a_phase_placed_inside_a_rhythm_is_warned_with_the_start_day_that_keeps_it() -> None:
    second = WEEKLY.replace('"Weekly pulse"', '"Weekly 250"').replace('"500 mg"', '"250 mg"')
    plan = plan_of(WEEKLY + second)
    follow = [(w.place, w.message) for w in plan.warnings if w.code == "rhythm-follow-on"]
    assert follow == [
        (
            "phase[2]",
            'starts on course day 37, 1 day after the last dose of "Weekly pulse", which came '
            "every 7 days; if this phase keeps that rhythm, add start_day = 43",
        )
    ]
    kept = plan_of(WEEKLY + second.replace("times = 6\n", "times = 6\nstart_day = 43\n"))
    assert "rhythm-follow-on" not in [w.code for w in kept.warnings]
    assert dose_days(kept)[5:7] == [36, 43]
    # A cycle of 3 days every 21: the next cycle would start 21 days after the last one did.
    cycles = plan_of(
        '[[phase]]\nname = "Premedication"\ndrug = "dexamethasone"\ntablets = ["4 mg"]\n'
        'dose = "8 mg"\ndays = 3\nevery = "21 days"\ntimes = 2\nat = ["breakfast"]\n'
        '[[phase]]\ndrug = "prednisone"\ndose = "5 mg"\ndays = 2\nat = ["breakfast"]\n'
    )
    assert [w.message for w in cycles.warnings if w.code == "rhythm-follow-on"] == [
        'starts on course day 25, 1 day after the last dose of "Premedication", which came '
        "every 21 days; if this phase keeps that rhythm, add start_day = 43"
    ]
    # A daily phase followed by another: no rhythm, no warning.
    daily = plan_of(
        '[[phase]]\nname = "A"\ndrug = "prednisone"\ndose = "40 mg"\ndays = 3\nat = ["breakfast"]\n'
        '[[phase]]\nname = "B"\ndrug = "prednisone"\ndose = "20 mg"\ndays = 3\nat = ["breakfast"]\n'
    )
    assert "rhythm-follow-on" not in [w.code for w in daily.warnings]


def test_the_checklist_of_weekly_doses_lists_the_weeks_not_every_empty_day() -> None:
    plan = plan_of(WEEKLY)
    text = pdf_text(plan, "patient")
    checklist = text[text.index("Day by day") :]
    for first in (2, 9, 16, 23, 30):
        assert f"Days {first}–{first + 5} of 36" in checklist
    assert checklist.count("No dose on these 6 days.") == 5
    assert checklist.count("No dose today.") == 0
    for day in (1, 8, 15, 22, 29, 36):
        assert f"Day {day} of 36" in checklist
    # Every other day keeps a row a day: each skipped day is shown.
    alternate = plan_of(
        '[[phase]]\ndrug = "prednisone"\ndose = "40 mg"\ndays = 7\nevery = 2\nat = ["breakfast"]\n'
    )
    text = pdf_text(alternate, "patient")
    assert text[text.index("Day by day") :].count("No dose today.") == 3


# -- the page's dose form ------------------------------------------------------------------------


def test_the_page_edits_times_and_round(monkeypatch: pytest.MonkeyPatch) -> None:
    import tomllib

    from test_web import form_of, post, textarea

    from taper.web import create_app

    monkeypatch.setattr("taper.read.templates.machine_timezone", lambda: "America/New_York")
    client = create_app(token="test-token-1234", port=5123).test_client()
    text = HEAD + WEEKLY
    html = post(client, "/ui/file", data={"regimen": text}).get_data(as_text=True)
    fields = form_of(html, text)
    assert fields["phase[1].every"] == "7 days"
    assert fields["phase[1].times"] == "6"
    assert 'for="f-phase-1-round">Round a per-kg dose</label>' in html
    fields["phase[1].times"] = "4"
    fields["phase[1].every"] = "3 weeks"
    changed = post(client, "/ui/update", data=fields).get_data(as_text=True)
    phase = tomllib.loads(textarea(changed))["phase"][0]
    assert (phase["every"], phase["times"]) == ("3 weeks", 4)
    edited = _load(textarea(changed).encode("utf-8"), "regimen.toml")
    assert dose_days(edited) == [1, 22, 43, 64]


def _load(data: bytes, source: str) -> Plan:
    """The plan of a regimen's bytes, as the page and the API read it (taper.api.load)."""
    return load(data, source=source)
