"""Safety warnings and dose errors (taper/safety.py): each fires where it should, and only there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from taper.errors import RegimenError
from taper.plan import Plan
from taper.schedules import load_plan

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
        return load_plan(write_regimen(text), today=TODAY)

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
    assert "more than prednisone 5 mg a day (or its equivalent) on 30 days" in message
    assert "more than 40 mg on 0 days" in message
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
    assert "more than 40 mg on 8 days" in warning(plan, "adrenal")
    assert "adrenal" not in codes(plan_of(course(iv("1 g", 3) + oral("60 mg", 4))))


def test_adrenal_counts_alternate_day_courses_at_their_daily_average(
    plan_of: Callable[[str], Plan],
) -> None:
    # 40 mg every other day for 30 days is 20 mg a day for a month: suppressive
    plan = plan_of(course(oral("40 mg", 30, extra="every = 2")))
    assert "on 30 days and more than 40 mg on 0 days" in warning(plan, "adrenal")
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
    plan = plan_of(course(oral("100 mg", 2, drug="Ocrelizumab", extra='tablets = ["100 mg"]')))
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
