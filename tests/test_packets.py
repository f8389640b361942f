"""The packet registry: adding a file to ``taper.files.packets.FILES`` is the whole change that
adds a file to the packet, for ``taper build``, a print run, the manifest, the API and the page."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from taper import api
from taper.cli import main
from taper.files import packets
from taper.records.plan import Plan

REGIMENS = Path(__file__).parent / "regimens"
COURSE = REGIMENS / "pulse-then-taper.toml"
TOKEN = "test-token-1234"
BASE = "http://127.0.0.1:8765"
AUTH = {"Authorization": f"token {TOKEN}"}


def _notes(plan: Plan, options: packets.Options) -> bytes:
    return f"{plan.title}, {options.paper}\n".encode()


@pytest.fixture
def with_notes(monkeypatch: pytest.MonkeyPatch) -> packets.PacketFile:
    """A sixth file in the registry, and nothing else changed."""
    notes = packets.PacketFile("notes.txt", "text/plain", "nurse", _notes, frozenset({"paper"}))
    monkeypatch.setattr(packets, "FILES", (*packets.FILES, notes))
    monkeypatch.setattr("taper.read.templates.machine_timezone", lambda: "America/New_York")
    return notes


def test_the_registry_lists_the_packet_in_build_order() -> None:
    assert packets.names() == (
        "plan.json",
        "reminders.ics",
        "patient.pdf",
        "pharmacist.pdf",
        "nurse.pdf",
        "plan.fhir.json",
    )
    assert {entry.audience for entry in packets.FILES} == {
        "software",
        "patient",
        "pharmacist",
        "nurse",
    }
    with pytest.raises(ValueError, match=r"'notes\.txt' is not a file of the packet"):
        packets.find("notes.txt")


def test_a_registered_file_is_built_and_listed_in_the_manifest(
    with_notes: packets.PacketFile, runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "jane"
    result = runner.invoke(main, ["build", str(COURSE), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "plan.fhir.json, notes.txt to" in result.output
    plan = api.load(COURSE)
    assert (out / "notes.txt").read_bytes() == f"{plan.title}, letter\n".encode()
    manifest = json.loads((out / ".taper-packet.json").read_text(encoding="utf-8"))
    assert "notes.txt" in manifest["files"]
    # --force replaces it: the manifest says the sixth file is taper's own.
    again = runner.invoke(main, ["build", str(COURSE), "-o", str(out), "--force"])
    assert again.exit_code == 0, again.output


def test_a_registered_file_is_in_every_packet_of_a_print_run(
    with_notes: packets.PacketFile, runner: CliRunner, tmp_path: Path
) -> None:
    orders = tmp_path / "orders"
    orders.mkdir()
    shutil.copy(COURSE, orders / "jane.toml")
    shutil.copy(COURSE, orders / "john.toml")
    out = tmp_path / "packets"
    result = runner.invoke(main, ["build", str(orders), "-o", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    for name in ("jane", "john"):
        assert (out / name / "notes.txt").is_file()


def test_a_registered_file_is_in_the_api_zip_and_on_the_page(
    with_notes: packets.PacketFile,
) -> None:
    from taper.web import create_app

    client = create_app(token=TOKEN, port=8765).test_client()
    answer = client.post(
        "/api/packet?paper=a4", data=COURSE.read_bytes(), base_url=BASE, headers=AUTH
    )
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        assert archive.namelist()[-1] == "notes.txt"
        assert archive.read("notes.txt").endswith(b", a4\n")
    page = client.get("/", base_url=BASE, headers=AUTH).get_data(as_text=True)
    assert 'formaction="/ui/download?file=notes.txt"' in page
    fields = {"regimen": COURSE.read_text(encoding="utf-8")}
    single = client.post("/ui/download?file=notes.txt", data=fields, base_url=BASE, headers=AUTH)
    assert single.status_code == 200, single.get_data(as_text=True)
    assert single.mimetype == "text/plain"
    assert single.headers["Content-Disposition"] == 'attachment; filename="notes.txt"'
