"""The page's "Start from an EHR order (FHIR JSON)" (issue 21): through Flask's test client, and
in a real browser (the fixtures of test_web_browser: Debian's Chromium through Playwright)."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from fhir_oracle import FIXTURES
from flask.testing import FlaskClient
from test_web_browser import (  # noqa: F401  (pytest fixtures, used by name)
    browser,
    check_packet,
    download_packet,
    expect,
    page,
    server,
)

TOKEN = "fhir-page-token-01234"
BASE = "http://127.0.0.1:5125"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    from taper.web import create_app

    monkeypatch.setattr("taper.read.templates.machine_timezone", lambda: "America/New_York")
    return create_app(token=TOKEN, port=5125).test_client()


def _upload(client: FlaskClient, name: str, **fields: str) -> str:
    data: dict[str, Any] = {"regimen": "", **fields}
    data["fhir"] = (io.BytesIO((FIXTURES / name).read_bytes()), name)
    answer = client.post(
        "/ui/import-fhir",
        data=data,
        content_type="multipart/form-data",
        headers={"Authorization": f"token {TOKEN}"},
        base_url=BASE,
    )
    assert answer.status_code == 200
    return html.unescape(answer.get_data(as_text=True))


def _region(text: str, ident: str) -> str:
    match = re.search(rf'<div id="{ident}" hx-swap-oob="innerHTML">(.*?)</div>', text, re.S)
    assert match, ident
    return match.group(1)


def test_an_order_becomes_the_form_and_the_file(client: FlaskClient) -> None:
    text = _upload(client, "ehr-prednisone-taper-by-sequence.json", timezone="America/Chicago")
    assert _region(text, "fhir-error").strip() == ""
    assert (
        "# imported from ehr-prednisone-taper-by-sequence.json: check every dose before use" in text
    )
    assert 'timezone = "America/Chicago"' in text
    assert "regimen.toml: valid" in text


def test_a_refused_order_is_listed_beside_the_upload_and_changes_nothing(
    client: FlaskClient,
) -> None:
    text = _upload(client, "hl7-medrx0303.json", timezone="Europe/Amsterdam")
    errors = _region(text, "fhir-error")
    assert "3 problems" in errors
    assert (
        "hl7-medrx0303.json: MedicationRequest.dosageInstruction[0].doseAndRate[0]."
        "doseQuantity: is 4 TAB" in errors
    )
    assert "form-body" not in text.split("fhir-error")[1]  # the form is not replaced


def test_the_weight_field_serves_a_per_kg_order(client: FlaskClient) -> None:
    text = _upload(
        client,
        "ehr-per-kg-liquid-with-cap.json",
        timezone="America/Chicago",
        **{"patient.weight": "15 kg"},
    )
    assert 'weight = "15 kg"' in text


@pytest.mark.browser
@pytest.mark.slow
def test_in_a_browser_an_order_opens_and_a_refusal_shows_its_places(page: Any) -> None:  # noqa: F811
    check = expect()
    upload = page.get_by_label("Start from an EHR order (FHIR JSON)")
    upload.set_input_files(str(FIXTURES / "ehr-prednisone-taper-by-sequence.json"))
    check(page.locator("#check-summary")).to_have_text(re.compile(r"^regimen\.toml: valid: "))
    check(page.locator("#preview")).to_contain_text("Jane Doe")
    check(page.locator("#preview")).to_contain_text("60 mg")
    page.get_by_role("tab", name="Regimen file").click()
    check(page.locator("#panel-file")).to_contain_text(
        "imported from ehr-prednisone-taper-by-sequence.json: check every dose before use"
    )
    regimen = check_packet(download_packet(page))
    assert "ehr-prednisone-taper-by-sequence.json" in regimen
    # An order taper must refuse: listed beside the upload, each problem with its place; the
    # regimen already open stays as it was.
    upload.set_input_files(str(FIXTURES / "hl7fr-has22-prednisolone-open-ended.json"))
    error = page.locator("#fhir-error")
    check(error).to_contain_text("Bundle.entry[0].resource.dosageInstruction[0].timing.repeat")
    check(error).to_contain_text("until 3 negative dipsticks")
    check(page.locator("#check-summary")).to_have_text(re.compile(r"^regimen\.toml: valid: "))
    check(page.locator("#panel-file")).to_contain_text("ehr-prednisone-taper-by-sequence.json")
    check(upload).to_have_attribute("aria-describedby", "fhir-error")


def test_a_zone_with_no_emergency_number_points_at_the_time_zone_field(
    client: FlaskClient,
) -> None:
    errors = _region(_upload(client, "ehr-every-other-day.json", timezone="UTC"), "fhir-error")
    assert "care_team.emergency: is missing" in errors
    assert 'ehr-every-other-day.json: Time zone: "UTC" gives no emergency number' in errors
    assert "such as America/New_York" in errors and "--timezone" not in errors
