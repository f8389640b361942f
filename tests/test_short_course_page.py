"""Issue 25: a 5-dose course fits its calendar and its checklist on one page of the patient
handout (its calendar used to end page 1 and its checklist stand alone on page 2).

Read back from the PDF with pypdf, page by page; and the page drawn with pypdfium2, to check
that the calendar and the checklist are really ink on that one page."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdf
import pypdfium2
import pytest

from taper.api import load
from taper.export.pdf import render_pdf
from taper.read.templates import render_template
from taper.records.plan import Plan

STAMP = datetime(2026, 11, 22, tzinfo=UTC)


def pages(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def template_plan(name: str) -> Plan:
    text = render_template(
        name, start=datetime(2027, 1, 4).date(), timezone="America/New_York", weight=None
    )
    text = text.replace("[care_team]", '[care_team]\nphone = "212-555-0100"', 1)
    return _load(text.encode("utf-8"), f"{name}.toml")


def calendar_page(texts: list[str]) -> int:
    found = [number for number, text in enumerate(texts) if "Your calendar" in text]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    "name", ["ms-iv-pulse-5-day", "ms-oral-prednisone-5-day", "copd-prednisone-5-day"]
)
@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_a_5_dose_course_has_its_calendar_and_checklist_on_one_page(name: str, paper: str) -> None:
    plan = template_plan(name)
    assert len(plan.doses) == 5
    data = render_pdf(plan, "patient", stamp=STAMP, paper=paper)
    texts = pages(data)
    number = calendar_page(texts)
    page = texts[number]
    assert "Day by day" in page
    for day in range(1, 6):
        assert f"Day {day} of 5" in page
    assert not any("Day by day" in text for text in texts[number + 1 :])
    # Drawn: ink in the page's upper half (the calendar) and lower down (the checklist's
    # last days), not a page that only looks full in its text.
    document = pypdfium2.PdfDocument(data)
    image = document[number].render(scale=0.5).to_pil().convert("L")
    width, height = image.size
    inked = [
        any(image.getpixel((x, y)) < 128 for x in range(0, width, 2)) for y in range(0, height, 4)
    ]
    rows = len(inked)
    assert any(inked[: rows // 3]) and any(inked[rows // 3 : 2 * rows // 3])


def test_a_course_too_long_for_one_page_still_follows_on() -> None:
    """A course whose calendar and checklist cannot share a page is laid out as before: the
    calendar follows the course at a glance on page 1, the checklist after it."""
    plan = _load(
        b'start = 2027-01-04\ntimezone = "America/New_York"\n[care_team]\n'
        b'phone = "212-555-0100"\n[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\n'
        b'days = 10\nat = ["breakfast"]\n',
        "ten-days.toml",
    )
    texts = pages(render_pdf(plan, "patient", stamp=STAMP))
    assert calendar_page(texts) == 0
    assert "Day by day" not in texts[0] and "Day 10 of 10" in texts[1]


@pytest.mark.parametrize("days", [3, 5, 7])
def test_a_week_of_daily_tablets_shares_a_page_too(days: int) -> None:
    plan = _load(
        b'start = 2027-01-04\ntimezone = "America/New_York"\n[care_team]\n'
        b'phone = "212-555-0100"\n[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\n'
        + f"days = {days}\n".encode()
        + b'at = ["breakfast"]\n',
        "week.toml",
    )
    texts = pages(render_pdf(plan, "patient", stamp=STAMP, paper="a4"))
    page = texts[calendar_page(texts)]
    assert "Day by day" in page and f"Day {days} of {days}" in page


def _load(data: bytes, source: str) -> Plan:
    """The plan of a regimen's bytes, as the page and the API read it (taper.api.load)."""
    return load(data, source=source)
