"""`taper check` and `taper plan` as a nurse runs them: exact output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from taper.cli import main

REGIMENS = Path(__file__).parent / "regimens"
# The published contract (SPEC.md's plan.schema.json), copied into the repository so a clone's
# tests need nothing beside it.
CONTRACT_SCHEMA = Path(__file__).parent / "data" / "contract-plan.schema.json"


def shipped_schema() -> dict[str, object]:
    text = resources.files("taper").joinpath("data", "plan.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def test_check_valid_regimen(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["check", str(REGIMENS / "dose-pack.toml")], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert result.output == (
        "dose-pack.toml: valid: 6 days, 18 doses, 1 warning\n"
        "  dose-pack.toml: phase[1].at: warning [evening-dose]: a steroid dose at 22:00 can keep "
        "the patient awake; morning doses are usual unless the order says otherwise\n"
    )


def test_check_counts_one_day_in_the_singular(
    runner: CliRunner, write_regimen: Callable[..., Path]
) -> None:
    path = write_regimen(
        'title = "One day"\nstart = 2026-12-01\ntimezone = "Europe/London"\n'
        '[care_team]\nphone = "020 7946 0000"\n'
        '[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\ndays = 1\nat = ["08:00"]\n',
        "one.toml",
    )
    result = runner.invoke(main, ["check", str(path)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == "one.toml: valid: 1 day, 1 dose, 0 warnings\n"


def test_check_lists_every_problem_and_exits_1(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check", str(REGIMENS / "invalid" / "many-problems.toml")])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert lines[0] == "Error: many-problems.toml: 6 problems found"
    assert len(lines) == 7
    assert "Traceback" not in result.output


def test_check_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["check", str(tmp_path / "nope.toml")])
    assert result.exit_code == 1
    assert result.output == (
        "Error: nope.toml: 1 problem found\n"
        "  nope.toml: no such file; check the name and the folder\n"
    )


def test_usage_errors_exit_2(runner: CliRunner) -> None:
    assert runner.invoke(main, ["check"]).exit_code == 2
    assert runner.invoke(main, ["plan", "--jsn", "x.toml"]).exit_code == 2
    assert runner.invoke(main, ["frobnicate"]).exit_code == 2


def test_plan_table(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["plan", str(REGIMENS / "alternate-day.toml")], catch_exceptions=False
    )
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "Prednisolone, then every other day"
    assert lines[1] == "2027-01-04 to 2027-02-09 (37 days) · times in Asia/Kolkata"
    assert "== Daily: Prednisolone by mouth, days 1–7 ==" in lines
    assert (
        "Mon 2027-01-04  day   1  08:00  Prednisolone 60 mg: 12 × 5 mg tablets, with food" in lines
    )
    assert "Tue 2027-01-12  day   9         no dose" in lines
    assert "  Prednisolone 5 mg tablets: 204" in lines


def test_plan_json_validates_against_the_shipped_schema(runner: CliRunner) -> None:
    # The engine's own fixtures; the exports' fixtures (pdf-, ics-, clin-) have their own tests.
    engine_fixtures = [
        p
        for p in sorted(REGIMENS.glob("*.toml"))
        if "-" not in p.name.split("-")[0] and not p.name.startswith(("pdf-", "ics-", "clin-"))
    ]
    assert len(engine_fixtures) >= 6
    for path in engine_fixtures:
        result = runner.invoke(main, ["plan", "--json", str(path)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        document = json.loads(result.output)
        jsonschema.Draft202012Validator(shipped_schema()).validate(document)
        days = [day["date"] for day in document["days"]]
        assert days[0] == document["start"] and days[-1] == document["end"]
        assert len(days) == len(set(days))


def test_shipped_schema_is_the_published_contract() -> None:
    # The shipped schema may extend the contract with optional properties (backward
    # compatible: the plan's "tzdata"); everything the contract says, it says the same.
    def extends(shipped: object, contract: object) -> bool:
        if isinstance(contract, dict) and isinstance(shipped, dict):
            return all(k in shipped and extends(shipped[k], v) for k, v in contract.items())
        return shipped == contract

    contract = json.loads(CONTRACT_SCHEMA.read_text("utf-8"))
    assert extends(shipped_schema(), contract)
    assert shipped_schema()["required"] == contract["required"]


def test_plan_json_content(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["plan", "--json", str(REGIMENS / "pulse-then-taper.toml")], catch_exceptions=False
    )
    plan = json.loads(result.output)
    assert plan["schema"] == "taper-plan/1"
    day4 = plan["days"][3]
    assert day4["date"] == "2026-12-04"
    assert day4["doses"][0] | {"instructions": None} == {
        "time": "08:00",
        "phase": "Taper",
        "drug": "prednisone",
        "drug_name": "Prednisone",
        "route": "oral",
        "amount": 60,
        "unit": "mg",
        "tablets": [{"strength": 20, "unit": "mg", "count": 3}],
        "volume_ml": None,
        "duration_min": None,
        "instructions": None,
        "starts": "2026-12-04T08:00:00-05:00",
    }
    assert plan["dispense"] == [
        {"drug": "prednisone", "strength": 20, "unit": "mg", "count": 24},
        {"drug": "prednisone", "strength": 10, "unit": "mg", "count": 4},
    ]


def test_warnings_are_in_the_json(runner: CliRunner, write_regimen: Callable[..., Path]) -> None:
    path = write_regimen(
        'start = 2026-12-01\ntimezone = "Europe/London"\n[care_team]\nphone = "020 7946 0000"\n'
        '[[phase]]\ndrug = "prednisone"\n'
        'dose = "80 mg"\ndays = 2\nat = ["21:00"]\n'
    )
    plan = json.loads(runner.invoke(main, ["plan", "--json", str(path)]).output)
    assert [w["code"] for w in plan["warnings"]] == ["above-usual-dose", "evening-dose"]


def test_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    for command in ("check", "plan", "ics", "pdf", "watch", "templates", "new", "build"):
        assert f"  {command} " in result.output


def test_plan_does_not_import_reportlab_icalendar_or_flask() -> None:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['taper', 'plan', '--json', {str(REGIMENS / 'pulse-then-taper.toml')!r}]\n"
        "from taper.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('reportlab', 'icalendar', 'flask', 'werkzeug', 'jinja2', 'taper.web')"
        " if m in sys.modules]\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert "HEAVY=" in result.stderr
    assert result.stderr.split("HEAVY=")[1].strip() == ""
