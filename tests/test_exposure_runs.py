"""Issue 25 review, could-harm 2: a course given in cycles weeks apart is several short courses,
not one long one. Every judgement by a course's length (the adrenal warning and what follows it:
"after a course this long", the steroid card, "check that the order ends with a taper"; bone and
vaccine advice) counts continuous runs of exposure with one function,
taper.read.rules.exposure_runs (clinical-reference §6: no taper under 3-4 weeks, ESE 2024).

The pharmacist's orders are in tests/data/review: 05 is dexamethasone 8 mg a day on days 1-3 of
three 21-day cycles, 05x the first cycle alone."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pypdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariant_strategies import stopping

from taper.api import load
from taper.export.pdf import render_pdf
from taper.read.rules import exposure_runs, longest_exposure, rules
from taper.records.plan import Plan
from taper.voice.counselling import needs_bone_advice, needs_card, needs_vaccine_advice

REVIEW = Path(__file__).parent / "data" / "review"
TODAY = date(2026, 11, 22)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)


def text_of(plan: Plan, audience: str) -> str:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(plan, audience, stamp=STAMP)))  # type: ignore[arg-type]
    return " ".join(
        " ".join(page.extract_text().replace("\u00a0", " ").split()) for page in reader.pages
    )


LONG_COURSE_WORDS = (
    "course this long",
    "Carry a steroid card",
    "check that the order ends with a taper",
    "adrenal crisis",
)


def test_three_chemotherapy_cycles_are_three_short_courses() -> None:
    cycles = load(REVIEW / "05-dexamethasone-cinv.toml", today=TODAY)
    one = load(REVIEW / "05x-one-cycle.toml", today=TODAY)
    assert "adrenal" not in {w.code for w in cycles.warnings}
    patient, pharmacist = text_of(cycles, "patient"), text_of(cycles, "pharmacist")
    for words in LONG_COURSE_WORDS:
        assert words not in patient, words
        assert words not in pharmacist, words
    # The chemotherapy lines' signs are back, as for one cycle: nothing replaces them.
    for sign in ("Being sick again and again.", "Diarrhoea that does not stop."):
        assert sign in patient
        assert sign in text_of(one, "patient")


def test_the_same_dose_for_nine_days_in_a_row_is_a_long_high_course(tmp_path: Path) -> None:
    text = (REVIEW / "05x-one-cycle.toml").read_text(encoding="utf-8")
    path = tmp_path / "r.toml"
    path.write_text(text.replace("days = 3 }", "days = 9 }"), encoding="utf-8")
    plan = load(path, today=TODAY)
    (adrenal,) = [w for w in plan.warnings if w.code == "adrenal"]
    assert "more than 40 mg over a run of 9 days" in adrenal.message
    assert "course this long" in text_of(plan, "patient")
    assert "check that the order ends with a taper" in text_of(plan, "pharmacist")


def test_runs_join_short_breaks_and_end_at_a_long_one() -> None:
    gap = rules().exposure_break_days
    every = {day: Decimal(50) for day in (1, 2, 3, 4 + gap, 5 + gap)}
    # A break of `gap` days (4 to 3 + gap) ends the run; one of gap - 1 days joins.
    assert exposure_runs(every, lambda mg: mg > 40) == [(1, 3), (4 + gap, 5 + gap)]
    every[3 + gap] = Decimal(50)
    assert exposure_runs(every, lambda mg: mg > 40) == [(1, 5 + gap)]
    weekend_off = {d: Decimal(10) for d in range(1, 29) if d % 7 not in (6, 0)}
    assert longest_exposure(weekend_off, lambda mg: mg > 5) == 26
    assert longest_exposure(weekend_off, lambda mg: mg > 5, join_breaks=False) == 5


# -- the invariant -------------------------------------------------------------------------------


def course(phases: list[tuple[int, int, int]]) -> str:
    """Prednisone by mouth: (first day, days, mg a day) for each phase."""
    out = [
        'title = "Course"\nstart = 2026-12-10\ntimezone = "America/Chicago"\nrevision = 0\n'
        '[patient]\nname = "Pat"\nweight = "70 kg"\n[care_team]\nclinic = "Clinic"\n'
        'phone = "312-555-0100"\n'
    ]
    for number, (first, days, mg) in enumerate(phases, 1):
        out.append(
            f'[[phase]]\nname = "Cycle {number}"\ndrug = "prednisone"\nstart_day = {first}\n'
            f'tablets = ["5 mg"]\nat = ["breakfast"]\n'
            f'steps = [ {{ dose = "{mg} mg", days = {days} }} ]\n'
        )
    return "\n".join(out)


def judgements(plan: Plan) -> dict[str, bool]:
    return {
        "adrenal": "adrenal" in {w.code for w in plan.warnings},
        "card": needs_card(plan),
        "bone": needs_bone_advice(plan),
        "vaccines": needs_vaccine_advice(plan),
    }


def built(tmp_path: Path, text: str) -> Plan:
    path = tmp_path / "r.toml"
    path.write_text(stopping(text), encoding="utf-8")
    return load(path, today=TODAY)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    days=st.integers(min_value=1, max_value=20),
    mg=st.sampled_from([5, 10, 20, 30, 45, 60]),
    cycles=st.integers(min_value=2, max_value=5),
    extra_gap=st.integers(min_value=0, max_value=21),
)
def test_cycles_weeks_apart_judge_as_one_cycle_and_a_continuous_course_as_long(
    tmp_path: Path, days: int, mg: int, cycles: int, extra_gap: int
) -> None:
    """Splitting a course into cycles with breaks of a week or more never produces a long-course
    judgement that one cycle alone does not; the same days given without a break do."""
    gap = rules().exposure_break_days + extra_gap
    period = days + gap
    split = built(tmp_path, course([(1 + n * period, days, mg) for n in range(cycles)]))
    single = built(tmp_path, course([(1, days, mg)]))
    assert judgements(split) == judgements(single)

    length = days * cycles
    together = judgements(built(tmp_path, course([(1, length, mg)])))
    # clinical-reference §6: > 5 mg a day for 21 days or more, > 40 mg for more than 7 days.
    assert together["adrenal"] == ((mg > 5 and length >= 21) or (mg > 40 and length > 7))
    # clinical-reference-2 §1a: >= 5 mg a day for 4 weeks, or the adrenal warning.
    assert together["card"] == (together["adrenal"] or length >= 28)
    # clinical-reference-2 §3: >= 20 mg a day for 14 days or more.
    assert together["vaccines"] == (mg >= 20 and length >= 14)


def test_weekly_infusions_alone_get_no_sick_day_points_about_tablets() -> None:
    """Weekly IV pulses for 12 weeks (second review's n3): the card and the adrenal signs stay,
    but "keep taking your steroid" and "keep your tablets down" speak of a steroid the patient
    never held at home, so the sick-day points are left out."""
    plan = load(REVIEW / "n3-graves-ivmp-weekly.toml", today=TODAY)
    patient = text_of(plan, "patient")
    assert "steroid card" in patient
    for words in ("tablets down", "Keep taking your steroid", "sick-day dose"):
        assert words not in patient, words
