"""Benchmark: taper against its library floors, long courses, and a pharmacy's print run.

    python bench/bench.py            # three full runs in a row (many minutes)
    python bench/bench.py --quick    # three quick runs in a row (a few minutes on a quiet machine)
    python bench/bench.py --quick --runs 1 --only server   # one section, once

Run it with the Python of a regular install (``pip install .`` into a fresh venv), as users run
taper: an editable install without bytecode caches measures the wrong thing.

1. Close to the floor. ``taper plan --json`` on a typical course against
   ``python -c "import click, pendulum"`` (target ≤ 1.15) and ``taper build`` against the library
   floor, a script that only imports the four libraries and writes a 60-event .ics and a 3-page
   table PDF (``../shared/bench/floor.py`` when it is there, else the verbatim copy
   ``bench/floor.py``); target ≤ 1.2. And against the physical floor (``bench/physical_floor.py``:
   the same packet's JSON, its events as text and its pages drawn with reportlab's canvas, same
   page counts, files within a few per cent); target ≤ 1.5. Each pair runs alternately in every
   round, in turn floor first and taper first, so machine load hits both alike; the ratios are
   of the median CPU times (steadier than wall-clock time on a loaded machine).
2. Linear cost. Each course shape is built (read, checked, scheduled, rendered: no start-up, no
   writing) at its full length and at half of it (the typical course: at its 19 days and
   stretched to 71), alternately, timing this process's CPU; the marginal cost of one more
   reminder is the difference of the median times over the difference in events. Target: each
   long course's marginal cost within 1.3× that of the typical course. Courses longer than the
   regimen format allows (``taper.read.regimen.MAX_COURSE_DAYS``) are built at that limit.
3. The print run. ``taper build FOLDER -o OUT`` on a mix of every shipped template: packets per
   CPU-second (all processes, start-up included; target ≥ 10), the wall-clock speed-up of
   ``--jobs 2`` over ``--jobs 1`` (target ≥ 1.7, needs two idle cores), and the peak memory of
   the largest process for 20 and for 200 packets (target: within 1.2×). Every worker's CPU is
   counted: the workers are waited for by taper, taper by this script (RUSAGE_CHILDREN). The
   mix's runs are paired rounds (3 with ``--quick``, 5 without), alternating which goes first.
   For information beside the target, the speed-up of a pharmacy-sized run of the same mix
   (200 packets with ``--quick``, 500 without) in one paired round.
4. The server. ``taper serve`` with the same mix of packets sent four at a time: packets per
   CPU-second of the server and its workers (from /proc) against the print run's (``--jobs 2``
   on the same packets, in paired rounds with the server's; target ≥ 1.2); a typical packet
   sent just after a 120-day every-6-hours one, against its time alone (≤ 2); /api/plan's 95th
   percentile while two packets render, against alone (≤ 5); the memory (PSS) of the server and
   its workers after 1,000 more requests, against after 100 (≤ 1.10).

The whole run is repeated (``--runs``, 3 by default) and each figure is given as its median over
the runs with the spread and the machine's load average when it was measured.

Everything prints in one table, each figure beside its target; the exit status is 1 when a
median misses its target. On a shared machine the figures move with the load: rerun on a quiet one.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
COURSE = HERE.parent / "tests" / "regimens" / "pulse-then-taper.toml"

# Measure what an installed user runs: with bytecode caches (pip writes them at install time),
# so a PYTHONDONTWRITEBYTECODE in the caller's environment must not make us recompile each run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["SOURCE_DATE_EPOCH"] = "1795305600"


@dataclass
class Row:
    figure: str
    measured: str
    target: str
    ok: bool | None  # None: shown for information
    value: float | None  # the figure the target judges (for the spread over runs)
    load: float  # the machine's 1-minute load average when it was measured
    run: int


ROWS: list[Row] = []
RUN = [1]  # which of the runs in a row is under way


def row(
    figure: str,
    measured: str,
    target: str = "",
    ok: bool | None = None,
    value: float | None = None,
) -> None:
    load = os.getloadavg()[0]
    ROWS.append(Row(figure, measured, target, ok, value, load, RUN[0]))
    verdict = "" if ok is None else ("ok" if ok else "OVER TARGET")
    print(
        f"  {figure}: {measured} {f'(target {target})' if target else ''} {verdict} "
        f"[load {load:.1f}]",
        flush=True,
    )


def floor_script() -> Path:
    shared = HERE.parent.parent / "shared" / "bench" / "floor.py"
    return shared if shared.exists() else HERE / "floor.py"


# -- running commands ---------------------------------------------------------------------------


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (the process and every process it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def peak(command: list[str], cwd: Path) -> int:
    """Peak RSS in KiB of the largest process of one run, measured in a fresh child."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *command],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
    )
    return int(result.stdout.strip().splitlines()[-1])


def paired(
    commands: dict[str, list[str]], rounds: int, cwd: Path, reset: Callable[[], None]
) -> dict[str, list[tuple[float, float]]]:
    """Each command once per round, alternating which goes first; one warm-up round first."""
    names = list(commands)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for number in range(rounds + 1):
        order = names if number % 2 == 0 else names[::-1]
        for name in order:
            reset()
            measured = timed(commands[name], cwd)
            if number > 0:
                times[name].append(measured)
    reset()
    return times


def median_wall(samples: list[tuple[float, float]]) -> float:
    return statistics.median(wall for wall, _ in samples)


def median_cpu(samples: list[tuple[float, float]]) -> float:
    return statistics.median(cpu for _, cpu in samples)


def pages_of(path: Path) -> str:
    """A PDF's page count ("" for other files)."""
    if path.suffix != ".pdf":
        return "-"
    from pypdf import PdfReader

    return str(len(PdfReader(path).pages))


def physical_spec(packet: Path, spec: Path) -> Path:
    """What ``physical_floor.py`` writes for this packet: its JSON, its events and the lines
    of its PDFs' pages (read back with pypdf), and taper's fonts."""
    import json
    import re

    from pypdf import PdfReader

    import taper.export.pdf.layout as layout

    ics = (packet / "reminders.ics").read_bytes().decode("utf-8")  # CRLF kept
    lines = re.sub(r"\r\n[ \t]", "", ics).split("\r\n")
    events: list[dict[str, str]] = []
    zone, vtimezone, event, in_zone = "UTC", [], None, False
    for line in lines:
        in_zone = in_zone or line == "BEGIN:VTIMEZONE"
        if in_zone:
            vtimezone.append(line)
            in_zone = line != "END:VTIMEZONE"
        elif line == "BEGIN:VEVENT":
            event = {}
        elif line == "END:VEVENT" and event is not None:
            events.append(event)
            event = None
        elif event is not None:
            name, _, value = line.partition(":")
            key, _, parameters = name.partition(";")
            if parameters.startswith("TZID="):
                zone = parameters.removeprefix("TZID=")
            field = {"DTSTART": "start", "DTEND": "end", "SUMMARY": "summary", "UID": "uid"}
            field |= {"DESCRIPTION": "description", "TRIGGER": "trigger"}
            if key in field:
                event.setdefault(field[key], value)
    for event in events:
        for key in ("start", "end", "summary", "uid", "description", "trigger"):
            event.setdefault(key, "")
    pdfs = {
        name: [page.extract_text().splitlines() for page in PdfReader(packet / name).pages]
        for name in ("patient.pdf", "pharmacist.pdf", "nurse.pdf")
    }
    document = {
        "json": json.loads((packet / "plan.json").read_text(encoding="utf-8")),
        "events": events,
        "zone": zone,
        "vtimezone": "\r\n".join(vtimezone),
        "pdfs": pdfs,
        "fonts": str(Path(str(layout.FONTS))),
    }
    spec.write_text(json.dumps(document), encoding="utf-8")
    return spec


def ratio_text(ours: list[tuple[float, float]], floor: list[tuple[float, float]]) -> str:
    """The wall-clock ratio with both medians, and the CPU-time ratio (steadier under load)."""
    cpu = statistics.median(c for _, c in ours) / statistics.median(c for _, c in floor)
    return (
        f"{median_wall(ours) / median_wall(floor):.2f} ({median_wall(ours) * 1000:.0f} / "
        f"{median_wall(floor) * 1000:.0f} ms); CPU time {cpu:.2f}"
    )


# -- 1. close to the floor ------------------------------------------------------------------------


def start_up(taper: str, rounds: int, cwd: Path) -> None:
    print(f"1. close to the floor ({rounds} paired rounds)", flush=True)
    floor = [sys.executable, "-c", "import click, pendulum"]
    ours = [taper, "plan", "--json", str(COURSE)]
    times = paired({"floor": floor, "taper": ours}, rounds, cwd, lambda: None)
    ratio = median_cpu(times["taper"]) / median_cpu(times["floor"])
    row(
        '`taper plan --json` ÷ `python -c "import click, pendulum"`, CPU time',
        ratio_text(times["taper"], times["floor"]),
        "≤ 1.15",
        ratio <= 1.15,
        ratio,
    )
    packet = cwd / "packet"

    def reset() -> None:
        shutil.rmtree(packet, ignore_errors=True)

    floor = [sys.executable, str(floor_script()), str(cwd / "floor")]
    ours = [taper, "build", str(COURSE), "-o", str(packet)]
    times = paired({"floor": floor, "taper": ours}, rounds, cwd, reset)
    ratio = median_cpu(times["taper"]) / median_cpu(times["floor"])
    row(
        "`taper build` ÷ the library floor (`floor.py`), CPU time",
        ratio_text(times["taper"], times["floor"]),
        "≤ 1.2",
        ratio <= 1.2,
        ratio,
    )
    reset()
    subprocess.run(ours, cwd=cwd, env=ENV, check=True, capture_output=True)
    spec = physical_spec(packet, cwd / "physical.json")
    physical_out = cwd / "physical"
    physical = [sys.executable, str(HERE / "physical_floor.py"), str(spec), str(physical_out)]
    subprocess.run(physical, cwd=cwd, env=ENV, check=True, capture_output=True)

    def kib(path: Path) -> str:
        return f"{path.stat().st_size / 1024:.0f}"

    sizes = ", ".join(
        f"{name} {pages_of(packet / name)}/{pages_of(physical_out / name)} pages "
        f"{kib(packet / name)}/{kib(physical_out / name)} KiB"
        for name in ("plan.json", "reminders.ics", "patient.pdf", "pharmacist.pdf", "nurse.pdf")
    )
    row("the physical floor's files beside taper's (taper / floor)", sizes)

    def reset_both() -> None:
        reset()
        shutil.rmtree(physical_out, ignore_errors=True)

    times = paired({"physical": physical, "taper": ours}, rounds, cwd, reset_both)
    ratio = median_cpu(times["taper"]) / median_cpu(times["physical"])
    row(
        "`taper build` ÷ the physical floor (`physical_floor.py`), CPU time",
        ratio_text(times["taper"], times["physical"]),
        "≤ 1.5",
        ratio <= 1.5,
        ratio,
    )
    reset_both()
    ours_peak = peak(ours, cwd)
    reset()
    row(
        "peak memory, `taper build` / `floor.py`",
        f"{ours_peak / 1024:.0f} / {peak(floor, cwd) / 1024:.0f} MiB",
    )
    reset()


# -- 2. linear cost ----------------------------------------------------------------------------

HEAD = """\
title = "Benchmark course"
start = 2026-12-01
timezone = "America/New_York"
# Stretched courses end above 5 mg a day after weeks on it: say the patient carries on after.
after = "continue"

[patient]
name = "Jane Doe"
weight = "70 kg"
conditions = ["diabetes"]

[patient.routine]
breakfast = "08:00"
lunch = "12:30"
supper = "18:00"
bedtime = "22:00"

[care_team]
clinic = "MS Center"
phone = "212-555-0100"
after_hours = "212-555-0199"
prescriber = "Dr. Rivera"
"""
PULSE = """
[[phase]]
name = "Pulse"
drug = "methylprednisolone"
route = "iv"
dose = "1 g"
days = 3
at = ["09:00"]
duration = "1 h"
where = "Infusion center, 3rd floor"
"""
CHECKS = """
[[also]]
kind = "check"
what = "Check blood sugar"
at = ["lunch", "supper"]
during = [{phases}]
"""


def typical(days: int) -> str:
    """The typical course (tests/regimens/pulse-then-taper.toml) with its steps stretched."""
    step = max(1, (days - 3) // 4)
    steps = ", ".join(f'{{ dose = "{mg} mg", days = {step} }}' for mg in (60, 40, 20, 10))
    taper = f"""
[[phase]]
name = "Taper"
drug = "prednisone"
tablets = ["20 mg", "10 mg", "5 mg"]
at = ["breakfast"]
take = "with food"
steps = [{steps}]
"""
    return HEAD + PULSE + taper + CHECKS.format(phases='"Pulse", "Taper"')


def twelve_a_day(days: int) -> str:
    """A daily dose twelve times a day, every two hours."""
    times = ", ".join(f'"{hour:02d}:30"' for hour in range(0, 24, 2))
    return (
        HEAD
        + f"""
[[phase]]
name = "Daily"
drug = "prednisone"
tablets = ["5 mg", "1 mg"]
dose = "1 mg"
days = {days}
at = [{times}]
"""
    )


def long_taper(days: int) -> str:
    """Prednisone from 60 mg down to 1 mg by 1 mg, each dose held for days / 60 days."""
    return (
        HEAD
        + f"""
[[phase]]
name = "Taper"
drug = "prednisone"
tablets = ["20 mg", "5 mg", "1 mg"]
at = ["breakfast"]
taper = {{ from = "60 mg", to = "1 mg", by = "1 mg", every = {max(1, days // 60)} }}
"""
        + CHECKS.format(phases='"Taper"')
    )


def long_course(days: int) -> str:
    """An IV pulse, then a daily oral dose for the rest of the course."""
    return (
        HEAD
        + PULSE
        + f"""
[[phase]]
name = "Daily"
drug = "prednisone"
tablets = ["5 mg", "1 mg"]
dose = "10 mg"
days = {days - 3}
at = ["breakfast"]
"""
        + CHECKS.format(phases='"Pulse", "Daily"')
    )


def build_work(path: Path) -> tuple[float, int]:
    """CPU seconds to read, schedule and render one packet in this process, and its events.

    CPU time of this process, not wall-clock time: other processes on a busy machine do not
    add to it, and nothing here waits for anything.
    """
    from taper.api import Options, load, packet

    stamp = datetime(2026, 11, 22, tzinfo=UTC)
    start = time.process_time()
    plan = load(path, today=date(2026, 11, 21))
    packet(plan, Options(stamp, paper="letter", large_print=False))
    elapsed = time.process_time() - start
    return elapsed, sum(len(day.doses) + len(day.events) for day in plan.days)


def linear(rounds: int, cwd: Path) -> None:
    from taper.batch import load_renderers
    from taper.read import regimen

    load_renderers(freeze=True)  # as the taper program does
    limit = regimen.MAX_COURSE_DAYS
    print(f"2. linear cost ({rounds} rounds; course length limit {limit} days)", flush=True)
    # (label, shape, days, days of the smaller build it is compared with, rounds)
    shapes: list[tuple[str, Callable[[int], str], int, int, int]] = [
        ("typical course, 19 days", typical, 71, 19, 5 * rounds),
        ("366 days, 12 doses a day", twelve_a_day, 366, 183, rounds),
        ("2-year taper", long_taper, 730, 365, rounds),
        ("3-year course", long_course, 1096, 548, rounds),
    ]
    typical_cost = 0.0
    for label, shape, days, smaller, repeat in shapes:
        sizes = (min(days, limit), min(smaller, limit // 2))
        paths = {}
        for size in sizes:
            paths[size] = cwd / f"{shape.__name__}-{size}.toml"
            paths[size].write_text(shape(size), encoding="utf-8")
        samples: dict[int, list[float]] = {size: [] for size in sizes}
        events: dict[int, int] = {}
        build_work(paths[sizes[1]])  # warm-up
        for number in range(repeat):
            for size in sizes if number % 2 == 0 else sizes[::-1]:
                elapsed, events[size] = build_work(paths[size])
                samples[size].append(elapsed)
        big, small = (statistics.median(samples[size]) for size in sizes)
        marginal = (big - small) / (events[sizes[0]] - events[sizes[1]])
        capped = f"; capped at {limit} days" if days > limit else ""
        name = (
            f"marginal CPU cost per event, {label} "
            f"({events[sizes[1]]:,} → {events[sizes[0]]:,} events{capped})"
        )
        if not typical_cost:
            typical_cost = marginal
            row(name, f"{marginal * 1e6:.0f} µs", "reference")
            continue
        ratio = marginal / typical_cost
        row(
            name,
            f"{marginal * 1e6:.0f} µs = {ratio:.2f}× typical; whole packet {big:.2f} CPU-s",
            "≤ 1.3× typical",
            ratio <= 1.3,
            ratio,
        )


# -- 3. the print run --------------------------------------------------------------------------


def regimen_folder(folder: Path, count: int) -> Path:
    """``count`` regimens cycling through every shipped template."""
    from taper.read.templates import list_templates, render_template

    folder.mkdir()
    names = [info.name for info in list_templates()]
    texts = {
        name: render_template(
            name,
            start=date(2026, 12, 1),
            weight="70 kg",
            height="170 cm",
            timezone="America/New_York",
        )
        for name in names
    }
    for number in range(count):
        name = names[number % len(names)]
        (folder / f"{number + 1:03d}-{name}.toml").write_text(texts[name], encoding="utf-8")
    return folder


SPIN = """
import multiprocessing, sys, time
def spin(n):
    total = 0
    for i in range(n):
        total += i
    return total
if __name__ == "__main__":
    with multiprocessing.get_context("fork").Pool(int(sys.argv[1])) as pool:
        pool.map(spin, [2_000_000] * 8)
"""


def machine_speed_up(rounds: int, cwd: Path) -> float:
    """What two processes gain over one on this machine now: a pure-Python CPU spin."""
    script = cwd / "spin.py"
    script.write_text(SPIN, encoding="utf-8")
    commands = {f"{jobs}": [sys.executable, str(script), str(jobs)] for jobs in (1, 2)}
    times = paired(commands, rounds, cwd, lambda: None)
    return median_wall(times["1"]) / median_wall(times["2"])


def long_speed_up(
    commands: dict[str, list[str]], count: int, cwd: Path, reset: Callable[[], None]
) -> None:
    """The speed-up a pharmacy's long run sees: ``count`` packets of the mix, one paired round.

    A run's start (the parent loads the renderers and builds the cheapest packet before it
    forks its workers, so that they start warm) is a fixed cost: its share of the 40-packet
    mix's run bounds that run's speed-up near 1.8 on two idle CPUs, and it is under 1 % of a
    500-packet run. For information beside the target, not instead of it."""
    many = str(regimen_folder(cwd / f"orders-long-{count}", count))
    # The same commands on the longer folder: ``taper build FOLDER -o OUT --jobs N``.
    longer = {name: [*command[:2], many, *command[3:]] for name, command in commands.items()}
    times = paired(longer, 1, cwd, reset)
    one, two = median_wall(times["jobs 1"]), median_wall(times["jobs 2"])
    row(
        f"print run of {count} packets of the mix, wall-clock speed-up of --jobs 2 over --jobs 1",
        f"{one / two:.2f}× ({one:.2f} s → {two:.2f} s; one paired round, for information)",
        value=one / two,
    )


def print_run(
    taper: str, rounds: int, mix: int, small: int, large: int, long: int, cwd: Path
) -> None:
    print(f"3. the print run ({rounds} paired rounds, {mix} packets)", flush=True)
    spin = machine_speed_up(rounds, cwd)
    folder = regimen_folder(cwd / "orders", mix)
    out = cwd / "run"

    def reset() -> None:
        shutil.rmtree(out, ignore_errors=True)

    commands = {
        f"jobs {jobs}": [taper, "build", str(folder), "-o", str(out), "--jobs", str(jobs)]
        for jobs in (1, 2)
    }
    reset()
    subprocess.run(commands["jobs 2"], env=ENV, check=True, capture_output=True)
    if sum(1 for _ in out.iterdir()) != mix:
        raise SystemExit(f"the print run built fewer than {mix} packets")
    times = paired(commands, rounds, cwd, reset)
    cpu = statistics.median(cpu for _, cpu in times["jobs 2"])
    rate = mix / cpu
    row(
        f"print run, packets per CPU-second ({mix} packets, all templates, --jobs 2)",
        f"{rate:.1f} ({cpu:.2f} CPU-s)",
        "≥ 10",
        rate >= 10,
        rate,
    )
    one, two = median_wall(times["jobs 1"]), median_wall(times["jobs 2"])
    row(
        "print run, wall-clock speed-up of --jobs 2 over --jobs 1",
        f"{one / two:.2f}× ({one:.2f} s → {two:.2f} s; {os.cpu_count()} CPUs)",
        "≥ 1.7×",
        one / two >= 1.7,
        one / two,
    )
    row(
        "the machine now: wall-clock speed-up of 2 processes over 1 (a pure-CPU spin)",
        f"{spin:.2f}× (what other work leaves; a print run cannot gain more)",
        value=spin,
    )
    cpu_one = statistics.median(c for _, c in times["jobs 1"])
    bound = min(2, os.cpu_count() or 1) * cpu_one / cpu
    row(
        "print run, the speed-up its CPU time allows on two idle CPUs",
        f"{bound:.2f}× ({cpu_one:.2f} CPU-s with --jobs 1, {cpu:.2f} with --jobs 2)",
    )
    long_speed_up(commands, long, cwd, reset)
    peaks = {}
    for count in (small, large):
        many = regimen_folder(cwd / f"orders-{count}", count)
        reset()
        peaks[count] = peak([taper, "build", str(many), "-o", str(out), "--jobs", "2"], cwd)
        reset()
    ratio = peaks[large] / peaks[small]
    row(
        f"print run, peak memory of {large} packets ÷ {small}",
        f"{ratio:.2f} ({peaks[large] / 1024:.0f} / {peaks[small] / 1024:.0f} MiB)",
        "≤ 1.2",
        ratio <= 1.2,
        ratio,
    )


# -- 4. the server -----------------------------------------------------------------------------

Q6H_120 = """
[[phase]]
name = "Every six hours"
drug = "prednisone"
tablets = ["5 mg", "1 mg"]
dose = "5 mg"
every = "6h"
at = ["06:00"]
days = 120
"""


def _proc_cpu(pid: int) -> float:
    """CPU seconds of a process and of the children it has waited for (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(field) for field in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found.extend(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _pss(pid: int) -> int:
    """Proportional set size in KiB (shared pages counted once across server and workers)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """``taper serve --no-browser`` in a child process, and requests to it."""

    def __init__(self, taper: str | list[str], env: dict[str, str] | None = None) -> None:
        command = [taper] if isinstance(taper, str) else taper
        self.process = subprocess.Popen(
            [*command, "serve", "--no-browser"], stdout=subprocess.PIPE, text=True, env=env or ENV
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        self.base, _, self.token = line.partition("/?token=")

    def cpu(self) -> float:
        """The server's CPU and its live workers' (a recycled worker's is in the server's)."""
        pid = self.process.pid
        return _proc_cpu(pid) + sum(_proc_cpu(child) for child in _children(pid))

    def memory(self) -> int:
        pid = self.process.pid
        return _pss(pid) + sum(_pss(child) for child in _children(pid))

    def post(self, url: str, body: bytes) -> tuple[int, float]:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            f"{self.base}{url}",
            data=body,
            method="POST",
            headers={"Authorization": f"token {self.token}"},
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=600) as answer:
                answer.read()
                status = answer.status
        except urllib.error.HTTPError as err:
            status = err.code
        return status, time.perf_counter() - start

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def server(taper: str, mix: int, requests: int, rounds: int, cwd: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    print(f"4. the server ({mix} packets of the mix at concurrency 4; {requests} requests)")
    autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled")
    if autogroup.exists() and autogroup.read_text().strip() == "1":
        row(
            "the machine now: the kernel groups a session's processes for CPU (autogroup)",
            "on: under other sessions' load, the server's workers share one session's CPU "
            "share, so two packets at once each get about half of it (wall-clock ratios suffer "
            "until the machine has idle cores)",
        )
    folder = regimen_folder(cwd / "server-orders", mix)
    bodies = [path.read_bytes() for path in sorted(folder.iterdir())]
    typical = COURSE.read_bytes()
    q6h = (HEAD + Q6H_120).encode("utf-8")
    served = Server(taper)
    try:
        for body in bodies[:20]:  # a first packet of each template: the workers' caches
            served.post("/api/packet", body)
        # Packets per CPU-second (the server's and every worker's) at concurrency 4, against
        # the print run's (`--jobs 2`, every process) on the same packets, in paired rounds that
        # take turns going first, so that the machine's pace moves both alike (measured minutes
        # apart, the same code's ratio had ranged from 0.95 to 1.45).
        out = cwd / "server-print-run"
        rates: list[float] = []
        print_rates: list[float] = []
        owns: list[float] = []

        def serve_mix() -> None:
            before, before_own = served.cpu(), _proc_cpu(served.process.pid)
            with ThreadPoolExecutor(4) as pool:
                statuses = [s for s, _ in pool.map(lambda b: served.post("/api/packet", b), bodies)]
            if set(statuses) != {200}:
                raise SystemExit(f"the server answered {sorted(set(statuses))} to the mix")
            rates.append(mix / (served.cpu() - before))
            owns.append(_proc_cpu(served.process.pid) - before_own)

        def print_mix() -> None:
            shutil.rmtree(out, ignore_errors=True)
            command = [taper, "build", str(folder), "-o", str(out), "--jobs", "2"]
            print_rates.append(mix / timed(command, cwd)[1])
            shutil.rmtree(out, ignore_errors=True)

        for number in range(rounds):
            for measure in (serve_mix, print_mix) if number % 2 == 0 else (print_mix, serve_mix):
                measure()
        rate, print_rate = statistics.median(rates), statistics.median(print_rates)
        ratio = rate / print_rate
        row(
            "server, /api/packet per server CPU-second at concurrency 4 ÷ the print run's",
            f"{ratio:.2f} ({rate:.1f} vs {print_rate:.1f} packets per CPU-second, {mix} packets "
            f"of the mix, {rounds} paired rounds)",
            "≥ 1.2",
            ratio >= 1.2,
            ratio,
        )
        own = statistics.median(owns)
        cpu = mix / rate
        row(
            "server, where a packet's CPU goes: the server's threads / its workers",
            f"{own / mix * 1000:.0f} / {(cpu - own) / mix * 1000:.0f} ms a packet",
        )
        # A typical packet behind a 120-day q6h packet, against its time alone: paired rounds,
        # alone then behind, so the machine's load moves both alike.
        alone, behind = [], []
        for _ in range(5):
            alone.append(served.post("/api/packet", typical)[1])
            with ThreadPoolExecutor(2) as pool:
                long_one = pool.submit(served.post, "/api/packet", q6h)
                time.sleep(0.05)
                behind.append(served.post("/api/packet", typical)[1])
                long_one.result()
        ratio = statistics.median(behind) / statistics.median(alone)
        row(
            "server, a typical packet behind a 120-day q6h packet ÷ alone (wall-clock)",
            f"{ratio:.2f} ({statistics.median(behind) * 1000:.0f} / "
            f"{statistics.median(alone) * 1000:.0f} ms)",
            "≤ 2",
            ratio <= 2,
            ratio,
        )
        # /api/plan's p95 while two packets render, against alone.
        plans_alone = [served.post("/api/plan", typical)[1] for _ in range(40)]
        busy = []
        with ThreadPoolExecutor(2) as pool:
            rendering = [pool.submit(served.post, "/api/packet", q6h) for _ in range(2)]
            while not all(job.done() for job in rendering):
                busy.append(served.post("/api/plan", typical)[1])
            [job.result() for job in rendering]
        p95_alone, p95_busy = _percentile(plans_alone, 0.95), _percentile(busy, 0.95)
        ratio = p95_busy / p95_alone
        row(
            "server, /api/plan p95 while two packets render ÷ alone (wall-clock)",
            f"{ratio:.2f} ({p95_busy * 1000:.0f} / {p95_alone * 1000:.0f} ms, "
            f"{len(busy)} requests while rendering)",
            "≤ 5",
            ratio <= 5,
            ratio,
        )

        # Memory over many requests: one packet in ten, the rest plans, at concurrency 4.
        def one(number: int) -> int:
            body = bodies[number % len(bodies)]
            return served.post("/api/packet" if number % 10 == 0 else "/api/plan", body)[0]

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(one, range(100)))
        settled = served.memory()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(one, range(requests)))
        grown = served.memory()
        ratio = grown / settled
        row(
            f"server, memory (PSS of the server and its workers) after {requests} more requests "
            "÷ after 100",
            f"{ratio:.3f} ({settled / 1024:.0f} → {grown / 1024:.0f} MiB)",
            "≤ 1.10",
            ratio <= 1.10,
            ratio,
        )
    finally:
        served.stop()


# -- the table ---------------------------------------------------------------------------------


def table() -> str:
    """One line per figure: its median over the runs in a row with the spread, the load."""
    lines = [
        "| figure | median [spread] over the runs | load | target | |",
        "|---|---|---|---|---|",
    ]
    figures: dict[str, list[Row]] = {}
    for entry in ROWS:
        figures.setdefault(entry.figure, []).append(entry)
    for figure, entries in figures.items():
        values = [e.value for e in entries if e.value is not None]
        loads = [e.load for e in entries]
        load = f"{min(loads):.1f}–{max(loads):.1f}" if len(loads) > 1 else f"{loads[0]:.1f}"
        last = entries[-1]
        if values:
            middle = statistics.median(values)
            spread = f" [{min(values):.2f}–{max(values):.2f}]" if len(values) > 1 else ""
            measured = f"**{middle:.2f}**{spread}; last run: {last.measured}"
            ok = None if last.ok is None else _meets(last.target, middle)
        else:
            measured, ok = last.measured, last.ok
        verdict = "" if ok is None else ("ok" if ok else "**over**")
        lines.append(f"| {figure} | {measured} | {load} | {last.target} | {verdict} |")
    return "\n".join(lines)


def _meets(target: str, value: float) -> bool:
    """Whether ``value`` meets a target written "≤ 1.5", "≥ 10", "≤ 1.3× typical"."""
    import re

    found = re.match(r"([≤≥]) ?([0-9.]+)", target)
    if found is None:
        return True
    bound = float(found.group(2))
    return value <= bound if found.group(1) == "≤" else value >= bound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and packets")
    parser.add_argument("--rounds", type=int, help="paired rounds for the start-up ratios")
    parser.add_argument(
        "--runs", type=int, default=3, help="whole runs in a row, for the spread (default 3)"
    )
    parser.add_argument(
        "--only",
        choices=["floor", "linear", "print-run", "server"],
        action="append",
        help="one section",
    )
    args = parser.parse_args()
    taper = shutil.which("taper", path=str(Path(sys.executable).parent)) or shutil.which("taper")
    if taper is None:
        raise SystemExit("taper is not installed beside this Python; pip install . first")
    quick = args.quick
    rounds = args.rounds or (5 if quick else 15)
    sections = args.only or ["floor", "linear", "print-run", "server"]
    import taper as package

    started = time.perf_counter()
    mix = 40 if quick else 48
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
        f"taper from {Path(package.__file__).parent}; the mix: {mix} packets cycling through "
        "the 20 shipped templates (regular courses and the 2-year GCA taper)",
        flush=True,
    )
    for number in range(1, args.runs + 1):
        RUN[0] = number
        print(f"\n== run {number} of {args.runs} (load {os.getloadavg()[0]:.1f})", flush=True)
        with tempfile.TemporaryDirectory() as folder:
            cwd = Path(folder)
            if "floor" in sections:
                start_up(taper, rounds, cwd)
            if "linear" in sections:
                linear(1 if quick else 3, cwd)
            if "print-run" in sections:
                if quick:
                    print_run(taper, 3, mix, 6, 60, 200, cwd)
                else:
                    print_run(taper, 5, mix, 20, 200, 500, cwd)
            if "server" in sections:
                server(taper, mix, 1000, 3 if quick else 5, cwd)
    print(f"\n{table()}\n")
    print(
        f"{time.perf_counter() - started:.0f} s; load average now {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs (timings on a shared machine move with its load: the ratios "
        "are of CPU time where they can be; re-measure absolute figures on an idle machine)"
    )
    if "**over**" in table():
        raise SystemExit(1)


if __name__ == "__main__":
    main()
