"""The schedule engine through its public functions: regimens in, plans out."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from taper.api import load as load_plan
from taper.read.errors import RegimenError
from taper.records.plan import Plan
from taper.records.tablets import tablets_for
from taper.voice.doses import dose_instructions
from taper.voice.words import words_of

REGIMENS = Path(__file__).parent / "regimens"
D = Decimal


def plan_of(path: Path) -> Plan:
    return load_plan(path, today=date(2026, 11, 21))


def header(body: str, zone: str = "America/New_York", start: str = "2026-12-01") -> str:
    return f'start = {start}\ntimezone = "{zone}"\n\n{body}'


# -- tablets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dose", "strengths", "split", "expected"),
    [
        ("60", ["25", "20"], False, [("20", "3")]),  # greedy would take 2 × 25 and fail
        ("1250", ["1", "2.5", "5", "10", "20", "50"], False, [("50", "25")]),
        ("70", ["20", "10", "5"], False, [("20", "3"), ("10", "1")]),
        ("15", ["10"], True, [("10", "1.5")]),
        ("7.5", ["5", "2.5"], False, [("5", "1"), ("2.5", "1")]),
        ("0.75", ["0.5", "0.75", "1"], False, [("0.75", "1")]),
        ("24", ["16", "8", "4"], False, [("16", "1"), ("8", "1")]),
    ],
)
def test_tablets_fewest_then_fewest_strengths(
    dose: str, strengths: list[str], split: bool, expected: list[tuple[str, str]]
) -> None:
    result = tablets_for(D(dose), tuple(D(s) for s in strengths), split)
    assert result == tuple((D(s), D(c)) for s, c in expected)


def test_tablets_that_cannot_make_a_dose() -> None:
    assert tablets_for(D(7), (D(5),), False) is None
    assert tablets_for(D("2.5"), (D(10),), True) is None  # a quarter tablet is never made
    assert tablets_for(D(5000), (D(20),), False) is None  # 250 tablets at once: refused


# -- the contract's example -----------------------------------------------------------------


def test_pulse_then_taper_plan() -> None:
    plan = plan_of(REGIMENS / "pulse-then-taper.toml")
    assert (plan.start, plan.end, plan.length) == (date(2026, 12, 1), date(2026, 12, 19), 19)
    assert [(p.name, p.first_day, p.last_day) for p in plan.phases] == [
        ("Pulse", 1, 3),
        ("Taper", 4, 19),
    ]
    pulse = plan.days[0].doses[0]
    assert (pulse.time, pulse.drug, pulse.route, pulse.amount, pulse.unit) == (
        "09:00",
        "methylprednisolone",
        "iv",
        D(1),
        "g",
    )
    assert pulse.duration_min == 60
    assert dose_instructions(pulse, words_of(plan)) == (
        "Methylprednisolone 1 g infusion over 1 h at Infusion center, 3rd floor."
    )
    day4 = plan.days[3].doses[0]
    assert (
        dose_instructions(day4, words_of(plan))
        == "Take 3 × 20 mg tablets (60 mg) by mouth, with food."
    )
    assert day4.starts == datetime(2026, 12, 4, 8, 0, tzinfo=ZoneInfo("America/New_York"))
    assert [(str(line.strength), str(line.count)) for line in plan.dispense] == [
        ("20", "24"),
        ("10", "4"),
    ]
    assert {t.drug: (t.amount, t.unit) for t in plan.totals} == {
        "methylprednisolone": (D(3), "g"),
        "prednisone": (D(520), "mg"),
    }
    checks = [e for day in plan.days for e in day.events]
    assert len(checks) == 19 * 2 and {e.time for e in checks} == {"12:30", "18:00"}


def test_dose_pack_divided_doses() -> None:
    plan = plan_of(REGIMENS / "dose-pack.toml")
    daily = [sum((d.amount or 0 for d in day.doses), D(0)) for day in plan.days]
    assert daily == [D(24), D(20), D(16), D(12), D(8), D(4)]
    assert sum(line.count for line in plan.dispense) == 21  # the 21-tablet pack
    assert [d.time for d in plan.days[0].doses] == ["08:00", "12:30", "18:00", "22:00"]
    assert [d.slot for d in plan.days[0].doses] == ["breakfast", "lunch", "supper", "bedtime"]
    assert [w.code for w in plan.warnings] == ["evening-dose"]


def test_alternate_days_keep_off_days_in_the_plan() -> None:
    plan = plan_of(REGIMENS / "alternate-day.toml")
    assert plan.length == 37
    dosed = [day.day for day in plan.days if day.doses]
    assert dosed == [*range(1, 8), *range(8, 38, 2)]
    assert plan.days[8].doses == () and plan.days[8].phases == ("Alternate days",)
    # Kolkata is UTC+05:30: the date in the plan is the local date, never shifted.
    first = plan.days[0].doses[0]
    assert first.date == date(2027, 1, 4)
    assert first.starts.astimezone(UTC) == datetime(2027, 1, 4, 2, 30, tzinfo=UTC)


def test_percent_taper_steps_down_by_makeable_doses() -> None:
    plan = plan_of(REGIMENS / "percent-taper.toml")
    steps = [step.doses[0].amount for step in plan.phases[0].steps]
    # 60 → 45 → 33.75≈34 → 25.5≈25 (tie to lower) → 19 → 14 → 10.5≈10 → 7.5≈7 → 5
    assert steps == [D(60), D(45), D(34), D(25), D(19), D(14), D(10), D(7), D(5)]
    assert all(a > b for a, b in itertools.pairwise(steps))
    assert plan.length == len(steps) * 3


def test_per_kg_liquid_gives_a_measurable_volume() -> None:
    plan = plan_of(REGIMENS / "liquid.toml")
    dose = plan.days[0].doses[0]
    assert plan.patient.weight_kg == D(20)  # 44 lb
    # Rounded once (M6): 20 mg is 6.667 mL; a 10 mL syringe measures 6.6 mL (0.2 mL marks,
    # data/safety.toml), and the dose is what 6.6 mL holds: 19.8 mg.
    assert (dose.amount, dose.unit, dose.volume_ml) == (D("19.8"), "mg", D("6.6"))
    assert (
        dose_instructions(dose, words_of(plan))
        == "Measure 6.6 mL of the 15 mg/5 mL liquid (19.8 mg) and take it by mouth."
    )
    assert [w.code for w in plan.warnings] == ["per-kg-rounded"]
    assert plan.warnings[0].message == (
        "1 mg/kg × 20 kg = 20 mg: 6.667 mL of 15 mg/5 mL; measure 6.6 mL, which is 19.8 mg"
    )
    assert plan.liquids[0].volume_ml == D("33")


def test_procedures_sessions_and_per_kg_infusion() -> None:
    plan = plan_of(REGIMENS / "procedures.toml")
    sessions = [d for d in plan.doses if d.drug == "plasma-exchange"]
    assert [(d.day, d.session, d.sessions) for d in sessions] == [
        (1, 1, 5),
        (3, 2, 5),
        (5, 3, 5),
        (7, 4, 5),
        (9, 5, 5),
    ]
    assert all(d.amount is None and d.unit is None and d.tablets == () for d in sessions)
    ivig = [d for d in plan.doses if d.drug == "ivig"]
    assert [(d.day, d.amount, d.unit) for d in ivig] == [(day, D(28), "g") for day in range(10, 15)]
    follow_up = plan.events[-1]
    assert (follow_up.day, follow_up.date, follow_up.kind) == (33, date(2026, 12, 1), "appointment")
    assert plan.end == date(2026, 12, 1)
    assert [w.code for w in plan.warnings] == ["start-in-past"]


# -- daylight saving ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("America/New_York", "2027-03-12"),  # spring forward 2027-03-14
        ("America/New_York", "2026-10-30"),  # fall back 2026-11-01
        ("Europe/London", "2027-03-26"),  # 2027-03-28
        ("Australia/Sydney", "2027-04-02"),  # fall back 2027-04-04
        ("Australia/Sydney", "2026-10-02"),  # spring forward 2026-10-04
        ("Pacific/Auckland", "2026-09-25"),  # spring forward 2026-09-27
        ("Asia/Kolkata", "2026-12-01"),
    ],
)
def test_wall_clock_time_holds_across_daylight_saving(
    write_regimen: Callable[..., Path], zone: str, start: str
) -> None:
    path = write_regimen(
        header(
            '[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\ndays = 6\nat = ["08:00", "21:30"]\n',
            zone,
            start,
        )
    )
    plan = plan_of(path)
    for dose in plan.doses:
        local = dose.starts.astimezone(ZoneInfo(zone))
        assert local.date() == dose.date
        assert local.time() == time.fromisoformat(dose.time) in (time(8), time(21, 30))


def test_time_in_the_spring_forward_gap_moves_to_the_first_valid_minute(
    write_regimen: Callable[..., Path],
) -> None:
    path = write_regimen(
        header(
            '[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\ndays = 3\nat = ["02:30"]\n',
            "America/New_York",
            "2027-03-13",
        )
    )
    plan = plan_of(path)
    assert [d.time for d in plan.doses] == ["02:30", "03:00", "02:30"]
    moved = plan.doses[1]
    assert moved.starts.astimezone(UTC) == datetime(2027, 3, 14, 7, 0, tzinfo=UTC)
    assert [(w.code, w.message) for w in plan.warnings if w.code.startswith("dst")] == [
        (
            "dst-moved",
            "02:30 does not exist on 2027-03-14 (the clocks go forward); the reminder "
            "is at 03:00 instead",
        )
    ]


def test_repeated_time_at_fall_back_is_the_first_occurrence(
    write_regimen: Callable[..., Path],
) -> None:
    path = write_regimen(
        header(
            '[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\ndays = 1\nat = ["01:30"]\n',
            "America/New_York",
            "2026-11-01",
        )
    )
    plan = plan_of(path)
    assert plan.doses[0].starts.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert "dst-repeated" in [w.code for w in plan.warnings]


# -- errors -------------------------------------------------------------------------------


def _expectations(path: Path) -> list[str]:
    return [
        line.removeprefix("# expect: ").rstrip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    ]


INVALID = sorted((REGIMENS / "invalid").glob("*.toml"))


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_regimens_report_their_problems(path: Path) -> None:
    expected = _expectations(path)
    assert expected, f"{path.name} has no '# expect:' line"
    with pytest.raises(RegimenError) as caught:
        plan_of(path)
    message = caught.value.render()
    for line in expected:
        assert line in message


def test_every_problem_names_the_file_and_place() -> None:
    with pytest.raises(RegimenError) as caught:
        plan_of(REGIMENS / "invalid" / "many-problems.toml")
    lines = caught.value.render().splitlines()
    assert lines[0] == "many-problems.toml: 6 problems found"
    assert all(line.startswith("  many-problems.toml: ") for line in lines[1:])


def test_allowed_above_documented_dose_is_a_recorded_warning(
    write_regimen: Callable[..., Path],
) -> None:
    path = write_regimen(
        header(
            '[[phase]]\ndrug = "methylprednisolone"\nroute = "iv"\ndose = "2.5 g"\ndays = 1\n'
            'at = ["09:00"]\nduration = "2 h"\nallow = ["above-documented-dose"]\n'
        )
    )
    plan = plan_of(path)
    codes = [w.code for w in plan.warnings]
    assert "above-documented-allowed" in codes and "above-usual-dose" in codes
    assert plan.phases[0].allow == ("above-documented-dose",)


def test_phases_follow_each_other_unless_placed(write_regimen: Callable[..., Path]) -> None:
    path = write_regimen(
        header(
            '[[phase]]\nname = "A"\ndrug = "prednisone"\ndose = "20 mg"\ndays = 2\nat = ["08:00"]\n'
            '[[phase]]\nname = "B"\ndrug = "prednisone"\ndose = "10 mg"\ndays = 2\nat = ["08:00"]\n'
            '[[phase]]\nname = "PLEX"\ndrug = "plasmapheresis"\nsessions = 2\nevery = 2\n'
            'at = ["13:00"]\nstart_day = 1\n'
        )
    )
    plan = plan_of(path)
    assert [(p.name, p.first_day, p.last_day) for p in plan.phases] == [
        ("A", 1, 2),
        ("B", 3, 4),
        ("PLEX", 1, 3),
    ]
    assert plan.days[0].phases == ("A", "PLEX")


def test_same_regimen_same_plan() -> None:
    first = plan_of(REGIMENS / "pulse-then-taper.toml")
    second = plan_of(REGIMENS / "pulse-then-taper.toml")
    assert first == second
