"""Printable handouts (PDF) for the patient, the pharmacist and the nurse.

``render_pdf`` takes a plan and returns the bytes of one handout, laid out with reportlab's
platypus. Three things matter more than looks:

- Free text prints literally. Everything that reaches a ``Paragraph`` goes through ``_esc``,
  which escapes markup characters and refuses (``ExportError``) any character the embedded font
  cannot draw, so nothing turns into markup or into a silent black box.
- The font is embedded: DejaVu Sans (``taper/data/fonts``), which covers Latin, Greek, Cyrillic
  and the symbols used here (×, ½, ☐). Right-to-left scripts are refused too: reportlab would
  lay them out backwards without a bidi engine.
- The same plan and stamp give the same bytes: reportlab's invariant mode, and the creation and
  modification dates taken from ``stamp``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache, partial
from io import BytesIO
from typing import Any

# isort: off
# First: reportlab is imported with its shipped settings only (no RL_ variable, no settings file).
from taper.export.rlsettings import PINNED  # noqa: F401

# isort: on
from reportlab import rl_config
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase import pdfdoc
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from taper.checks.previous import PreviousPlan
from taper.export.json import fingerprint
from taper.export.pdf.layout import (
    FOOTER_SPACE,
    MARGIN,
    _Banner,
    _check_plan_text,
    _Footer,
    _NumberedCanvas,
    _register_fonts,
    _Styles,
)
from taper.export.pdf.nurse import _nurse_story
from taper.export.pdf.patient import _patient_story
from taper.export.pdf.pharmacist import _pharmacist_story
from taper.records.plan import Plan
from taper.voice import labels
from taper.voice.lang import _, speaking
from taper.voice.people import person, revision_banner
from taper.voice.words import words_of

AUDIENCES = ("patient", "pharmacist", "nurse")
PAPERS = {"letter": LETTER, "a4": A4}
# Large print: every font size is multiplied by this (the brief asks for at least 1.3).
LARGE_PRINT = 1.4


def render_pdf(
    plan: Plan,
    audience: str,
    *,
    stamp: datetime,
    paper: str = "letter",
    large_print: bool = False,
    fill: int = 1,
    previous: PreviousPlan | None = None,
    checked_by: str | None = None,
) -> bytes:
    """One handout as PDF bytes; the same arguments always give the same bytes.

    ``fill``: which fill period the patient's checklist of a long course covers.
    ``previous``: the plan a reissue replaces; the pharmacist sheet says what changed.
    ``checked_by``: the checking pharmacist's name, printed in the dispensing sheet's sign-off.
    The patient's handout is in the patient's language; the staff sheets stay English.
    """
    language = words_of(plan).language if audience == "patient" else "en"
    with speaking(language):
        return _render(
            plan,
            audience,
            stamp=stamp,
            paper=paper,
            large_print=large_print,
            fill=fill,
            previous=previous,
            checked_by=checked_by,
        )


def _render(
    plan: Plan,
    audience: str,
    *,
    stamp: datetime,
    paper: str,
    large_print: bool,
    fill: int,
    previous: PreviousPlan | None,
    checked_by: str | None,
) -> bytes:
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; use one of {', '.join(AUDIENCES)}")
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; use one of {', '.join(PAPERS)}")
    _check_plan_text(plan)
    _register_fonts()
    pagesize = PAPERS[paper]
    styles = _Styles.make(
        LARGE_PRINT if large_print else 1.0, base=11.0 if audience == "patient" else 9.5
    )
    width = pagesize[0] - 2 * MARGIN
    wide = (pagesize[1], pagesize[0])
    if audience == "patient" and large_print:
        styles = styles._replace(wide_width=wide[0] - 2 * MARGIN)
    builders: dict[str, Callable[[Plan, _Styles, float], list[Flowable]]] = {
        "patient": _patient_story,
        "pharmacist": partial(
            _pharmacist_story, previous=previous, checked_by=checked_by, stamp=stamp
        ),
        "nurse": _nurse_story,
    }
    banner = revision_banner(plan, stamp)
    top = _Banner(banner, styles.scale, filled=audience == "patient") if banner else None
    top_space = top.height(width) if top is not None else 0.0
    # The height of a page's body, for what must be kept on one page.
    room = pagesize[1] - 2 * MARGIN - FOOTER_SPACE - top_space
    story = (
        _patient_story(plan, styles, width, fill, room)
        if audience == "patient"
        else builders[audience](plan, styles, width)
    )
    heading = {
        "patient": labels.Patient.document,
        "pharmacist": labels.Pharmacist.document,
        "nurse": labels.Nurse.document,
    }[audience]
    footer = _Footer(person(plan), f"{heading}: {plan.title}", styles.scale, top, fingerprint(plan))

    buffer = BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + top_space,
        bottomMargin=MARGIN + FOOTER_SPACE,
        title=f"{heading}: {plan.title}",
        author=plan.care_team.clinic or "taper",
        subject=_("{document} for {name}", document=heading, name=person(plan)),
        creator="taper",
        invariant=1,
    )

    def frame(size: tuple[float, float]) -> Frame:
        return Frame(
            MARGIN,
            MARGIN + FOOTER_SPACE,
            size[0] - 2 * MARGIN,
            size[1] - 2 * MARGIN - FOOTER_SPACE - top_space,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

    document.addPageTemplates(
        [
            PageTemplate(id="page", frames=[frame(pagesize)], pagesize=pagesize),
            PageTemplate(id="wide", frames=[frame(wide)], pagesize=wide),
        ]
    )

    def canvas_maker(*args: Any, **kwargs: Any) -> _NumberedCanvas:
        return _NumberedCanvas(footer, stamp, *args, **kwargs)

    # Page streams compressed only, not also ASCII85-encoded (reportlab's default, in pure
    # Python without its C accelerator): the same pages, smaller and sooner. And compressed at
    # zlib's fastest level, not its default (6): Flate is lossless, so the pages are the same;
    # the files are ~5% larger and a build ~2 ms sooner (mostly the two embedded font subsets).
    a85 = rl_config.useA85
    rl_config.useA85 = 0
    flate = pdfdoc.PDFZCompress  # reportlab's one Flate filter, shared by every stream
    flate.encode = _deflate_fast
    try:
        document.build(story, canvasmaker=canvas_maker)
    finally:
        rl_config.useA85 = a85
        del flate.encode
    return buffer.getvalue()


def _deflate_fast(data: str | bytes) -> bytes:
    """A stream's bytes, Flate-compressed at zlib's fastest level (as reportlab's filter
    would, at its default level)."""
    if isinstance(data, bytes):  # an embedded font subset: often the last handout's too
        return _deflate_kept(data)
    return zlib.compress(data.encode("utf-8"), 1)


@lru_cache(maxsize=32)
def _deflate_kept(data: bytes) -> bytes:
    """A font subset compressed once per process (see layout._subsets_kept): the same
    subset is the same bytes object, whose hash Python keeps."""
    return zlib.compress(data, 1)
