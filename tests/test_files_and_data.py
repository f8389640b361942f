"""Patient-data safety: atomic, owner-only writes, clear errors for bad outputs, no network."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from taper.cli import main

REGIMENS = Path(__file__).parent / "regimens"
COURSE = REGIMENS / "pulse-then-taper.toml"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- atomic writes ------------------------------------------------------------------------


def test_build_that_fails_midway_leaves_the_previous_packet_as_it_was(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packet = tmp_path / "packet"
    first = runner.invoke(main, ["build", str(COURSE), "-o", str(packet)], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    before = snapshot(packet)
    assert sorted(before) == [
        ".taper-packet.json",
        "nurse.pdf",
        "patient.pdf",
        "pharmacist.pdf",
        "plan.fhir.json",
        "plan.json",
        "reminders.ics",
    ]

    import taper.export.pdf

    calls = {"n": 0}
    real = taper.export.pdf.render_pdf

    def fail_on_the_third(*args: Any, **kwargs: Any) -> bytes:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(taper.export.pdf, "render_pdf", fail_on_the_third)
    second = runner.invoke(main, ["build", str(COURSE), "-o", str(packet), "--force"])
    assert second.exit_code != 0
    assert snapshot(packet) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["packet"]  # no temporary left behind


def test_a_file_write_that_fails_leaves_the_old_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "reminders.ics"
    target.write_bytes(b"the previous calendar")

    def broken_replace(source: str, destination: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    result = runner.invoke(main, ["ics", str(COURSE), "-o", str(target), "--force"])
    assert result.exit_code == 1
    assert f"{target}: cannot write (Input/output error)" in result.output
    assert target.read_bytes() == b"the previous calendar"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reminders.ics"]


def test_existing_output_is_kept_without_force(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "plan.pdf"
    target.write_bytes(b"keep me")
    result = runner.invoke(main, ["pdf", str(COURSE), "-o", str(target), "--for", "nurse"])
    assert result.exit_code == 1
    assert result.output == f"Error: {target} already exists; add --force to replace it\n"
    assert target.read_bytes() == b"keep me"


# -- where the output goes -----------------------------------------------------------------


@pytest.mark.parametrize("command", [["ics"], ["pdf", "--for", "patient"], ["build"]])
def test_output_into_a_missing_folder(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    target = tmp_path / "no" / "such" / "out"
    result = runner.invoke(main, [command[0], str(COURSE), "-o", str(target), *command[1:]])
    assert result.exit_code == 1
    assert f"the folder {target.parent} does not exist; create it first" in result.output
    assert not (tmp_path / "no").exists()


def test_output_under_a_file_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    result = runner.invoke(main, ["ics", str(COURSE), "-o", str(blocker / "x.ics")])
    assert result.exit_code == 1
    assert f"{blocker} is not a folder" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_output_into_a_read_only_folder(runner: CliRunner, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        result = runner.invoke(main, ["ics", str(COURSE), "-o", str(locked / "r.ics")])
        assert result.exit_code == 1
        assert "cannot write in" in result.output and "Permission denied" in result.output
    finally:
        locked.chmod(0o700)


def test_outputs_are_readable_by_their_owner_only(runner: CliRunner, tmp_path: Path) -> None:
    os.umask(0o022)  # a usual umask: without care, files would be world-readable
    packet = tmp_path / "packet"
    assert runner.invoke(main, ["build", str(COURSE), "-o", str(packet)]).exit_code == 0
    assert mode(packet) == 0o700
    assert {p.name: mode(p) for p in packet.iterdir()} == {
        name: 0o600
        for name in (
            ".taper-packet.json",
            "plan.json",
            "reminders.ics",
            "patient.pdf",
            "pharmacist.pdf",
            "nurse.pdf",
            "plan.fhir.json",
        )
    }
    single = tmp_path / "one.ics"
    assert runner.invoke(main, ["ics", str(COURSE), "-o", str(single)]).exit_code == 0
    assert mode(single) == 0o600
    regimen = tmp_path / "new.toml"
    assert runner.invoke(main, ["new", "ms-iv-pulse-3-day", "-o", str(regimen)]).exit_code == 0
    assert mode(regimen) == 0o600


# -- no network, ever ---------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(repr(args))
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket.socket, "sendto", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts


def test_no_command_opens_a_network_connection(
    runner: CliRunner, tmp_path: Path, no_network: list[str]
) -> None:
    regimen = tmp_path / "jane.toml"
    commands = [
        ["--help"],
        ["templates"],
        [
            "new",
            "optic-neuritis-ontt",
            "-o",
            str(regimen),
            "--weight",
            "70 kg",
            "--timezone",
            "Europe/London",
            "--start",
            "2026-12-01",
        ],
        ["check", str(regimen)],
        ["plan", str(regimen)],
        ["plan", "--json", str(regimen)],
        ["watch", str(regimen)],
        ["ics", str(regimen), "-o", str(tmp_path / "r.ics")],
        [
            "ics",
            str(regimen),
            "-o",
            str(tmp_path / "r2.ics"),
            "--previous",
            str(tmp_path / "r.ics"),
        ],
        *[
            ["pdf", str(regimen), "-o", str(tmp_path / f"{who}.pdf"), "--for", who]
            for who in ("patient", "pharmacist", "nurse")
        ],
        ["build", str(regimen), "-o", str(tmp_path / "packet")],
        ["check", str(REGIMENS / "invalid" / "many-problems.toml")],
    ]
    for command in commands:
        result = runner.invoke(main, command)
        assert result.exit_code in (0, 1), (command, result.output)
        assert "network access attempted" not in result.output
    assert no_network == []


# -- free text round-trips exactly ----------------------------------------------------------

HOSTILE_NAME = 'Zoë <b>O\'Brien</b> & "Ana", Müller; C:\\temp'
HOSTILE_PLACE = 'Infusion suite 3, bay <2> & "east"; ask at desk\\reception'


def hostile_regimen(tmp_path: Path, name: str = HOSTILE_NAME) -> Path:
    text = (
        'title = "Pulse for \\"Zoë\\" & co; <test>"\nstart = 2026-12-01\n'
        'timezone = "Asia/Kolkata"\n'
        f"[patient]\nname = '''{name}'''\n"
        '[care_team]\nphone = "+91 22 5555 0100"\n'
        '[[phase]]\nname = "Pulse"\ndrug = "Solu-Medrol"\nroute = "iv"\ndose = "1 g"\ndays = 2\n'
        f"at = [\"09:00\"]\nduration = \"1 h\"\nwhere = '''{HOSTILE_PLACE}'''\n"
        '[[also]]\nkind = "check"\n'
        'what = "Blood sugar — before & 2 h after; note it\\nin the log"\n'
        'at = ["lunch"]\ndays = [1]\n'
    )
    path = tmp_path / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_hostile_text_round_trips_through_the_calendar(runner: CliRunner, tmp_path: Path) -> None:
    import icalendar

    path = hostile_regimen(tmp_path)
    out = tmp_path / "r.ics"
    result = runner.invoke(main, ["ics", str(path), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    calendar = icalendar.Calendar.from_ical(out.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert {str(e["LOCATION"]) for e in events if "LOCATION" in e} == {HOSTILE_PLACE}
    assert "Blood sugar — before & 2 h after; note it\nin the log" in {
        str(e["SUMMARY"]) for e in events
    }


def test_hostile_text_prints_literally_in_the_pdfs(runner: CliRunner, tmp_path: Path) -> None:
    from pypdf import PdfReader

    path = hostile_regimen(tmp_path)
    for who in ("patient", "pharmacist", "nurse"):
        out = tmp_path / f"{who}.pdf"
        result = runner.invoke(
            main, ["pdf", str(path), "-o", str(out), "--for", who], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        text = "\n".join(page.extract_text() or "" for page in PdfReader(out).pages)
        assert "<b>O'Brien</b>" in text and '& "Ana", Müller' in text, who


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Ana 😀", "U+1F600"),
        ("שלום Ana", "U+05E9"),
    ],
)
def test_characters_the_font_cannot_draw_fail_clearly(
    runner: CliRunner, tmp_path: Path, text: str, named: str
) -> None:
    path = hostile_regimen(tmp_path, name=text)
    out = tmp_path / "patient.pdf"
    result = runner.invoke(main, ["pdf", str(path), "-o", str(out), "--for", "patient"])
    if result.exit_code == 0:
        # The embedded font draws this script: then it must print literally.
        from pypdf import PdfReader

        assert text in "\n".join(p.extract_text() or "" for p in PdfReader(out).pages)
        return
    assert result.exit_code == 1
    assert named in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
