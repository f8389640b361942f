"""What the three handouts share: the font, the styles, the _Text flowable, tables, boxes,
the page furniture and the numbered canvas, and the blocks more than one handout prints."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Paragraph,
    TableStyle,
)
from reportlab.platypus import Table as _PlatypusTable

from taper.read.errors import ExportError
from taper.read.text import char_name, printable_form, unprintable
from taper.records.plan import PhasePlan, Plan
from taper.voice.amounts import body_text
from taper.voice.labels import Staff as S
from taper.voice.labels import page_of
from taper.voice.people import (
    conditions_text,
    course_line,
    language_line,
    person,
    team_entries,
    weight_text,
)
from taper.voice.sigs import sig
from taper.voice.text import Rich, Strong

FONT = "TaperSans"


FONT_BOLD = "TaperSans-Bold"


# A plain path, as in taper.read.catalogue: importlib.resources costs start-up.
FONTS = Path(__file__).resolve().parents[2] / "data" / "fonts"


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
    "now": colors.HexColor("#8a3b00"),
    "emergency": colors.HexColor("#b00020"),
}


@cache
def _register_fonts() -> frozenset[int]:
    """Register the embedded font once; return the code points both weights can draw."""
    faces = []
    for name, file in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        font = TTFont(name, BytesIO((FONTS / file).read_bytes()))
        font.face.makeSubset = _subsets_kept(font.face.makeSubset)
        font.addObjects = _widths_kept(font.addObjects)
        pdfmetrics.registerFont(font)
        faces.append(frozenset(font.face.charToGlyph))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )
    return faces[0] & faces[1]


def _subsets_kept(make: Callable[[list[int]], bytes]) -> Callable[[list[int]], bytes]:
    """A font's ``makeSubset``, each subset made once per process.

    A handout embeds the subsets of the font it used: its characters in the order it first
    drew them. Handouts of different courses mostly draw the same characters in the same
    order (a packet's 6 handouts of 20 templates embed 33 distinct subsets in 120), and making
    one reads and rebuilds the font's tables, so each is made once; the same subset is always
    the same bytes."""

    @lru_cache(maxsize=32)
    def kept(codes: tuple[int, ...]) -> bytes:
        return make(list(codes))

    def make_subset(subset: list[int]) -> bytes:
        return kept(tuple(subset))

    return make_subset


def _widths_kept(add_objects: Callable[[Any], None]) -> Callable[[Any], None]:
    """A font's ``addObjects``, with each subset's widths written once per process.

    Writing a document, reportlab formats every number of each embedded subset's widths (up
    to 256 a subset, three or four subsets a handout): 3% of a print run. The same subset has
    the same widths, written the same way in every document, so the words are kept."""

    def add(document: Any) -> None:
        add_objects(document)
        for font in document.idToObject["BasicFonts"].dict.values():
            widths: Any = getattr(font, "Widths", None)
            if type(widths) is pdfdoc.PDFArray:
                font.Widths = _KeptArray(widths.sequence)

    return add


class _KeptArray(pdfdoc.PDFArray):  # type: ignore[misc]
    """An array of numbers formatted once per process (numbers are written the same in any
    document)."""

    def format(self, document: Any, IND: bytes = b"\n ") -> bytes:
        key = (tuple(self.sequence), IND, rl_config.pdfMultiLine)
        found = _FORMATTED.get(key)
        if found is None:
            if len(_FORMATTED) >= 256:
                _FORMATTED.clear()
            found = _FORMATTED[key] = super().format(document, IND)
        return found


_FORMATTED: dict[tuple[object, ...], bytes] = {}


NBSP = "\u00a0"


# What a handout can print is decided in one place, taper.read.text, which the reader applies to
# every text of a regimen too: `check` refuses exactly what the PDF would.
_clean = printable_form  # composed characters, any line break or tab as a plain space
_unprintable = unprintable  # the characters the handout cannot print, each with the reason
_char_name = char_name


@lru_cache(maxsize=8192)
def _esc(text: str, place: str = "handout text") -> str:
    """``text`` ready for a Paragraph: checked against the font, markup characters escaped.
    Worked out once per text (a handout escapes the same dates, times and amounts many times);
    a refusal is raised every time."""
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


class _Styles(NamedTuple):
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
    # The frame width of a sideways (landscape) page, when the handout has them (large print).
    wide_width: float = 0.0

    @classmethod
    def make(cls, scale: float, base: float) -> _Styles:
        size = base * scale
        # Calendar text: 8.6 pt in normal print; at least 16 pt in large print.
        cal = 8.6 if scale == 1 else max(16.0, 8.6 * scale)

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
            cal=style("cal", cal, leading=1.18, spaceBefore=1.5 * scale),
            cal_date=style("cal_date", max(10 * scale, cal), bold=True),
            cal_head=style("cal_head", max(8.5 * scale, cal), bold=True, alignment=TA_CENTER),
            title=style(
                "title",
                size * 1.75,
                bold=True,
                leading=1.2,
                spaceBefore=size,
                spaceAfter=size * 0.5,
            ),
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


class Table(_PlatypusTable):  # type: ignore[misc]
    """reportlab's Table, laid out once for a width: every table of a handout is used through
    this one. A table is wrapped again and again at the same width (to keep it with its
    heading, to place it, to try the rest of a page), and reportlab lays out every cell each
    time to the same answer; that was a tenth of a handout's CPU.

    The answer is kept only when it is the one a new layout would give: the same width, the
    last layout covered every row (no early stop at the room it was given, so a room at least
    that tall gives the same rows), nothing has laid it out since (a split does, and replaces
    the row positions), and no column is sized from its contents (reportlab changes those
    widths as it lays out)."""

    _laid_out: tuple[float, object, float, float] | None = None  # width, rows, answer
    _sized: bool | None = None  # a column is sized from its contents (as first given)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self._sized is None:
            self._sized = None in self._colWidths or "*" in self._colWidths
        kept = self._laid_out
        if (
            kept is not None
            and kept[0] == availWidth
            and availHeight >= kept[3]
            and self.__dict__.get("_rowpositions") is kept[1]
        ):
            self.availWidth = availWidth
            return kept[2], kept[3]
        width, height = super().wrap(availWidth, availHeight)
        whole = getattr(self, "_hmax", None) == len(self._argH)
        rows = self.__dict__.get("_rowpositions")
        self._laid_out = (availWidth, rows, width, height) if whole and not self._sized else None
        return width, height

    # The operators of the last drawing: its document, the row and column positions it was
    # drawn at, and the operators.
    _drawn: tuple[object, object, object, list[str]] | None = None

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        code = self._kept_drawing(canvas)
        if code is not None and not getattr(self, "_showBoundary", False):
            _write_translated(canvas, self._hAlignAdjust(x, _sW), y, code)
            return
        super().drawOn(canvas, x, y, _sW)

    def _kept_drawing(self, canvas: Canvas) -> list[str] | None:
        kept = self._drawn
        if (
            kept is not None
            and kept[0] is canvas._doc
            and kept[1] is self.__dict__.get("_rowpositions")
            and kept[2] is self.__dict__.get("_colpositions")
        ):
            return kept[3]
        return None

    def draw(self) -> None:
        """Draws the table, or writes again what drawing it wrote before in this document.

        A table draws after a translation to its place, from the canvas state it sets itself
        (reportlab's ``draw`` sets the colour and font at its first cell and restores the state
        at its end), so the same table laid out the same way writes the same operators
        anywhere in the document that drew it: a checklist's days with the same doses share
        one table, and the header repeated on every page is one table. Kept only while the
        layout is the one drawn (a new wrap or a split replaces the positions), never for a
        table whose drawing names a page's resource (a transparency, a separation colour, a
        shading, a form) or adds a link."""
        canvas = self.canv
        kept = self._kept_drawing(canvas)
        if kept is not None:
            canvas._code.extend(kept)
            return
        rows = self.__dict__.get("_rowpositions")
        columns = self.__dict__.get("_colpositions")
        start = len(canvas._code)
        links = len(canvas._annotationrefs), len(canvas._formsinuse)
        super().draw()
        code = canvas._code[start:]
        if (
            self._renderCB is None
            and links == (len(canvas._annotationrefs), len(canvas._formsinuse))
            and not canvas._colorsUsed  # a separation colour is recorded on its page
            and not canvas._shadingUsed
            and not any("/gRLs" in op for op in code)
        ):
            self._drawn = (canvas._doc, rows, columns, code)


class _Paragraph(Paragraph):  # type: ignore[misc]
    """A Paragraph that breaks its lines once for a width: a table wraps a cell again at the
    same width (for its row's height, then to draw it), and breaking lines is most of what a
    Paragraph costs. The same width gives the same lines, so the answer is the first one's."""

    _wrapped: tuple[float, object, float, float] | None = None  # width, lines, answer

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        kept = self._wrapped
        # Only while the lines are the ones this width gave (a split replaces or drops them).
        if kept is not None and kept[0] == availWidth and self.__dict__.get("blPara") is kept[1]:
            return kept[2], kept[3]
        width, height = super().wrap(availWidth, availHeight)
        lines = self.__dict__.get("blPara")  # none when the width is too narrow for any text
        self._wrapped = (availWidth, lines, width, height) if lines is not None else None
        return width, height


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
        self._para_room = (0.0, 0.0)  # where the paragraph was last wrapped for this text
        simple = _simple(style, bullet)
        self._words = _words(markup, style.fontName, style.fontSize) if simple else None
        # The first line's indent; a bullet running past it pushes the line on, leaving its
        # width plus 0.6 of its size (what a Paragraph does, _handleBulletWidth).
        self._lead = style.firstLineIndent
        if bullet:
            end = (
                style.bulletIndent
                + _width(bullet, style.bulletFontName, style.bulletFontSize)
                + 0.6 * style.bulletFontSize
            )
            self._lead = max(self._lead, end - style.leftIndent)
        self._layouts: dict[float, list[tuple[_Line, float]] | None] = {}
        self._layout: list[tuple[_Line, float]] = []

    def _paragraph(self) -> Paragraph:
        """The Paragraph this text is handed to: one per markup, bullet and style (by value)
        in the process, shared by every text that has them, so that its markup is parsed and
        its lines broken once per width rather than once per text (the same watch-list line,
        calendar advice or dose in each handout and packet)."""
        if self._para is None:
            key = (self.markup, self.bullet, _style_key(self.style))
            para = _PARAGRAPHS.get(key)
            if para is None:
                if len(_PARAGRAPHS) >= _SHARED_LIMIT:
                    _PARAGRAPHS.clear()
                para = _PARAGRAPHS[key] = _Paragraph(
                    self.markup, self.style, bulletText=self.bullet
                )
            self._para = para
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
        return _broken_lines(
            self.markup, style.fontName, style.fontSize, room, self._lead, style.spaceShrinkage
        )

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        lines = None if self._para is not None else self.lines(availWidth)
        if lines is None:
            self._para_room = (availWidth, availHeight)
            return self._paragraph().wrap(availWidth, availHeight)  # type: ignore[no-any-return]
        self._layout = lines
        self.width = availWidth
        self.height = self.style.leading * len(lines)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        # A paragraph of its own to split (reportlab's split changes the paragraph it splits,
        # and splits the lines of its last wrap): the shared one stays whole for its others.
        self._paragraph()
        own = _Paragraph(self.markup, self.style, bulletText=self.bullet)
        return own.split(availWidth, availHeight)  # type: ignore[no-any-return]

    def minWidth(self) -> float:
        return self._paragraph().minWidth()  # type: ignore[no-any-return]

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        if self._para is not None:
            # Laid out at this text's room again first: another text sharing the paragraph may
            # have wrapped it to another width since (the same width answers from its lines).
            self._para.wrap(*self._para_room)
            self._para.drawOn(canvas, x, y, _sW)
            return
        # As Flowable.drawOn and Paragraph.draw would (the same translation, so that a
        # viewer's arithmetic puts every glyph on the same pixel).
        place = self._hAlignAdjust(x, _sW)
        key = self._drawn_key(canvas)
        drawn = _drawn_texts(canvas)
        code = drawn.get(key) if key is not None else None
        shared = None
        if code is None and key is not None:
            shared = self._shared_key(canvas, key)
            code = _SHARED_DRAWN.get(shared) if shared is not None else None
        if code is not None:
            _write_translated(canvas, place, y, code)
            return
        canvas.saveState()
        canvas.translate(place, y)
        start = len(canvas._code)
        self._draw(canvas)
        code = canvas._code[start:]
        # A graphics-state change ("/gRLs0 gs", on the canvas or inside the text object)
        # names an entry of its page's resources: drawn again on another page it would
        # name nothing there, so such text is always drawn afresh.
        if key is not None and not any("/gRLs" in op for op in code):
            drawn[key] = code
            if shared is not None:
                if len(_SHARED_DRAWN) >= _SHARED_LIMIT:
                    _SHARED_DRAWN.clear()
                _SHARED_DRAWN[shared] = code
        canvas.restoreState()

    def _shared_key(self, canvas: Canvas, key: tuple[object, ...]) -> tuple[object, ...] | None:
        """The key under which another document may reuse this text's operators, or None.

        A document writes a character as the code its font subsets gave it when it first drew
        it; printable ASCII has its own code in every document from the start (reportlab's
        ``ttfAsciiReadable``, pinned on). So a text is written the same way in any document
        whose fonts have the same names ("/F1", in the order it first used them) and already
        hold its other characters at the same codes: the key holds those names and codes. A
        font or a character this document has not used yet is left to be drawn, so that it is
        named or given its code here as it would have been."""
        style = self.style
        pieces = [
            (FONT_BOLD if bold else style.fontName, run)
            for runs, _width in self._layout
            for bold, run in runs
        ]
        if self.bullet is not None:
            pieces.append((style.bulletFontName, self.bullet))
        names: dict[str, Any] = {}
        codes: list[int] = []
        for face, text in pieces:
            state = names.get(face)
            if state is None:
                states = getattr(pdfmetrics.getFont(face), "state", None)  # an embedded font's
                state = states.get(canvas._doc) if states is not None else None
                if state is None or state.internalName is None:
                    return None
                names[face] = state
            if _SAME_IN_EVERY_DOCUMENT.fullmatch(text):
                continue
            for char in text:
                if not _SAME_IN_EVERY_DOCUMENT.fullmatch(char):
                    code = state.assignments.get(ord(char))
                    if code is None:
                        return None
                    codes.append(code)
        fonts = tuple(sorted((face, state.internalName) for face, state in names.items()))
        return (key, fonts, tuple(codes))

    def _drawn_key(self, canvas: Canvas) -> tuple[object, ...] | None:
        """What the text's drawing operators depend on besides the document's fonts: the text,
        its width and style, and the transparency in force (None: do not reuse them)."""
        style = self.style
        color = style.textColor
        if type(color) is not colors.Color:
            return None  # a CMYK or spot colour records its use on the canvas
        return (
            self.markup,
            self.bullet,
            self.width,
            self.height,
            self._lead,
            style.spaceShrinkage,  # the lines are broken from these (_broken_lines)
            style.fontName,
            style.fontSize,
            style.leading,
            style.alignment,
            style.leftIndent,
            style.rightIndent,
            style.bulletIndent,
            style.bulletFontName,
            style.bulletFontSize,
            color.red,
            color.green,
            color.blue,
            color.alpha,
            tuple(sorted(canvas._extgstate._d.items())),
        )

    def _draw(self, canvas: Canvas) -> None:
        style = self.style
        size = style.fontSize
        leading = style.leading
        top = self.height - size
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


# Printable ASCII and the no-break space (which reportlab writes as a space): characters every
# document's first font subset holds at their own codes from the start.
_SAME_IN_EVERY_DOCUMENT = re.compile("[\x20-\x7e\xa0]*")
# The operators of texts drawn, shared by the documents of a process (see _shared_key); a few
# thousand cover the labels, times and amounts of every template.
_SHARED_DRAWN: dict[tuple[object, ...], list[str]] = {}
_SHARED_LIMIT = 4096


def _write_translated(canvas: Canvas, x: float, y: float, code: list[str]) -> None:
    """Writes operators kept from a drawing as ``Flowable.drawOn`` writes a drawing: inside
    ``saveState``, ``translate(x, y)`` and ``restoreState``, the same operators, without the
    canvas's own state those save and restore (drawing the kept operators changed none)."""
    canvas._code += ("q", f"{fp_str(1, 0, 0, 1, x, y)} cm", *code, "Q")


# The Paragraphs texts are handed to, shared by the documents of a process (_Text._paragraph).
_PARAGRAPHS: dict[tuple[object, ...], Paragraph] = {}


def _style_key(style: ParagraphStyle) -> tuple[object, ...]:
    """Every attribute of a paragraph style that can change what a Paragraph makes of a text,
    by value (each handout's styles are made afresh): all but its name, its parent's already
    copied into it."""
    return tuple(
        (name, _value_key(value))
        for name, value in sorted(vars(style).items())
        if name not in ("name", "parent")
    )


def _value_key(value: object) -> object:
    if isinstance(value, colors.Color):  # by its class and every component
        return (type(value), tuple(sorted(vars(value).items())))
    if isinstance(value, list):
        return tuple(value)
    try:
        hash(value)
    except TypeError:  # nothing a handout's styles hold; by its text, rather than fail
        return (type(value), repr(value))
    return value


def _drawn_texts(canvas: Canvas) -> dict[tuple[object, ...], list[str]]:
    """The drawing operators of each text drawn so far in ``canvas``'s document.

    A handout prints the same short texts many times (a time, "Take 2 tablets", a checkbox's
    label): drawn once, their operators are the same wherever they go, because a text is
    drawn after a translation to its place and the document's font subsets, once they hold a
    text's characters, write it the same way. Kept per document: another document's subsets
    number the characters differently."""
    found: dict[tuple[object, ...], list[str]] | None = canvas.__dict__.get("_taper_drawn")
    if found is None:
        found = canvas.__dict__["_taper_drawn"] = {}
    return found


@lru_cache(maxsize=8192)
def _width(text: str, font: str, size: float) -> float:
    """``text``'s width in a registered font, worked out once per process: the handouts
    measure the same words (times, amounts, "tablet") thousands of times a packet."""
    return float(pdfmetrics.stringWidth(text, font, size))


# A word: the space before it, in the weight of the run it is in, with its width; the word's
# runs and their width.
_Word = tuple[tuple[bool, str], float, _Line, float]


@lru_cache(maxsize=4096)
def _words(markup: str, font: str, size: float) -> list[list[_Word]] | None:
    """Each line of ``markup`` (``<br/>``) as words for _Text in ``font`` at ``size``, or None
    (see ``_parse``). Worked out once per process and shared, so never changed: a handout
    repeats the same cells (a box, a time, a dose) hundreds of times, a print run thousands."""
    lines = _parse(markup)
    if lines is None:
        return None

    def width(bold: bool, text: str) -> float:
        return _width(text, FONT_BOLD if bold else font, size)

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


@lru_cache(maxsize=4096)
def _broken_lines(
    markup: str, font: str, size: float, room: float, lead: float, shrinkage: float
) -> list[tuple[_Line, float]] | None:
    """``markup``'s lines as _Text breaks them in ``room`` points (the first line ``lead``
    further in), as (runs, width), or None to leave it to a Paragraph. Worked out once per
    process and shared, as ``_words`` are."""
    lines: list[tuple[_Line, float]] = []
    limit = room - lead
    for words in _words(markup, font, size) or ():
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
                shrink = shrinkage * space_width * 1.5 * (count + 2)
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


# No table row is taller than this: a row cannot split across pages (reportlab raises a
# LayoutError when one is taller than the page), so a very long text (a place, a name) goes on
# in rows of its own. Less than the shortest frame of any handout (a large-print sideways page).
ROW_LIMIT = 380.0


def _fit_rows(rows: list[list[Any]], widths: Sequence[float]) -> list[list[Any]]:
    """``rows`` with any cell text taller than ROW_LIMIT split over continuation rows (the
    other cells of those rows empty)."""
    fitted: list[list[Any]] = []
    for row in rows:
        pieces: list[list[Any]] = []
        for column, (cell, width) in enumerate(zip(row, widths, strict=True)):
            flowable = cell[0] if isinstance(cell, list) and len(cell) == 1 else cell
            if not isinstance(flowable, Flowable) or isinstance(flowable, Table):
                continue
            room = width - 8  # the widest padding any table here uses, 4 and 4
            parts = [flowable]
            while parts[-1].wrap(room, ROW_LIMIT * 4)[1] > ROW_LIMIT:
                split = parts[-1].split(room, ROW_LIMIT)
                if len(split) != 2:
                    break
                parts[-1:] = split
            for number, part in enumerate(parts):
                while len(pieces) <= number:
                    pieces.append(["" for _ in row])
                pieces[number][column] = part
        if len(pieces) <= 1:
            fitted.append(row)
            continue
        for column, cell in enumerate(row):
            if not pieces[0][column]:
                pieces[0][column] = cell
        fitted.extend(pieces)
    return fitted


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
        _fit_rows(rows, widths),
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
    return _width(text, FONT_BOLD, size)


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
        _fit_rows([[flowable] for flowable in flowables], [width]),
        colWidths=[width],
        style=TableStyle(commands),
        hAlign="LEFT",
    )


class _Banner(NamedTuple):
    """The line at the top of every page of a reissued plan: a dark band with light text on
    the patient's pages (it survives greyscale printing), a bold header with a rule on staff
    sheets. Wraps rather than shortens: every word of it matters."""

    text: str
    scale: float
    filled: bool

    @property
    def size(self) -> float:
        return 9.5 * self.scale

    def lines(self, room: float) -> list[str]:
        lines: list[str] = []
        for word in _clean(self.text).split(" "):
            wider = f"{lines[-1]} {word}" if lines else word
            if lines and pdfmetrics.stringWidth(wider, FONT_BOLD, self.size) <= room - 12:
                lines[-1] = wider
            else:
                lines.append(word)
        return lines

    def height(self, width: float) -> float:
        """The room the banner takes above the frame (with a gap below it)."""
        return len(self.lines(width)) * self.size * 1.3 + 8 + 6

    def draw(self, canvas: Canvas, page_width: float, page_height: float) -> None:
        room = page_width - 2 * MARGIN
        lines = self.lines(room)
        leading = self.size * 1.3
        band = len(lines) * leading + 8
        bottom = page_height - MARGIN - band
        canvas.saveState()
        if self.filled:
            canvas.setFillColor(INK)
            canvas.rect(MARGIN, bottom, room, band, stroke=0, fill=1)
            canvas.setFillColor(colors.white)
        else:
            canvas.setStrokeColor(INK)
            canvas.setLineWidth(1.2)
            canvas.line(MARGIN, bottom, page_width - MARGIN, bottom)
            canvas.setFillColor(INK)
        canvas.setFont(FONT_BOLD, self.size)
        y = bottom + band - 4 - self.size
        for line in lines:
            canvas.drawString(MARGIN + (6 if self.filled else 0), y, line)
            y -= leading
        canvas.restoreState()


class _Footer(NamedTuple):
    person: str
    title: str
    scale: float
    banner: _Banner | None = None
    code: str | None = None  # the plan's fingerprint (taper.export.json.fingerprint), on every page


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
            if self._footer.banner is not None:
                self._footer.banner.draw(self, *self._pagesize)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        footer = self._footer
        width, _ = self._pagesize
        size = 8.5 * footer.scale
        right = page_of(number, total, footer.code)
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
    """``text`` shortened with an ellipsis to fit ``room`` points: its longest beginning
    that fits with the ellipsis. Found by halving (a longer beginning is never narrower), not
    a character at a time: every page's footer fits the name and title again."""
    text = _clean(text)
    if pdfmetrics.stringWidth(text, font, size) <= room:
        return text
    fits, too_long = 0, len(text)  # text[:fits] + "…" fits, or fits is 0
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if pdfmetrics.stringWidth(text[:middle] + "…", font, size) > room:
            too_long = middle
        else:
            fits = middle
    return text[:fits].rstrip() + "…"


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


# -- rich text and blocks more than one handout prints ----------------------------------------


def _rich(line: Rich) -> str:
    """A line of voice text as markup: stressed pieces bold, everything escaped."""
    return "".join(
        f"<b>{_esc(part)}</b>" if isinstance(part, Strong) else _esc(part) for part in line
    )


def _lines(lines: Sequence[Rich]) -> str:
    """Lines of voice text as markup, one under the other."""
    return "<br/>".join(_rich(line) for line in lines)


def _cell(lines: Sequence[Rich], style: ParagraphStyle) -> Flowable:
    return _Text(_lines(lines), style)


def _sig_paragraphs(plan: Plan, phase: PhasePlan, styles: _Styles) -> list[Flowable]:
    return [_p(line, styles.sig) for line in sig(plan, phase)]


def _patient_block(plan: Plan, styles: _Styles, width: float) -> Table:
    rows: list[list[Any]] = [
        [_p(S.patient, styles.cell_bold), _p(person(plan), styles.cell_bold)],
        [_p(S.weight, styles.cell_bold), _p(weight_text(plan), styles.cell)],
        *(
            [[_p(S.height, styles.cell_bold), _p(body, styles.cell)]]
            if (body := body_text(plan)) is not None
            else []
        ),
        [_p(S.conditions, styles.cell_bold), _p(conditions_text(plan), styles.cell)],
        [_p(S.course, styles.cell_bold), _p(course_line(plan), styles.cell)],
    ]
    language = language_line(plan)
    if language is not None:
        rows.insert(1, [_p(S.language, styles.cell_bold), _p(language, styles.cell_bold)])
    if plan.revision:
        rows.append([_p(S.revision, styles.cell_bold), _p(str(plan.revision), styles.cell)])
    return _table(rows, [width * 0.2, width * 0.8], header=False)


def _contacts(plan: Plan, styles: _Styles, width: float) -> Table | None:
    entries = team_entries(plan.care_team)
    rows = [
        [_p(label, styles.cell_bold), _p(value, styles.cell)] for label, value in entries if value
    ]
    if not rows:
        return None
    return _table(rows, [width * 0.2, width * 0.8], header=False)
