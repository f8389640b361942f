"""Safety warnings and dose errors (taper/checks/safety.py): each fires where it should, and only
there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from invariant_strategies import stopping

from taper.api import load as load_plan
from taper.read.errors import RegimenError
from taper.records.plan import Plan
from taper.voice.doses import dose_instructions
from taper.voice.words import words_of

TODAY = date(2026, 11, 22)
REGIMENS = Path(__file__).parent / "regimens"


def course(phases: str, *, start: str = "2026-12-01", patient: str = "") -> str:
    return (
        f'start = {start}\ntimezone = "America/New_York"\n[care_team]\nphone = "212-555-0100"\n'
        f"[patient]\n{patient}\n{phases}"
    )


def oral(dose: str, days: int, *, drug: str = "prednisone", extra: str = "") -> str:
    return f'[[phase]]\ndrug = "{drug}"\ndose = "{dose}"\ndays = {days}\nat = ["08:00"]\n{extra}\n'


def iv(dose: str, days: int, *, drug: str = "methylprednisolone", extra: str = "") -> str:
    return (
        f'[[phase]]\ndrug = "{drug}"\nroute = "iv"\ndose = "{dose}"\ndays = {days}\n'
        f'at = ["09:00"]\nduration = "1 h"\n{extra}\n'
    )


@pytest.fixture
def plan_of(write_regimen: Callable[..., Path]) -> Callable[[str], Plan]:
    def build(text: str) -> Plan:
        # Written before the after key: each course stops on its last day (test_after.py).
        return load_plan(write_regimen(stopping(text)), today=TODAY)

    return build


@pytest.fixture
def errors_of(write_regimen: Callable[..., Path]) -> Callable[[str], str]:
    def build(text: str) -> str:
        with pytest.raises(RegimenError) as caught:
            load_plan(write_regimen(text), today=TODAY)
        return str(caught.value)

    return build


def codes(plan: Plan) -> list[str]:
    return [w.code for w in plan.warnings]


def warning(plan: Plan, code: str) -> str:
    found = [w for w in plan.warnings if w.code == code]
    assert len(found) == 1, plan.warnings
    return f"{found[0].place}: {found[0].message}" if found[0].place else found[0].message


# -- adrenal: clinical-reference §6, tested at both boundaries of both clauses -------------------


@pytest.mark.parametrize(
    ("dose", "days", "fires"),
    [
        ("5 mg", 30, False),  # not more than 5 mg a day
        ("6 mg", 20, False),  # > 5 mg, but for 20 days
        ("6 mg", 21, True),  # > 5 mg for 21 days
        ("41 mg", 7, False),  # > 40 mg for 7 days (not more than 7)
        ("41 mg", 8, True),  # > 40 mg for more than 7 days
        ("40 mg", 20, False),  # 40 is not more than 40; 20 days < 21
        ("40 mg", 30, True),  # only through the first clause
    ],
)
def test_adrenal_boundaries(
    plan_of: Callable[[str], Plan], dose: str, days: int, fires: bool
) -> None:
    plan = plan_of(course(oral(dose, days)))
    assert ("adrenal" in codes(plan)) is fires


def test_adrenal_forty_mg_for_a_month_fires_through_the_first_clause_only(
    plan_of: Callable[[str], Plan],
) -> None:
    plan = plan_of(course(oral("40 mg", 30)))
    message = warning(plan, "adrenal")
    assert "more than prednisone 5 mg a day (or its equivalent) over a run of 30 days" in message
    assert "more than 40 mg over a run of 0 days" in message
    assert "Taper rather than stop suddenly" in message


def test_adrenal_uses_prednisone_equivalents(plan_of: Callable[[str], Plan]) -> None:
    # methylprednisolone 4 mg = prednisone 5 mg; dexamethasone 0.75 mg = prednisone 5 mg
    assert "adrenal" not in codes(plan_of(course(oral("4 mg", 30, drug="methylprednisolone"))))
    assert "adrenal" in codes(plan_of(course(oral("8 mg", 21, drug="methylprednisolone"))))
    assert "adrenal" not in codes(plan_of(course(oral("0.75 mg", 30, drug="dexamethasone"))))
    assert "adrenal" in codes(plan_of(course(oral("1 mg", 21, drug="dexamethasone"))))


def test_adrenal_adds_phases_and_routes_together(plan_of: Callable[[str], Plan]) -> None:
    # 3 days of 1 g IV (1250 mg prednisone-equivalent) + 5 days of 60 mg = 8 days above 40 mg
    plan = plan_of(course(iv("1 g", 3) + oral("60 mg", 5)))
    assert "more than 40 mg over a run of 8 days" in warning(plan, "adrenal")
    assert "adrenal" not in codes(plan_of(course(iv("1 g", 3) + oral("60 mg", 4))))


def test_adrenal_counts_alternate_day_courses_at_their_daily_average(
    plan_of: Callable[[str], Plan],
) -> None:
    # 40 mg every other day for 30 days is 20 mg a day for a month: suppressive
    plan = plan_of(course(oral("40 mg", 30, extra="every = 2")))
    assert "over a run of 30 days and more than 40 mg over a run of 0 days" in warning(
        plan, "adrenal"
    )
    # 10 mg every other day averages 5 mg a day: not more than 5 mg
    assert "adrenal" not in codes(plan_of(course(oral("10 mg", 40, extra="every = 2"))))


def test_adrenal_pulse_alone_does_not_fire(plan_of: Callable[[str], Plan]) -> None:
    assert "adrenal" not in codes(plan_of(course(iv("1 g", 5))))


# -- dose limits: clinical-reference §5 -------------------------------------------------------


def test_usual_dose_boundary(plan_of: Callable[[str], Plan]) -> None:
    assert "above-usual-dose" not in codes(plan_of(course(oral("60 mg", 3))))
    plan = plan_of(course(oral("61 mg", 3)))
    assert warning(plan, "above-usual-dose") == (
        "phase[1]: Prednisone 61 mg a day by mouth (days 1–3) is above the usual 60 mg a day; "
        "check the order"
    )


def test_usual_dose_is_reported_for_each_phase(plan_of: Callable[[str], Plan]) -> None:
    plan = plan_of(
        course(
            oral("160 mg", 2, drug="methylprednisolone", extra='name = "Daily"')
            + oral("64 mg", 6, drug="methylprednisolone", extra='every = 2\nname = "Alternate"')
        )
    )
    found = [f"{w.place}: {w.message}" for w in plan.warnings if w.code == "above-usual-dose"]
    assert found == [
        "phase[1]: Methylprednisolone 160 mg a day by mouth (days 1–2) is above the usual "
        "48 mg a day; check the order",
        "phase[2]: Methylprednisolone 64 mg a day by mouth (days 3, 5, 7) is above the usual "
        "48 mg a day; check the order",
    ]


def test_usual_dose_says_up_to_when_the_days_differ(plan_of: Callable[[str], Plan]) -> None:
    phase = (
        '[[phase]]\ndrug = "prednisone"\nat = ["08:00"]\n'
        'steps = [{ dose = "80 mg", days = 2 }, { dose = "70 mg", days = 2 }]\n'
    )
    message = warning(plan_of(course(phase)), "above-usual-dose")
    assert "Prednisone up to 80 mg a day by mouth (days 1–4)" in message
    assert "taper-step-up" not in codes(plan_of(course(phase)))


def test_iv_methylprednisolone_usual_limit(plan_of: Callable[[str], Plan]) -> None:
    assert "above-usual-dose" not in codes(plan_of(course(iv("1 g", 3))))
    assert "IV (days 1–3) is above the usual 1000 mg a day" in warning(
        plan_of(course(iv("1.5 g", 3))), "above-usual-dose"
    )


def test_above_documented_dose_is_an_error(errors_of: Callable[[str], str]) -> None:
    message = errors_of(course(oral("1260 mg", 3, extra='tablets = ["10 mg", "50 mg"]')))
    assert (
        "phase[1].dose: Prednisone: 1260 mg a day by mouth (days 1–3) is above the highest "
        "documented 1250 mg a day" in message
    )
    assert 'add allow = ["above-documented-dose"] to the phase' in message


def test_above_documented_dose_allowed_is_a_warning(plan_of: Callable[[str], Plan]) -> None:
    extra = 'tablets = ["10 mg", "50 mg"]\nallow = ["above-documented-dose"]'
    plan = plan_of(course(oral("1260 mg", 3, extra=extra)))
    assert "allowed by the prescriber" in warning(plan, "above-documented-allowed")


def test_highest_documented_dose_is_not_an_error_at_the_limit(
    plan_of: Callable[[str], Plan],
) -> None:
    plan = plan_of(course(oral("1250 mg", 3, extra='tablets = ["50 mg"]')))
    assert "above-documented-allowed" not in codes(plan)
    assert "many-tablets" in codes(plan)


def test_iv_methylprednisolone_per_kg_limit(
    plan_of: Callable[[str], Plan], errors_of: Callable[[str], str]
) -> None:
    # without a weight: 2000 mg a day
    plan_of(course(iv("2 g", 1)))
    assert "above the highest documented 2000 mg a day" in errors_of(course(iv("2.5 g", 1)))
    # with a weight: 30 mg/kg per dose (2100 mg for 70 kg)
    weight = 'weight = "70 kg"'
    plan_of(course(iv("2.1 g", 1), patient=weight))
    message = errors_of(course(iv("2.2 g", 1), patient=weight))
    assert (
        "2.2 g at 09:00 on day 1 is above the highest documented dose, 30 mg/kg "
        "(2100 mg for 70 kg)" in message
    )


def test_ivig_course_limit_in_grams(
    plan_of: Callable[[str], Plan], errors_of: Callable[[str], str]
) -> None:
    weight = 'weight = "70 kg"'
    plan_of(course(iv("0.4 g/kg", 5, drug="ivig"), patient=weight))
    message = errors_of(course(iv("0.5 g/kg", 5, drug="ivig"), patient=weight))
    assert "above the highest documented 2 g/kg per course (140 g for 70 kg)" in message
    message = errors_of(course(iv("1.2 g/kg", 1, drug="ivig"), patient=weight))
    assert "above the highest documented 1 g/kg a day (70 g for 70 kg)" in message


def test_per_kg_limits_check_the_dose_as_ordered_not_as_rounded(
    plan_of: Callable[[str], Plan],
) -> None:
    # 154 lb = 69.9 kg: 0.4 g/kg is 27.96 g, rounded to 28 g; 5 × 28 g = 140 g is over
    # 2 g/kg × 69.9 kg = 139.8 g only because of taper's own rounding.
    plan = plan_of(course(iv("0.4 g/kg", 5, drug="ivig"), patient='weight = "154 lb"'))
    assert codes(plan) == ["per-kg-rounded"]


def test_acth_by_iv_is_an_error(errors_of: Callable[[str], str]) -> None:
    phase = '[[phase]]\ndrug = "acth"\nroute = "iv"\ndose = "80 units"\ndays = 3\nat = ["09:00"]\n'
    assert "phase[1].route: ACTH gel must never be given by iv; use sc or im" in errors_of(
        course(phase)
    )


def test_acth_above_120_units_is_an_error(errors_of: Callable[[str], str]) -> None:
    phase = (
        '[[phase]]\ndrug = "acth"\nroute = "sc"\ngiven_by = "patient"\ndose = "160 units"\n'
        "days = 3\n"
        'at = ["09:00"]\nliquid = "80 units/mL"\n'
    )
    assert "above the highest documented 120 units a day" in errors_of(course(phase))


# -- the other warnings ---------------------------------------------------------------------


def test_taper_step_up(plan_of: Callable[[str], Plan]) -> None:
    down = (
        '[[phase]]\ndrug = "prednisone"\nat = ["08:00"]\n'
        'steps = [{ dose = "40 mg", days = 2 }, { dose = "20 mg", days = 2 }]\n'
    )
    up = down.replace('"20 mg"', '"60 mg"')
    assert "taper-step-up" not in codes(plan_of(course(down)))
    assert warning(plan_of(course(up)), "taper-step-up") == (
        "phase[1].steps[2]: step 2 gives more a day than step 1; check that the dose is meant "
        "to go up"
    )


def test_start_in_past(plan_of: Callable[[str], Plan]) -> None:
    assert "start-in-past" not in codes(plan_of(course(oral("10 mg", 3), start="2026-11-22")))
    plan = plan_of(course(oral("10 mg", 3), start="2026-11-21"))
    assert warning(plan, "start-in-past") == (
        "start: the course starts on 2026-11-21, which is in the past; check the start date"
    )


@pytest.mark.parametrize(
    ("time", "fires"),
    [("19:59", False), ("20:00", True), ("23:30", True), ("04:59", True), ("05:00", False)],
)
def test_evening_dose(plan_of: Callable[[str], Plan], time: str, fires: bool) -> None:
    phase = f'[[phase]]\ndrug = "prednisone"\ndose = "10 mg"\ndays = 2\nat = ["{time}"]\n'
    plan = plan_of(course(phase))
    assert ("evening-dose" in codes(plan)) is fires
    if fires:
        assert warning(plan, "evening-dose").startswith(
            f"phase[1].at: a steroid dose at {time} can keep the patient awake"
        )


def test_evening_dose_only_for_steroids(plan_of: Callable[[str], Plan]) -> None:
    phase = (
        '[[phase]]\ndrug = "plasma exchange"\nroute = "procedure"\nsessions = 2\nevery = 2\n'
        'at = ["21:00"]\nduration = "2 h"\n'
    )
    assert "evening-dose" not in codes(plan_of(course(phase)))


@pytest.mark.parametrize(
    ("duration", "dose", "fires"),
    [
        ("29 min", "1 g", True),
        ("30 min", "1 g", False),
        ("10 min", "500 mg", False),
        ("10 min", "501 mg", True),
    ],
)
def test_fast_infusion(
    plan_of: Callable[[str], Plan], duration: str, dose: str, fires: bool
) -> None:
    phase = (
        f'[[phase]]\ndrug = "methylprednisolone"\nroute = "iv"\ndose = "{dose}"\ndays = 1\n'
        f'at = ["09:00"]\nduration = "{duration}"\n'
    )
    plan = plan_of(course(phase))
    assert ("fast-infusion" in codes(plan)) is fires
    if fires:
        assert "Methylprednisolone above 500 mg should run over at least 30 minutes" in warning(
            plan, "fast-infusion"
        )


@pytest.mark.parametrize(("dose", "fires"), [("45 mg", False), ("50 mg", True)])
def test_many_tablets(plan_of: Callable[[str], Plan], dose: str, fires: bool) -> None:
    plan = plan_of(course(oral(dose, 2, extra='tablets = ["5 mg"]')))
    assert ("many-tablets" in codes(plan)) is fires
    if fires:
        assert warning(plan, "many-tablets").startswith("phase[1]: up to 10 tablets at one time")


@pytest.mark.parametrize(
    ("drug", "conditions", "fires"),
    [
        ("dexamethasone", '["pregnancy"]', True),
        ("betamethasone", '["pregnancy"]', True),
        ("prednisolone", '["pregnancy"]', False),
        ("methylprednisolone", '["pregnancy"]', False),
        ("dexamethasone", "[]", False),
    ],
)
def test_pregnancy_fluorinated(
    plan_of: Callable[[str], Plan], drug: str, conditions: str, fires: bool
) -> None:
    plan = plan_of(
        course(
            oral("1 mg", 2, drug=drug, extra='tablets = ["1 mg"]'),
            patient=f"conditions = {conditions}",
        )
    )
    assert ("pregnancy-fluorinated" in codes(plan)) is fires
    if fires:
        assert "reaches the baby far more than prednisolone or methylprednisolone" in warning(
            plan, "pregnancy-fluorinated"
        )


def test_unknown_drug(plan_of: Callable[[str], Plan]) -> None:
    plan = plan_of(
        course(oral("100 mg", 2, drug="Ocrelizumab", extra='class = "other"\ntablets = ["100 mg"]'))
    )
    assert warning(plan, "unknown-drug") == (
        'phase[1].drug: "Ocrelizumab" is not in taper\'s drug list: its doses are not checked '
        "and it has no watch list"
    )
    assert "unknown-drug" not in codes(plan_of(course(oral("10 mg", 2))))


def test_a_plain_course_has_no_warnings(plan_of: Callable[[str], Plan]) -> None:
    assert codes(plan_of(course(iv("1 g", 3)))) == []


def test_named_fixture_collects_every_error(errors_of: Callable[[str], str]) -> None:
    text = (REGIMENS / "clin-two-slips.toml").read_text(encoding="utf-8")
    message = errors_of(text)
    assert "2 problems found" in message
    assert "phase[1].dose: Methylprednisolone: 3 g a day IV (days 1–3)" in message
    assert "phase[2].dose: Prednisone: 1500 mg a day by mouth (days 4–5)" in message


# == issue 12 / issue 11 items 5, 8, 9 ===========================================================

import io  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from decimal import Decimal as D  # noqa: E402

import pypdf  # noqa: E402

from taper.checks import emergency  # noqa: E402
from taper.checks.safety import measured_volume  # noqa: E402
from taper.export.pdf import render_pdf  # noqa: E402
from taper.read import zones  # noqa: E402
from taper.read.catalogue import read_data  # noqa: E402
from taper.voice.console import render_watch_text  # noqa: E402
from taper.voice.staff import appointments, dispense_rows, total_rows  # noqa: E402
from taper.voice.watch import watch_list  # noqa: E402


def regimen(
    phases: str,
    *,
    zone: str = "America/New_York",
    team: str = 'phone = "212-555-0100"',
    patient: str = "",
    extra: str = "",
) -> str:
    return (
        f'start = 2026-12-01\ntimezone = "{zone}"\n[care_team]\n{team}\n'
        f"[patient]\n{patient}\n{phases}{extra}"
    )


def pdf_text(plan: Plan, audience: str) -> str:
    data = render_pdf(plan, audience, stamp=datetime(2026, 11, 22, tzinfo=UTC))
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


LIQUID = (
    '[[phase]]\ndrug = "prednisolone"\nliquid = "15 mg/5 mL"\ndose = "{dose}"\ndays = 3\n'
    'at = ["08:00"]\n{extra}\n'
)


# -- H1: the per-weight ceiling, each boundary on both sides ------------------------------------


@pytest.mark.parametrize(
    ("dose", "allow", "outcome"),
    [
        ("2 mg/kg", "", "ok"),
        ("2.01 mg/kg", "", "error"),
        ("2.01 mg/kg", 'allow = ["above-per-weight-ceiling"]', "allowed"),
        ("8 mg/kg", 'allow = ["above-per-weight-ceiling"]', "allowed"),
        ("8.01 mg/kg", 'allow = ["above-per-weight-ceiling"]', "never"),
        ("8.01 mg/kg", "", "never"),
    ],
)
def test_per_weight_ceiling_for_oral_prednisolone(
    write_regimen: Callable[..., Path], dose: str, allow: str, outcome: str
) -> None:
    # 5 kg keeps every dose a small volume (8 mg/kg = 40 mg = 13.3 mL): only this rule fires.
    text = regimen(LIQUID.format(dose=dose, extra=allow), patient='weight = "5 kg"')
    if outcome in ("error", "never"):
        with pytest.raises(RegimenError) as caught:
            load_plan(write_regimen(text), today=TODAY)
        message = str(caught.value)
        assert "1 problem found" in message
        if outcome == "error":
            assert "is above 2 mg/kg a day, the usual top in the guidelines" in message
            assert 'add allow = ["above-per-weight-ceiling"] to the phase' in message
        else:
            assert "is above 8 mg/kg a day, the highest documented oral regimen" in message
            assert "It cannot be allowed" in message
        return
    plan = load_plan(write_regimen(text), today=TODAY)
    allowed = [w for w in plan.warnings if w.code == "above-per-weight-allowed"]
    assert bool(allowed) is (outcome == "allowed")


def test_the_20_mg_per_kg_slip_of_the_review(errors_of: Callable[[str], str]) -> None:
    # Issue 12 H1: 20 mg/kg of prednisolone for a 35 kg child was "valid" (698 mg, 232.7 mL).
    message = errors_of(
        regimen(LIQUID.format(dose="20 mg/kg", extra=""), patient='weight = "34.9 kg"')
    )
    assert "2 problems found" in message
    assert (
        "phase[1].dose: Prednisolone: 20 mg/kg a day by mouth (days 1–3: 698 mg a day for "
        "34.9 kg, before any cap) is above 8 mg/kg a day" in message
    )
    assert "232.5 mL of 15 mg/5 mL to take at one time, more than 60 mL" in message


def test_per_weight_days_are_not_judged_by_the_adult_5x_rule(
    plan_of: Callable[[str], Plan],
) -> None:
    # 8 mg/kg × 40 kg = 320 mg, over 5 × 60 mg, but a per-kg order answers to its own ceiling.
    plan = plan_of(
        regimen(
            '[[phase]]\ndrug = "prednisolone"\ntablets = ["5 mg"]\ndose = "8 mg/kg"\ndays = 3\n'
            'at = ["08:00"]\nallow = ["above-per-weight-ceiling"]\n',
            patient='weight = "40 kg"',
        )
    )
    assert "above-per-weight-allowed" in codes(plan)
    assert "high-oral-dose-allowed" not in codes(plan)


# -- H1: a single oral liquid dose ------------------------------------------------------------

PREDNISONE_LIQUID = (
    '[[phase]]\ndrug = "prednisone"\nliquid = "5 mg/5 mL"\ndose = "{dose}"\ndays = 2\n'
    'at = ["08:00"]\n{extra}\n'
)


def test_liquid_volume_limit_both_sides(
    plan_of: Callable[[str], Plan], errors_of: Callable[[str], str]
) -> None:
    ok = plan_of(regimen(PREDNISONE_LIQUID.format(dose="60 mg", extra="")))
    assert ok.doses[0].volume_ml == 60 and codes(ok) == []
    message = errors_of(regimen(PREDNISONE_LIQUID.format(dose="60.5 mg", extra="")))
    assert (
        "phase[1].dose: Prednisone 60.5 mg is 60.5 mL of 5 mg/5 mL to take at one time, "
        "more than 60 mL. Check for a 10× or per-kg slip, or use a stronger liquid; if this "
        'volume is intended, add allow = ["large-liquid-volume"] to the phase' in message
    )
    allowed = plan_of(
        regimen(PREDNISONE_LIQUID.format(dose="60.5 mg", extra='allow = ["large-liquid-volume"]'))
    )
    assert "large-liquid-volume-allowed" in codes(allowed)


def test_the_liquid_limit_has_its_reason_in_the_data() -> None:
    liquid = read_data("safety.toml")["liquid"]
    assert liquid["largest_single_dose_ml"] == "60"
    assert "UNCONFIRMED" not in liquid["source"] and "product decision" in liquid["source"]


# -- H1: five times the usual adult daily oral dose -------------------------------------------


@pytest.mark.parametrize(
    ("drug", "dose", "days", "outcome"),
    [
        ("prednisone", "295 mg", 3, "ok"),  # below 5 × 60 mg
        ("prednisone", "300 mg", 3, "error"),  # exactly 5 × the usual
        ("prednisone", "400 mg", 3, "error"),  # the review's adult 400 mg
        ("prednisone", "1250 mg", 5, "ok"),  # the documented pulse (VA; Morrow 2004)
        ("prednisone", "1250 mg", 6, "error"),  # a day longer than documented
        ("methylprednisolone", "238 mg", 3, "ok"),  # below 5 × 48 mg
        ("methylprednisolone", "240 mg", 3, "error"),
        ("methylprednisolone", "1000 mg", 3, "ok"),  # COPOUSEP
        ("methylprednisolone", "500 mg", 5, "ok"),  # NICE NG220
        ("methylprednisolone", "1000 mg", 4, "error"),
    ],
)
def test_five_times_the_usual_oral_dose(
    write_regimen: Callable[..., Path], drug: str, dose: str, days: int, outcome: str
) -> None:
    text = regimen(oral(dose, days, drug=drug))
    if outcome == "error":
        with pytest.raises(RegimenError) as caught:
            load_plan(write_regimen(text), today=TODAY)
        message = str(caught.value)
        assert "times the usual" in message and "and not a documented pulse" in message
        assert 'add allow = ["high-oral-dose"] to the phase' in message
    else:
        plan = load_plan(write_regimen(text), today=TODAY)
        assert "above-usual-dose" in codes(plan)


def test_five_times_the_usual_can_be_allowed(plan_of: Callable[[str], Plan]) -> None:
    plan = plan_of(regimen(oral("400 mg", 3, extra='allow = ["high-oral-dose"]')))
    assert warning(plan, "high-oral-dose-allowed") == (
        "phase[1].dose: Prednisone: 400 mg a day by mouth (days 1–3) is 5 times the usual "
        "60 mg a day or more, and not a documented pulse (1250 mg a day for up to 5 days); "
        'allowed by the prescriber (allow = ["high-oral-dose"])'
    )


# -- H3: the emergency number ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "number", "country"),
    [
        ("America/Chicago", "911", "US"),
        ("America/Toronto", "911", "CA"),
        ("US/Eastern", "911", "US"),  # a link, followed through tzdata.zi
        ("Europe/Stockholm", "112", "SE"),
        ("Europe/Berlin", "112", "DE"),
        ("Europe/London", "999", "GB"),
        ("Australia/Sydney", "000", "AU"),
        ("Pacific/Auckland", "111", "NZ"),
        ("Asia/Kolkata", "112", "IN"),
    ],
)
def test_emergency_number_from_the_zone(
    plan_of: Callable[[str], Plan], zone: str, number: str, country: str
) -> None:
    plan = plan_of(regimen(oral("20 mg", 3), zone=zone))
    assert plan.emergency is not None
    assert (plan.emergency.number, plan.emergency.country) == (number, country)
    assert plan.emergency.source.startswith(f"time zone {zone} (")
    text = render_watch_text(watch_list(plan))
    assert f"== Emergency: call {number} or go to the emergency department ==" in text
    if number != "911":
        assert "911" not in text


def test_a_stockholm_patient_is_never_told_to_call_911(plan_of: Callable[[str], Plan]) -> None:
    plan = plan_of(regimen(oral("20 mg", 3), zone="Europe/Stockholm"))
    patient = pdf_text(plan, "patient")
    assert "911" not in patient
    assert "Emergency: call 112" in patient and "In an emergency: call 112" in patient


# Etc/GMT+5 was here: it is no longer a zone a course may use (not a place, issue 18 item 10).
@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "Asia/Tokyo", "Africa/Casablanca"])
def test_no_confirmed_number_fails_check_with_the_fix(
    errors_of: Callable[[str], str], zone: str
) -> None:
    message = errors_of(regimen(oral("20 mg", 3), zone=zone))
    assert (
        f'care_team.emergency: is missing, and the time zone "{zone}" cannot give the '
        "emergency number" in message
    )
    assert 'such as emergency = "112" in [care_team]' in message


def test_care_team_emergency_wins_and_is_checked(
    plan_of: Callable[[str], Plan], errors_of: Callable[[str], str]
) -> None:
    tokyo = plan_of(
        regimen(oral("20 mg", 3), zone="Asia/Tokyo", team='phone = "1"\nemergency = "119"')
    )
    assert tokyo.emergency is not None
    assert (tokyo.emergency.number, tokyo.emergency.source) == ("119", "care_team.emergency")
    london = plan_of(
        regimen(oral("20 mg", 3), zone="Europe/London", team='phone = "1"\nemergency = "112"')
    )
    assert london.emergency is not None and london.emergency.number == "112"
    assert "emergency-number-unconfirmed" not in codes(london)  # 112 works in the UK too
    # UK 111 is the NHS non-urgent line, not the emergency number.
    message = errors_of(
        regimen(oral("20 mg", 3), zone="Europe/London", team='phone = "1"\nemergency = "111"')
    )
    assert (
        "care_team.emergency: 111 is the NHS non-urgent line in the United Kingdom, not the "
        'emergency number; use emergency = "999"' in message
    )
    assert "911 is not reliably routed in Australia" in errors_of(
        regimen(oral("20 mg", 3), zone="Australia/Perth", team='phone = "1"\nemergency = "911"')
    )
    moved = plan_of(
        regimen(oral("20 mg", 3), zone="Europe/Stockholm", team='phone = "1"\nemergency = "911"')
    )
    assert warning(moved, "emergency-number-unconfirmed").startswith(
        'care_team.emergency: the handouts will print "911", but the emergency number taper '
        "knows for Sweden (time zone Europe/Stockholm) is 112; check it"
    )
    assert 'not an emergency number; write the digits to dial, such as emergency = "999"' in (
        errors_of(regimen(oral("20 mg", 3), team='phone = "1"\nemergency = "nine one one"'))
    )


def test_emergency_data_only_confirmed_countries_with_sources() -> None:
    raw = read_data("emergency.toml")
    iso = {
        line.split("\t")[0]
        for line in zones._tzdata_file("iso3166.tab").splitlines()
        if line and not line.startswith("#")
    }
    assert set(raw["country"]) <= iso
    assert "JP" not in raw["country"]  # LOW confidence in the reference: not encoded
    for code, entry in raw["country"].items():
        assert entry["source"].startswith("clinical-reference-2 §10"), code
        assert entry["number"].isdigit()
    # Every zone in zone.tab maps to its country; nothing else is invented.
    countries = emergency.zone_countries()
    for line in zones._tzdata_file("zone.tab").splitlines():
        if line and not line.startswith("#"):
            code, _, name = line.split("\t")[:3]
            assert countries[name] == code
    assert emergency.country_of("UTC") is None


# -- M3: a care team without a phone -----------------------------------------------------------


def test_no_phone_warns_and_the_handout_asks_for_the_number(
    plan_of: Callable[[str], Plan],
) -> None:
    plan = plan_of(regimen(oral("20 mg", 3), team='clinic = "MS Center"'))
    assert warning(plan, "no-clinic-phone") == (
        "care_team.phone: the care team has no phone number: the handouts cannot say whom to "
        'call about a problem. Add it in [care_team], such as phone = "212-555-0100"'
    )
    patient = pdf_text(plan, "patient")
    assert "Call your clinic" not in patient and "call the clinic." not in patient
    assert "Your care team's phone number is not on this plan. Ask for it, and write it here" in (
        patient
    )
    with_phone = plan_of(regimen(oral("20 mg", 3)))
    assert "no-clinic-phone" not in codes(with_phone)
    assert "Call the clinic at 212-555-0100." in pdf_text(with_phone, "patient")


# -- M4: depot injections ----------------------------------------------------------------------

DEPOT = (
    '[[phase]]\ndrug = "triamcinolone"\nroute = "im"\ngiven_by = "staff"\ndose = "60 mg"\n'
    'days = 1\nat = ["10:00"]\n'
)


def test_depot_has_no_prednisone_equivalent_and_a_6_week_watch(
    plan_of: Callable[[str], Plan],
) -> None:
    plan = plan_of(regimen(DEPOT))
    total = plan.totals[0]
    assert (total.prednisone_equivalent_mg, total.equivalence_note) == (None, "depot")
    assert total_rows(plan) == [("Triamcinolone", "60 mg", "not applicable (depot injection)")]
    pharmacist = pdf_text(plan, "pharmacist")
    assert "not applicable (depot injection)" in pharmacist
    watch = watch_list(plan)
    group = watch.groups[0]
    assert group.label == (
        "Days 1–42, triamcinolone (depot injection: it keeps working for about 6 weeks)"
    )
    assert (group.first_day, group.last_day) == (1, 42)
    assert "A fever, chills or other signs of an infection." in [i.text for i in group.items]


def test_an_injection_into_a_muscle_that_is_not_a_depot(plan_of: Callable[[str], Plan]) -> None:
    plan = plan_of(
        regimen(
            '[[phase]]\ndrug = "dexamethasone"\nroute = "im"\ngiven_by = "staff"\n'
            'dose = "8 mg"\ndays = 1\nat = ["10:00"]\n'
        )
    )
    assert plan.totals[0].equivalence_note == "im"
    assert total_rows(plan) == [
        ("Dexamethasone", "8 mg", "not applicable (injection into a muscle)")
    ]
    assert watch_list(plan).groups[0].last_day == 1


# -- M6: liquids rounded once, to a volume a syringe measures ---------------------------------


@pytest.mark.parametrize(
    ("volume", "measured"),
    [
        ("0.996", "1"),  # ≤ 1 mL: 0.01 mL marks
        ("0.994", "0.99"),
        ("1.04", "1"),  # ≤ 5 mL: 0.1 mL marks
        ("4.96", "5"),
        ("5.05", "5"),  # ≤ 10 mL: 0.2 mL marks
        ("6.667", "6.6"),
        ("10", "10"),
        ("10.1", "10"),  # above 10 mL: 0.5 mL marks
        ("23.267", "23.5"),  # the review's 23.3 mL
    ],
)
def test_syringe_volumes(volume: str, measured: str) -> None:
    assert measured_volume(D(volume)) == D(measured)


def test_a_per_kg_liquid_dose_is_rounded_once(plan_of: Callable[[str], Plan]) -> None:
    plan = plan_of(regimen(LIQUID.format(dose="2 mg/kg", extra=""), patient='weight = "34.9 kg"'))
    dose = plan.doses[0]
    # 2 mg/kg × 34.9 kg = 69.8 mg = 23.267 mL; measured 23.5 mL, which holds 70.5 mg.
    assert (dose.amount, dose.volume_ml) == (D("70.5"), D("23.5"))
    assert warning(plan, "per-kg-rounded").endswith("measure 23.5 mL, which is 70.5 mg")
    assert "volume-rounded" not in codes(plan)


# -- IV push -------------------------------------------------------------------------------------


def test_dexamethasone_iv_is_an_injection(plan_of: Callable[[str], Plan]) -> None:
    push = plan_of(
        regimen(
            '[[phase]]\ndrug = "dexamethasone"\nroute = "iv"\ndose = "6 mg"\ndays = 3\n'
            'at = ["09:00"]\n'
        )
    )
    assert codes(push) == []  # no infusion-length-missing
    assert (
        dose_instructions(push.doses[0], words_of(push))
        == "Dexamethasone 6 mg injection into a vein."
    )
    texts = [i.text for g in watch_list(push).groups for i in g.items]
    assert not [t for t in texts if "metal taste" in t]
    assert "drip" not in pdf_text(push, "patient").replace("IV drip)", "")
    drip = plan_of(regimen(iv("6 mg", 3, drug="dexamethasone")))
    assert dose_instructions(drip.doses[0], words_of(drip)).startswith(
        "Dexamethasone 6 mg infusion over 1 h"
    )
    no_length = plan_of(
        regimen(
            '[[phase]]\ndrug = "methylprednisolone"\nroute = "iv"\ndose = "1 g"\ndays = 3\n'
            'at = ["09:00"]\n'
        )
    )
    assert codes(no_length) == ["infusion-length-missing"]


# -- issue 11 item 5: given_by, vial, injector --------------------------------------------------

ACTH = (
    '[[phase]]\ndrug = "acth"\nroute = "{route}"\nliquid = "80 units/mL"\ndose = "{dose}"\n'
    'days = 14\nat = ["09:00"]\n{extra}\n'
)


@pytest.mark.parametrize(
    ("extra", "route", "message"),
    [
        (
            "",
            "sc",
            "phase[1].given_by: is missing; an injection under the skin (sc) may be given by "
            'staff, the patient or a caregiver: say who, such as given_by = "patient"',
        ),
        (
            "",
            "im",
            "phase[1].given_by: is missing; an injection into a muscle (im) may be given",
        ),
        ('given_by = "nurse"', "sc", 'phase[1].given_by: unknown giver "nurse"; use one of'),
        (
            'given_by = "patient"\nvial = "5 mL"\ninjector = "80 units"',
            "sc",
            "phase[1]: gives both vial and injector",
        ),
        (
            'given_by = "patient"\nvial = "five"',
            "sc",
            'phase[1].vial: "five" is not a vial volume; write it in mL, such as "5 mL"',
        ),
        (
            'given_by = "patient"\ninjector = "80 units"',
            "im",
            "phase[1].injector: ACTH gel injectors are for sc only (route here: im)",
        ),
        (
            'given_by = "patient"\ninjector = "60 units"',
            "sc",
            "phase[1].injector: ACTH gel injectors come as 40 units or 80 units",
        ),
    ],
)
def test_given_by_vial_and_injector_errors(
    errors_of: Callable[[str], str], extra: str, route: str, message: str
) -> None:
    assert message in errors_of(regimen(ACTH.format(route=route, dose="80 units", extra=extra)))


def test_vial_needs_a_liquid_and_an_injection(errors_of: Callable[[str], str]) -> None:
    no_liquid = (
        '[[phase]]\ndrug = "acth"\nroute = "sc"\ngiven_by = "patient"\nvial = "5 mL"\n'
        'dose = "80 units"\ndays = 3\nat = ["09:00"]\n'
    )
    assert (
        "phase[1].vial: a vial needs the strength of its liquid to count vials; add it, such "
        'as liquid = "80 units/mL"' in errors_of(regimen(no_liquid))
    )
    oral_vial = regimen(
        LIQUID.format(dose="10 mg", extra='vial = "5 mL"'), patient='weight = "20 kg"'
    )
    assert "phase[1].vial: vials are for injections and infusions" in errors_of(oral_vial)
    iv_injector = regimen(iv("1 g", 3, extra='injector = "80 units"'))
    assert "phase[1].injector: an injector is for injections under the skin (sc)" in errors_of(
        iv_injector
    )
    procedure = (
        '[[phase]]\ndrug = "plasma exchange"\nroute = "procedure"\nsessions = 3\nevery = 2\n'
        'at = ["09:00"]\ngiven_by = "patient"\n'
    )
    assert 'phase[1].given_by: a procedure is done by staff; set given_by = "staff"' in (
        errors_of(regimen(procedure))
    )


def test_injector_doses_must_be_whole_injectors(errors_of: Callable[[str], str]) -> None:
    text = regimen(
        ACTH.format(
            route="sc", dose="120 units", extra='given_by = "patient"\ninjector = "80 units"'
        )
    )
    assert (
        "phase[1].dose: 120 units cannot be given with 80 units injectors (one dose each, no "
        "part doses)" in errors_of(text)
    )


def test_given_by_defaults_and_where_it_shows(plan_of: Callable[[str], Plan]) -> None:
    oral_plan = plan_of(
        regimen(oral("20 mg", 3) + iv("1 g", 3).replace("[[phase]]", "[[phase]]\nstart_day = 4"))
    )
    assert [p.given_by for p in oral_plan.phases] == ["patient", "staff"]
    home = plan_of(regimen(ACTH.format(route="sc", dose="80 units", extra='given_by = "patient"')))
    assert home.phases[0].given_by == "patient"
    assert appointments(home) == []  # nothing for the nurse to give
    pharmacist = pdf_text(home, "pharmacist")
    assert "Given by the patient at home." in pharmacist and "Administered by staff" not in (
        pharmacist
    )
    assert "ACTH gel is injected at home by the patient" in pharmacist
    clinic = plan_of(regimen(ACTH.format(route="sc", dose="80 units", extra='given_by = "staff"')))
    assert len(appointments(clinic)) == 14
    assert "Administered by staff." in pdf_text(clinic, "pharmacist")


@pytest.mark.parametrize(
    ("dose", "container", "count", "row"),
    [
        (
            "80 units",
            'vial = "5 mL"',
            3,
            ("ACTH gel", "5 mL vials, 80 units/mL", "3 vials (the doses use 14 mL)"),
        ),
        # 1.5 mL a dose: 3 doses a 5 mL vial (0.5 mL left), 14 doses → 5 vials.
        (
            "120 units",
            'vial = "5 mL"',
            5,
            ("ACTH gel", "5 mL vials, 80 units/mL", "5 vials (the doses use 21 mL)"),
        ),
        (
            "80 units",
            'injector = "80 units"',
            14,
            (
                "ACTH gel",
                "80 units injectors, 80 units/mL",
                "14 injectors (the doses use 14 × 80 units)",
            ),
        ),
        (
            "80 units",
            'injector = "40 units"',
            28,
            (
                "ACTH gel",
                "40 units injectors, 80 units/mL",
                "28 injectors (the doses use 28 × 40 units)",
            ),
        ),
    ],
)
def test_whole_vials_and_injectors_are_dispensed(
    plan_of: Callable[[str], Plan],
    dose: str,
    container: str,
    count: int,
    row: tuple[str, str, str],
) -> None:
    plan = plan_of(
        regimen(ACTH.format(route="sc", dose=dose, extra=f'given_by = "patient"\n{container}'))
    )
    assert [line.count for line in plan.containers] == [count]
    assert plan.liquids == ()  # never "21 mL" to dispense
    assert dispense_rows(plan) == [row]
    assert row[2] in pdf_text(plan, "pharmacist")


# -- issue 11 item 8: [[watch]] ------------------------------------------------------------------

GCA = (
    '[[watch]]\ntier = "emergency"\n'
    'text = "Sudden loss of vision: go to the emergency department."\n'
)
W = '[[watch]]\ntier = "call"\ntext = "x"\n'


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('[[watch]]\ntier = "urgent"\ntext = "x"\n', 'watch[1].tier: unknown tier "urgent"'),
        ('[[watch]]\ntier = "call"\n', "watch[1].text: is missing; say what to watch for"),
        ('[[watch]]\ntext = "x"\n', "watch[1].tier: is missing; say which: emergency, now, call"),
        (W + 'during = ["Tapr"]\n', 'no phase is named "Tapr"; did you mean "Taper"?'),
        (W + 'during = ["Taper"]\ndays = [1]\n', "watch[1]: give during (phase names) or days"),
        (W + "days = [0]\n", "watch[1].days[1]: expected a course day from 1 to"),
        (W + "days = [4]\n", "watch[1].days[1]: course day 4 is after the last dose (day 3)"),
        (W + "when = [1]\n", 'watch[1].when: unknown key "when"'),
        (f'[[watch]]\ntier = "call"\ntext = "{"x" * 301}"\n', "watch[1].text: is 301 characters"),
    ],
)
def test_watch_entry_errors(errors_of: Callable[[str], str], entry: str, message: str) -> None:
    phase = oral("20 mg", 3).replace("[[phase]]", '[[phase]]\nname = "Taper"')
    assert message in errors_of(regimen(phase, extra=entry))


def test_prescriber_watch_items_print_everywhere(plan_of: Callable[[str], Plan]) -> None:
    phases = oral("40 mg", 3).replace("[[phase]]", '[[phase]]\nname = "Start"') + oral(
        "20 mg", 3
    ).replace("[[phase]]", '[[phase]]\nname = "Taper"')
    extra = (
        GCA
        + '[[watch]]\ntier = "call"\ntext = "New jaw pain when you chew."\nduring = ["Taper"]\n'
        + '[[watch]]\ntier = "expected"\ntext = "Some tiredness."\ndays = [1, 2, 5]\n'
    )
    plan = plan_of(regimen(phases, extra=extra))
    assert [(w.tier, w.days) for w in plan.watch] == [
        ("emergency", (1, 2, 3, 4, 5, 6)),
        ("call", (4, 5, 6)),
        ("expected", (1, 2, 5)),
    ]
    watch = watch_list(plan)
    labels = [g.label for g in watch.groups]
    assert "Days 1–6, from your care team" in labels
    assert "Days 4–6, from your care team" in labels
    assert "Days 1–2, from your care team" in labels and "Day 5, from your care team" in labels
    tiers = watch.by_tier()
    assert "Sudden loss of vision: go to the emergency department." in [
        i.text for i in tiers["emergency"]
    ]
    assert "New jaw pain when you chew." in [i.text for i in tiers["call"]]
    text = render_watch_text(watch)
    assert "  emergency: Sudden loss of vision: go to the emergency department." in text
    from taper.voice.watch import reminder_line

    assert reminder_line(plan, plan.doses[0]) == (
        "Emergency, call 911: Sudden loss of vision: go to the emergency department."
    )
    assert "New jaw pain when you chew." in pdf_text(plan, "patient")
    import json

    from taper.export.json import render_json

    document = json.loads(render_json(plan))
    assert document["watch"][1] == {
        "tier": "call",
        "text": "New jaw pain when you chew.",
        "days": [4, 5, 6],
    }
    assert document["emergency"]["number"] == "911"


def test_home_injections_are_not_supplied_to_the_unit(plan_of: Callable[[str], Plan]) -> None:
    from taper.voice.staff import staff_supply_rows

    at_home = (
        '[[phase]]\ndrug = "acth"\nroute = "sc"\ngiven_by = "caregiver"\ninjector = "80 units"\n'
        'dose = "80 units"\ndays = 5\nat = ["09:00"]\n'
    )
    plan = plan_of(regimen(at_home))
    assert staff_supply_rows(plan) == []
    assert dispense_rows(plan) == [
        ("ACTH gel", "80 units injectors", "5 injectors (the doses use 5 × 80 units)")
    ]
    # Staff give it from whole injectors: dispensed once, in the Dispense table.
    clinic = plan_of(regimen(at_home.replace('"caregiver"', '"staff"')))
    assert staff_supply_rows(clinic) == []
    assert dispense_rows(clinic) == dispense_rows(plan)
    loose = plan_of(regimen(at_home.replace('"caregiver"', '"staff"').replace("injector", "#")))
    assert [row[3] for row in staff_supply_rows(loose)] == ["5"]


@pytest.mark.parametrize(
    "name", sorted(p.stem for p in (Path(__file__).parent.parent / "templates").glob("*.toml"))
)
def test_templates_in_london_print_999_and_never_911(tmp_path: Path, name: str) -> None:
    from taper.read.templates import render_template

    text = render_template(
        name, start=date(2026, 12, 1), weight="70 kg", height="170 cm", timezone="Europe/London"
    )
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    plan = load_plan(path, today=TODAY)
    patient = pdf_text(plan, "patient")
    assert "911" not in patient and "Emergency: call 999" in patient
    assert "Call your clinic" not in patient


# The format issue brings mg/m² doses; the per-weight ceiling already knows them (60 mg/m² a
# day unless allowed; never above 8 mg/kg a day). Checked here on the engine's own records.


class _FakeEngine:
    def __init__(self, weight: D) -> None:
        from types import SimpleNamespace

        self.regimen = SimpleNamespace(weight_kg=weight)
        self.problems: list[tuple[str, str]] = []
        self.warnings: list[tuple[str, str, str]] = []

    def problem(self, place: str, message: str) -> None:
        self.problems.append((place, message))

    def warn(self, code: str, message: str, place: str = "") -> None:
        self.warnings.append((code, message, place))


@pytest.mark.parametrize(
    ("per_m2", "bsa", "allow", "outcome"),
    [
        ("60", "0.8", (), "ok"),  # KDIGO: 60 mg/m² (20 kg, 0.8 m²) = 48 mg
        ("61", "0.8", (), "error"),
        ("61", "0.8", ("above-per-weight-ceiling",), "allowed"),
        ("250", "0.8", ("above-per-weight-ceiling",), "never"),  # 200 mg: 10 mg/kg for 20 kg
    ],
)
def test_per_m2_ceiling(per_m2: str, bsa: str, allow: tuple[str, ...], outcome: str) -> None:
    # The engine's own records, as the format's mg/m² doses make them (Basis: ordered × BSA).
    from types import SimpleNamespace

    from taper.checks.safety import _check_per_weight
    from taper.read.catalogue import find_drug
    from taper.records.plan import Basis

    uncapped = D(per_m2) * D(bsa)
    basis = Basis(D(per_m2), "mg/m2", D(bsa), uncapped, "mg")
    phase = SimpleNamespace(drug=find_drug("prednisolone"), allow=allow, place="phase[1]")
    engine = _FakeEngine(D(20))
    items = [
        SimpleNamespace(
            dose=SimpleNamespace(route="oral", amount=uncapped, unit="mg", day=day, basis=basis),
            phase=phase,
            place="phase[1].dose",
        )
        for day in (1, 2)
    ]
    _check_per_weight(engine, items)  # type: ignore[arg-type]
    if outcome == "ok":
        assert engine.problems == [] and engine.warnings == []
    elif outcome == "error":
        assert engine.problems[0][1].startswith(
            "Prednisolone by mouth (days 1–2): 61 mg/m² a day is above 60 mg/m² a day"
        )
    elif outcome == "allowed":
        assert [w[0] for w in engine.warnings] == ["above-per-weight-allowed"]
    else:
        assert "is above 8 mg/kg a day" in engine.problems[0][1]


def test_a_cap_does_not_hide_a_10x_per_kg_slip(errors_of: Callable[[str], str]) -> None:
    # 20 mg/kg capped at 60 mg gives a sane 60 mg, but the order is still a slip.
    text = regimen(
        LIQUID.format(dose="20 mg/kg", extra='max = "60 mg"'), patient='weight = "34.9 kg"'
    )
    assert "20 mg/kg a day by mouth (days 1–3: 698 mg a day for 34.9 kg, before any cap)" in (
        errors_of(text)
    )


def test_a_capped_liquid_dose_is_measured_under_its_cap(plan_of: Callable[[str], Plan]) -> None:
    # 2 mg/kg × 34.9 kg = 69.8 mg, capped at 68.9 mg = 22.967 mL; a 0.5 mL mark above 10 mL
    # rounds that to 23 mL (69 mg), above the cap: one mark lower, 22.5 mL (67.5 mg).
    plan = plan_of(
        regimen(
            LIQUID.format(dose="2 mg/kg", extra='max = "68.9 mg"'), patient='weight = "34.9 kg"'
        )
    )
    dose = plan.doses[0]
    assert (dose.amount, dose.volume_ml) == (D("67.5"), D("22.5"))
    assert all(d.amount is not None and d.amount <= D("68.9") for d in plan.doses)


def test_a_pregnant_ms_patients_handout(plan_of: Callable[[str], Plan]) -> None:
    # H7, clinical-reference-2 §9: never "keep taking your usual MS medicine"; obstetric red
    # flags in a tier that means now, not "call the clinic today".
    plan = plan_of(regimen(iv("1 g", 3), patient='conditions = ["ms-relapse", "pregnancy"]'))
    patient = pdf_text(plan, "patient")
    assert "Keep taking your usual MS medicine" not in patient
    assert "Ask your MS team before your next dose of any MS medicine." in patient
    now = patient.index("Call now, day or night")
    emergency = patient.index("Emergency: call 911")
    assert now < patient.index("Any bleeding or spotting") < emergency
    assert emergency < patient.index("Heavy bleeding from your vagina, or passing clots.")
    call = patient.index("Call the clinic today")
    assert not call < patient.index("your maternity unit") < now
