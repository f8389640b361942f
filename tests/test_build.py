"""`taper build`: the whole packet, written all at once or not at all."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pypdf
import pytest
from click.testing import CliRunner

from taper.cli import main
from taper.export.pdf import render_pdf
from taper.read.errors import ExportError
from taper.records.plan import Plan

REGIMENS = Path(__file__).parent / "regimens"
SCHEMA = Path(__file__).parent.parent / "taper" / "data" / "plan.schema.json"
FILES = [
    "nurse.pdf",
    "patient.pdf",
    "pharmacist.pdf",
    "plan.fhir.json",
    "plan.json",
    "reminders.ics",
]
PACKET = [".taper-packet.json", *FILES]


def build(runner: CliRunner, regimen: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(main, ["build", str(regimen), "-o", str(out), *extra])
    return result.exit_code, result.output


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_build_writes_the_five_files_owner_only(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "jane"
    result = runner.invoke(
        main,
        ["build", str(REGIMENS / "pulse-then-taper.toml"), "-o", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert (
        "wrote plan.json, reminders.ics, patient.pdf, pharmacist.pdf, nurse.pdf, plan.fhir.json "
        f"to {out}" in result.output
    )
    assert sorted(p.name for p in out.iterdir()) == PACKET
    for file in out.iterdir():
        assert file.stat().st_mode & 0o777 == 0o600, file.name
    assert out.stat().st_mode & 0o777 == 0o700
    # The manifest that marks the folder as a packet taper wrote, and lists its own files.
    manifest = json.loads((out / ".taper-packet.json").read_text(encoding="utf-8"))
    assert manifest == {"format": "taper-packet/1", "files": FILES}
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    jsonschema.validate(plan, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert (out / "reminders.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    for name, heading in (
        ("patient.pdf", "Your course at a glance"),
        ("pharmacist.pdf", "Dispensing sheet"),
        ("nurse.pdf", "Nursing sheet"),
    ):
        reader = pypdf.PdfReader(io.BytesIO((out / name).read_bytes()))
        assert heading in reader.pages[0].extract_text()
        assert "Jane Doe" in reader.pages[-1].extract_text()


def test_build_is_byte_identical_when_repeated(runner: CliRunner, tmp_path: Path) -> None:
    regimen = REGIMENS / "pdf-dose-pack.toml"
    assert build(runner, regimen, tmp_path / "a")[0] == 0
    assert build(runner, regimen, tmp_path / "b")[0] == 0
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_build_passes_large_print_and_paper_to_the_handouts(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "packet"
    code, output = build(runner, REGIMENS / "pdf-ivig.toml", out, "--large-print", "--paper", "a4")
    assert code == 0, output
    for name in ("patient.pdf", "pharmacist.pdf", "nurse.pdf"):
        box = pypdf.PdfReader(out / name).pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    normal = tmp_path / "normal"
    assert build(runner, REGIMENS / "pdf-ivig.toml", normal, "--paper", "a4")[0] == 0
    # Large print is for the patient's handout; the staff sheets stay as they are.
    assert (out / "pharmacist.pdf").read_bytes() == (normal / "pharmacist.pdf").read_bytes()
    assert len(pypdf.PdfReader(out / "patient.pdf").pages) > len(
        pypdf.PdfReader(normal / "patient.pdf").pages
    )


def test_build_refuses_a_folder_that_is_not_empty(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "jane"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    for extra in ([], ["--force"]):
        code, output = build(runner, REGIMENS / "pulse-then-taper.toml", out, *extra)
        assert code == 1
        assert output == (
            f"Error: {out} holds files taper did not write (notes.txt); --force replaces only "
            "a packet taper wrote. Choose a new folder, or move those files away first\n"
        )
        assert snapshot(out) == {"notes.txt": b"mine"}
        assert sorted(p.name for p in tmp_path.iterdir()) == ["jane"]


def test_build_over_a_packet_needs_force(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "jane"
    assert build(runner, REGIMENS / "pulse-then-taper.toml", out)[0] == 0
    before = snapshot(out)
    code, output = build(runner, REGIMENS / "pdf-dose-pack.toml", out)
    assert code == 1
    assert output == f"Error: {out} already holds a packet; add --force to replace it\n"
    assert snapshot(out) == before


def test_build_into_an_empty_folder_needs_no_force(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "jane"
    out.mkdir()
    code, output = build(runner, REGIMENS / "pulse-then-taper.toml", out)
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == PACKET


def test_build_with_force_replaces_the_folder(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "jane"
    assert build(runner, REGIMENS / "pulse-then-taper.toml", out)[0] == 0
    code, output = build(runner, REGIMENS / "pdf-dose-pack.toml", out, "--force")
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == PACKET
    assert "Robert Okafor" in (out / "plan.json").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jane"]  # no staging left behind


def failing_render(plan: Plan, audience: str, **kwargs: Any) -> bytes:
    """The real handouts for the patient and the pharmacist, then a failure: midway."""
    if audience == "nurse":
        raise ExportError("the nurse sheet failed on purpose")
    return render_pdf(plan, audience, **kwargs)


def test_a_failure_midway_leaves_no_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("taper.export.pdf.render_pdf", failing_render)
    out = tmp_path / "jane"
    code, output = build(runner, REGIMENS / "pulse-then-taper.toml", out)
    assert code == 1
    assert "Error: the nurse sheet failed on purpose" in output
    assert list(tmp_path.iterdir()) == []


def test_a_failure_midway_leaves_the_previous_folder_as_it_was(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "jane"
    assert build(runner, REGIMENS / "pulse-then-taper.toml", out)[0] == 0
    before = snapshot(out)
    monkeypatch.setattr("taper.export.pdf.render_pdf", failing_render)
    code, output = build(runner, REGIMENS / "pdf-dose-pack.toml", out, "--force")
    assert code == 1
    assert "the nurse sheet failed on purpose" in output
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jane"]


def test_an_unprintable_name_stops_the_build_before_anything_is_written(
    runner: CliRunner, write_regimen: Callable[..., Path], tmp_path: Path
) -> None:
    text = (REGIMENS / "pulse-then-taper.toml").read_text(encoding="utf-8")
    regimen = write_regimen(text.replace('name = "Jane Doe"', 'name = "Jane 💊 Doe"'))
    out = tmp_path / "jane"
    code, output = build(runner, regimen, out)
    assert code == 1
    assert "patient.name: the character U+1F48A (PILL)" in output
    assert not out.exists()


def test_an_invalid_regimen_writes_nothing(
    runner: CliRunner, write_regimen: Callable[..., Path], tmp_path: Path
) -> None:
    text = (REGIMENS / "pulse-then-taper.toml").read_text(encoding="utf-8")
    regimen = write_regimen(text.replace('dose = "1 g"', 'dose = "1 kg"'))
    out = tmp_path / "jane"
    code, output = build(runner, regimen, out)
    assert code == 1
    assert "phase[1].dose" in output
    assert not out.exists()
