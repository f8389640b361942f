"""The patient handout: the course at a glance, the month calendar, the day-by-day checklist
and the watch list. Every word comes from ``taper.voice``; this module lays them out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    Spacer,
    TableStyle,
)

from taper.export.pdf.layout import (
    FONT,
    FOOTER_SPACE,
    INK,
    MARGIN,
    OUTSIDE,
    PHASE_TINTS,
    ROW_LIMIT,
    RULE,
    SHADE,
    TIER_COLOURS,
    Table,
    _boxed,
    _bullets,
    _cell,
    _fit_rows,
    _font,
    _heading,
    _p,
    _plain,
    _rich,
    _Styles,
    _table,
)
from taper.records.plan import Day, Plan
from taper.voice.amounts import (
    checklist_days,
    checklist_note,
    compact_calendar_intro,
    compact_cell,
    is_long,
)
from taper.voice.counselling import (
    adrenal_section,
    by_caregiver,
    calendar_help,
    card_section,
    looking_after_yourself,
    patient_notes,
)
from taper.voice.doses import phase_heading, phase_name
from taper.voice.labels import Patient as P
from taper.voice.overview import (
    Row,
    advice_heading,
    also_rows,
    calendar_lines,
    checklist_day,
    checklist_items,
    checklist_quiet_days,
    no_dose_days,
    no_dose_today,
    phase_mark,
    phase_rows,
    watch_tiers,
)
from taper.voice.people import course_dates, for_line, team_lines
from taper.voice.text import Rich, Strong
from taper.voice.times import month_title, week_heads
from taper.voice.words import words_of


def _patient_story(
    plan: Plan, styles: _Styles, width: float, fill: int = 1, room: float = 0.0
) -> list[Flowable]:
    """``room``: the height of a page's body (its frame), for what is kept on one page."""
    story: list[Flowable] = [
        _p(plan.title, styles.title),
        _cell([for_line(plan)], styles.body),
        _cell([course_dates(plan)], styles.body),
    ]
    story.append(_team_box(plan, styles, width))
    story.extend(_heading(P.course, styles, styles.h2))
    rows: list[list[Any]] = [[_p(P.when, styles.cell_bold), _p(P.what, styles.cell_bold)]]
    for phase in plan.phases:
        rows.extend(_rows(phase_rows(plan, phase, words_of(plan)), styles))
    rows.extend(_rows(also_rows(plan, words_of(plan)), styles))
    story.append(_table(rows, [width * 0.3, width * 0.7]))
    notes = patient_notes(plan)
    if notes:
        story.extend(_heading(P.good_to_know, styles, styles.h2))
        story.extend(_bullets(notes, styles))
    for heading, lines in looking_after_yourself(plan):
        story.append(_section(heading, lines, styles))
    checklist = _checklist(plan, styles, width, checklist_days(plan, fill))
    if is_long(plan):
        # A long course stays usable on paper: its length follows the dose changes, not the days.
        story.extend(_compact_calendar(plan, styles, width))
    elif styles.wide_width:
        # Large print turns the calendar's pages sideways, for 16 pt text in a cell.
        story += [NextPageTemplate("wide"), PageBreak()]
        story.extend(_calendar(plan, styles, styles.wide_width))
        story += [NextPageTemplate("page"), PageBreak()]
    else:
        # The calendar and the checklist follow on when there is room. A short course keeps
        # them on one page (issue 25: a 5-dose course printed its calendar at the foot of page
        # 1 and its checklist alone on page 2): when both fit on a page but not in what is left
        # of this one, they start the next page together.
        calendar = _calendar(plan, styles, width)
        together = _height([*calendar, *checklist], width)
        if together <= (room or _ONE_PAGE) - 4:  # a little short of the frame: its rounding
            story.append(CondPageBreak(together))
        story.extend(calendar)
    story.extend(checklist)
    story.append(PageBreak())
    story.extend(_watch_section(plan, styles, width))
    story.extend(_card_sections(plan, styles, width))
    story.extend(_reminders_box(styles, width))
    return story


# The tallest block kept on one page when the caller does not say (``room``): the body frame
# of a Letter page (the shorter of Letter and A4) with room for a revised plan's banner.
_ONE_PAGE = 792 - 2 * MARGIN - FOOTER_SPACE - 40


def _height(flowables: list[Flowable], width: float) -> float:
    """How tall ``flowables`` are laid out one after another in ``width`` (page breaks that
    only apply when room runs out count as nothing)."""
    total = 0.0
    for flowable in flowables:
        if isinstance(flowable, CondPageBreak):
            continue
        if isinstance(flowable, KeepTogether):  # laid out as its content (it needs a canvas)
            total += _height(list(flowable._content), width)
            continue
        total += flowable.wrap(width, 100_000)[1]
        total += flowable.getSpaceBefore() + flowable.getSpaceAfter()
    return total


def _section(heading: str, lines: list[Rich], styles: _Styles) -> Flowable:
    """A short headed section kept in one piece (a heading never ends a page)."""
    return KeepTogether(
        [_p(heading, styles.h3), *_bullets([_rich(line) for line in lines], styles, markup=True)]
    )


def _card_sections(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    """The signs of too little steroid hormone, and the steroid card and sick-day points, for a
    course at the card threshold."""
    story: list[Flowable] = []
    adrenal = adrenal_section(plan)
    if adrenal is not None:
        heading, when, signs, emergency = adrenal
        colour = TIER_COLOURS["call"]
        head = ParagraphStyle("adrenal", parent=styles.h3, textColor=colour, spaceBefore=0)
        lines: list[Flowable] = [
            _p(heading, head),
            _cell([(Strong(when),)], styles.body),
            _p(P.call_signs_caregiver if by_caregiver(plan) else P.call_signs, styles.body),
            *_bullets(signs, styles),
            _cell([(Strong(emergency),)], styles.body),
        ]
        story += [KeepTogether([_boxed(lines, width, border=colour, line=1.6)]), Spacer(1, 8)]
    card = card_section(plan, words_of(plan))
    if card:
        lines = []
        for number, (heading, texts) in enumerate(card):
            style = styles.h3 if number else ParagraphStyle("card", parent=styles.h3, spaceBefore=0)
            lines.append(_p(heading, style))
            lines.extend(_bullets([_rich(text) for text in texts], styles, markup=True))
        story += [KeepTogether([_boxed(lines, width, line=1.6)]), Spacer(1, 8)]
    return story


def _rows(rows: list[Row], styles: _Styles) -> list[list[Any]]:
    return [[_cell(when, styles.cell), _cell(what, styles.cell)] for when, what in rows]


def _team_box(plan: Plan, styles: _Styles, width: float) -> Flowable:
    lines: list[Flowable] = [_p(P.team, styles.h3)]
    lines.extend(_cell([line], styles.body) for line in team_lines(plan))
    return _boxed(lines, width, background=colors.HexColor("#f4f7fb"))


def _reminders_box(styles: _Styles, width: float) -> list[Flowable]:
    title, intro, tips = calendar_help()
    lines: list[Flowable] = [_p(title, styles.h3), _p(intro, styles.body)]
    lines.extend(_bullets([_rich(tip) for tip in tips], styles, markup=True))
    return [Spacer(1, 10), KeepTogether([_boxed(lines, width)])]


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
    # Each phase also has a mark in its cells (①, ②...): tints alone fade in greyscale.
    marks = {phase.name: phase_mark(number) for number, phase in enumerate(plan.phases)}
    story: list[Flowable] = []
    for number, (year, month) in enumerate(_months(plan)):
        first = date(year, month, 1)
        start = first - timedelta(days=(first.weekday() + 1) % 7)  # weeks start on Sunday
        header = [_p(name, styles.cal_head) for name in week_heads()]
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
        heights: list[float] = [0]
        while cursor.month == month or cursor < first:
            week = [cursor + timedelta(days=column) for column in range(7)]
            cursor += timedelta(days=7)
            # Only the weeks of the course: the dates say where each week falls, and a short
            # course keeps its calendar small.
            if not any(on in by_date and on.month == month for on in week):
                continue
            row_number = len(rows)
            row: list[Any] = []
            for column, on in enumerate(week):
                day = by_date.get(on)
                in_month = on.month == month
                row.append(_calendar_cell(plan, on, day, in_month, styles, marks, width / 7))
                if day is not None and in_month and day.phases:
                    tint = tints[day.phases[0]]
                    commands.append(
                        ("BACKGROUND", (column, row_number), (column, row_number), tint)
                    )
                if day is None or not in_month:
                    commands.append(
                        ("BACKGROUND", (column, row_number), (column, row_number), OUTSIDE)
                    )
            rows.append(row)
            heights.append(styles.cal.leading * 6.5)
        table = Table(
            rows,
            colWidths=[width / 7] * 7,
            repeatRows=1,
            style=TableStyle(commands),
            hAlign="LEFT",
            minRowHeights=heights,
        )
        title = _p(month_title(year, month), styles.h2)
        intro: list[Flowable] = []
        if number == 0:
            intro = [
                _p(P.calendar, styles.title),
                _p(
                    P.calendar_intro_caregiver if by_caregiver(plan) else P.calendar_intro,
                    styles.body,
                ),
            ]
            intro.append(_legend(plan, styles, width, tints))
        # The introduction stays with the first month: never a title alone at a page foot.
        story.append(KeepTogether([*intro, title, table]))
    return story


def _legend(plan: Plan, styles: _Styles, width: float, tints: dict[str, Any]) -> Flowable:
    cells: list[Any] = []
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
    ]
    for number, phase in enumerate(plan.phases):
        label = styles.cal if styles.scale > 1 else styles.small  # large print: 16 pt
        cells += [_p(phase_mark(number), label), _p(phase_name(phase), label)]
        commands += [
            ("BACKGROUND", (2 * number, 0), (2 * number, 0), tints[phase.name]),
            ("BOX", (2 * number, 0), (2 * number, 0), 0.5, RULE),
        ]
    swatch = 16 * styles.scale
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


def _compact_calendar(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    """Months in miniature, two across: each day's amount, tinted by phase."""
    by_date = {day.date: day for day in plan.days}
    tints = {
        phase.name: PHASE_TINTS[number % len(PHASE_TINTS)]
        for number, phase in enumerate(plan.phases)
    }
    # Each phase also has a mark in its cells (①, ②...): tints alone fade in greyscale.
    marks = {phase.name: phase_mark(number) for number, phase in enumerate(plan.phases)}
    gap = 12.0
    # Large print: one month across, its text at the calendar's 16 pt.
    across = 1 if styles.scale > 1 else 2
    month_width = (width - gap * (across - 1)) / across
    date_size = styles.cal.fontSize if across == 1 else styles.small.fontSize * 0.8
    dose_size = styles.cal.fontSize if across == 1 else styles.small.fontSize * 0.9
    date_style = ParagraphStyle(
        "mini_date",
        parent=styles.small,
        fontSize=date_size,
        leading=date_size * 1.2,
        textColor=RULE if across == 2 else INK,
    )
    dose_style = ParagraphStyle(
        "mini_dose", parent=styles.small, fontSize=dose_size, leading=dose_size * 1.15
    )
    months: list[list[Flowable]] = []
    for year, month in _months(plan):
        first = date(year, month, 1)
        cursor = first - timedelta(days=(first.weekday() + 1) % 7)  # weeks start on Sunday
        rows: list[list[Any]] = [[_p(name, styles.cal_head) for name in week_heads()]]
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.4, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 1),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        while cursor.month == month or cursor < first:
            row: list[Any] = []
            for column in range(7):
                day = by_date.get(cursor)
                in_month = cursor.month == month
                label = str(cursor.day)
                if day is not None and in_month and day.phases:
                    label += " " + " ".join(marks[name] for name in day.phases)
                cell: list[Any] = [_p(label, date_style)] if in_month else []
                if day is not None and in_month:
                    text = compact_cell(day)
                    room = month_width / 7 - 3
                    cell.extend(
                        _p(line, _unbroken(line, dose_style, room)) for line in text.splitlines()
                    )
                    if day.phases:
                        commands.append(
                            (
                                "BACKGROUND",
                                (column, len(rows)),
                                (column, len(rows)),
                                tints[day.phases[0]],
                            )
                        )
                else:
                    commands.append(
                        ("BACKGROUND", (column, len(rows)), (column, len(rows)), OUTSIDE)
                    )
                row.append(cell)
                cursor += timedelta(days=1)
            rows.append(row)
        table = Table(
            rows, colWidths=[month_width / 7] * 7, style=TableStyle(commands), hAlign="LEFT"
        )
        months.append([_p(month_title(year, month), styles.h3), table])
    story: list[Flowable] = [
        _p(P.calendar, styles.title),
        _p(compact_calendar_intro(plan, caregiver=by_caregiver(plan)), styles.body),
        _legend(plan, styles, width, tints),
    ]
    if across == 1:
        story.extend(KeepTogether(month) for month in months)
        return [KeepTogether(story[:4]), *story[4:]]
    for number in range(0, len(months), 2):
        pair = months[number : number + 2]
        pair += [[Spacer(1, 1)]] * (2 - len(pair))
        story.append(
            Table(
                [[pair[0], "", pair[1]]],
                colWidths=[month_width, gap, month_width],
                style=TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                    ]
                ),
                hAlign="LEFT",
            )
        )
    # The title and the legend stay with the first months: the calendar follows on where there
    # is room, never leaves them alone at a page foot.
    return [KeepTogether(story[:4]), *story[4:]]


def _unbroken(
    text: str, style: ParagraphStyle, room: float, *, bold: bool = False
) -> ParagraphStyle:
    """``style``, smaller if need be, so that every unbreakable word of ``text`` (an amount
    such as ``19.3375\u00a0mg`` is one) fits ``room``: a cell never breaks a number across
    lines, where "19.337" above "5 mg" reads as a different dose."""
    # With ``bold``, measured in the bold face (a calendar line starts with its time in bold).
    heavy = style.fontName if style.fontName.endswith("Bold") else style.fontName + "-Bold"
    font = heavy if bold and heavy in pdfmetrics.getRegisteredFontNames() else style.fontName
    widest = max(
        (pdfmetrics.stringWidth(word, font, style.fontSize) for word in text.split(" ")),
        default=0.0,
    )
    if widest <= room:
        return style
    scale = room / widest
    return ParagraphStyle(
        f"{style.name}_fit",
        parent=style,
        fontSize=style.fontSize * scale,
        leading=style.leading * scale,
        splitLongWords=0,
    )


def _calendar_cell(
    plan: Plan,
    on: date,
    day: Day | None,
    in_month: bool,
    styles: _Styles,
    marks: dict[str, str],
    width: float,
) -> list[Any]:
    style = (
        styles.cal_date
        if in_month
        else ParagraphStyle("cal_out", parent=styles.cal_date, textColor=RULE)
    )
    label = str(on.day)
    if day is not None and in_month and day.phases:
        label += " " + " ".join(marks[name] for name in day.phases)
    cell: list[Any] = [_p(label, style)]
    if day is None or not in_month:
        return cell
    # A bounded cell: a day of many doses lists its first ones (the checklist has them all).
    limit = 4 if styles.scale > 1 else 10
    lines = calendar_lines(plan, day, words_of(plan), limit)
    room = width - 5
    cell.extend(
        _cell([line], _unbroken("".join(line), styles.cal, room, bold=True)) for line in lines
    )
    return cell


def _checklist(plan: Plan, styles: _Styles, width: float, span: tuple[int, int]) -> list[Flowable]:
    story: list[Flowable] = [
        # Starts a page unless the title, the header and a few days fit here.
        CondPageBreak(
            styles.title.leading * 2 + styles.body.leading * 2 + styles.cell.leading * 10
        ),
        _p(P.checklist, styles.title),
        _p(P.checklist_intro_caregiver if by_caregiver(plan) else P.checklist_intro, styles.body),
    ]
    first_day, last_day = span
    note = checklist_note(plan, first_day, last_day)
    if note is not None:
        story.append(_p(note, styles.body))
    day_width = width * 0.24
    inner = width - day_width
    box_width = pdfmetrics.stringWidth(P.done, FONT, styles.small.fontSize) + 8
    days = plan.days[first_day - 1 : last_day]
    times = {time for day in days for time, _ in checklist_items(plan, day, words_of(plan))} or {
        P.time
    }
    time_width = max(pdfmetrics.stringWidth(t, FONT, styles.cell.fontSize) for t in times) + 10
    widths = [box_width, time_width, inner - box_width - time_width]
    header = [
        _p(P.day, styles.cell_bold),
        Table(
            [
                [
                    _p(P.done, styles.small),
                    _p(P.time, styles.cell_bold),
                    _p(P.to_do, styles.cell_bold),
                ]
            ],
            colWidths=widths,
            style=_inner_style(header=True),
        ),
    ]
    # One table per run of days under the same phase bands, the bands repeated with the column
    # header on every page the run goes on to: a band is never left alone at a page foot (a
    # table does not split where only its repeated rows would fit). A row per day.
    headings = {phase.name: phase for phase in plan.phases}
    sections: list[tuple[list[str], list[list[Any]]]] = []
    current: tuple[str, ...] | None = None
    tables: dict[tuple[object, ...], list[Table]] = {}  # days with the same items share tables
    for day, quiet in _checklist_days(plan.days[first_day - 1 : last_day]):
        if not day.doses and not day.events and not day.phases:
            continue  # after the last phase, a day with nothing on it
        bands: list[str] = []
        if day.phases != current:
            current = day.phases
            bands = [
                phase_heading(headings[name])
                for name in day.phases
                if headings[name].first_day == day.day or day.day == first_day
            ]
        if bands or not sections:
            sections.append((bands, []))
        if quiet is not None:
            sections[-1][1].append(_quiet_row(plan, day, quiet, styles))
        else:
            sections[-1][1].extend(_day_rows(plan, day, styles, widths, tables))
    for bands, rows_of_days in sections:
        rows: list[list[Any]] = [header]
        commands: list[tuple[Any, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("LEFTPADDING", (0, 0), (0, -1), 4),
            ("LEFTPADDING", (1, 0), (1, -1), 0),
            ("RIGHTPADDING", (1, 0), (1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        for band in bands:
            rows.append([_p(band, styles.cell_bold), ""])
            at = len(rows) - 1
            commands += [
                ("SPAN", (0, at), (1, at)),
                ("BACKGROUND", (0, at), (-1, at), colors.HexColor("#f4f4f4")),
                ("LINEBELOW", (0, at), (-1, at), 0.5, RULE),
            ]
        rows.extend(rows_of_days)
        # A rule under each day: under every row whose next row starts another day.
        for at in range(1 + len(bands), len(rows)):
            if at + 1 == len(rows) or rows[at + 1][0] != "":
                commands.append(("LINEBELOW", (0, at), (-1, at), 0.5, RULE))
        story.append(
            Table(
                rows,
                colWidths=[day_width, inner],
                repeatRows=1 + len(bands),
                style=TableStyle(commands),
                hAlign="LEFT",
                spaceAfter=6,
            )
        )
    return story


# A run of at least this many days with nothing to tick prints as one row (weekly infusions,
# the rest between cycles: a 12-week course printed a page of "No dose today" for every week).
# Shorter runs keep a row a day: an every-other-day course shows each day it skips.
QUIET_RUN = 3


def _quiet(day: Day) -> bool:
    return not day.doses and not day.events and bool(day.phases)


def _checklist_days(days: Sequence[Day]) -> list[tuple[Day, Day | None]]:
    """The checklist's days: each day alone, or the first day of a quiet run (no dose, no check,
    inside the same phases) with its last day."""
    out: list[tuple[Day, Day | None]] = []
    at = 0
    while at < len(days):
        end = at
        while (
            _quiet(days[at])
            and end + 1 < len(days)
            and _quiet(days[end + 1])
            and days[end + 1].phases == days[at].phases
        ):
            end += 1
        if end - at + 1 >= QUIET_RUN:
            out.append((days[at], days[end]))
            at = end + 1
        else:
            out.append((days[at], None))
            at += 1
    return out


def _quiet_row(plan: Plan, first: Day, last: Day, styles: _Styles) -> list[Any]:
    """A run of days with nothing to tick, as one row: no box (there is nothing to do)."""
    count = last.day - first.day + 1
    return [
        _cell(checklist_quiet_days(plan, first, last), styles.cell),
        _cell([(Strong(no_dose_days(count)),)], styles.cell),
    ]


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


def _day_rows(
    plan: Plan,
    day: Day,
    styles: _Styles,
    widths: list[float],
    tables: dict[tuple[object, ...], list[Table]],
) -> list[list[Any]]:
    """A day of the checklist as rows of the outer table: its label, and a table of a box, a
    time and what to do for each item. A day taller than ROW_LIMIT (many doses, a very long
    text) goes on in rows of its own: a table row cannot split across pages.

    Days with the same items share their tables (``tables``, by items): one table laid out
    once and, drawn again, writing the operators it wrote the first time (layout.Table)."""
    items = checklist_items(plan, day, words_of(plan))
    none = bool(not day.doses and day.phases)
    key = (tuple(items), none)
    chunk_tables = tables.get(key)
    if chunk_tables is None:
        chunk_tables = tables[key] = _item_tables(items, none, styles, widths)
    label: Any = _cell(checklist_day(plan, day), styles.cell)
    return [[label if number == 0 else "", table] for number, table in enumerate(chunk_tables)]


def _item_tables(
    items: Sequence[tuple[str, str]], none: bool, styles: _Styles, widths: list[float]
) -> list[Table]:
    """A day's items (time, what to do) as the tables of its checklist rows, each no taller
    than ROW_LIMIT; "No dose today" first on a day in a phase without a dose."""
    rooms = [width - 6 for width in widths]  # the inner style's padding, 3 and 3
    rows: list[list[Any]] = [
        [
            _plain(P.box, styles.box, rooms[0]),
            _plain(time, styles.cell, rooms[1]),
            _plain(text, styles.cell, rooms[2]),
        ]
        for time, text in items
    ]
    if none:
        rows.insert(0, ["", "", _cell([(Strong(no_dose_today()),)], styles.cell)])
    rows = _fit_rows(rows, widths)
    chunks: list[list[list[Any]]] = [[]]
    used = 0.0
    for row in rows:
        height = _row_height(row, widths, styles) + 3  # the inner padding, 1 and 2
        if chunks[-1] and used + height > ROW_LIMIT:
            chunks.append([])
            used = 0.0
        chunks[-1].append(row)
        used += height
    tables = []
    for number, chunk in enumerate(chunks):
        style = _inner_style()
        # Not on the "No dose today" row: an empty string cell is one line of its font high.
        first = 1 if none and number == 0 else 0
        if len(chunk) > first:
            style.add(*_font(styles.box, (0, first), (0, -1)))
            style.add(*_font(styles.cell, (1, first), (-1, -1)))
            style.add("TEXTCOLOR", (0, first), (-1, -1), INK)
        tables.append(Table(chunk, colWidths=widths, style=style))
    return tables


def _row_height(row: list[Any], widths: list[float], styles: _Styles) -> float:
    """The height of a row of bare strings (one line each) and flowables."""
    height = styles.cell.leading
    for cell, width in zip(row, widths, strict=True):
        if isinstance(cell, Flowable):
            height = max(height, cell.wrap(width - 6, ROW_LIMIT * 4)[1])
        elif isinstance(cell, str) and cell:
            height = max(height, styles.box.leading if cell == P.box else styles.cell.leading)
    return float(height)


def _watch_section(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    from taper.voice.watch import watch_list

    watch = watch_list(plan)
    tiers = watch.by_tier()
    # The adrenal signs print under their own heading, with their timing (_card_sections).
    own_section = adrenal_section(plan) is not None
    story: list[Flowable] = [
        _p(P.watch, styles.title),
        _p(P.watch_intro, styles.body),
    ]
    for tier, heading, how in watch_tiers(plan):
        colour = TIER_COLOURS[tier]
        head = ParagraphStyle(f"tier_{tier}", parent=styles.h3, textColor=colour, spaceBefore=0)
        lines: list[Flowable] = [_p(heading, head), _cell([(Strong(how),)], styles.body)]
        items = [
            item.text
            for item in tiers.get(tier, [])
            if not (own_section and item.trigger == "adrenal" and tier == "call")
        ]
        if items:
            lines.extend(_bullets(items, styles))
        else:
            empty = P.nothing_listed_emergency if tier == "emergency" else P.nothing_listed
            lines.append(_p(empty, styles.body))
        story.append(KeepTogether([_boxed(lines, width, border=colour, line=1.6)]))
        story.append(Spacer(1, 8))
    if watch.advice:
        advice: list[Flowable] = [
            _p(advice_heading(), styles.h3),
            *_bullets([item.text for item in watch.advice], styles),
        ]
        story.append(KeepTogether([_boxed(advice, width, border=INK, line=1)]))
    return story
