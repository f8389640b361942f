"""The shipped templates: each renders, checks and builds; `taper templates` and `taper new`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from taper.api import load as load_plan
from taper.cli import main
from taper.read.errors import TaperError
from taper.read.templates import (
    TemplateError,
    list_templates,
    needs_height,
    needs_weight,
    render_template,
)
from taper.records.plan import Plan

TEMPLATES = Path(__file__).parent.parent / "templates"
NAMES = sorted(path.stem for path in TEMPLATES.glob("*.toml"))
START = date(2026, 12, 1)
TODAY = date(2026, 11, 22)
# Warnings that are real for a template (the prescriber sees them); any other is a defect.
# Every template leaves the care team's phone for the nurse to fill in: no-clinic-phone.
EXPECTED_WARNINGS = {
    "child-asthma-prednisolone-liquid": {"no-clinic-phone"},
    "copd-prednisone-5-day": {"no-clinic-phone"},
    "gca-prednisone-2-year-taper": {"no-clinic-phone", "adrenal"},
    "ivig-5-day": {"no-clinic-phone", "infusion-length-missing"},
    "label-dexamethasone": {"no-clinic-phone"},
    "label-methylprednisolone": {"no-clinic-phone", "above-usual-dose", "adrenal"},
    "label-prednisolone": {"no-clinic-phone", "above-usual-dose", "many-tablets", "adrenal"},
    "methylprednisolone-dose-pack": {"no-clinic-phone", "evening-dose"},
    "ms-acth-gel": {"no-clinic-phone"},
    "ms-iv-pulse-3-day": {"no-clinic-phone"},
    "ms-iv-pulse-5-day": {"no-clinic-phone"},
    "ms-iv-pulse-then-prednisone-taper": {"no-clinic-phone", "adrenal"},
    "ms-oral-methylprednisolone-1000-3-day": {
        "no-clinic-phone",
        "above-usual-dose",
        "many-tablets",
    },
    "ms-oral-methylprednisolone-500-5-day": {"no-clinic-phone", "above-usual-dose", "many-tablets"},
    "ms-oral-prednisone-3-day": {"no-clinic-phone", "above-usual-dose", "many-tablets"},
    "ms-oral-prednisone-5-day": {"no-clinic-phone", "above-usual-dose", "many-tablets"},
    "ms-oral-prednisone-pulse-then-taper": {
        "no-clinic-phone",
        "above-usual-dose",
        "many-tablets",
        "adrenal",
    },
    "ms-plasma-exchange": {"no-clinic-phone"},
    "nephrotic-syndrome-prednisone-bsa": {"no-clinic-phone", "adrenal"},
    "optic-neuritis-ontt": {"no-clinic-phone", "above-usual-dose", "evening-dose", "adrenal"},
}
PER_WEIGHT = (
    "child-asthma-prednisolone-liquid",
    "ivig-5-day",
    "nephrotic-syndrome-prednisone-bsa",
    "optic-neuritis-ontt",
)


def build(
    name: str, tmp_path: Path, weight: str | None = "70 kg", height: str | None = "120 cm"
) -> Plan:
    text = render_template(
        name, start=START, weight=weight, timezone="America/New_York", height=height
    )
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return load_plan(path, today=TODAY)


def test_the_expected_templates_ship() -> None:
    assert sorted(EXPECTED_WARNINGS) == NAMES
    assert [t.name for t in list_templates()] == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_template_renders_and_checks(name: str, tmp_path: Path) -> None:
    plan = build(name, tmp_path)
    assert {w.code for w in plan.warnings} == EXPECTED_WARNINGS[name]
    assert plan.start == START
    assert plan.timezone == "America/New_York"
    assert plan.patient.weight == "70 kg"


@pytest.mark.parametrize("name", NAMES)
def test_every_template_opens_with_its_source_and_what_to_confirm(name: str) -> None:
    text = (TEMPLATES / f"{name}.toml").read_text(encoding="utf-8")
    header = text.split("\n\n", 1)[0].splitlines()
    assert all(line.startswith("#") for line in header)
    assert header[0].startswith("# description: ")
    assert header[1].startswith("# source: ")
    assert header[2].startswith("# confidence: ")
    assert "confirm" in " ".join(header)
    info = next(t for t in list_templates() if t.name == name)
    assert info.description == header[0].removeprefix("# description: ")
    assert info.source == header[1].removeprefix("# source: ")
    assert "{{start}}" in text and "{{timezone}}" in text and "{{weight}}" in text


@pytest.mark.parametrize("name", [n for n in NAMES if n not in PER_WEIGHT])
def test_templates_without_per_kg_doses_need_no_weight(name: str, tmp_path: Path) -> None:
    plan = build(name, tmp_path, weight=None, height=None)
    assert plan.patient.weight is None and plan.patient.height is None


@pytest.mark.parametrize(
    "name", ["optic-neuritis-ontt", "ivig-5-day", "child-asthma-prednisolone-liquid"]
)
def test_per_kg_templates_need_a_weight(name: str) -> None:
    assert needs_weight((TEMPLATES / f"{name}.toml").read_text(encoding="utf-8"))
    with pytest.raises(TemplateError) as caught:
        render_template(name, start=START, weight=None, timezone="UTC")
    assert str(caught.value) == (
        f'template "{name}" doses per kg of body weight; pass the patient\'s weight with '
        '--weight, such as --weight "70 kg"'
    )


def test_per_m2_templates_need_a_weight_and_a_height() -> None:
    name = "nephrotic-syndrome-prednisone-bsa"
    assert needs_height((TEMPLATES / f"{name}.toml").read_text(encoding="utf-8"))
    with pytest.raises(TemplateError) as caught:
        render_template(name, start=START, weight="22 kg", timezone="UTC")
    assert str(caught.value) == (
        f'template "{name}" doses per m² of body surface area; pass the patient\'s height '
        'with --height, such as --height "120 cm"'
    )
    with pytest.raises(TemplateError, match='--height: "tall" is not a height'):
        render_template(name, start=START, weight="22 kg", timezone="UTC", height="tall")
    text = render_template(name, start=START, weight="22 kg", timezone="UTC", height="47 in")
    assert 'height = "47 in"\n' in text


def test_unknown_template_suggests_and_lists() -> None:
    with pytest.raises(TemplateError) as caught:
        render_template("ms-iv-pulse-3-days", start=START, weight=None, timezone="UTC")
    message = str(caught.value)
    assert message.startswith(
        'unknown template "ms-iv-pulse-3-days"; did you mean '
        '"ms-iv-pulse-3-day"? (templates: child-asthma-prednisolone-liquid, '
    )
    assert isinstance(caught.value, TaperError)


def test_bad_weight_and_zone_are_errors() -> None:
    with pytest.raises(TemplateError, match='--weight: "70" is not a weight'):
        render_template("ivig-5-day", start=START, weight="70", timezone="UTC")
    with pytest.raises(TemplateError, match='unknown time zone "Mars/Base"'):
        render_template("ivig-5-day", start=START, weight="70 kg", timezone="Mars/Base")


def test_machine_zone_is_used_without_a_timezone(tmp_path: Path) -> None:
    text = render_template("ms-iv-pulse-3-day", start=START, weight=None, timezone=None)
    path = tmp_path / "r.toml"
    # The machine's zone may have no confirmed emergency number (UTC on CI): give one.
    path.write_text(text.replace("[care_team]\n", '[care_team]\nemergency = "112"\n'), "utf-8")
    assert load_plan(path, today=TODAY).timezone  # a zone the reader accepts


# -- clinical content of particular templates ----------------------------------------------------


def test_ontt_ends_at_day_14_and_notes_the_taper_and_the_oral_only_risk(tmp_path: Path) -> None:
    plan = build("optic-neuritis-ontt", tmp_path)
    assert plan.length == 14
    iv_days = [d for d in plan.doses if d.route == "iv"]
    assert len(iv_days) == 12 and {d.amount for d in iv_days} == {Decimal(250)}
    # every = "6h" from 06:00 on day 1: the twelfth dose is at midnight, on day 4
    assert [(d.day, d.time) for d in iv_days[:4]] == [
        (1, "06:00"),
        (1, "12:00"),
        (1, "18:00"),
        (2, "00:00"),
    ]
    assert (iv_days[-1].day, iv_days[-1].time) == (4, "00:00")
    oral = [d for d in plan.doses if d.route == "oral"]
    assert [d.day for d in oral] == list(range(4, 15)) and oral[0].amount == 70
    text = (TEMPLATES / "optic-neuritis-ontt.toml").read_text(encoding="utf-8")
    assert "ENDS AT DAY 14" in text and "UNCONFIRMED" in text
    assert "relative risk 1.79" in text


def test_dose_pack_matches_the_reference_table(tmp_path: Path) -> None:
    plan = build("methylprednisolone-dose-pack", tmp_path)
    totals = [sum((d.amount or 0 for d in day.doses), Decimal(0)) for day in plan.days]
    assert totals == [24, 20, 16, 12, 8, 4]
    assert [len(day.doses) for day in plan.days] == [4, 4, 4, 3, 2, 1]
    assert plan.dispense == ()
    assert [(p.packs, p.tablets_per_pack, p.left_over) for p in plan.packs] == [(1, 21, 0)]
    assert [(d.slot, d.amount) for d in plan.days[0].doses] == [
        ("breakfast", 8),
        ("lunch", 4),
        ("supper", 4),
        ("bedtime", 8),
    ]


def test_dexamethasone_template_leaves_the_maintenance_dose_to_the_prescriber(
    tmp_path: Path,
) -> None:
    plan = build("label-dexamethasone", tmp_path)
    assert plan.length == 7 and {d.amount for d in plan.doses} == {30}
    assert "still to be entered" in plan.title
    text = (TEMPLATES / "label-dexamethasone.toml").read_text(encoding="utf-8")
    assert '# dose = "… mg"' in text


def test_example_tapers_are_marked(tmp_path: Path) -> None:
    for name in ("ms-iv-pulse-then-prednisone-taper", "ms-oral-prednisone-pulse-then-taper"):
        plan = build(name, tmp_path)
        assert "example taper" in plan.title
        assert [p.name for p in plan.phases][1] == "Taper (example: edit)"
        assert [s.doses[0].amount for s in plan.phases[1].steps] == [60, 40, 20, 10]


def test_ms_templates_mark_the_course_as_an_ms_relapse(tmp_path: Path) -> None:
    for name in NAMES:
        plan = build(name, tmp_path)
        assert ("ms-relapse" in plan.patient.conditions) is name.startswith("ms-")


def test_acth_plasma_exchange_and_ivig(tmp_path: Path) -> None:
    acth = build("ms-acth-gel", tmp_path)
    assert {(d.route, d.amount, d.unit, d.volume_ml) for d in acth.doses} == {
        ("sc", 80, "units", 1)
    }
    assert acth.length == 14
    plex = build("ms-plasma-exchange", tmp_path)
    assert [d.day for d in plex.doses] == [1, 3, 5, 7, 9]
    ivig = build("ivig-5-day", tmp_path)
    assert {(d.amount, d.unit) for d in ivig.doses} == {(28, "g")}


# -- the commands ------------------------------------------------------------------------------


def test_templates_command_lists_every_template(runner: CliRunner) -> None:
    result = runner.invoke(main, ["templates"], catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == NAMES
    assert lines[NAMES.index("ms-iv-pulse-3-day")] == (
        "ms-iv-pulse-3-day  MS relapse: IV methylprednisolone 1 g once daily for 3 days "
        '(source: VA MS Centers of Excellence, "Treatments for MS relapses" '
        "(clinical-reference §4))"
    )


def test_new_writes_an_editable_regimen(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "jane.toml"
    result = runner.invoke(
        main,
        [
            "new",
            "ivig-5-day",
            "-o",
            str(out),
            "--start",
            "2026-12-01",
            "--weight",
            "154 lb",
            "--timezone",
            "Europe/London",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    assert result.stderr == f"wrote {out}; edit it, then run: taper check {out}\n"
    text = out.read_text(encoding="utf-8")
    assert "start = 2026-12-01\n" in text
    assert 'timezone = "Europe/London"\n' in text
    assert 'weight = "154 lb"\n' in text
    check = runner.invoke(main, ["check", str(out)], catch_exceptions=False)
    assert check.exit_code == 0
    assert check.output.startswith("jane.toml: valid: 5 days, 5 doses, 3 warnings\n")
    assert "warning [per-kg-rounded]: 0.4 g/kg × 69.9 kg = 27.96 g, rounded to 28 g" in check.output


def test_new_refuses_to_overwrite_without_force(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "jane.toml"
    out.write_text("keep me", encoding="utf-8")
    args = ["new", "ms-iv-pulse-3-day", "-o", str(out), "--timezone", "UTC"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert result.output == f"Error: {out} already exists; add --force to replace it\n"
    assert out.read_text(encoding="utf-8") == "keep me"
    result = runner.invoke(main, [*args, "--force"], catch_exceptions=False)
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("# description: MS relapse")


def test_new_unknown_template(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "x.toml"
    result = runner.invoke(main, ["new", "ontt", "-o", str(out), "--timezone", "UTC"])
    assert result.exit_code == 2  # a mistake on the command line, like a bad --start
    assert 'Error: unknown template "ontt"' in result.output
    assert "(templates: child-asthma-prednisolone-liquid, copd-prednisone-5-day," in result.output
    assert not out.exists()


def test_new_per_kg_template_without_weight(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "x.toml"
    result = runner.invoke(main, ["new", "optic-neuritis-ontt", "-o", str(out)])
    assert result.exit_code == 2  # a mistake on the command line, like a bad --start
    assert result.output.endswith(
        'Error: template "optic-neuritis-ontt" doses per kg of body weight; pass the '
        'patient\'s weight with --weight, such as --weight "70 kg"\n'
    )
    assert not out.exists()


def test_new_bad_timezone_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main,
        ["new", "ms-iv-pulse-3-day", "-o", str(tmp_path / "x.toml"), "--timezone", "Mars/Base"],
    )
    assert result.exit_code == 2
    assert "'Mars/Base' is not an IANA time zone" in result.output


# -- round two: long tapers, children, BSA, a COPD course ------------------------------------


def test_gca_taper_follows_bsr_2010_over_about_two_years(tmp_path: Path) -> None:
    plan = build("gca-prednisone-2-year-taper", tmp_path)
    assert plan.length == 700 and plan.fill_days == 28 and len(plan.fills) == 25
    steps = []
    for dose in plan.doses:
        if not steps or steps[-1][0] != dose.amount:
            steps.append([dose.amount, 0])
        steps[-1][1] += 1
    held = [(amount, days) for amount, days in steps]
    assert held[:5] == [(60, 28), (50, 14), (40, 14), (30, 14), (20, 14)]
    assert held[5:9] == [(Decimal("17.5"), 28), (15, 28), (Decimal("12.5"), 28), (10, 28)]
    assert held[9:] == [(mg, 56) for mg in range(9, 0, -1)]
    text = (TEMPLATES / "gca-prednisone-2-year-taper.toml").read_text(encoding="utf-8")
    assert "UNCONFIRMED" in text and "relapse" in text


def test_child_asthma_burst_is_per_kg_capped_and_liquid(tmp_path: Path) -> None:
    small = build("child-asthma-prednisolone-liquid", tmp_path, weight="18 kg")
    assert {(d.amount, d.volume_ml) for d in small.doses} == {(36, 12)}  # 2 mg/kg × 18 kg
    large = build("child-asthma-prednisolone-liquid", tmp_path, weight="40 kg")
    assert {(d.amount, d.volume_ml) for d in large.doses} == {(60, 20)}  # 80 mg, capped
    assert large.doses[0].basis is not None and large.doses[0].basis.uncapped == 80
    assert len(large.doses) == 5


def test_nephrotic_syndrome_is_per_m2_with_caps(tmp_path: Path) -> None:
    # 20 kg and 115 cm: 0.80 m² (clinical-reference-2 §5): 48 mg daily, then 32 mg
    plan = build("nephrotic-syndrome-prednisone-bsa", tmp_path, weight="20 kg", height="115 cm")
    assert plan.patient.bsa_m2 == Decimal("0.80")
    daily = [d for d in plan.doses if d.phase == "Daily"]
    other = [d for d in plan.doses if d.phase == "Every other day"]
    assert len(daily) == 28 and {d.amount for d in daily} == {48}
    assert len(other) == 14 and {d.amount for d in other} == {32}
    adult = build("nephrotic-syndrome-prednisone-bsa", tmp_path)  # 70 kg, 120 cm: 1.53 m²
    assert {d.amount for d in adult.doses} == {60, 40}


def test_copd_course_cites_the_reduce_trial(tmp_path: Path) -> None:
    """40 mg once daily for 5 days is REDUCE's and GOLD's dose (clinical-reference-3 §1, and
    the product owner's decision 10): cited as such, no longer marked unconfirmed."""
    plan = build("copd-prednisone-5-day", tmp_path)
    assert plan.length == 5 and {d.amount for d in plan.doses} == {40}
    header = (TEMPLATES / "copd-prednisone-5-day.toml").read_text(encoding="utf-8")
    assert "# confidence: HIGH" in header
    assert "REDUCE trial" in header and "clinical-reference-3 §1" in header
    assert "UNCONFIRMED" not in header and "placeholder" not in header
