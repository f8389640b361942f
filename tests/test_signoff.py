"""Issue 25: the pharmacist's sign-off, the plan fingerprint, and `taper build`'s warnings.

The handouts' words are read back from the PDFs with pypdf; the fingerprint is worked out again
here from plan.json by its published definition (README, plan.schema.json)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pypdf
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_strategies import regimens

from taper.cli import main
from taper.engine.schedules import build_plan
from taper.export.json import fingerprint, render_json
from taper.read.errors import RegimenError
from taper.read.regimen import parse_regimen
from taper.records.plan import Plan

REGIMENS = Path(__file__).parent / "regimens"
SCHEMA = json.loads(
    (Path(__file__).parent.parent / "taper" / "data" / "plan.schema.json").read_text("utf-8")
)
PDFS = ("patient.pdf", "pharmacist.pdf", "nurse.pdf")
SIGNOFF_FIELDS = (
    "Entered by (name)",
    "Checked by (pharmacist)",
    "Date checked",
    "Pharmacist's signature",
)


def pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


def build(runner: CliRunner, regimen: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    result = runner.invoke(main, ["build", str(regimen), "-o", str(out), *extra])
    return result.exit_code, result.stdout, result.stderr


def fingerprint_by_definition(document: dict[str, object]) -> str:
    """The README's definition, written out independently of taper.export.json.fingerprint."""
    content = {k: v for k, v in document.items() if k not in ("warnings", "fingerprint")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return base64.b32encode(hashlib.sha256(canonical.encode("utf-8")).digest()).decode()[:10]


# -- the sign-off ---------------------------------------------------------------------------------


def signoff_text(pdf: bytes) -> str:
    text = flat(pages(pdf)[-1])
    assert "Verification and sign-off" in text
    return text[text.index("Verification and sign-off") :]


def test_the_dispensing_sheet_ends_with_blank_lines_for_a_pen(
    runner: CliRunner, tmp_path: Path
) -> None:
    code, _, _ = build(runner, REGIMENS / "pulse-then-taper.toml", tmp_path / "p")
    assert code == 0
    text = signoff_text((tmp_path / "p" / "pharmacist.pdf").read_bytes())
    for label in SIGNOFF_FIELDS:
        assert label in text
    # Nothing is filled in: the labels follow one another, with only pen lines between them.
    assert "Entered by (name) Checked by (pharmacist) Date checked Pharmacist's signature" in text
    # A line per product, with what the plan needs beside it.
    assert "Supplied (quantity, brand, batch, expiry)" in text
    assert "Prednisone, 20 mg tablets" in text
    assert "Methylprednisolone IV (given by staff)" in text
    # The sign-off is the sheet's last block: the counselling comes before it.
    whole = flat(" ".join(pages((tmp_path / "p" / "pharmacist.pdf").read_bytes())))
    assert whole.index("Counselling points") < whole.index("Verification and sign-off")


def test_checked_by_fills_the_pharmacists_name_and_the_date(
    runner: CliRunner, tmp_path: Path
) -> None:
    code, _, _ = build(
        runner,
        REGIMENS / "pulse-then-taper.toml",
        tmp_path / "p",
        "--checked-by",
        "J. Smith,  RPh",
    )
    assert code == 0
    text = signoff_text((tmp_path / "p" / "pharmacist.pdf").read_bytes())
    # SOURCE_DATE_EPOCH 1795305600 is 2026-11-22 00:00 UTC: the evening before in New York.
    assert "Checked by (pharmacist) J. Smith, RPh Date checked Saturday, November 21, 2026" in text
    assert "Entered by (name) Checked by" in text  # entered by stays a pen line
    # Only the dispensing sheet carries the name.
    for name in ("patient.pdf", "nurse.pdf"):
        assert "J. Smith" not in " ".join(pages((tmp_path / "p" / name).read_bytes()))
    assert "J. Smith" not in (tmp_path / "p" / "plan.json").read_text("utf-8")


def test_taper_pdf_for_the_pharmacist_takes_checked_by(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "sheet.pdf"
    args = ["pdf", str(REGIMENS / "pulse-then-taper.toml"), "-o", str(out)]
    result = runner.invoke(main, [*args, "--for", "pharmacist", "--checked-by", "A. Ng, PharmD"])
    assert result.exit_code == 0, result.output
    assert "Checked by (pharmacist) A. Ng, PharmD" in signoff_text(out.read_bytes())
    other = runner.invoke(main, [*args, "--for", "patient", "--checked-by", "A. Ng", "--force"])
    assert other.exit_code == 2
    assert "--checked-by goes with --for pharmacist" in other.output


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("J. Smith\x1b[2J", "U+001B (ESCAPE) is a control character"),
        ("J. Smith\nRPh", "is a line break"),
        ("J. \u202eSmith", "changes the direction"),
        ("  ", "is empty"),
        ("J" * 81, "is 81 characters long; a name is at most 80"),
        ("J. Smith \U0001f600", "emoji"),
    ],
)
def test_a_name_goes_through_the_text_rule(
    runner: CliRunner, tmp_path: Path, name: str, said: str
) -> None:
    code, _, err = build(
        runner, REGIMENS / "pulse-then-taper.toml", tmp_path / "p", "--checked-by", name
    )
    assert code == 2
    assert said in err
    assert "\x1b" not in err
    assert not (tmp_path / "p").exists()


def test_a_print_run_signs_every_sheet(runner: CliRunner, tmp_path: Path) -> None:
    orders = tmp_path / "orders"
    orders.mkdir()
    for name in ("pulse-then-taper.toml", "liquid.toml"):
        (orders / name).write_bytes((REGIMENS / name).read_bytes())
    result = runner.invoke(
        main,
        [
            "build",
            str(orders),
            "-o",
            str(tmp_path / "out"),
            "--jobs",
            "1",
            "--checked-by",
            "J. Smith, RPh",
        ],
    )
    assert result.exit_code == 0, result.output
    for folder in ("pulse-then-taper", "liquid"):
        sheet = (tmp_path / "out" / folder / "pharmacist.pdf").read_bytes()
        assert "Checked by (pharmacist) J. Smith, RPh" in signoff_text(sheet)


# -- the plan fingerprint -------------------------------------------------------------------------


def test_every_page_and_plan_json_carry_the_fingerprint(runner: CliRunner, tmp_path: Path) -> None:
    code, _, _ = build(runner, REGIMENS / "pulse-then-taper.toml", tmp_path / "p")
    assert code == 0
    document = json.loads((tmp_path / "p" / "plan.json").read_text("utf-8"))
    jsonschema.validate(document, SCHEMA)
    fingerprint = document["fingerprint"]
    assert re.fullmatch(r"[A-Z2-7]{10}", fingerprint)
    assert fingerprint == fingerprint_by_definition(document)
    for name in PDFS:
        texts = pages((tmp_path / "p" / name).read_bytes())
        assert len(texts) >= 1
        for number, text in enumerate(texts, 1):
            assert f"Plan {fingerprint} · Page {number} of {len(texts)}" in text, (name, number)


def fingerprint_of(runner: CliRunner, regimen: Path) -> str:
    result = runner.invoke(main, ["plan", str(regimen), "--json"])
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["fingerprint"])


def test_the_fingerprint_follows_the_plan_not_the_build_time(
    runner: CliRunner,
    write_regimen: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = (REGIMENS / "pulse-then-taper.toml").read_text("utf-8")
    original = fingerprint_of(runner, write_regimen(text, "a.toml"))
    # A year later ("start in the past" now warns): the same plan, the same fingerprint.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1795305600 + 365 * 86400))
    later = runner.invoke(main, ["plan", str(write_regimen(text, "a.toml")), "--json"])
    assert "start-in-past" in later.stdout
    assert json.loads(later.stdout)["fingerprint"] == original
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795305600")
    # Another revision, another dose: other fingerprints, each its own.
    revised = re.sub(r"(?m)^revision = \d+", "revision = 1", text)
    if revised == text:
        revised = text.replace("\n[patient]", "\nrevision = 1\n\n[patient]", 1)
    assert revised != text
    other_dose = text.replace('dose = "60 mg"', 'dose = "50 mg"', 1)
    assert other_dose != text
    codes = {
        original,
        fingerprint_of(runner, write_regimen(revised, "b.toml")),
        fingerprint_of(runner, write_regimen(other_dose, "c.toml")),
    }
    assert len(codes) == 3


def test_check_json_and_plan_print_the_fingerprint(runner: CliRunner, tmp_path: Path) -> None:
    regimen = REGIMENS / "pulse-then-taper.toml"
    expected = fingerprint_of(runner, regimen)
    checked = runner.invoke(main, ["check", "--json", str(regimen)])
    assert checked.exit_code == 0
    answer = json.loads(checked.stdout)
    assert answer["valid"] is True
    assert answer["fingerprint"] == expected
    assert {w["code"] for w in answer["warnings"]} >= set()
    table = runner.invoke(main, ["plan", str(regimen)])
    assert table.stdout.splitlines()[2].startswith(f"Plan {expected} ")


def test_check_json_of_an_invalid_regimen(
    runner: CliRunner, write_regimen: Callable[..., Path]
) -> None:
    bad = write_regimen(
        'start = 2027-01-04\ntimezone = "America/New_York"\n[[phase]]\ndrug = "prednisone"\n'
        'dose = "40 mg"\ndays = 3\nat = ["brekfast"]\n'
    )
    result = runner.invoke(main, ["check", "--json", str(bad)])
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert answer["valid"] is False
    assert answer["fingerprint"] is None
    assert any(error["place"] == "phase[1].at[1]" for error in answer["errors"])


# -- taper build says the warnings ----------------------------------------------------------------


def test_build_prints_the_warnings_check_prints_on_stderr(
    runner: CliRunner, write_regimen: Callable[..., Path], tmp_path: Path
) -> None:
    regimen = write_regimen(
        'start = 2026-11-01\ntimezone = "America/New_York"\n[[phase]]\ndrug = "prednisone"\n'
        'dose = "40 mg"\ndays = 3\nat = ["breakfast"]\n'
    )
    checked = runner.invoke(main, ["check", str(regimen)])
    warnings = [line for line in checked.stdout.splitlines() if "warning [" in line]
    assert any("[start-in-past]" in line for line in warnings)
    assert any("[no-clinic-phone]" in line for line in warnings)
    code, out, err = build(runner, regimen, tmp_path / "p")
    assert code == 0
    assert out == ""
    for line in warnings:
        assert line in err.splitlines()


# -- the page's field -----------------------------------------------------------------------------


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    from taper.web import create_app

    monkeypatch.setattr("taper.read.templates.machine_timezone", lambda: "America/New_York")
    return create_app(token="t0ken-for-tests", port=5124).test_client()


def post(client: FlaskClient, url: str, **kwargs: object) -> object:
    return client.post(
        url,
        base_url="http://127.0.0.1:5124",
        headers={"Authorization": "token t0ken-for-tests"},
        **kwargs,  # type: ignore[arg-type]
    )


def test_the_page_has_a_pharmacists_name_field(client: FlaskClient) -> None:
    page = client.get(
        "/", base_url="http://127.0.0.1:5124", headers={"Authorization": "token t0ken-for-tests"}
    )
    html = page.get_data(as_text=True)
    assert re.search(r'<label for="checked_by">Pharmacist\'s name</label>', html)
    assert 'name="checked_by"' in html


def test_the_page_and_the_api_sign_the_sheet(client: FlaskClient) -> None:
    data = (REGIMENS / "pulse-then-taper.toml").read_bytes()
    answer = post(client, "/api/packet?checked_by=J.%20Smith%2C%20RPh", data=data)
    assert answer.status_code == 200  # type: ignore[attr-defined]
    archive = zipfile.ZipFile(io.BytesIO(answer.data))  # type: ignore[attr-defined]
    assert "Checked by (pharmacist) J. Smith, RPh" in signoff_text(archive.read("pharmacist.pdf"))
    fields = {"regimen": data.decode("utf-8"), "checked_by": "A. Ng, PharmD", "paper": "letter"}
    sheet = post(client, "/ui/download?file=pharmacist.pdf", data=fields)
    assert sheet.status_code == 200  # type: ignore[attr-defined]
    assert "Checked by (pharmacist) A. Ng, PharmD" in signoff_text(sheet.data)  # type: ignore[attr-defined]
    unsigned = post(client, "/ui/download?file=pharmacist.pdf", data={**fields, "checked_by": ""})
    assert "Entered by (name) Checked by (pharmacist) Date checked" in signoff_text(
        unsigned.data  # type: ignore[attr-defined]
    )
    bad = post(client, "/api/packet?checked_by=J.%1bSmith", data=data)
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert "control character" in bad.json["error"]  # type: ignore[attr-defined]
    refused = post(client, "/ui/download?file=packet", data={**fields, "checked_by": "x" * 200})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "Pharmacist&#39;s name" in refused.get_data(as_text=True)  # type: ignore[attr-defined]


# -- the fingerprint, over generated regimens -----------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=regimens(), days_later=st.integers(1, 4000), revision=st.integers(1, 5))
def test_the_fingerprint_is_the_plans_whatever_the_day(
    document: dict[str, Any], days_later: int, revision: int
) -> None:
    """For any regimen: the same fingerprint whatever the day it is built (the build day changes
    only warnings), the published definition over plan.json, and another one for another
    revision of the same plan."""

    def build_on(doc: dict[str, Any], today: date) -> Plan | None:
        regimen, problems = parse_regimen(doc, "generated.toml")
        assert regimen is not None, problems
        try:
            return build_plan(regimen, problems, today=today)
        except RegimenError:
            return None

    first = build_on(document, date(2026, 1, 1))
    if first is None:
        return  # a dose the strengths cannot make: no plan, nothing to fingerprint
    later = build_on(document, date(2026, 1, 1) + timedelta(days=days_later))
    assert later is not None
    assert fingerprint(later) == fingerprint(first)
    published = json.loads(render_json(first))
    assert published["fingerprint"] == fingerprint(first) == fingerprint_by_definition(published)
    revised = build_on({**document, "revision": revision}, date(2026, 1, 1))
    assert revised is not None
    assert fingerprint(revised) != fingerprint(first)


# -- a Spanish packet, signed --------------------------------------------------------------------


def spanish_template(tmp_path: Path, name: str) -> Path:
    from taper.read.templates import render_template

    text = render_template(
        name, start=date(2026, 12, 7), weight="70 kg", timezone="America/New_York", height="120 cm"
    )
    path = tmp_path / f"{name}.toml"
    path.write_text(text.replace("[patient]\n", '[patient]\nlanguage = "es"\n', 1), "utf-8")
    return path


@pytest.mark.parametrize("name", ["ms-iv-pulse-then-prednisone-taper", "copd-prednisone-5-day"])
def test_a_spanish_packet_is_signed_and_fingerprinted_in_spanish(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    """The patient's handout says its fingerprint footer in Spanish with nothing English left;
    the dispensing sheet stays English (SPANISH.md (c)) and carries the pharmacist's name; the
    fingerprint is the plan's, the same as the English packet's (plan.json has no language)."""
    from test_spanish import _english_left

    from taper.api import load

    regimen = spanish_template(tmp_path, name)
    code, _, err = build(runner, regimen, tmp_path / "es", "--checked-by", "J. Smith, RPh")
    assert code == 0, err
    folder = tmp_path / "es"
    fingerprint = json.loads((folder / "plan.json").read_text("utf-8"))["fingerprint"]
    handout = pages((folder / "patient.pdf").read_bytes())
    for number, text in enumerate(handout, 1):
        assert f"Plan {fingerprint} · Página {number} de {len(handout)}" in text, number
    assert _english_left(" ".join(handout), load(regimen)) == []
    assert "J. Smith" not in " ".join(handout)
    sheet = (folder / "pharmacist.pdf").read_bytes()
    assert "Checked by (pharmacist) J. Smith, RPh" in signoff_text(sheet)
    assert "Patient's language" in flat(" ".join(pages(sheet)))
    for number, text in enumerate(pages(sheet), 1):
        assert f"Plan {fingerprint} · Page {number} of" in text
    english = tmp_path / "en"
    code, _, err = build(runner, regimen, english, "--lang", "en", "--checked-by", "J. Smith, RPh")
    assert code == 0, err
    assert json.loads((english / "plan.json").read_text("utf-8"))["fingerprint"] == fingerprint
    assert "Page 1 of" in pages((english / "patient.pdf").read_bytes())[0]


def test_lang_and_checked_by_go_together_in_a_print_run_and_the_api(
    runner: CliRunner, tmp_path: Path, client: FlaskClient
) -> None:
    orders = tmp_path / "orders"
    orders.mkdir()
    for name in ("pulse-then-taper.toml", "liquid.toml"):
        (orders / name).write_bytes((REGIMENS / name).read_bytes())
    args = ["build", str(orders), "-o", str(tmp_path / "out"), "--jobs", "1"]
    result = runner.invoke(main, [*args, "--lang", "es", "--checked-by", "J. Smith, RPh"])
    assert result.exit_code == 0, result.output
    for folder in ("pulse-then-taper", "liquid"):
        packet = tmp_path / "out" / folder
        assert "Checked by (pharmacist) J. Smith, RPh" in signoff_text(
            (packet / "pharmacist.pdf").read_bytes()
        )
        assert "Su plan de tratamiento" in pages((packet / "patient.pdf").read_bytes())[0]
    data = (REGIMENS / "pulse-then-taper.toml").read_bytes()
    answer = post(client, "/api/packet?lang=es&checked_by=A.%20Ng%2C%20PharmD", data=data)
    assert answer.status_code == 200  # type: ignore[attr-defined]
    archive = zipfile.ZipFile(io.BytesIO(answer.data))  # type: ignore[attr-defined]
    assert "Checked by (pharmacist) A. Ng, PharmD" in signoff_text(archive.read("pharmacist.pdf"))
    assert "Página 1 de" in pages(archive.read("patient.pdf"))[0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=regimens(), language=st.sampled_from(["en", "es"]))
def test_the_fingerprint_is_the_same_whatever_language_asks_for_it(
    document: dict[str, Any], language: str
) -> None:
    """A handout's footer asks for the fingerprint while its language is in force: the record
    it vouches for is plan.json's, so every language gets the same code, computed first or
    last (a Spanish handout rendered alone once printed a code plan.json did not have)."""
    from taper.voice.lang import speaking

    regimen, problems = parse_regimen(document, "generated.toml")
    assert regimen is not None, problems
    try:
        plan = build_plan(regimen, problems, today=date(2026, 12, 1))
    except RegimenError:
        return
    with speaking(language):
        asked_inside = fingerprint(plan._replace(language=language))
    fresh = plan._replace(language=language)  # another object: nothing remembered
    expected = fingerprint_by_definition(json.loads(render_json(fresh)))
    assert asked_inside == expected


def test_a_spanish_handout_rendered_alone_carries_plan_jsons_fingerprint(tmp_path: Path) -> None:
    from datetime import datetime

    from taper import api

    data = (REGIMENS / "pulse-then-taper.toml").read_bytes()
    checked = api.check(data, today=date(2026, 12, 1), source="regimen.toml")
    assert checked.plan is not None
    options = api.Options(datetime(2026, 12, 1, tzinfo=UTC))
    code = json.loads(api.render(checked.plan, "plan.json", options))["fingerprint"]
    alone = api.check(data, today=date(2026, 12, 1), source="regimen.toml").plan
    assert alone is not None
    handout = api.render(alone._replace(language="es"), "patient.pdf", options)
    assert all(f"Plan {code}" in page for page in pages(handout))
