"""Issue 23 in a real browser: what the nurse's page prints, keeps, names and says.

The fixtures (Debian's Chromium through Playwright, the app on a loopback port) are those of
tests/test_web_browser.py; every state a test reaches is also checked with axe-core.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import test_web_browser as browser_tests
from test_web_browser import TEMPLATE, axe_violations, describe, expect, settled, use_template

# The browser tests' fixtures: Debian's Chromium, the app on a loopback port, a fresh page.
browser = browser_tests.browser
server = browser_tests.server
page = browser_tests.page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LAPTOP = {"width": 1440, "height": 900}
ZOOMED = {"width": 720, "height": 450}  # 1440 × 900 at 200 % zoom, in CSS pixels
PHONE = {"width": 390, "height": 844}
VALID = re.compile(r"^Valid: ")


def no_serious_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def download(page: Any, button: str = "Download packet") -> Any:
    """Click a download button once the page has settled (as the browser tests' own
    ``download_packet`` does: a click mid-check once timed out in CI); the Download."""
    settled(page)
    with page.expect_download(timeout=60_000) as started:
        page.get_by_role("button", name=button).click()
    return started.value


def accept_next(page: Any) -> list[str]:
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    return asked


def test_printing_the_page_prints_the_whole_plan_and_no_form(page: Any) -> None:
    from pypdf import PdfReader

    use_template(page)  # 31 days: 3 of the pulse, 28 of the taper
    page.get_by_label("Patient name").fill("Jane Doe")
    expect()(page.locator("#preview")).to_contain_text("Jane Doe")
    expect()(page.locator("#check-summary")).to_have_text(re.compile(r"^Valid: 31 days"))
    no_serious_axe(page)
    start = date.fromisoformat(page.locator("#f-start").input_value())
    text = " ".join(
        page_.extract_text() for page_ in PdfReader(io.BytesIO(page.pdf())).pages
    ).replace("\u00a0", " ")
    flat = " ".join(text.split())
    for day in range(31):  # the day-by-day table, every day of it (it scrolls on screen)
        when = start + timedelta(days=day)
        label = f"{when:%a} {when:%b} {when.day}"
        assert label in flat, f"day {day + 1} ({label}) is not in the printout"
    assert f"{start:%B} {start.year}" in flat  # the calendar prints too (a hidden tab on screen)
    for control in ("Patient name", "Use this template", "Download", "Regimen file", "Problems"):
        assert control not in flat, f"{control!r} is printed"


def test_a_form_edit_while_the_file_is_unreadable_is_not_lost(page: Any) -> None:
    check = expect()
    use_template(page)
    page.get_by_label("Patient name").fill("Ann Lee")
    check(page.locator("#regimen")).to_have_value(re.compile(r'name = "Ann Lee"'))
    page.get_by_role("tab", name="Regimen file").click()
    good = page.locator("#regimen").input_value()
    page.locator("#regimen").fill(good + "\n[[[broken\n")
    page.get_by_role("tab", name="Form").click()
    reason = page.locator("#form-lock-reason")
    check(reason).to_contain_text("The form is read-only while the regimen file cannot be read")
    check(page.locator("#announce")).to_contain_text("The form is read-only")
    name = page.get_by_label("Patient name")
    check(name).to_be_disabled()  # no edit that the fixed file would silently undo
    check(page.get_by_role("button", name="Download the packet")).to_be_disabled()
    no_serious_axe(page)
    page.get_by_role("tab", name="Regimen file").click()
    page.locator("#regimen").fill(good.replace('"Ann Lee"', '"Ann Leigh"'))
    page.get_by_role("tab", name="Form").click()
    check(reason).to_have_text("")
    check(name).to_be_enabled()
    check(name).to_have_value("Ann Leigh")
    name.fill("Ann Lee")
    check(page.locator("#regimen")).to_have_value(re.compile(r'name = "Ann Lee"'))
    with zipfile.ZipFile(Path(download(page).path())) as archive:
        assert 'name = "Ann Lee"' in archive.read("regimen.toml").decode()


def test_the_dosing_select_and_the_plan_stay_in_step(page: Any) -> None:
    check = expect()
    use_template(page)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#f-phase-2-form").select_option("taper")
    # "Cancel": the select says what the plan uses, and the plan and packet are unchanged.
    check(page.locator("#f-phase-2-form")).to_have_value("steps")
    check(page.locator("#f-phase-2-steps-1-dose")).to_be_visible()
    check(page.locator("#f-phase-2-form-change")).to_be_hidden()  # no second step to apply it
    check(page.get_by_role("button", name="Download packet")).to_be_enabled()
    asked = accept_next(page)
    page.locator("#f-phase-2-form").select_option("dose")
    check(page.locator("#f-phase-2-dose")).to_be_visible()
    assert asked and "clears its 4 steps" in asked[0]
    check(page.locator("#announce")).to_contain_text("Phase 2 is dosed another way now")
    no_serious_axe(page)


def test_downloads_are_named_from_the_patient_and_the_start_date(page: Any) -> None:
    use_template(page)
    page.get_by_label("Patient name").fill("José O'Brien / ../x")
    expect()(page.locator("#preview")).to_contain_text("José O'Brien")
    start = page.locator("#f-start").input_value()
    stem = f"Jose-O-Brien-x_{start}"
    assert download(page).suggested_filename == f"{stem}_packet.zip"
    assert download(page, "Download patient.pdf").suggested_filename == f"{stem}_patient.pdf"
    packet = download(page, "Download the packet")  # the sticky bar's
    assert packet.suggested_filename == f"{stem}_packet.zip"


def test_an_empty_divided_doses_cell_does_not_look_like_a_dose(page: Any) -> None:
    use_template(page)
    cell = page.get_by_label("Step 1 divided doses")
    assert cell.input_value() == ""
    hint = cell.get_attribute("placeholder") or ""
    assert not re.search(r"\d|mg|mL", hint), hint
    expect()(page.locator("#form-body")).to_contain_text("Divided doses: empty gives")


def test_work_is_not_thrown_away_without_a_question(page: Any) -> None:
    check = expect()
    page.get_by_label("Patient name").fill("Jane Doe")
    page.get_by_label("Weight").fill("20 kg")
    # A template keeps the patient's fields, so it needs no question here.
    page.get_by_label("Template").select_option("child-asthma-prednisolone-liquid")
    page.get_by_role("button", name="Use this template").click()
    check(page.locator("#check-summary")).to_have_text(VALID)
    check(page.get_by_label("Patient name")).to_have_value("Jane Doe")
    check(page.get_by_label("Weight")).to_have_value("20 kg")
    page.get_by_label("Days").first.fill("4")
    check(page.locator("#check-summary")).to_have_text(re.compile(r"^Valid: 4 days"))
    for action in ("Start blank", "Use this template"):
        page.once("dialog", lambda dialog: dialog.dismiss())
        page.get_by_role("button", name=action).click()
        page.wait_for_timeout(600)
        check(page.get_by_label("Days").first).to_have_value("4")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.set_input_files("#upload", str(Path(__file__).parent / "regimens" / "liquid.toml"))
    page.wait_for_timeout(600)
    check(page.get_by_label("Patient name")).to_have_value("Jane Doe")
    # An EHR order replaces the regimen too: the same question, and "Cancel" keeps the work.
    order = Path(__file__).parent / "fhir" / "ehr-prednisone-taper-by-sequence.json"
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.set_input_files("#fhir-upload", str(order))
    page.wait_for_timeout(600)
    assert asked and asked[0].startswith("Start from this EHR order?"), asked
    check(page.get_by_label("Patient name")).to_have_value("Jane Doe")
    check(page.get_by_label("Days").first).to_have_value("4")
    check(page.locator("#fhir-upload")).to_have_value("")
    # Remove phase asks, always; "Cancel" keeps it. The MS template's 1 g pulses are above
    # 30 mg/kg for the 20 kg child kept from above: an adult's weight first.
    page.get_by_label("Weight").fill("70 kg")
    accept_next(page)  # the edited days are given up for the template
    use_template(page)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Remove phase 2").click()
    page.wait_for_timeout(600)
    check(page.locator("#f-phase-2")).to_have_count(1)
    asked = accept_next(page)
    page.get_by_role("button", name="Remove phase 2").click()
    check(page.locator("#f-phase-2")).to_have_count(0)
    assert asked and asked[0].startswith("Remove phase 2 (")
    check(page.locator("#announce")).to_contain_text("Phase 2 removed.")
    no_serious_axe(page)


@pytest.mark.parametrize("size", [LAPTOP, ZOOMED, PHONE], ids=["1440px", "200%", "phone"])
def test_the_packet_and_the_problem_count_stay_in_reach(page: Any, size: dict[str, int]) -> None:
    check = expect()
    page.set_viewport_size(size)
    use_template(page)
    dose = page.get_by_label("Step 3 dose")
    dose.fill("20 mgg")
    check(page.locator("#bar-count")).to_have_text("1 problem")
    for target in ("#bar-count", "#packet-bar button.primary"):
        box = page.locator(target).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]
    check(page.locator("#packet-bar button.primary")).to_be_disabled()
    # Reading order: the problems come before the download, in the bar and on the page.
    order = page.evaluate(
        """() => [['#bar-count', '#packet-bar button'], ['#problems', '#download-buttons']]
          .map(([a, b]) => !!(document.querySelector(a).compareDocumentPosition(
            document.querySelector(b)) & Node.DOCUMENT_POSITION_FOLLOWING))"""
    )
    assert order == [True, True]
    page.locator("#bar-count").click()
    check(page.locator("#errors")).to_contain_text("Phase 2, step 3, dose")
    no_serious_axe(page)
    dose.fill("20 mg")
    check(page.locator("#bar-count")).to_have_text(re.compile(r"^No problems"))
    check(page.locator("#packet-bar button.primary")).to_be_enabled()
    no_serious_axe(page)


def test_templates_are_offered_by_title_in_groups_with_no_command_line_words(page: Any) -> None:
    check = expect()
    picker = page.get_by_label("Template")
    assert picker.input_value() == TEMPLATE
    groups = page.locator("#template optgroup")
    assert groups.count() >= 2
    labels = page.locator("#template option").all_inner_texts()
    assert not any(re.fullmatch(r"[a-z0-9-]+", label) for label in labels), labels
    page.get_by_role("button", name="Use this template").click()  # the default one works
    check(page.locator("#check-summary")).to_have_text(VALID)
    picker.select_option("child-asthma-prednisolone-liquid")  # per kg, no weight typed
    accept_next(page)  # (nothing was edited: no question is expected, none is harmful)
    page.get_by_role("button", name="Use this template").click()
    check(page.locator("#f-patient-weight")).to_be_focused()
    check(page.locator("#e-patient-weight")).not_to_have_text("")
    shown = page.evaluate(
        "() => document.body.innerText + [...document.querySelectorAll('details p')]"
        ".map(p => p.textContent).join(' ')"
    )
    assert not re.search(r"--[a-z]", shown), re.findall(r".{40}--[a-z].{20}", shown)
    no_serious_axe(page)


def test_problems_in_the_forms_words_linking_to_the_field(page: Any) -> None:
    check = expect()
    use_template(page)
    page.get_by_label("Step 1 dose").fill("x")
    link = page.get_by_role("link", name="Phase 2, step 1, dose")
    check(link).to_have_attribute("href", "#f-phase-2-steps-1-dose")
    check(page.locator("#check-summary")).to_have_text("1 problem found")
    link.click()
    check(page.get_by_label("Step 1 dose")).to_be_focused()


def test_moves_and_removals_are_announced_and_the_list_is_not_live(page: Any) -> None:
    check = expect()
    # The blank page opens without red problems.
    check(page.locator("#errors li.error")).to_have_count(0)
    check(page.locator("#bar-count")).to_have_text("Nothing checked yet")
    no_serious_axe(page)
    assert page.locator("#errors").get_attribute("aria-live") is None
    use_template(page)
    # "Move up" is at the other end of the row from "Remove phase".
    up = page.get_by_role("button", name="Move up phase 2").bounding_box()
    remove = page.get_by_role("button", name="Remove phase 2").bounding_box()
    assert up is not None and remove is not None
    assert remove["x"] - (up["x"] + up["width"]) > 100
    page.get_by_role("button", name="Move step 3 up").click()
    check(page.locator("#announce")).to_have_text(
        re.compile(r"^Step 3 of phase 2 moved up: it is now step 2\.")
    )
    check(page.locator("#f-phase-2-steps-2-up")).to_be_focused()
    page.get_by_label("Step 1 dose").fill("x")
    check(page.locator("#announce")).to_have_text("1 problem")  # the count, not the list
    page.get_by_label("Step 1 dose").fill("xy")
    page.wait_for_timeout(800)
    check(page.locator("#announce")).to_have_text("")  # the same count is not said again


def test_a_childs_per_kg_dose_shows_its_basis(page: Any) -> None:
    check = expect()
    page.get_by_label("Weight").fill("20 kg")
    page.get_by_label("Template").select_option("child-asthma-prednisolone-liquid")
    page.get_by_role("button", name="Use this template").click()
    check(page.locator("#preview")).to_contain_text("40.5 mg")
    check(page.locator("#bases")).to_contain_text(
        "2 mg/kg × 20 kg = 40 mg; given as 40.5 mg (13.5 mL): "
        "rounded to a volume the syringe measures"
    )
    no_serious_axe(page)


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_the_packets_regimen_keeps_the_files_line_ends(
    page: Any, tmp_path: Path, newline: str
) -> None:
    check = expect()
    source = (Path(__file__).parent / "regimens" / "liquid.toml").read_text()
    upload = tmp_path / "liquid.toml"
    upload.write_bytes(source.replace("\n", newline).encode())
    page.set_input_files("#upload", str(upload))
    check(page.locator("#check-summary")).to_have_text(VALID)
    for edit in ("", "Sam Leigh"):
        if edit:
            page.get_by_label("Patient name").fill(edit)
            check(page.locator("#regimen")).to_have_value(re.compile(edit))
        with zipfile.ZipFile(Path(download(page).path())) as archive:
            regimen = archive.read("regimen.toml")
        assert regimen.count(b"\r\n") == (regimen.count(b"\n") if newline == "\r\n" else 0)
        if not edit:
            assert regimen == upload.read_bytes()
