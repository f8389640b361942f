"""taper as a library: load → check → plan → render → packet.

The one way in. The command line and the page are clients of these functions, and so is any
script: the same regimen gives the same problems, plan and bytes through each of them.

- ``load(path_or_bytes, today=...)`` reads (a regular file, at most ``REGIMEN_LIMIT`` bytes),
  checks and schedules a regimen: a ``Plan``, or ``RegimenError`` with every problem.
- ``check(data, today=...)``: the same, as a ``CheckResult`` (the plan or every problem).
- ``render(plan, name, Options(stamp=...))``: one file of the packet (``taper.files.packets``).
- ``packet(plan, Options(stamp=...))``: every file of the packet, by name.
- ``warm()``: load now what a first packet loads on first use, before forking workers.

No clock: ``today`` and the ``stamp`` are arguments (``taper.files.clock`` is the front ends').
No click, no Flask, nothing written. Heavy libraries (reportlab, icalendar) are imported only
by the functions that need them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from taper.files.reading import REGIMEN, REGIMEN_LIMIT
from taper.read.errors import InputFileError, Problem, RegimenError
from taper.records.plan import Plan

if TYPE_CHECKING:
    from taper.files.packets import FILES, PAPERS, Options, PacketFile

# The packet registry's names, imported on first use: `taper plan` and `taper check` never need
# them (its classes cost every command about 3 ms to create).
_FROM_PACKETS = frozenset({"FILES", "PAPERS", "Options", "PacketFile"})


def __getattr__(name: str) -> Any:
    if name in _FROM_PACKETS:
        from taper.files import packets

        return getattr(packets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FILES",
    "PAPERS",
    "REGIMEN_LIMIT",
    "CheckResult",
    "Options",
    "PacketFile",
    "Plan",
    "RegimenError",
    "check",
    "load",
    "packet",
    "plan_json",
    "read_regimen",
    "render",
    "warm",
]


def read_regimen(path: Path) -> bytes:
    """A regimen file's bytes: a regular file only, at most ``REGIMEN_LIMIT`` bytes;
    ``RegimenError`` (naming the file) when it cannot be read or is too big."""
    from taper.files.reading import read_input
    from taper.read.regimen import too_large

    try:
        data = read_input(path, REGIMEN)
    except InputFileError as err:
        raise RegimenError(path.name, [Problem("", str(err))]) from err
    if len(data) > REGIMEN_LIMIT:  # a regular file, too big: say so, with its size
        try:
            size = path.stat().st_size
        except OSError:
            size = len(data)
        raise RegimenError(path.name, [too_large(max(size, len(data)))])
    return data


def load(regimen: Path | bytes, *, today: date | None = None, source: str | None = None) -> Plan:
    """Read, check and schedule a regimen (a file, or its bytes); ``RegimenError`` with every
    problem. ``today``: the date a course may not start before (None: not checked).
    ``source``: the name problems give the regimen (the file's name, or "regimen.toml")."""
    from taper.engine.schedules import build_plan
    from taper.read.regimen import parse_document, parse_regimen

    if isinstance(regimen, Path):
        name = source or regimen.name
        data = read_regimen(regimen)
    else:
        name, data = source or "regimen.toml", regimen
    document, problems = parse_document(data)
    if document is None:
        raise RegimenError(name, problems)
    parsed, more = parse_regimen(document, name)
    if parsed is None:
        raise RegimenError(name, [*problems, *more])
    from taper.voice.watch import with_watch_warnings

    return with_watch_warnings(build_plan(parsed, [*problems, *more], today=today))


class CheckResult(NamedTuple):
    """What ``taper check`` says about a regimen: every error, or the plan and its warnings."""

    plan: Plan | None
    errors: tuple[Problem, ...] = ()
    warnings: tuple[tuple[str, str, str], ...] = ()  # (code, place, message)

    @property
    def valid(self) -> bool:
        return self.plan is not None

    def as_json(self) -> dict[str, Any]:
        from taper.export.json import fingerprint

        return {
            "valid": self.valid,
            # The fingerprint every page of the plan's handouts carries (issue 25).
            "fingerprint": fingerprint(self.plan) if self.plan is not None else None,
            "errors": [{"place": p.place, "message": p.message} for p in self.errors],
            "warnings": [
                {"code": code, "place": place, "message": message}
                for code, place, message in self.warnings
            ],
        }


def check(regimen: Path | bytes, *, today: date | None, source: str | None = None) -> CheckResult:
    """Check a regimen: the plan when it is valid, every problem when it is not."""
    try:
        plan = load(regimen, today=today, source=source)
    except RegimenError as err:
        return CheckResult(None, tuple(err.problems))
    from taper.voice.console import language_warnings

    # A translated handout's warnings on the clinician's own words: the check's, not the plan's
    # (plan.json and the staff sheets are the same in every language).
    warnings = [*plan.warnings, *language_warnings(plan)]
    return CheckResult(plan, (), tuple((w.code, w.place, w.message) for w in warnings))


def plan_json(plan: Plan) -> bytes:
    """The plan as ``taper plan --json`` prints it (taper-plan/1)."""
    from taper.export.json import render_json

    return render_json(plan)


def render(plan: Plan, name: str, options: Options) -> bytes:
    """One file of the packet (a name from ``taper.files.packets.FILES``), as ``taper build``
    writes it; ValueError for a name the packet does not have."""
    from taper.files.packets import find

    return find(name).render(plan, options)


def packet(plan: Plan, options: Options) -> dict[str, bytes]:
    """Every file of the packet, by name, in ``FILES`` order: the very function ``taper
    build`` uses, so the bytes are the same."""
    from taper.files.packets import render as render_packet

    return render_packet(plan, options)


#: The course ``warm`` renders: short, and shipped with taper.
_WARMING_COURSE = "copd-prednisone-5-day"


def warm(languages: tuple[str, ...] = ("en",)) -> None:
    """Load now what a process's first packet loads on first use: every renderer and the
    libraries under it, the fonts, the data tables, the measured words, and each of
    ``languages``' catalogue and dates. A process that forks workers calls it first (the
    page's server; a print run's parent only when the packet it builds first has failed), so
    each worker starts with all of it instead of paying at its first packet (about 0.3 s each:
    bench/bench.py). It renders one short shipped course
    in memory in each language; nothing is written and nothing it loads changes a packet."""
    from datetime import UTC, datetime

    from taper.files.packets import Options
    from taper.read.templates import render_template

    text = render_template(
        _WARMING_COURSE, start=date(2026, 1, 5), weight=None, timezone="America/New_York"
    )
    plan = load(text.encode("utf-8"), source=f"{_WARMING_COURSE}.toml")
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    for language in languages:
        packet(plan._replace(language=language), Options(stamp))
