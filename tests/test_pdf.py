"""PDF handouts: what each audience's sheet says, read back with pypdf, and how it is built.

The regimens are tests/regimens/pulse-then-taper.toml and tests/regimens/pdf-*.toml. Text is
compared after collapsing runs of spaces and line breaks, so a sentence that wraps still matches;
table rows are checked on pypdf's layout-mode lines, which keep a row on one line.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pypdf
import pytest
from click.testing import CliRunner

from taper.api import load as load_plan
from taper.cli import main
from taper.export.pdf import render_pdf
from taper.read.errors import ExportError
from taper.records.plan import Plan

REGIMENS = Path(__file__).parent / "regimens"
ROOT = Path(__file__).parent.parent
TODAY = date(2026, 11, 22)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)  # the SOURCE_DATE_EPOCH conftest sets


@cache
def plan_of(name: str) -> Plan:
    return load_plan(REGIMENS / name, today=TODAY)


@cache
def pdf_of(name: str, audience: str, paper: str = "letter", large: bool = False) -> bytes:
    return render_pdf(plan_of(name), audience, stamp=STAMP, paper=paper, large_print=large)


@cache
def pages_of(name: str, audience: str) -> tuple[str, ...]:
    return pages(pdf_of(name, audience))


def pages(data: bytes) -> tuple[str, ...]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return tuple(
        page.extract_text(extraction_mode="layout").replace("\u00a0", " ") for page in reader.pages
    )


def flat(text: str) -> str:
    return " ".join(text.split())


def text_of(name: str, audience: str) -> str:
    return flat("\n".join(pages_of(name, audience)))


@cache
def cells_of(name: str, audience: str) -> tuple[str, ...]:
    """The lines of pypdf's plain extraction, which follows the content stream: a table cell's
    lines come together, not interleaved with the next column's."""
    reader = pypdf.PdfReader(io.BytesIO(pdf_of(name, audience)))
    return tuple(
        " ".join(line.split())
        for page in reader.pages
        for line in page.extract_text().replace("\u00a0", " ").splitlines()
        if line.strip()
    )


def cell_text(name: str, audience: str) -> str:
    return " ".join(cells_of(name, audience))


def lines_of(name: str, audience: str) -> list[str]:
    return [
        " ".join(line.split())
        for page in pages_of(name, audience)
        for line in page.splitlines()
        if line.strip()
    ]


# -- the patient handout --------------------------------------------------------------------


def test_patient_first_page_has_title_name_dates_phones_and_the_course_at_a_glance() -> None:
    first = flat(pages_of("pulse-then-taper.toml", "patient")[0])
    assert "MS relapse: IV methylprednisolone, then oral prednisone taper" in first
    assert "For Jane Doe" in first
    assert "From Tuesday, December 1, 2026 to Saturday, December 19, 2026 (19 days)" in first
    assert "Phone: 212-555-0100" in first
    assert "After hours: 212-555-0199" in first
    assert "call 911" in first
    assert "Tue Dec 1 – Thu Dec 3" in first and "Pulse" in first
    assert "Fri Dec 4 – Sat Dec 19" in first and "Taper" in first
    assert "60 mg (3 × 20 mg tablets) once a day at 8:00 AM (breakfast)" in first


def test_patient_checklist_has_a_box_for_every_dose_and_every_check() -> None:
    plan = plan_of("pulse-then-taper.toml")
    text = text_of("pulse-then-taper.toml", "patient")
    assert text.count("☐") == len(plan.doses) + len(plan.events) == 19 + 38
    rows = lines_of("pulse-then-taper.toml", "patient")
    assert "Friday ☐ 8:00 AM Prednisone 60 mg: 3 × 20 mg tablets, with food" in rows
    assert "Tuesday ☐ 9:00 AM Methylprednisolone 1 g IV infusion, about 1 h, at Infusion" in rows
    assert any(row.endswith("☐ 12:30 PM Check blood sugar") for row in rows)


def test_patient_calendar_has_one_month_per_month_and_each_days_dose() -> None:
    text = cell_text("pulse-then-taper.toml", "patient")
    assert "December 2026" in text
    assert "January 2027" not in text
    assert "9:00 AM 1 g infusion" in text
    # two strengths (20 mg and 10 mg) in the course: every cell names them (H6)
    assert "8:00 AM 60 mg: 3 × 20 mg" in text
    assert text.count("8:00 AM 10 mg: 1 × 10 mg") == 4
    assert text.count("8:00 AM 20 mg: 1 × 20 mg") == 4

    long_course = cell_text("pdf-alternate-day.toml", "patient")
    for month in ("January 2027", "February 2027", "March 2027"):
        assert month in long_course


def test_patient_off_days_say_no_dose_in_the_calendar_and_the_checklist() -> None:
    plan = plan_of("pdf-alternate-day.toml")
    off_days = [day for day in plan.days if day.phases and not day.doses]
    assert len(off_days) == 18  # 37 days every other day: 19 doses, 18 days between
    text = text_of("pdf-alternate-day.toml", "patient")
    assert text.count("No dose today.") == 18
    assert cells_of("pdf-alternate-day.toml", "patient").count("no dose") == 18  # calendar
    assert 'Days marked "no dose" are part of your course' in text


def test_patient_watch_list_in_three_tiers_with_the_clinics_phones() -> None:
    text = text_of("pulse-then-taper.toml", "patient")
    expected = text.index("Expected and usually mild")
    call = text.index("Call the clinic today")
    emergency = text.index("Emergency: call 911")
    assert expected < call < emergency
    assert "Call MS Center at 212-555-0100. After hours, call 212-555-0199." in text
    assert "You may find it hard to sleep." in text[expected:call]
    assert "A fever, chills or other signs of an infection." in text[call:emergency]
    assert "Thoughts of harming yourself." in text[emergency:]


def test_patient_reminders_box_comes_from_the_calendar_help_data() -> None:
    text = text_of("pulse-then-taper.toml", "patient")
    assert "Reminders on your phone" in text
    assert "Google Calendar: Google drops the alarms from imported files." in text


def test_patient_note_for_many_tablets_and_for_half_tablets() -> None:
    text = text_of("pdf-alternate-day.toml", "patient")
    assert "up to 12½ at one time. Count them out before you start." in text
    assert "Some doses use half a tablet." in text
    assert "Do not stop taking your tablets early" in text  # the adrenal warning fired
    quiet = text_of("pdf-dose-pack.toml", "patient")
    assert "Count them out" not in quiet and "Do not stop" not in quiet


def test_every_page_says_page_n_of_m_and_the_patients_name() -> None:
    for audience in ("patient", "pharmacist", "nurse"):
        sheet = pages_of("pdf-alternate-day.toml", audience)
        total = len(sheet)
        for number, page in enumerate(sheet, 1):
            assert f"Page {number} of {total}" in page
            assert "Zoë O'Brien-Łukasiewicz" in page


def test_a_long_course_paginates_with_the_checklist_header_repeated() -> None:
    sheet = pages_of("pdf-alternate-day.toml", "patient")
    assert len(sheet) >= 8  # page 1, three months, a checklist of 44 days, the watch list
    headers = [page for page in sheet if "What to take or do" in page]
    assert len(headers) >= 3


# -- the pharmacist's sheet -----------------------------------------------------------------


def test_pharmacist_sig_dispense_and_totals_for_the_pulse_and_taper() -> None:
    text = text_of("pulse-then-taper.toml", "pharmacist")
    assert (
        "Take 3 tablets of 20 mg (60 mg) by mouth once daily with breakfast for 4 days, "
        "then take 2 tablets of 20 mg (40 mg) by mouth once daily with breakfast for 4 days, "
        "then take 1 tablet of 20 mg (20 mg) by mouth once daily with breakfast for 4 days, "
        "then take 1 tablet of 10 mg (10 mg) by mouth once daily with breakfast for 4 days, "
        "then stop."
    ) in text
    assert (
        "Administered by staff. Give 1 g IV over 1 h once daily at 09:00 for 3 days at "
        "Infusion center, 3rd floor."
    ) in text
    rows = lines_of("pulse-then-taper.toml", "pharmacist")
    assert "Prednisone 20 mg tablets 24 tablets" in rows
    assert "Prednisone 10 mg tablets 4 tablets" in rows
    assert "Methylprednisolone 3 g 3750 mg" in rows
    assert "Prednisone 520 mg 520 mg" in rows
    assert "No warnings for this course." in text


def test_pharmacist_sig_for_a_dose_pack_with_divided_doses() -> None:
    text = text_of("pdf-dose-pack.toml", "pharmacist")
    assert (
        "Take by mouth with food: 2 tablets (8 mg) with breakfast, 1 tablet (4 mg) with "
        "lunch, 1 tablet (4 mg) with supper and 2 tablets (8 mg) at bedtime (24 mg a day) "
        "for 1 day, then"
    ) in text
    assert (
        "take 1 tablet (4 mg) by mouth 4 times daily with breakfast, with lunch, with "
        "supper and at bedtime with food for 1 day, then"
    ) in text
    assert "take 1 tablet (4 mg) by mouth once daily with breakfast for 1 day, then stop." in text
    assert "Methylprednisolone 4 mg tablets 21 tablets" in lines_of(
        "pdf-dose-pack.toml", "pharmacist"
    )
    assert "84 mg" in text and "105 mg" in text
    assert "evening-dose" in text and "phase[1].at" in text
    assert "Divided doses" in text


def test_pharmacist_sig_for_every_other_day_and_half_tablets() -> None:
    text = text_of("pdf-alternate-day.toml", "pharmacist")
    assert (
        "Take 12½ tablets (62.5 mg) by mouth once daily with breakfast for 7 days, then "
        'continue with "Alternate days" (from day 8).'
    ) in text
    assert "Half tablets: cut along the score line." in text
    assert (
        "Take 8 tablets (40 mg) by mouth every other day with breakfast for 37 days "
        "(19 doses), then stop."
    ) in text
    assert "239½ tablets (supply 240 whole tablets)" in text
    for code in ("above-usual-dose", "many-tablets", "adrenal"):
        assert code in text
    assert "Do not stop suddenly" in text
    assert "supply a scored product" in text


def test_pharmacist_sheet_for_liquids_injections_and_procedures() -> None:
    acth = text_of("pdf-acth.toml", "pharmacist")
    assert (
        "Administered by staff. Inject 1 mL of 80 units/mL (80 units) under the skin (SC) "
        "once daily at 09:00 for 14 days at MS Clinic treatment room."
    ) in acth
    assert "ACTH gel 80 units/mL (liquid) 14 mL" in lines_of("pdf-acth.toml", "pharmacist")
    assert "never into a vein" in acth

    ivig = text_of("pdf-ivig.toml", "pharmacist")
    assert "Give 28 g IV over 4 h once daily at 09:00 for 5 days at Infusion suite, bay 2." in ivig
    assert "No tablets or liquids to dispense" in ivig
    assert "IVIG 140 g not applicable" in lines_of("pdf-ivig.toml", "pharmacist")

    exchange = text_of("pdf-plasma-exchange.toml", "pharmacist")
    assert (
        "Plasma exchange: 5 sessions, every other day, at 08:30, each about 2 h, at "
        'Apheresis unit, room 4 "B" & C (days 1–9). Performed by staff; nothing to '
        "dispense."
    ) in exchange


def test_pharmacist_sheet_shows_an_override_with_its_phase(
    write_regimen: Callable[..., Path],
) -> None:
    text = (REGIMENS / "pdf-ivig.toml").read_text(encoding="utf-8")
    text = text.replace('dose = "0.4 g/kg"', 'dose = "1.2 g/kg"\nallow = ["above-documented-dose"]')
    plan = load_plan(write_regimen(text), today=TODAY)
    assert any(w.code == "above-documented-allowed" for w in plan.warnings)
    data = render_pdf(plan, "pharmacist", stamp=STAMP)
    # Plain extraction keeps each table cell's lines together.
    sheet = flat(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages))
    overrides = sheet[sheet.index("Prescriber overrides") : sheet.index("Warnings Code")]
    assert "IVIG (phase[1])" in overrides
    assert "above-documented-dose: dose above the highest documented regimen" in overrides
    assert "IVIG: 84 g a day IV (days 1–5)" in overrides
    assert "allowed by the prescriber" in overrides
    assert "above-documented-allowed" in sheet[sheet.index("Warnings Code") :]


# -- the nurse's sheet ----------------------------------------------------------------------


def test_nurse_sheet_lists_each_infusion_with_time_length_place_and_checks() -> None:
    rows = lines_of("pulse-then-taper.toml", "nurse")
    text = text_of("pulse-then-taper.toml", "nurse")
    infusions = [row for row in rows if "09:00 1 h Methylprednisolone 1 g IV" in row]
    assert len(infusions) == 3
    assert all("Infusion center, 3rd" in row for row in infusions)
    assert text.count("☐ Check blood sugar") == 3  # diabetes: from the watch list's checks
    assert "Contacts" in text and "212-555-0199" in text
    # The oral taper is a medicine alongside, with its sig.
    assert "Taper: Prednisone by mouth, days 4–19" in text
    assert "then stop." in text


def test_nurse_sheet_for_procedures_with_the_regimens_checks_and_medicines() -> None:
    rows = lines_of("pdf-plasma-exchange.toml", "nurse")
    text = text_of("pdf-plasma-exchange.toml", "nurse")
    sessions = [row for row in rows if re.search(r"08:30 2 h Plasma exchange session \d", row)]
    assert len(sessions) == 5
    cells = cell_text("pdf-plasma-exchange.toml", "nurse")
    assert cells.count("☐ Blood count and calcium before the session <lab> (07:30)") == 5
    assert "Calcium carbonate 500 mg by mouth during the session 09:00" in text
    assert 'Apheresis unit, room 4 "B" & C' in cell_text("pdf-plasma-exchange.toml", "nurse")


def test_nurse_sheet_for_injections_and_for_a_course_without_appointments() -> None:
    acth = cell_text("pdf-acth.toml", "nurse")
    assert acth.count("ACTH gel 80 units injection under the skin (1 mL)") == 14
    ivig = cell_text("pdf-ivig.toml", "nurse")
    assert ivig.count("☐ Blood pressure and pulse before the infusion (08:45)") == 5
    pack = text_of("pdf-dose-pack.toml", "nurse")
    assert "No infusions, injections, procedures or appointments in this course." in pack


# -- free text, fonts, pages ----------------------------------------------------------------


def test_hostile_text_prints_literally_on_every_sheet() -> None:
    for audience in ("patient", "pharmacist", "nurse"):
        sheet = pages_of("pdf-plasma-exchange.toml", audience)
        for page in sheet:
            assert 'Ana <b>&"é" Núñez' in page
    text = text_of("pdf-plasma-exchange.toml", "patient")
    assert "Apheresis & Neurology <Unit 4>" in text
    assert "Blood count and calcium before the session <lab>" in text


def test_markup_and_entities_in_names_are_not_interpreted(
    write_regimen: Callable[..., Path],
) -> None:
    text = (REGIMENS / "pulse-then-taper.toml").read_text(encoding="utf-8")
    name = 'Jo &amp; <i>Lee</i> </para> "Ørsted" 🙂'.replace(" 🙂", "")
    text = text.replace('name = "Jane Doe"', f"name = '{name}'")
    plan = load_plan(write_regimen(text), today=TODAY)
    for audience in ("patient", "pharmacist", "nurse"):
        first = pages(render_pdf(plan, audience, stamp=STAMP))[0]
        assert name in first


@pytest.mark.parametrize(
    ("name", "code", "char_name"),
    [
        ("Jane 💊 Doe", "U+1F48A", "PILL"),
        ("Jane Doe 漢", "U+6F22", "CJK UNIFIED IDEOGRAPH-6F22"),
        ("שרה כהן", "U+05E9", "HEBREW LETTER SHIN"),
    ],
)
def test_a_character_the_font_cannot_draw_is_an_error_naming_it(
    runner: CliRunner,
    write_regimen: Callable[..., Path],
    tmp_path: Path,
    name: str,
    code: str,
    char_name: str,
) -> None:
    text = (REGIMENS / "pulse-then-taper.toml").read_text(encoding="utf-8")
    regimen = write_regimen(text.replace('name = "Jane Doe"', f'name = "{name}"'))
    out = tmp_path / "out.pdf"
    result = runner.invoke(main, ["pdf", str(regimen), "-o", str(out), "--for", "patient"])
    assert result.exit_code == 1
    assert f"patient.name: the character {code} ({char_name})" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [regimen.name]


@pytest.mark.parametrize(
    "name",
    [
        "Αλέξανδρος Παπαδόπουλος",  # Greek
        "Наталья Иванова",  # Cyrillic
        "Nguyễn Thị Ánh",  # Vietnamese: Latin Extended Additional
        "Kaʻahumanu Søren-Ærø Œuvre",  # ʻokina, Latin-1, Latin Extended-A
    ],
)
def test_names_in_the_supported_scripts_print_on_every_sheet(
    write_regimen: Callable[..., Path], name: str
) -> None:
    text = (REGIMENS / "pulse-then-taper.toml").read_text(encoding="utf-8")
    plan = load_plan(write_regimen(text.replace('name = "Jane Doe"', f'name = "{name}"')))
    for audience in ("patient", "pharmacist", "nurse"):
        assert name in pages(render_pdf(plan, audience, stamp=STAMP))[0]


def test_the_embedded_fonts_draw_every_symbol_the_handouts_use() -> None:
    from taper.export.pdf.layout import _register_fonts

    glyphs = _register_fonts()
    for ch in "☐•–—…×½→≤≥±°µ€£":
        assert ord(ch) in glyphs, f"U+{ord(ch):04X} missing from the embedded fonts"


def test_a_character_outside_the_font_subset_is_refused_with_its_name(
    write_regimen: Callable[..., Path],
) -> None:
    # Box drawing is in the full DejaVu Sans but not in the subset taper embeds. The reader
    # refuses it too (taper.read.text, one rule); this plan is changed after reading.
    plan = load_plan(write_regimen((REGIMENS / "pulse-then-taper.toml").read_text("utf-8")))
    plan = plan._replace(patient=plan.patient._replace(name="Jane ─ Doe"))
    with pytest.raises(ExportError) as caught:
        render_pdf(plan, "patient", stamp=STAMP)
    assert (
        "patient.name: the character U+2500 (BOX DRAWINGS LIGHT HORIZONTAL) in 'Jane ─ Doe' "
        "has no glyph in the handout font (DejaVu Sans)"
    ) in str(caught.value)


def test_every_unprintable_character_is_listed_with_its_place(
    write_regimen: Callable[..., Path],
) -> None:
    # The reader refuses these too (taper.read.text, one rule); this plan is changed after reading.
    text = (REGIMENS / "pulse-then-taper.toml").read_text(encoding="utf-8")
    plan = load_plan(write_regimen(text), today=TODAY)
    plan = plan._replace(
        care_team=plan.care_team._replace(clinic="MS Center 🏥"),
        phases=(plan.phases[0]._replace(where="Floor 3 🛗 left"), *plan.phases[1:]),
    )
    with pytest.raises(ExportError) as caught:
        render_pdf(plan, "nurse", stamp=STAMP)
    message = str(caught.value)
    assert "care_team.clinic: the character U+1F3E5 (HOSPITAL)" in message
    assert "phase[1].where: the character U+1F6D7 (ELEVATOR)" in message
    assert message.startswith("regimen.toml: cannot make the PDF: 2 characters cannot be printed")


def test_short_text_breaks_its_lines_where_a_paragraph_would() -> None:
    # The handouts lay out most text without a Paragraph (taper.export.pdf.layout._Text); where it
    # does so, its lines must be a Paragraph's, in every style and at every width.
    from reportlab.platypus import Paragraph

    from taper.export.pdf.layout import _register_fonts, _Styles, _Text

    _register_fonts()
    styles = _Styles.make(1.0, 11.0)
    large = _Styles.make(1.4, 11.0)
    sentence = (
        "Take 2 × 20 mg tablets at 8:00\u00a0AM with breakfast, then check your blood sugar "
        "before lunch and supper (Zoë's meter), every day until Friday."
    )
    words = sentence.split(" ")
    checked = 0
    for count in range(1, len(words) + 1, 2):
        text = " ".join(words[:count])
        for width in range(40, 420, 9):
            for style in (styles.cell, styles.body, styles.bullet, styles.h2, large.cell):
                bullet = "•" if style is styles.bullet else None
                ours = _Text(text, style, bullet).lines(width)
                if ours is None:
                    continue
                paragraph = Paragraph(text, style, bulletText=bullet)
                paragraph.wrap(width, 10_000)
                theirs = [" ".join(line[1]) for line in paragraph.blPara.lines]
                assert ["".join(run for _, run in runs) for runs, _ in ours] == theirs
                checked += 1
    assert checked > 500


def test_two_builds_are_byte_identical_and_dated_from_the_stamp() -> None:
    plan = plan_of("pdf-dose-pack.toml")
    first = render_pdf(plan, "patient", stamp=STAMP)
    assert render_pdf(plan, "patient", stamp=STAMP) == first
    later = render_pdf(plan, "patient", stamp=datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert later != first
    info = pypdf.PdfReader(io.BytesIO(later)).metadata
    assert info is not None
    assert info["/CreationDate"] == "D:20270102030405+00'00'"
    assert info["/ModDate"] == "D:20270102030405+00'00'"


def test_cli_builds_in_separate_processes_are_byte_identical(tmp_path: Path) -> None:
    outputs = []
    for number in (1, 2):
        out = tmp_path / f"{number}.pdf"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "taper",
                "pdf",
                str(REGIMENS / "pulse-then-taper.toml"),
                "-o",
                str(out),
                "--for",
                "pharmacist",
            ],
            check=True,
            env={
                "SOURCE_DATE_EPOCH": "1795305600",
                "PATH": "/usr/bin:/bin",
                "PYTHONHASHSEED": str(number),
            },
            capture_output=True,
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(("paper", "size"), [("letter", (612, 792)), ("a4", (595, 842))])
def test_paper_sizes(paper: str, size: tuple[int, int]) -> None:
    for audience in ("patient", "pharmacist", "nurse"):
        reader = pypdf.PdfReader(io.BytesIO(pdf_of("pulse-then-taper.toml", audience, paper)))
        for page in reader.pages:
            box = page.mediabox
            assert (round(float(box.width)), round(float(box.height))) == size


def font_sizes(data: bytes) -> Counter[float]:
    """How many characters are set at each font size (text matrix scaling included)."""
    sizes: Counter[float] = Counter()

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip():
            sizes[round(size * tm[0] * cm[0], 1)] += len(text.strip())

    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=visit)
    return sizes


def test_large_print_makes_the_body_text_at_least_1_3_times_bigger() -> None:
    normal = font_sizes(pdf_of("pulse-then-taper.toml", "patient"))
    large = font_sizes(pdf_of("pulse-then-taper.toml", "patient", large=True))
    body, body_large = normal.most_common(1)[0][0], large.most_common(1)[0][0]
    assert body >= 9
    assert body_large >= 1.3 * body
    assert min(large) >= 1.3 * min(normal)
    assert len(pages_of("pulse-then-taper.toml", "patient")) < len(
        pages(pdf_of("pulse-then-taper.toml", "patient", large=True))
    )


def test_large_print_and_a4_still_carry_every_dose() -> None:
    data = pdf_of("pdf-dose-pack.toml", "patient", "a4", True)
    text = flat("\n".join(pages(data)))
    assert text.count("☐") == len(plan_of("pdf-dose-pack.toml").doses)
    assert "Methylprednisolone 8 mg: 2 × 4 mg tablets, with food" in text


def test_no_text_is_set_outside_the_page() -> None:
    for name in ("pdf-alternate-day.toml", "pdf-plasma-exchange.toml", "pdf-dose-pack.toml"):
        for audience in ("patient", "pharmacist", "nurse"):
            for large in (False, True):
                reader = pypdf.PdfReader(io.BytesIO(pdf_of(name, audience, "a4", large)))
                for page in reader.pages:
                    width = float(page.mediabox.width)
                    xs: list[float] = []
                    page.extract_text(
                        visitor_text=lambda text, cm, tm, font, size, xs=xs: (
                            xs.append(tm[4] + cm[4]) if text.strip() else None
                        )
                    )
                    assert xs and min(xs) >= 30 and max(xs) < width - 30


def test_unknown_audience_or_paper_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown audience"):
        render_pdf(plan_of("pdf-ivig.toml"), "doctor", stamp=STAMP)
    with pytest.raises(ValueError, match="unknown paper"):
        render_pdf(plan_of("pdf-ivig.toml"), "nurse", stamp=STAMP, paper="legal")


# -- the command and the render script ------------------------------------------------------


def test_pdf_command_writes_an_owner_only_file_and_refuses_to_overwrite(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "jane.pdf"
    args = [
        "pdf",
        str(REGIMENS / "pulse-then-taper.toml"),
        "-o",
        str(out),
        "--for",
        "patient",
        "--large-print",
        "--paper",
        "a4",
    ]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.read_bytes() == pdf_of("pulse-then-taper.toml", "patient", "a4", True)
    again = runner.invoke(main, args)
    assert again.exit_code == 1
    assert "already exists; add --force to replace it" in again.output
    assert runner.invoke(main, [*args, "--force"]).exit_code == 0


def test_render_script_writes_pngs_of_every_page(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "render_handouts.py"),
            str(REGIMENS / "pdf-ivig.toml"),
            "-o",
            str(tmp_path),
            "--dpi",
            "30",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "pdf-ivig:" in result.stdout
    folder = tmp_path / "pdf-ivig"
    for audience in ("patient", "pharmacist", "nurse"):
        count = len(pages_of("pdf-ivig.toml", audience))
        pngs = sorted(folder.glob(f"{audience}-p*.png"))
        assert len(pngs) == count
        assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow  # a minute or more: .ci/run runs it, the README's command does not
def test_every_shipped_template_renders_all_three_handouts(tmp_path: Path) -> None:
    from taper.read.templates import list_templates, render_template

    templates = list_templates()
    assert templates
    for template in templates:
        path = tmp_path / f"{template.name}.toml"
        path.write_text(
            render_template(
                template.name,
                start=date(2026, 12, 1),
                weight="70 kg",
                timezone="America/New_York",
                height="120 cm",
            ),
            encoding="utf-8",
        )
        plan = load_plan(path, today=TODAY)
        for audience in ("patient", "pharmacist", "nurse"):
            text = pages(render_pdf(plan, audience, stamp=STAMP))
            assert f"Page 1 of {len(text)}" in text[0]
