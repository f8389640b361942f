"""The functions the command line and the local web page share: read, check, plan, render.

No click and no Flask here, and no files written: the CLI and ``taper serve`` are both clients
of these functions, so a regimen gives the same problems, plan and bytes through either.
Heavy libraries (reportlab, icalendar) are imported only inside the functions that need them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from taper.errors import Problem, RegimenError, TaperError
from taper.plan import Plan

if TYPE_CHECKING:
    from taper.previous import PreviousPlan

#: The packet's files, in the order ``taper build`` writes them and the zip holds them.
PACKET_FILES = (
    "plan.json",
    "reminders.ics",
    "patient.pdf",
    "pharmacist.pdf",
    "nurse.pdf",
    "plan.fhir.json",  # issue 21: the course for the hospital's record (taper fhir)
)
PAPERS = ("letter", "a4")


# SOURCE_DATE_EPOCH up to 9999-01-01: later, "tomorrow" and a course would run off the calendar.
_LATEST_EPOCH = 253370764800


def source_date_epoch() -> datetime | None:
    """The build time fixed by ``SOURCE_DATE_EPOCH`` (reproducible builds), if set.

    Empty or blank means unset; anything but ASCII digits (a sign, a fraction, an exponent,
    underscores) or a time after 9999-01-01 is an error.
    """
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not re.fullmatch(r"[0-9]{1,20}", text) or int(text) > _LATEST_EPOCH:
        raise TaperError(
            f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds since 1970 "
            f"(0 to {_LATEST_EPOCH}); set it like SOURCE_DATE_EPOCH=1795305600, or unset it"
        )
    return datetime.fromtimestamp(int(text), UTC)


def build_stamp() -> datetime:
    """When the outputs were made: ``SOURCE_DATE_EPOCH`` or now, to the second."""
    return source_date_epoch() or datetime.now(UTC).replace(microsecond=0)


def today() -> date:
    fixed = source_date_epoch()
    return fixed.date() if fixed is not None else date.today()


def plan_from_bytes(data: bytes, source: str = "regimen.toml") -> Plan:
    """Read, validate and schedule a regimen given as bytes; RegimenError with every problem."""
    from taper.regimen import parse_document, parse_regimen
    from taper.schedules import build_plan

    document, problems = parse_document(data)
    if document is None:
        raise RegimenError(source, problems)
    regimen, more = parse_regimen(document, source)
    if regimen is None:
        raise RegimenError(source, [*problems, *more])
    return build_plan(regimen, [*problems, *more], today=today())


@dataclass(frozen=True)
class CheckResult:
    """What ``taper check`` says about a regimen: every error, or the plan and its warnings."""

    plan: Plan | None
    errors: tuple[Problem, ...] = ()
    warnings: tuple[tuple[str, str, str], ...] = field(default=())  # (code, place, message)

    @property
    def valid(self) -> bool:
        return self.plan is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "errors": [{"place": p.place, "message": p.message} for p in self.errors],
            "warnings": [
                {"code": code, "place": place, "message": message}
                for code, place, message in self.warnings
            ],
        }


def check_bytes(data: bytes, source: str = "regimen.toml") -> CheckResult:
    """Check a regimen: the plan when it is valid, every problem when it is not."""
    try:
        plan = plan_from_bytes(data, source)
    except RegimenError as err:
        return CheckResult(None, tuple(err.problems))
    return CheckResult(plan, (), tuple((w.code, w.place, w.message) for w in plan.warnings))


def plan_json(plan: Plan) -> bytes:
    """The plan as ``taper plan --json`` prints it."""
    from taper.export.json import render_json

    return render_json(plan)


def render_file(
    plan: Plan,
    name: str,
    *,
    stamp: datetime,
    paper: str = "letter",
    large_print: bool = False,
    previous: PreviousPlan | None = None,
) -> bytes:
    """One file of the packet (a name from ``PACKET_FILES``), as ``taper build`` writes it.

    ``previous``: the plan this one replaces (``taper build --previous``), for the pharmacist.
    """
    if name == "plan.json":
        from taper.export.json import render_json

        return render_json(plan)
    if name == "plan.fhir.json":
        from taper.export.fhir import render_fhir

        return render_fhir(plan)
    if name == "reminders.ics":
        from taper.export.ics import render_ics

        return render_ics(plan, stamp=stamp)
    from taper.export.pdf import render_pdf

    audience = name.removesuffix(".pdf")
    if name not in PACKET_FILES or audience == name:
        raise ValueError(f"{name!r} is not a file of the packet")
    if audience == "patient":
        return render_pdf(plan, audience, stamp=stamp, paper=paper, large_print=large_print)
    if audience == "pharmacist":
        return render_pdf(plan, audience, stamp=stamp, paper=paper, previous=previous)
    return render_pdf(plan, audience, stamp=stamp, paper=paper)


def packet(
    plan: Plan,
    *,
    stamp: datetime,
    paper: str = "letter",
    large_print: bool = False,
    previous: PreviousPlan | None = None,
) -> dict[str, bytes]:
    """The files of ``taper build``, in ``PACKET_FILES`` order: the very function the
    command uses (``taper.batch.render_packet``), so the bytes are the same."""
    from taper.batch import render_packet

    return render_packet(plan, stamp=stamp, paper=paper, large_print=large_print, previous=previous)
