"""Handout wording and layout of the clinical review (issue 12: H2, H5, H6, H8, L1, L2; issue 10
F16), each read back from the PDF with pypdf.

Text is compared after collapsing white space (and reading the no-break space as a space), so a
sentence that wraps still matches. Page size and page count come from pypdf too.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pypdf
import pytest
from click.testing import CliRunner
from invariant_strategies import stopping

from taper.api import load as load_plan
from taper.cli import main
from taper.export.pdf import render_pdf
from taper.export.pdf.layout import _Styles
from taper.export.table import render_table
from taper.read.templates import render_template
from taper.records.plan import Plan

REGIMENS = Path(__file__).parent / "regimens"
TODAY = date(2026, 11, 22)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)  # the SOURCE_DATE_EPOCH conftest sets


def build(tmp_path: Path, text: str, name: str = "r.toml") -> Plan:
    path = tmp_path / name
    # Written before the after key: each course stops on its last day (tests/test_after.py).
    path.write_text(stopping(text), encoding="utf-8")
    return load_plan(path, today=TODAY)


def template(
    tmp_path: Path, name: str, zone: str = "America/New_York", start: date = date(2026, 12, 1)
) -> Plan:
    text = render_template(name, start=start, weight="70 kg", timezone=zone, height="120 cm")
    return build(tmp_path, text, f"{name}.toml")


def pages(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().replace("\u00a0", " ").split()) for page in reader.pages]


def text_of(plan: Plan, audience: str = "patient", **options: object) -> str:
    return " ".join(pages(render_pdf(plan, audience, stamp=STAMP, **options)))  # type: ignore[arg-type]


def course(
    dose: str,
    days: int,
    *,
    zone: str = "America/Chicago",
    at: str = '["08:00"]',
    weight: str = "70 kg",
    drug: str = "prednisone",
    extra: str = "",
) -> str:
    return (
        f'title = "Course"\nstart = 2026-12-01\ntimezone = "{zone}"\n'
        f'[patient]\nname = "Ann Test"\nweight = "{weight}"\n'
        f'[care_team]\nclinic = "Clinic"\nphone = "555-0100"\n'
        f'[[phase]]\nname = "Course"\ndrug = "{drug}"\ndose = "{dose}"\ndays = {days}\n'
        f"at = {at}\n{extra}"
    )


# -- H8, L1: one clock, one order --------------------------------------------------------------


# Four infusions a day at 06:00, 12:00, 18:00 and 00:00 (the order a prescriber writes them),
# then oral prednisone 70 mg from 50 mg and 20 mg tablets: the midnight dose of each day is at
# the start of that day.
FOUR_A_DAY = """title = "IV pulse every 6 hours, then oral prednisone"
start = 2026-12-01
timezone = "America/New_York"
[patient]
weight = "70 kg"
[[phase]]
name = "IV methylprednisolone"
drug = "methylprednisolone"
route = "iv"
dose = "250 mg"
days = 3
at = ["06:00", "12:00", "18:00", "00:00"]
duration = "1 h"
where = "Infusion center"
[[phase]]
name = "Oral prednisone"
drug = "prednisone"
tablets = ["50 mg", "20 mg"]
dose = "70 mg"
days = 11
at = ["breakfast"]
take = "with food"
"""


def four_a_day(tmp_path: Path) -> Plan:
    return build(tmp_path, FOUR_A_DAY, "four.toml")


@cache
def ontt_text() -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return text_of(four_a_day(Path(folder)))


def test_midnight_and_noon_and_never_12_am_or_pm() -> None:
    text = ontt_text()
    assert "midnight" in text and "noon" in text
    assert "12:00 AM" not in text and "12:00 PM" not in text


def test_a_days_doses_in_the_same_order_in_overview_calendar_and_checklist(
    tmp_path: Path,
) -> None:
    plan = four_a_day(tmp_path)
    text = ontt_text()
    # the overview: the order the day runs, midnight first, as the plan and reminders have it
    assert "250 mg at midnight, 250 mg at 6:00 AM, 250 mg at noon and 250 mg at 6:00 PM" in text
    assert [d.time for d in plan.days[0].doses] == ["00:00", "06:00", "12:00", "18:00"]
    assert [d.starts.hour for d in plan.days[0].doses] == [0, 6, 12, 18]
    # the calendar cell of day 1 and the checklist's day 1
    cell = re.search(r"1 ① (.*?) 2 ①", text)
    assert cell is not None
    assert re.findall(r"midnight|6:00 AM|noon|6:00 PM", cell.group(1)) == [
        "midnight",
        "6:00 AM",
        "noon",
        "6:00 PM",
    ]
    day_one = text[text.index("Day 1 of 14") : text.index("Day 2 of 14")]
    assert re.findall(r"midnight|6:00 AM|noon|6:00 PM", day_one) == [
        "midnight",
        "6:00 AM",
        "noon",
        "6:00 PM",
    ]
    assert "A dose at midnight is listed at the start of its day" in text


def test_24_hour_clock_outside_america_with_midnight_and_noon(tmp_path: Path) -> None:
    plan = build(
        tmp_path, course("20 mg", 3, zone="Europe/Stockholm", at='["00:00", "12:00", "18:30"]')
    )
    text = text_of(plan)
    assert "18:30" in text and "midnight" in text and "noon" in text
    assert " AM" not in text and " PM" not in text


def test_every_other_day_without_once_a_day() -> None:
    plan = load_plan(REGIMENS / "pdf-alternate-day.toml", today=TODAY)
    text = text_of(plan)
    assert "once a day, every other day" not in text
    assert re.search(r"every other day at 08:00 \(breakfast\)", text)


def test_cross_year_ranges_carry_the_year_and_a_place_keeps_its_own_at(tmp_path: Path) -> None:
    text = course("20 mg", 10, extra='where = "At home"\n').replace(
        "start = 2026-12-01", "start = 2026-12-28"
    )
    plan = build(
        tmp_path,
        text.replace(
            'drug = "prednisone"', 'drug = "methylprednisolone"\nroute = "iv"\nduration = "1 h"'
        ),
    )
    patient = text_of(plan)
    assert "Mon Dec 28, 2026 – Wed Jan 6, 2027" in patient
    assert "at home" in patient and "at At home" not in patient
    assert "at At home" not in text_of(plan, "nurse") + text_of(plan, "pharmacist")


def test_a_one_day_course_is_1_day(tmp_path: Path) -> None:
    plan = build(tmp_path, course("20 mg", 1))
    assert "(1 day)" in render_table(plan)
    assert "(1 days)" not in render_table(plan) + text_of(plan) + text_of(plan, "pharmacist")


# -- H6: strengths --------------------------------------------------------------------------------


def test_two_strengths_are_named_in_every_cell_and_in_the_patients_words() -> None:
    text = ontt_text()
    # 70 mg from a 50 mg and a 20 mg tablet, in all 11 calendar cells of the oral phase
    assert text.count("70 mg: 1 × 50 mg + 1 × 20 mg") == 11
    assert "70 mg: 2 tablets" not in text
    assert "1 of the 50 mg tablets and 1 of the 20 mg tablets" in text


def test_one_strength_counts_tablets(tmp_path: Path) -> None:
    plan = build(tmp_path, course("40 mg", 3, extra='tablets = ["20 mg"]\n'))
    text = text_of(plan)
    assert "40 mg: 2 tablets" in text and "× 20 mg +" not in text


def test_phases_carry_a_mark_in_the_legend_and_every_cell() -> None:
    text = ontt_text()
    assert "① IV methylprednisolone" in text and "② Oral prednisone" in text
    assert len(re.findall(r"\b\d{1,2} ①", text)) == 3
    assert len(re.findall(r"\b\d{1,2} ②", text)) == 11


# -- H5: counselling ------------------------------------------------------------------------------


def test_missed_dose_advice_daily_and_every_other_day() -> None:
    daily = text_of(load_plan(REGIMENS / "pulse-then-taper.toml", today=TODAY))
    assert "If you miss a dose" in daily
    assert "skip it and take the next dose at the usual time" in daily
    assert "Never take two doses to make up for a missed one." in daily
    alternate = text_of(load_plan(REGIMENS / "pdf-alternate-day.toml", today=TODAY))
    assert "if you miss a dose, call your pharmacist or clinic" in alternate


@pytest.mark.parametrize(
    ("dose", "days", "weight", "advice"),
    [
        ("20 mg", 14, "70 kg", True),  # §3: 20 mg a day for 14 days
        ("20 mg", 13, "70 kg", False),
        ("19 mg", 14, "70 kg", False),
        ("16 mg", 14, "8 kg", True),  # 2 mg/kg for a child of 10 kg or less
        ("15 mg", 14, "8 kg", False),
    ],
)
def test_vaccine_advice_at_its_threshold(
    tmp_path: Path, dose: str, days: int, weight: str, advice: bool
) -> None:
    plan = build(tmp_path, course(dose, days, weight=weight))
    text = text_of(plan)
    assert ("Do not have a live vaccine" in text) is advice
    assert ("no live vaccines" in text_of(plan, "pharmacist")) is advice


@pytest.mark.parametrize(
    ("dose", "days", "card"), [("5 mg", 28, True), ("5 mg", 27, False), ("4 mg", 60, False)]
)
def test_steroid_card_at_5_mg_for_4_weeks(tmp_path: Path, dose: str, days: int, card: bool) -> None:
    plan = build(tmp_path, course(dose, days))
    assert "adrenal" not in {w.code for w in plan.warnings}  # not the adrenal rule: §1a
    text = text_of(plan)
    assert ("Carry a steroid card" in text) is card
    assert ("Keep taking your steroid when you are ill. Do not stop it." in text) is card
    assert ("Your care team will tell you your sick-day dose." in text) is card
    assert ("Signs your body is short of steroid" in text) is card
    assert (
        "Steroid card: this course meets the card threshold" in text_of(plan, "pharmacist")
    ) is card


def test_adrenal_signs_have_their_own_heading_and_timing(tmp_path: Path) -> None:
    plan = build(tmp_path, course("45 mg", 10, at='["08:00"]'))
    assert "adrenal" in {w.code for w in plan.warnings}
    text = text_of(plan)
    # A flat course: the signs start after the last dose (never "as your dose comes down").
    assert (
        "These can start after your last dose (Thursday, December 10, 2026), and can happen "
        "until Friday, December 10, 2027: 12 months after it."
    ) in text
    call_box = text[text.index("Call the clinic today") : text.index("Emergency: call 911")]
    assert "Feeling dizzy when you stand up." not in call_box
    signs = text[text.index("Signs your body is short of steroid") :]
    assert "Feeling dizzy when you stand up." in signs


def test_uk_patients_ask_for_the_steroid_emergency_card(tmp_path: Path) -> None:
    plan = build(tmp_path, course("10 mg", 30, zone="Europe/London"))
    assert "Ask your GP or pharmacist for a Steroid Emergency Card" in text_of(plan)


def test_other_doctors_liquids_and_bones(tmp_path: Path) -> None:
    text = text_of(load_plan(REGIMENS / "liquid.toml", today=TODAY))
    assert (
        "Tell any doctor, dentist, nurse or surgeon who treats you that you take a steroid" in text
    )
    assert "oral syringe" in text
    long = build(tmp_path, course("7.5 mg", 91))
    assert "doctors consider a medicine to protect your bones" in text_of(long)
    assert "bone protection should be considered" in text_of(long, "pharmacist")
    shorter = build(tmp_path, course("7.5 mg", 90))
    assert "protect your bones" not in text_of(shorter)


# -- H2: revisions ------------------------------------------------------------------------------


def test_every_page_of_a_revised_plan_says_so() -> None:
    revised = load_plan(REGIMENS / "ics-reissue-r1.toml", today=TODAY)
    first = load_plan(REGIMENS / "ics-reissue-r0.toml", today=TODAY)
    banner = (
        "Revised plan — revision 1, issued Saturday, November 21, 2026 — "
        "replaces all earlier copies"
    )
    for audience in ("patient", "pharmacist", "nurse"):
        texts = pages(render_pdf(revised, audience, stamp=STAMP))
        assert all(banner in page for page in texts), audience
        assert not any(
            "Revised plan" in page for page in pages(render_pdf(first, audience, stamp=STAMP))
        )
    large = pages(render_pdf(revised, "patient", stamp=STAMP, large_print=True))
    assert all(banner in page for page in large)


def test_build_previous_lists_changed_days_and_supply(tmp_path: Path) -> None:
    runner = CliRunner()
    old, new = tmp_path / "old", tmp_path / "new"
    assert (
        runner.invoke(
            main, ["build", str(REGIMENS / "ics-reissue-r0.toml"), "-o", str(old)]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        main,
        ["build", str(REGIMENS / "ics-reissue-r1.toml"), "-o", str(new), "--previous", str(old)],
    )
    assert result.exit_code == 0, result.output
    text = " ".join(pages((new / "pharmacist.pdf").read_bytes()))
    assert "What changed since revision 0" in text
    assert "Thu Dec 3 – Fri Dec 4 Prednisone 20 mg at 08:00 Prednisone 15 mg at 08:00" in text
    assert "Sat Dec 5 – Sun Dec 6 Prednisone 10 mg at 08:00 no dose" in text
    assert "Prednisone 20 mg tablets 6 4 −2 tablets" in text
    assert "Prednisone 10 mg tablets 2 2 none" in text
    assert "Prednisone 5 mg tablets 0 2 +2 tablets" in text
    # the plan.json itself works as well as its folder
    again = tmp_path / "again"
    assert (
        runner.invoke(
            main,
            [
                "build",
                str(REGIMENS / "ics-reissue-r1.toml"),
                "-o",
                str(again),
                "--previous",
                str(old / "plan.json"),
            ],
        ).exit_code
        == 0
    )


def test_build_previous_refuses_a_same_revision_or_another_patient(tmp_path: Path) -> None:
    runner = CliRunner()
    old = tmp_path / "old"
    runner.invoke(main, ["build", str(REGIMENS / "ics-reissue-r0.toml"), "-o", str(old)])
    same = runner.invoke(
        main,
        [
            "build",
            str(REGIMENS / "ics-reissue-r0.toml"),
            "-o",
            str(tmp_path / "x"),
            "--previous",
            str(old),
        ],
    )
    assert same.exit_code != 0
    assert "is revision 0 and this plan is revision 0" in same.output
    assert "set revision = 1" in same.output
    assert not (tmp_path / "x").exists()
    other = tmp_path / "other.toml"
    other.write_text(
        (REGIMENS / "ics-reissue-r1.toml")
        .read_text(encoding="utf-8")
        .replace("Sam Lee", "Kim Park"),
        encoding="utf-8",
    )
    result = runner.invoke(
        main, ["build", str(other), "-o", str(tmp_path / "y"), "--previous", str(old)]
    )
    assert result.exit_code != 0
    assert "is the plan of Sam Lee, not of Kim Park" in result.output
    junk = tmp_path / "junk.json"
    junk.write_text("{}", encoding="utf-8")
    result = runner.invoke(
        main,
        [
            "build",
            str(REGIMENS / "ics-reissue-r1.toml"),
            "-o",
            str(tmp_path / "z"),
            "--previous",
            str(junk),
        ],
    )
    assert result.exit_code != 0 and "not a plan.json written by taper" in result.output


# -- L2: layout -----------------------------------------------------------------------------------


def test_a_short_course_fits_its_calendar_and_checklist_on_fewer_pages(tmp_path: Path) -> None:
    plan = template(tmp_path, "ms-oral-prednisone-5-day")
    texts = pages(render_pdf(plan, "patient", stamp=STAMP))
    assert len(texts) <= 4  # 5 before: overview, calendar, checklist, watch list, reminders
    # Issue 25: the calendar and the checklist on one page (tests/test_short_course_page.py).
    calendar = next(page for page in texts if "Your calendar" in page)
    assert "December 2026" in calendar and "Day by day" in calendar and "Day 5 of 5" in calendar


@pytest.mark.slow  # a minute or more: .ci/run runs it, the README's command does not
def test_good_to_know_never_sits_alone_and_no_band_ends_a_page(tmp_path: Path) -> None:
    from taper.read.templates import list_templates
    from taper.voice.doses import phase_heading

    for item in list_templates():
        plan = template(tmp_path, item.name)
        for large in (False, True):
            texts = pages(render_pdf(plan, "patient", stamp=STAMP, large_print=large))
            for page in texts:
                if "Good to know" in page:
                    # never a page of a short "Good to know" alone: another part shares it
                    others = ("Your course at a glance", "If you miss a dose", "Tell other")
                    others += ("Vaccines", "Your calendar", "Day by day")
                    assert any(other in page for other in others), (item.name, large)
                for phase in plan.phases:
                    band = phase_heading(phase)
                    if band in page:
                        after = page[page.rindex(band) :]
                        assert re.search(r"Day \d+ of \d+", after), (item.name, band, large)


def test_large_print_calendar_is_16_pt_on_sideways_pages(tmp_path: Path) -> None:
    styles = _Styles.make(1.4, base=11.0)
    assert min(styles.cal.fontSize, styles.cal_date.fontSize, styles.cal_head.fontSize) >= 16
    plan = template(tmp_path, "optic-neuritis-ontt")
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(plan, "patient", stamp=STAMP, large_print=True)))
    sideways = [
        page.extract_text()
        for page in reader.pages
        if float(page.mediabox.width) > float(page.mediabox.height)
    ]
    assert sideways and "Your calendar" in sideways[0]
    assert all("Day by day" not in page for page in sideways)


# -- F16: valid regimens that used to raise reportlab's LayoutError -------------------------------


SIXTEEN = str([f"{hour:02d}:00" for hour in range(6, 22)]).replace("'", '"')


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("audience", ["patient", "pharmacist", "nurse"])
def test_sixteen_doses_a_day_lay_out(tmp_path: Path, audience: str, large: bool) -> None:
    plan = build(tmp_path, course("5 mg", 3, at=SIXTEEN))
    text = text_of(plan, audience, large_print=large)
    if audience == "patient":
        assert text.count("9:00 PM") >= 3  # every dose of every day is in the checklist
        assert "and 13 more: see Day by day" in text or "and 7 more: see Day by day" in text


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("audience", ["patient", "pharmacist", "nurse"])
def test_a_very_long_place_lays_out_in_full(tmp_path: Path, audience: str, large: bool) -> None:
    where = ("Infusion suite B, third floor of the east wing past the cafeteria, " * 28).strip()
    assert len(where) < 2000
    extra = f'route = "iv"\nduration = "1 h"\nwhere = "{where}"\n'
    plan = build(tmp_path, course("1 g", 2, drug="methylprednisolone", extra=extra))
    text = text_of(plan, audience, large_print=large)
    assert text.count("past the cafeteria") >= 28


def test_the_reminders_run_in_the_same_order_as_the_handout(tmp_path: Path) -> None:
    from icalendar import Calendar

    from taper.export.ics import render_ics

    plan = four_a_day(tmp_path)
    calendar = Calendar.from_ical(render_ics(plan, stamp=STAMP))
    first_day = sorted(
        event.decoded("dtstart")
        for event in calendar.walk("VEVENT")
        if event.decoded("dtstart").date() == plan.start
    )
    assert [moment.strftime("%H:%M") for moment in first_day] == [
        "00:00",
        "06:00",
        "12:00",
        "18:00",
    ]


def test_a_liquid_course_is_taken_with_food_as_medicine_not_tablets(tmp_path: Path) -> None:
    text = text_of(template(tmp_path, "child-asthma-prednisolone-liquid"))
    assert "Take your medicine with food." in text
    assert "Take your tablets with food." not in text
    assert "oral syringe" in text


def test_a_long_course_in_large_print_has_its_miniature_months_at_16_pt() -> None:
    plan = load_plan(REGIMENS / "format-gca-2-year.toml", today=TODAY)
    data = render_pdf(plan, "patient", stamp=STAMP, large_print=True)
    sizes: set[float] = set()

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if re.fullmatch(r"\d+(\.\d+)? mg", text.strip().replace("\u00a0", " ")):
            sizes.add(round(size * tm[0], 1))

    reader = pypdf.PdfReader(io.BytesIO(data))
    for page in reader.pages[2:6]:
        page.extract_text(visitor_text=visit)
    assert sizes and min(sizes) >= 16, sizes


def test_a_signal_during_pdf_layout_keeps_its_number() -> None:
    """reportlab re-raises an exception from inside a layout as type(err)(message); a kill
    during a build must still exit 143, not crash on a signal number turned into text."""
    import signal

    from reportlab.lib.utils import annotateException

    from taper.files.signals import Interrupted, interruption_guard

    with interruption_guard() as guard:
        guard.received = signal.SIGTERM
        with pytest.raises(Interrupted) as caught:
            try:
                raise Interrupted(signal.SIGTERM)
            except Interrupted:
                annotateException("\nhandle_flowable args=(<Table>,)")
        guard.received = None
    assert isinstance(caught.value.args[0], str)
    assert caught.value.signum == signal.SIGTERM


def test_an_acth_course_long_enough_for_a_card_gets_no_steroid_tablet_sick_day_points(
    tmp_path: Path,
) -> None:
    """The sick-day points are about steroid tablets (§1c): a 21-day ACTH gel course carries
    the card (it has the adrenal warning) but is never told to keep taking a steroid."""
    text = render_template(
        "ms-acth-gel",
        start=date(2026, 12, 1),
        weight="70 kg",
        timezone="America/New_York",
        height=None,
    )
    plan = build(tmp_path, text.replace("days = 14", "days = 21"))
    assert "adrenal" in {w.code for w in plan.warnings}
    patient = text_of(plan)
    assert "Carry a steroid card" in patient
    assert "Keep taking your steroid when you are ill" not in patient
    assert "keep your tablets down" not in patient
