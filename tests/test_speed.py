"""Linear cost, the print run (``taper build A.toml B.toml … -o OUTDIR``) and reportlab's settings.

Timing lives in ``bench/bench.py``; these tests check behaviour only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from taper import batch
from taper.api import load as load_plan
from taper.cli import main
from taper.read.errors import RegimenError
from taper.read.templates import list_templates, render_template
from taper.records.plan import Dose, Plan
from taper.voice import watch

REGIMENS = Path(__file__).parent / "regimens"
TODAY = date(2026, 11, 21)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)


def template_plans(tmp_path: Path) -> list[Plan]:
    plans = []
    for info in list_templates():
        text = render_template(
            info.name,
            start=date(2026, 12, 1),
            weight="70 kg",
            height="170 cm",
            timezone="America/New_York",
        )
        path = tmp_path / f"{info.name}.toml"
        path.write_text(text, encoding="utf-8")
        plans.append(load_plan(path, today=TODAY))
    return plans


def reference_line(plan: Plan, dose: Dose) -> str | None:
    """The reminder line worked out from the whole watch list for one dose, as it used to be."""
    from taper.voice.watchwords import watch_sentence

    data = watch._data()
    priority = {(s.tier, s.text): s.reminder for s in data.specs if s.reminder is not None}
    values = watch._values(plan)
    priority = {
        (tier, watch_sentence(text, values)): rank for (tier, text), rank in priority.items()
    }
    best: tuple[int, watch.WatchItem] | None = None
    for group in watch.watch_list(plan).groups:
        if not group.first_day <= dose.day <= group.last_day:
            continue
        for item in group.items:
            if item.trigger == "prescriber":  # the prescriber's own [[watch]] items
                rank = watch.PRESCRIBER_RANK.get(item.tier)
            else:
                rank = priority.get((item.tier, item.text))
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, item)
    if best is None:
        return None
    prefix = data.reminders[best[1].tier].replace("{emergency}", watch.emergency_number(plan))
    return f"{prefix} {best[1].text}"


def test_reminder_lines_worked_out_once_match_the_per_dose_answer(tmp_path: Path) -> None:
    plans = template_plans(tmp_path)
    for path in sorted(REGIMENS.glob("*.toml")):
        try:
            plans.append(load_plan(path, today=TODAY))
        except RegimenError:  # the regimens that show errors
            continue
    compared = with_line = 0
    for plan in plans:
        for dose in plan.doses:
            expected = reference_line(plan, dose)
            assert watch.reminder_line(plan, dose) == expected, (plan.title, dose.day)
            compared += 1
            with_line += expected is not None
    assert compared > 200
    assert with_line > 50  # the comparison covers real lines, not just None


def test_reminder_lines_are_worked_out_once_per_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    from taper.export.ics import render_ics

    calls: list[Plan] = []
    original = watch._reminder_lines

    def counting(plan: Plan) -> dict[int, str]:
        calls.append(plan)
        return original(plan)

    monkeypatch.setattr(watch, "_reminder_lines", counting)
    plan = load_plan(REGIMENS / "pulse-then-taper.toml", today=TODAY)
    assert len(plan.doses) > 10
    render_ics(plan, stamp=STAMP)
    render_ics(plan, stamp=STAMP)
    assert calls == [plan]


# -- the print run -------------------------------------------------------------------------

GOOD = ["pulse-then-taper.toml", "dose-pack.toml", "liquid.toml", "procedures.toml"]
PACKET = [
    ".taper-packet.json",
    "nurse.pdf",
    "patient.pdf",
    "pharmacist.pdf",
    "plan.fhir.json",
    "plan.json",
    "reminders.ics",
]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def orders(tmp_path: Path, bad: bool = True) -> Path:
    """A folder of regimens: four good ones and (by default) one with two dose slips."""
    folder = tmp_path / "orders"
    folder.mkdir()
    for name in GOOD:
        (folder / name).write_bytes((REGIMENS / name).read_bytes())
    if bad:
        (folder / "slips.toml").write_bytes((REGIMENS / "clin-two-slips.toml").read_bytes())
    return folder


def run_cli(runner: CliRunner, *arguments: str) -> Result:
    return runner.invoke(main, list(arguments))


def test_print_run_builds_the_good_regimens_and_reports_the_bad_one(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = orders(tmp_path)
    out = tmp_path / "packets"
    paths = [str(folder / name) for name in [*GOOD[:2], "slips.toml", *GOOD[2:]]]
    result = run_cli(runner, "build", *paths, "-o", str(out), "--jobs", "2")
    assert result.exit_code == 1
    slips = folder / "slips.toml"
    assert f"Error: {slips}: 2 problems found" in result.output
    assert f"{slips}: phase[1].dose: Methylprednisolone: 3 g a day IV" in result.output
    assert f"{slips}: phase[2].dose: Prednisone: 1500 mg a day" in result.output
    assert f"built 4 of 5 packets in {out}" in result.output
    assert "Error: 1 of 5 regimens failed; no packet was written for it" in result.output
    # One folder per good regimen, named from its file; nothing for the bad one, nothing stray.
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(n).stem for n in GOOD)
    for name in GOOD:
        packet = out / Path(name).stem
        assert sorted(p.name for p in packet.iterdir()) == PACKET
        assert all(p.stat().st_mode & 0o077 == 0 for p in [packet, *packet.iterdir()])
    assert "Building" not in result.output  # no progress bar when stderr is not a terminal


def test_print_run_writes_the_bytes_of_single_builds(runner: CliRunner, tmp_path: Path) -> None:
    folder = orders(tmp_path, bad=False)
    out = tmp_path / "packets"
    result = run_cli(runner, "build", str(folder), "-o", str(out), "--jobs", "2")
    assert result.exit_code == 0, result.output
    for name in GOOD:
        single = tmp_path / f"single-{Path(name).stem}"
        built = run_cli(runner, "build", str(folder / name), "-o", str(single))
        assert built.exit_code == 0, built.output
        assert snapshot(out / Path(name).stem) == snapshot(single)


def test_print_run_with_one_or_two_jobs_gives_the_same_files(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = orders(tmp_path)
    results = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs-{jobs}"
        result = run_cli(runner, "build", str(folder), "-o", str(out), "--jobs", jobs)
        assert result.exit_code == 1
        results[jobs] = (snapshot(out), result.output.replace(str(out), "OUT"))
    assert results["1"] == results["2"]
    assert len(results["1"][0]) == len(GOOD) * len(PACKET)


def test_print_run_takes_a_glob_and_skips_nothing_it_matches(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = orders(tmp_path)
    out = tmp_path / "packets"
    result = run_cli(runner, "build", str(folder / "p*.toml"), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["procedures", "pulse-then-taper"]
    missing = run_cli(runner, "build", str(folder / "x*.toml"), "-o", str(tmp_path / "none"))
    assert missing.exit_code == 1
    assert f"{folder / 'x*.toml'}: no regimen file matches this pattern" in missing.output
    assert not (tmp_path / "none").exists()


def test_print_run_refuses_two_regimens_that_would_share_a_packet(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = orders(tmp_path, bad=False)
    other = tmp_path / "other"
    other.mkdir()
    twin = other / "liquid.toml"
    twin.write_bytes((REGIMENS / "liquid.toml").read_bytes())
    out = tmp_path / "packets"
    result = run_cli(runner, "build", str(folder), str(twin), "-o", str(out))
    assert result.exit_code == 1
    assert (
        f"Error: {twin}: its packet would be {out / 'liquid'}, like that of "
        f"{folder / 'liquid.toml'}; rename one of the files"
    ) in result.output
    assert sorted(p.name for p in out.iterdir()) == ["dose-pack", "procedures", "pulse-then-taper"]


def test_print_run_leaves_an_existing_packet_alone_without_force(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = orders(tmp_path, bad=False)
    out = tmp_path / "packets"
    first = run_cli(runner, "build", str(folder), "-o", str(out), "--jobs", "2")
    assert first.exit_code == 0, first.output
    before = snapshot(out)
    (out / "liquid" / "note.txt").write_text("keep me")
    again = run_cli(runner, "build", str(folder), "-o", str(out), "--jobs", "2")
    assert again.exit_code == 1
    assert "Error: 4 of 4 regimens failed" in again.output
    assert f"{out / 'dose-pack'} already holds a packet; add --force to replace it" in again.output
    assert f"{out / 'liquid'} holds files taper did not write (note.txt)" in again.output
    assert snapshot(out) == {**before, "liquid/note.txt": b"keep me"}
    forced = run_cli(runner, "build", str(folder), "-o", str(out), "--force")
    assert forced.exit_code == 1
    assert "Error: 1 of 4 regimens failed" in forced.output  # the folder with note.txt
    assert (out / "liquid" / "note.txt").read_text() == "keep me"
    assert sorted(p.name for p in (out / "dose-pack").iterdir()) == PACKET


# -- reportlab's own settings cannot change a handout (F29) ------------------------------------

HOSTILE_SETTINGS = """\
pageCompression = 0
invariant = 0
useA85 = 1
ttfAsciiReadable = 0
pdfComments = 1
pdfMultiLine = 1
defaultPageSize = 'A5'
spaceShrinkage = 0.3
"""
HOSTILE_ENVIRONMENT = {
    "RL_pageCompression": "0",
    "RL_invariant": "0",
    "RL_useA85": "1",
    "RL_ttfAsciiReadable": "0",
    "RL_pdfComments": "1",
    "RL_pdfMultiLine": "1",
    "RL_spaceShrinkage": "0.3",
    "RL_allowTableBoundsErrors": "0",
    "RL_DEBUG": "1",
}


def run_taper(arguments: list[str], cwd: Path, **environment: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RL_") and k != "PYTHONPATH"}
    env.update(environment)
    subprocess.run(
        [sys.executable, "-m", "taper", *arguments],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )


def test_reportlab_settings_files_and_variables_leave_the_bytes_alone(tmp_path: Path) -> None:
    regimen = REGIMENS / "pulse-then-taper.toml"
    plain = tmp_path / "plain"
    plain.mkdir()
    run_taper(["build", str(regimen), "-o", str(plain / "packet")], plain)
    expected = snapshot(plain / "packet")

    # Each way reportlab takes settings, and each really does change reportlab's own values:
    # a settings module on the import path, ~/.reportlab_settings, RL_ variables.
    module = tmp_path / "module"
    module.mkdir()
    (module / "reportlab_settings.py").write_text(HOSTILE_SETTINGS)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".reportlab_settings").write_text(HOSTILE_SETTINGS)
    ways: dict[str, dict[str, str]] = {
        "module": {"PYTHONPATH": str(module)},
        "home": {"HOME": str(home)},
        "environment": HOSTILE_ENVIRONMENT,
    }
    probe = "from reportlab import rl_config; print(rl_config.pageCompression)"
    for name, environment in ways.items():
        env = {k: v for k, v in os.environ.items() if not k.startswith("RL_")}
        env.update(environment)
        shown = subprocess.run(
            [sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True
        )
        assert shown.stdout.strip() == "0", name
        folder = tmp_path / f"run-{name}"
        folder.mkdir()
        run_taper(["build", str(regimen), "-o", str(folder / "packet")], folder, **environment)
        assert snapshot(folder / "packet") == expected, name
        run_taper(
            ["pdf", str(regimen), "-o", str(folder / "nurse.pdf"), "--for", "nurse"],
            folder,
            **environment,
        )
        assert (folder / "nurse.pdf").read_bytes() == expected["nurse.pdf"], name


def test_a_malformed_reportlab_variable_does_not_stop_a_build(tmp_path: Path) -> None:
    regimen = REGIMENS / "liquid.toml"
    run_taper(["build", str(regimen), "-o", str(tmp_path / "a")], tmp_path)
    run_taper(["build", str(regimen), "-o", str(tmp_path / "b")], tmp_path, RL_invariant="maybe")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_pinning_puts_back_a_setting_changed_in_the_process() -> None:
    from reportlab import rl_config

    from taper.export import rlsettings

    rlsettings.pin()
    defaults = rlsettings.shipped_defaults()
    assert "pageCompression" in defaults and "invariant" in defaults
    rl_config.pageCompression = 0
    rl_config.spaceShrinkage = 0.5
    rlsettings.pin()
    assert rl_config.pageCompression == defaults["pageCompression"] == 1
    assert rl_config.spaceShrinkage == defaults["spaceShrinkage"]


# -- start-up and shutdown levers ---------------------------------------------------------------


def taper_process(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RL_")}
    return subprocess.run(
        [sys.executable, "-m", "taper", *arguments], cwd=cwd, env=env, capture_output=True
    )


def test_the_quick_exit_leaves_every_file_complete(runner: CliRunner, tmp_path: Path) -> None:
    import json

    import pypdf
    from icalendar import Calendar

    regimen = REGIMENS / "pulse-then-taper.toml"
    done = taper_process(["build", str(regimen), "-o", "packet"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().startswith("wrote plan.json, reminders.ics")
    in_process = run_cli(runner, "build", str(regimen), "-o", str(tmp_path / "same"))
    assert in_process.exit_code == 0
    assert snapshot(tmp_path / "packet") == snapshot(tmp_path / "same")
    packet = tmp_path / "packet"
    assert json.loads((packet / "plan.json").read_bytes())["days"]
    assert Calendar.from_ical((packet / "reminders.ics").read_bytes()).walk("VEVENT")
    for name in ("patient.pdf", "pharmacist.pdf", "nurse.pdf"):
        pages = pypdf.PdfReader(packet / name).pages
        assert len(pages) >= 1 and "Jane Doe" in "".join(p.extract_text() for p in pages)

    # A print run's workers are gone and its packets whole when the program has left.
    folder = orders(tmp_path)
    run = taper_process(["build", str(folder), "-o", "run", "--jobs", "2"], tmp_path)
    assert run.returncode == 1
    assert b"built 4 of 5 packets in run" in run.stderr
    assert snapshot(tmp_path / "run" / "pulse-then-taper") == snapshot(packet)


def test_the_quick_exit_keeps_standard_output_and_exit_codes(tmp_path: Path) -> None:
    import json

    regimen = REGIMENS / "pulse-then-taper.toml"
    shown = taper_process(["plan", "--json", str(regimen)], tmp_path)
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["days"]  # the whole document reached the pipe
    bad = taper_process(["check", str(REGIMENS / "clin-two-slips.toml")], tmp_path)
    assert bad.returncode == 1
    assert b"clin-two-slips.toml: 2 problems found" in bad.stderr
    usage = taper_process(["build", str(regimen)], tmp_path)
    assert usage.returncode == 2
    assert b"Missing option '-o'" in usage.stderr


def test_reportlab_link_pattern_is_compiled_on_first_use_and_matches_as_before() -> None:
    import re

    from taper.export import rlsettings

    rlsettings.pin()
    from reportlab.platypus import paragraph

    compiled = re.compile(rlsettings.URI_PATTERN, re.IGNORECASE)
    for uri in ("http://example.com/a?b=1", "https://10.0.0.1:8443/x", "mailto:x", "nope"):
        got, expected = paragraph.uri_pat.match(uri), compiled.match(uri)
        assert (got and got.groups()) == (expected and expected.groups())
    assert not any(isinstance(v, rlsettings._OnFirstUse) for v in re._cache.values())


# Run in a fresh interpreter: what reportlab compiled at import, once taper imported it, and
# what each pattern does when it is used after all, against the same pattern compiled now.
_FIRST_USE_PROBE = """
import re, sys
import taper.export.pdf
from reportlab.lib import PyFontify, rl_safe_eval, textsplit
from reportlab.platypus import paragraph
from taper.export.rlsettings import _OnFirstUse
waiting = {
    "uri_pat": paragraph.uri_pat,
    "textsplit.rx": textsplit.rx,
    "PyFontify.matchRE": PyFontify.matchRE,
    "PyFontify.idRE": PyFontify.idRE,
    "rl_safe_eval.__rl_unsafe_re__": rl_safe_eval.__rl_unsafe_re__,
}
print("waiting", sorted(n for n, p in waiting.items() if isinstance(p, _OnFirstUse)))
print("compiled", all(isinstance(p, re.Pattern) for p in vars(paragraph).values()
                      if isinstance(p, re.Pattern | _OnFirstUse) and p is not paragraph.uri_pat))
print("compile", re.compile.__qualname__, re.compile.__module__)
source = "import os  # x\\nif a: 'b'\\ndef f(): return 2"
lazy = PyFontify.fontify(source)
PyFontify.matchRE = re.compile(*waiting["PyFontify.matchRE"]._source)
PyFontify.idRE = re.compile(*waiting["PyFontify.idRE"]._source)
print("fontify", lazy == PyFontify.fontify(source), len(lazy))
for pattern in waiting.values():
    source, flags = pattern._source
    fresh = re.compile(source, flags)
    for text in ("import os", "\u6f22 x", "__globals__ f_locals", "http://a.example/b"):
        assert [m.span() for m in pattern.finditer(text)] == [
            m.span() for m in fresh.finditer(text)
        ], (source, text)
print("same")
"""


def test_patterns_reportlab_compiles_for_what_taper_never_does_wait_for_first_use() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RL_")}
    shown = subprocess.run(
        [sys.executable, "-c", _FIRST_USE_PROBE], capture_output=True, text=True, env=env
    )
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == (
        "waiting ['PyFontify.idRE', 'PyFontify.matchRE', 'rl_safe_eval.__rl_unsafe_re__', "
        "'textsplit.rx', 'uri_pat']"
    )
    assert lines[1] == "compiled True"  # the paragraph patterns every handout uses
    assert lines[2] == "compile compile re"  # re.compile itself is put back
    assert lines[3] == "fontify True 7"  # colouring Python source, were taper to use it
    assert lines[4] == "same"


def test_print_run_shows_click_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    import pty

    folder = orders(tmp_path, bad=False)
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RL_")}
    with subprocess.Popen(
        [sys.executable, "-m", "taper", "build", str(folder), "-o", "out", "--jobs", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    ) as process:
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: the program has finished
                break
            if not chunk:
                break
            shown += chunk
        assert process.wait() == 0
    os.close(leader)
    text = shown.decode()
    assert "Building" in text and "100%" in text
    assert f"built {len(GOOD)} of {len(GOOD)} packets in out" in text


@pytest.mark.parametrize("how", ["ctrl-c", "kill"])
def test_an_interrupted_print_run_leaves_whole_packets_and_no_temporaries(
    tmp_path: Path, how: str
) -> None:
    import signal
    import time

    folder = tmp_path / "orders"
    folder.mkdir()
    for number in range(40):
        name = GOOD[number % len(GOOD)]
        (folder / f"{number:02d}-{name}").write_bytes((REGIMENS / name).read_bytes())
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RL_")}
    with subprocess.Popen(
        [sys.executable, "-m", "taper", "build", str(folder), "-o", str(out), "--jobs", "2"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as process:
        deadline = time.monotonic() + 120
        while not (out.is_dir() and any(p.name[0] != "." for p in out.iterdir())):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        if how == "ctrl-c":  # a terminal sends it to the whole foreground group
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=60)
    code = 128 + (signal.SIGINT if how == "ctrl-c" else signal.SIGTERM)
    assert process.returncode == code, errors
    built = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert 1 <= len(built) < 40
    assert (
        f"Interrupted: {len(built)} of 40 packets were written in {out}, each whole; "
        "no other packet was written or changed."
    ) in errors.decode()
    for packet in built:
        assert sorted(p.name for p in packet.iterdir()) == PACKET
    time.sleep(0.5)  # workers the pool stopped have gone
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_an_interruption_reportlab_annotates_keeps_its_signal() -> None:
    import signal

    from reportlab.platypus.flowables import Flowable, KeepTogether

    from taper.files.signals import Interrupted, interruption_guard

    class Stops(Flowable):  # type: ignore[misc]
        def wrap(self, *_: object) -> tuple[float, float]:
            raise Interrupted(signal.SIGINT)

    together = KeepTogether([Stops()])
    together.canv = None
    with interruption_guard() as guard, pytest.raises(Interrupted) as caught:
        guard.received = signal.SIGINT  # as the guard's handler records it
        together.wrap(100, 100)
    assert "raised by class KeepTogether" in str(caught.value)  # reportlab re-made it
    assert caught.value.signum == signal.SIGINT


def test_previous_goes_with_one_regimen_not_a_print_run(runner: CliRunner, tmp_path: Path) -> None:
    folder = orders(tmp_path, bad=False)
    previous = tmp_path / "old.json"
    previous.write_text("{}")
    result = run_cli(
        runner, "build", str(folder), "-o", str(tmp_path / "out"), "--previous", str(previous)
    )
    assert result.exit_code == 2
    assert "--previous goes with one regimen, not a print run" in result.output
    assert not (tmp_path / "out").exists()


def test_handouts_compressed_faster_hold_the_same_streams_and_leave_reportlab_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    import re
    import zlib

    import pypdf
    from reportlab.pdfbase import pdfdoc

    import taper.export.pdf as pdf

    plan = load_plan(REGIMENS / "pulse-then-taper.toml", today=TODAY)

    def streams(data: bytes) -> list[bytes]:
        """Every stream of the file, decompressed (each is Flate-compressed)."""
        found = []
        for match in re.finditer(rb"<<([^<>]*?)>>\s*stream\r?\n", data):
            assert b"/Filter [ /FlateDecode ]" in match.group(1), match.group(1)
            length = int(re.search(rb"/Length (\d+)", match.group(1)).group(1))  # type: ignore[union-attr]
            found.append(zlib.decompress(data[match.end() : match.end() + length]))
        assert len(pypdf.PdfReader(io.BytesIO(data)).pages) > 0
        return found

    for audience in pdf.AUDIENCES:
        fast = pdf.render_pdf(plan, audience, stamp=STAMP)
        assert "encode" not in vars(pdfdoc.PDFZCompress)  # reportlab's filter as it was
        with monkeypatch.context() as patch:  # reportlab's default level, as before
            patch.setattr(pdf, "_deflate_fast", pdfdoc.PDFStreamFilterZCompress().encode)
            default = pdf.render_pdf(plan, audience, stamp=STAMP)
        assert fast != default
        assert streams(fast) == streams(default) != []


def test_reminders_are_the_bytes_icalendar_writes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from taper.export import ics

    plans = template_plans(tmp_path)
    long_place = (REGIMENS / "pulse-then-taper.toml").read_text(encoding="utf-8")
    long_place = long_place.replace(
        'where = "', 'where = "Клиника «Сердце», корпус Б, 3-й этаж — вход с улицы Ленина, ', 1
    )
    assert "Клиника" in long_place
    (tmp_path / "long.toml").write_text(long_place, encoding="utf-8")
    plans.append(load_plan(tmp_path / "long.toml", today=TODAY))
    ours = [ics.render_ics(plan, stamp=STAMP) for plan in plans]
    monkeypatch.setattr(ics, "_to_ical", lambda calendar: calendar.to_ical())
    assert ours == [ics.render_ics(plan, stamp=STAMP) for plan in plans]
    assert any(b"\r\n " in data for data in ours)  # long lines folded, as icalendar folds them
    assert "Клиника «Сердце»".encode() in ours[-1].replace(b"\r\n ", b"")


def test_a_print_run_starts_the_longest_courses_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The expected cost follows the events the plan makes, so the 2-year taper goes first
    (started last it would be the run's long pole)."""
    from taper import batch

    costs, events = {}, {}
    for info in list_templates():
        path = tmp_path / f"{info.name}.toml"
        path.write_text(
            render_template(
                info.name,
                start=date(2026, 12, 1),
                weight="70 kg",
                height="170 cm",
                timezone="America/New_York",
            ),
            encoding="utf-8",
        )
        costs[info.name] = batch.expected_cost(path)
        plan = load_plan(path, today=TODAY)
        events[info.name] = sum(len(day.doses) + len(day.events) for day in plan.days)
    assert max(costs, key=costs.__getitem__) == max(events, key=events.__getitem__)
    assert costs["gca-prednisone-2-year-taper"] > 5 * sorted(costs.values())[-2]
    (tmp_path / "broken.toml").write_text("[[phase]\n", encoding="utf-8")
    assert batch.expected_cost(tmp_path / "broken.toml") == 0.0

    log = tmp_path / "order.log"

    def record(job: batch.Job) -> batch.Outcome:
        with log.open("a", encoding="utf-8") as order:  # one line, appended at once
            order.write(job.regimen.stem + "\n")
        return batch.Outcome(job.regimen, None, "not built in this test")

    monkeypatch.setattr(batch, "build_one", record)  # the forked workers have it
    jobs = [
        batch.Job(tmp_path / f"{name}.toml", tmp_path / name, TODAY, STAMP, "letter", False, False)
        for name in sorted(costs)
    ]
    assert len(list(batch.run(jobs, 2))) == len(jobs)
    # The parent builds the cheapest first; then each of two workers is sent two jobs, the
    # longest course first, and may begin them in any order: it is among those four.
    order = log.read_text(encoding="utf-8").split()
    assert costs[order[0]] == min(costs.values())
    assert "gca-prednisone-2-year-taper" in order[1:5]


WARM_OR_COLD = """
import hashlib, sys
from datetime import UTC, date, datetime
from taper import api
from taper.read.templates import render_template
if sys.argv[1] == "warm":
    api.warm(("en", "es"))
COURSES = (("ms-iv-pulse-then-prednisone-taper", "en"), ("copd-prednisone-5-day", "es"))
for name, language in COURSES:
    text = render_template(name, start=date(2026, 12, 1), weight="70 kg", timezone="Europe/London")
    plan = api.load(text.encode(), source=name)._replace(language=language)
    files = api.packet(plan, api.Options(datetime(2026, 11, 22, tzinfo=UTC)))
    for file, data in files.items():
        print(name, language, file, hashlib.sha256(data).hexdigest())
"""


def test_a_warmed_process_renders_the_bytes_of_a_cold_one() -> None:
    """``api.warm`` (what a print run and the server do before forking their workers) loads
    caches only: every packet after it is byte for byte the packet a fresh process makes."""
    digests = {
        how: subprocess.run(
            [sys.executable, "-c", WARM_OR_COLD, how],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "SOURCE_DATE_EPOCH": "1795305600"},
        ).stdout
        for how in ("cold", "warm")
    }
    assert digests["cold"].count("\n") == 12
    assert digests["warm"] == digests["cold"]


def test_a_fallback_paragraph_breaks_its_lines_once_per_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A table wraps a cell again at the same width: the Paragraph a text cell falls back to
    breaks its lines once for that width, answers the same size, and breaks them afresh at
    another width or once a split has replaced its lines."""
    from reportlab.platypus import Paragraph

    from taper.export.pdf.layout import _Paragraph, _register_fonts, _Styles

    _register_fonts()
    style = _Styles.make(1.0, 11.0).body
    text = "Take 1 tablet of 10 mg and 1 tablet of 2.5 mg (12.5 mg) by mouth once daily " * 3
    breaks: list[list[float]] = []
    original = Paragraph.breakLines

    def counted(self: Paragraph, widths: list[float]) -> Any:
        breaks.append(widths)
        return original(self, widths)

    monkeypatch.setattr(Paragraph, "breakLines", counted)
    cached, plain = _Paragraph(text, style), Paragraph(text, style)
    first = cached.wrap(120, 800)
    assert cached.wrap(120, 800) == first == plain.wrap(120, 800)
    assert len(breaks) == 2  # once for the cached paragraph, once for the plain one
    assert cached.wrap(200, 800) == plain.wrap(200, 800)
    del cached.blPara  # what a split may do: the lines are gone, so they are broken again
    assert cached.wrap(200, 800) == plain.wrap(200, 800)
    assert len(breaks) == 6  # 200 twice each: the cached one broke again once its lines were gone


def test_a_table_is_laid_out_once_per_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """A handout's table wrapped again at the same width with room for all of it answers
    from its last layout; a narrower width, too little room for every row, or a split (which
    lays it out afresh) make reportlab lay it out again, as it would have."""
    from reportlab.platypus import Table as PlatypusTable

    from taper.export.pdf.layout import Table

    layouts: list[tuple[float, float]] = []
    original = PlatypusTable._calc

    def counted(self: PlatypusTable, width: float, height: float) -> Any:
        layouts.append((width, height))
        return original(self, width, height)

    monkeypatch.setattr(PlatypusTable, "_calc", counted)
    rows = [[f"row {number}", "a cell"] for number in range(40)]
    table, plain = Table(rows, colWidths=[60, 60]), PlatypusTable(rows, colWidths=[60, 60])
    whole = plain.wrap(200, 2000)
    assert table.wrap(200, 2000) == whole
    assert table.wrap(200, 1500) == whole  # room enough for every row: the same answer
    assert len(layouts) == 2
    assert table.wrap(200, 100) == plain.wrap(200, 100)  # too little room: laid out again
    assert table.wrap(150, 2000) == plain.wrap(150, 2000)
    assert len(layouts) == 6
    parts = table.split(200, 300)  # a split lays it out at the room it is given
    assert len(parts) == 2
    assert table.wrap(200, 2000) == whole
    assert len(layouts) == 8

    # Columns sized from their contents are laid out every time (reportlab changes them).
    sized = Table(rows, colWidths=[None, 60])
    sized.wrap(200, 2000)
    sized.wrap(200, 2000)
    assert len(layouts) == 10


WARMED = """
import sys
from taper import batch
from taper.export.pdf import layout
batch.load_renderers(warm=True)
wanted = ("taper.export.pdf", "taper.export.ics", "taper.export.json", "taper.export.fhir",
          "reportlab.platypus") + (("ctypes",) if sys.platform.startswith("linux") else ())
missing = [name for name in wanted if name not in sys.modules]
print(not missing and layout._register_fonts.cache_info().currsize == 1, missing)
"""


def test_a_print_run_parent_loads_what_every_packet_needs_before_it_forks() -> None:
    """What the folder move lost once: the parent warms up (renderers, libraries, fonts, and
    on Linux the ctypes its renames use) before forking, so no worker loads them again at its
    first packet."""
    result = subprocess.run(
        [sys.executable, "-c", WARMED], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("True"), result.stdout  # nothing missing, fonts loaded


def plans_in_both_languages(
    tmp_path: Path, names: Sequence[str], weight: str = "70 kg", height: str = "170 cm"
) -> list[Plan]:
    """Each named template's plan, in English and then in Spanish."""
    plans = []
    for name in names:
        path = tmp_path / f"{name}.toml"
        text = render_template(
            name,
            start=date(2026, 12, 1),
            weight=weight,
            height=height,
            timezone="America/New_York",
        )
        path.write_text(text, encoding="utf-8")
        plan = load_plan(path, today=TODAY)
        plans += [plan, plan._replace(language="es")]
    return plans


def handouts_of(
    plans: Sequence[Plan], sizes: Sequence[bool] = (False, True)
) -> dict[tuple[int, bool, str], bytes]:
    """The three handouts of each plan's packet, regular and large print."""
    from taper.api import Options, packet

    found = {}
    for number, plan in enumerate(plans):
        for large in sizes:
            files = packet(plan, Options(STAMP, large_print=large))
            for name in ("patient.pdf", "pharmacist.pdf", "nurse.pdf"):
                found[(number, large, name)] = files[name]
    return found


PARENT_FIRST = """
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from taper import batch
from taper.export.pdf import layout
folder, out = Path(sys.argv[1]), Path(sys.argv[2])
jobs = [
    batch.Job(path, out / path.stem, date(2026, 11, 21), datetime(2026, 11, 22, tzinfo=UTC),
              "letter", False, False, None, None)
    for path in sorted(folder.glob("*.toml"))
]
out.mkdir()
outcomes = list(batch.run(jobs, 2))
# The parent builds nothing after its own packet: what it has loaded, it loaded before forking.
loaded = "taper.export.pdf" in sys.modules and layout._register_fonts.cache_info().currsize
print(outcomes[0].regimen.name, outcomes[0].error is None, bool(loaded))
"""


@pytest.mark.parametrize("first_fails", [False, True])
def test_a_print_run_parent_builds_the_cheapest_packet_before_it_forks(
    tmp_path: Path, first_fails: bool
) -> None:
    """The parent's warm-up is the run's cheapest packet (built before any worker is forked,
    so the workers start with everything it loaded), not a course built to be thrown away;
    when that packet fails before its handouts (a file that cannot be read), a shipped course
    warms the parent instead."""
    folder = tmp_path / "orders"
    folder.mkdir()
    for name in ("pulse-then-taper.toml", "dose-pack.toml", "liquid.toml"):
        (folder / name).write_bytes((REGIMENS / name).read_bytes())
    if first_fails:
        (folder / "broken.toml").write_text("[[phase]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", PARENT_FIRST, str(folder), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
    )
    costs = {path.name: batch.expected_cost(path) for path in folder.glob("*.toml")}
    cheapest = min(costs, key=costs.__getitem__)
    assert result.stdout.split() == [cheapest, str(not first_fails), "True"], result.stderr
    assert (cheapest == "broken.toml") is first_fails


def test_a_signal_after_a_packet_is_in_place_stops_the_run_before_the_next(
    tmp_path: Path,
) -> None:
    """In a print run built in one process (or the parent's own packet), a signal that comes
    once a packet is in place no longer stops that packet; it stops the run before the next
    one is begun, rather than being forgotten when the next packet begins."""
    import signal

    from taper.files import signals

    job = batch.Job(
        REGIMENS / "dose-pack.toml",
        tmp_path / "packet",
        TODAY,
        STAMP,
        "letter",
        False,
        False,
        None,
        None,
    )
    with signals.interruption_guard() as guard:
        guard.committed, guard.received = True, signal.SIGINT  # the last packet, then Ctrl-C
        with pytest.raises(signals.Interrupted) as caught:
            batch.build_one(job)
    assert caught.value.signum == signal.SIGINT
    assert not (tmp_path / "packet").exists()


def test_text_drawn_again_in_a_document_writes_what_drawing_it_afresh_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every handout of three templates (a two-year taper, a child's liquid, a plasma
    exchange) in English and Spanish, regular and large print, is the same PDF whether a text
    drawn again (in the same document, or in another whose fonts hold its characters at the
    same codes) reuses its first drawing's operators or is drawn afresh each time; and the
    reuse happens."""
    from taper.export.pdf import layout

    plans = plans_in_both_languages(
        tmp_path,
        ("gca-prednisone-2-year-taper", "child-asthma-prednisolone-liquid", "ms-plasma-exchange"),
    )

    drawn: list[int] = []
    draw = layout._Text._draw

    def counted(self: Any, canvas: Any) -> None:
        drawn.append(1)
        draw(self, canvas)

    def handouts() -> tuple[dict[tuple[int, bool, str], bytes], int]:
        drawn.clear()
        return handouts_of(plans), len(drawn)

    monkeypatch.setattr(layout._Text, "_draw", counted)
    reusing, drawn_reusing = handouts()
    monkeypatch.setattr(layout, "_drawn_texts", lambda canvas: {})
    monkeypatch.setattr(layout._Text, "_shared_key", lambda self, canvas, key: None)
    afresh, drawn_afresh = handouts()
    assert afresh == reusing
    assert drawn_reusing < drawn_afresh / 4


def test_a_dose_worded_again_says_what_wording_it_afresh_does(tmp_path: Path) -> None:
    """Every dose of every template, in English and Spanish, reads the same from the words
    kept for an equal dose as worded afresh; the words never read a dose's moment, the
    fields the key leaves out."""
    from taper.records.plan import Dose
    from taper.voice import doses
    from taper.voice.lang import speaking
    from taper.voice.words import words_of

    assert Dose._fields[: len(doses.MOMENT_FIELDS)] == doses.MOMENT_FIELDS
    checked = 0
    for plan in template_plans(tmp_path):
        for language in ("en", "es"):
            with speaking(language):
                for dose in plan.doses:
                    kept = (
                        doses.dose_summary(dose),
                        doses.dose_instructions(dose, words_of(plan)),
                    )
                    doses._WORDED.clear()
                    moved = dose._replace(day=0, time="", starts=STAMP, date=date(2000, 1, 1))
                    afresh = (doses._summary(moved), doses._instructions(moved))
                    assert kept == afresh, dose
                    checked += 1
    assert checked > 1000


def test_the_records_every_command_builds_are_annotated_with_objects_not_strings() -> None:
    """typing.NamedTuple compiles each string annotation (what ``from __future__ import
    annotations`` makes of them all) into a ForwardRef at import: about 4 ms of every
    command's start for the plan's records alone."""
    import importlib
    from typing import ForwardRef, NamedTuple

    modules = (
        "taper.records.plan",
        "taper.read.regimen",
        "taper.read.catalogue",
        "taper.read.rules",
        "taper.read.units",
        "taper.read.keys",
        "taper.read.errors",
        "taper.engine.schedules",
        "taper.voice.watch",
        "taper.voice.words",
        "taper.checks.emergency",
        "taper.files.reading",
    )
    records = 0
    for name in modules:
        module = importlib.import_module(name)
        for value in vars(module).values():
            bases = getattr(value, "__orig_bases__", ())
            if isinstance(value, type) and NamedTuple in bases and value.__module__ == name:
                records += 1
                compiled = [
                    field
                    for field, annotation in value.__annotations__.items()
                    if isinstance(annotation, (str, ForwardRef))
                ]
                assert not compiled, f"{name}.{value.__name__}: {compiled}"
    assert records > 40


PILLOW_LEFT = """
import sys
from taper import api
api.warm()
loaded = "PIL.ExifTags" in sys.modules
from reportlab.lib import utils
from PIL import Image
print(loaded, utils.haveImages, Image.new("RGB", (2, 2)).size, "PIL.ExifTags" in sys.modules)
"""


def test_pillow_loads_only_when_something_draws_a_picture() -> None:
    """reportlab imports Pillow for pictures; a handout has none, so rendering a packet does
    not load it, and reportlab and anything else still find it whole when they use it."""
    found = subprocess.run(
        [sys.executable, "-c", PILLOW_LEFT], capture_output=True, text=True, check=True
    ).stdout
    assert found.split() == ["False", "True", "(2,", "2)", "True"]


def test_steroid_days_are_worked_out_once_per_plan_and_as_before(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A packet asks for a plan's steroid days six times: every answer equals one worked out
    afresh, a caller changing its copy changes no later answer, and a two-year taper's packet
    works them out once each way."""
    from taper.api import Options, packet
    from taper.voice import counselling

    plans = template_plans(tmp_path)
    for plan in plans:
        for averaged in (False, True):
            fresh = counselling._steroid_days(plan, averaged=averaged)
            first = counselling.steroid_days(plan, averaged=averaged)
            assert first == fresh
            first.clear()
            assert counselling.steroid_days(plan, averaged=averaged) == fresh
    taper = max(plans, key=lambda plan: len(plan.doses))
    worked: list[bool] = []
    original = counselling._steroid_days

    def counted(plan: Plan, *, averaged: bool) -> dict[int, Any]:
        worked.append(averaged)
        return original(plan, averaged=averaged)

    monkeypatch.setattr(counselling, "_steroid_days", counted)
    counselling._STEROID_DAYS.clear()
    packet(taper, Options(STAMP))
    assert sorted(worked) == [False, True]


def test_a_font_subset_is_made_and_compressed_once_and_is_what_reportlab_makes() -> None:
    """Handouts of different courses mostly embed the same font subsets: one made again is
    the one reportlab makes afresh, byte for byte, and so is its compressed stream."""
    import zlib

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFontFile

    from taper.export.pdf import _deflate_fast
    from taper.export.pdf.layout import FONT, FONT_BOLD, _register_fonts

    _register_fonts()
    for name in (FONT, FONT_BOLD):
        face = pdfmetrics.getFont(name).face
        for text in ("Take 2 × 20 mg tablets ½ ☐", "Prednisone 40 mg – día 1", "¿Qué?"):
            subset = [0] * 32 + list(range(32, 128)) + [ord(ch) for ch in dict.fromkeys(text)]
            subset = [code for code in subset if code < 128 or code in face.charToGlyph]
            kept = face.makeSubset(list(subset))
            assert kept == TTFontFile.makeSubset(face, list(subset))
            assert face.makeSubset(list(subset)) is kept
            assert _deflate_fast(kept) == zlib.compress(kept, 1)
            assert zlib.decompress(_deflate_fast(kept)) == kept


def test_text_that_changes_the_transparency_is_always_drawn_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A text drawn where another transparency is in force sets its own ("/gRLs0 gs"), a name
    in its page's resources: such a text is never reused, and one drawn under the default
    transparency is (the transparency in force is part of what a reuse must match)."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    from taper.export.pdf import layout

    layout._register_fonts()
    style = layout._Styles.make(1.0, 11.0).body
    drawn: list[int] = []
    draw = layout._Text._draw

    def counted(self: Any, canvas: Any) -> None:
        drawn.append(1)
        draw(self, canvas)

    monkeypatch.setattr(layout._Text, "_draw", counted)
    canvas = Canvas(io.BytesIO())
    text = layout._Text("Take 2 tablets by mouth.", style)
    text.wrap(300, 100)
    canvas.saveState()
    canvas.setFillAlpha(0.5)
    for _ in range(2):
        start = len(canvas._code)
        text.drawOn(canvas, 10, 10)
        assert any("/gRLs" in op for op in canvas._code[start:])
    assert len(drawn) == 2
    canvas.restoreState()
    for _ in range(3):
        text.drawOn(canvas, 10, 10)
    assert len(drawn) == 3


def test_a_table_drawn_again_writes_what_drawing_it_afresh_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every handout of three templates with many like days (a two-year taper, a label's
    every-other-day course, a child's liquid), English and Spanish, regular and large print,
    is the same PDF whether the checklist's like days share a table that writes its first
    drawing's operators again, or each day has its own table drawn afresh; and the sharing
    happens."""
    from reportlab.platypus import Table as PlatypusTable

    from taper.export.pdf import layout, patient

    plans = plans_in_both_languages(
        tmp_path,
        (
            "gca-prednisone-2-year-taper",
            "label-methylprednisolone",
            "child-asthma-prednisolone-liquid",
        ),
        weight="20 kg",
        height="110 cm",
    )

    drawn: list[int] = []
    draw = PlatypusTable.draw

    def counted(self: Any) -> None:
        drawn.append(1)
        draw(self)

    def handouts() -> tuple[dict[tuple[int, bool, str], bytes], int]:
        drawn.clear()
        return handouts_of(plans), len(drawn)

    monkeypatch.setattr(PlatypusTable, "draw", counted)
    sharing, drawn_sharing = handouts()
    day_rows = patient._day_rows
    monkeypatch.setattr(
        patient,
        "_day_rows",
        lambda plan, day, styles, widths, tables: day_rows(plan, day, styles, widths, {}),
    )
    monkeypatch.setattr(layout.Table, "draw", counted)
    afresh, drawn_afresh = handouts()
    assert afresh == sharing
    assert drawn_sharing < drawn_afresh * 0.75


def test_a_table_is_drawn_afresh_where_its_operators_depend_on_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A table is written again from its first drawing only in the same document, at the
    same layout, and when its drawing names no page resource (a transparency) and adds no
    link; otherwise reportlab draws it again."""
    from io import BytesIO

    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Table as PlatypusTable
    from reportlab.platypus import TableStyle

    from taper.export.pdf.layout import Table

    drawn: list[int] = []
    draw = PlatypusTable.draw

    def counted(self: Any) -> None:
        drawn.append(1)
        draw(self)

    monkeypatch.setattr(PlatypusTable, "draw", counted)

    def times_drawn(table: Any, documents: int, width: float = 300) -> int:
        drawn.clear()
        table.wrap(width, 300)
        for _ in range(documents):
            canvas = Canvas(BytesIO())
            for place in (10, 200):
                table.drawOn(canvas, place, place)
                canvas.showPage()
        return len(drawn)

    rows = [["8:00 AM", "Take 2 tablets"]]
    plain = Table(rows, colWidths=[80, 120])
    assert times_drawn(plain, 1) == 1
    assert times_drawn(plain, 2) == 2  # once in each document
    faint = Table(
        rows,
        colWidths=[80, 120],
        style=TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.Color(1, 0, 0, alpha=0.5))]),
    )
    assert times_drawn(faint, 1) == 2
    linked = Table(
        rows, colWidths=[80, 120], style=TableStyle([("HREF", (0, 0), (0, 0), "https://x.org")])
    )
    assert times_drawn(linked, 1) == 2

    # Laid out again (a new width, or a split) in the same document: drawn afresh.
    canvas = Canvas(BytesIO())
    drawn.clear()
    plain.wrap(300, 300)
    plain.drawOn(canvas, 0, 0)
    plain.drawOn(canvas, 0, 100)
    assert drawn == [1]
    plain.wrap(250, 300)
    plain.drawOn(canvas, 0, 200)
    assert drawn == [1, 1]


def test_a_paragraph_shared_by_texts_draws_what_one_of_its_own_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The texts handed to a Paragraph share one per markup and style in the process: every
    handout of three templates, both languages and sizes, is the same PDF with sharing as
    with a Paragraph of their own each; the sharing happens; and a text whose shared
    paragraph another text has wrapped to another width since draws at its own width."""
    from io import BytesIO

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas

    from taper.export.pdf import layout

    plans = plans_in_both_languages(
        tmp_path,
        ("ms-acth-gel", "copd-prednisone-5-day", "nephrotic-syndrome-prednisone-bsa"),
        weight="30 kg",
        height="130 cm",
    )

    made: list[int] = []
    init = layout._Paragraph.__init__

    def counted(self: Any, *args: Any, **kwargs: Any) -> None:
        made.append(1)
        init(self, *args, **kwargs)

    def handouts() -> tuple[dict[tuple[int, bool, str], bytes], int]:
        made.clear()
        return handouts_of(plans), len(made)

    class Forgetting(dict[Any, Any]):
        def __setitem__(self, key: Any, value: Any) -> None:
            pass

    monkeypatch.setattr(layout._Paragraph, "__init__", counted)
    layout._PARAGRAPHS.clear()
    sharing, made_sharing = handouts()
    monkeypatch.setattr(layout, "_PARAGRAPHS", Forgetting())
    own, made_own = handouts()
    assert own == sharing
    assert made_sharing < made_own / 2

    style = ParagraphStyle("body", fontName=layout.FONT, fontSize=10, leading=12)
    markup = "<i>A line long enough to break in two places at one width, once at another</i>"

    def drawn(*widths: float) -> str:
        first, second = layout._Text(markup, style), layout._Text(markup, style)
        first.wrap(widths[0], 500)
        second.wrap(widths[-1], 500)
        canvas = Canvas(BytesIO())
        first.drawOn(canvas, 10, 10)
        return "\n".join(canvas._code)

    monkeypatch.setattr(layout, "_PARAGRAPHS", {})
    shared_then_rewrapped = drawn(120, 300)
    monkeypatch.setattr(layout, "_PARAGRAPHS", Forgetting())
    assert shared_then_rewrapped == drawn(120, 300) != drawn(300, 300)


def test_a_signal_while_a_worker_is_forked_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal that comes while a print run forks a worker stops the run once the worker is
    recorded (so that stopping the pool ends it). Raised during the fork, it would be raised
    inside an at-fork hook, which Python prints and drops: the run went on to build every
    packet and exit 0 (seen when Ctrl-C came as the parent's own packet went into place)."""
    import signal

    from taper.files import signals

    context = batch._context()
    if context.get_start_method() != "fork":
        pytest.skip("fork only")
    process_class = context.Process

    class SignalledWhileForking(process_class):  # type: ignore[misc, valid-type]
        def start(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)  # handled before start returns
            super().start()

    monkeypatch.setattr(context, "Process", SignalledWhileForking)
    pool = batch._Workers(context)
    with signals.interruption_guard(), pytest.raises(signals.Interrupted) as caught:
        pool.start()
    assert caught.value.signum == signal.SIGTERM
    assert len(pool.processes) == 1
    pool.stop()
    assert pool.processes == {}


@given(
    text=st.text(alphabet=st.sampled_from("abcdefghij KLMNOP.,-éñü·ü\u00a0Ωß"), max_size=90),
    size=st.sampled_from([7.5, 8.5, 12.75]),
    share=st.floats(min_value=0, max_value=1.1),  # of the text's width: most are cut
    bold=st.booleans(),
)
def test_a_footer_text_is_fitted_as_a_character_at_a_time_would_fit_it(
    text: str, size: float, share: float, bold: bool
) -> None:
    """The footer's name and title are cut by halving, to what cutting a character at a time
    from the end gives (a longer beginning is never narrower)."""
    from reportlab.pdfbase import pdfmetrics

    from taper.export.pdf import layout

    layout._register_fonts()
    font = layout.FONT_BOLD if bold else layout.FONT
    room = share * pdfmetrics.stringWidth(layout._clean(text), font, size)

    def one_at_a_time(text: str) -> str:
        text = layout._clean(text)
        if pdfmetrics.stringWidth(text, font, size) <= room:
            return text
        while text and pdfmetrics.stringWidth(text + "…", font, size) > room:
            text = text[:-1]
        return text.rstrip() + "…"

    assert layout._fit(text, font, size, room) == one_at_a_time(text)


def test_a_font_s_widths_written_once_are_what_reportlab_writes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each embedded subset's widths are formatted once per process: the handouts of two
    templates in both languages are the same PDFs as with reportlab formatting them each
    time, and the kept words are used."""
    from reportlab.pdfbase import pdfdoc

    from taper.export.pdf import layout

    plans = plans_in_both_languages(tmp_path, ("ms-iv-pulse-3-day", "optic-neuritis-ontt"))

    def handouts() -> dict[tuple[int, bool, str], bytes]:
        return handouts_of(plans, sizes=(False,))

    layout._FORMATTED.clear()
    kept = handouts()
    assert layout._FORMATTED  # the widths went through the kept words
    monkeypatch.setattr(layout._KeptArray, "format", pdfdoc.PDFArray.format)
    assert handouts() == kept


WORKER_DIES = """
import os, sys
from datetime import UTC, date, datetime
from pathlib import Path
from taper import batch
folder, out = Path(sys.argv[1]), Path(sys.argv[2])
build = batch._build

def dies_on_one(job, *args):
    if batch._IN_WORKER and job.regimen.name == sys.argv[3]:
        os._exit(9)  # a worker killed in the middle of this packet
    return build(job, *args)

batch._build = dies_on_one
out.mkdir()
jobs = [
    batch.Job(path, out / path.stem, date(2026, 11, 21), datetime(2026, 11, 22, tzinfo=UTC),
              "letter", False, False, None, None)
    for path in sorted(folder.glob("*.toml"))
]
for outcome in batch.run(jobs, 2):
    print(outcome.regimen.name, outcome.error)
"""


@pytest.mark.parametrize("dies", ["00-pulse-then-taper.toml", "05-dose-pack.toml"])
def test_a_print_run_worker_that_dies_loses_only_its_packet(tmp_path: Path, dies: str) -> None:
    """A worker killed in the middle of a packet: that packet is reported as stopped; the job
    sent to it ahead (not begun) is built by another worker, as is every other packet, and
    each outcome comes once."""
    folder = tmp_path / "orders"
    folder.mkdir()
    for number in range(10):
        name = GOOD[number % len(GOOD)]
        (folder / f"{number:02d}-{name}").write_bytes((REGIMENS / name).read_bytes())
    result = subprocess.run(
        [sys.executable, "-c", WORKER_DIES, str(folder), str(tmp_path / "out"), dies],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    outcomes = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert sorted(outcomes) == sorted(p.name for p in folder.iterdir())
    assert outcomes.pop(dies).endswith(": the worker building it stopped")
    assert set(outcomes.values()) == {"None"}, outcomes
    built = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert built == sorted(p.stem for p in folder.iterdir() if p.name != dies)
