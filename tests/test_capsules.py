"""Capsules (Entocort EC 3 mg, Tarpeyo 4 mg): every word a patient, nurse or pharmacist reads
names a capsule a capsule, in English and Spanish, and a capsule is never halved.

The reviewer's order 04 lists the capsules as ``tablets = ["3 mg"]`` (the format's key for the
strengths dispensed); the catalogue says budesonide 3 mg is a capsule. Read back with
independent readers: pypdf for the sheets, icalendar for the reminders, json for the exports.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
from fhir_oracle import violations
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from invariant_strategies import regimens
from pypdf import PdfReader

from taper.api import load as load_plan
from taper.api import render
from taper.engine.schedules import build_plan
from taper.files.packets import Options
from taper.read.errors import RegimenError
from taper.read.regimen import parse_regimen
from taper.records.plan import Plan

# Not in tests/regimens: the FHIR import reads a budesonide order back with the catalogue's usual
# 9 mg strength, so the every-regimen round trip cannot make its 6 and 3 mg steps.
ORDER = Path(__file__).parent / "data" / "entocort-capsules.toml"
TODAY = date(2026, 11, 22)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)
PDFS = ("patient.pdf", "pharmacist.pdf", "nurse.pdf")
TABLET_WORD = re.compile(r"tablet|tableta", re.IGNORECASE)


def pdf_text(plan: Plan, name: str) -> str:
    reader = PdfReader(io.BytesIO(render(plan, name, Options(stamp=STAMP))))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").split())


def reminder_summaries(plan: Plan) -> set[str]:
    calendar = icalendar.Calendar.from_ical(render(plan, "reminders.ics", Options(stamp=STAMP)))
    return {str(event.get("summary")) for event in calendar.walk("VEVENT")}


def order(tmp_path: Path, change: str = "", lang: str = "", take: str = "") -> Plan:
    text = ORDER.read_text(encoding="utf-8")
    if take:
        text = text.replace('take = "swallow the capsules whole"', f'take = "{take}"')
    if lang:
        text = text.replace("[patient]\n", f'[patient]\nlanguage = "{lang}"\n', 1)
    path = tmp_path / "04.toml"
    path.write_text(text.replace("[[phase]]\n", f"[[phase]]\n{change}", 1), encoding="utf-8")
    return load_plan(path, today=TODAY)


def test_order_04_dispenses_and_counts_capsules_not_tablets(tmp_path: Path) -> None:
    plan = order(tmp_path)
    pharmacist = pdf_text(plan, "pharmacist.pdf")
    assert "3 mg capsules 210 capsules" in pharmacist
    assert "Take 3 capsules (9 mg) by mouth once daily with breakfast for 56 days" in pharmacist
    assert "take 1 capsule (3 mg) by mouth" in pharmacist
    assert "3 × 3 mg capsules" in pharmacist and "168 capsules" in pharmacist
    patient = pdf_text(plan, "patient.pdf")
    assert "9 mg (3 × 3 mg capsules) once a day" in patient
    assert "3 mg (1 × 3 mg capsule) once a day" in patient
    assert "Do not stop taking your capsules early" in patient
    assert "Budesonide 9 mg: 3 × 3 mg capsules" in patient  # the checklist
    for name in PDFS:
        assert not TABLET_WORD.search(pdf_text(plan, name)), name
    assert reminder_summaries(plan) == {
        "Budesonide 9 mg: 3 × 3 mg capsules",
        "Budesonide 6 mg: 2 × 3 mg capsules",
        "Budesonide 3 mg: 1 × 3 mg capsule",
    }
    exports = {
        name: render(plan, name, Options(stamp=STAMP)) for name in ("plan.json", "plan.fhir.json")
    }
    ics = render(plan, "reminders.ics", Options(stamp=STAMP)).decode()
    assert not TABLET_WORD.search(ics)
    fhir = json.loads(exports["plan.fhir.json"])
    assert violations(fhir) == []
    quantities = [
        entry["resource"]["dispenseRequest"]["quantity"]
        for entry in fhir["entry"]
        if "dispenseRequest" in entry["resource"]
    ]
    assert quantities == [
        {
            "value": 210,
            "unit": "capsule",
            "system": "http://unitsofmeasure.org",
            "code": "{capsule}",
        }
    ]
    texts = [v for k, v in walk(json.loads(exports["plan.json"])) if isinstance(v, str)]
    assert "Take 3 × 3 mg capsules (9 mg) by mouth, swallow the capsules whole." in texts
    assert not any(TABLET_WORD.search(t) for t in [*texts, json.dumps(fhir)])


def walk(value: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in walk(v, k)]
    if isinstance(value, list):
        return [pair for v in value for pair in walk(v, key)]
    return [(key, value)]


def test_spanish_capsule_packet_says_capsulas(tmp_path: Path) -> None:
    plan = order(tmp_path, lang="es", take="trague las cápsulas enteras")
    patient = pdf_text(plan, "patient.pdf")
    assert "9 mg (3 cápsulas de 3 mg) una vez al día" in patient
    assert "3 mg (1 cápsula de 3 mg) una vez al día" in patient
    assert "No deje de tomar sus cápsulas antes de tiempo" in patient
    assert not TABLET_WORD.search(patient)
    assert reminder_summaries(plan) == {
        "Budesonida 9 mg: 3 cápsulas de 3 mg",
        "Budesonida 6 mg: 2 cápsulas de 3 mg",
        "Budesonida 3 mg: 1 cápsula de 3 mg",
    }


def test_form_tablet_overrides_the_catalogue(tmp_path: Path) -> None:
    plan = order(tmp_path, change='form = "tablet"\n')
    assert "3 mg tablets 210 tablets" in pdf_text(plan, "pharmacist.pdf")


def refusal(tmp_path: Path, change: str) -> str:
    with pytest.raises(RegimenError) as caught:
        order(tmp_path, change=change)
    return caught.value.render()


def test_a_dose_needing_half_a_capsule_is_refused_with_the_fix(tmp_path: Path) -> None:
    text = ORDER.read_text(encoding="utf-8").replace(
        '{ dose = "3 mg", days = 14 }', '{ dose = "4.5 mg", days = 14 }'
    )
    path = tmp_path / "04.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegimenError) as caught:
        load_plan(path, today=TODAY)
    message = caught.value.render()
    assert "04.toml" in message and "phase[1].steps[3]" in message
    assert "4.5 mg cannot be made from 3 mg capsules (a capsule cannot be split" in message
    assert "split = true" not in message  # never the fix for a capsule


def test_split_with_capsules_and_an_unknown_form_are_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, "split = true\n")
    assert "phase[1].split" in message and "a capsule cannot be cut in half" in message
    message = refusal(tmp_path, 'form = "pill"\n')
    assert 'phase[1].form: is "pill"; write form = "tablet" or form = "capsule"' in message


def test_a_capsule_strength_mixed_with_a_tablet_strength_is_refused(tmp_path: Path) -> None:
    text = ORDER.read_text(encoding="utf-8").replace(
        'tablets = ["3 mg"]', 'tablets = ["9 mg", "3 mg"]'
    )
    path = tmp_path / "04.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegimenError) as caught:
        load_plan(path, today=TODAY)
    assert "phase[1].tablets: Budesonide 3 mg is a capsule" in caught.value.render()


# -- the class: no packet whose only solid form is capsules prints "tablet" --------------------


def generated_plan(document: dict[str, Any]) -> Plan | None:
    regimen, problems = parse_regimen(document, "generated.toml")
    if regimen is None:
        return None
    try:
        return build_plan(regimen, problems, today=TODAY)
    except RegimenError as err:
        # Phases of one drug that overlap, or a taper step whole capsules cannot make, are
        # refused (the README's documented refusals); anything else is a bug.
        assert all(
            "overlap phase" in p.message or "cannot be made" in p.message for p in err.problems
        ), err.render()
        return None


@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(regimens(must="capsules"), st.sampled_from(["en", "es"]))
def test_a_capsule_packet_never_says_tablet(document: dict[str, Any], language: str) -> None:
    document["patient"]["language"] = language
    plan = generated_plan(document)
    assume(plan is not None)
    assert plan is not None
    assert any(t.form == "capsule" for d in plan.doses for t in d.tablets)
    for name in PDFS:
        text = pdf_text(plan, name)
        assert not TABLET_WORD.search(text), (name, TABLET_WORD.findall(text))
    for name in ("reminders.ics", "plan.fhir.json"):
        data = render(plan, name, Options(stamp=STAMP)).decode()
        assert not TABLET_WORD.search(data), name
    # plan.json: the human text (its "tablets" key is the contract's field name).
    texts = [v for _, v in walk(json.loads(render(plan, "plan.json", Options(stamp=STAMP))))]
    assert not any(isinstance(t, str) and TABLET_WORD.search(t) for t in texts)
