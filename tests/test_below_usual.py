"""Below the usual range (issue 18, item 9): a downward g/mg slip ("1 mg" IV methylprednisolone
meant 1 g) is caught, with data and sources in taper/data/safety.toml ([[lowest]]). Each boundary
is tested on both sides: the floor itself passes, just below does not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from taper.api import load as load_plan
from taper.read.catalogue import read_data
from taper.read.errors import RegimenError
from taper.records.plan import Plan

TODAY = date(2026, 11, 22)
ROOT = Path(__file__).parent.parent


def course(phase: str, *, patient: str = "") -> str:
    return (
        'start = 2026-12-01\ntimezone = "America/New_York"\n[care_team]\nphone = "212-555-0100"\n'
        f"[patient]\n{patient}\n{phase}"
    )


def iv(dose: str, *, drug: str = "methylprednisolone", extra: str = "") -> str:
    return (
        f'[[phase]]\ndrug = "{drug}"\nroute = "iv"\ndose = "{dose}"\ndays = 3\n'
        f'at = ["09:00"]\nduration = "1 h"\n{extra}\n'
    )


def acth(dose: str, route: str = "sc") -> str:
    return (
        f'[[phase]]\ndrug = "acth"\nroute = "{route}"\nliquid = "80 units/mL"\n'
        f'given_by = "staff"\ndose = "{dose}"\ndays = 5\nat = ["09:00"]\n'
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
        return " ".join(str(caught.value).split())

    return build


def below(plan: Plan) -> list[str]:
    return [w.code for w in plan.warnings if w.code.startswith("below-usual")]


def test_iv_methylprednisolone_1_mg_meant_1_g_is_an_error(errors_of) -> None:  # type: ignore[no-untyped-def]
    message = errors_of(course(iv("1 mg")))
    assert "phase[1].dose: Methylprednisolone: 1 mg a day IV (days 1–3) is below the usual" in (
        message
    )
    assert "10 mg a day" in message
    assert 'allow = ["below-usual-dose"]' in message


def test_iv_methylprednisolone_floor_both_sides(plan_of, errors_of) -> None:  # type: ignore[no-untyped-def]
    assert below(plan_of(course(iv("10 mg")))) == []
    assert "is below the usual 10 mg a day" in errors_of(course(iv("9.9 mg")))


def test_iv_methylprednisolone_child_floor_is_per_kg(plan_of, errors_of) -> None:  # type: ignore[no-untyped-def]
    """The label's floor for children: not less than 0.5 mg/kg every 24 hours (10 kg: 5 mg)."""
    child = 'weight = "10 kg"'
    assert below(plan_of(course(iv("5 mg"), patient=child))) == []
    message = errors_of(course(iv("4.9 mg"), patient=child))
    assert "is below the usual 0.5 mg/kg a day (5 mg for 10 kg)" in message
    # a heavier patient: the label's adult floor, 10 mg, is the lower one
    adult = 'weight = "70 kg"'
    assert below(plan_of(course(iv("10 mg"), patient=adult))) == []
    assert "below the usual 10 mg a day" in errors_of(course(iv("9 mg"), patient=adult))


def test_a_divided_day_counts_as_its_total(plan_of, errors_of) -> None:  # type: ignore[no-untyped-def]
    two = course(iv("5 mg").replace('at = ["09:00"]', 'at = ["09:00", "21:00"]'))
    assert below(plan_of(two)) == []
    less = course(iv("4 mg").replace('at = ["09:00"]', 'at = ["09:00", "21:00"]'))
    assert "8 mg a day IV" in errors_of(less)


def test_allow_below_usual_dose_turns_the_error_into_a_warning(plan_of) -> None:  # type: ignore[no-untyped-def]
    plan = plan_of(course(iv("1 mg", extra='allow = ["below-usual-dose"]')))
    assert below(plan) == ["below-usual-allowed"]
    (allowed,) = [w for w in plan.warnings if w.code == "below-usual-allowed"]
    assert "allowed by the prescriber" in allowed.message


def test_the_upper_slip_is_still_caught(errors_of) -> None:  # type: ignore[no-untyped-def]
    assert "above the highest documented" in errors_of(course(iv("10 g")))


def test_iv_dexamethasone_below_half_a_mg_warns(plan_of) -> None:  # type: ignore[no-untyped-def]
    """The label says lower doses may suffice: UNCONFIRMED as a floor, so a warning only."""
    assert below(plan_of(course(iv("0.5 mg", drug="dexamethasone")))) == []
    plan = plan_of(course(iv("0.4 mg", drug="dexamethasone")))
    assert below(plan) == ["below-usual-dose"]


@pytest.mark.parametrize("route", ["sc", "im"])
def test_acth_below_40_units_warns(plan_of, route: str) -> None:  # type: ignore[no-untyped-def]
    assert below(plan_of(course(acth("40 units", route)))) == []
    plan = plan_of(course(acth("32 units", route)))
    assert below(plan) == ["below-usual-dose"]
    (found,) = [w for w in plan.warnings if w.code == "below-usual-dose"]
    assert "32 units a day" in found.message and "40 units a day" in found.message


def test_ivig_below_0_4_g_per_kg_warns(plan_of) -> None:  # type: ignore[no-untyped-def]
    weight = 'weight = "50 kg"'
    assert below(plan_of(course(iv("0.4 g/kg", drug="ivig"), patient=weight))) == []
    plan = plan_of(course(iv("0.3 g/kg", drug="ivig"), patient=weight))
    assert below(plan) == ["below-usual-dose"]
    (found,) = [w for w in plan.warnings if w.code == "below-usual-dose"]
    assert "0.4 g/kg a day (20 g for 50 kg)" in found.message


def test_oral_tapers_have_no_floor(plan_of) -> None:  # type: ignore[no-untyped-def]
    taper = '[[phase]]\ndrug = "prednisone"\ndose = "1 mg"\ndays = 3\nat = ["08:00"]\n'
    assert below(plan_of(course(taper))) == []


def test_every_floor_has_a_source_and_only_confirmed_ones_are_errors() -> None:
    for entry in read_data("safety.toml")["lowest"]:
        assert entry["source"].strip(), entry
        if "UNCONFIRMED" in entry["source"]:
            assert entry["error"] is False, entry


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "templates").glob("*.toml")))
def test_no_template_is_below_the_usual_range(name: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from taper.cli import main

    regimen = tmp_path / "r.toml"
    made = CliRunner().invoke(
        main,
        [
            "new",
            name,
            "-o",
            str(regimen),
            "--start",
            "2027-01-04",
            "--timezone",
            "America/New_York",
            "--weight",
            "20 kg",
            "--height",
            "115 cm",
        ],
    )
    assert made.exit_code == 0, made.output
    try:
        plan = load_plan(regimen, today=TODAY)
    except RegimenError as err:
        assert "below the usual" not in str(err)
        return
    assert below(plan) == []


# -- the class: for any IV methylprednisolone day, the check fires exactly below the floor ------

from decimal import Decimal  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    tenths=st.integers(min_value=1, max_value=400),  # 0.1 mg to 40 mg a dose
    doses=st.sampled_from([1, 2, 4]),
    weight=st.one_of(st.none(), st.integers(min_value=3, max_value=90)),
)
def test_iv_methylprednisolone_fires_exactly_below_the_floor(
    write_regimen: Callable[..., Path], tenths: int, doses: int, weight: int | None
) -> None:
    dose = Decimal(tenths) / 10
    times = ", ".join(f'"{hour:02d}:00"' for hour in (8, 14, 20, 2)[:doses])
    phase = iv(f"{dose} mg").replace('at = ["09:00"]', f"at = [{times}]")
    patient = f'weight = "{weight} kg"' if weight is not None else ""
    floor = Decimal(10) if weight is None else min(Decimal(10), Decimal("0.5") * weight)
    text = course(phase, patient=patient)
    try:
        plan = load_plan(write_regimen(text), today=TODAY)
    except RegimenError as err:
        assert "below the usual" in str(err)
        assert dose * doses < floor
        return
    assert dose * doses >= floor, [w.code for w in plan.warnings]


def test_a_series_starting_late_in_the_day_is_judged_by_its_daily_rate(plan_of) -> None:  # type: ignore[no-untyped-def]
    # 2 mg every 4 hours is 12 mg a day, above the 10 mg floor, although the first calendar day
    # (from 22:00) holds a single 2 mg dose: a part-day is not a slip.
    series = '[[phase]]\ndrug = "methylprednisolone"\nroute = "iv"\ndose = "2 mg"\n'
    series += 'every = "4h"\nat = ["22:00"]\ndays = 2\nduration = "30 min"\n'
    assert below(plan_of(course(series))) == []
    # and 1 mg every 4 hours (6 mg a day) is still caught
    assert below(plan_of(course(series.replace("2 mg", "1 mg") + 'allow = ["below-usual-dose"]\n')))
