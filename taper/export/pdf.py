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

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from taper.catalogue import conditions, read_data
from taper.errors import ExportError
from taper.plan import CareTeam, Day, Dose, Event, PhasePlan, Plan, StepDose, StepPlan, TabletCount
from taper.units import format_amount, format_number
from taper.words import ROUTE_WORDS, count_text, dose_summary, minutes_text, phase_heading

AUDIENCES = ("patient", "pharmacist", "nurse")
PAPERS = {"letter": LETTER, "a4": A4}
# Large print: every font size is multiplied by this (the brief asks for at least 1.3).
LARGE_PRINT = 1.4
FONT = "TaperSans"
FONT_BOLD = "TaperSans-Bold"
# A plain path, as in taper.catalogue: importlib.resources costs start-up.
FONTS = Path(__file__).resolve().parent.parent / "data" / "fonts"
STAFF_ROUTES = ("iv", "im", "sc", "procedure")
MARGIN = 15 * mm
FOOTER_SPACE = 12 * mm

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#ececec")
OUTSIDE = colors.HexColor("#f6f6f6")
# Light tints that tell the phases apart on the calendar and still print as distinct greys.
PHASE_TINTS = (
    colors.HexColor("#dbe9f6"),
    colors.HexColor("#e2f0d9"),
    colors.HexColor("#fbeccf"),
    colors.HexColor("#eadcf2"),
    colors.HexColor("#d9f0ee"),
)
TIER_COLOURS = {
    "expected": colors.HexColor("#4d7d4d"),
    "call": colors.HexColor("#b36b00"),
    "emergency": colors.HexColor("#b00020"),
}

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
SLOT_WORDS = {
    "wake": "when you wake up",
    "breakfast": "with breakfast",
    "lunch": "with lunch",
    "supper": "with supper",
    "bedtime": "at bedtime",
}
MEALS = ("breakfast", "lunch", "supper")
ALLOWANCE_WORDS = {
    "above-documented-dose": "dose above the highest documented regimen",
    "overlap": "overlaps another phase of the same drug",
}


def render_pdf(
    plan: Plan, audience: str, *, stamp: datetime, paper: str = "letter", large_print: bool = False
) -> bytes:
    """One handout as PDF bytes; the same arguments always give the same bytes."""
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
    builders: dict[str, Callable[[Plan, _Styles, float], list[Flowable]]] = {
        "patient": _patient_story,
        "pharmacist": _pharmacist_story,
        "nurse": _nurse_story,
    }
    story = builders[audience](plan, styles, width)
    heading = {
        "patient": "Your treatment plan",
        "pharmacist": "Dispensing sheet",
        "nurse": "Nursing sheet",
    }[audience]
    footer = _Footer(_person(plan), f"{heading}: {plan.title}", styles.scale)

    buffer = BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + FOOTER_SPACE,
        title=f"{heading}: {plan.title}",
        author=plan.care_team.clinic or "taper",
        subject=f"{heading} for {_person(plan)}",
        creator="taper",
        invariant=1,
    )
    frame = Frame(
        MARGIN,
        MARGIN + FOOTER_SPACE,
        width,
        pagesize[1] - 2 * MARGIN - FOOTER_SPACE,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    document.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    def canvas_maker(*args: Any, **kwargs: Any) -> _NumberedCanvas:
        return _NumberedCanvas(footer, stamp, *args, **kwargs)

    # Page streams compressed only, not also ASCII85-encoded (reportlab's default, in pure
    # Python without its C accelerator): the same pages, smaller and sooner.
    a85 = rl_config.useA85
    rl_config.useA85 = 0
    try:
        document.build(story, canvasmaker=canvas_maker)
    finally:
        rl_config.useA85 = a85
    return buffer.getvalue()


# -- fonts and text ---------------------------------------------------------------------------


@cache
def _register_fonts() -> frozenset[int]:
    """Register the embedded font once; return the code points both weights can draw."""
    faces = []
    for name, file in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        font = TTFont(name, BytesIO((FONTS / file).read_bytes()))
        pdfmetrics.registerFont(font)
        faces.append(frozenset(font.face.charToGlyph))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )
    return faces[0] & faces[1]


NBSP = "\u00a0"
# Line breaks and tabs in free text print as spaces (a Paragraph would do the same, the
# footer's drawString would not); a no-break space stays what it is.
_BREAKS = str.maketrans(dict.fromkeys("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029", " "))


def _clean(text: str) -> str:
    """Composed characters (é, not e + ◌́), and any line break or tab as a plain space."""
    return unicodedata.normalize("NFC", text).translate(_BREAKS)


def _nb(text: str) -> str:
    """``text`` that must not wrap inside ("12:30 PM", "60 mg")."""
    return text.replace(" ", NBSP)


def _unprintable(text: str) -> list[tuple[str, str]]:
    """The characters of ``text`` the handout cannot print, each with the reason."""
    if text.isascii() and text.isprintable():
        return []  # printable ASCII: all in the font, none right-to-left
    glyphs = _register_fonts()
    found: list[tuple[str, str]] = []
    for ch in dict.fromkeys(_clean(text)):
        if unicodedata.bidirectional(ch) in ("R", "AL", "RLE", "RLO", "RLI"):
            found.append((ch, "is right-to-left text, which the handout cannot lay out"))
        elif ord(ch) > 0xFFFF:
            # reportlab draws these glyphs but writes their text as a wrong 16-bit character,
            # so the PDF would read back (copy, search, screen readers) as something else.
            found.append((ch, "is an emoji or rare symbol the PDF cannot store as text"))
        elif ord(ch) not in glyphs:
            found.append((ch, "has no glyph in the handout font (DejaVu Sans)"))
    return found


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'unnamed character')})"


def _esc(text: str, place: str = "handout text") -> str:
    """``text`` ready for a Paragraph: checked against the font, markup characters escaped."""
    problems = _unprintable(text)
    if problems:
        ch, why = problems[0]
        raise ExportError(
            f"{place}: the character {_char_name(ch)} in {text!r} {why}; replace it or leave it out"
        )
    return _escape(_clean(text))


def _escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities (xml.sax.saxutils.escape, which would import
    urllib.request, http.client and email at start-up)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _plan_texts(plan: Plan) -> Iterable[tuple[str, str]]:
    """Every free text of the plan with its place in the regimen."""
    yield "title", plan.title
    if plan.patient.name:
        yield "patient.name", plan.patient.name
    if plan.patient.weight:
        yield "patient.weight", plan.patient.weight
    for key, value in plan.care_team._asdict().items():
        if value:
            yield f"care_team.{key}", value
    for phase in plan.phases:
        place = f"phase[{phase.index}]"
        yield f"{place}.name", phase.name
        yield f"{place}.drug", phase.drug_name
        for key in ("take", "where", "liquid"):
            value = getattr(phase, key)
            if value:
                yield f"{place}.{key}", value
    seen: set[int] = set()
    for event in plan.events:
        if event.index not in seen:
            seen.add(event.index)
            yield f"also[{event.index}].what", event.what
            if event.where:
                yield f"also[{event.index}].where", event.where
    for warning in plan.warnings:
        yield warning.place or "warnings", warning.message


def _check_plan_text(plan: Plan) -> None:
    """Refuse, before any layout, a plan with text the handout cannot print: every such
    character, with its place, in one message."""
    lines = []
    for place, text in _plan_texts(plan):
        for ch, why in _unprintable(text):
            lines.append(
                f"  {plan.source or 'regimen'}: {place}: the character "
                f"{_char_name(ch)} in {_clean(text)!r} {why}"
            )
    if lines:
        count = len(lines)
        raise ExportError(
            f"{plan.source or 'regimen'}: cannot make the PDF: {count} character"
            f"{'s' if count != 1 else ''} cannot be printed; replace or remove "
            f"{'them' if count != 1 else 'it'}\n" + "\n".join(lines)
        )


# -- styles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Styles:
    scale: float
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cal: ParagraphStyle
    cal_date: ParagraphStyle
    cal_head: ParagraphStyle
    title: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    box: ParagraphStyle
    bullet: ParagraphStyle
    sig: ParagraphStyle

    @classmethod
    def make(cls, scale: float, base: float) -> _Styles:
        size = base * scale

        def style(
            name: str, font_size: float, *, bold: bool = False, leading: float = 1.25, **extra: Any
        ) -> ParagraphStyle:
            return ParagraphStyle(
                name,
                fontName=FONT_BOLD if bold else FONT,
                fontSize=font_size,
                leading=font_size * leading,
                textColor=INK,
                **extra,
            )

        return cls(
            scale=scale,
            body=style("body", size, spaceAfter=size * 0.4),
            small=style("small", size * 0.85),
            cell=style("cell", size * 0.92),
            cell_bold=style("cell_bold", size * 0.92, bold=True),
            cal=style("cal", 8.6 * scale, leading=1.18, spaceBefore=1.5 * scale),
            cal_date=style("cal_date", 10 * scale, bold=True),
            cal_head=style("cal_head", 8.5 * scale, bold=True, alignment=TA_CENTER),
            title=style("title", size * 1.75, bold=True, leading=1.2, spaceAfter=size * 0.5),
            h2=style(
                "h2",
                size * 1.3,
                bold=True,
                leading=1.2,
                spaceBefore=size * 0.9,
                spaceAfter=size * 0.45,
            ),
            h3=style(
                "h3",
                size * 1.05,
                bold=True,
                spaceBefore=size * 0.5,
                spaceAfter=size * 0.25,
            ),
            box=style("box", size * 1.45, leading=1.0),
            bullet=style(
                "bullet",
                size,
                leftIndent=size * 1.2,
                bulletIndent=size * 0.3,
                bulletFontName=FONT,
                bulletFontSize=size,
                spaceAfter=size * 0.2,
            ),
            # A hanging indent: each step of a sig starts its own line.
            sig=style(
                "sig",
                size,
                leftIndent=size * 1.2,
                firstLineIndent=-size * 1.2,
                spaceAfter=size * 0.15,
            ),
        )


def _p(text: str, style: ParagraphStyle) -> Flowable:
    """A paragraph of plain text (escaped)."""
    return _Text(_esc(text), style)


def _m(markup: str, style: ParagraphStyle) -> Flowable:
    """A paragraph of markup whose free-text parts were escaped with ``_esc`` already."""
    return _Text(markup, style)


# What _Text draws itself: <b>, </b>, <br/> and the three entities _escape writes.
_MARKUP = re.compile(r"<b>|</b>|<br/>|&amp;|&lt;|&gt;|[<&]")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_Line = list[tuple[bool, str]]


def _parse(markup: str) -> list[_Line] | None:
    """The lines of ``markup`` as (bold, text) runs, or None when it holds anything else
    (another tag, a stray ``&``) or text a Paragraph would not print as it stands (runs of
    spaces, other white space, soft hyphens, combining marks...)."""
    lines: list[_Line] = [[]]
    bold = False
    at = 0
    text: list[str] = []

    def flush() -> None:
        if text:
            lines[-1].append((bold, "".join(text)))
            text.clear()

    for match in _MARKUP.finditer(markup):
        text.append(markup[at : match.start()])
        at = match.end()
        token = match.group()
        if token in _ENTITIES:
            text.append(_ENTITIES[token])
        elif token == "<b>" or token == "</b>":
            flush()
            bold = token == "<b>"
        elif token == "<br/>":
            flush()
            lines.append([])
        else:
            return None
    text.append(markup[at:])
    flush()
    for line in lines:
        joined = "".join(run for _, run in line)
        if not joined or joined != joined.strip(" ") or "  " in joined:
            return None
        if not (joined.isascii() and joined.isprintable()) and not all(
            ch in " \u00a0" or unicodedata.category(ch)[0] in "LNPS" for ch in joined
        ):
            return None
    return lines


# How far from the width a line break decided here must be: nearer, the Paragraph decides (it
# may count a space between a bold and a regular word in the other weight).
_MARGIN = 1.0


class _Text(Flowable):  # type: ignore[misc]
    """A Paragraph that lays out and draws plain text itself.

    Most handout text is short (a time, a date, a heading, a label, a sentence or two), and a
    Paragraph's markup parser and line breaker cost more than all the drawing. This breaks
    lines as a Paragraph does (greedily, between words) and draws them where a Paragraph
    would (first baseline ``fontSize`` below the top, ``leading`` between lines, the bullet at
    ``bulletIndent``). It hands anything else to a real Paragraph: other markup or white
    space, a word wider than the line, a line break too close to call, a split across pages.
    """

    def __init__(self, markup: str, style: ParagraphStyle, bullet: str | None = None) -> None:
        super().__init__()
        self.markup = markup
        self.style = style
        self.bullet = bullet
        self._para: Paragraph | None = None
        self._words = _words(markup, style) if _simple(style, bullet) else None
        # The first line's indent; a bullet running past it pushes the line on, leaving its
        # width plus 0.6 of its size (what a Paragraph does, _handleBulletWidth).
        self._lead = style.firstLineIndent
        if bullet:
            end = (
                style.bulletIndent
                + pdfmetrics.stringWidth(bullet, style.bulletFontName, style.bulletFontSize)
                + 0.6 * style.bulletFontSize
            )
            self._lead = max(self._lead, end - style.leftIndent)
        self._layouts: dict[float, list[tuple[_Line, float]] | None] = {}
        self._layout: list[tuple[_Line, float]] = []

    def _paragraph(self) -> Paragraph:
        if self._para is None:
            self._para = Paragraph(self.markup, self.style, bulletText=self.bullet)
        return self._para

    def lines(self, width: float) -> list[tuple[_Line, float]] | None:
        """The lines at ``width`` as (runs, width), or None to leave it to a Paragraph."""
        if width not in self._layouts:
            self._layouts[width] = self._break(width)
        return self._layouts[width]

    def _break(self, width: float) -> list[tuple[_Line, float]] | None:
        if self._words is None:
            return None
        style = self.style
        room = width - style.leftIndent - style.rightIndent
        limit = room - self._lead
        lines: list[tuple[_Line, float]] = []
        for words in self._words:
            runs: _Line = []
            used = 0.0
            count = 0
            for space, space_width, word, word_width in words:
                if runs:
                    wider = used + space_width + word_width
                    if wider <= limit - _MARGIN:
                        _extend(runs, [space, *word])
                        used = wider
                        count += 1
                        continue
                    # A Paragraph lets a line run over by up to 5% of a space per word
                    # (spaceShrinkage) and then draws it with narrower spaces: leave those
                    # lines to it.
                    shrink = style.spaceShrinkage * space_width * 1.5 * (count + 2)
                    if wider < limit + shrink + _MARGIN:
                        return None
                    lines.append((runs, used))
                    runs, used, limit = [], 0.0, room
                if word_width > limit - _MARGIN:
                    return None
                _extend(runs, word)
                used = word_width
                count = 1
            lines.append((runs, used))
            limit = room
        return lines

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        lines = None if self._para is not None else self.lines(availWidth)
        if lines is None:
            return self._paragraph().wrap(availWidth, availHeight)  # type: ignore[no-any-return]
        self._layout = lines
        self.width = availWidth
        self.height = self.style.leading * len(lines)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        return self._paragraph().split(availWidth, availHeight)  # type: ignore[no-any-return]

    def minWidth(self) -> float:
        return self._paragraph().minWidth()  # type: ignore[no-any-return]

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        if self._para is not None:
            self._para.drawOn(canvas, x, y, _sW)
            return
        # As Flowable.drawOn and Paragraph.draw would (the same translation, so that a
        # viewer's arithmetic puts every glyph on the same pixel).
        style = self.style
        size = style.fontSize
        leading = style.leading
        top = self.height - size
        canvas.saveState()
        canvas.translate(self._hAlignAdjust(x, _sW), y)
        canvas.setFillColor(style.textColor)
        if self.bullet:
            mark = canvas.beginText(style.bulletIndent, top)
            mark.setFont(style.bulletFontName, style.bulletFontSize)
            mark.textOut(self.bullet)
            canvas.drawText(mark)
        # As a Paragraph does: each line ends with T* (next line, ``leading`` down) and any
        # indent or centring is a move there and back.
        text = canvas.beginText(style.leftIndent, top)
        font = None
        for number, (runs, width) in enumerate(self._layout):
            offset = self._lead if number == 0 else 0
            if style.alignment == TA_CENTER:
                offset += (self.width - style.leftIndent - style.rightIndent - offset - width) / 2
            if abs(offset) > 1e-6:
                text.moveCursor(offset, 0)
            for last, (bold, run) in enumerate(runs, 1 - len(runs)):
                face = FONT_BOLD if bold else style.fontName
                if face != font:
                    text.setFont(face, size, leading)
                    font = face
                if last:
                    text.textOut(run)
                else:
                    text.textLine(run)
            if abs(offset) > 1e-6:
                text.moveCursor(-offset, 0)
        canvas.drawText(text)
        canvas.restoreState()


# A word: the space before it, in the weight of the run it is in, with its width; the word's
# runs and their width.
_Word = tuple[tuple[bool, str], float, _Line, float]


def _words(markup: str, style: ParagraphStyle) -> list[list[_Word]] | None:
    """Each line of ``markup`` (``<br/>``) as words for _Text, or None (see ``_parse``)."""
    lines = _parse(markup)
    if lines is None:
        return None
    size = style.fontSize

    def width(bold: bool, text: str) -> float:
        return float(pdfmetrics.stringWidth(text, FONT_BOLD if bold else style.fontName, size))

    result: list[list[_Word]] = []
    for line in lines:
        words: list[_Word] = []
        space: tuple[bool, str] = (False, " ")
        pieces: _Line = []
        for bold, run in line:
            for number, piece in enumerate(run.split(" ")):
                if number > 0:  # a space ends the word before it
                    words.append((space, width(*space), pieces, sum(width(*p) for p in pieces)))
                    space, pieces = (bold, " "), []
                if piece:
                    pieces.append((bold, piece))
        words.append((space, width(*space), pieces, sum(width(*p) for p in pieces)))
        result.append(words)
    return result


def _extend(runs: _Line, more: _Line) -> None:
    """Append ``more`` to ``runs``, joining text of the same weight into one run."""
    for bold, text in more:
        if runs and runs[-1][0] == bold:
            runs[-1] = (bold, runs[-1][1] + text)
        else:
            runs.append((bold, text))


def _plain(text: str, style: ParagraphStyle, room: float) -> str | Flowable:
    """``text`` as a bare table-cell string when it fits ``room`` on one line as it stands,
    else as a paragraph. The table must draw the cell in ``style``'s font (``_font``) and text
    colour: a string cell's baseline and height are those of a one-line Paragraph."""
    flowable = _Text(_esc(text), style)
    lines = flowable.lines(room + style.leftIndent + style.rightIndent)
    if lines is not None and len(lines) == 1 and len(lines[0][0]) == 1 and not lines[0][0][0][0]:
        return lines[0][0][0][1]
    return flowable


def _font(style: ParagraphStyle, first: tuple[int, int], last: tuple[int, int]) -> tuple[Any, ...]:
    """The TableStyle command that draws string cells in ``style``'s font."""
    return ("FONT", first, last, style.fontName, style.fontSize, style.leading)


def _simple(style: ParagraphStyle, bullet: str | None = None) -> bool:
    """Whether _Text can lay out ``style`` itself: left or centred, no border or background,
    a plain bullet (if any) on a left-aligned paragraph."""
    if bullet is not None and (
        style.bulletFontName not in (FONT, FONT_BOLD)
        or style.alignment != TA_LEFT
        or getattr(style, "bulletColor", style.textColor) != style.textColor
        or getattr(style, "bulletAnchor", "start") != "start"
        or getattr(style, "bulletOffsetY", 0)
    ):
        return False
    return (
        style.alignment in (TA_LEFT, TA_CENTER)
        and style.backColor is None
        and not style.borderWidth
        and not getattr(style, "autoLeading", "")
        and not getattr(style, "textTransform", None)
        and not getattr(style, "underline", False)
        and not getattr(style, "strike", False)
        and style.fontName in (FONT, FONT_BOLD)
    )


def _heading(text: str, styles: _Styles, style: ParagraphStyle) -> list[Flowable]:
    """A heading that starts a new page when fewer than a few lines would follow it here.

    (keepWithNext would move a heading and its whole table to the next page, leaving half a
    page empty; a table may split, as long as its heading is not left alone.)
    """
    return [CondPageBreak(style.leading * 2 + styles.body.leading * 6), _p(text, style)]


def _b(text: str) -> str:
    return f"<b>{_esc(text)}</b>"


def _bullets(texts: Sequence[str], styles: _Styles, *, markup: bool = False) -> list[Flowable]:
    return [_Text(text if markup else _esc(text), styles.bullet, "•") for text in texts]


def _table(
    rows: list[list[Any]],
    widths: Sequence[float],
    *,
    header: bool = True,
    extra: Sequence[tuple[Any, ...]] = (),
) -> Table:
    """A ruled table whose header row repeats on every page it runs onto."""
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ]
    commands += list(extra)
    return Table(
        rows,
        colWidths=list(widths),
        repeatRows=1 if header else 0,
        style=TableStyle(commands),
        hAlign="LEFT",
    )


def _widths(styles: _Styles, *samples: str) -> list[float]:
    """Column widths that fit each sample (a header or the widest short value) on one line:
    a time or a header broken mid-word is hard to read."""
    size = styles.cell_bold.fontSize
    return [_text_width(sample, size) + 9 for sample in samples]


def _text_width(text: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, FONT_BOLD, size))


def _spread(width: float, fixed: list[float], shares: Sequence[float]) -> list[float]:
    """``fixed`` widths, then the rest of ``width`` shared out by ``shares``."""
    rest = width - sum(fixed)
    return [*fixed, *(rest * share / sum(shares) for share in shares)]


def _boxed(
    flowables: list[Flowable],
    width: float,
    border: Any = RULE,
    background: Any = None,
    line: float = 0.8,
) -> Table:
    """Flowables inside one bordered box (which may split across pages if it must)."""
    commands: list[tuple[Any, ...]] = [
        ("BOX", (0, 0), (-1, -1), line, border),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]
    if background is not None:
        commands.append(("BACKGROUND", (0, 0), (-1, -1), background))
    if len(flowables) > 1:
        # One row per flowable, so a long box can break between them at a page end.
        commands += [("TOPPADDING", (0, 1), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -2), 1)]
    return Table(
        [[flowable] for flowable in flowables],
        colWidths=[width],
        style=TableStyle(commands),
        hAlign="LEFT",
    )


# -- page furniture ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Footer:
    person: str
    title: str
    scale: float


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """Holds each page back until the end, so the footer can say "Page N of M"."""

    def __init__(self, footer: _Footer, stamp: datetime, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict[str, Any]] = []
        _fix_timestamp(self, stamp)

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, 1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        footer = self._footer
        width, _ = self._pagesize
        size = 8.5 * footer.scale
        right = f"Page {number} of {total}"
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, MARGIN + size * 1.6, width - MARGIN, MARGIN + size * 1.6)
        self.setFillColor(INK)
        self.setFont(FONT_BOLD, size)
        self.drawRightString(width - MARGIN, MARGIN, right)
        room = width - 2 * MARGIN - pdfmetrics.stringWidth(right, FONT_BOLD, size) - 12
        name = _fit(footer.person, FONT_BOLD, size, room * 0.5)
        self.drawString(MARGIN, MARGIN, name)
        used = pdfmetrics.stringWidth(name + "   ", FONT_BOLD, size)
        self.setFont(FONT, size)
        self.setFillColor(MUTED)
        self.drawString(MARGIN + used, MARGIN, _fit(footer.title, FONT, size, room - used))
        self.restoreState()


def _fit(text: str, font: str, size: float, room: float) -> str:
    """``text`` shortened with an ellipsis to fit ``room`` points."""
    text = _clean(text)
    if pdfmetrics.stringWidth(text, font, size) <= room:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


class _Stamp:
    """What reportlab reads from its TimeStamp, built from ``stamp`` (UTC)."""

    def __init__(self, stamp: datetime) -> None:
        moment = stamp.astimezone(UTC)
        self.t = moment.timestamp()
        self.lt = moment.timetuple()
        self.YMDhms = tuple(self.lt)[:6]
        self.dhh = 0
        self.dmm = 0
        self.tzname = "UTC"


def _fix_timestamp(canvas: Canvas, stamp: datetime) -> None:
    """Creation and modification dates (and the document ID's seed) from ``stamp``.

    reportlab takes its timestamp from the environment or a fixed 2000-01-01 in invariant
    mode; the caller's stamp is the one the plan was built with, so use it instead.
    """
    document = canvas._doc
    document._timeStamp = _Stamp(stamp)
    signature = hashlib.md5(usedforsecurity=False)
    signature.update(b"a reportlab document")
    signature.update(ascii(document._timeStamp.t).encode("ascii"))
    document.signature = signature


# -- words --------------------------------------------------------------------------------------


def _person(plan: Plan) -> str:
    return plan.patient.name or "Patient (no name given)"


def _long_date(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}, {day.year}"


def _short_date(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()][:3]} {MONTHS[day.month - 1][:3]} {day.day}"


def _date_range(first: date, last: date) -> str:
    if first == last:
        return _short_date(first)
    return f"{_short_date(first)} – {_short_date(last)}"


def _clock(time: str) -> str:
    """``18:00`` → ``6:00 PM`` (the patient's clock)."""
    hour, minute = (int(part) for part in time.split(":"))
    suffix = "AM" if hour < 12 else "PM"
    return f"{hour % 12 or 12}:{minute:02d}{NBSP}{suffix}"


def _days_text(first: int, last: int) -> str:
    return f"day {first}" if first == last else f"days {first}–{last}"


def _count_words(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def _and(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _date_of(plan: Plan, day: int) -> date:
    return plan.start + timedelta(days=day - 1)


def _tablets_total(tablets: tuple[TabletCount, ...]) -> Decimal:
    return sum((t.count for t in tablets), Decimal(0))


def _tablet_word(count: Decimal) -> str:
    return "tablet" if count <= 1 else "tablets"


def _pharmacy_tablets(tablets: tuple[TabletCount, ...], one_strength: bool) -> str:
    """``3 tablets`` when the phase uses one strength, else ``1 tablet of 20 mg and 1 of 5 mg``."""
    if one_strength:
        total = _tablets_total(tablets)
        return f"{count_text(total)} {_tablet_word(total)}"
    parts = [
        f"{count_text(t.count)} {_tablet_word(t.count)} of {format_amount(t.strength, t.unit)}"
        for t in tablets
    ]
    return _and(parts)


def _every_text(every: int) -> str:
    return "every other day" if every == 2 else f"every {every} days"


def _times_a_day(count: int) -> str:
    return {1: "once daily", 2: "twice daily"}.get(count, f"{count} times daily")


def _when_sig(dose: StepDose) -> str:
    return SLOT_WORDS.get(dose.slot or "", f"at {dose.time}")


def _when_patient(dose: StepDose | Dose) -> str:
    slot = f" ({dose.slot})" if dose.slot else ""
    return f"at {_clock(dose.time)}{slot}"


def _amount(value: Decimal | None, unit: str | None) -> str:
    return format_amount(value, unit) if value is not None and unit is not None else ""


def _step_total(step: StepPlan) -> Decimal:
    return sum((d.amount for d in step.doses if d.amount is not None), Decimal(0))


def _take_is_food(take: str | None) -> bool:
    return (take or "").strip().lower().rstrip(".") in ("with food", "with a meal", "with meals")


# -- the pharmacist's sig -----------------------------------------------------------------------


def _strengths(phase: PhasePlan) -> set[tuple[Decimal, str]]:
    return {(t.strength, t.unit) for step in phase.steps for d in step.doses for t in d.tablets}


def _sig(plan: Plan, phase: PhasePlan) -> list[str]:
    """The label directions for one phase, in pharmacy wording: one line per step, the steps
    joined by "then", as one sentence."""
    if phase.route == "procedure" or phase.sessions:
        return [_procedure_sig(phase)]
    one_strength = len(_strengths(phase)) <= 1
    lines = [
        part
        for number, step in enumerate(phase.steps)
        if (part := _step_sig(phase, step, one_strength, first=number == 0))
    ]
    lines = [line + ", then" for line in lines[:-1]] + lines[-1:]
    following = [
        p
        for p in plan.phases
        if p.index != phase.index
        and p.drug == phase.drug
        and p.route == phase.route
        and p.first_day > phase.last_day
    ]
    if following:
        nxt = min(following, key=lambda p: p.first_day)
        lines[-1] += f', then continue with "{nxt.name}" (from day {nxt.first_day})'
    elif phase.route == "oral":
        lines[-1] += ", then stop"
    lines[-1] += "."
    if any(t.count != int(t.count) for step in phase.steps for d in step.doses for t in d.tablets):
        lines.append("Half tablets: cut along the score line.")
    if phase.route in ("iv", "im", "sc"):
        lines.insert(0, "Administered by staff.")
    return lines


def _sig_paragraphs(plan: Plan, phase: PhasePlan, styles: _Styles) -> list[Flowable]:
    return [_p(line, styles.sig) for line in _sig(plan, phase)]


def _dose_words(phase: PhasePlan, dose: StepDose, one_strength: bool) -> str:
    amount = _amount(dose.amount, dose.unit)
    if dose.tablets:
        return f"{_pharmacy_tablets(dose.tablets, one_strength)} ({amount})"
    if dose.volume_ml is not None:
        of = f" of {phase.liquid}" if phase.liquid else ""
        return f"{format_number(dose.volume_ml)} mL{of} ({amount})"
    return amount


def _step_sig(phase: PhasePlan, step: StepPlan, one_strength: bool, *, first: bool) -> str:
    doses = step.doses
    if not doses:
        return ""
    verb = {"oral": "take", "iv": "give", "im": "inject", "sc": "inject"}.get(phase.route, "give")
    if phase.route == "oral" and doses[0].volume_ml is not None and not doses[0].tablets:
        verb = "measure"
    if first:
        verb = verb.capitalize()
    liquid = ""
    route = {
        "oral": "by mouth",
        "iv": "IV",
        "im": "into a muscle (IM)",
        "sc": "under the skin (SC)",
    }[phase.route]
    if phase.route == "oral" and verb.lower() == "measure":
        route = "and take by mouth"
    over = (
        f" over {minutes_text(phase.duration_min)}"
        if phase.route == "iv" and phase.duration_min
        else ""
    )
    same = len({(d.amount, d.unit, d.tablets, d.volume_ml) for d in doses}) == 1
    take = phase.take.strip() if phase.take else ""
    if same:
        what = _dose_words(phase, doses[0], one_strength)
        how_often = (
            _times_a_day(len(doses))
            if step.every == 1
            else f"{_times_a_day(len(doses)).replace('daily', 'a day')} {_every_text(step.every)}"
            if len(doses) > 1
            else _every_text(step.every)
        )
        slots = [d.slot for d in doses]
        if all(slot in SLOT_WORDS for slot in slots):
            when = " " + _and([SLOT_WORDS[s] for s in slots if s is not None])
        else:
            when = " at " + _and([d.time for d in doses])
        text = f"{verb} {what}{liquid} {route}{over} {how_often}{when}"
    else:
        pieces = [f"{_dose_words(phase, d, one_strength)} {_when_sig(d)}" for d in doses]
        daily = _amount(_step_total(step), doses[0].unit)
        often = "" if step.every == 1 else f" {_every_text(step.every)}"
        how = f"{route}{over}" + (f" {take}" if take else "")
        text = f"{verb}{liquid} {how}: {_and(pieces)} ({daily} a day){often}"
        take = ""
    meals = all(d.slot in MEALS for d in doses)
    if take and not (meals and _take_is_food(take)):
        text += f" {take}"
    text += f" for {_count_words(step.days, 'day')}"
    if step.every > 1:
        doses_given = len(range(0, step.days, step.every))
        text += f" ({_count_words(doses_given, 'dose')})"
    if phase.where and phase.route != "oral":
        text += f" at {phase.where}"
    return text


def _procedure_sig(phase: PhasePlan) -> str:
    sessions = phase.sessions or 0
    step = phase.steps[0] if phase.steps else None
    every = step.every if step else 1
    often = "daily" if every == 1 else _every_text(every)
    times = _and([d.time for d in step.doses]) if step else ""
    length = f", each about {minutes_text(phase.duration_min)}" if phase.duration_min else ""
    where = f", at {phase.where}" if phase.where else ""
    return (
        f"{phase.drug_name}: {_count_words(sessions, 'session')}, {often}, at {times}"
        f"{length}{where} ({_days_text(phase.first_day, phase.last_day)}). "
        "Performed by staff; nothing to dispense."
    )


# -- the patient's words for a phase and a dose -------------------------------------------------


def _patient_dose(plan: Plan, dose: Dose) -> str:
    """``Prednisone 60 mg: 3 × 20 mg tablets, with food``."""
    text = dose_summary(dose)
    take = _take_of(plan, dose)
    if take:
        text += f", {take}"
    if any(t.count != int(t.count) for t in dose.tablets):
        text += ". Cut a tablet in half along the line"
    if dose.route in STAFF_ROUTES:
        extra = []
        if dose.duration_min:
            extra.append(f"about {minutes_text(dose.duration_min)}")
        if dose.where:
            extra.append(f"at {dose.where}")
        if extra:
            text += ", " + ", ".join(extra)
    return text


def _take_of(plan: Plan, dose: Dose) -> str | None:
    """The phase's ``take`` text ("with food"): a Dose carries it only inside a sentence."""
    phase = next((p for p in plan.phases if p.name == dose.phase), None)
    return phase.take.strip() if phase is not None and phase.take else None


def _patient_step(phase: PhasePlan, step: StepPlan) -> str:
    doses = step.doses
    if not doses:
        return "no dose"
    unit = doses[0].unit
    often = "" if step.every == 1 else f", {_every_text(step.every)}"
    if len(doses) == 1:
        dose = doses[0]
        detail = ""
        if dose.tablets:
            detail = f" ({_tablet_phrase(dose.tablets)})"
        elif dose.volume_ml is not None:
            detail = f" ({format_number(dose.volume_ml)} mL)"
        kind = {
            "iv": " infusion (IV drip)",
            "sc": " injection under the skin",
            "im": " injection into a muscle",
        }.get(phase.route, "")
        return (
            f"{_amount(dose.amount, unit)}{kind}{detail} once a day"
            f"{often if often else ''} {_when_patient(dose)}"
        )
    pieces = [
        f"{_amount(d.amount, d.unit)}"
        + (f" ({_tablet_phrase(d.tablets)})" if d.tablets else "")
        + f" {_when_patient(d)}"
        for d in doses
    ]
    return f"{_amount(_step_total(step), unit)} a day in {len(doses)} doses{often}: " + _and(pieces)


def _tablet_phrase(tablets: tuple[TabletCount, ...]) -> str:
    parts = [f"{count_text(t.count)} × {format_amount(t.strength, t.unit)}" for t in tablets]
    return f"{' + '.join(parts)} {_tablet_word(_tablets_total(tablets))}"


def _patient_phase_rows(plan: Plan, phase: PhasePlan, styles: _Styles) -> list[list[Any]]:
    rows: list[list[Any]] = []
    route = "" if phase.route == "procedure" else f", {ROUTE_WORDS[phase.route]}"
    if phase.route == "iv":
        route = ", by infusion (IV drip)"
    take = f", {phase.take.strip()}" if phase.take else ""
    where = f", at {phase.where}" if phase.where and phase.route != "oral" else ""
    length = (
        f", about {minutes_text(phase.duration_min)} each"
        if phase.duration_min and phase.route != "oral"
        else ""
    )
    what = phase.drug_name if phase.drug_name.casefold() != phase.name.casefold() else ""
    about = (what + route + take + length + where).lstrip(", ")
    head = _b(phase.name) + (f": {_esc(about)}" if about else "")
    dates = _date_range(_date_of(plan, phase.first_day), _date_of(plan, phase.last_day))
    days = _count_words(phase.last_day - phase.first_day + 1, "day")
    when = _m(f"<b>{_esc(dates)}</b><br/>{_esc(days)}", styles.cell)
    if phase.route == "procedure" or phase.sessions:
        step = phase.steps[0] if phase.steps else None
        every = step.every if step else 1
        often = "one a day" if every == 1 else _every_text(every)
        times = _and([_clock(d.time) for d in step.doses]) if step else ""
        text = f"{_count_words(phase.sessions or 0, 'session')}, {often}, at {times}."
        return [[when, _m(f"{head}<br/>{_esc(text)}", styles.cell)]]
    texts = []
    for step in phase.steps:
        text = _patient_step(phase, step)
        if step.every > 1:
            text += ". The days between are no-dose days"
        texts.append(text + ".")
    if len(phase.steps) == 1:
        return [[when, _m(f"{head}<br/>{_esc(texts[0])}", styles.cell)]]
    rows.append([when, _m(head, styles.cell)])
    for step, text in zip(phase.steps, texts, strict=True):
        first, last = _date_of(plan, step.first_day), _date_of(plan, step.last_day)
        rows.append(
            [
                _m(
                    f"{_esc(_date_range(first, last))}<br/>{_esc(_count_words(step.days, 'day'))}",
                    styles.cell,
                ),
                _p(text, styles.cell),
            ]
        )
    return rows


# -- the patient handout ------------------------------------------------------------------------


def _patient_story(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = [
        _p(plan.title, styles.title),
        _m(f"For {_b(_person(plan))}", styles.body),
        _m(
            f"From {_b(_long_date(plan.start))} to {_b(_long_date(plan.end))} "
            f"({_count_words(plan.length, 'day')})",
            styles.body,
        ),
    ]
    story.append(_team_box(plan, styles, width))
    story.extend(_heading("Your course at a glance", styles, styles.h2))
    rows: list[list[Any]] = [[_p("When", styles.cell_bold), _p("What", styles.cell_bold)]]
    for phase in plan.phases:
        rows.extend(_patient_phase_rows(plan, phase, styles))
    rows.extend(_also_rows(plan, styles))
    story.append(_table(rows, [width * 0.3, width * 0.7]))
    notes = _patient_notes(plan, styles)
    if notes:
        story.extend(_heading("Good to know", styles, styles.h2))
        story.extend(notes)
    story.append(PageBreak())
    story.extend(_calendar(plan, styles, width))
    story.append(PageBreak())
    story.extend(_checklist(plan, styles, width))
    story.append(PageBreak())
    story.extend(_watch_section(plan, styles, width))
    story.extend(_reminders_box(styles, width))
    return story


def _team_entries(team: CareTeam) -> list[tuple[str, str | None]]:
    """The care team's contacts with the labels both handouts print."""
    return [
        ("Clinic", team.clinic),
        ("Phone", team.phone),
        ("After hours", team.after_hours),
        ("Prescriber", team.prescriber),
        ("Nurse", team.nurse),
        ("Pharmacy", team.pharmacy),
    ]


def _team_box(plan: Plan, styles: _Styles, width: float) -> Flowable:
    team = plan.care_team
    lines: list[Flowable] = [_p("Your care team", styles.h3)]
    entries = _team_entries(team)
    for label, value in entries:
        if value:
            lines.append(_m(f"{_esc(label)}: {_b(value)}", styles.body))
    lines.append(_m("In an emergency: <b>call 911</b>", styles.body))
    return _boxed(lines, width, background=colors.HexColor("#f4f7fb"))


def _also_rows(plan: Plan, styles: _Styles) -> list[list[Any]]:
    """The [[also]] medicines, checks and appointments, one row each."""
    rows: list[list[Any]] = []
    by_index: dict[int, list[Event]] = defaultdict(list)
    for event in plan.events:
        by_index[event.index].append(event)
    for events in by_index.values():
        first = events[0]
        days = sorted({e.day for e in events})
        times = _and([_clock(t) for t in dict.fromkeys(e.time for e in events)])
        dates = _date_range(_date_of(plan, days[0]), _date_of(plan, days[-1]))
        label = {"medication": "Also take", "check": "Check", "appointment": "Appointment"}[
            first.kind
        ]
        extra = []
        if first.duration_min:
            extra.append(f"about {minutes_text(first.duration_min)}")
        if first.where:
            extra.append(f"at {first.where}")
        often = (
            ""
            if len(days) == 1
            else (
                " every day" if days == list(range(days[0], days[-1] + 1)) else " on the days shown"
            )
        )
        detail = f"{first.what}{', ' + ', '.join(extra) if extra else ''}: {times}{often}."
        span = _count_words(days[-1] - days[0] + 1, "day")
        rows.append(
            [
                _m(
                    f"<b>{_esc(dates)}</b>" + (f"<br/>{_esc(span)}" if len(days) > 1 else ""),
                    styles.cell,
                ),
                _m(f"{_b(label)}: {_esc(detail)}", styles.cell),
            ]
        )
    return rows


def _most_tablets(plan: Plan) -> tuple[Decimal, Dose] | None:
    best: tuple[Decimal, Dose] | None = None
    for dose in plan.doses:
        count = _tablets_total(dose.tablets)
        if count and (best is None or count > best[0]):
            best = (count, dose)
    return best


def _patient_notes(plan: Plan, styles: _Styles) -> list[Flowable]:
    codes = {w.code for w in plan.warnings}
    notes: list[str] = []
    most = _most_tablets(plan)
    if "many-tablets" in codes and most is not None:
        notes.append(
            f"Some doses are many tablets: up to {count_text(most[0])} at one time. "
            "Count them out before you start. Take them a few at a time, with food "
            "and a drink of water."
        )
    if any(t.count != int(t.count) for d in plan.doses for t in d.tablets):
        notes.append(
            "Some doses use half a tablet. Cut the tablet along the line on it. "
            "Your pharmacist can help if it is hard to cut."
        )
    if any(d.route == "oral" for d in plan.doses) and any(
        _take_is_food(p.take) for p in plan.phases
    ):
        notes.append("Take your tablets with food. This helps protect your stomach.")
    if "adrenal" in codes:
        notes.append(
            "Do not stop taking your tablets early, and do not skip doses: after a "
            "course this long, stopping suddenly can make you unwell. If you cannot "
            "take a dose, call the clinic."
        )
    if any(not d.doses and d.phases for d in plan.days):
        notes.append(
            'Days marked "no dose" are part of your course, but there is no dose or '
            "session from this plan that day. Any check or other medicine listed for "
            "that day still applies."
        )
    return _bullets(notes, styles)


def _reminders_box(styles: _Styles, width: float) -> list[Flowable]:
    help_data = read_data("calendar_help.toml")
    lines: list[Flowable] = [
        _p(str(help_data["title"]), styles.h3),
        _p(str(help_data["intro"]), styles.body),
    ]
    lines.extend(
        _bullets(
            [f"{_b(str(tip['app']))}: {_esc(str(tip['text']))}" for tip in help_data["tip"]],
            styles,
            markup=True,
        )
    )
    return [Spacer(1, 10), KeepTogether([_boxed(lines, width)])]


# -- the month calendar -------------------------------------------------------------------------


def _months(plan: Plan) -> list[tuple[int, int]]:
    months: list[tuple[int, int]] = []
    for day in plan.days:
        key = (day.date.year, day.date.month)
        if key not in months:
            months.append(key)
    return months


def _calendar(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    by_date = {day.date: day for day in plan.days}
    tints = {
        phase.name: PHASE_TINTS[number % len(PHASE_TINTS)]
        for number, phase in enumerate(plan.phases)
    }
    story: list[Flowable] = []
    for number, (year, month) in enumerate(_months(plan)):
        first = date(year, month, 1)
        start = first - timedelta(days=(first.weekday() + 1) % 7)  # weeks start on Sunday
        header = [_p(name[:3], styles.cal_head) for name in (WEEKDAYS[6], *WEEKDAYS[:6])]
        rows: list[list[Any]] = [header]
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        cursor = start
        row_number = 0
        heights: list[float] = [0]
        while cursor.month == month or cursor < first:
            row_number += 1
            row: list[Any] = []
            busy = False
            for column in range(7):
                day = by_date.get(cursor)
                in_month = cursor.month == month
                row.append(_calendar_cell(cursor, day, in_month, styles))
                if day is not None and in_month:
                    busy = True
                    if day.phases:
                        commands.append(
                            (
                                "BACKGROUND",
                                (column, row_number),
                                (column, row_number),
                                tints[day.phases[0]],
                            )
                        )
                if day is None or not in_month:
                    commands.append(
                        ("BACKGROUND", (column, row_number), (column, row_number), OUTSIDE)
                    )
                cursor += timedelta(days=1)
            rows.append(row)
            # Weeks of the course get room to write in; the others stay short, so that a
            # month fits on its page.
            heights.append(styles.cal.leading * 6.5 if busy else 0)
        table = Table(
            rows,
            colWidths=[width / 7] * 7,
            repeatRows=1,
            style=TableStyle(commands),
            hAlign="LEFT",
            minRowHeights=heights,
        )
        title = _p(f"{MONTHS[month - 1]} {year}", styles.h2)
        intro: list[Flowable] = []
        if number == 0:
            intro = [
                _p("Your calendar", styles.title),
                _p(
                    'Each day shows what to take and when. Days marked "no dose" are part '
                    "of your course, but you take nothing from this plan that day.",
                    styles.body,
                ),
            ]
            intro.append(_legend(plan, styles, width, tints))
        story.extend(intro)
        story.append(KeepTogether([title, table]))
    return story


def _legend(plan: Plan, styles: _Styles, width: float, tints: dict[str, Any]) -> Flowable:
    cells: list[Any] = []
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
    ]
    for number, phase in enumerate(plan.phases):
        cells += ["", _p(phase.name, styles.small)]
        commands += [
            ("BACKGROUND", (2 * number, 0), (2 * number, 0), tints[phase.name]),
            ("BOX", (2 * number, 0), (2 * number, 0), 0.5, RULE),
        ]
    swatch = 12 * styles.scale
    label = (width - swatch * len(plan.phases)) / max(len(plan.phases), 1)
    rows = [cells]
    widths = [swatch if column % 2 == 0 else label for column in range(len(cells))]
    if len(plan.phases) > 3:
        # More phases than fit on one line: one line each.
        rows = [[cells[2 * n], cells[2 * n + 1]] for n in range(len(plan.phases))]
        commands = [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 4)]
        for number, phase in enumerate(plan.phases):
            commands += [
                ("BACKGROUND", (0, number), (0, number), tints[phase.name]),
                ("BOX", (0, number), (0, number), 0.5, RULE),
            ]
        widths = [swatch, width - swatch]
    return Table(rows, colWidths=widths, style=TableStyle(commands), hAlign="LEFT", spaceAfter=4)


def _calendar_cell(on: date, day: Day | None, in_month: bool, styles: _Styles) -> list[Any]:
    style = (
        styles.cal_date
        if in_month
        else ParagraphStyle("cal_out", parent=styles.cal_date, textColor=RULE)
    )
    cell: list[Any] = [_p(str(on.day), style)]
    if day is None or not in_month:
        return cell
    items: list[tuple[str, str]] = []
    for dose in day.doses:
        items.append((dose.time, _calendar_dose(dose)))
    for event in day.events:
        if event.kind == "appointment":
            items.append((event.time, f"<b>{_esc(_clock(event.time))}</b> {_esc(event.what)}"))
    if not items and not day.phases and day.events:
        cell.append(_p("no dose", styles.cal))
    items.sort(key=lambda item: item[0])
    if not day.doses and day.phases:
        cell.append(_p("no dose", styles.cal))
    cell.extend(_m(markup, styles.cal) for _, markup in items)
    return cell


def _calendar_dose(dose: Dose) -> str:
    """One dose in a calendar cell: short, and wrapping only between its parts."""
    time = f"<b>{_esc(_clock(dose.time))}</b>"
    if dose.session is not None:
        return f"{time} {_esc(dose.drug_name)} ({dose.session}{NBSP}of{NBSP}{dose.sessions})"
    amount = _esc(_nb(_amount(dose.amount, dose.unit)))
    if dose.tablets:
        count = _tablets_total(dose.tablets)
        return f"{time} {amount}: {_nb(f'{count_text(count)} {_tablet_word(count)}')}"
    if dose.route == "iv":
        return f"{time} {amount} infusion"
    if dose.route in ("im", "sc"):
        volume = (
            f" ({_nb(format_number(dose.volume_ml) + ' mL')})" if dose.volume_ml is not None else ""
        )
        return f"{time} {amount} injection{volume}"
    if dose.volume_ml is not None:
        return f"{time} {amount}: {_nb(format_number(dose.volume_ml) + ' mL')}"
    return f"{time} {amount}"


# -- the day-by-day checklist -------------------------------------------------------------------


def _checklist(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = [
        _p("Day by day", styles.title),
        _p("Tick the box when you have taken each dose or done each check.", styles.body),
    ]
    day_width = width * 0.24
    inner = width - day_width
    box_width = pdfmetrics.stringWidth("Done", FONT, styles.small.fontSize) + 8
    time_width = pdfmetrics.stringWidth("12:30 PM", FONT, styles.cell.fontSize) + 10
    widths = [box_width, time_width, inner - box_width - time_width]
    header = [
        _p("Day", styles.cell_bold),
        Table(
            [
                [
                    _p("Done", styles.small),
                    _p("Time", styles.cell_bold),
                    _p("What to take or do", styles.cell_bold),
                ]
            ],
            colWidths=widths,
            style=_inner_style(header=True),
        ),
    ]
    rows: list[list[Any]] = [header]
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LEFTPADDING", (0, 0), (0, -1), 4),
        ("LEFTPADDING", (1, 0), (1, -1), 0),
        ("RIGHTPADDING", (1, 0), (1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    headings = {phase.name: phase for phase in plan.phases}
    current: tuple[str, ...] | None = None
    for day in plan.days:
        if not day.doses and not day.events and not day.phases:
            continue  # after the last phase, a day with nothing on it
        if day.phases != current:
            current = day.phases
            for name in day.phases:
                if headings[name].first_day == day.day or day is plan.days[0]:
                    rows.append([_p(phase_heading(headings[name]), styles.cell_bold), ""])
                    commands += [
                        ("SPAN", (0, len(rows) - 1), (1, len(rows) - 1)),
                        (
                            "BACKGROUND",
                            (0, len(rows) - 1),
                            (-1, len(rows) - 1),
                            colors.HexColor("#f4f4f4"),
                        ),
                    ]
        label = _m(
            f"<b>{_esc(WEEKDAYS[day.date.weekday()])}</b><br/>"
            f"{_esc(MONTHS[day.date.month - 1][:3])} {day.date.day}, {day.date.year}"
            f"<br/>Day {day.day} of {plan.length}",
            styles.cell,
        )
        rows.append([label, _day_items(plan, day, styles, widths)])
    story.append(
        Table(
            rows,
            colWidths=[day_width, inner],
            repeatRows=1,
            style=TableStyle(commands),
            hAlign="LEFT",
        )
    )
    return story


def _inner_style(header: bool = False) -> TableStyle:
    return TableStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP" if not header else "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
    )


def _day_items(plan: Plan, day: Day, styles: _Styles, widths: list[float]) -> Table:
    # The box, the time and (when it fits) the text are bare strings in the columns' fonts.
    rooms = [width - 6 for width in widths]  # the inner style's padding, 3 and 3

    def row(time: str, text: str) -> list[Any]:
        return [
            _plain("☐", styles.box, rooms[0]),
            _plain(_clock(time), styles.cell, rooms[1]),
            _plain(text, styles.cell, rooms[2]),
        ]

    items: list[tuple[str, int, list[Any]]] = []
    for dose in day.doses:
        items.append((dose.time, 0, row(dose.time, _patient_dose(plan, dose))))
    for event in day.events:
        words = {"check": "", "medication": "Also take: ", "appointment": "Appointment: "}
        extra = []
        if event.duration_min:
            extra.append(f"about {minutes_text(event.duration_min)}")
        if event.where:
            extra.append(f"at {event.where}")
        text = words[event.kind] + event.what + (", " + ", ".join(extra) if extra else "")
        items.append((event.time, 1, row(event.time, text)))
    items.sort(key=lambda item: (item[0], item[1]))
    rows = [row for _, _, row in items]
    if not day.doses and day.phases:
        rows.insert(0, ["", "", _m("<b>No dose today.</b>", styles.cell)])
    style = _inner_style()
    # Not on the "No dose today" row: an empty string cell is one line of its font high.
    first = len(rows) - len(items)
    if items:
        style.add(*_font(styles.box, (0, first), (0, -1)))
        style.add(*_font(styles.cell, (1, first), (-1, -1)))
        style.add("TEXTCOLOR", (0, first), (-1, -1), INK)
    return Table(rows, colWidths=widths, style=style)


# -- the watch list -------------------------------------------------------------------------------


def _watch_section(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    from taper.watch import watch_list

    tiers = watch_list(plan).by_tier()
    team = plan.care_team
    phones = []
    if team.phone:
        phones.append(f"Call {team.clinic or 'the clinic'} at {_nb(team.phone)}.")
    if team.after_hours:
        phones.append(f"After hours, call {_nb(team.after_hours)}.")
    call_how = " ".join(phones) or "Call your clinic the same day."
    sections = [
        (
            "expected",
            "Expected and usually mild",
            "These are common. Tell your care team at your next visit.",
        ),
        ("call", "Call the clinic today", call_how),
        (
            "emergency",
            "Emergency: call 911",
            "Call 911 or go to the nearest emergency department now.",
        ),
    ]
    story: list[Flowable] = [
        _p("What to watch for", styles.title),
        _p(
            "Steroids and the other treatments in this plan can cause side effects. Most are "
            "mild and go away after the course. Keep this page where you can find it.",
            styles.body,
        ),
    ]
    for tier, heading, how in sections:
        colour = TIER_COLOURS[tier]
        head = ParagraphStyle(f"tier_{tier}", parent=styles.h3, textColor=colour, spaceBefore=0)
        lines: list[Flowable] = [_p(heading, head), _m(f"<b>{_esc(how)}</b>", styles.body)]
        items = [item.text for item in tiers.get(tier, [])]
        if items:
            lines.extend(_bullets(items, styles))
        else:
            lines.append(
                _p(
                    "Nothing listed for this course. If you are worried, call the clinic.",
                    styles.body,
                )
            )
        story.append(KeepTogether([_boxed(lines, width, border=colour, line=1.6)]))
        story.append(Spacer(1, 8))
    return story


# -- the pharmacist's sheet -----------------------------------------------------------------------


def _patient_block(plan: Plan, styles: _Styles, width: float) -> Table:
    labels = conditions()
    rows: list[list[Any]] = [
        [_p("Patient", styles.cell_bold), _p(_person(plan), styles.cell_bold)],
        [_p("Weight", styles.cell_bold), _p(_weight_text(plan), styles.cell)],
        [
            _p("Conditions", styles.cell_bold),
            _p(
                ", ".join(labels.get(c, c) for c in plan.patient.conditions) or "none recorded",
                styles.cell,
            ),
        ],
        [
            _p("Course", styles.cell_bold),
            _p(
                f"{plan.title}: {_long_date(plan.start)} to {_long_date(plan.end)} "
                f"({_count_words(plan.length, 'day')}); times are local, {plan.timezone}",
                styles.cell,
            ),
        ],
    ]
    if plan.revision:
        rows.append([_p("Revision", styles.cell_bold), _p(str(plan.revision), styles.cell)])
    return _table(rows, [width * 0.2, width * 0.8], header=False)


def _weight_text(plan: Plan) -> str:
    weight = plan.patient
    if weight.weight_kg is None:
        return "not given"
    text = f"{format_number(weight.weight_kg)} kg"
    if weight.weight and not weight.weight.strip().lower().endswith("kg"):
        text += f" (entered as {weight.weight})"
    return text


def _contacts(plan: Plan, styles: _Styles, width: float) -> Table | None:
    team = plan.care_team
    entries = _team_entries(team)
    rows = [
        [_p(label, styles.cell_bold), _p(value, styles.cell)] for label, value in entries if value
    ]
    if not rows:
        return None
    return _table(rows, [width * 0.2, width * 0.8], header=False)


def _pharmacist_story(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = [
        _p("Dispensing sheet", styles.title),
        _patient_block(plan, styles, width),
    ]
    contacts = _contacts(plan, styles, width)
    if contacts is not None:
        story += [*_heading("Prescriber and contacts", styles, styles.h3), contacts]

    story.extend(_heading("Dispense", styles, styles.h2))
    if plan.dispense or plan.liquids:
        rows: list[list[Any]] = [
            [
                _p(h, styles.cell_bold)
                for h in ("Drug", "Strength / form", "Quantity for the course")
            ]
        ]
        for line in plan.dispense:
            quantity = f"{count_text(line.count)} {_tablet_word(line.count)}"
            if line.count != int(line.count):
                quantity += f" (supply {int(line.count) + 1} whole tablets)"
            rows.append(
                [
                    _p(line.drug_name, styles.cell_bold),
                    _p(f"{format_amount(line.strength, line.unit)} tablets", styles.cell),
                    _p(quantity, styles.cell_bold),
                ]
            )
        for liquid in plan.liquids:
            rows.append(
                [
                    _p(liquid.drug_name, styles.cell_bold),
                    _p(f"{liquid.liquid} (liquid)", styles.cell),
                    _p(f"{format_number(liquid.volume_ml)} mL", styles.cell_bold),
                ]
            )
        story.append(_table(rows, [width * 0.3, width * 0.3, width * 0.4]))
    else:
        story.append(_p("No tablets or liquids to dispense to the patient.", styles.body))
    staff = _staff_supply(plan, styles, width)
    if staff is not None:
        story += [*_heading("Given by staff (supply to the unit)", styles, styles.h3), staff]

    for number, phase in enumerate(plan.phases):
        dates = _date_range(_date_of(plan, phase.first_day), _date_of(plan, phase.last_day))
        # The headings stay with the sig; the step table may run on (its header repeats).
        block: list[Flowable] = [_p("Directions (sig)", styles.h2)] if number == 0 else []
        block += [
            _p(f"{phase_heading(phase)} ({dates})", styles.h3),
            _boxed(_sig_paragraphs(plan, phase, styles), width, background=OUTSIDE),
        ]
        story.append(KeepTogether(block))
        steps = _step_table(plan, phase, styles, width)
        if steps is not None:
            story += [Spacer(1, 4), steps]

    story.extend(_heading("Totals", styles, styles.h2))
    if plan.totals:
        rows = [
            [
                _p(h, styles.cell_bold)
                for h in ("Drug", "Total for the course", "Prednisone equivalent")
            ]
        ]
        for total in plan.totals:
            if total.prednisone_equivalent_mg is None:
                equivalent = "not applicable"
            else:
                equivalent = f"{format_number(total.prednisone_equivalent_mg)} mg"
                if total.equivalence_approximate:
                    equivalent = f"about {equivalent} (approximate)"
            rows.append(
                [
                    _p(total.drug_name, styles.cell_bold),
                    _p(format_amount(total.amount, total.unit), styles.cell),
                    _p(equivalent, styles.cell),
                ]
            )
        story.append(_table(rows, [width * 0.3, width * 0.3, width * 0.4]))
        story.append(Spacer(1, 3))
        story.append(
            _p(
                "Prednisone equivalents count the oral and IV doses only: the "
                "equivalence ratios hold for those routes.",
                styles.small,
            )
        )
    else:
        story.append(_p("No dosed medicine in this course.", styles.body))

    story.extend(_overrides(plan, styles, width))
    story.extend(_warnings(plan, styles, width))
    story.extend(_heading("Counselling points", styles, styles.h2))
    story.extend(_bullets(_counselling(plan), styles))
    return story


def _staff_supply(plan: Plan, styles: _Styles, width: float) -> Table | None:
    groups: dict[tuple[str, str, str], list[Dose]] = defaultdict(list)
    for dose in plan.doses:
        # Doses measured from a dispensed liquid are in the Dispense table already.
        if (
            dose.route in ("iv", "im", "sc")
            and dose.amount is not None
            and dose.unit
            and dose.volume_ml is None
        ):
            groups[(dose.phase, dose.drug_name, dose.route)].append(dose)
    if not groups:
        return None
    rows: list[list[Any]] = [
        [
            _p(h, styles.cell_bold)
            for h in ("Phase", "Drug and route", "Each dose", "Doses", "Total")
        ]
    ]
    for (phase, name, route), doses in groups.items():
        each = sorted({_amount(d.amount, d.unit) for d in doses})
        unit = doses[0].unit
        total = sum((d.amount for d in doses if d.amount is not None), Decimal(0))
        same_unit = all(d.unit == unit for d in doses)
        rows.append(
            [
                _p(phase, styles.cell),
                _p(f"{name} {ROUTE_WORDS[route]}", styles.cell),
                _p(", ".join(each), styles.cell),
                _p(str(len(doses)), styles.cell),
                _p(_amount(total, unit) if same_unit else "see doses", styles.cell),
            ]
        )
    return _table(rows, [width * 0.2, width * 0.3, width * 0.2, width * 0.1, width * 0.2])


def _step_table(plan: Plan, phase: PhasePlan, styles: _Styles, width: float) -> Table | None:
    """The step-by-step check of a tablet or liquid phase: what each dose is, and how many."""
    if phase.route != "oral" or phase.sessions:
        return None
    rows: list[list[Any]] = [
        [
            _p(h, styles.cell_bold)
            for h in ("Days", "Dates", "Time", "Dose", "Tablets or volume", "Doses", "Step total")
        ]
    ]
    for step in phase.steps:
        given = len(range(0, step.days, step.every))
        first, last = _date_of(plan, step.first_day), _date_of(plan, step.last_day)
        for number, dose in enumerate(step.doses):
            if dose.tablets:
                what = _tablet_phrase(dose.tablets)
                total = _tablets_total(dose.tablets) * given
                step_total = f"{count_text(total)} {_tablet_word(total)}"
            elif dose.volume_ml is not None:
                what = f"{format_number(dose.volume_ml)} mL"
                step_total = f"{format_number(dose.volume_ml * given)} mL"
            else:
                what = step_total = ""
            every = "" if step.every == 1 else f" ({_every_text(step.every)})"
            rows.append(
                [
                    _p(_days_text(step.first_day, step.last_day) + every, styles.cell)
                    if number == 0
                    else "",
                    _p(_date_range(first, last), styles.cell) if number == 0 else "",
                    _p(dose.time + (f" ({dose.slot})" if dose.slot else ""), styles.cell),
                    _p(_amount(dose.amount, dose.unit), styles.cell),
                    _p(what, styles.cell),
                    _p(str(given), styles.cell),
                    _p(step_total, styles.cell),
                ]
            )
    days_w, dose_w, doses_w = _widths(styles, "days 88–88", "62.5 mg", "Doses")
    dates_w, time_w, tablets_w, total_w = _spread(
        width - days_w - dose_w - doses_w, [], (0.27, 0.25, 0.28, 0.2)
    )
    return _table(rows, [days_w, dates_w, time_w, dose_w, tablets_w, doses_w, total_w])


def _overrides(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    phases = [phase for phase in plan.phases if phase.allow]
    story: list[Flowable] = _heading("Prescriber overrides", styles, styles.h2)
    if not phases:
        return [*story, _p("None: no phase carries an allow = [...] override.", styles.body)]
    rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in ("Phase", "Override", "Details")]]
    for phase in phases:
        place = f"phase[{phase.index}]"
        details = [
            w.message
            for w in plan.warnings
            if w.code == "above-documented-allowed"
            and (w.place == place or w.place.startswith(place + "."))
        ]
        for allowance in phase.allow:
            words = ALLOWANCE_WORDS.get(allowance, allowance)
            relevant = details if allowance == "above-documented-dose" else []
            rows.append(
                [
                    _p(f"{phase.name} ({place})", styles.cell_bold),
                    _p(f"{allowance}: {words}", styles.cell),
                    _p(" ".join(relevant) or "allowed by the prescriber", styles.cell),
                ]
            )
    story.append(_table(rows, [width * 0.25, width * 0.3, width * 0.45]))
    return story


def _warnings(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = _heading("Warnings", styles, styles.h2)
    if not plan.warnings:
        return [*story, _p("No warnings for this course.", styles.body)]
    rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in ("Code", "Warning", "Place")]]
    for warning in plan.warnings:
        rows.append(
            [
                _p(warning.code, styles.cell_bold),
                _p(warning.message, styles.cell),
                _p(warning.place or "whole course", styles.cell),
            ]
        )
    # The code column fits the longest code: a code broken mid-word cannot be searched for.
    code_width = min(
        width * 0.35,
        max(
            pdfmetrics.stringWidth(w.code, FONT_BOLD, styles.cell_bold.fontSize)
            for w in plan.warnings
        )
        + 10,
    )
    story.append(_table(rows, [code_width, width * 0.78 - code_width, width * 0.22]))
    return story


def _counselling(plan: Plan) -> list[str]:
    """Counselling points drawn from the plan; the facts behind them are in
    clinical-reference.md (§6, §7) and in the engine's warnings."""
    codes = {w.code for w in plan.warnings}
    points: list[str] = []
    oral = [p for p in plan.phases if p.route == "oral" and p.drug_class == "steroid"]
    morning_once = [
        p for p in oral if all(len(s.doses) == 1 and s.doses[0].time < "12:00" for s in p.steps)
    ]
    if morning_once:
        points.append(
            "Take each dose in the morning, with food (breakfast): this lowers the "
            "chance of sleep trouble and stomach upset."
        )
    elif any(_take_is_food(p.take) for p in oral):
        points.append("Take each dose with food, to lower the chance of stomach upset.")
    divided = [p for p in oral if any(len(s.doses) > 1 for s in p.steps)]
    if divided:
        points.append(
            "Divided doses: the daily amount is split across the day and changes from "
            "day to day. Go through the times on the patient's checklist with them."
        )
    if "evening-dose" in codes:
        points.append(
            "Some doses are late in the day as ordered; steroids taken late can make "
            "it hard to sleep."
        )
    most = _most_tablets(plan)
    if "many-tablets" in codes and most is not None:
        points.append(
            f"Many tablets at once (up to {count_text(most[0])}): count them out first "
            "and take them a few at a time with food."
        )
    if any(step.every > 1 for p in plan.phases for step in p.steps if p.route == "oral"):
        points.append(
            "Every-other-day dosing: take doses only on the days shown; the days "
            "between are no-dose days (marked on the patient's calendar)."
        )
    if any(t.count != int(t.count) for d in plan.doses for t in d.tablets):
        points.append(
            "Half tablets are ordered: supply a scored product (scoring varies by "
            "maker) and show how to cut along the score line."
        )
    strengths: dict[str, list[str]] = defaultdict(list)
    for line in sorted(plan.dispense, key=lambda line: line.strength):
        strengths[line.drug_name].append(format_amount(line.strength, line.unit))
    for name, values in strengths.items():
        if len(values) > 1:
            points.append(
                f"{name} comes in more than one strength ({_and(values)}): "
                "show the patient which tablet is which."
            )
    if "adrenal" in codes:
        points.append(
            "Do not stop suddenly: this course is long or high enough to suppress the "
            "adrenal glands, so the dose should come down gradually (check that the "
            "order ends with a taper). After the course, report weakness, deep "
            "tiredness, dizziness on standing, nausea or vomiting; severe vomiting or "
            "fainting is an emergency."
        )
    if any(p.drug_class == "steroid" for p in plan.phases):
        points.append(
            "Common and usually mild: trouble sleeping, mood changes, a bigger "
            "appetite, upset stomach. Report fever or other signs of infection, and "
            "any contact with chickenpox, shingles or measles."
        )
    if "diabetes" in plan.patient.conditions and any(
        p.drug_class == "steroid" for p in plan.phases
    ):
        points.append(
            "Diabetes: steroids raise blood sugar, mostly in the afternoon and evening "
            "after a morning dose. Check blood sugar as the care team advised."
        )
    if any(p.drug_class == "acth" for p in plan.phases):
        points.append("ACTH gel is injected under the skin or into a muscle, never into a vein.")
    if any(p.route in STAFF_ROUTES for p in plan.phases):
        points.append(
            "Infusions, injections and procedures are given by staff: the patient "
            "handout lists their dates, times and places."
        )
    if not points:
        points.append("Go through the patient handout's calendar and checklist with the patient.")
    return points


# -- the nurse's sheet -------------------------------------------------------------------------


def _nurse_story(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    from taper.watch import checks_before

    story: list[Flowable] = [
        _p("Nursing sheet: appointments and checks", styles.title),
        _patient_block(plan, styles, width),
    ]
    contacts = _contacts(plan, styles, width)
    story.extend(_heading("Contacts", styles, styles.h2))
    story.append(
        contacts if contacts is not None else _p("No contacts given in the regimen.", styles.body)
    )

    story.extend(_heading("Infusions, injections and procedures", styles, styles.h2))
    rows: list[list[Any]] = [
        [
            _p(h, styles.cell_bold)
            for h in ("Date", "Time", "Length", "What", "Where", "Checks before")
        ]
    ]
    appointments = 0
    for day in plan.days:
        checks = [e for e in day.events if e.kind == "check"]
        for dose in day.doses:
            if dose.route not in STAFF_ROUTES:
                continue
            appointments += 1
            before = [f"{c.what} ({c.time})" for c in checks if c.time <= dose.time]
            listed = {c.what.casefold() for c in checks if c.time <= dose.time}
            before += [text for text in checks_before(plan, dose) if text.casefold() not in listed]
            rows.append(
                _appointment_row(
                    plan,
                    day,
                    dose.time,
                    dose.duration_min,
                    _nurse_dose(plan, dose),
                    dose.where,
                    before,
                    styles,
                )
            )
        for event in day.events:
            if event.kind == "appointment":
                appointments += 1
                before = [f"{c.what} ({c.time})" for c in checks if c.time <= event.time]
                rows.append(
                    _appointment_row(
                        plan,
                        day,
                        event.time,
                        event.duration_min,
                        event.what,
                        event.where,
                        before,
                        styles,
                    )
                )
    if appointments:
        fixed = _widths(styles, "Wed Dec 30", "00:00", "Length")
        story.append(_table(rows, _spread(width, fixed, (0.36, 0.28, 0.36))))
    else:
        story.append(
            _p("No infusions, injections, procedures or appointments in this course.", styles.body)
        )

    story.extend(_heading("Checks during the course", styles, styles.h2))
    check_rows = _event_rows(plan, "check", styles)
    if check_rows:
        story.append(
            _table(
                [[_p(h, styles.cell_bold) for h in ("Check", "Times", "Days")], *check_rows],
                [width * 0.5, width * 0.2, width * 0.3],
            )
        )
    else:
        story.append(_p("No checks in the regimen.", styles.body))

    story.extend(_heading("Medicines alongside", styles, styles.h2))
    medicines = _event_rows(plan, "medication", styles)
    oral = [phase for phase in plan.phases if phase.route == "oral"]
    if medicines:
        story.append(
            _table(
                [[_p(h, styles.cell_bold) for h in ("Medicine", "Times", "Days")], *medicines],
                [width * 0.5, width * 0.2, width * 0.3],
            )
        )
    for phase in oral:
        dates = _date_range(_date_of(plan, phase.first_day), _date_of(plan, phase.last_day))
        story.append(
            KeepTogether(
                [
                    _p(f"{phase_heading(phase)} ({dates})", styles.h3),
                    *_sig_paragraphs(plan, phase, styles),
                ]
            )
        )
    if not medicines and not oral:
        story.append(_p("None listed in the regimen.", styles.body))

    if plan.warnings:
        story.extend(_heading("Warnings", styles, styles.h2))
        story.extend(_bullets([f"{w.message} [{w.code}]" for w in plan.warnings], styles))
    return story


def _nurse_dose(plan: Plan, dose: Dose) -> str:
    text = dose_summary(dose)
    take = _take_of(plan, dose)
    return f"{text}, {take}" if take else text


def _appointment_row(
    plan: Plan,
    day: Day,
    time: str,
    minutes: int | None,
    what: str,
    where: str | None,
    checks: list[str],
    styles: _Styles,
) -> list[Any]:
    return [
        _m(
            f"<b>{_esc(_short_date(day.date))}</b><br/>{day.date.year}<br/>"
            f"day {day.day} of {plan.length}",
            styles.cell,
        ),
        _p(time, styles.cell_bold),
        _p(minutes_text(minutes) or "—", styles.cell),
        _p(what, styles.cell),
        _p(where or "—", styles.cell),
        _m("<br/>".join(f"☐ {_esc(check)}" for check in checks) or "—", styles.cell),
    ]


def _event_rows(plan: Plan, kind: str, styles: _Styles) -> list[list[Any]]:
    by_index: dict[int, list[Event]] = defaultdict(list)
    for event in plan.events:
        if event.kind == kind:
            by_index[event.index].append(event)
    rows: list[list[Any]] = []
    for events in by_index.values():
        days = sorted({e.day for e in events})
        times = ", ".join(dict.fromkeys(e.time for e in events))
        if days == list(range(days[0], days[-1] + 1)):
            span = _days_text(days[0], days[-1])
        else:
            span = "days " + ", ".join(str(d) for d in days)
        dates = _date_range(_date_of(plan, days[0]), _date_of(plan, days[-1]))
        rows.append(
            [
                _p(events[0].what, styles.cell),
                _p(times, styles.cell),
                _p(f"{span} ({dates})", styles.cell),
            ]
        )
    return rows
