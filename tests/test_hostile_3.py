"""Round three of hostile input (issue 20): forged previous plans, unreadable inputs, print-run
aliases. The page under attack is in tests/test_web_hostile.py.

Every attack here must end with exit 1 (or 0 where the input is fine), a message naming the
file and, for a bad value, its JSON path; never a traceback, and nothing written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from taper.cli import main

REGIMENS = Path(__file__).parent / "regimens"
R0 = REGIMENS / "ics-reissue-r0.toml"
R1 = REGIMENS / "ics-reissue-r1.toml"


def invoke(runner: CliRunner, *args: str | Path) -> tuple[int, str]:
    result = runner.invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the test fails with it
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def old_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The plan.json taper writes for revision 0 of the course ics-reissue-r1 replaces."""
    folder = tmp_path_factory.mktemp("old") / "packet"
    result = CliRunner().invoke(main, ["build", str(R0), "-o", str(folder)])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    return document


def first_dose(document: dict[str, Any]) -> dict[str, Any]:
    dose: dict[str, Any] = next(day for day in document["days"] if day["doses"])["doses"][0]
    return dose


def dose_path(document: dict[str, Any]) -> str:
    index = next(i for i, day in enumerate(document["days"]) if day["doses"])
    return f"$.days[{index}].doses[0]"


# -- 1. a previous plan is hostile input --------------------------------------------------------


def build_with_previous(runner: CliRunner, tmp_path: Path, text: str | bytes) -> tuple[int, str]:
    forged = tmp_path / "plan.json"
    if isinstance(text, str):
        forged.write_text(text, encoding="utf-8")
    else:
        forged.write_bytes(text)
    out = tmp_path / "new"
    code, output = invoke(runner, "build", R1, "-o", out, "--previous", forged)
    assert not out.exists()  # nothing written
    assert str(forged) in output  # the file is named
    return code, output


def test_a_valid_previous_plan_still_works(
    runner: CliRunner, tmp_path: Path, old_plan: dict[str, Any]
) -> None:
    previous = tmp_path / "plan.json"
    previous.write_text(json.dumps(old_plan), encoding="utf-8")
    code, output = invoke(runner, "build", R1, "-o", tmp_path / "new", "--previous", previous)
    assert code == 0, output


def with_value(document: dict[str, Any], where: str, value: str) -> str:
    """The document as JSON with the value at ``where`` (a marker) replaced by raw JSON text."""
    return json.dumps(document).replace(json.dumps(where), value)


MARK = "\u2063marker\u2063"


def forged(old_plan: dict[str, Any], change: str) -> tuple[dict[str, Any], str]:
    """A copy of the old plan with MARK at the place ``change`` names, and that place's path."""
    document = json.loads(json.dumps(old_plan))
    dose = first_dose(document)
    if change in ("revision", "title", "start", "course"):
        document[change] = MARK
        return document, f"$.{change}"
    if change in ("count", "strength", "unit"):
        document["dispense"][0][change] = MARK
        return document, f"$.dispense[0].{change}"
    dose[change] = MARK
    return document, f"{dose_path(document)}.{change}"


# (id, the key, the raw JSON value, a text the message must hold besides the file)
VALUE_ATTACKS = [
    ("revision-infinity", "revision", "Infinity", "Infinity"),
    ("revision-1e100000", "revision", "1e100000", "1e100000"),
    ("revision-negative-infinity", "revision", "-Infinity", "-Infinity"),
    ("revision-float", "revision", "1.5", "$.revision"),
    ("revision-huge-int", "revision", "9" * 5000, "a number of 5000 characters"),
    ("revision-true", "revision", "true", "$.revision"),
    ("count-nan", "count", "NaN", "NaN"),
    ("count-infinity", "count", "Infinity", "Infinity"),
    ("count-1e300", "count", "1e300", "$.dispense[0].count"),
    ("count-negative", "count", "-3", "$.dispense[0].count"),
    ("count-text", "count", '"24"', "$.dispense[0].count"),
    ("unit-list", "unit", '["mg"]', "$.dispense[0].unit is a list"),
    ("unit-unknown", "unit", '"mgs"', "$.dispense[0].unit"),
    ("strength-negative", "strength", "-20", "$.dispense[0].strength is -20"),
    ("strength-zero", "strength", "0", "$.dispense[0].strength"),
    ("amount-nan", "amount", "NaN", "NaN"),
    ("amount-negative", "amount", "-20", ".amount is -20"),
    ("amount-object", "amount", '{"a": 1}', ".amount is an object"),
    ("time-bad", "time", '"25:99"', ".time is not a clock time"),
    ("route-unknown", "route", '"rectal"', ".route"),
    ("drug-name-escape", "drug_name", '"Pred\\u001b[31mnisone"', ".drug_name holds characters"),
    ("drug-name-empty", "drug_name", '""', ".drug_name is empty"),
    # the course's identity, read since issue 18
    ("title-number", "title", "5", "$.title is a number"),
    ("start-bad-date", "start", '"2026-13-01"', "$.start is not a date"),
    ("course-list", "course", '["x"]', "$.course is a list"),
    ("course-uid-number", "course", '{"uid": 5, "id": null}', "$.course.uid is a number"),
    ("course-id-missing", "course", '{"uid": "course-x@taper"}', "$.course.id is missing"),
]


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [case[1:] for case in VALUE_ATTACKS],
    ids=[case[0] for case in VALUE_ATTACKS],
)
def test_a_forged_value_is_refused_with_its_place(
    runner: CliRunner,
    tmp_path: Path,
    old_plan: dict[str, Any],
    key: str,
    raw: str,
    expected: str,
) -> None:
    document, path = forged(old_plan, key)
    code, output = build_with_previous(runner, tmp_path, with_value(document, MARK, raw))
    assert code == 1, output
    assert "not a plan.json written by taper" in output
    assert expected in output
    assert path in output


def test_a_plan_nested_200000_deep_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    started = time.monotonic()
    code, output = build_with_previous(runner, tmp_path, "[" * 200_000 + "]" * 200_000)
    assert code == 1
    assert "nests deeper than 16 levels" in output
    assert time.monotonic() - started < 10


def test_a_deep_value_inside_a_real_plan_is_refused(
    runner: CliRunner, tmp_path: Path, old_plan: dict[str, Any]
) -> None:
    document, _ = forged(old_plan, "amount")
    deep = "[" * 5000 + "1" + "]" * 5000
    code, output = build_with_previous(runner, tmp_path, with_value(document, MARK, deep))
    assert code == 1 and "nests deeper" in output


def test_a_key_twice_is_refused(
    runner: CliRunner, tmp_path: Path, old_plan: dict[str, Any]
) -> None:
    text = json.dumps(old_plan).replace('"revision": 0', '"revision": 0, "revision": 0', 1)
    code, output = build_with_previous(runner, tmp_path, text)
    assert code == 1 and 'has the key "revision" twice' in output


def test_every_bad_value_is_listed_at_once(
    runner: CliRunner, tmp_path: Path, old_plan: dict[str, Any]
) -> None:
    document = json.loads(json.dumps(old_plan))
    document["dispense"][0]["strength"] = -20
    first_dose(document)["route"] = "rectal"
    code, output = build_with_previous(runner, tmp_path, json.dumps(document))
    assert code == 1
    assert "2 values taper never writes" in output
    assert "$.dispense[0].strength" in output and ".route" in output


def test_not_utf8_or_not_json_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    code, output = build_with_previous(runner, tmp_path, b"\xff\xfe{}")
    assert code == 1 and "not UTF-8" in output
    code, output = build_with_previous(runner, tmp_path, '{"schema": "taper-plan/1",')
    assert code == 1 and "is not JSON" in output


def build_command(tmp_path: Path, previous: Path) -> list[str]:
    out = str(tmp_path / "new")
    return [sys.executable, "-m", "taper", "build", str(R1), "-o", out, "--previous", str(previous)]


def huge_revision_file(tmp_path: Path, document: dict[str, Any], literal: str) -> Path:
    """The 7 MB plan of the issue: a real plan, padded, with ``"revision": <literal>``."""
    path = tmp_path / "huge-plan.json"
    padding = " " * (7 * 1024 * 1024)
    text = json.dumps(document).replace('"revision": 0', f'"revision":{padding}{literal}', 1)
    assert literal in text
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow  # seconds of subprocess work each: .ci/run runs it, the README's command does not
@pytest.mark.parametrize("literal", ["1e1000000000", "1" * 6_000_000])
def test_a_huge_number_in_a_7_mb_plan_is_refused_quickly(
    tmp_path: Path, old_plan: dict[str, Any], literal: str
) -> None:
    previous = huge_revision_file(tmp_path, old_plan, literal)
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "taper",
            "build",
            str(R1),
            "-o",
            str(tmp_path / "new"),
            "--previous",
            str(previous),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert str(previous) in result.stderr and "Traceback" not in result.stderr
    assert "$.revision is " in result.stderr
    assert time.monotonic() - started < 15
    assert not (tmp_path / "new").exists()


@pytest.mark.slow  # seconds of subprocess work each: .ci/run runs it, the README's command does not
def test_reading_a_huge_plan_answers_sigterm(tmp_path: Path, old_plan: dict[str, Any]) -> None:
    """Killed while it reads a forged plan, the command ends at once with 143 (or has already
    refused it with 1): no conversion holds the interpreter away from its signal handler."""
    previous = huge_revision_file(tmp_path, old_plan, "1e1000000000")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "taper",
            "build",
            str(R1),
            "-o",
            str(tmp_path / "new"),
            "--previous",
            str(previous),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)  # past reading and parsing: the old reader was converting by then
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    try:
        code = process.wait(timeout=20)
    finally:
        process.kill()
    assert code in (1, 143)
    assert time.monotonic() - started < 10
    assert process.stderr is not None and "Traceback" not in process.stderr.read()
    process.stderr.close()
    assert not (tmp_path / "new").exists()


def test_depth_check_counts_only_brackets_outside_strings() -> None:
    from taper.checks.previous_values import nesting_depth_exceeds

    assert not nesting_depth_exceeds('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[["}', 3)
    assert not nesting_depth_exceeds('{"a": "\\"[[[[[[[[[["}', 2)
    assert nesting_depth_exceeds('{"a": [[[1]]]}', 3)
    assert not nesting_depth_exceeds('{"a": [[[1]]]}', 4)
    assert nesting_depth_exceeds("[" * 10 + "}", 4)
    assert not nesting_depth_exceeds("[}", 4)


def test_every_plan_taper_writes_passes_the_check(tmp_path: Path) -> None:
    """The check refuses only what taper never writes: every regimen of the test set that
    builds gives a plan.json the check accepts."""
    from taper.checks.previous_values import check_plan_document, strict_loads
    from taper.export.json import render_json

    checked = 0
    for regimen in sorted(REGIMENS.glob("*.toml")):
        from taper.cli import load
        from taper.read.errors import TaperError

        try:
            plan = load(regimen)
        except TaperError:
            continue
        document = strict_loads(render_json(plan))
        assert check_plan_document(document) == [], regimen.name
        checked += 1
    assert checked >= 20


def test_ics_previous_still_names_the_file(runner: CliRunner, tmp_path: Path) -> None:
    junk = tmp_path / "old.ics"
    junk.write_bytes(b"BEGIN:VCALENDAR\r\n" + b"BEGIN:VEVENT\r\n" * 50_000)
    code, output = invoke(runner, "ics", R1, "-o", tmp_path / "r.ics", "--previous", junk)
    assert code == 1 and str(junk) in output
    assert not (tmp_path / "r.ics").exists()


# -- 4. an unreadable input is exit 1, with the file and "permission denied" ------------------

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SETPRIV = Path("/usr/bin/setpriv")
NOBODY = 65534


def commands(regimen: Path, previous: Path, out: Path) -> dict[str, list[str | Path]]:
    """Each command that reads the input under test (the regimen or a --previous file)."""
    return {
        "check": ["check", regimen],
        "build": ["build", regimen, "-o", out],
        "ics": ["ics", regimen, "-o", out],
        "build-previous": ["build", R1, "-o", out, "--previous", previous],
        "ics-previous": ["ics", R1, "-o", out, "--previous", previous],
    }


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A file this process is denied, as mode 000 is for anyone but root: os.access says no
    (what click checked) and opening it fails with EACCES (what taper meets)."""
    path = tmp_path / "denied.toml"
    path.write_bytes(R0.read_bytes())
    real_access, real_open = os.access, os.open

    def access(target: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        if Path(target) == path:
            return False
        return real_access(target, mode, *args, **kwargs)

    def opener(target: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(target) == path:
            raise PermissionError(13, "Permission denied", str(target))
        return real_open(target, flags, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(os, "open", opener)
    return path


@pytest.mark.parametrize("command", ["check", "build", "ics", "build-previous", "ics-previous"])
def test_an_unreadable_input_is_exit_1_naming_it(
    runner: CliRunner, tmp_path: Path, unreadable: Path, command: str
) -> None:
    out = tmp_path / "out"
    code, output = invoke(runner, *commands(unreadable, unreadable, out)[command])
    assert code == 1, output
    assert "Invalid value" not in output and "not readable" not in output
    assert "denied.toml" in output and "permission denied" in output
    assert not out.exists()


@pytest.fixture
def unsearchable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A file in a folder without search permission: stat() itself fails with EACCES."""
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "jane.toml"
    path.write_bytes(R0.read_bytes())
    real_stat, real_open = os.stat, os.open

    def stat(target: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if Path(target) == path:
            raise PermissionError(13, "Permission denied", str(target))
        return real_stat(target, *args, **kwargs)

    def opener(target: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(target) == path:
            raise PermissionError(13, "Permission denied", str(target))
        return real_open(target, flags, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "open", opener)
    return path


@pytest.mark.parametrize("command", ["check", "build", "ics", "build-previous", "ics-previous"])
def test_a_file_in_a_folder_without_search_permission_is_not_called_missing(
    runner: CliRunner, tmp_path: Path, unsearchable: Path, command: str
) -> None:
    out = tmp_path / "out"
    code, output = invoke(runner, *commands(unsearchable, unsearchable, out)[command])
    assert code == 1, output
    assert "does not exist" not in output and "no such file" not in output
    assert "jane.toml" in output and "permission denied" in output
    assert not out.exists()


def as_nobody() -> list[str]:
    """The command prefix that runs taper as an ordinary user: none when not root; under root
    (CI), setpriv to nobody, so that mode 000 really is unreadable."""
    if not IS_ROOT:
        return []
    if not SETPRIV.exists():
        pytest.skip("root, and no setpriv to drop to an ordinary user")
    prefix = [str(SETPRIV), f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import taper"], capture_output=True, timeout=60, cwd="/"
    )
    if probe.returncode != 0:
        pytest.skip("user nobody cannot run this interpreter (its folder is private to root)")
    return prefix


@pytest.mark.parametrize("which", ["regimen", "previous", "unsearchable", "unsearchable-build"])
def test_real_mode_000_and_a_locked_folder_are_exit_1(which: str) -> None:
    import shutil
    import tempfile

    prefix = as_nobody()
    place = Path(tempfile.mkdtemp(prefix="taper-perm-"))
    try:
        place.chmod(0o777)
        regimen = place / "ok.toml"
        regimen.write_bytes(R1.read_bytes())
        regimen.chmod(0o644)
        target = place / "denied.toml"
        target.write_bytes(R0.read_bytes())
        target.chmod(0o000)
        if which.startswith("unsearchable"):
            locked = place / "locked"
            locked.mkdir()
            target = locked / "jane.toml"
            target.write_bytes(R0.read_bytes())
            target.chmod(0o644)
            locked.chmod(0o600)  # readable, not searchable
        args = {
            "previous": ["ics", str(regimen), "-o", "-", "--previous", str(target)],
            "unsearchable-build": ["build", str(target), "-o", str(place / "out")],
        }.get(which, ["check", str(target)])
        result = subprocess.run(
            [*prefix, sys.executable, "-m", "taper", *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=place,
            env={**os.environ, "HOME": str(place)},
        )
        assert result.returncode == 1, result.stderr
        assert target.name in result.stderr and "permission denied" in result.stderr
        assert "Invalid value" not in result.stderr and "Traceback" not in result.stderr
    finally:
        for path in sorted(place.rglob("*"), reverse=True):
            path.chmod(0o700)
        shutil.rmtree(place)


# -- 3. a print run never drops a name ------------------------------------------------------------


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_a_linked_alias_is_refused_by_both_names_not_dropped(
    runner: CliRunner, tmp_path: Path, link: str
) -> None:
    orders = tmp_path / "orders"
    orders.mkdir()
    jane = orders / "jane.toml"
    jane.write_bytes(R0.read_bytes())
    (orders / "sam.toml").write_bytes(R1.read_bytes())
    bob = orders / "bob.toml"
    if link == "symbolic":
        bob.symlink_to("jane.toml")
    else:
        os.link(jane, bob)
    out = tmp_path / "packets"
    code, output = invoke(runner, "build", orders, "-o", out)
    assert code == 1, output
    assert f"{bob}: is the same file as {jane} (a link)" in output
    assert f"{jane}: is the same file as {bob} (a link)" in output
    assert "built 1 of 3 packets" in output
    assert sorted(p.name for p in out.iterdir()) == ["sam"]


def test_the_same_name_given_twice_is_built_once(runner: CliRunner, tmp_path: Path) -> None:
    orders = tmp_path / "orders"
    orders.mkdir()
    (orders / "jane.toml").write_bytes(R0.read_bytes())
    out = tmp_path / "packets"
    code, output = invoke(runner, "build", orders, orders / "jane.toml", "-o", out)
    assert code == 0, output
    assert "built 1 of 1 packets" in output
    assert [p.name for p in out.iterdir()] == ["jane"]


def test_a_link_to_a_file_not_given_builds_under_its_own_name(
    runner: CliRunner, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_bytes(R0.read_bytes())
    orders = tmp_path / "orders"
    orders.mkdir()
    (orders / "sam.toml").symlink_to(elsewhere)
    (orders / "kim.toml").write_bytes(R1.read_bytes())
    out = tmp_path / "packets"
    code, output = invoke(runner, "build", orders, "-o", out)
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == ["kim", "sam"]


@pytest.mark.parametrize("command", ["build", "ics"])
def test_a_missing_previous_is_exit_1_naming_it(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    missing = tmp_path / "gone" / "plan.json"
    out = tmp_path / "out"
    code, output = invoke(runner, command, R1, "-o", out, "--previous", missing)
    assert code == 1, output
    assert str(missing) in output and "no such file" in output
    assert "Invalid value" not in output
    assert not out.exists()


def test_a_previous_folder_without_a_plan_says_so(runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = invoke(runner, "build", R1, "-o", tmp_path / "out", "--previous", empty)
    assert code == 1
    assert f"{empty / 'plan.json'}: no plan.json there" in output
