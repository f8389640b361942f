"""`taper import` and the page's "Start from an EHR order" (issue 21, FHIR.md §3 and §5).

The round trip (export, import, plan: the same doses) for every template; the published HL7
examples (tests/fhir/hl7-*, hl7fr-*) and EHR-shaped orders (tests/fhir/ehr-*); every refusal,
each with its place, exit 1, no file and no traceback.
"""

from __future__ import annotations

import copy
import json
import stat
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fhir_oracle import (
    FIXTURES,
    REGIMENS,
    plan_json,
    plan_of,
    planned,
    regimen_names,
    template_names,
    template_text,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests_strategies import regimens

from taper.cli import main
from taper.export.fhir import render_fhir
from taper.fhir_import import UNREADABLE, ImportOptions, checked_import
from taper.read.errors import RegimenError

HEADER = "check every dose before use"


def _import(name: str, zone: str = "America/New_York", **options: Any) -> str:
    data = (FIXTURES / name).read_bytes()
    return checked_import(data, name, ImportOptions(zone, **options))


def _doses(text: str) -> list[tuple[str, str, str, str, str | None, str | None]]:
    return planned(plan_json(plan_of(text.encode("utf-8"))))


def _sessions(text: str) -> list[tuple[str, str, int | None]]:
    plan = plan_of(text.encode("utf-8"))
    return [(d.date.isoformat(), d.time, d.session) for d in plan.doses if d.session]


def _round_trip(text: str, zone: str) -> str:
    plan = plan_of(text.encode("utf-8"))
    back = checked_import(render_fhir(plan), "plan.fhir.json", ImportOptions(zone))
    assert back.startswith(f"# imported from plan.fhir.json: {HEADER}\n")
    assert _doses(back) == planned(plan_json(plan))
    assert _sessions(back) == [
        (d.date.isoformat(), d.time, d.session) for d in plan.doses if d.session
    ]
    return back


# -- the round trip ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", template_names())
def test_every_template_round_trips_dose_for_dose(name: str) -> None:
    _round_trip(template_text(name), "America/New_York")


@pytest.mark.parametrize(
    "name",
    # Tablets need not survive (FHIR.md §3): pdf-alternate-day's 62.5 mg needs its own split
    # 25 mg tablets, which the default strengths the import falls back on cannot make.
    [n for n in regimen_names() if n != "pdf-alternate-day.toml"],
)
def test_every_test_regimen_round_trips_dose_for_dose(name: str) -> None:
    text = (REGIMENS / name).read_text(encoding="utf-8")
    _round_trip(text, plan_of(text.encode("utf-8")).timezone)


def test_a_per_kg_phase_comes_back_as_its_worked_out_dose_with_the_basis_as_a_comment() -> None:
    back = _round_trip(template_text("child-asthma-prednisolone-liquid"), "America/New_York")
    assert 'dose = "60 mg"' in back
    assert 'liquid = "15 mg/5 mL"' in back
    assert "2 mg/kg × 34.9 kg = 69.8 mg, capped at 60 mg" in back.split("\n\n")[0]


def test_a_template_in_another_zone_round_trips_there() -> None:
    _round_trip(template_text("optic-neuritis-ontt", "Europe/Paris"), "Europe/Paris")


# -- the published examples ---------------------------------------------------------------------


def test_hl7_medrx0303_as_published_is_refused_for_its_tablet_strength() -> None:
    with pytest.raises(RegimenError) as caught:
        _import("hl7-medrx0303.json", "Europe/Amsterdam")
    places = [p.place for p in caught.value.problems]
    assert places == [
        f"MedicationRequest.dosageInstruction[{n}].doseAndRate[0].doseQuantity" for n in range(3)
    ]
    assert all("tablet's strength" in p.message for p in caught.value.problems)


def test_hl7_medrx0303_with_its_tablet_strength_plans_the_structured_bounds() -> None:
    text = _import("hl7-medrx0303-with-strength.json", "Europe/Amsterdam")
    header = text.split("\n\n")[0]
    assert header.startswith(f"# imported from hl7-medrx0303-with-strength.json: {HEADER}")
    # The text says "7 days"; the bounds give 5, 8 and 7: the structured fields win, the text is
    # kept as a comment, and the gap after the first step starts a second phase.
    assert "Take 4 tablets daily for 7 days starting January 16, 2015" in header
    assert "Patient told to take with food" in header
    assert "time not in the order: confirm" in header
    doses = _doses(text)
    by_amount = {a: [d for d in doses if d[4] == a] for a in ("20", "10", "5")}
    assert [len(v) for v in by_amount.values()] == [5, 8, 7]
    assert by_amount["20"][0][:2] == ("2015-01-16", "08:00")
    assert by_amount["10"][0][0] == "2015-01-23" and by_amount["5"][-1][0] == "2015-02-06"
    assert 'tablets = ["5 mg"]' in text and 'name = "Donald Duck"' in text


def test_hl7_medrx0301_as_needed_is_refused_with_every_problem() -> None:
    with pytest.raises(RegimenError) as caught:
        _import("hl7-medrx0301.json")
    messages = {p.place: p.message for p in caught.value.problems}
    assert "as-needed" in messages["MedicationRequest.dosageInstruction[0].asNeededCodeableConcept"]
    assert "MedicationRequest.dosageInstruction[0].timing.repeat.periodMax" in messages
    assert "Oxycodone" in messages["MedicationRequest.medication"]
    assert '"completed"' in messages["MedicationRequest.status"]


def test_hl7_france_instants_give_exactly_two_doses_a_step() -> None:
    text = _import("hl7fr-methylprednisolone-6-4-2.json", "Europe/Paris")
    doses = _doses(text)
    assert [(d[0], d[1], d[4]) for d in doses] == [
        ("2021-08-15", "07:00", "6"),
        ("2021-08-16", "07:00", "6"),
        ("2021-08-17", "07:00", "4"),
        ("2021-08-18", "07:00", "4"),
        ("2021-08-19", "07:00", "2"),
        ("2021-08-20", "07:00", "2"),
    ]
    # "méthylprednisolone" (a display) is never matched by its letters; "METHYLPREDNISOLONE"
    # (the text) is.
    assert {d[2] for d in doses} == {"Methylprednisolone"}


def test_hl7_france_open_ended_step_is_refused() -> None:
    with pytest.raises(RegimenError) as caught:
        _import("hl7fr-has22-prednisolone-open-ended.json", "Europe/Paris")
    (problem,) = caught.value.problems
    assert problem.place == "Bundle.entry[0].resource.dosageInstruction[0].timing.repeat"
    assert "until 3 negative dipsticks" in problem.message


def test_hl7_france_paracetamol_is_not_in_the_catalogue() -> None:
    with pytest.raises(RegimenError) as caught:
        _import("hl7fr-paracetamol-not-in-catalogue.json", "Europe/Paris")
    (problem,) = caught.value.problems
    assert problem.place == "Bundle.entry[1].resource.medication"
    assert '"PARACETAMOL", "paracétamol"' in problem.message


# -- orders as EHRs write them ----------------------------------------------------------------


def test_a_prednisone_taper_by_sequence_with_durations() -> None:
    text = _import("ehr-prednisone-taper-by-sequence.json", "America/Chicago")
    doses = _doses(text)
    assert [d[4] for d in doses] == ["60"] * 4 + ["40"] * 4 + ["20"] * 4 + ["10"] * 7
    assert {d[1] for d in doses} == {"08:00"} and doses[0][0] == "2026-12-01"
    assert doses[-1][0] == "2026-12-19"
    assert 'name = "Jane Doe"' in text and "Taper per neurology" in text


def test_a_dose_pack_by_equal_sequences_and_when_codes() -> None:
    text = _import("ehr-dose-pack.json", "America/Chicago")
    doses = _doses(text)
    assert sum(int(d[4] or 0) for d in doses) == 84  # 21 tablets of 4 mg
    assert [(d[1], d[4]) for d in doses if d[0] == "2026-12-01"] == [
        ("08:00", "8"),
        ("12:30", "4"),
        ("18:00", "4"),
        ("22:00", "8"),
    ]
    assert [d[1] for d in doses if d[0] == "2026-12-06"] == ["08:00"]


def test_q6h_dexamethasone_counts_from_its_first_instant() -> None:
    text = _import("ehr-dexamethasone-q6h.json", "America/Chicago")
    doses = _doses(text)
    assert [(d[0], d[1]) for d in doses] == [
        (day, time)
        for day in ("2026-12-01", "2026-12-02")
        for time in ("05:00", "11:00", "17:00", "23:00")
    ]
    assert {(d[3], d[4], d[5]) for d in doses} == {("iv", "4", "mg")}


def test_every_other_day() -> None:
    doses = _doses(_import("ehr-every-other-day.json", "America/Chicago"))
    assert [d[0][-2:] for d in doses] == ["01", "03", "05", "07", "09", "11", "13"]


def test_a_per_kg_liquid_with_a_cap_takes_the_observations_weight_or_the_option() -> None:
    text = _import("ehr-per-kg-liquid-with-cap.json", "America/Chicago")
    assert 'dose = "2 mg/kg"' in text and 'max = "60 mg"' in text
    assert 'weight = "34.9 kg"' in text
    plan = plan_of(text.encode("utf-8"))
    assert [(d.amount, d.volume_ml) for d in plan.doses] == [(60, 20)] * 5
    lighter = _import("ehr-per-kg-liquid-with-cap.json", "America/Chicago", weight="15 kg")
    assert 'weight = "15 kg"' in lighter
    plan = plan_of(lighter.encode("utf-8"))
    assert {(d.amount, d.volume_ml) for d in plan.doses} == {(30, 10)}


# -- refusals ---------------------------------------------------------------------------------

EOD = json.loads((FIXTURES / "ehr-every-other-day.json").read_text(encoding="utf-8"))
DOSAGE = "MedicationRequest.dosageInstruction[0]"


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(order: dict[str, Any]) -> None:
        target = order
        for key in path[:-1]:
            target = target[key]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


def _when(codes: list[str]) -> Callable[[dict[str, Any]], None]:
    def change(order: dict[str, Any]) -> None:
        repeat = order["dosageInstruction"][0]["timing"]["repeat"]
        del repeat["timeOfDay"]
        repeat["when"] = codes

    return change


_D = ["dosageInstruction", 0]
_REPEAT = [*_D, "timing", "repeat"]
_QUANTITY = [*_D, "doseAndRate", 0, "doseQuantity"]
REFUSALS: dict[str, tuple[Callable[[dict[str, Any]], None], str, str]] = {
    "as-needed boolean": (
        _set([*_D, "asNeededBoolean"], True),
        f"{DOSAGE}.asNeededBoolean",
        "as-needed",
    ),
    "as-needed reason": (
        _set([*_D, "asNeededCodeableConcept"], {"text": "pain"}),
        f"{DOSAGE}.asNeededCodeableConcept",
        "as-needed",
    ),
    "dose range": (
        _set(
            [*_D, "doseAndRate", 0],
            {
                "doseRange": {
                    "low": {"value": 20, "code": "mg"},
                    "high": {"value": 40, "code": "mg"},
                }
            },
        ),
        f"{DOSAGE}.doseAndRate[0].doseRange",
        "dose range",
    ),
    "rate only": (
        _set([*_D, "doseAndRate", 0], {"rateQuantity": {"value": 5, "code": "mg/h"}}),
        f"{DOSAGE}.doseAndRate",
        "only a rate",
    ),
    "no dose": (_set([*_D, "doseAndRate"], None), f"{DOSAGE}.doseAndRate", "no dose"),
    "U": (_set([*_QUANTITY, "code"], "U"), f"{DOSAGE}.doseAndRate[0].doseQuantity", "enzyme unit"),
    "teaspoon": (
        _set([*_QUANTITY, "code"], "[tsp_us]"),
        f"{DOSAGE}.doseAndRate[0].doseQuantity",
        "spoon",
    ),
    "not UCUM": (
        _set([*_QUANTITY, "system"], "http://example.org/units"),
        f"{DOSAGE}.doseAndRate[0].doseQuantity",
        "UCUM",
    ),
    "tablets of unknown strength": (
        _set(_QUANTITY, {"value": 2, "unit": "TAB", "code": "TAB"}),
        f"{DOSAGE}.doseAndRate[0].doseQuantity",
        "tablet's strength",
    ),
    "open-ended": (
        _set([*_REPEAT, "boundsPeriod"], {"start": "2026-12-01"}),
        f"{DOSAGE}.timing.repeat",
        "has no end",
    ),
    "no bounds at all": (
        _set([*_REPEAT, "boundsPeriod"], None),
        f"{DOSAGE}.timing.repeat",
        "has no end",
    ),
    "monthly": (
        _set([*_REPEAT, "periodUnit"], "mo"),
        f"{DOSAGE}.timing.repeat.periodUnit",
        "month",
    ),
    "yearly": (_set([*_REPEAT, "periodUnit"], "a"), f"{DOSAGE}.timing.repeat.periodUnit", "year"),
    "periodMax": (_set([*_REPEAT, "periodMax"], 3), f"{DOSAGE}.timing.repeat.periodMax", "range"),
    "frequencyMax": (
        _set([*_REPEAT, "frequencyMax"], 2),
        f"{DOSAGE}.timing.repeat.frequencyMax",
        "range",
    ),
    "entered in error": (
        _set(["status"], "entered-in-error"),
        "MedicationRequest.status",
        "not to be given",
    ),
    "cancelled": (_set(["status"], "cancelled"), "MedicationRequest.status", "not to be given"),
    "completed": (_set(["status"], "completed"), "MedicationRequest.status", "not to be given"),
    "not in the catalogue": (
        _set(["medicationCodeableConcept"], {"text": "ibuprofen 400 mg tablet"}),
        "MedicationRequest.medication",
        '"ibuprofen 400 mg tablet"',
    ),
    "per kg without a weight": (_set([*_QUANTITY, "code"], "mg/kg"), "", "--weight"),
    "a time with seconds": (
        _set([*_REPEAT, "timeOfDay"], ["08:00:30"]),
        f"{DOSAGE}.timing.repeat.timeOfDay[0]",
        "minute",
    ),
    "an unknown route": (
        _set([*_D, "route"], {"text": "intrathecal"}),
        f"{DOSAGE}.route",
        "not a route taper knows",
    ),
    "a when with no slot": (_when(["AFT"]), f"{DOSAGE}.timing.repeat.when[0]", "no routine slot"),
    "how often, nowhere": (
        _set(
            [*_D, "timing", "repeat"],
            {"boundsPeriod": {"start": "2026-12-01", "end": "2026-12-05"}},
        ),
        f"{DOSAGE}.timing.repeat",
        "neither how often",
    ),
    "a period without its unit": (
        _set([*_REPEAT, "periodUnit"], None),
        f"{DOSAGE}.timing.repeat.periodUnit",
        "needs its unit",
    ),
    "weekdays": (
        _set([*_REPEAT, "dayOfWeek"], ["mon", "thu"]),
        f"{DOSAGE}.timing.repeat.dayOfWeek",
        "weekdays",
    ),
    "event instants": (
        _set([*_D, "timing", "event"], ["2026-12-02T08:00:00-06:00"]),
        f"{DOSAGE}.timing.event",
        "instants",
    ),
    "do not perform": (_set(["doNotPerform"], True), "MedicationRequest.doNotPerform", "NOT"),
    "a modifier extension": (
        _set(["modifierExtension"], [{"url": "http://example.org/x", "valueBoolean": True}]),
        "MedicationRequest.modifierExtension",
        "modifier extension",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_every_refusal_has_its_place_exit_1_no_file_no_traceback(
    case: str, runner: CliRunner, tmp_path: Path
) -> None:
    change, place, words = REFUSALS[case]
    order = copy.deepcopy(EOD)
    change(order)
    source = tmp_path / "order.json"
    source.write_text(json.dumps(order), encoding="utf-8")
    out = tmp_path / "regimen.toml"
    result = runner.invoke(
        main, ["import", str(source), "-o", str(out), "--timezone", "America/Chicago"]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["order.json"]
    assert f"order.json: {place}: " in result.output if place else "order.json: " in result.output
    assert words in result.output


def test_a_searchset_with_another_patients_order_is_refused() -> None:
    order = copy.deepcopy(EOD)
    other = copy.deepcopy(EOD)
    other["subject"] = {"display": "Someone Else"}
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": order}, {"resource": other}],
    }
    with pytest.raises(RegimenError) as caught:
        checked_import(json.dumps(bundle).encode(), "s.json", ImportOptions("America/Chicago"))
    (problem,) = caught.value.problems
    assert problem.place == "Bundle.entry[1].resource.subject"


def test_instants_that_cut_a_day_short_give_that_day_its_own_doses() -> None:
    order = copy.deepcopy(EOD)
    repeat = order["dosageInstruction"][0]["timing"]["repeat"]
    repeat.update(
        boundsPeriod={"start": "2026-12-01T12:00:00-06:00", "end": "2026-12-03T12:00:00-06:00"},
        frequency=2,
        period=1,
        timeOfDay=["08:00:00", "20:00:00"],
    )
    text = checked_import(json.dumps(order).encode(), "o.json", ImportOptions("America/Chicago"))
    assert [(d[0], d[1]) for d in _doses(text)] == [
        ("2026-12-01", "20:00"),
        ("2026-12-02", "08:00"),
        ("2026-12-02", "20:00"),
        ("2026-12-03", "08:00"),
    ]


def test_the_refusals_cover_the_contract() -> None:
    assert len(REFUSALS) >= 20


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "is not JSON"),
        (b'{"resourceType": "Patient"}', "'Patient'"),
        (
            b'{"resourceType": "Bundle", "type": "transaction", "entry": []}',
            "searchset or collection",
        ),
        (b'{"resourceType": "Bundle", "type": "searchset", "entry": []}', "no MedicationRequest"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
        (b"[]", "is not a FHIR resource"),
    ],
)
def test_files_that_are_no_order_are_refused_plainly(
    content: bytes, words: str, runner: CliRunner, tmp_path: Path
) -> None:
    source = tmp_path / "order.json"
    source.write_bytes(content)
    result = runner.invoke(
        main, ["import", str(source), "-o", str(tmp_path / "r.toml"), "--timezone", "UTC"]
    )
    assert result.exit_code == 1, result.output
    assert words in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r.toml").exists()


# -- the command ------------------------------------------------------------------------------


def test_taper_import_writes_a_regimen_that_passes_taper_check(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "jane.toml"
    source = FIXTURES / "ehr-prednisone-taper-by-sequence.json"
    result = runner.invoke(
        main, ["import", str(source), "-o", str(out), "--timezone", "America/Chicago"]
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"# imported from ehr-prednisone-taper-by-sequence.json: {HEADER}\n")
    check = runner.invoke(main, ["check", str(out)])
    assert check.exit_code == 0, check.output
    again = runner.invoke(
        main, ["import", str(source), "-o", str(out), "--timezone", "America/Chicago"]
    )
    assert again.exit_code == 1 and "--force" in again.output
    forced = runner.invoke(
        main, ["import", str(source), "-o", str(out), "--timezone", "America/Chicago", "--force"]
    )
    assert forced.exit_code == 0
    printed = runner.invoke(main, ["import", str(source), "--timezone", "America/Chicago"])
    assert printed.exit_code == 0 and printed.stdout == text


def test_taper_import_needs_a_start_only_when_the_order_has_none(
    runner: CliRunner, tmp_path: Path
) -> None:
    order = copy.deepcopy(EOD)
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsDuration"] = {"value": 14, "code": "d"}
    del order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]
    source = tmp_path / "order.json"
    source.write_text(json.dumps(order), encoding="utf-8")
    refused = runner.invoke(main, ["import", str(source), "--timezone", "America/Chicago"])
    assert refused.exit_code == 1 and "--start" in refused.output
    started = runner.invoke(
        main, ["import", str(source), "--timezone", "America/Chicago", "--start", "2027-01-04"]
    )
    assert started.exit_code == 0, started.output
    assert "start = 2027-01-04" in started.stdout


def test_usage_errors_are_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    source = FIXTURES / "ehr-every-other-day.json"
    assert runner.invoke(main, ["import", str(source), "--weight", "heavy"]).exit_code == 2
    assert runner.invoke(main, ["import", str(source), "--timezone", "Mars/Base"]).exit_code == 2
    assert runner.invoke(main, ["import", str(source), "--start", "soon"]).exit_code == 2


def test_an_import_that_fails_taper_check_says_so_in_the_regimens_places(
    runner: CliRunner, tmp_path: Path
) -> None:
    order = copy.deepcopy(EOD)
    order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = 40000
    source = tmp_path / "order.json"
    source.write_text(json.dumps(order), encoding="utf-8")
    result = runner.invoke(
        main,
        ["import", str(source), "-o", str(tmp_path / "r.toml"), "--timezone", "America/Chicago"],
    )
    assert result.exit_code == 1
    assert "order.json: imported r.toml: phase[1].dose: " in result.output
    assert not (tmp_path / "r.toml").exists()


def test_hostile_free_text_becomes_a_harmless_comment() -> None:
    order = copy.deepcopy(EOD)
    order["note"] = [{"text": "line one\nline two\u202e\u0007 <b>bold</b> &amp; more"}]
    text = checked_import(json.dumps(order).encode(), "o.json", ImportOptions("America/Chicago"))
    comment = next(line for line in text.splitlines() if "note[0]" in line)
    assert comment == "# MedicationRequest.note[0]: line one line two bold & more"


# -- the class: any regimen the generator makes ---------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regimens())
def test_any_generated_regimen_exports_valid_fhir_that_plans_and_imports_the_same(
    document: dict[str, Any],
) -> None:
    """Export, validate, expand and import any regimen the property tests generate: the Timing
    gives the plan's doses across daylight-saving changes (02:30 in a spring gap, 01:30 twice),
    and the import plans them again, dose for dose. Tablets need not survive (FHIR.md §3): an
    import may only fail where the default strengths cannot make a dose."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir_oracle import expand, violations

    from taper.engine.schedules import build_plan
    from taper.read.regimen import parse_regimen

    regimen, problems = parse_regimen(document, "generated.toml")
    assume(regimen is not None and not problems)
    assert regimen is not None
    try:
        plan = build_plan(regimen, problems, today=date(2026, 1, 1))
    except RegimenError:
        assume(False)
        return
    data = render_fhir(plan)
    Bundle.model_validate_json(data)
    bundle = json.loads(data)
    assert violations(bundle) == []
    assert expand(bundle, plan.timezone) == planned(plan_json(plan))
    try:
        back = checked_import(data, "plan.fhir.json", ImportOptions(plan.timezone))
    except RegimenError as err:
        assert all("cannot be made" in p.message for p in err.problems), err.render()
        return
    assert _doses(back) == planned(plan_json(plan))


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for number, item in enumerate(value):
            found += _paths(item, (*path, number))
    return found


HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**40), 10**40),
    st.text(max_size=12),
    st.sampled_from(
        [
            "9999-12-31",
            "0001-01-01T00:00:00Z",
            "2026-13-45",
            "U",
            "mo",
            "#nowhere",
            "Patient/zz",
            "\u202e",
            10**100,
            -1,
            0,
            {},
            [],
            [{}],
            {"reference": "#med0311"},
        ]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_hostile_order_is_refused_or_imported_never_a_crash(data: st.DataObject) -> None:
    """Every file taper reads may be hostile: any value of a published or EHR order replaced
    by anything gives a regimen that passes taper check, or problems, never another error."""
    name = data.draw(st.sampled_from(sorted(p.name for p in FIXTURES.glob("*.json"))))
    order = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    for path in data.draw(st.lists(st.sampled_from(_paths(order)), min_size=1, max_size=4)):
        target = order
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = data.draw(HOSTILE)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the way there
    raw = json.dumps(order).encode("utf-8")
    try:
        text = checked_import(raw, name, ImportOptions("America/New_York", date(2026, 12, 1)))
    except RegimenError as err:
        assert err.problems
        assert all(p.message != UNREADABLE for p in err.problems), err.__cause__
        return
    assert text.startswith(f"# imported from {name}: {HEADER}")


def test_a_file_name_cannot_write_into_the_regimen() -> None:
    name = 'order.json\ntitle = "not from the order"\r\u2028# '
    text = checked_import(
        (FIXTURES / "ehr-every-other-day.json").read_bytes(), name, ImportOptions("America/Chicago")
    )
    first, second = text.splitlines()[:2]
    assert first == f'# imported from order.json title = "not from the order" #: {HEADER}'
    assert second.startswith("#")
    assert not [line for line in text.splitlines() if line.startswith("title")]


def test_a_zone_without_an_emergency_number_asks_for_the_patients_zone(
    runner: CliRunner, tmp_path: Path
) -> None:
    source = FIXTURES / "ehr-every-other-day.json"
    result = runner.invoke(main, ["import", str(source), "--timezone", "UTC"])
    assert result.exit_code == 1
    assert "imported regimen.toml: care_team.emergency: is missing" in result.output
    assert "ehr-every-other-day.json: --timezone: " in result.output


def test_dosages_without_sequence_over_the_same_dates_are_one_days_doses() -> None:
    order = copy.deepcopy(EOD)
    morning = order["dosageInstruction"][0]
    morning["timing"]["repeat"].update(period=1)
    evening = copy.deepcopy(morning)
    evening["timing"]["repeat"]["timeOfDay"] = ["20:00:00"]
    evening["doseAndRate"][0]["doseQuantity"]["value"] = 20
    order["dosageInstruction"] = [morning, evening]
    text = checked_import(json.dumps(order).encode(), "o.json", ImportOptions("America/Chicago"))
    doses = _doses(text)
    assert len(doses) == 28
    assert [(d[1], d[4]) for d in doses[:2]] == [("08:00", "40"), ("20:00", "20")]


def test_a_timing_code_says_how_often_when_the_repeat_does_not() -> None:
    order = copy.deepcopy(EOD)
    order["dosageInstruction"][0]["timing"] = {
        "repeat": {"boundsPeriod": {"start": "2026-12-01", "end": "2026-12-03"}},
        "code": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                    "code": "BID",
                }
            ],
            "text": "twice a day",
        },
    }
    text = checked_import(json.dumps(order).encode(), "o.json", ImportOptions("America/Chicago"))
    assert [(d[0], d[1]) for d in _doses(text)] == [
        (day, time)
        for day in ("2026-12-01", "2026-12-02", "2026-12-03")
        for time in ("08:00", "18:00")
    ]
    assert "time not in the order: confirm (breakfast, supper assumed)" in text
    assert "timing.code: twice a day" in text
