"""The packet's files, listed once: name, media type, audience and renderer.

Every part that makes, lists or serves the packet reads ``FILES``: ``taper build`` and a print
run (``render``), the manifest (the names of what was rendered), the page's download buttons and
the zip, and the API. Adding a file to the packet is adding an entry here.

A renderer takes the plan and the packet's ``Options`` and returns the file's bytes; ``takes``
says which options it reads (the page offers large print for the files that take it). The
renderers import the exports when called, so listing the packet costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taper.checks.previous import PreviousPlan
    from taper.records.plan import Plan

PAPERS = ("letter", "a4")


@dataclass(frozen=True)
class Options:
    """How a packet is made. ``stamp``: when (from the front end's clock); ``previous``: the
    plan this one replaces (``taper build --previous``), for the pharmacist sheet."""

    stamp: datetime
    paper: str = "letter"
    large_print: bool = False
    previous: PreviousPlan | None = None


@dataclass(frozen=True)
class PacketFile:
    """One file of the packet."""

    name: str  # its file name in the packet folder and the zip
    media_type: str  # what the page serves it as
    audience: str  # who reads it: "patient", "pharmacist", "nurse" or "software"
    render: Callable[[Plan, Options], bytes]
    takes: frozenset[str]  # the Options fields render reads besides the stamp
    preview: bool = False  # the page can show it inline (a handout)


def _plan_json(plan: Plan, options: Options) -> bytes:
    from taper.export.json import render_json

    return render_json(plan)


def _reminders(plan: Plan, options: Options) -> bytes:
    from taper.export.ics import render_ics

    return render_ics(plan, stamp=options.stamp)


def _patient(plan: Plan, options: Options) -> bytes:
    from taper.export import pdf

    return pdf.render_pdf(
        plan, "patient", stamp=options.stamp, paper=options.paper, large_print=options.large_print
    )


def _pharmacist(plan: Plan, options: Options) -> bytes:
    from taper.export import pdf

    return pdf.render_pdf(
        plan, "pharmacist", stamp=options.stamp, paper=options.paper, previous=options.previous
    )


def _nurse(plan: Plan, options: Options) -> bytes:
    from taper.export import pdf

    return pdf.render_pdf(plan, "nurse", stamp=options.stamp, paper=options.paper)


def _fhir(plan: Plan, options: Options) -> bytes:
    from taper.export.fhir import render_fhir

    return render_fhir(plan)


_PDF = "application/pdf"

#: The packet's files, in the order ``taper build`` writes them and the zip holds them.
FILES: tuple[PacketFile, ...] = (
    PacketFile("plan.json", "application/json", "software", _plan_json, frozenset()),
    PacketFile("reminders.ics", "text/calendar; charset=utf-8", "patient", _reminders, frozenset()),
    PacketFile("patient.pdf", _PDF, "patient", _patient, frozenset({"paper", "large_print"}), True),
    PacketFile(
        "pharmacist.pdf", _PDF, "pharmacist", _pharmacist, frozenset({"paper", "previous"}), True
    ),
    PacketFile("nurse.pdf", _PDF, "nurse", _nurse, frozenset({"paper"}), True),
    # Issue 21: the course for the hospital's record, taper fhir's bytes (FHIR R4 JSON).
    PacketFile("plan.fhir.json", "application/fhir+json", "software", _fhir, frozenset()),
)


def names() -> tuple[str, ...]:
    """The packet's file names, in order."""
    return tuple(entry.name for entry in FILES)


def find(name: str) -> PacketFile:
    """The packet file called ``name``; ValueError if the packet has none."""
    for entry in FILES:
        if entry.name == name:
            return entry
    raise ValueError(f"{name!r} is not a file of the packet")


def render(plan: Plan, options: Options) -> dict[str, bytes]:
    """Every file of the packet, by name, in ``FILES`` order: what ``taper build``, a print
    run, the page's zip and the API all write, so the bytes are the same everywhere."""
    import gc

    from taper.export import rlsettings
    from taper.files.signals import signals_deferred

    rlsettings.pin()
    # No cycle collection while the packet is rendered: what it allocates is freed by reference
    # counting, and collections would walk the growing calendar and pages again and again (a
    # tenth of a long course's time). The first collection after it looks at them once.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with signals_deferred():
            return {entry.name: entry.render(plan, options) for entry in FILES}
    finally:
        if collecting:
            gc.enable()
