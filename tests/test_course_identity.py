"""``build --previous`` takes only a previous plan of the same course: the identity the calendar's
UIDs are made from, now in plan.json (issue 18, item 8; DECISIONS 16: ``course = "..."``)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from taper.cli import main
from taper.read.identity import course_uid

ROOT = Path(__file__).parent.parent
SCHEMA = json.loads((ROOT / "taper" / "data" / "plan.schema.json").read_text("utf-8"))

# A finished 2025 asthma burst and a 2027 MS course of a patient with the same name.
ASTHMA_2025 = """
title = "Asthma burst"
start = 2025-03-02
timezone = "America/New_York"
revision = 0
{course}
[patient]
name = "Jane Doe"

[care_team]
clinic = "Clinic"
phone = "212-555-0100"

[[phase]]
name = "Burst"
drug = "prednisone"
tablets = ["20 mg"]
dose = "40 mg"
days = 5
at = ["breakfast"]
"""

MS_2027 = """
title = "MS relapse"
start = {start}
timezone = "America/New_York"
revision = 1
{course}
[patient]
name = "Jane Doe"

[care_team]
clinic = "Clinic"
phone = "212-555-0100"

[[phase]]
name = "Taper"
drug = "prednisone"
tablets = ["20 mg", "10 mg"]
steps = [{{ dose = "60 mg", days = 3 }}, {{ dose = "30 mg", days = 3 }}]
at = ["breakfast"]
"""


def _build(tmp_path: Path, name: str, text: str, *extra: str) -> tuple[int, str, Path]:
    regimen = tmp_path / f"{name}.toml"
    regimen.write_text(text, encoding="utf-8")
    out = tmp_path / name
    result = CliRunner().invoke(main, ["build", str(regimen), "-o", str(out), *extra])
    return result.exit_code, result.output, out


def test_another_course_of_the_same_patient_is_refused_naming_what_differs(
    tmp_path: Path,
) -> None:
    code, output, old = _build(tmp_path, "asthma", ASTHMA_2025.format(course=""))
    assert code == 0, output
    code, output, new = _build(
        tmp_path,
        "ms",
        MS_2027.format(start="2027-01-04", course=""),
        "--previous",
        str(old),
    )
    assert code == 1, output
    said = " ".join(output.split())
    assert "is another course of this patient" in said
    assert "its first day is 2025-03-02, not 2027-01-04" in said
    assert 'its title is "Asthma burst", not "MS relapse"' in said
    assert not new.exists()


def test_plan_json_carries_the_calendars_course_identity(tmp_path: Path) -> None:
    code, output, old = _build(tmp_path, "asthma", ASTHMA_2025.format(course=""))
    assert code == 0, output
    plan = json.loads((old / "plan.json").read_text("utf-8"))
    jsonschema.validate(plan, SCHEMA)
    ics = (old / "reminders.ics").read_text("utf-8")
    calendar_uid = next(
        line.split(":", 1)[1]
        for line in ics.splitlines()
        if line.startswith("UID:") and line.startswith("UID:course-")
    )
    assert plan["course"] == {"uid": calendar_uid, "id": None}


def test_a_named_course_moved_to_a_new_first_day_is_still_the_same_course(
    tmp_path: Path,
) -> None:
    named = 'course = "jane-ms-2027"\n'
    first = MS_2027.format(start="2027-01-04", course=named).replace("revision = 1", "revision = 0")
    code, output, old = _build(tmp_path, "r0", first)
    assert code == 0, output
    plan = json.loads((old / "plan.json").read_text("utf-8"))
    assert plan["course"]["id"] == "jane-ms-2027"
    moved = MS_2027.format(start="2027-01-11", course=named)
    code, output, new = _build(tmp_path, "r1", moved, "--previous", str(old))
    assert code == 0, output
    # the calendar keeps its identity, so ics --previous updates the old reminders in place
    moved_file = tmp_path / "r1.toml"
    result = CliRunner().invoke(
        main,
        [
            "ics",
            str(moved_file),
            "-o",
            str(tmp_path / "r1.ics"),
            "--previous",
            str(old / "reminders.ics"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((new / "plan.json").read_text("utf-8"))["course"] == plan["course"]
    # the same reminders, moved a week: every old UID is updated, none is cancelled
    import icalendar

    def uids(path: Path) -> dict[str, str]:
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        return {
            str(event["UID"]): str(event.get("STATUS", "")) for event in calendar.walk("VEVENT")
        }

    before, after = uids(old / "reminders.ics"), uids(tmp_path / "r1.ics")
    assert set(before) == set(after)
    assert "CANCELLED" not in after.values()


def test_without_a_course_name_a_new_first_day_is_refused(tmp_path: Path) -> None:
    first = MS_2027.format(start="2027-01-04", course="").replace("revision = 1", "revision = 0")
    code, output, old = _build(tmp_path, "r0", first)
    assert code == 0, output
    code, output, new = _build(
        tmp_path, "r1", MS_2027.format(start="2027-01-11", course=""), "--previous", str(old)
    )
    assert code == 1
    said = " ".join(output.split())
    assert "its first day is 2027-01-04, not 2027-01-11" in said
    assert 'course = "..."' in said
    assert not new.exists()


def test_different_course_names_are_refused(tmp_path: Path) -> None:
    first = MS_2027.format(start="2027-01-04", course='course = "a"\n')
    code, output, old = _build(tmp_path, "r0", first.replace("revision = 1", "revision = 0"))
    assert code == 0, output
    code, output, _ = _build(
        tmp_path,
        "r1",
        MS_2027.format(start="2027-01-04", course='course = "b"\n'),
        "--previous",
        str(old),
    )
    assert code == 1
    assert 'it is course "a", not "b"' in " ".join(output.split())


def test_an_older_plan_json_without_course_is_compared_on_its_fields(tmp_path: Path) -> None:
    first = MS_2027.format(start="2027-01-04", course="").replace("revision = 1", "revision = 0")
    code, output, old = _build(tmp_path, "r0", first)
    assert code == 0, output
    plan = json.loads((old / "plan.json").read_text("utf-8"))
    del plan["course"]  # as written before round three
    older = tmp_path / "older.json"
    older.write_text(json.dumps(plan), encoding="utf-8")
    code, output, _ = _build(
        tmp_path, "same", MS_2027.format(start="2027-01-04", course=""), "--previous", str(older)
    )
    assert code == 0, output
    code, output, _ = _build(
        tmp_path, "moved", MS_2027.format(start="2027-01-05", course=""), "--previous", str(older)
    )
    assert code == 1 and "its first day is 2027-01-04, not 2027-01-05" in " ".join(output.split())


def test_a_course_identity_that_does_not_match_its_plan_is_refused(tmp_path: Path) -> None:
    first = MS_2027.format(start="2027-01-04", course="").replace("revision = 1", "revision = 0")
    code, output, old = _build(tmp_path, "r0", first)
    assert code == 0, output
    plan = json.loads((old / "plan.json").read_text("utf-8"))
    plan["start"] = "2027-01-11"  # edited by hand: the identity says otherwise
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(plan), encoding="utf-8")
    code, output, _ = _build(
        tmp_path, "r1", MS_2027.format(start="2027-01-11", course=""), "--previous", str(edited)
    )
    assert code == 1 and "not a plan.json written by taper" in output


def test_the_course_identity_of_a_title_is_the_calendars_as_before() -> None:
    """Calendars already on phones keep their UIDs: the key without `course` is unchanged."""
    from datetime import date

    from taper.read.identity import hash_uid

    assert course_uid("Sam Lee", "T", date(2026, 12, 1), None) == hash_uid(
        "course", ("Sam Lee", "T", "2026-12-01")
    )
    assert course_uid("Sam Lee", "T", date(2026, 12, 1), "T") != course_uid(
        "Sam Lee", "T", date(2026, 12, 1), None
    )


def test_an_empty_course_name_is_an_error(tmp_path: Path) -> None:
    regimen = tmp_path / "r.toml"
    regimen.write_text(MS_2027.format(start="2027-01-04", course='course = "  "\n'), "utf-8")
    result = CliRunner().invoke(main, ["check", str(regimen)])
    assert result.exit_code == 1 and "course: is empty" in result.output


# -- the class: the identity tells courses apart exactly as the calendar's UIDs do ----------------

from datetime import date, timedelta  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# Regimen text never holds control characters (taper/read/text.py refuses them), so the key's
# separators cannot occur inside a field.
_text = st.characters(blacklist_categories=("Cc", "Cs"))
_names = st.one_of(st.none(), st.text(_text, min_size=0, max_size=12))
_titles = st.text(_text, min_size=0, max_size=20)
_days = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))
_courses = st.one_of(st.none(), st.text(_text, min_size=1, max_size=12))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_names, _titles, _days, _courses, _names, _titles, _days, _courses)
def test_two_courses_are_the_same_exactly_when_their_identity_fields_are(
    p1: str | None,
    t1: str,
    d1: date,
    c1: str | None,
    p2: str | None,
    t2: str,
    d2: date,
    c2: str | None,
) -> None:
    same = course_uid(p1, t1, d1, c1) == course_uid(p2, t2, d2, c2)
    if c1 is not None or c2 is not None:
        assert same == ((p1 or "") == (p2 or "") and c1 == c2)
    else:
        assert same == ((p1 or "") == (p2 or "") and t1 == t2 and d1 == d2)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(_names, _titles, _days, st.text(_text, min_size=1, max_size=12), st.integers(1, 400))
def test_a_named_course_keeps_its_identity_when_moved(
    patient: str | None, title: str, start: date, course: str, shift: int
) -> None:
    moved = start + timedelta(days=shift) if start.year < 2199 else start - timedelta(days=shift)
    assert course_uid(patient, title, start, course) == course_uid(
        patient, title + " (moved)", moved, course
    )
