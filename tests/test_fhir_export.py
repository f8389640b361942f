"""`taper fhir` and the packet's plan.fhir.json (issue 21, FHIR.md §2 and §5).

Every template and every test regimen is exported, validated with the fhir.resources R4B models,
checked for what the models do not check (tim-10, per-1, periodUnit, sequence, UCUM codes), and
expanded by an independent Timing expander whose doses must equal ``taper plan --json``.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fhir.resources.R4B.bundle import Bundle
from fhir_oracle import (
    REGIMENS,
    expand,
    plan_json,
    plan_of,
    planned,
    regimen_names,
    template_names,
    template_text,
    violations,
)

from taper.cli import main
from taper.export.fhir import render_fhir


def _bundle(text: str) -> tuple[bytes, dict[str, Any], Any]:
    plan = plan_of(text.encode("utf-8"))
    data = render_fhir(plan)
    return data, json.loads(data), plan


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _check(text: str) -> dict[str, Any]:
    data, bundle, plan = _bundle(text)
    Bundle.model_validate_json(data)  # structure and types (R4B models)
    assert violations(bundle) == []
    assert expand(bundle, plan.timezone) == planned(plan_json(plan))
    assert render_fhir(plan) == data  # deterministic
    return bundle


@pytest.mark.parametrize("name", template_names())
def test_every_template_exports_valid_fhir_whose_timing_gives_the_plan(name: str) -> None:
    _check(template_text(name))


@pytest.mark.parametrize("name", regimen_names())
def test_every_test_regimen_exports_valid_fhir_whose_timing_gives_the_plan(name: str) -> None:
    _check((REGIMENS / name).read_text(encoding="utf-8"))


def test_the_counts_are_what_the_issue_names() -> None:
    assert len(template_names()) == 20
    assert len(regimen_names()) >= 25


def test_acth_gel_is_in_usp_units_never_u_through_a_medication_with_its_strength() -> None:
    bundle = _check(template_text("ms-acth-gel"))
    (medication,) = _resources(bundle, "Medication")
    strength = medication["ingredient"][0]["strength"]
    assert strength["numerator"]["code"] == "[USP'U]"
    assert strength["denominator"] == {
        "value": 1,
        "unit": "mL",
        "system": "http://unitsofmeasure.org",
        "code": "mL",
    }
    (request,) = _resources(bundle, "MedicationRequest")
    dose = request["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert dose["code"] == "[USP'U]" and dose["value"] == 80
    assert request["medicationReference"]["reference"] == bundle["entry"][1]["fullUrl"]
    # The patient injects: the performer is the Patient; the dispensing is whole vials.
    assert request["performer"]["reference"] == bundle["entry"][0]["fullUrl"]
    assert request["dispenseRequest"]["quantity"]["code"] == "{vial}"
    assert '"U"' not in json.dumps(bundle)


def test_a_per_kg_dose_is_exported_worked_out_with_its_cap_and_basis() -> None:
    bundle = _check((REGIMENS / "format-child-asthma-capped.toml").read_text(encoding="utf-8"))
    (request,) = _resources(bundle, "MedicationRequest")
    (dosage,) = request["dosageInstruction"]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 60
    assert dosage["doseAndRate"][0]["doseQuantity"]["code"] == "mg"
    assert dosage["maxDosePerAdministration"]["value"] == 60
    assert "2 mg/kg × 34.9 kg = 69.8 mg, capped at 60 mg" in dosage["text"]
    (medication,) = _resources(bundle, "Medication")
    assert medication["ingredient"][0]["strength"]["numerator"]["value"] == 15
    assert medication["ingredient"][0]["strength"]["denominator"]["value"] == 5
    assert request["dispenseRequest"]["quantity"] == {
        "value": 100,
        "unit": "mL",
        "system": "http://unitsofmeasure.org",
        "code": "mL",
    }


def test_max_daily_is_a_ratio_per_day() -> None:
    bundle = _check((REGIMENS / "format-divided-max-daily.toml").read_text(encoding="utf-8"))
    dosages = [d for r in _resources(bundle, "MedicationRequest") for d in r["dosageInstruction"]]
    capped = [d for d in dosages if "maxDosePerPeriod" in d]
    assert capped
    for dosage in capped:
        assert dosage["maxDosePerPeriod"]["denominator"]["code"] == "d"
        assert dosage["maxDosePerPeriod"]["denominator"]["value"] == 1


def test_a_dose_pack_gives_one_sequence_per_day_shared_by_its_divided_doses() -> None:
    bundle = _check(template_text("methylprednisolone-dose-pack"))
    (request,) = _resources(bundle, "MedicationRequest")
    sequences = [d["sequence"] for d in request["dosageInstruction"]]
    assert sorted(set(sequences)) == [1, 2, 3, 4, 5, 6]
    day_one = [d for d in request["dosageInstruction"] if d["sequence"] == 1]
    assert {
        d["doseAndRate"][0]["doseQuantity"]["value"]: d["timing"]["repeat"]["timeOfDay"]
        for d in day_one
    } == {
        8: ["08:00:00", "22:00:00"],
        4: ["12:30:00", "18:00:00"],
    }
    assert request["dispenseRequest"]["quantity"]["code"] == "{pack}"
    assert request["dispenseRequest"]["quantity"]["value"] == 1


def test_an_hourly_series_is_a_count_from_an_instant_with_its_offset() -> None:
    bundle = _check(template_text("optic-neuritis-ontt"))
    series = _resources(bundle, "MedicationRequest")[0]["dosageInstruction"][0]
    repeat = series["timing"]["repeat"]
    assert repeat["boundsPeriod"] == {"start": "2026-12-01T06:00:00-05:00"}
    assert (repeat["count"], repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (
        12,
        1,
        6,
        "h",
    )
    assert (repeat["duration"], repeat["durationUnit"]) == (1, "h")
    assert "timeOfDay" not in repeat and "when" not in repeat
    assert series["route"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration",
        "code": "IV",
        "display": "Infusion, intravenous",
    }


def test_an_every_other_day_step_has_period_2() -> None:
    bundle = _check((REGIMENS / "alternate-day.toml").read_text(encoding="utf-8"))
    periods = {
        d["timing"]["repeat"]["period"]
        for r in _resources(bundle, "MedicationRequest")
        for d in r["dosageInstruction"]
    }
    assert 2 in periods


def test_plasma_exchange_sessions_are_a_service_request_in_the_group() -> None:
    bundle = _check(template_text("ms-plasma-exchange"))
    (service,) = _resources(bundle, "ServiceRequest")
    assert service["code"] == {"text": "Plasma exchange"}
    repeat = service["occurrenceTiming"]["repeat"]
    assert repeat["boundsPeriod"] == {"start": "2026-12-01", "end": "2026-12-09"}
    assert (repeat["period"], repeat["periodUnit"], repeat["timeOfDay"]) == (2, "d", ["09:00:00"])
    assert service["requisition"]["system"] == "urn:ietf:rfc:3986"
    assert _resources(bundle, "MedicationRequest") == []


def test_words_come_from_the_plan_and_the_voice() -> None:
    text = template_text("ms-iv-pulse-then-prednisone-taper")
    _, bundle, plan = _bundle(text)
    from taper.voice.doses import dose_instructions
    from taper.voice.words import words_of

    said = {dose_instructions(d, words_of(plan)) for d in plan.doses}
    for request in _resources(bundle, "MedicationRequest"):
        assert request["note"] == [{"text": f"Phase: {request['note'][0]['text'][7:]}"}]
        for dosage in request["dosageInstruction"]:
            assert dosage["patientInstruction"] in said
            assert dosage["text"].endswith(".")
    taper = _resources(bundle, "MedicationRequest")[1]
    assert taper["dosageInstruction"][0]["text"].startswith("Take ")
    assert taper["dosageInstruction"][0]["additionalInstruction"] == [{"text": "with food"}]
    assert taper["dosageInstruction"][0]["route"]["coding"][0]["code"] == "PO"
    assert "quantity" not in taper["dispenseRequest"]  # several tablet strengths
    group = {json.dumps(r["groupIdentifier"]) for r in _resources(bundle, "MedicationRequest")}
    assert len(group) == 1


def test_a_revision_points_at_the_same_phase_of_the_revision_before() -> None:
    _, first, _ = _bundle((REGIMENS / "ics-reissue-r0.toml").read_text(encoding="utf-8"))
    _, second, plan = _bundle((REGIMENS / "ics-reissue-r1.toml").read_text(encoding="utf-8"))
    assert plan.revision == 1
    before = {
        r["note"][0]["text"]: r["identifier"][0] for r in _resources(first, "MedicationRequest")
    }
    for request in _resources(second, "MedicationRequest"):
        assert request["priorPrescription"] == {"identifier": before[request["note"][0]["text"]]}
        assert request["identifier"][0] != before[request["note"][0]["text"]]
    assert all("priorPrescription" not in r for r in _resources(first, "MedicationRequest"))
    assert (
        _resources(first, "MedicationRequest")[0]["groupIdentifier"]
        != _resources(second, "MedicationRequest")[0]["groupIdentifier"]
    )


def test_fill_periods_give_the_fill_length_and_the_repeats() -> None:
    bundle = _check(template_text("gca-prednisone-2-year-taper"))
    requests = _resources(bundle, "MedicationRequest")
    # "Slow taper", days 197-700, spans fills 8 to 25 of 28 days: 18 fills, 17 repeats. A
    # quantity would be one fill's, and the fills of a taper differ: it is left out.
    supply = requests[-1]["dispenseRequest"]
    assert supply["expectedSupplyDuration"]["value"] == 28
    assert supply["numberOfRepeatsAllowed"] == 17
    assert "quantity" not in supply
    first = requests[0]["dispenseRequest"]  # days 1-28: one fill; 60 mg is 50 mg + 10 mg
    assert first["expectedSupplyDuration"]["value"] == 28
    assert "numberOfRepeatsAllowed" not in first
    assert "quantity" not in first


def test_a_phase_of_one_tablet_strength_dispenses_its_tablets() -> None:
    bundle = _check(template_text("copd-prednisone-5-day"))
    (request,) = _resources(bundle, "MedicationRequest")
    assert request["dispenseRequest"]["quantity"] == {
        "value": 10,
        "unit": "tablet",
        "system": "http://unitsofmeasure.org",
        "code": "{tbl}",
    }
    assert request["dispenseRequest"]["expectedSupplyDuration"]["value"] == 5


# -- the command and the packet ---------------------------------------------------------------


def test_taper_fhir_writes_owner_only_through_the_file_rules(
    runner: CliRunner, tmp_path: Path
) -> None:
    regimen = REGIMENS / "pulse-then-taper.toml"
    out = tmp_path / "course.fhir.json"
    result = runner.invoke(main, ["fhir", str(regimen), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes() == render_fhir(plan_of(regimen.read_bytes()))
    again = runner.invoke(main, ["fhir", str(regimen), "-o", str(out)])
    assert again.exit_code == 1 and "--force" in again.output
    out.write_bytes(b"old")
    assert runner.invoke(main, ["fhir", str(regimen), "-o", str(out), "--force"]).exit_code == 0
    assert out.read_bytes() != b"old"
    stdout = runner.invoke(main, ["fhir", str(regimen)])
    assert stdout.exit_code == 0 and stdout.stdout_bytes == out.read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".taper-")]


def test_taper_fhir_of_a_bad_regimen_is_exit_1_and_writes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "bad.json"
    result = runner.invoke(main, ["fhir", str(REGIMENS / "clin-two-slips.toml"), "-o", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not out.exists()


def test_the_packet_holds_plan_fhir_json_equal_to_taper_fhir(
    runner: CliRunner, tmp_path: Path
) -> None:
    regimen = REGIMENS / "procedures.toml"
    out = tmp_path / "packet"
    assert runner.invoke(main, ["build", str(regimen), "-o", str(out)]).exit_code == 0
    single = runner.invoke(main, ["fhir", str(regimen)])
    assert (out / "plan.fhir.json").read_bytes() == single.stdout_bytes
    manifest = json.loads((out / ".taper-packet.json").read_text(encoding="utf-8"))
    assert "plan.fhir.json" in manifest["files"]


def test_the_api_answers_with_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from taper.web import create_app

    app = create_app(token="t0ken-fhir", port=5124)
    client = app.test_client()
    headers = {"Authorization": "token t0ken-fhir"}
    base = "http://127.0.0.1:5124"
    data = (REGIMENS / "liquid.toml").read_bytes()
    answer = client.post("/api/fhir", data=data, headers=headers, base_url=base)
    assert answer.status_code == 200
    assert answer.mimetype == "application/fhir+json"
    assert answer.data == render_fhir(plan_of(data))
    bad = client.post(
        "/api/fhir",
        data=(REGIMENS / "clin-two-slips.toml").read_bytes(),
        headers=headers,
        base_url=base,
    )
    assert bad.status_code == 422 and bad.json["valid"] is False
    assert client.post("/api/fhir", data=data, base_url=base).status_code == 403
